/* The guest end of the agent's channel: a virtio-serial port found by
 * name, or a vsock port the host connects to. */
#ifndef KB_AGENT_PORT_H
#define KB_AGENT_PORT_H

#include "../../core/err.h"

/* Open the virtio-serial port named `name`; -1 with errnum ENOENT if the VM
 * has none by that name within `wait_ms` (names arrive after the device). */
int agent_open_port(const char *sysfs_dir, const char *name, unsigned wait_ms, kb_err *err);

/* Listen on vsock port `port` for the host (any CID: the host is the only peer). */
int agent_listen_vsock(unsigned port, kb_err *err);

#endif
