/* How host and guest agent reach each other: each transport is one file
 * and one row in the table (transport.c). The agent protocol runs over any
 * of them unchanged, since each yields a connected byte-stream fd. */
#ifndef KB_TRANSPORT_H
#define KB_TRANSPORT_H

#include <stddef.h>

#include "../err.h"
#include "../hypervisor/vm.h"

struct kb_transport {
    const char *name;
    /* Add the device to cfg; endpoint (a path in state_dir) is kept for connect. */
    int (*configure)(struct kb_vm_config *cfg, const char *state_dir, char *endpoint, size_t len,
                     kb_err *err);
    /* Connect to the agent's end once QEMU runs; returns the fd. */
    int (*connect)(struct kb_vm *vm, const char *endpoint, unsigned timeout_ms, kb_err *err);
};

extern const struct kb_transport kb_transport_virtio_serial;

/* The transport called name, or NULL. */
const struct kb_transport *kb_transport_find(const char *name);
/* The one used when configuration names none. */
const struct kb_transport *kb_transport_default(void);

#endif
