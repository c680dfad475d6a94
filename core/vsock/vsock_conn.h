/* The virtio-vsock stream protocol between the guest and host-side fds
 * (unix sockets in production, socketpairs in tests): a bounded table of
 * connections keyed by (guest port, host port), their state machine, and
 * credit-based flow control both ways. Packets from the guest come in
 * through kb_vsock_recv; packets for the guest are produced on demand by
 * kb_vsock_next_rx when the owner has an rx buffer to fill, so nothing
 * queues without bound when the guest stops reading. */
#ifndef KB_VSOCK_CONN_H
#define KB_VSOCK_CONN_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "../err.h"
#include "vsock_pkt.h"

#define KB_VSOCK_MAX_CONNS 128
/* Our receive space per connection (guest->host bytes not yet written to
 * the host fd); what we advertise as buf_alloc. */
#define KB_VSOCK_BUF_ALLOC (256u * 1024)
/* RSTs for packets that have no connection (or whose connection is gone)
 * waiting for rx buffers; more are dropped: the guest times out instead. */
#define KB_VSOCK_RST_QUEUE 64
/* Host-initiated connections get local ports from here (Firecracker's range). */
#define KB_VSOCK_LOCAL_PORT_BASE (1u << 30)
/* How long a connection we shut down may wait for the guest's RST. */
#define KB_VSOCK_CLOSE_TIMEOUT_NS (8ull * 1000000000ull)

enum kb_vsock_state {
    KB_VC_FREE = 0,
    KB_VC_CONNECTING, /* host-initiated: REQUEST sent or due, no RESPONSE yet */
    KB_VC_CONNECTED,
    KB_VC_CLOSING,    /* we sent SHUTDOWN(both); waiting for the guest's RST */
};

struct kb_vsock_conn {
    enum kb_vsock_state state;
    uint32_t guest_port, host_port;
    int fd;                   /* owned host-side fd, non-blocking */
    unsigned pending;         /* control packets due, PEND_* in vsock_conn.c */
    uint32_t peer_shut;       /* SHUTDOWN bits the guest sent (sticky) */
    bool readable;            /* host fd reported readable, not yet drained */
    bool host_eof, host_wr_shut, credit_requested;
    uint64_t deadline_ns;     /* CLOSING: when to give up on the guest */
    /* guest -> host: buf[head .. head+blen) (mod KB_VSOCK_BUF_ALLOC) */
    uint8_t *buf;
    uint32_t head, blen;
    uint32_t rx_cnt, fwd_cnt, fwd_cnt_sent;
    /* host -> guest */
    uint32_t tx_cnt, peer_buf_alloc, peer_fwd_cnt;
};

struct kb_vsock_ops {
    /* Connect to the host listener for port (hybrid vsock: "<uds>_<port>");
     * a non-blocking fd, or <0 when nobody listens. */
    int (*connect)(void *ctx, uint32_t host_port, kb_err *err);
    void *ctx;
};

struct kb_vsock_rst { uint32_t guest_port, host_port; };

struct kb_vsock_table {
    uint64_t guest_cid;
    struct kb_vsock_ops ops;
    struct kb_vsock_conn c[KB_VSOCK_MAX_CONNS];
    struct kb_vsock_rst rst[KB_VSOCK_RST_QUEUE];
    unsigned nrst, rr;
    uint32_t next_local_port;
};

/* An empty table for the guest with CID guest_cid. */
void kb_vsock_init(struct kb_vsock_table *t, uint64_t guest_cid, const struct kb_vsock_ops *ops);
/* Close every host fd and free the buffers, without telling the guest. */
void kb_vsock_fini(struct kb_vsock_table *t);
/* Handle one packet from the guest: hdr bytes plus avail payload bytes.
 * <0 means the packet was refused (err says why) and its connection reset;
 * the table stays usable either way. */
int kb_vsock_recv(struct kb_vsock_table *t, const uint8_t *hdr, const uint8_t *payload,
                  uint64_t avail, kb_err *err);
/* Start a host-initiated connection to guest_port over fd (taken); "OK
 * <local port>\n" is written to fd when the guest accepts. */
int kb_vsock_connect_guest(struct kb_vsock_table *t, int fd, uint32_t guest_port, kb_err *err);
/* Whether kb_vsock_next_rx may have a packet for the guest. */
bool kb_vsock_has_rx(const struct kb_vsock_table *t);
/* Produce the next packet for the guest with at most cap payload bytes:
 * 1 = header encoded into hdr (44 bytes) and payload filled, 0 = none. */
int kb_vsock_next_rx(struct kb_vsock_table *t, uint8_t *hdr, uint8_t *payload, uint32_t cap);
/* Fill pollfds for the host fds that need watching; slots[i] names the
 * connection for kb_vsock_host_event. Returns how many were filled. */
unsigned kb_vsock_pollfds(const struct kb_vsock_table *t, struct pollfd *pfd, unsigned *slots,
                          unsigned max);
/* Report poll results for connection slot. */
void kb_vsock_host_event(struct kb_vsock_table *t, unsigned slot, short revents);
/* Reset connections whose close handshake timed out. */
void kb_vsock_tick(struct kb_vsock_table *t, uint64_t now_ns);
/* Find the live connection for (guest port, host port), or NULL. */
struct kb_vsock_conn *kb_vsock_find(struct kb_vsock_table *t, uint32_t guest_port,
                                    uint32_t host_port);
/* Free credit the guest has given us for host->guest data. */
uint32_t kb_vsock_peer_free(const struct kb_vsock_conn *c);

#endif
