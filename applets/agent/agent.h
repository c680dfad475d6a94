/* The guest agent's state: the host connection, the containers it created
 * and their processes. One single-threaded poll loop owns all of it
 * (server.c); procs.c keeps the table and each process's stdio. */
#ifndef KB_AGENT_AGENT_H
#define KB_AGENT_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../core/container/container.h"
#include "../../core/err.h"
#include "../../core/oci/spec.h"
#include "../../core/proto/conn.h"
#include "../../core/proto/msg.h"
#include "../../core/proto/stream.h"

#define AGENT_MAX_CONTAINERS 64
/* exec'd processes across the sandbox, besides each container's init */
#define AGENT_MAX_EXECS 256
#define AGENT_MAX_WAITERS 16
/* a process whose output stays open after it exited (a descendant holds
 * it) gets EOF this long after its pipe ran dry */
#define AGENT_EXIT_GRACE_NS (2ull * 1000000000u)

struct agent_proc {
    pid_t pid;                  /* 0: none */
    uint32_t stream_base;       /* 0: no streams */
    int pty_master;             /* -1 unless terminal */
    struct kb_istream in;
    struct kb_ostream out, err;
    bool exited, exit_sent;
    int wstatus;
    uint64_t exited_at;         /* kb_now_ns() */
    uint32_t waiters[AGENT_MAX_WAITERS]; /* WAIT request ids */
    unsigned n_waiters;
};

struct agent_exec {              /* a process exec'd into a container */
    struct agent_exec *next;
    char *id;
    struct agent_proc proc;
};

struct agent_ctr {
    char *id;
    struct kb_spec spec;
    struct kb_ctr ctr;
    char *rootfs;
    bool share_mounted;         /* we mounted the 9p share at rootfs */
    char *binds;                /* where the bind sources are; NULL: none */
    bool binds_mounted;         /* we mounted their share there */
    char *cgroup;               /* its cgroup directory (cgroup.c); NULL: none */
    bool paused;
    bool started;
    uint64_t oom_sent;          /* the oom_kill count the host was told of */
    struct agent_proc init;
    struct agent_exec *execs;   /* until their EXIT is sent */
};

struct agent {
    struct kb_conn conn;
    int sigfd;
    int oomfd;                  /* inotify on the containers' memory.events; -1: none */
    bool hello_done, shutdown;
    bool pod_mounted;           /* the pod share is at KB_GUEST_POD */
    uint64_t ready_ns;          /* CLOCK_BOOTTIME when we were ready */
    struct agent_ctr *ctrs[AGENT_MAX_CONTAINERS];
};

/* procs.c */
/* The container with this id, or NULL. */
struct agent_ctr *agent_find(struct agent *a, const char *id);
/* Create container m->container_id as CREATE asks; err on failure. */
int agent_create(struct agent *a, const struct kb_msg_create *m, kb_err *err);
/* Release everything of one container (its init is already dead or killed; live
 * execs are killed here). */
void agent_ctr_free(struct agent_ctr *c);
/* DELETE: kill what still runs of the container and free it. */
int agent_delete(struct agent *a, const char *id, kb_err *err);
/* Run a process in a container as EXEC asks; *pid gets it. */
int agent_exec(struct agent *a, const struct kb_msg_exec *m, pid_t *pid, kb_err *err);
/* Free an exec that is in no list: its EXIT was sent, or it never ran. */
void agent_exec_free(struct agent_exec *e);
/* The process a request names ("" = init), or NULL with err filled. */
struct agent_proc *agent_proc_of(struct agent *a, const char *cid, const char *eid, kb_err *err);
/* The process owning stream id, and which of its streams it is, or NULL. */
struct agent_proc *agent_proc_by_stream(struct agent *a, uint32_t id);
/* Record a reaped child; returns the process it was, or NULL. */
struct agent_proc *agent_reaped(struct agent *a, pid_t pid, int wstatus, const char **cid,
                                const char **eid);
/* Send EXIT and answer WAITs once a process exited and its output ended. */
int agent_finish(struct agent *a, struct agent_proc *p, const char *cid, const char *eid,
                 kb_err *err);
/* Answer one WAIT for an exited process. */
int agent_answer_wait(struct agent *a, uint32_t id, const struct agent_proc *p, kb_err *err);

/* cgroup.c */
/* Make the container's cgroup; its init and execs join it. */
int agent_cgroup_create(struct agent_ctr *c, kb_err *err);
/* Thaw and remove it (its processes are gone or killed). */
void agent_cgroup_remove(struct agent_ctr *c);
/* Freeze or thaw every process of the container, and wait until done (err may be NULL). */
int agent_cgroup_freeze(struct agent_ctr *c, bool freeze, kb_err *err);
/* Write the limits r sets into the container's cgroup. */
int agent_cgroup_apply(struct agent_ctr *c, const struct kb_resources *r, kb_err *err);
/* Read the container's cgroup counters. */
int agent_cgroup_stats(struct agent_ctr *c, struct kb_msg_stats *st, kb_err *err);
/* Have fd (inotify) wake us when c's memory.events changes (OOM kills). */
void agent_cgroup_watch_oom(struct agent_ctr *c, int fd);
/* The OOM kills c's cgroup counted so far. */
uint64_t agent_cgroup_oom_kills(struct agent_ctr *c);
/* The container's processes (malloc'ed, guest pids). */
int agent_cgroup_pids(struct agent_ctr *c, uint32_t **pids, size_t *n, kb_err *err);

/* server.c */
/* Send OOM for c if its cgroup counted OOM kills the host was not told of (c may be NULL). */
int agent_oom_report(struct agent *a, struct agent_ctr *c, kb_err *err);
/* Serve the host on fd (taken) until SHUTDOWN or the host goes away.
 * A host that leaves before its HELLO is waited for when wait_for_host
 * (a serial port: QEMU reports "no host yet" as EOF), else 1 is returned
 * (vsock: the caller accepts the next connection); 0 otherwise. */
int agent_serve(int fd, uint64_t ready_ns, bool wait_for_host);

#endif
