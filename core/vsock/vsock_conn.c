#include "vsock_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../util.h"
#include "vsock_conn_priv.h"

/* tell the guest about freed space once its view of our free space drops
 * below this, so it never stalls on a stale fwd_cnt */
#define CREDIT_LOW (KB_VSOCK_BUF_ALLOC / 2)

void kb_vsock_init(struct kb_vsock_table *t, uint64_t guest_cid, const struct kb_vsock_ops *ops)
{
    memset(t, 0, sizeof(*t));
    t->guest_cid = guest_cid;
    if (ops)
        t->ops = *ops;
    t->next_local_port = KB_VSOCK_LOCAL_PORT_BASE;
    for (unsigned i = 0; i < KB_VSOCK_MAX_CONNS; i++)
        t->c[i].fd = -1;
}

static void conn_free(struct kb_vsock_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

void kb_vsock_fini(struct kb_vsock_table *t)
{
    for (unsigned i = 0; i < KB_VSOCK_MAX_CONNS; i++)
        conn_free(&t->c[i]);
    t->nrst = 0;
}

struct kb_vsock_conn *kb_vsock_find(struct kb_vsock_table *t, uint32_t guest_port,
                                    uint32_t host_port)
{
    for (unsigned i = 0; i < KB_VSOCK_MAX_CONNS; i++) {
        struct kb_vsock_conn *c = &t->c[i];
        if (c->state != KB_VC_FREE && c->guest_port == guest_port && c->host_port == host_port)
            return c;
    }
    return NULL;
}

static void queue_rst(struct kb_vsock_table *t, uint32_t guest_port, uint32_t host_port)
{
    if (t->nrst < KB_VSOCK_RST_QUEUE)
        t->rst[t->nrst++] = (struct kb_vsock_rst){ guest_port, host_port };
}

void kb_vsock_conn_reset(struct kb_vsock_table *t, struct kb_vsock_conn *c)
{
    queue_rst(t, c->guest_port, c->host_port);
    conn_free(c);
}

uint32_t kb_vsock_peer_free(const struct kb_vsock_conn *c)
{
    uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;
    return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

static void credit_check(struct kb_vsock_conn *c)
{
    uint32_t guest_view_used = c->rx_cnt - c->fwd_cnt_sent;
    if (c->fwd_cnt != c->fwd_cnt_sent && KB_VSOCK_BUF_ALLOC - guest_view_used < CREDIT_LOW)
        c->pending |= PEND_CREDIT_UPDATE;
}

int kb_vsock_conn_flush(struct kb_vsock_conn *c)
{
    while (c->blen > 0) {
        struct iovec iov[2];
        uint32_t first = KB_VSOCK_BUF_ALLOC - c->head;
        int n_iov = 1;
        if (first >= c->blen) {
            iov[0] = (struct iovec){ c->buf + c->head, c->blen };
        } else {
            iov[0] = (struct iovec){ c->buf + c->head, first };
            iov[1] = (struct iovec){ c->buf, c->blen - first };
            n_iov = 2;
        }
        ssize_t n = writev(c->fd, iov, n_iov);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0)
            return -1;
        c->head = (uint32_t)((c->head + (uint32_t)n) % KB_VSOCK_BUF_ALLOC);
        c->blen -= (uint32_t)n;
        c->fwd_cnt += (uint32_t)n;
    }
    if (c->blen == 0 && (c->peer_shut & KB_VSOCK_SHUT_SEND) && !c->host_wr_shut) {
        shutdown(c->fd, SHUT_WR);
        c->host_wr_shut = true;
    }
    credit_check(c);
    return 0;
}

static void take_credit(struct kb_vsock_conn *c, const struct kb_vsock_hdr *h)
{
    c->peer_buf_alloc = h->buf_alloc;
    c->peer_fwd_cnt = h->fwd_cnt;
    if (kb_vsock_peer_free(c) > 0)
        c->credit_requested = false;
}

static struct kb_vsock_conn *free_slot(struct kb_vsock_table *t)
{
    for (unsigned i = 0; i < KB_VSOCK_MAX_CONNS; i++)
        if (t->c[i].state == KB_VC_FREE)
            return &t->c[i];
    return NULL;
}

static int conn_open(struct kb_vsock_conn *c, int fd, uint32_t guest_port, uint32_t host_port)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    c->buf = malloc(KB_VSOCK_BUF_ALLOC);
    if (!c->buf)
        return -1;
    c->fd = fd;
    c->guest_port = guest_port;
    c->host_port = host_port;
    return 0;
}

static int on_request(struct kb_vsock_table *t, const struct kb_vsock_hdr *h, kb_err *err)
{
    struct kb_vsock_conn *c = free_slot(t);
    kb_err cerr;

    if (!c || !t->ops.connect) {
        queue_rst(t, h->src_port, h->dst_port);
        return kb_error(err, EMFILE, "vsock: no room for a connection to port %u", h->dst_port);
    }
    int fd = t->ops.connect(t->ops.ctx, h->dst_port, &cerr);
    if (fd < 0) {
        queue_rst(t, h->src_port, h->dst_port); /* nobody listening: not an attack */
        return 0;
    }
    if (conn_open(c, fd, h->src_port, h->dst_port) < 0) {
        close(fd);
        queue_rst(t, h->src_port, h->dst_port);
        return kb_error(err, ENOMEM, "vsock: connection buffer");
    }
    c->state = KB_VC_CONNECTED;
    c->pending = PEND_RESPONSE;
    c->tx_cnt = h->fwd_cnt; /* nothing in flight yet */
    take_credit(c, h);
    return 0;
}

static int on_response(struct kb_vsock_table *t, struct kb_vsock_conn *c,
                       const struct kb_vsock_hdr *h, kb_err *err)
{
    char line[32];
    int n;

    if (c->state != KB_VC_CONNECTING) {
        kb_vsock_conn_reset(t, c);
        return kb_error(err, EPROTO, "vsock: RESPONSE on an established connection");
    }
    c->state = KB_VC_CONNECTED;
    c->tx_cnt = h->fwd_cnt;
    take_credit(c, h);
    n = snprintf(line, sizeof(line), "OK %u\n", c->host_port);
    if (kb_write_all(c->fd, line, (size_t)n) < 0)
        kb_vsock_conn_reset(t, c); /* the host client left meanwhile */
    return 0;
}

static int on_shutdown(struct kb_vsock_table *t, struct kb_vsock_conn *c,
                       const struct kb_vsock_hdr *h)
{
    c->peer_shut |= h->flags;
    if (c->state == KB_VC_CLOSING ||
        c->peer_shut == (KB_VSOCK_SHUT_RCV | KB_VSOCK_SHUT_SEND)) {
        /* the guest is done both ways: hand over what we hold, then RST */
        (void)kb_vsock_conn_flush(c);
        kb_vsock_conn_reset(t, c);
        return 0;
    }
    if (kb_vsock_conn_flush(c) < 0)
        kb_vsock_conn_reset(t, c);
    return 0;
}

static int on_rw(struct kb_vsock_table *t, struct kb_vsock_conn *c, const struct kb_vsock_hdr *h,
                 const uint8_t *payload, kb_err *err)
{
    if (c->state == KB_VC_CLOSING)
        return 0; /* we said we receive no more; the RST is coming */
    if (c->peer_shut & KB_VSOCK_SHUT_SEND) {
        kb_vsock_conn_reset(t, c);
        return kb_error(err, EPROTO, "vsock: data after the guest's SHUTDOWN(SEND)");
    }
    if (h->len > KB_VSOCK_BUF_ALLOC - c->blen) {
        kb_vsock_conn_reset(t, c);
        return kb_error(err, ENOBUFS, "vsock: %u bytes beyond the credit we gave (%u free)",
                        h->len, KB_VSOCK_BUF_ALLOC - c->blen);
    }
    uint32_t tail = (c->head + c->blen) % KB_VSOCK_BUF_ALLOC;
    uint32_t first = KB_VSOCK_BUF_ALLOC - tail;
    if (first > h->len)
        first = h->len;
    memcpy(c->buf + tail, payload, first);
    memcpy(c->buf, payload + first, h->len - first);
    c->blen += h->len;
    c->rx_cnt += h->len;
    if (kb_vsock_conn_flush(c) < 0)
        kb_vsock_conn_reset(t, c);
    return 0;
}

int kb_vsock_recv(struct kb_vsock_table *t, const uint8_t *raw, const uint8_t *payload,
                  uint64_t avail, kb_err *err)
{
    struct kb_vsock_hdr h;
    struct kb_vsock_conn *c;

    kb_vsock_hdr_decode(raw, &h);
    c = kb_vsock_find(t, h.src_port, h.dst_port);
    if (kb_vsock_hdr_check(&h, t->guest_cid, avail, err) < 0) {
        /* never answer an RST, however malformed, with an RST */
        if (c && h.op == KB_VSOCK_OP_RST)
            conn_free(c);
        else if (c)
            kb_vsock_conn_reset(t, c);
        else if (h.op != KB_VSOCK_OP_RST)
            queue_rst(t, h.src_port, h.dst_port);
        return -1;
    }
    if (h.op == KB_VSOCK_OP_REQUEST) {
        if (c) {
            kb_vsock_conn_reset(t, c);
            return kb_error(err, EPROTO, "vsock: REQUEST on a live connection %u:%u",
                            h.src_port, h.dst_port);
        }
        return on_request(t, &h, err);
    }
    if (!c) {
        if (h.op != KB_VSOCK_OP_RST)
            queue_rst(t, h.src_port, h.dst_port);
        return 0;
    }
    if (h.op == KB_VSOCK_OP_RST) {
        conn_free(c);
        return 0;
    }
    if (c->state != KB_VC_CONNECTING) {
        /* the guest can only acknowledge bytes we sent */
        if ((uint32_t)(h.fwd_cnt - c->peer_fwd_cnt) > (uint32_t)(c->tx_cnt - c->peer_fwd_cnt)) {
            kb_vsock_conn_reset(t, c);
            return kb_error(err, EPROTO, "vsock: guest acknowledges bytes never sent");
        }
        take_credit(c, &h);
    } else if (h.op != KB_VSOCK_OP_RESPONSE) {
        kb_vsock_conn_reset(t, c);
        return kb_error(err, EPROTO, "vsock: %s before RESPONSE", kb_vsock_op_name(h.op));
    }
    switch (h.op) {
    case KB_VSOCK_OP_RESPONSE:
        return on_response(t, c, &h, err);
    case KB_VSOCK_OP_SHUTDOWN:
        return on_shutdown(t, c, &h);
    case KB_VSOCK_OP_RW:
        return on_rw(t, c, &h, payload, err);
    case KB_VSOCK_OP_CREDIT_REQUEST:
        c->pending |= PEND_CREDIT_UPDATE;
        return 0;
    default: /* CREDIT_UPDATE: the credit was taken above */
        return 0;
    }
}

int kb_vsock_connect_guest(struct kb_vsock_table *t, int fd, uint32_t guest_port, kb_err *err)
{
    struct kb_vsock_conn *c = free_slot(t);
    uint32_t port = 0;

    if (!c) {
        close(fd);
        return kb_error(err, EMFILE, "vsock: too many connections");
    }
    /* a local port no live connection uses; bounded: at most MAX_CONNS clash */
    for (unsigned tries = 0; tries <= KB_VSOCK_MAX_CONNS; tries++) {
        uint32_t p = t->next_local_port++;
        if (t->next_local_port >= 2 * KB_VSOCK_LOCAL_PORT_BASE)
            t->next_local_port = KB_VSOCK_LOCAL_PORT_BASE;
        bool used = false;
        for (unsigned i = 0; i < KB_VSOCK_MAX_CONNS && !used; i++)
            used = t->c[i].state != KB_VC_FREE && t->c[i].host_port == p;
        if (!used) {
            port = p;
            break;
        }
    }
    if (conn_open(c, fd, guest_port, port) < 0) {
        close(fd);
        return kb_error(err, ENOMEM, "vsock: connection buffer");
    }
    c->state = KB_VC_CONNECTING;
    c->pending = PEND_REQUEST;
    return 0;
}
