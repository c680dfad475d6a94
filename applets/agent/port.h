/* The guest end of the agent's channel: a virtio-serial port found by name. */
#ifndef KB_AGENT_PORT_H
#define KB_AGENT_PORT_H

#include "../../core/err.h"

/* Open the virtio-serial port named `name`; -1 with errnum ENOENT if the VM
 * has none by that name within `wait_ms` (names arrive after the device). */
int agent_open_port(const char *sysfs_dir, const char *name, unsigned wait_ms, kb_err *err);

#endif
