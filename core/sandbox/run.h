/* Run one container in a started sandbox in the foreground, as `runc run`
 * does: create and start it, relay stdio both ways with flow control,
 * forward signals and the terminal size, and return its exit status. */
#ifndef KB_SANDBOX_RUN_H
#define KB_SANDBOX_RUN_H

#include <stddef.h>
#include <sys/types.h>

#include "../err.h"
#include "../proto/stream.h"
#include "sandbox.h"

struct kb_run_io {
    int in, out, err;     /* the host's stdio */
    int terminal;         /* process.terminal: one pty stream, no stderr */
    int tty;              /* a host terminal to take the size from, or -1 */
    int sigfd;            /* signalfd of the signals to forward (caller blocks them) */
    const char *pid_file; /* written once the container started; may be NULL */
};

/* Processes exec'ed into the container at once (exec.c). */
#define KB_RELAY_MAX_EXECS 32

/* A process added with exec, or the init of a container that joined the
 * pod, relayed between the stdio its command passed and the guest; the
 * command's connection gets "exit N" at the end (exec.c). */
struct kb_relay_exec {
    char id[24];                /* exec_id, unique in the relay's life; "": a member's init */
    char *cid;                  /* the container it runs in */
    int member, started;        /* a pod member's init; START done */
    int terminal;
    int client;                 /* the exec command's connection, owned; -1 once it left */
    char line[64];              /* a partial command line from it */
    size_t line_len;
    struct kb_ostream in;       /* the fds the command passed, owned by the streams */
    struct kb_istream out, err;
    int exited, status;
};

/* One container's init and its relay between host stdio and the guest. */
struct kb_relay {
    struct kb_sandbox *sb;
    const char *id;
    const struct kb_run_io *io;
    struct kb_ostream in;
    struct kb_istream out, err;
    int started, exited, status;
    uint32_t pid;               /* the init's guest pid, once started */
    const char *oom_file;       /* the init's OOM counts are appended here (the shim watches); NULL: nowhere */
    struct kb_relay_exec *execs[KB_RELAY_MAX_EXECS];
    unsigned n_execs_ever;      /* names and stream bases for the next one */
};

/* Another fd for kb_relay_wait's loop: on_ready runs when fd is readable. */
struct kb_relay_ctl {
    int fd;
    int (*on_ready)(void *ctx, struct kb_relay *r, kb_err *err);
    void *ctx;
};

/* CREATE the container (it waits before exec) and set up its relay. */
int kb_relay_create(struct kb_relay *r, struct kb_sandbox *sb, const char *id, const char *config,
                    size_t len, const struct kb_run_io *io, kb_err *err);
/* START it (cid NULL), writing io->pid_file, or the pod member cid. */
int kb_relay_start(struct kb_relay *r, const char *cid, kb_err *err);
/* Relay stdio and signals (and serve ctl, may be NULL) until the container exited and its
 * output is out; *status as a shell reports it. */
int kb_relay_wait(struct kb_relay *r, const struct kb_relay_ctl *ctl, int *status, kb_err *err);
/* The functions below act on the relay's container (cid NULL) or on the pod member cid. */
/* Forward SIGNAL sig to the container's init (or all its processes). */
int kb_relay_signal(struct kb_relay *r, const char *cid, int sig, int all, kb_err *err);
/* Set the init's terminal size (process.terminal). */
int kb_relay_resize(struct kb_relay *r, const char *cid, unsigned rows, unsigned cols, kb_err *err);
/* Freeze (pause 1) or thaw the container's processes in the guest. */
int kb_relay_pause(struct kb_relay *r, const char *cid, int pause, kb_err *err);
/* The container's processes, as guest pids (free pids->pids). */
int kb_relay_pids(struct kb_relay *r, const char *cid, struct kb_msg_pids *pids, kb_err *err);
/* The container's cgroup counters in the guest. */
int kb_relay_stats(struct kb_relay *r, const char *cid, struct kb_msg_stats *st, kb_err *err);
/* Apply an OCI linux.resources object (JSON) to the container's cgroup. */
int kb_relay_update(struct kb_relay *r, const char *cid, const char *json, size_t len, kb_err *err);
/* The relay's init's guest pid, started or not (a pod member joins its namespaces). */
int kb_relay_init_pid(struct kb_relay *r, uint32_t *pid, kb_err *err);
/* CREATE pod member cid of bundle (guest config json, its rootfs and binds in the pod share) with
 * the stdio fds (taken, on failure too) and, on success, the client: "ok" now, "exit N" at the end. */
int kb_relay_add(struct kb_relay *r, const char *cid, const char *bundle, const char *json, size_t len,
                 int terminal, int binds, int fds[3], int client, kb_err *err);
/* DELETE pod member cid in the guest (it is killed if it still runs). */
int kb_relay_delete(struct kb_relay *r, const char *cid, kb_err *err);
/* Block every signal a user may send and return a signalfd for them. */
int kb_relay_signalfd(kb_err *err);
/* Write pid to path whole (temp file, rename), as runc writes --pid-file. */
int kb_write_pid_file(const char *path, pid_t pid, kb_err *err);
/* EXEC x->process in the container (x->container_id if it is a pod member,
 * else the relay's; the exec id and stream base are the relay's); fds (in, out, err) are taken, on failure too, the client only on
 * success: it gets "ok PID" now and "exit STATUS" at the end. */
int kb_relay_exec(struct kb_relay *r, const struct kb_msg_exec *x, int fds[3], int client, kb_err *err);
/* Release the relay (always, after kb_relay_create). */
void kb_relay_fini(struct kb_relay *r);


#endif
