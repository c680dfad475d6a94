/* Run one container in a started sandbox in the foreground, as `runc run`
 * does: create and start it, relay stdio both ways with flow control,
 * forward signals and the terminal size, and return its exit status. */
#ifndef KB_SANDBOX_RUN_H
#define KB_SANDBOX_RUN_H

#include <stddef.h>

#include "../err.h"
#include "sandbox.h"

struct kb_run_io {
    int in, out, err;     /* the host's stdio */
    int terminal;         /* process.terminal: one pty stream, no stderr */
    int tty;              /* a host terminal to take the size from, or -1 */
    int sigfd;            /* signalfd of the signals to forward (caller blocks them) */
    const char *pid_file; /* written once the container started; may be NULL */
};

/* Create and start container id from config.json text; on success *status
 * is its exit status as a shell reports it (128+N when killed by N). */
int kb_run_container(struct kb_sandbox *sb, const char *id, const char *config, size_t config_len,
                     const struct kb_run_io *io, int *status, kb_err *err);

#endif
