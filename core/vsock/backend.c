#include "backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util.h"

enum { P_LISTEN, P_SOCK, P_KICK, P_HYBRID, P_CONN };

/* What we offer. VERSION_1 is required by vhost-user-vsock-pci, bit 30 is
 * required for GET_CONFIG (the CID); the ring features are implemented in
 * virtq.c. Never RING_RESET: QEMU 7.2 cannot reset one vhost-user queue. */
#define OFFERED_FEATURES                                                                    \
    ((1ull << KB_VIRTIO_F_VERSION_1) | (1ull << KB_VU_F_PROTOCOL_FEATURES) |                \
     (1ull << KB_VIRTIO_F_EVENT_IDX) | (1ull << KB_VIRTIO_F_INDIRECT_DESC))
#define OFFERED_PROTOCOL                                                                    \
    ((1ull << KB_VU_PROTO_F_MQ) | (1ull << KB_VU_PROTO_F_REPLY_ACK) |                       \
     (1ull << KB_VU_PROTO_F_CONFIG))

static void reset_rings(struct kb_vsock_backend *b)
{
    for (unsigned i = 0; i < KB_VSB_NQUEUES; i++) {
        kb_vq_fini(&b->vq[i]);
        kb_vq_set_features(&b->vq[i], b->acked_features);
    }
}

int kb_vsock_backend_init(struct kb_vsock_backend *b, const char *vhost_path,
                          const char *uds_path, uint64_t guest_cid, kb_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    _cleanup_close_ int fd = -1;

    memset(b, 0, sizeof(*b));
    b->listen_fd = b->sock = -1;
    b->hybrid.listen_fd = -1;
    kb_gm_init(&b->gm);
    for (unsigned i = 0; i < KB_VSB_NQUEUES; i++)
        kb_vq_init(&b->vq[i]);
    if (!kb_vsock_cid_valid(guest_cid))
        return kb_error(err, EINVAL, "guest CID %llu is reserved", (unsigned long long)guest_cid);
    b->guest_cid = guest_cid;
    if (strlen(vhost_path) >= sizeof(sa.sun_path))
        return kb_error(err, ENAMETOOLONG, "vhost-user socket path too long: %s", vhost_path);
    strcpy(sa.sun_path, vhost_path);
    strcpy(b->vhost_path, vhost_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return kb_error_errno(err, "socket");
    unlink(vhost_path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
        return kb_error_errno(err, "listen on %s", vhost_path);
    b->conns = malloc(sizeof(*b->conns));
    if (!b->conns) {
        unlink(vhost_path);
        return kb_error(err, ENOMEM, "vsock connection table");
    }
    if (kb_hybrid_init(&b->hybrid, uds_path, err) < 0) {
        free(b->conns);
        b->conns = NULL;
        unlink(vhost_path);
        return kb_error_wrap(err, "vsock back-end");
    }
    struct kb_vsock_ops ops = { kb_hybrid_connect, &b->hybrid };
    kb_vsock_init(b->conns, guest_cid, &ops);
    b->listen_fd = kb_steal_fd(&fd);
    return 0;
}

/* QEMU went away: it will not come back (no reconnect in 7.2), so drop
 * everything that belonged to that VM. */
static void drop_frontend(struct kb_vsock_backend *b)
{
    kb_closep(&b->sock);
    b->sock = -1;
    reset_rings(b);
    kb_gm_fini(&b->gm);
    if (b->conns) {
        kb_vsock_fini(b->conns);
        struct kb_vsock_ops ops = { kb_hybrid_connect, &b->hybrid };
        kb_vsock_init(b->conns, b->guest_cid, &ops);
    }
}

void kb_vsock_backend_fini(struct kb_vsock_backend *b)
{
    drop_frontend(b);
    for (unsigned i = 0; i < KB_VSB_NQUEUES; i++)
        kb_vq_fini(&b->vq[i]);
    free(b->conns);
    b->conns = NULL;
    kb_hybrid_fini(&b->hybrid);
    if (b->listen_fd >= 0) {
        close(b->listen_fd);
        unlink(b->vhost_path);
    }
    b->listen_fd = -1;
}

/* guest -> host: every tx chain is one packet, header first */
static void process_tx(struct kb_vsock_backend *b)
{
    uint8_t *payload = b->scratch;
    struct kb_vq *vq = &b->vq[KB_VSB_TX];
    struct kb_vq_elem e;
    kb_err err;
    unsigned budget = 4 * vq->num;

    while (kb_vq_ready(vq)) {
        kb_vq_set_notification(vq, false);
        int r;
        while (budget && (r = kb_vq_pop(vq, &b->gm, &e, &err)) != 0) {
            if (r < 0 && vq->broken)
                return;
            budget--;
            if (r > 0 && e.out_len >= KB_VSOCK_HDR_SIZE) {
                uint8_t hdr[KB_VSOCK_HDR_SIZE];
                uint64_t avail = e.out_len - KB_VSOCK_HDR_SIZE;
                if (avail > KB_VSOCK_MAX_PAYLOAD)
                    avail = KB_VSOCK_MAX_PAYLOAD;
                kb_vq_elem_read(&e, 0, hdr, sizeof(hdr));
                kb_vq_elem_read(&e, KB_VSOCK_HDR_SIZE, payload, (size_t)avail);
                (void)kb_vsock_recv(b->conns, hdr, payload, avail, &err);
            }
            kb_vq_push(vq, e.head, 0);
        }
        (void)kb_vq_notify(vq, &err);
        if (!budget) {
            /* yield to the poll loop, but wake ourselves up again */
            uint64_t one = 1;
            if (vq->kick_fd >= 0 && write(vq->kick_fd, &one, sizeof(one)) < 0)
                return;
            return;
        }
        if (!kb_vq_set_notification(vq, true))
            return;
    }
}

/* host -> guest: fill rx chains while the connection table has packets */
static void process_rx(struct kb_vsock_backend *b)
{
    uint8_t *payload = b->scratch;
    struct kb_vq *vq = &b->vq[KB_VSB_RX];
    struct kb_vq_elem e;
    kb_err err;

    while (kb_vq_ready(vq) && kb_vsock_has_rx(b->conns)) {
        int r = kb_vq_pop(vq, &b->gm, &e, &err);
        if (r < 0 && vq->broken)
            return;
        if (r == 0) {
            /* out of buffers: the guest kicks when it adds some */
            if (kb_vq_set_notification(vq, true))
                continue;
            break;
        }
        if (r < 0 || e.in_len < KB_VSOCK_HDR_SIZE) {
            kb_vq_push(vq, e.head, 0);
            continue;
        }
        /* size the packet by this chain: the guest drops larger ones */
        uint64_t cap = e.in_len - KB_VSOCK_HDR_SIZE;
        uint8_t hdr[KB_VSOCK_HDR_SIZE];
        struct kb_vsock_hdr h;
        if (cap > KB_VSOCK_MAX_PAYLOAD)
            cap = KB_VSOCK_MAX_PAYLOAD;
        if (kb_vsock_next_rx(b->conns, hdr, payload, (uint32_t)cap) != 1) {
            kb_vq_unpop(vq);
            break;
        }
        kb_vsock_hdr_decode(hdr, &h);
        kb_vq_elem_write(&e, 0, hdr, sizeof(hdr));
        kb_vq_elem_write(&e, sizeof(hdr), payload, h.len);
        kb_vq_push(vq, e.head, KB_VSOCK_HDR_SIZE + h.len);
    }
    (void)kb_vq_notify(vq, &err);
}

static void process(struct kb_vsock_backend *b)
{
    process_tx(b);
    process_rx(b);
}

static struct kb_vq *ring(struct kb_vsock_backend *b, uint32_t index, kb_err *err)
{
    if (index >= KB_VSB_NQUEUES) {
        kb_error(err, EINVAL, "vhost-user: no ring %u", index);
        return NULL;
    }
    return &b->vq[index];
}

static int handle_get_config(struct kb_vsock_backend *b, struct kb_vu_msg *m, kb_err *err)
{
    struct kb_vu_config c;
    uint8_t space[8];

    if (kb_vu_get_config(m, &c, err) < 0)
        return -1;
    /* virtio_vsock_config is one le64 guest_cid; answer the window asked
     * for, zeros beyond it, so the reply has exactly the size QEMU expects */
    memcpy(space, &b->guest_cid, 8);
    memset(c.data, 0, c.size);
    for (uint32_t i = 0; i < c.size; i++)
        if ((uint64_t)c.offset + i < sizeof(space))
            c.data[i] = space[c.offset + i];
    b->config_served = true;
    return kb_vu_reply_config(b->sock, &c, err);
}

/* The requests that only change state: 0 on success. */
static int handle_set(struct kb_vsock_backend *b, struct kb_vu_msg *m, kb_err *err)
{
    struct kb_vu_state s;
    struct kb_vu_addr a;
    struct kb_vu_mem_table t;
    struct kb_vu_vring_fd vf;
    struct kb_vq *vq;
    uint64_t v;

    switch (m->request) {
    case KB_VU_SET_OWNER:
        return 0;
    case KB_VU_RESET_OWNER:
        reset_rings(b);
        return 0;
    case KB_VU_SET_FEATURES:
        if (kb_vu_get_u64(m, &v, err) < 0)
            return -1;
        if (v & ~OFFERED_FEATURES)
            return kb_error(err, EINVAL, "vhost-user: features 0x%llx never offered",
                            (unsigned long long)v);
        b->acked_features = v;
        /* features change ring handling only, never the ring state */
        for (unsigned i = 0; i < KB_VSB_NQUEUES; i++)
            kb_vq_set_features(&b->vq[i], v);
        return 0;
    case KB_VU_SET_PROTOCOL_FEATURES:
        if (kb_vu_get_u64(m, &v, err) < 0)
            return -1;
        b->protocol_features = v & OFFERED_PROTOCOL;
        return 0;
    case KB_VU_SET_MEM_TABLE:
        if (kb_vu_get_mem_table(m, &t, err) < 0)
            return -1;
        for (unsigned i = 0; i < KB_VSB_NQUEUES; i++)
            kb_vq_unmap(&b->vq[i]);
        if (kb_gm_set(&b->gm, &t, m->fds, err) < 0)
            return -1;
        for (unsigned i = 0; i < KB_VSB_NQUEUES; i++)
            if (b->vq[i].addr_set && b->vq[i].num)
                (void)kb_vq_map(&b->vq[i], &b->gm, err);
        return 0;
    case KB_VU_SET_VRING_NUM:
        if (kb_vu_get_state(m, &s, err) < 0 || !(vq = ring(b, s.index, err)))
            return -1;
        return kb_vq_set_num(vq, s.num, err);
    case KB_VU_SET_VRING_BASE:
        if (kb_vu_get_state(m, &s, err) < 0 || !(vq = ring(b, s.index, err)))
            return -1;
        vq->last_avail = (uint16_t)s.num;
        return 0;
    case KB_VU_SET_VRING_ADDR:
        if (kb_vu_get_addr(m, &a, err) < 0 || !(vq = ring(b, a.index, err)))
            return -1;
        return kb_vq_set_addr(vq, &b->gm, a.desc, a.avail, a.used, err);
    case KB_VU_SET_VRING_KICK:
    case KB_VU_SET_VRING_CALL:
    case KB_VU_SET_VRING_ERR:
        if (kb_vu_get_vring_fd(m, &vf, err) < 0 || !(vq = ring(b, vf.index, err)))
            return -1;
        if (m->request == KB_VU_SET_VRING_KICK && vf.nofd)
            return kb_error(err, ENOTSUP, "vhost-user: polled rings are not supported");
        int fd = vf.nofd ? -1 : kb_vu_msg_take_fd(m, 0);
        kb_vq_replace_fd(m->request == KB_VU_SET_VRING_KICK   ? &vq->kick_fd
                         : m->request == KB_VU_SET_VRING_CALL ? &vq->call_fd
                                                              : &vq->err_fd,
                         fd);
        return 0;
    case KB_VU_SET_VRING_ENABLE:
        if (kb_vu_get_state(m, &s, err) < 0 || !(vq = ring(b, s.index, err)))
            return -1;
        vq->enabled = s.num != 0;
        /* the guest may have queued buffers and kicked before this */
        if (vq->enabled)
            process(b);
        return 0;
    default:
        return kb_error(err, ENOTSUP, "vhost-user: %s (%u) not supported",
                        kb_vu_req_name(m->request), m->request);
    }
}

int kb_vsock_backend_handle(struct kb_vsock_backend *b, struct kb_vu_msg *m, kb_err *err)
{
    struct kb_vu_state s;
    struct kb_vq *vq;

    b->nmsgs++;
    if (kb_vu_msg_check(m, err) < 0)
        return -1;
    switch (m->request) {
    case KB_VU_GET_FEATURES:
        return kb_vu_reply_u64(b->sock, m->request, OFFERED_FEATURES, err);
    case KB_VU_GET_PROTOCOL_FEATURES:
        return kb_vu_reply_u64(b->sock, m->request, OFFERED_PROTOCOL, err);
    case KB_VU_GET_QUEUE_NUM:
        return kb_vu_reply_u64(b->sock, m->request, KB_VSB_NQUEUES, err);
    case KB_VU_GET_CONFIG:
        return handle_get_config(b, m, err);
    case KB_VU_GET_VRING_BASE:
        if (kb_vu_get_state(m, &s, err) < 0 || !(vq = ring(b, s.index, err)))
            return -1;
        /* stop the ring but keep its state: a paused VM resumes from here */
        vq->enabled = false;
        kb_vq_replace_fd(&vq->kick_fd, -1);
        s.num = vq->last_avail;
        return kb_vu_reply_state(b->sock, m->request, &s, err);
    default:
        break;
    }
    if (kb_vu_req_has_reply(m->request))
        /* a question we cannot answer: dropping the connection makes QEMU
         * fail loudly instead of waiting for ever */
        return kb_error(err, ENOTSUP, "vhost-user: %s not supported",
                        kb_vu_req_name(m->request));
    int r = handle_set(b, m, err);
    bool ack = kb_vu_msg_need_reply(m) && (b->protocol_features >> KB_VU_PROTO_F_REPLY_ACK) & 1;
    if (ack) {
        kb_err werr;
        if (kb_vu_reply_u64(b->sock, m->request, r < 0 ? 1 : 0, &werr) < 0) {
            *err = werr;
            return -1;
        }
        return 0; /* QEMU now knows; the connection stays */
    }
    return r;
}

unsigned kb_vsock_backend_pollfds(struct kb_vsock_backend *b, struct pollfd *pfd, unsigned max)
{
    unsigned n = 0, slots[KB_VSOCK_MAX_CONNS];

    if (max > KB_VSB_MAX_POLL)
        max = KB_VSB_MAX_POLL;
#define ADD(fd_, ev_, kind_, idx_)                                                          \
    do {                                                                                    \
        if (n < max) {                                                                      \
            pfd[n] = (struct pollfd){ .fd = (fd_), .events = (ev_) };                       \
            b->poll_map[n].kind = (kind_);                                                  \
            b->poll_map[n++].idx = (idx_);                                                  \
        }                                                                                   \
    } while (0)
    if (b->sock < 0 && b->listen_fd >= 0)
        ADD(b->listen_fd, POLLIN, P_LISTEN, 0);
    if (b->sock >= 0)
        ADD(b->sock, POLLIN, P_SOCK, 0);
    for (unsigned i = 0; i < KB_VSB_NQUEUES; i++)
        if (b->vq[i].kick_fd >= 0)
            ADD(b->vq[i].kick_fd, POLLIN, P_KICK, i);
    unsigned first = n;
    n += kb_hybrid_pollfds(&b->hybrid, pfd + n, max - n);
    for (unsigned i = first; i < n; i++)
        b->poll_map[i] = (typeof(b->poll_map[i])){ P_HYBRID, 0 };
    first = n;
    unsigned k = kb_vsock_pollfds(b->conns, pfd + n, slots, max - n);
    for (unsigned i = 0; i < k; i++)
        b->poll_map[first + i] = (typeof(b->poll_map[i])){ P_CONN, slots[i] };
    n += k;
#undef ADD
    b->npoll = n;
    return n;
}

static int on_sock(struct kb_vsock_backend *b, kb_err *err)
{
    struct kb_vu_msg m;
    int r = kb_vu_recv(b->sock, &m, err);

    if (r < 0 && err->errnum == EAGAIN)
        return 0;
    if (r <= 0) {
        drop_frontend(b);
        return 0;
    }
    r = kb_vsock_backend_handle(b, &m, err);
    kb_vu_msg_fini(&m);
    if (r < 0)
        drop_frontend(b); /* QEMU reports the broken device; we carry on */
    return 0;
}

int kb_vsock_backend_dispatch(struct kb_vsock_backend *b, const struct pollfd *pfd, unsigned n,
                              kb_err *err)
{
    int fd, port_fd;
    uint32_t port;
    kb_err cerr;

    if (n > b->npoll)
        n = b->npoll;
    for (unsigned i = 0; i < n; i++) {
        if (!pfd[i].revents)
            continue;
        switch (b->poll_map[i].kind) {
        case P_LISTEN:
            fd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0 && b->sock < 0)
                b->sock = fd; /* blocking: replies are written whole */
            else if (fd >= 0)
                close(fd);
            break;
        case P_SOCK:
            if (b->sock >= 0 && on_sock(b, err) < 0)
                return -1;
            break;
        case P_KICK:
            kb_vq_drain_kick(&b->vq[b->poll_map[i].idx]);
            break;
        case P_HYBRID:
            if (kb_hybrid_event(&b->hybrid, pfd[i].fd, &port_fd, &port) == 1)
                (void)kb_vsock_connect_guest(b->conns, port_fd, port, &cerr);
            break;
        case P_CONN:
            kb_vsock_host_event(b->conns, b->poll_map[i].idx, pfd[i].revents);
            break;
        }
    }
    kb_vsock_tick(b->conns, kb_now_ns());
    b->npoll = 0; /* fds may have changed: pollfds again before dispatch */
    process(b);
    return 0;
}

int kb_vsock_backend_run_once(struct kb_vsock_backend *b, int timeout_ms, kb_err *err)
{
    struct pollfd pfd[KB_VSB_MAX_POLL];
    unsigned n = kb_vsock_backend_pollfds(b, pfd, KB_VSB_MAX_POLL);
    int r = poll(pfd, n, timeout_ms);

    if (r < 0 && errno != EINTR)
        return kb_error_errno(err, "poll");
    return r > 0 ? kb_vsock_backend_dispatch(b, pfd, n, err) : 0;
}
