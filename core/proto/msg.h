/* Agent protocol v1 messages (PROTOCOL.md): one struct per payload schema,
 * a frame encoder per message and a payload decoder per schema. Decoders
 * treat the bytes as hostile and copy what they keep: a decoded struct
 * owns its strings and arrays (free it with the matching _free) and does
 * not point into the frame. Absent optional strings decode as "". On
 * failure a decoder leaves its struct zeroed, so freeing it is harmless;
 * an encoder leaves `out` as it was. */
#ifndef KB_PROTO_MSG_H
#define KB_PROTO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "frame.h"
#include "tlv.h"

#define KB_PROTO_MAX_REPEATED 1024   /* args, env, additional_gids entries */

struct kb_msg_hello {            /* HELLO, request and response */
    uint32_t proto_version;
    char *katabox_version;
    uint32_t max_frame;          /* largest frame the sender accepts */
    uint64_t boottime_ns;        /* agent's answer: its CLOCK_BOOTTIME; 0: not sent */
};

struct kb_msg_error {            /* payload of any ERROR-flagged response */
    uint32_t errnum;             /* Linux errno value */
    char *message;
};

struct kb_msg_create {           /* CREATE request */
    char *container_id;
    uint8_t *oci_config;         /* config.json as read; NULL when len is 0 */
    size_t oci_config_len;
    char *rootfs;
    uint32_t stream_base;        /* init's stdio streams; 0: none */
    char *rootfs_tag;            /* virtio-9p tag to mount at rootfs; "": already there */
    char *binds_tag;             /* virtio-9p tag holding the bind mounts' sources; "": none */
    char *bundle;                /* the bundle's path on the host, for hooks' state; "": unknown */
};

struct kb_msg_start {            /* START request */
    char *container_id;
};

struct kb_msg_pid {              /* START and EXEC responses */
    uint32_t pid;
};

struct kb_msg_process {          /* nested in EXEC: what differs from the container's process */
    char **args;
    size_t n_args;
    char **env;                  /* appended to the container's */
    size_t n_env;
    char *cwd;                   /* "": the container's */
    bool has_uid, has_gid;       /* absent: the container's user */
    uint32_t uid, gid;
    uint32_t *additional_gids;   /* none: the container's */
    size_t n_additional_gids;
    bool terminal;
    bool has_umask;
    uint32_t umask;
    char **caps_add;             /* added to the bounding, effective and permitted sets */
    size_t n_caps_add;
    bool no_new_privileges;      /* true: set it (false: the container's choice) */
};

struct kb_msg_exec {             /* EXEC request */
    char *container_id;
    char *exec_id;
    struct kb_msg_process process;
    uint32_t stream_base;        /* the process's stdio streams; 0: none */
    uint8_t *oci_process;        /* a whole OCI process object (runc exec --process); */
    size_t oci_process_len;      /* when given, process says only args and terminal */
};

struct kb_msg_signal {           /* SIGNAL request */
    char *container_id;
    char *exec_id;               /* "": the container's init */
    uint32_t signal;
    bool all;
};

struct kb_msg_ref {              /* WAIT and CLOSE_STDIN requests */
    char *container_id;
    char *exec_id;               /* "": the container's init */
};

struct kb_msg_wait_status {      /* WAIT response */
    uint32_t exit_code;          /* 0..255; 0 when killed by a signal */
    uint32_t term_signal;        /* 0: exited normally */
    bool core_dumped;
};

struct kb_msg_pids {             /* PIDS response: the container's processes */
    uint32_t *pids;
    size_t n_pids;
};

struct kb_msg_stats {            /* STATS response: the container's cgroup, as the guest reads it */
    uint64_t cpu_usage_usec, cpu_user_usec, cpu_system_usec;
    uint64_t memory_current, memory_max;   /* memory_max 0: no limit */
    uint64_t pids_current, pids_max;       /* pids_max 0: no limit */
    uint64_t oom_kills;
};

struct kb_msg_update {           /* UPDATE request */
    char *container_id;
    uint8_t *resources;          /* an OCI linux.resources object, JSON */
    size_t resources_len;
};

struct kb_msg_credit {           /* CREDIT stream frame */
    uint32_t bytes;
};

struct kb_msg_resize {           /* RESIZE request */
    char *container_id;
    char *exec_id;
    uint32_t rows, cols;
};

struct kb_msg_exit {             /* EXIT event */
    char *container_id;
    char *exec_id;
    uint32_t exit_code;
    uint32_t term_signal;
};

struct kb_msg_oom {              /* OOM event */
    char *container_id;
    uint64_t oom_kills;         /* the container cgroup's count so far */
};

struct kb_msg_stdio {            /* STDIO: raw bytes, borrowed from the frame */
    const uint8_t *data;
    size_t len;
};

/* Which schema a frame's payload follows, chosen by its type and flags. */
enum kb_msg_kind {
    KB_KIND_NONE,
    KB_KIND_HELLO,
    KB_KIND_ERROR,
    KB_KIND_CREATE,
    KB_KIND_START,
    KB_KIND_EXEC,
    KB_KIND_SIGNAL,
    KB_KIND_REF,          /* WAIT, CLOSE_STDIN, PAUSE, RESUME, PIDS, STATS */
    KB_KIND_RESIZE,
    KB_KIND_EXIT,
    KB_KIND_CREDIT,
    KB_KIND_STDIO,
    KB_KIND_EMPTY,        /* SHUTDOWN; responses to CREATE, SIGNAL, RESIZE, CLOSE_STDIN, SHUTDOWN */
    KB_KIND_PID,          /* responses to START, EXEC */
    KB_KIND_WAIT_STATUS,  /* response to WAIT */
    KB_KIND_PIDS,         /* response to PIDS */
    KB_KIND_STATS,        /* response to STATS */
    KB_KIND_UPDATE,
    KB_KIND_OOM,
    KB_KIND_LAST = KB_KIND_OOM,
};

/* Any decoded payload, for dispatching on whatever frame arrives. */
struct kb_msg {
    enum kb_msg_kind kind;
    union {
        struct kb_msg_hello hello;
        struct kb_msg_error error;
        struct kb_msg_create create;
        struct kb_msg_start start;
        struct kb_msg_exec exec;
        struct kb_msg_signal signal;
        struct kb_msg_ref ref;
        struct kb_msg_resize resize;
        struct kb_msg_exit exit;
        struct kb_msg_credit credit;
        struct kb_msg_stdio stdio;
        struct kb_msg_pid pid;
        struct kb_msg_wait_status wait_status;
        struct kb_msg_pids pids;
        struct kb_msg_stats stats;
        struct kb_msg_update update;
        struct kb_msg_oom oom;
    } u;
};

/* The schema a frame with header h carries; <0 for a type, flags and id
 * combination v1 does not allow (errnum ENOSYS for an unknown request type). */
int kb_msg_kind_of(const struct kb_frame_hdr *h, enum kb_msg_kind *kind, kb_err *err);
/* Decode any frame's payload; free with kb_msg_free. */
int kb_msg_decode(const struct kb_frame_hdr *h, const uint8_t *payload, size_t len,
                  struct kb_msg *m, kb_err *err);
/* Append m as a frame with h's id, type and flags (h->len is ignored). */
int kb_msg_encode(struct kb_buf *out, const struct kb_frame_hdr *h, const struct kb_msg *m,
                  kb_err *err);
/* Free what kb_msg_decode allocated. */
void kb_msg_free(struct kb_msg *m);

/* Decode a HELLO payload. */
int kb_msg_hello_decode(const uint8_t *p, size_t len, struct kb_msg_hello *m, kb_err *err);
/* Free a decoded HELLO. */
void kb_msg_hello_free(struct kb_msg_hello *m);
/* Append a HELLO frame: flags 0 for the host's request, KB_FLAG_RESPONSE for the answer. */
int kb_msg_hello_encode(struct kb_buf *out, uint32_t id, uint16_t flags,
                        const struct kb_msg_hello *m, kb_err *err);
/* Fill m with this side's HELLO (version strings are borrowed, do not free). */
void kb_msg_hello_self(struct kb_msg_hello *m, const char *katabox_version);
/* On the host: <0 unless the guest's HELLO answer is one v1 can talk to. */
int kb_proto_check_hello(const struct kb_msg_hello *peer, kb_err *err);

/* Decode an ERROR payload. */
int kb_msg_error_decode(const uint8_t *p, size_t len, struct kb_msg_error *m, kb_err *err);
/* Free a decoded ERROR. */
void kb_msg_error_free(struct kb_msg_error *m);
/* Append an error response to request (id, type); id 0 with type ERROR is
 * the connection-level notice sent before closing. */
int kb_msg_error_encode(struct kb_buf *out, uint32_t id, uint16_t type,
                        const struct kb_msg_error *m, kb_err *err);

/* Decode a CREATE payload. */
int kb_msg_create_decode(const uint8_t *p, size_t len, struct kb_msg_create *m, kb_err *err);
/* Free a decoded CREATE. */
void kb_msg_create_free(struct kb_msg_create *m);
/* Append a CREATE request frame. */
int kb_msg_create_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_create *m,
                         kb_err *err);

/* Decode a START payload. */
int kb_msg_start_decode(const uint8_t *p, size_t len, struct kb_msg_start *m, kb_err *err);
/* Free a decoded START. */
void kb_msg_start_free(struct kb_msg_start *m);
/* Append a START request frame. */
int kb_msg_start_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_start *m,
                        kb_err *err);

/* Decode a START or EXEC response payload (nothing to free). */
int kb_msg_pid_decode(const uint8_t *p, size_t len, struct kb_msg_pid *m, kb_err *err);
/* Append the response to a START or EXEC request (id, type). */
int kb_msg_pid_encode(struct kb_buf *out, uint32_t id, uint16_t type, const struct kb_msg_pid *m,
                      kb_err *err);

/* Decode an EXEC payload. */
int kb_msg_exec_decode(const uint8_t *p, size_t len, struct kb_msg_exec *m, kb_err *err);
/* Free a decoded EXEC. */
void kb_msg_exec_free(struct kb_msg_exec *m);
/* Append an EXEC request frame. */
int kb_msg_exec_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_exec *m, kb_err *err);

/* Decode a SIGNAL payload. */
int kb_msg_signal_decode(const uint8_t *p, size_t len, struct kb_msg_signal *m, kb_err *err);
/* Free a decoded SIGNAL. */
void kb_msg_signal_free(struct kb_msg_signal *m);
/* Append a SIGNAL request frame. */
int kb_msg_signal_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_signal *m,
                         kb_err *err);

/* Decode a WAIT payload; free with kb_msg_ref_free. */
int kb_msg_wait_decode(const uint8_t *p, size_t len, struct kb_msg_ref *m, kb_err *err);
/* Append a WAIT request frame. */
int kb_msg_wait_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_ref *m, kb_err *err);
/* Decode a CLOSE_STDIN payload; free with kb_msg_ref_free. */
int kb_msg_close_stdin_decode(const uint8_t *p, size_t len, struct kb_msg_ref *m, kb_err *err);
/* Append a CLOSE_STDIN request frame. */
int kb_msg_close_stdin_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_ref *m,
                              kb_err *err);
/* Free a decoded WAIT or CLOSE_STDIN. */
void kb_msg_ref_free(struct kb_msg_ref *m);

/* Decode a WAIT response payload (nothing to free). */
int kb_msg_wait_status_decode(const uint8_t *p, size_t len, struct kb_msg_wait_status *m,
                              kb_err *err);
/* Append the response to WAIT request id. */
int kb_msg_wait_status_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_wait_status *m,
                              kb_err *err);

/* Decode a RESIZE payload. */
int kb_msg_resize_decode(const uint8_t *p, size_t len, struct kb_msg_resize *m, kb_err *err);
/* Free a decoded RESIZE. */
void kb_msg_resize_free(struct kb_msg_resize *m);
/* Append a RESIZE request frame. */
int kb_msg_resize_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_resize *m,
                         kb_err *err);

/* Decode an EXIT payload. */
int kb_msg_exit_decode(const uint8_t *p, size_t len, struct kb_msg_exit *m, kb_err *err);
/* Free a decoded EXIT. */
void kb_msg_exit_free(struct kb_msg_exit *m);
/* Append an EXIT event frame (id 0). */
int kb_msg_exit_encode(struct kb_buf *out, const struct kb_msg_exit *m, kb_err *err);

/* Decode an OOM payload. */
int kb_msg_oom_decode(const uint8_t *p, size_t len, struct kb_msg_oom *m, kb_err *err);
/* Free a decoded OOM. */
void kb_msg_oom_free(struct kb_msg_oom *m);
/* Append an OOM event frame (id 0). */
int kb_msg_oom_encode(struct kb_buf *out, const struct kb_msg_oom *m, kb_err *err);

/* Decode a CREDIT payload (nothing to free). */
int kb_msg_credit_decode(const uint8_t *p, size_t len, struct kb_msg_credit *m, kb_err *err);
/* Append a CREDIT frame granting `bytes` more on stream `stream`. */
int kb_msg_credit_encode(struct kb_buf *out, uint32_t stream, uint32_t bytes, kb_err *err);

/* Append a STDIO frame with data on stream `stream`, eof marking its end. */
int kb_msg_stdio_encode(struct kb_buf *out, uint32_t stream, const uint8_t *data, size_t len,
                        bool eof, kb_err *err);

/* Check an empty payload (unknown fields allowed), e.g. a CREATE response. */
int kb_msg_empty_decode(const uint8_t *p, size_t len, kb_err *err);
/* Append a frame with an empty payload: a SHUTDOWN request (flags 0) or
 * the success response (KB_FLAG_RESPONSE) to a CREATE, SIGNAL, RESIZE,
 * CLOSE_STDIN or SHUTDOWN request. */
int kb_msg_empty_encode(struct kb_buf *out, uint32_t id, uint16_t type, uint16_t flags,
                        kb_err *err);

#endif
