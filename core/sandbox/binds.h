/* The sources of a container's bind mounts are host paths, and the
 * container runs in a VM: they are shared into the guest as Kata does.
 * The VM's owner enters a mount namespace of its own (QEMU, its child,
 * inherits it), bind-mounts each source on <state dir>/binds/<i>, i being
 * the mount's index in config.json, and shares that directory over 9p;
 * the agent binds from there. The namespace goes with its last process,
 * so no mount outlives the sandbox, however it ends. */
#ifndef KB_SANDBOX_BINDS_H
#define KB_SANDBOX_BINDS_H

#include <stddef.h>

#include "../err.h"
#include "../oci/spec.h"

/* The 9p tag of the bind sources' share. */
#define KB_BINDS_TAG "kbbinds"
/* Where the agent mounts it: this, then the container id. */
#define KB_GUEST_BINDS "/run/katabox/binds"

/* Share the bind sources of spec (relative ones are the bundle's) under
 * state_dir/binds (the path in dir). *count: how many; with none, nothing
 * is done. Call while the process has one thread: it unshares its mounts. */
int kb_binds_prepare(const struct kb_spec *spec, const char *bundle, const char *state_dir,
                     char *dir, size_t len, unsigned *count, kb_err *err);
/* Enter a mount namespace of our own, a slave of the host's. */
int kb_mount_ns_own(kb_err *err);
/* How many of spec's mounts are binds. */
unsigned kb_binds_count(const struct kb_spec *spec);
/* Create dir and bind each bind source of spec on dir/<i>, in our namespace. */
int kb_binds_share(const struct kb_spec *spec, const char *bundle, const char *dir, kb_err *err);
/* Unmount what is left of state_dir/binds and remove it (from any process). */
void kb_binds_remove(const char *state_dir);

#endif
