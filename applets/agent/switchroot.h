/* PID 1 leaves the initramfs for a tmpfs root before anything else. */
#ifndef KB_AGENT_SWITCHROOT_H
#define KB_AGENT_SWITCHROOT_H

#include "../../core/err.h"

/* Re-exec argv on a tmpfs root unless already there; returns only on error or when done. */
int agent_leave_initramfs(char **argv, kb_err *err);

#endif
