/* How host and guest agent reach each other: each transport is one file
 * and one row in the table (transport.c). The agent protocol runs over any
 * of them unchanged, since each yields a connected byte-stream fd.
 *
 *   vhost-vsock    the host kernel's vsock (/dev/vhost-vsock), a CID per VM
 *   hybrid-vsock   our own vhost-user-vsock back-end (core/vsock/), unix
 *                  sockets on the host, no kernel module, no CIDs to share
 *   virtio-serial  a QEMU serial port, works wherever QEMU does
 *
 * The guest speaks plain AF_VSOCK over both vsock rows. */
#ifndef KB_TRANSPORT_H
#define KB_TRANSPORT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "../hypervisor/vm.h"
#include "../vsock/service.h"

/* The environment variable that picks a transport: a row's name or "auto". */
#define KB_TRANSPORT_ENV "KATABOX_TRANSPORT"

/* One sandbox's agent channel and what it holds while QEMU runs. */
struct kb_channel {
    const struct kb_transport *t;
    char endpoint[PATH_MAX];   /* virtio-serial: QEMU's port socket; hybrid: the back-end's */
    char vhost_path[PATH_MAX]; /* hybrid: the vhost-user socket QEMU connects to */
    struct kb_vsock_service vsock; /* hybrid: the back-end thread */
    uint32_t cid;              /* vhost-vsock: the guest's CID */
    int vhost_fd;              /* vhost-vsock: /dev/vhost-vsock holding that CID */
};

struct kb_connect_opts {
    unsigned timeout_ms;       /* for the whole boot: vsock only connects once the agent listens */
    int abort_fd;              /* a signalfd whose SIGINT/TERM/HUP/QUIT ends the wait; -1: none */
};

struct kb_transport {
    const char *name;
    /* Add the device to cfg, and start what must run before QEMU does. */
    int (*configure)(struct kb_channel *ch, struct kb_vm_config *cfg, const char *state_dir,
                     kb_err *err);
    /* Connect to the agent once QEMU runs; returns the fd. */
    int (*connect)(struct kb_channel *ch, struct kb_vm *vm, const struct kb_connect_opts *o,
                   kb_err *err);
    /* Release what configure made, once QEMU is gone. */
    void (*release)(struct kb_channel *ch);
};

extern const struct kb_transport kb_transport_virtio_serial;
extern const struct kb_transport kb_transport_hybrid_vsock;
extern const struct kb_transport kb_transport_vhost_vsock;

/* The transport called name, or NULL. */
const struct kb_transport *kb_transport_find(const char *name);
/* name NULL or "auto": vhost-vsock when /dev/vhost-vsock is usable, else
 * hybrid-vsock; why (may be NULL) says what decided. NULL for a bad name. */
const struct kb_transport *kb_transport_choose(const char *name, char *why, size_t whylen,
                                               kb_err *err);
/* An empty channel for t (nothing to release yet). */
void kb_channel_init(struct kb_channel *ch, const struct kb_transport *t);
/* Release the channel's resources (safe on an init-only channel). */
void kb_channel_release(struct kb_channel *ch);
/* Wait for events on fd (fd -1: just wait), draining QEMU's console meanwhile:
 * 1 ready, 0 time is up, <0 QEMU died or a signal on abort_fd (err says which). */
int kb_transport_wait(struct kb_vm *vm, int fd, short events, uint64_t deadline_ns, int abort_fd,
                      kb_err *err);

/* One try at reaching the agent: 1 and *fd connected, 0 nobody listens
 * yet, <0 failure (ETIMEDOUT when deadline_ns passed). */
typedef int (*kb_transport_attempt_fn)(struct kb_channel *ch, struct kb_vm *vm,
                                       uint64_t deadline_ns, int abort_fd, int *fd, kb_err *err);
/* Repeat attempt until the agent accepts (its fd), the boot time-out, QEMU's
 * death or an abort signal; `where` names the port for the time-out's error. */
int kb_transport_retry(struct kb_channel *ch, struct kb_vm *vm, const struct kb_connect_opts *o,
                       kb_transport_attempt_fn attempt, const char *where, kb_err *err);

/* vhost-vsock's CID choice, apart for tests: set_cid(ctx, cid) returns 0 or
 * an errno; CIDs from start on (wrapping above 2) are tried until one is
 * free. The CID, or 0 with err set. */
uint32_t kb_vhost_vsock_pick_cid(int (*set_cid)(void *ctx, uint32_t cid), void *ctx,
                                 uint32_t start, unsigned tries, kb_err *err);

#endif
