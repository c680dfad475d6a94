/* The vsock back-end on a thread of its own. QEMU waits synchronously on
 * the back-end for vhost-user replies (at start, at stop, when the guest
 * resets the device), so the back-end must answer whatever the VM's owner
 * is doing: waiting for the agent, on QMP, on QEMU's exit. The thread
 * shares nothing with the owner but the two socket paths; the owner talks
 * to the guest through the hybrid socket like any other client. */
#ifndef KB_VSOCK_SERVICE_H
#define KB_VSOCK_SERVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../err.h"
#include "backend.h"

struct kb_vsock_service {
    struct kb_vsock_backend *b; /* owned; the thread's alone while it runs */
    pthread_t thread;
    int stop_fd;                /* eventfd: the thread ends when it is readable */
    bool running;
};

/* Listen on vhost_path (for QEMU) and uds_path (hybrid clients), then serve
 * them on a new thread until kb_vsock_service_stop. */
int kb_vsock_service_start(struct kb_vsock_service *s, const char *vhost_path,
                           const char *uds_path, uint64_t guest_cid, kb_err *err);
/* Stop the thread, close every socket, remove the socket files. Idempotent. */
void kb_vsock_service_stop(struct kb_vsock_service *s);

#endif
