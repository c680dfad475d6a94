#include "msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

/* ---- schemas ------------------------------------------------------------ */

/* A schema is a table of these; each names the struct member it fills. */
#define U32(S, t, m, fl, lo, hi)                                                     \
    { .tag = t, .kind = KB_K_U32, .flags = fl, .name = #m, .off = offsetof(S, m),  \
      .min = lo, .max = hi }
#define U32_HAS(S, t, m, lo, hi)                                                     \
    { .tag = t, .kind = KB_K_U32, .flags = KB_F_HAS, .name = #m,                   \
      .off = offsetof(S, m), .aux = offsetof(S, has_##m), .min = lo, .max = hi }
#define U64(S, t, m)                                                                 \
    { .tag = t, .kind = KB_K_U64, .name = #m, .off = offsetof(S, m) }
#define BOOL(S, t, m) { .tag = t, .kind = KB_K_BOOL, .name = #m, .off = offsetof(S, m) }
#define STR(S, t, m, fl, lo)                                                         \
    { .tag = t, .kind = KB_K_STR, .flags = fl, .name = #m, .off = offsetof(S, m),  \
      .min = lo, .max = KB_PROTO_MAX_STRING }
#define BYTES(S, t, m, fl, lo)                                                       \
    { .tag = t, .kind = KB_K_BYTES, .flags = fl, .name = #m, .off = offsetof(S, m), \
      .aux = offsetof(S, m##_len), .min = lo, .max = KB_PROTO_MAX_PAYLOAD }
#define REP(S, t, k, m, lo)                                                          \
    { .tag = t, .kind = k, .flags = KB_F_REP, .name = #m, .off = offsetof(S, m),   \
      .aux = offsetof(S, n_##m), .min = lo, .max = KB_PROTO_MAX_REPEATED }
#define MSG(S, t, m, sch)                                                            \
    { .tag = t, .kind = KB_K_MSG, .flags = KB_F_REQ, .name = #m,                   \
      .off = offsetof(S, m), .sub = &sch }
/* 0 (no streams) or a non-zero multiple of 4 */
#define STREAM_BASE(S, t)                                                            \
    { .tag = t, .kind = KB_K_U32, .flags = KB_F_MULT4, .name = "stream_base",      \
      .off = offsetof(S, stream_base), .max = UINT32_MAX }
#define SCHEMA(nm, S, fields)                                                        \
    { .name = nm, .f = fields, .n = sizeof fields / sizeof fields[0], .size = sizeof(S) }

static const struct kb_field hello_f[] = {
    U32(struct kb_msg_hello, 1, proto_version, KB_F_REQ, 0, UINT32_MAX),
    STR(struct kb_msg_hello, 2, katabox_version, KB_F_REQ, 1),
    U32(struct kb_msg_hello, 3, max_frame, KB_F_REQ, 0, UINT32_MAX),
    U64(struct kb_msg_hello, 4, boottime_ns),
};
static const struct kb_field error_f[] = {
    U32(struct kb_msg_error, 1, errnum, KB_F_REQ, 0, UINT32_MAX),
    STR(struct kb_msg_error, 2, message, KB_F_REQ, 0),
};
static const struct kb_field create_f[] = {
    STR(struct kb_msg_create, 1, container_id, KB_F_REQ, 1),
    BYTES(struct kb_msg_create, 2, oci_config, KB_F_REQ, 1),
    STR(struct kb_msg_create, 3, rootfs, KB_F_REQ, 1),
    STREAM_BASE(struct kb_msg_create, 4),
    STR(struct kb_msg_create, 5, rootfs_tag, 0, 0),
    STR(struct kb_msg_create, 6, binds_tag, 0, 0),
    STR(struct kb_msg_create, 7, bundle, 0, 0),
};
static const struct kb_field start_f[] = {
    STR(struct kb_msg_start, 1, container_id, KB_F_REQ, 1),
};
static const struct kb_field stats_f[] = {
    U64(struct kb_msg_stats, 1, cpu_usage_usec),  U64(struct kb_msg_stats, 2, cpu_user_usec),
    U64(struct kb_msg_stats, 3, cpu_system_usec), U64(struct kb_msg_stats, 4, memory_current),
    U64(struct kb_msg_stats, 5, memory_max),      U64(struct kb_msg_stats, 6, pids_current),
    U64(struct kb_msg_stats, 7, pids_max),        U64(struct kb_msg_stats, 8, oom_kills),
};
static const struct kb_field update_f[] = {
    STR(struct kb_msg_update, 1, container_id, KB_F_REQ, 1),
    BYTES(struct kb_msg_update, 2, resources, KB_F_REQ, 1),
};
static const struct kb_field pids_f[] = {
    REP(struct kb_msg_pids, 1, KB_K_U32, pids, 0),
};
static const struct kb_field pid_f[] = {
    U32(struct kb_msg_pid, 1, pid, KB_F_REQ, 1, UINT32_MAX),
};
static const struct kb_field process_f[] = {
    REP(struct kb_msg_process, 1, KB_K_STR, args, 1),
    REP(struct kb_msg_process, 2, KB_K_STR, env, 0),
    STR(struct kb_msg_process, 3, cwd, 0, 0),
    U32_HAS(struct kb_msg_process, 4, uid, 0, UINT32_MAX),
    U32_HAS(struct kb_msg_process, 5, gid, 0, UINT32_MAX),
    REP(struct kb_msg_process, 6, KB_K_U32, additional_gids, 0),
    BOOL(struct kb_msg_process, 7, terminal),
    U32_HAS(struct kb_msg_process, 8, umask, 0, 0777),
    REP(struct kb_msg_process, 9, KB_K_STR, caps_add, 0),
    BOOL(struct kb_msg_process, 10, no_new_privileges),
};
static const struct kb_schema process_s = SCHEMA("process", struct kb_msg_process, process_f);
static const struct kb_field exec_f[] = {
    STR(struct kb_msg_exec, 1, container_id, KB_F_REQ, 1),
    STR(struct kb_msg_exec, 2, exec_id, KB_F_REQ, 1),
    MSG(struct kb_msg_exec, 3, process, process_s),
    STREAM_BASE(struct kb_msg_exec, 4),
    BYTES(struct kb_msg_exec, 5, oci_process, 0, 0),
};
static const struct kb_field signal_f[] = {
    STR(struct kb_msg_signal, 1, container_id, KB_F_REQ, 1),
    STR(struct kb_msg_signal, 2, exec_id, 0, 0),
    U32(struct kb_msg_signal, 3, signal, KB_F_REQ, 1, 64),
    BOOL(struct kb_msg_signal, 4, all),
};
static const struct kb_field ref_f[] = {
    STR(struct kb_msg_ref, 1, container_id, KB_F_REQ, 1),
    STR(struct kb_msg_ref, 2, exec_id, 0, 0),
};
static const struct kb_field wait_status_f[] = {
    U32(struct kb_msg_wait_status, 1, exit_code, KB_F_REQ, 0, 255),
    U32(struct kb_msg_wait_status, 2, term_signal, KB_F_REQ, 0, 64),
    BOOL(struct kb_msg_wait_status, 3, core_dumped),
};
static const struct kb_field credit_f[] = {
    U32(struct kb_msg_credit, 1, bytes, KB_F_REQ, 1, UINT32_MAX),
};
static const struct kb_field resize_f[] = {
    STR(struct kb_msg_resize, 1, container_id, KB_F_REQ, 1),
    STR(struct kb_msg_resize, 2, exec_id, 0, 0),
    U32(struct kb_msg_resize, 3, rows, KB_F_REQ, 0, 65535),
    U32(struct kb_msg_resize, 4, cols, KB_F_REQ, 0, 65535),
};
static const struct kb_field exit_f[] = {
    STR(struct kb_msg_exit, 1, container_id, KB_F_REQ, 1),
    STR(struct kb_msg_exit, 2, exec_id, 0, 0),
    U32(struct kb_msg_exit, 3, exit_code, KB_F_REQ, 0, 255),
    U32(struct kb_msg_exit, 4, term_signal, KB_F_REQ, 0, 64),
};
static const struct kb_field oom_f[] = {
    STR(struct kb_msg_oom, 1, container_id, KB_F_REQ, 1),
    U64(struct kb_msg_oom, 2, oom_kills),
};

static const struct kb_schema hello_s = SCHEMA("HELLO", struct kb_msg_hello, hello_f);
static const struct kb_schema error_s = SCHEMA("ERROR", struct kb_msg_error, error_f);
static const struct kb_schema create_s = SCHEMA("CREATE", struct kb_msg_create, create_f);
static const struct kb_schema start_s = SCHEMA("START", struct kb_msg_start, start_f);
static const struct kb_schema pid_s = SCHEMA("START/EXEC response", struct kb_msg_pid, pid_f);
static const struct kb_schema pids_s = SCHEMA("PIDS response", struct kb_msg_pids, pids_f);
static const struct kb_schema stats_s = SCHEMA("STATS response", struct kb_msg_stats, stats_f);
static const struct kb_schema update_s = SCHEMA("UPDATE", struct kb_msg_update, update_f);
static const struct kb_schema exec_s = SCHEMA("EXEC", struct kb_msg_exec, exec_f);
static const struct kb_schema signal_s = SCHEMA("SIGNAL", struct kb_msg_signal, signal_f);
static const struct kb_schema wait_s = SCHEMA("WAIT", struct kb_msg_ref, ref_f);
static const struct kb_schema close_stdin_s = SCHEMA("CLOSE_STDIN", struct kb_msg_ref, ref_f);
static const struct kb_schema wait_status_s =
    SCHEMA("WAIT response", struct kb_msg_wait_status, wait_status_f);
static const struct kb_schema credit_s = SCHEMA("CREDIT", struct kb_msg_credit, credit_f);
static const struct kb_schema resize_s = SCHEMA("RESIZE", struct kb_msg_resize, resize_f);
static const struct kb_schema exit_s = SCHEMA("EXIT", struct kb_msg_exit, exit_f);
static const struct kb_schema oom_s = SCHEMA("OOM", struct kb_msg_oom, oom_f);
static const struct kb_schema empty_s = { .name = "empty payload", .f = NULL, .n = 0, .size = 0 };

/* ---- frames and kinds ----------------------------------------------------- */

static const struct kb_schema *const kind_schema[] = {
    [KB_KIND_HELLO] = &hello_s,   [KB_KIND_ERROR] = &error_s,
    [KB_KIND_CREATE] = &create_s, [KB_KIND_START] = &start_s,
    [KB_KIND_EXEC] = &exec_s,     [KB_KIND_SIGNAL] = &signal_s,
    [KB_KIND_REF] = &wait_s,      [KB_KIND_RESIZE] = &resize_s,
    [KB_KIND_EXIT] = &exit_s,     [KB_KIND_CREDIT] = &credit_s,
    [KB_KIND_EMPTY] = &empty_s,   [KB_KIND_PID] = &pid_s,
    [KB_KIND_WAIT_STATUS] = &wait_status_s, [KB_KIND_PIDS] = &pids_s,
    [KB_KIND_STATS] = &stats_s, [KB_KIND_UPDATE] = &update_s,
    [KB_KIND_OOM] = &oom_s,
};

static int bad_frame(const struct kb_frame_hdr *h, kb_err *err, const char *why)
{
    return kb_error(err, EPROTO, "%s frame with id %u and flags 0x%x: %s",
                    kb_msg_type_name(h->type), h->id, h->flags, why);
}

int kb_msg_kind_of(const struct kb_frame_hdr *h, enum kb_msg_kind *kind, kb_err *err)
{
    uint16_t f = h->flags;

    *kind = KB_KIND_NONE;
    if (f & ~KB_FLAGS_KNOWN)
        return bad_frame(h, err, "unknown flag bits");
    if ((f & KB_FLAG_EOF) && h->type != KB_MSG_STDIO)
        return bad_frame(h, err, "only STDIO frames may carry EOF");
    switch (h->type) {
    case KB_MSG_STDIO:
    case KB_MSG_CREDIT:
        /* base + 3 is no stream; ids below 4 belong to no process */
        if (h->id < 4 || h->id % 4 == 3)
            return bad_frame(h, err, "not a stream id");
        if (f & (KB_FLAG_RESPONSE | KB_FLAG_ERROR))
            return bad_frame(h, err, "a stream frame is never a response");
        *kind = h->type == KB_MSG_STDIO ? KB_KIND_STDIO : KB_KIND_CREDIT;
        return 0;
    case KB_MSG_EXIT:
    case KB_MSG_OOM:
    case KB_MSG_ERROR:
        if (h->id != 0 || f)
            return bad_frame(h, err, "must have id 0 and no flags");
        *kind = h->type == KB_MSG_EXIT ? KB_KIND_EXIT : h->type == KB_MSG_OOM ? KB_KIND_OOM : KB_KIND_ERROR;
        return 0;
    }
    if (h->id == 0)
        return bad_frame(h, err, "requests and responses need a non-zero id");
    if (f & KB_FLAG_ERROR) {
        if (!(f & KB_FLAG_RESPONSE))
            return bad_frame(h, err, "ERROR flag without RESPONSE");
        *kind = KB_KIND_ERROR;
        return 0;
    }
    switch (h->type) {
    case KB_MSG_HELLO:
        *kind = KB_KIND_HELLO;
        return 0;
    case KB_MSG_CREATE:
        *kind = f ? KB_KIND_EMPTY : KB_KIND_CREATE;
        return 0;
    case KB_MSG_START:
        *kind = f ? KB_KIND_PID : KB_KIND_START;
        return 0;
    case KB_MSG_EXEC:
        *kind = f ? KB_KIND_PID : KB_KIND_EXEC;
        return 0;
    case KB_MSG_SIGNAL:
        *kind = f ? KB_KIND_EMPTY : KB_KIND_SIGNAL;
        return 0;
    case KB_MSG_WAIT:
        *kind = f ? KB_KIND_WAIT_STATUS : KB_KIND_REF;
        return 0;
    case KB_MSG_RESIZE:
        *kind = f ? KB_KIND_EMPTY : KB_KIND_RESIZE;
        return 0;
    case KB_MSG_CLOSE_STDIN:
        *kind = f ? KB_KIND_EMPTY : KB_KIND_REF;
        return 0;
    case KB_MSG_SHUTDOWN:
        *kind = KB_KIND_EMPTY;
        return 0;
    case KB_MSG_PAUSE:
    case KB_MSG_RESUME:
        *kind = f ? KB_KIND_EMPTY : KB_KIND_REF;
        return 0;
    case KB_MSG_DELETE:
        *kind = f ? KB_KIND_EMPTY : KB_KIND_REF;
        return 0;
    case KB_MSG_PIDS:
        *kind = f ? KB_KIND_PIDS : KB_KIND_REF;
        return 0;
    case KB_MSG_STATS:
        *kind = f ? KB_KIND_STATS : KB_KIND_REF;
        return 0;
    case KB_MSG_UPDATE:
        *kind = f ? KB_KIND_EMPTY : KB_KIND_UPDATE;
        return 0;
    }
    return kb_error(err, ENOSYS, "unknown message type %u", h->type);
}

/* "EXEC", "EXEC response", "EXEC error": where a decode error happened */
static void frame_path(char *buf, size_t len, const struct kb_frame_hdr *h)
{
    const char *suffix = (h->flags & KB_FLAG_ERROR) ? " error"
                         : (h->flags & KB_FLAG_RESPONSE) ? " response" : "";
    snprintf(buf, len, "%s%s", kb_msg_type_name(h->type), suffix);
}

int kb_msg_decode(const struct kb_frame_hdr *h, const uint8_t *payload, size_t len,
                  struct kb_msg *m, kb_err *err)
{
    enum kb_msg_kind kind;
    char path[64];

    memset(m, 0, sizeof *m);
    if (kb_msg_kind_of(h, &kind, err) < 0)
        return -1;
    if (kind == KB_KIND_STDIO) {
        m->u.stdio.data = payload;
        m->u.stdio.len = len;
    } else {
        frame_path(path, sizeof path, h);
        if (kb_schema_decode(kind_schema[kind], path, payload, len, &m->u, err) < 0)
            return -1;
    }
    m->kind = kind;
    return 0;
}

static int encode_frame(struct kb_buf *out, const struct kb_frame_hdr *h, enum kb_msg_kind kind,
                        const struct kb_schema *s, const void *m, kb_err *err)
{
    enum kb_msg_kind want;
    char path[64];
    size_t start;

    if (kb_msg_kind_of(h, &want, err) < 0)
        return -1;
    if (want != kind)
        return kb_error(err, EINVAL, "%s frame with flags 0x%x cannot carry this payload",
                        kb_msg_type_name(h->type), h->flags);
    if (kb_frame_begin(out, h->id, h->type, h->flags, &start, err) < 0)
        return -1;
    frame_path(path, sizeof path, h);
    if (kind == KB_KIND_STDIO) {
        const struct kb_msg_stdio *io = m;
        if (kb_buf_append(out, io->data, io->len, err) < 0)
            goto fail;
    } else if (kb_schema_encode(s, path, m, out, err) < 0) {
        goto fail;
    }
    return kb_frame_end(out, start, err);
fail:
    out->len = start;
    return -1;
}

int kb_msg_encode(struct kb_buf *out, const struct kb_frame_hdr *h, const struct kb_msg *m,
                  kb_err *err)
{
    if (m->kind <= KB_KIND_NONE || m->kind > KB_KIND_LAST)
        return kb_error(err, EINVAL, "message of unknown kind %d", (int)m->kind);
    return encode_frame(out, h, m->kind, kind_schema[m->kind], &m->u, err);
}

void kb_msg_free(struct kb_msg *m)
{
    if (m->kind > KB_KIND_NONE && m->kind <= KB_KIND_LAST && kind_schema[m->kind])
        kb_schema_free(kind_schema[m->kind], &m->u);
    memset(m, 0, sizeof *m);
}

/* ---- typed entry points --------------------------------------------------- */

/* The typed decoders and frees are the schema engine with a fixed schema. */
#define DECODE(fn, sch, type)                                                   \
    int kb_msg_##fn##_decode(const uint8_t *p, size_t len, type *m, kb_err *err) \
    {                                                                           \
        return kb_schema_decode(&sch, sch.name, p, len, m, err);                \
    }
#define FREE(fn, sch, type)                                                     \
    void kb_msg_##fn##_free(type *m)                                            \
    {                                                                           \
        kb_schema_free(&sch, m);                                                \
    }

static int frame(struct kb_buf *out, uint32_t id, uint16_t type, uint16_t flags,
                 enum kb_msg_kind kind, const void *m, kb_err *err)
{
    struct kb_frame_hdr h = { .id = id, .type = type, .flags = flags };

    return encode_frame(out, &h, kind, kind_schema[kind], m, err);
}

DECODE(hello, hello_s, struct kb_msg_hello)
FREE(hello, hello_s, struct kb_msg_hello)
DECODE(error, error_s, struct kb_msg_error)
FREE(error, error_s, struct kb_msg_error)
DECODE(create, create_s, struct kb_msg_create)
FREE(create, create_s, struct kb_msg_create)
DECODE(start, start_s, struct kb_msg_start)
FREE(start, start_s, struct kb_msg_start)
DECODE(pid, pid_s, struct kb_msg_pid)
DECODE(exec, exec_s, struct kb_msg_exec)
FREE(exec, exec_s, struct kb_msg_exec)
DECODE(signal, signal_s, struct kb_msg_signal)
FREE(signal, signal_s, struct kb_msg_signal)
DECODE(wait, wait_s, struct kb_msg_ref)
DECODE(close_stdin, close_stdin_s, struct kb_msg_ref)
FREE(ref, wait_s, struct kb_msg_ref)
DECODE(wait_status, wait_status_s, struct kb_msg_wait_status)
DECODE(resize, resize_s, struct kb_msg_resize)
FREE(resize, resize_s, struct kb_msg_resize)
DECODE(exit, exit_s, struct kb_msg_exit)
FREE(exit, exit_s, struct kb_msg_exit)
DECODE(oom, oom_s, struct kb_msg_oom)
FREE(oom, oom_s, struct kb_msg_oom)
DECODE(credit, credit_s, struct kb_msg_credit)

int kb_msg_empty_decode(const uint8_t *p, size_t len, kb_err *err)
{
    return kb_schema_decode(&empty_s, empty_s.name, p, len, NULL, err);
}

int kb_msg_hello_encode(struct kb_buf *out, uint32_t id, uint16_t flags,
                        const struct kb_msg_hello *m, kb_err *err)
{
    return frame(out, id, KB_MSG_HELLO, flags, KB_KIND_HELLO, m, err);
}

void kb_msg_hello_self(struct kb_msg_hello *m, const char *katabox_version)
{
    m->proto_version = KB_PROTO_VERSION;
    m->katabox_version = (char *)katabox_version;
    m->max_frame = KB_PROTO_MAX_FRAME;
}

int kb_proto_check_hello(const struct kb_msg_hello *peer, kb_err *err)
{
    if (peer->proto_version != KB_PROTO_VERSION)
        return kb_error(err, EPROTONOSUPPORT, "guest speaks agent protocol %u, host speaks %d",
                        peer->proto_version, KB_PROTO_VERSION);
    /* v1 encoders size frames by KB_PROTO_MAX_FRAME, so the peer must take them */
    if (peer->max_frame < KB_PROTO_MAX_FRAME)
        return kb_error(err, EPROTO,
                        "guest accepts frames of at most %u bytes, agent protocol %d needs %d",
                        peer->max_frame, KB_PROTO_VERSION, KB_PROTO_MAX_FRAME);
    return 0;
}

int kb_msg_error_encode(struct kb_buf *out, uint32_t id, uint16_t type,
                        const struct kb_msg_error *m, kb_err *err)
{
    uint16_t flags = (id == 0 && type == KB_MSG_ERROR) ? 0 : KB_FLAG_RESPONSE | KB_FLAG_ERROR;

    return frame(out, id, type, flags, KB_KIND_ERROR, m, err);
}

int kb_msg_create_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_create *m,
                         kb_err *err)
{
    return frame(out, id, KB_MSG_CREATE, 0, KB_KIND_CREATE, m, err);
}

int kb_msg_start_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_start *m,
                        kb_err *err)
{
    return frame(out, id, KB_MSG_START, 0, KB_KIND_START, m, err);
}

int kb_msg_pid_encode(struct kb_buf *out, uint32_t id, uint16_t type, const struct kb_msg_pid *m,
                      kb_err *err)
{
    return frame(out, id, type, KB_FLAG_RESPONSE, KB_KIND_PID, m, err);
}

int kb_msg_exec_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_exec *m, kb_err *err)
{
    return frame(out, id, KB_MSG_EXEC, 0, KB_KIND_EXEC, m, err);
}

int kb_msg_signal_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_signal *m,
                         kb_err *err)
{
    return frame(out, id, KB_MSG_SIGNAL, 0, KB_KIND_SIGNAL, m, err);
}

int kb_msg_wait_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_ref *m, kb_err *err)
{
    return frame(out, id, KB_MSG_WAIT, 0, KB_KIND_REF, m, err);
}

int kb_msg_close_stdin_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_ref *m,
                              kb_err *err)
{
    return frame(out, id, KB_MSG_CLOSE_STDIN, 0, KB_KIND_REF, m, err);
}

int kb_msg_wait_status_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_wait_status *m,
                              kb_err *err)
{
    return frame(out, id, KB_MSG_WAIT, KB_FLAG_RESPONSE, KB_KIND_WAIT_STATUS, m, err);
}

int kb_msg_resize_encode(struct kb_buf *out, uint32_t id, const struct kb_msg_resize *m,
                         kb_err *err)
{
    return frame(out, id, KB_MSG_RESIZE, 0, KB_KIND_RESIZE, m, err);
}

int kb_msg_exit_encode(struct kb_buf *out, const struct kb_msg_exit *m, kb_err *err)
{
    return frame(out, 0, KB_MSG_EXIT, 0, KB_KIND_EXIT, m, err);
}

int kb_msg_oom_encode(struct kb_buf *out, const struct kb_msg_oom *m, kb_err *err)
{
    return frame(out, 0, KB_MSG_OOM, 0, KB_KIND_OOM, m, err);
}

int kb_msg_credit_encode(struct kb_buf *out, uint32_t stream, uint32_t bytes, kb_err *err)
{
    struct kb_msg_credit c = { .bytes = bytes };

    return frame(out, stream, KB_MSG_CREDIT, 0, KB_KIND_CREDIT, &c, err);
}

int kb_msg_stdio_encode(struct kb_buf *out, uint32_t stream, const uint8_t *data, size_t len,
                        bool eof, kb_err *err)
{
    struct kb_msg_stdio io = { .data = data, .len = len };

    return frame(out, stream, KB_MSG_STDIO, eof ? KB_FLAG_EOF : 0, KB_KIND_STDIO, &io, err);
}

int kb_msg_empty_encode(struct kb_buf *out, uint32_t id, uint16_t type, uint16_t flags,
                        kb_err *err)
{
    return frame(out, id, type, flags, KB_KIND_EMPTY, NULL, err);
}
