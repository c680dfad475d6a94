/* containerd-shim-kata-v2: containerd's runtime v2 shim. `start` binds the
 * task's socket and forks the daemon (start.c); the daemon serves the task
 * service over ttrpc (server.c) and runs each task's VM through a sandbox
 * keeper, as `kata-runtime create` does (task.c); events go to containerd
 * over ttrpc, or through its publish binary (events.c). Facts about the protocol:
 * ../shared/reference/containerd-shim-v2.md. */
#ifndef KB_SHIM_H
#define KB_SHIM_H

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../core/err.h"
#include "../../core/proto/tlv.h"

#define SHIM_APPLET "containerd-shim-kata-v2"
/* where the keepers of this shim's tasks keep their state dirs */
#define SHIM_STATE_ROOT "/run/katabox/shim"
/* CRI's annotations: "sandbox" or "container", and the pod's sandbox a container joins */
#define SHIM_CONTAINER_TYPE "io.kubernetes.cri.container-type"
#define SHIM_SANDBOX_ID "io.kubernetes.cri.sandbox-id"

struct shim_events {             /* the daemon's connection to containerd's ttrpc socket (events.c) */
    int fd;                     /* -1: none yet */
    uint32_t next_stream;
};

#define SHIM_MAX_LOGGERS 64
struct shim_loggers {            /* the daemon's binary:// loggers, from their start until reaped (stdio.c) */
    pid_t pid[SHIM_MAX_LOGGERS];            /* 0: a free slot */
    uint64_t kill_at[SHIM_MAX_LOGGERS];     /* 0: not told to stop; CLOCK_MONOTONIC ns of the SIGKILL;
                                               UINT64_MAX: killed */
};

struct shim_flags {
    const char *namespace, *address, *publish_binary, *id, *bundle;
    const char *ttrpc_address;  /* containerd's ttrpc socket (TTRPC_ADDRESS), where events go */
    const char *socket_path;    /* the daemon's: removed when it exits cleanly */
    struct shim_events *events; /* the daemon's (shim_serve owns it); NULL: the publish binary only */
    struct shim_loggers *loggers; /* the daemon's (shim_serve owns it) */
    int debug;
};

/* --- start.c */
/* The state dir of task id's keeper: SHIM_STATE_ROOT/namespace/id, or a hash of a long id. */
void shim_state_dir(const struct shim_flags *f, const char *id, char *out, size_t len);
int shim_start(const struct shim_flags *f, kb_err *err);
int shim_delete(const struct shim_flags *f, kb_err *err);

/* --- server.c: the daemon's loop, on the listening socket lfd */
int shim_serve(const struct shim_flags *f, int lfd);

/* --- events.c: publish one event (payload: the event message's bytes) */
void shim_publish(const struct shim_flags *f, const char *topic, const char *type_url, const struct kb_buf *payload);

/* --- stdio.c: loggers that outlive SIGTERM get SIGKILL 12 s later, as containerd's runc shim does */
/* ms until the next logger's SIGKILL is due (-1: none); SIGKILL those due now. */
int shim_loggers_service(struct shim_loggers *l);
/* A child was reaped: forget it if it was a logger. */
void shim_loggers_reaped(struct shim_loggers *l, pid_t pid);
/* Whether a logger still has to end. */
int shim_loggers_left(const struct shim_loggers *l);

/* --- task.c */
struct shim_pod;
struct shim_call {              /* one ttrpc request being answered */
    int conn;                   /* the connection's fd */
    uint32_t stream;
};
/* Run method on payload; *reply gets the reply's bytes; returns a ttrpc status code
 * (0: reply is the answer; -1: answered later, as Wait is), err the message. */
int shim_task_call(struct shim_pod *pod, const struct shim_flags *f, const char *method, const uint8_t *payload,
                   size_t len, const struct shim_call *call, struct kb_buf *reply, kb_err *err);
/* A child exited: if it is a task's keeper, record it and answer the waiters. */
void shim_task_reaped(struct shim_pod *pod, const struct shim_flags *f, pid_t pid, int status);
/* A connection closed: its Wait calls are dropped. */
void shim_task_conn_closed(struct shim_pod *pod, int fd);
/* The fds the tasks need polled (keeper connections of execs and pod members, at most max), and what came on
 * them. */
int shim_exec_pollfds(struct shim_pod *pod, struct pollfd *p, int max);
void shim_exec_polled(struct shim_pod *pod, const struct shim_flags *f, const struct pollfd *p, int n);
/* Whether the daemon may exit: Shutdown came and no task is left. */
int shim_task_gone(const struct shim_pod *pod);
/* A new, empty set of tasks (NULL when out of memory). */
struct shim_pod *shim_pod_new(void);
/* Send a ttrpc response frame on a connection. */
void shim_respond(const struct shim_call *call, uint32_t code, const char *message, const struct kb_buf *reply);

#endif
