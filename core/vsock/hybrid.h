/* Hybrid vsock, host side (Firecracker's convention): host applications
 * reach guest port P by connecting to the main unix socket and writing
 * "CONNECT P\n"; a guest connecting to host port P reaches the listener
 * at "<uds>_P". */
#ifndef KB_VSOCK_HYBRID_H
#define KB_VSOCK_HYBRID_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "../err.h"

/* Host clients that have connected but not yet sent their CONNECT line. */
#define KB_HYBRID_MAX_PENDING 16
/* "CONNECT 4294967295\n" fits with room to spare; longer lines are refused */
#define KB_HYBRID_LINE_MAX 32

struct kb_hybrid_pending { int fd; unsigned len; char line[KB_HYBRID_LINE_MAX]; };

struct kb_hybrid {
    char path[108];           /* the main unix socket */
    int listen_fd;            /* owned */
    struct kb_hybrid_pending p[KB_HYBRID_MAX_PENDING];
};

/* Listen on path (replacing a stale socket file). */
int kb_hybrid_init(struct kb_hybrid *h, const char *path, kb_err *err);
/* Close everything and remove the socket file. */
void kb_hybrid_fini(struct kb_hybrid *h);
/* Connect, non-blocking, to "<path>_<port>"; the fd, or <0 when nobody
 * listens there. Usable as kb_vsock_ops.connect with ctx = h. */
int kb_hybrid_connect(void *h, uint32_t port, kb_err *err);
/* Fill pollfds: the listener and the pending clients. Returns the count. */
unsigned kb_hybrid_pollfds(const struct kb_hybrid *h, struct pollfd *pfd, unsigned max);
/* Handle one readable fd from kb_hybrid_pollfds. When a client completed
 * a valid CONNECT line: returns 1, *fd = its socket (caller owns it) and
 * *port = the guest port. 0 = nothing complete yet. */
int kb_hybrid_event(struct kb_hybrid *h, int ready_fd, int *fd, uint32_t *port);
/* Parse "CONNECT <port>" (any case, decimal, no trailing junk). */
int kb_hybrid_parse_connect(const char *line, uint32_t *port);

#endif
