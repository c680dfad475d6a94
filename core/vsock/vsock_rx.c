/* The guest-bound half of the connection table: which packet the guest
 * gets next (RSTs first, then connections round-robin, control before
 * data, data only within the guest's credit), and the host fds' events. */
#include "vsock_conn.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../util.h"
#include "vsock_conn_priv.h"

static bool wants_data(const struct kb_vsock_conn *c)
{
    return c->state == KB_VC_CONNECTED && c->readable && !c->host_eof &&
           !(c->peer_shut & KB_VSOCK_SHUT_RCV);
}

static bool conn_has_rx(const struct kb_vsock_conn *c)
{
    if (c->state == KB_VC_FREE)
        return false;
    if (c->pending)
        return true;
    return wants_data(c) && (kb_vsock_peer_free(c) > 0 || !c->credit_requested);
}

bool kb_vsock_has_rx(const struct kb_vsock_table *t)
{
    if (t->nrst)
        return true;
    for (unsigned i = 0; i < KB_VSOCK_MAX_CONNS; i++)
        if (conn_has_rx(&t->c[i]))
            return true;
    return false;
}

static void fill(const struct kb_vsock_table *t, struct kb_vsock_conn *c, struct kb_vsock_hdr *h,
                 uint16_t op)
{
    *h = (struct kb_vsock_hdr){ .src_cid = KB_VSOCK_CID_HOST, .dst_cid = t->guest_cid,
                                .src_port = c->host_port, .dst_port = c->guest_port,
                                .type = KB_VSOCK_TYPE_STREAM, .op = op,
                                .buf_alloc = KB_VSOCK_BUF_ALLOC, .fwd_cnt = c->fwd_cnt };
    /* every packet carries our fwd_cnt, so it is a credit update too */
    c->fwd_cnt_sent = c->fwd_cnt;
    c->pending &= ~PEND_CREDIT_UPDATE;
}

/* One packet from connection c, or 0. */
static int conn_next(struct kb_vsock_table *t, struct kb_vsock_conn *c, struct kb_vsock_hdr *h,
                     uint8_t *payload, uint32_t cap)
{
    static const struct { unsigned bit; uint16_t op; } ctl[] = {
        { PEND_REQUEST, KB_VSOCK_OP_REQUEST }, { PEND_RESPONSE, KB_VSOCK_OP_RESPONSE },
        { PEND_CREDIT_REQUEST, KB_VSOCK_OP_CREDIT_REQUEST },
        { PEND_CREDIT_UPDATE, KB_VSOCK_OP_CREDIT_UPDATE },
    };
    for (unsigned i = 0; i < KB_ARRAY_SIZE(ctl); i++) {
        if (!(c->pending & ctl[i].bit))
            continue;
        c->pending &= ~ctl[i].bit;
        fill(t, c, h, ctl[i].op);
        return 1;
    }
    if (!wants_data(c) || cap == 0)
        return 0;
    uint32_t credit = kb_vsock_peer_free(c);
    if (credit == 0) {
        if (c->credit_requested)
            return 0;
        c->credit_requested = true;
        fill(t, c, h, KB_VSOCK_OP_CREDIT_REQUEST);
        return 1;
    }
    uint32_t n = cap < credit ? cap : credit;
    if (n > KB_VSOCK_MAX_PAYLOAD)
        n = KB_VSOCK_MAX_PAYLOAD;
    ssize_t r;
    do
        r = read(c->fd, payload, n);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno == EAGAIN) {
        c->readable = false;
        return 0;
    }
    if (r < 0) {
        kb_vsock_conn_reset(t, c);
        return 0;
    }
    if (r == 0) {
        /* the host side closed: tell the guest, wait for its RST */
        c->host_eof = true;
        c->readable = false;
        c->state = KB_VC_CLOSING;
        fill(t, c, h, KB_VSOCK_OP_SHUTDOWN);
        h->flags = KB_VSOCK_SHUT_RCV | KB_VSOCK_SHUT_SEND;
        return 1;
    }
    fill(t, c, h, KB_VSOCK_OP_RW);
    h->len = (uint32_t)r;
    c->tx_cnt += (uint32_t)r;
    return 1;
}

int kb_vsock_next_rx(struct kb_vsock_table *t, uint8_t *raw, uint8_t *payload, uint32_t cap)
{
    struct kb_vsock_hdr h;

    if (t->nrst) {
        struct kb_vsock_rst r = t->rst[0];
        memmove(t->rst, t->rst + 1, (t->nrst - 1) * sizeof(t->rst[0]));
        t->nrst--;
        h = (struct kb_vsock_hdr){ .src_cid = KB_VSOCK_CID_HOST, .dst_cid = t->guest_cid,
                                   .src_port = r.host_port, .dst_port = r.guest_port,
                                   .type = KB_VSOCK_TYPE_STREAM, .op = KB_VSOCK_OP_RST };
        kb_vsock_hdr_encode(&h, raw);
        return 1;
    }
    for (unsigned k = 0; k < KB_VSOCK_MAX_CONNS; k++) {
        unsigned i = (t->rr + k) % KB_VSOCK_MAX_CONNS;
        struct kb_vsock_conn *c = &t->c[i];
        if (c->state == KB_VC_FREE)
            continue;
        if (conn_next(t, c, &h, payload, cap) == 1) {
            kb_vsock_hdr_encode(&h, raw);
            t->rr = (i + 1) % KB_VSOCK_MAX_CONNS;
            return 1;
        }
        /* a read error may have reset c: its RST goes first */
        if (t->nrst)
            return kb_vsock_next_rx(t, raw, payload, cap);
    }
    return 0;
}

unsigned kb_vsock_pollfds(const struct kb_vsock_table *t, struct pollfd *pfd, unsigned *slots,
                          unsigned max)
{
    unsigned n = 0;

    for (unsigned i = 0; i < KB_VSOCK_MAX_CONNS && n < max; i++) {
        const struct kb_vsock_conn *c = &t->c[i];
        short ev = 0;
        if (c->state == KB_VC_FREE || c->fd < 0)
            continue;
        if (c->state == KB_VC_CONNECTED && !c->readable && !c->host_eof &&
            !(c->peer_shut & KB_VSOCK_SHUT_RCV) && kb_vsock_peer_free(c) > 0)
            ev |= POLLIN;
        if (c->blen)
            ev |= POLLOUT;
        if (!ev)
            continue;
        pfd[n] = (struct pollfd){ .fd = c->fd, .events = ev };
        slots[n++] = i;
    }
    return n;
}

void kb_vsock_host_event(struct kb_vsock_table *t, unsigned slot, short revents)
{
    if (slot >= KB_VSOCK_MAX_CONNS)
        return;
    struct kb_vsock_conn *c = &t->c[slot];
    if (c->state == KB_VC_FREE)
        return;
    if ((revents & (POLLOUT | POLLERR | POLLHUP)) && c->blen) {
        if (kb_vsock_conn_flush(c) < 0) {
            kb_vsock_conn_reset(t, c);
            return;
        }
    }
    if (revents & (POLLIN | POLLERR | POLLHUP))
        c->readable = true;
}

void kb_vsock_tick(struct kb_vsock_table *t, uint64_t now_ns)
{
    for (unsigned i = 0; i < KB_VSOCK_MAX_CONNS; i++) {
        struct kb_vsock_conn *c = &t->c[i];
        if (c->state != KB_VC_CLOSING)
            continue;
        if (!c->deadline_ns)
            c->deadline_ns = now_ns + KB_VSOCK_CLOSE_TIMEOUT_NS;
        else if (now_ns >= c->deadline_ns)
            kb_vsock_conn_reset(t, c);
    }
}
