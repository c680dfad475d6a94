/* A container's state on the host, in state.json beside its sockets: what
 * `state` and `list` print (runc's fields and format) and what a later
 * command needs to find the process that owns the sandbox (the keeper). */
#ifndef KB_SANDBOX_STATE_H
#define KB_SANDBOX_STATE_H

#include <stdint.h>
#include <sys/types.h>

#include <yajl/yajl_gen.h>

#include "../err.h"

struct kb_state {
    char *oci_version, *id, *status, *bundle, *rootfs, *created, *owner;
    pid_t pid;                 /* the keeper */
    uint64_t pid_start;        /* its start time (/proc/PID/stat field 22): pid reuse check */
    char **annotations;        /* key, value, ..., NULL; may be NULL */
};

/* Write dir/state.json atomically. */
int kb_state_write(const char *dir, const struct kb_state *st, kb_err *err);
/* Read dir/state.json; status becomes "stopped" if the keeper is gone. */
int kb_state_read(const char *dir, struct kb_state *st, kb_err *err);
/* Free what kb_state_read allocated. */
void kb_state_free(struct kb_state *st);
/* runc's `state` JSON (two-space indent) into *out (malloc'ed). */
int kb_state_format(const struct kb_state *st, char **out, kb_err *err);
/* Append st to g as runc's state object (list --format json). */
void kb_state_gen(yajl_gen g, const struct kb_state *st);
/* The start time of pid, 0 if it does not exist. */
uint64_t kb_pid_start_time(pid_t pid);
/* The current time as RFC 3339 with nanoseconds, UTC (runc's "created"). */
void kb_rfc3339_now(char *buf, size_t len);

#endif
