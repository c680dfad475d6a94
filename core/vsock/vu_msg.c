#include "vu_msg.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util.h"

/* QEMU writes a whole message at once; once its first byte is here the
 * rest follows at once, so a stall this long means a broken front-end */
#define PART_TIMEOUT_MS 1000

void kb_vu_msg_init(struct kb_vu_msg *m)
{
    m->request = m->flags = m->size = 0;
    m->nfds = 0;
    for (unsigned i = 0; i < KB_VU_MAX_FDS; i++)
        m->fds[i] = -1;
}

void kb_vu_msg_fini(struct kb_vu_msg *m)
{
    for (unsigned i = 0; i < KB_VU_MAX_FDS; i++) {
        if (m->fds[i] >= 0)
            close(m->fds[i]);
        m->fds[i] = -1;
    }
    m->nfds = 0;
}

int kb_vu_msg_take_fd(struct kb_vu_msg *m, unsigned i)
{
    if (i >= m->nfds)
        return -1;
    int fd = m->fds[i];
    m->fds[i] = -1;
    return fd;
}

static void collect_fds(struct kb_vu_msg *m, struct msghdr *mh)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
            if (m->nfds < KB_VU_MAX_FDS)
                m->fds[m->nfds++] = fd;
            else
                close(fd);
        }
    }
}

/* Read exactly len bytes into buf, gathering fds; *got counts progress so
 * the caller can tell EOF-before-anything from a torn message. */
static int read_part(int sock, struct kb_vu_msg *m, uint8_t *buf, size_t len, size_t *got,
                     kb_err *err)
{
    _Alignas(struct cmsghdr) char ctl[CMSG_SPACE(KB_VU_MAX_FDS * sizeof(int))];
    size_t done = 0;

    while (done < len) {
        struct iovec iov = { buf + done, len - done };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = ctl, .msg_controllen = sizeof(ctl) };
        ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            if (*got == 0)
                return kb_error(err, EAGAIN, "vhost-user: no message yet");
            struct pollfd p = { .fd = sock, .events = POLLIN };
            int r = poll(&p, 1, PART_TIMEOUT_MS);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return kb_error(err, ETIMEDOUT, "vhost-user: message cut short");
            continue;
        }
        if (n < 0)
            return kb_error_errno(err, "vhost-user: recvmsg");
        collect_fds(m, &mh);
        if (mh.msg_flags & MSG_CTRUNC)
            return kb_error(err, EPROTO, "vhost-user: more than %d fds attached", KB_VU_MAX_FDS);
        if (n == 0)
            return *got == 0 ? 0 : kb_error(err, EPROTO, "vhost-user: EOF inside a message");
        done += (size_t)n;
        *got += (size_t)n;
    }
    return 1;
}

int kb_vu_recv(int sock, struct kb_vu_msg *m, kb_err *err)
{
    uint8_t hdr[KB_VU_HDR_SIZE];
    size_t got = 0;
    int r;

    kb_vu_msg_init(m);
    r = read_part(sock, m, hdr, sizeof(hdr), &got, err);
    if (r <= 0)
        goto fail;
    memcpy(&m->request, hdr, 4);
    memcpy(&m->flags, hdr + 4, 4);
    memcpy(&m->size, hdr + 8, 4);
    if (m->size > KB_VU_MAX_PAYLOAD) {
        r = kb_error(err, EPROTO, "vhost-user: %s payload of %u bytes exceeds %u",
                     kb_vu_req_name(m->request), m->size, KB_VU_MAX_PAYLOAD);
        goto fail;
    }
    if (m->size > 0) {
        r = read_part(sock, m, m->payload, m->size, &got, err);
        if (r == 0)
            r = kb_error(err, EPROTO, "vhost-user: EOF inside a message");
        if (r < 0)
            goto fail;
    }
    return 1;
fail:
    kb_vu_msg_fini(m);
    return r;
}

bool kb_vu_msg_need_reply(const struct kb_vu_msg *m)
{
    return (m->flags & KB_VU_FLAG_NEED_REPLY) != 0;
}

bool kb_vu_req_has_reply(uint32_t request)
{
    switch (request) {
    case KB_VU_GET_FEATURES:
    case KB_VU_GET_PROTOCOL_FEATURES:
    case KB_VU_GET_QUEUE_NUM:
    case KB_VU_GET_VRING_BASE:
    case KB_VU_GET_CONFIG:
    case KB_VU_GET_INFLIGHT_FD:
    case KB_VU_GET_MAX_MEM_SLOTS:
    case KB_VU_GET_STATUS:
        return true;
    default:
        return false;
    }
}

const char *kb_vu_req_name(uint32_t request)
{
    static const char *const names[] = {
        [KB_VU_GET_FEATURES] = "GET_FEATURES", [KB_VU_SET_FEATURES] = "SET_FEATURES",
        [KB_VU_SET_OWNER] = "SET_OWNER", [KB_VU_RESET_OWNER] = "RESET_OWNER",
        [KB_VU_SET_MEM_TABLE] = "SET_MEM_TABLE", [KB_VU_SET_LOG_BASE] = "SET_LOG_BASE",
        [KB_VU_SET_LOG_FD] = "SET_LOG_FD", [KB_VU_SET_VRING_NUM] = "SET_VRING_NUM",
        [KB_VU_SET_VRING_ADDR] = "SET_VRING_ADDR", [KB_VU_SET_VRING_BASE] = "SET_VRING_BASE",
        [KB_VU_GET_VRING_BASE] = "GET_VRING_BASE", [KB_VU_SET_VRING_KICK] = "SET_VRING_KICK",
        [KB_VU_SET_VRING_CALL] = "SET_VRING_CALL", [KB_VU_SET_VRING_ERR] = "SET_VRING_ERR",
        [KB_VU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
        [KB_VU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
        [KB_VU_GET_QUEUE_NUM] = "GET_QUEUE_NUM", [KB_VU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
        [KB_VU_SET_SLAVE_REQ_FD] = "SET_SLAVE_REQ_FD", [KB_VU_GET_CONFIG] = "GET_CONFIG",
        [KB_VU_SET_CONFIG] = "SET_CONFIG", [KB_VU_GET_INFLIGHT_FD] = "GET_INFLIGHT_FD",
        [KB_VU_SET_INFLIGHT_FD] = "SET_INFLIGHT_FD", [KB_VU_RESET_DEVICE] = "RESET_DEVICE",
        [KB_VU_GET_MAX_MEM_SLOTS] = "GET_MAX_MEM_SLOTS", [KB_VU_ADD_MEM_REG] = "ADD_MEM_REG",
        [KB_VU_REM_MEM_REG] = "REM_MEM_REG", [KB_VU_SET_STATUS] = "SET_STATUS",
        [KB_VU_GET_STATUS] = "GET_STATUS",
    };
    if (request < KB_ARRAY_SIZE(names) && names[request])
        return names[request];
    return "?";
}

/* How many fds a well-formed request carries (-1: depends, checked by
 * the decoder). */
static int expected_fds(const struct kb_vu_msg *m)
{
    uint64_t v;

    switch (m->request) {
    case KB_VU_SET_MEM_TABLE:
        return -1;
    case KB_VU_SET_VRING_KICK:
    case KB_VU_SET_VRING_CALL:
    case KB_VU_SET_VRING_ERR:
        if (m->size != 8)
            return 0;
        memcpy(&v, m->payload, 8);
        return (v & KB_VU_VRING_NOFD) ? 0 : 1;
    case KB_VU_SET_LOG_BASE:
        return -1;
    case KB_VU_SET_LOG_FD:
    case KB_VU_SET_SLAVE_REQ_FD:
    case KB_VU_SET_INFLIGHT_FD:
    case KB_VU_ADD_MEM_REG:
        return 1;
    default:
        return 0;
    }
}

int kb_vu_msg_check(struct kb_vu_msg *m, kb_err *err)
{
    if ((m->flags & 0x3) != KB_VU_VERSION)
        return kb_error(err, EPROTO, "vhost-user: %s with version %u, want 1",
                        kb_vu_req_name(m->request), m->flags & 0x3);
    if (m->flags & KB_VU_FLAG_REPLY)
        return kb_error(err, EPROTO, "vhost-user: %s has the reply flag set",
                        kb_vu_req_name(m->request));
    int want = expected_fds(m);
    if (want == -1 && m->request == KB_VU_SET_MEM_TABLE) {
        uint32_t n = 0;
        if (m->size >= 4)
            memcpy(&n, m->payload, 4);
        want = n <= KB_VU_MAX_FDS ? (int)n : KB_VU_MAX_FDS;
    } else if (want == -1) {
        want = m->nfds > 0 ? 1 : 0; /* SET_LOG_BASE: fd only with LOG_SHMFD */
    }
    if (m->nfds < (unsigned)want)
        return kb_error(err, EPROTO, "vhost-user: %s carries %u fds, want %d",
                        kb_vu_req_name(m->request), m->nfds, want);
    for (unsigned i = (unsigned)want; i < m->nfds; i++) {
        if (m->fds[i] >= 0)
            close(m->fds[i]);
        m->fds[i] = -1;
    }
    m->nfds = (unsigned)want;
    return 0;
}

static int want_size(const struct kb_vu_msg *m, uint32_t size, kb_err *err)
{
    if (m->size != size)
        return kb_error(err, EPROTO, "vhost-user: %s payload is %u bytes, want %u",
                        kb_vu_req_name(m->request), m->size, size);
    return 0;
}

int kb_vu_get_u64(const struct kb_vu_msg *m, uint64_t *v, kb_err *err)
{
    if (want_size(m, 8, err) < 0)
        return -1;
    memcpy(v, m->payload, 8);
    return 0;
}

int kb_vu_get_state(const struct kb_vu_msg *m, struct kb_vu_state *s, kb_err *err)
{
    if (want_size(m, 8, err) < 0)
        return -1;
    memcpy(&s->index, m->payload, 4);
    memcpy(&s->num, m->payload + 4, 4);
    return 0;
}

int kb_vu_get_addr(const struct kb_vu_msg *m, struct kb_vu_addr *a, kb_err *err)
{
    if (want_size(m, 40, err) < 0)
        return -1;
    memcpy(&a->index, m->payload, 4);
    memcpy(&a->flags, m->payload + 4, 4);
    memcpy(&a->desc, m->payload + 8, 8);
    memcpy(&a->used, m->payload + 16, 8); /* used comes before avail on the wire */
    memcpy(&a->avail, m->payload + 24, 8);
    memcpy(&a->log, m->payload + 32, 8);
    return 0;
}

int kb_vu_get_mem_table(const struct kb_vu_msg *m, struct kb_vu_mem_table *t, kb_err *err)
{
    uint32_t n;

    if (m->size < 8)
        return kb_error(err, EPROTO, "vhost-user: SET_MEM_TABLE payload of %u bytes", m->size);
    memcpy(&n, m->payload, 4);
    if (n == 0 || n > KB_VU_MAX_REGIONS)
        return kb_error(err, EPROTO, "vhost-user: SET_MEM_TABLE with %u regions", n);
    /* QEMU sends only the n regions; older front-ends sent all 8 slots */
    if (m->size != 8 + 32 * n && m->size != 8 + 32 * KB_VU_MAX_REGIONS)
        return kb_error(err, EPROTO, "vhost-user: SET_MEM_TABLE of %u regions in %u bytes", n,
                        m->size);
    if (m->nfds != n)
        return kb_error(err, EPROTO, "vhost-user: SET_MEM_TABLE of %u regions with %u fds", n,
                        m->nfds);
    t->n = n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *p = m->payload + 8 + 32 * i;
        memcpy(&t->r[i].gpa, p, 8);
        memcpy(&t->r[i].size, p + 8, 8);
        memcpy(&t->r[i].uaddr, p + 16, 8);
        memcpy(&t->r[i].mmap_offset, p + 24, 8);
    }
    return 0;
}

int kb_vu_get_config(const struct kb_vu_msg *m, struct kb_vu_config *c, kb_err *err)
{
    if (m->size < 12)
        return kb_error(err, EPROTO, "vhost-user: %s payload of %u bytes",
                        kb_vu_req_name(m->request), m->size);
    memcpy(&c->offset, m->payload, 4);
    memcpy(&c->size, m->payload + 4, 4);
    memcpy(&c->flags, m->payload + 8, 4);
    if (c->size > KB_VU_MAX_CONFIG || m->size != 12 + c->size)
        return kb_error(err, EPROTO, "vhost-user: %s of %u config bytes in a %u-byte payload",
                        kb_vu_req_name(m->request), c->size, m->size);
    memcpy(c->data, m->payload + 12, c->size);
    return 0;
}

int kb_vu_get_vring_fd(const struct kb_vu_msg *m, struct kb_vu_vring_fd *v, kb_err *err)
{
    uint64_t u;

    if (kb_vu_get_u64(m, &u, err) < 0)
        return -1;
    if (u & ~(uint64_t)(KB_VU_VRING_IDX_MASK | KB_VU_VRING_NOFD))
        return kb_error(err, EPROTO, "vhost-user: %s with unknown bits 0x%llx",
                        kb_vu_req_name(m->request), (unsigned long long)u);
    v->index = (uint32_t)(u & KB_VU_VRING_IDX_MASK);
    v->nofd = (u & KB_VU_VRING_NOFD) != 0;
    if (!v->nofd && m->nfds != 1)
        return kb_error(err, EPROTO, "vhost-user: %s without its fd", kb_vu_req_name(m->request));
    return 0;
}

int kb_vu_send(int sock, uint32_t request, uint32_t flags, const void *payload, uint32_t size,
               const int *fds, unsigned nfds, kb_err *err)
{
    uint8_t hdr[KB_VU_HDR_SIZE];
    _Alignas(struct cmsghdr) char ctl[CMSG_SPACE(KB_VU_MAX_FDS * sizeof(int))];
    struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)payload, size } };
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
    size_t total = sizeof(hdr) + size;

    if (nfds > KB_VU_MAX_FDS || size > KB_VU_MAX_PAYLOAD)
        return kb_error(err, EINVAL, "vhost-user: message too large to send");
    memcpy(hdr, &request, 4);
    memcpy(hdr + 4, &flags, 4);
    memcpy(hdr + 8, &size, 4);
    if (nfds) {
        memset(ctl, 0, sizeof(ctl));
        mh.msg_control = ctl;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return kb_error_errno(err, "vhost-user: send %s", kb_vu_req_name(request));
    /* a short send on a unix stream means a full buffer: finish plainly,
     * the fds went with the first byte */
    if ((size_t)n < total) {
        uint8_t all[KB_VU_HDR_SIZE + KB_VU_MAX_PAYLOAD];
        memcpy(all, hdr, sizeof(hdr));
        if (size)
            memcpy(all + sizeof(hdr), payload, size);
        if (kb_write_all(sock, all + n, total - (size_t)n) < 0)
            return kb_error_errno(err, "vhost-user: send %s", kb_vu_req_name(request));
    }
    return 0;
}

int kb_vu_reply(int sock, uint32_t request, const void *payload, uint32_t size, kb_err *err)
{
    return kb_vu_send(sock, request, KB_VU_VERSION | KB_VU_FLAG_REPLY, payload, size, NULL, 0,
                      err);
}

int kb_vu_reply_u64(int sock, uint32_t request, uint64_t v, kb_err *err)
{
    return kb_vu_reply(sock, request, &v, sizeof(v), err);
}

int kb_vu_reply_state(int sock, uint32_t request, const struct kb_vu_state *s, kb_err *err)
{
    uint8_t p[8];

    memcpy(p, &s->index, 4);
    memcpy(p + 4, &s->num, 4);
    return kb_vu_reply(sock, request, p, sizeof(p), err);
}

int kb_vu_reply_config(int sock, const struct kb_vu_config *c, kb_err *err)
{
    uint8_t p[12 + KB_VU_MAX_CONFIG];

    if (c->size > KB_VU_MAX_CONFIG)
        return kb_error(err, EINVAL, "vhost-user: config reply of %u bytes", c->size);
    memcpy(p, &c->offset, 4);
    memcpy(p + 4, &c->size, 4);
    memcpy(p + 8, &c->flags, 4);
    memcpy(p + 12, c->data, c->size);
    return kb_vu_reply(sock, KB_VU_GET_CONFIG, p, 12 + c->size, err);
}
