/* The sandbox keeper: the process that owns a created container's VM
 * between `create` and the container's exit, for runc's detached
 * lifecycle. `create` forks it and returns once the container waits to be
 * started; later commands talk to it over ctl.sock in the state dir; it
 * relays the container's stdio (the fds `create` was given) and the
 * signals it receives, and exits with the container's exit status, so a
 * --pid-file reader (conmon) can wait on it. state.json outlives it until
 * `delete`. See core/sandbox/KEEPER.md. */
#ifndef KB_SANDBOX_KEEPER_H
#define KB_SANDBOX_KEEPER_H

#include <stddef.h>
#include <sys/types.h>

#include "../err.h"
#include "../proto/msg.h"
#include "sandbox.h"

#define KB_CTL_SOCKET "ctl.sock"
/* in the state dir: a line per OOM event of the container (its cgroup's count), for the shim */
#define KB_OOM_FILE "oom"

struct kb_keeper_opts {
    struct kb_sandbox_opts so;
    const char *config;         /* config.json text */
    size_t config_len;
    int ready_fd;               /* gets "ok\n", or the error, once created */
    const char *console_socket; /* process.terminal: where the pty master goes, as runc */
    int terminal;               /* process.terminal without one: the pty's stream is stdin/stdout (the shim) */
};

/* Run the keeper (in the forked child); returns the exit status for it. */
int kb_keeper_main(const struct kb_keeper_opts *o);
/* Fork the keeper (o->ready_fd is set here) and wait until the container is created:
 * *pid gets the keeper, note what it said after "ok " (the transport). stdio NULL: it keeps
 * the caller's fds; else they become its 0-2 and every other fd is closed in it. */
int kb_keeper_spawn(struct kb_keeper_opts *o, const int stdio[3], pid_t *pid, char *note, size_t note_len,
                    kb_err *err);
/* Send one command line to the keeper of state dir `dir`; its answer
 * ("ok" or the error) decides the return. */
int kb_keeper_request(const char *dir, const char *line, kb_err *err);
/* The same, with body_len bytes of body after the line, keeping what
 * follows "ok " in rest. */
int kb_keeper_ask(const char *dir, const char *line, const void *body, size_t body_len, char *rest,
                  size_t rest_len, kb_err *err);

/* The container's cgroup counters in the guest (line: "stats", or "in CID stats" for a pod member). */
int kb_keeper_stats(const char *dir, const char *line, struct kb_msg_stats *st, kb_err *err);

/* Send "VERB LEN" with fds (stdin, stdout, stderr) and LEN bytes of body to the keeper of dir; on "ok",
 * *conn keeps the connection (its "exit N" ends the process) and rest what followed "ok ". */
int kb_keeper_attach(const char *dir, const char *verb, const void *body, size_t len, const int fds[3], int *conn,
                     char *rest, size_t rest_len, kb_err *err);
/* exec, the command's side (exec_client.c): send EXEC x with the process's
 * stdio fds to the keeper of dir; *conn gets the connection once the
 * process runs, *pid (may be NULL) its guest pid (refusals are err, with the keeper's words). */
int kb_keeper_exec(const char *dir, const struct kb_msg_exec *x, const int fds[3], int *conn, uint32_t *pid,
                   kb_err *err);
/* Wait on conn for the process's "exit STATUS", forwarding the signals of
 * sigfd as kills and, with tty >= 0, its size on SIGWINCH. */
int kb_keeper_exec_wait(int conn, int sigfd, int tty, int *status, kb_err *err);

#endif
