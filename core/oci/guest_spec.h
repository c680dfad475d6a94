/* The config.json the guest's agent gets for a container: the bundle's own,
 * less what only means something on the host. A namespace path names a
 * namespace of the host (or of another container's VM): the guest cannot
 * join it, and the same path in the guest would name one of the agent's. */
#ifndef KB_OCI_GUEST_SPEC_H
#define KB_OCI_GUEST_SPEC_H

#include <stddef.h>

#include "../err.h"
#include "spec.h"

/* *out (malloc'ed, *out_len bytes) gets json for the guest. join_pid 0: a
 * network namespace's path is dropped (the container gets a network
 * namespace of its own in the VM) and any other namespace path is an error.
 * Else the container joins a pod whose sandbox container's init is guest
 * pid join_pid: every path names that process's namespace of its type (a
 * mount namespace's is an error), as Kata shares a pod's namespaces. */
int kb_spec_for_guest(const char *json, size_t len, const struct kb_spec *spec, unsigned join_pid, char **out,
                      size_t *out_len, kb_err *err);

#endif
