/* The built-in vhost-user-vsock back-end: serves QEMU's vhost-user-vsock
 * device on one unix socket (QEMU connects as the client), runs the rx and
 * tx rings, and bridges guest streams to host unix sockets (hybrid.h).
 * Single-threaded: the owner polls our fds and calls us back. QEMU waits
 * synchronously for our replies, so the owner must poll us at all times. */
#ifndef KB_VSOCK_BACKEND_H
#define KB_VSOCK_BACKEND_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "../err.h"
#include "guestmem.h"
#include "hybrid.h"
#include "virtq.h"
#include "vsock_conn.h"

#define KB_VSB_RX 0
#define KB_VSB_TX 1
#define KB_VSB_NQUEUES 2 /* QEMU keeps the event queue to itself */
/* every fd we may ask to poll */
#define KB_VSB_MAX_POLL (2 + KB_VSB_NQUEUES + KB_HYBRID_MAX_PENDING + 1 + KB_VSOCK_MAX_CONNS)

struct kb_vsock_backend {
    int listen_fd;                /* the vhost-user socket, owned */
    int sock;                     /* QEMU's connection, owned, -1 when none */
    char vhost_path[108];
    uint64_t guest_cid;
    uint64_t acked_features, protocol_features;
    struct kb_guestmem gm;
    struct kb_vq vq[KB_VSB_NQUEUES];
    struct kb_hybrid hybrid;
    struct kb_vsock_table *conns; /* owned; large */
    unsigned nmsgs;               /* control messages handled, for tests and logs */
    bool config_served;           /* GET_CONFIG answered: QEMU finished realize */
    uint8_t scratch[KB_VSOCK_MAX_PAYLOAD]; /* one packet's payload in flight */
    /* the last kb_vsock_backend_pollfds: what each entry was */
    unsigned npoll;
    struct { int kind; unsigned idx; } poll_map[KB_VSB_MAX_POLL];
};

/* Listen for QEMU on vhost_path and for host clients on uds_path. */
int kb_vsock_backend_init(struct kb_vsock_backend *b, const char *vhost_path,
                          const char *uds_path, uint64_t guest_cid, kb_err *err);
/* Close everything, unmap guest memory, remove the socket files. */
void kb_vsock_backend_fini(struct kb_vsock_backend *b);
/* Fill pfd with every fd to watch (at most max, KB_VSB_MAX_POLL is enough). */
unsigned kb_vsock_backend_pollfds(struct kb_vsock_backend *b, struct pollfd *pfd, unsigned max);
/* Act on poll results for the entries the last pollfds call filled;
 * <0 only for failures of the back-end itself (not of QEMU or the guest). */
int kb_vsock_backend_dispatch(struct kb_vsock_backend *b, const struct pollfd *pfd, unsigned n,
                              kb_err *err);
/* poll + dispatch once, waiting at most timeout_ms. */
int kb_vsock_backend_run_once(struct kb_vsock_backend *b, int timeout_ms, kb_err *err);
/* Handle one vhost-user message from QEMU; <0 = drop the connection. */
int kb_vsock_backend_handle(struct kb_vsock_backend *b, struct kb_vu_msg *m, kb_err *err);

#endif
