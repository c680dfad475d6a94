/* The daemon's tasks and their processes (the init and its execs), shared
 * by task.c (the service's dispatch and the init), exec.c, stdio.c and
 * stats.c. A task's VM is run by a sandbox keeper; an exec is one
 * connection to that keeper, which says "exit N" at the end. In a pod
 * (one daemon, one VM: CRI's sandbox and its containers) the sandbox's
 * task owns the keeper; every other task is a member, whose init is such
 * a connection too (core/sandbox/pod.h). */
#ifndef KB_SHIM_TASK_H
#define KB_SHIM_TASK_H

#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../core/shim/task_pb.h"
#include "shim.h"

#define SHIM_MAX_WAITERS 16
#define SHIM_MAX_EXECS 64
#define SHIM_MAX_TASKS 64
/* keeper connections polled at once (server.c's poll set) */
#define SHIM_MAX_POLLED 256

/* What a process's stdio holds on the host once its fds went to the keeper. */
struct shim_stdio {
    int stdin_keep;             /* our writer on the stdin fifo: the copy sees EOF after CloseIO only */
    pid_t logger;               /* binary:// : the logging process, or 0 */
    struct shim_loggers *loggers; /* where it goes when it is told to stop */
};

struct shim_proc {
    char *exec_id;              /* NULL: the task's init */
    char *stdin_path, *stdout_path, *stderr_path;
    int terminal;
    uint32_t pid;               /* init: its keeper (host); exec: the guest's pid */
    uint32_t status;            /* KB_TASK_* */
    uint32_t exit_status;
    struct kb_pb_timestamp exited_at;
    struct shim_stdio io;
    int conn;                   /* exec, member's init: its keeper connection, else -1 */
    char line[64];              /* exec: a partial line from it */
    size_t line_len;
    char *spec;                 /* exec: the OCI process (JSON) until Start */
    size_t spec_len;
    struct shim_call waiters[SHIM_MAX_WAITERS];
    unsigned n_waiters;
};

struct shim_task {
    char *id, *bundle;
    char dir[PATH_MAX];         /* the keeper's state dir (a member: its sandbox's) */
    char rootfs[PATH_MAX];      /* what we mounted, "" when nothing */
    int member;                 /* runs in another task's VM; its keeper commands start "in ID " */
    int pod;                    /* its VM takes members */
    int oom_wd;                 /* its state dir's watch on the pod's oomfd; 0: none */
    struct shim_proc init;
    struct shim_proc *execs[SHIM_MAX_EXECS];
};

struct shim_pod {               /* the daemon's tasks */
    struct shim_task *tasks[SHIM_MAX_TASKS];
    int shutdown;
    int oomfd;                  /* inotify on the keepers' state dirs (their "oom" file); -1: none */
};

/* --- task.c */
/* The process exited: record it, publish TaskExit, answer its waiters. */
void shim_proc_exited(const struct shim_flags *f, struct shim_task *t, struct shim_proc *p, uint32_t status);
/* Free what p owns (not p). */
void shim_proc_fini(struct shim_proc *p);
/* Encode a plain message into reply: 0, or the ttrpc code with err. */
int shim_reply(const struct kb_pb_msg *d, const void *m, struct kb_buf *reply, kb_err *err);
/* Publish TaskOOM for t. */
void shim_oom_event(const struct shim_flags *f, const struct shim_task *t);
/* Publish TaskOOM for every OOM line a keeper appended since the last call (pod->oomfd is readable). */
void shim_oom_drain(struct shim_pod *pod, const struct shim_flags *f);
/* Ask t's keeper cmd (prefixed for a member), with body; what follows "ok " goes to rest. */
int shim_keeper_ask(const struct shim_task *t, const char *cmd, const void *body, size_t len, char *rest,
                    size_t rest_len, kb_err *err);
/* Publish an event (core/shim/task_pb message d of value ev). */
void shim_event(const struct shim_flags *f, const char *topic, const char *type, const struct kb_pb_msg *d,
                const void *ev);

/* --- pod.c */
/* Create t in owner's VM (a pod member): payload is its CreateTaskRequest. */
int shim_pod_join(struct shim_task *t, const struct shim_task *owner, const struct shim_flags *f,
                  const uint8_t *payload, size_t len, kb_err *err);
/* Take t out of its pod: the guest's container and the host's mounts (nothing if the VM is gone). */
void shim_pod_leave(struct shim_task *t);

/* --- stdio.c */
/* Open p's stdio for the keeper (fifos, plain files, file:// and binary:// URIs, as containerd's
 * runc shim does): fds[0..2] to hand over and close, p->io what we keep. */
int shim_stdio_open(const struct shim_flags *f, const char *id, struct shim_proc *p, int fds[3], kb_err *err);
/* CloseIO: drop our stdin writer. */
void shim_stdio_close_stdin(struct shim_stdio *io);
/* Release everything of p->io (the logger gets SIGTERM; the daemon reaps it). */
void shim_stdio_release(struct shim_stdio *io);

/* --- exec.c */
struct shim_proc *shim_exec_find(struct shim_task *t, const char *exec_id);
/* Exec: register the process (it starts with Start). */
int shim_exec_add(struct shim_task *t, const struct shim_flags *f, const uint8_t *p, size_t len, kb_err *err);
/* Start of an exec: the keeper runs it; *pid its guest pid. */
int shim_exec_start(struct shim_task *t, const struct shim_flags *f, struct shim_proc *p, kb_err *err);
/* Signal or resize a running exec. */
int shim_exec_line(struct shim_proc *p, const char *line, kb_err *err);
/* Delete of an exec that is not running. */
void shim_exec_remove(struct shim_task *t, struct shim_proc *p);

/* --- stats.c */
/* Stats: the guest cgroup's counters as io.containerd.cgroups.v2.Metrics. */
int shim_stats(struct shim_task *t, struct kb_buf *reply, kb_err *err);
/* Update: an OCI LinuxResources (JSON in the Any) applied in the guest. */
int shim_update(struct shim_task *t, const struct kb_pb_update_req *r, kb_err *err);

#endif
