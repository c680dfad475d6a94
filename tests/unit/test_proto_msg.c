#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/proto/msg.h"
#include "tap.h"

static struct kb_buf out;          /* the frame under test */
static struct kb_frame_hdr hdr;    /* its header */
static const uint8_t *pl;          /* its payload */
static size_t pl_len;
static kb_err err;

/* split the frame in `out` into header and payload */
static int parse(void)
{
    if (kb_frame_hdr_decode(out.data, out.len, &hdr, &err) < 0 || hdr.len != out.len)
        return -1;
    pl = out.data + KB_PROTO_HEADER_SIZE;
    pl_len = out.len - KB_PROTO_HEADER_SIZE;
    return 0;
}

/* the generic decoder picks `want` for the frame and re-encodes it to the same bytes */
static int generic_same(enum kb_msg_kind want)
{
    struct kb_msg m;
    struct kb_buf again = { 0 };
    int r;

    if (kb_msg_decode(&hdr, pl, pl_len, &m, &err) < 0) {
        printf("# %s\n", err.msg);
        return 0;
    }
    r = m.kind == want && kb_msg_encode(&again, &hdr, &m, &err) == 0 && again.len == out.len &&
        memcmp(again.data, out.data, out.len) == 0;
    kb_msg_free(&m);
    kb_buf_free(&again);
    return r;
}

static int is_frame(uint32_t id, uint16_t type, uint16_t flags)
{
    return parse() == 0 && hdr.id == id && hdr.type == type && hdr.flags == flags;
}

static void refused(int rc, const char *want, const char *what)
{
    if (!ok(rc < 0, "%s: refused", what))
        return;
    is_str(err.msg, want, "%s: message", what);
}

static void test_roundtrips(void)
{
    struct kb_msg_hello hello, hello2;
    struct kb_msg_error e = { .errnum = ENOENT, .message = "no such container" }, e2;
    uint8_t cfg[] = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}}\0binary";
    struct kb_msg_create c = { .container_id = "c1", .oci_config = cfg,
                               .oci_config_len = sizeof cfg, .rootfs = "/run/kb/c1/rootfs",
                               .stream_base = 8, .rootfs_tag = "kbrootfs" }, c2;
    struct kb_msg_start st = { .container_id = "c1" }, st2;
    struct kb_msg_pid pid = { .pid = 4242 }, pid2;
    char *args[] = { "/bin/sh", "-c", "echo hi", "" }, *env[] = { "PATH=/bin", "TERM=xterm" };
    uint32_t gids[] = { 10, 0, 4294967295u };
    struct kb_msg_exec x = {
        .container_id = "c1", .exec_id = "e1", .stream_base = 12,
        .process = { .args = args, .n_args = 4, .env = env, .n_env = 2, .cwd = "/work", .has_uid = true, .has_gid = true, .uid = 1000,
                     .gid = 100, .additional_gids = gids, .n_additional_gids = 3, .terminal = true,
                     .has_umask = true, .umask = 0 },
    }, x2;
    struct kb_msg_signal sig = { .container_id = "c1", .exec_id = "e1", .signal = 9, .all = true },
                         sig2;
    struct kb_msg_ref ref = { .container_id = "c1", .exec_id = "e1" }, ref2;
    struct kb_msg_wait_status ws = { .exit_code = 0, .term_signal = 11, .core_dumped = true }, ws2;
    struct kb_msg_resize rs = { .container_id = "c1", .exec_id = "", .rows = 50, .cols = 132 }, rs2;
    struct kb_msg_exit ex = { .container_id = "c1", .exec_id = "e1", .exit_code = 3 }, ex2;
    struct kb_msg_credit cr;

    kb_msg_hello_self(&hello, "0.1.0");
    ok(kb_msg_hello_encode(&out, 1, 0, &hello, &err) == 0 && is_frame(1, KB_MSG_HELLO, 0),
       "HELLO request encodes");
    ok(kb_msg_hello_decode(pl, pl_len, &hello2, &err) == 0 && hello2.proto_version == 1 &&
           strcmp(hello2.katabox_version, "0.1.0") == 0 && hello2.max_frame == KB_PROTO_MAX_FRAME,
       "HELLO round-trips");
    ok(kb_proto_check_hello(&hello2, &err) == 0, "our own HELLO passes the check");
    kb_msg_hello_free(&hello2);
    ok(hello2.katabox_version == NULL, "free zeroes the struct");
    ok(generic_same(KB_KIND_HELLO), "HELLO request: generic decode and re-encode");
    kb_buf_reset(&out);
    hello.boottime_ns = 518000000123ull;
    kb_msg_hello_encode(&out, 1, KB_FLAG_RESPONSE, &hello, &err);
    ok(is_frame(1, KB_MSG_HELLO, KB_FLAG_RESPONSE) && generic_same(KB_KIND_HELLO),
       "HELLO response shares the schema");
    ok(kb_msg_hello_decode(pl, pl_len, &hello2, &err) == 0 && hello2.boottime_ns == 518000000123ull,
       "the agent's HELLO carries its boot time (u64)");
    kb_msg_hello_free(&hello2);

    kb_buf_reset(&out);
    ok(kb_msg_error_encode(&out, 5, KB_MSG_EXEC, &e, &err) == 0 &&
           is_frame(5, KB_MSG_EXEC, KB_FLAG_RESPONSE | KB_FLAG_ERROR), "error response encodes");
    ok(kb_msg_error_decode(pl, pl_len, &e2, &err) == 0 && e2.errnum == ENOENT &&
           strcmp(e2.message, "no such container") == 0, "ERROR round-trips");
    kb_msg_error_free(&e2);
    ok(generic_same(KB_KIND_ERROR), "error response: generic");
    kb_buf_reset(&out);
    e.message = "";
    ok(kb_msg_error_encode(&out, 0, KB_MSG_ERROR, &e, &err) == 0 && is_frame(0, KB_MSG_ERROR, 0) &&
           generic_same(KB_KIND_ERROR), "connection-level ERROR frame, empty message");

    kb_buf_reset(&out);
    ok(kb_msg_create_encode(&out, 2, &c, &err) == 0 && is_frame(2, KB_MSG_CREATE, 0),
       "CREATE encodes");
    ok(kb_msg_create_decode(pl, pl_len, &c2, &err) == 0 && strcmp(c2.container_id, "c1") == 0 &&
           c2.oci_config_len == sizeof cfg && memcmp(c2.oci_config, cfg, sizeof cfg) == 0 &&
           strcmp(c2.rootfs, "/run/kb/c1/rootfs") == 0 && c2.stream_base == 8 &&
           strcmp(c2.rootfs_tag, "kbrootfs") == 0,
       "CREATE round-trips, config bytes with a NUL intact, with its rootfs tag");
    /* decoded strings are copies: the frame buffer may be reused at once */
    memset(out.data, 'X', out.len);
    ok(strcmp(c2.container_id, "c1") == 0 && c2.oci_config[0] == '{',
       "decoded CREATE does not point into the frame");
    kb_msg_create_free(&c2);
    kb_buf_reset(&out);
    kb_msg_create_encode(&out, 2, &c, &err);
    parse();
    ok(generic_same(KB_KIND_CREATE), "CREATE: generic");
    kb_buf_reset(&out);
    ok(kb_msg_empty_encode(&out, 2, KB_MSG_CREATE, KB_FLAG_RESPONSE, &err) == 0 &&
           is_frame(2, KB_MSG_CREATE, KB_FLAG_RESPONSE) && pl_len == 0 &&
           kb_msg_empty_decode(pl, pl_len, &err) == 0 && generic_same(KB_KIND_EMPTY),
       "CREATE response is empty");

    kb_buf_reset(&out);
    ok(kb_msg_start_encode(&out, 3, &st, &err) == 0 && is_frame(3, KB_MSG_START, 0) &&
           kb_msg_start_decode(pl, pl_len, &st2, &err) == 0 && strcmp(st2.container_id, "c1") == 0,
       "START round-trips");
    kb_msg_start_free(&st2);
    ok(generic_same(KB_KIND_START), "START: generic");
    kb_buf_reset(&out);
    ok(kb_msg_pid_encode(&out, 3, KB_MSG_START, &pid, &err) == 0 &&
           is_frame(3, KB_MSG_START, KB_FLAG_RESPONSE) &&
           kb_msg_pid_decode(pl, pl_len, &pid2, &err) == 0 && pid2.pid == 4242 &&
           generic_same(KB_KIND_PID), "START response round-trips");

    kb_buf_reset(&out);
    ok(kb_msg_exec_encode(&out, 4, &x, &err) == 0 && is_frame(4, KB_MSG_EXEC, 0), "EXEC encodes");
    ok(kb_msg_exec_decode(pl, pl_len, &x2, &err) == 0, "EXEC decodes");
    ok(strcmp(x2.container_id, "c1") == 0 && strcmp(x2.exec_id, "e1") == 0 && x2.stream_base == 12,
       "EXEC ids and stream base");
    ok(x2.process.n_args == 4 && strcmp(x2.process.args[0], "/bin/sh") == 0 &&
           strcmp(x2.process.args[2], "echo hi") == 0 && strcmp(x2.process.args[3], "") == 0,
       "EXEC args in order, empty arg kept");
    ok(x2.process.n_env == 2 && strcmp(x2.process.env[1], "TERM=xterm") == 0, "EXEC env");
    ok(strcmp(x2.process.cwd, "/work") == 0 && x2.process.has_uid && x2.process.uid == 1000 &&
           x2.process.has_gid && x2.process.gid == 100, "EXEC cwd, uid, gid");
    ok(x2.process.n_additional_gids == 3 && x2.process.additional_gids[0] == 10 &&
           x2.process.additional_gids[1] == 0 && x2.process.additional_gids[2] == 4294967295u,
       "EXEC additional gids");
    ok(x2.process.terminal && x2.process.has_umask && x2.process.umask == 0,
       "EXEC terminal, umask 0 present");
    kb_msg_exec_free(&x2);
    ok(generic_same(KB_KIND_EXEC), "EXEC: generic");
    x.process.has_umask = x.process.has_uid = x.process.has_gid = false;
    x.process.cwd = "";
    x.process.terminal = false;
    x.process.n_env = x.process.n_additional_gids = 0;
    x.stream_base = 0;
    kb_buf_reset(&out);
    ok(kb_msg_exec_encode(&out, 4, &x, &err) == 0 && parse() == 0 &&
           kb_msg_exec_decode(pl, pl_len, &x2, &err) == 0 && !x2.process.has_umask &&
           !x2.process.terminal && x2.process.n_env == 0 && !x2.process.env &&
           x2.process.n_additional_gids == 0 && x2.stream_base == 0 && !x2.process.has_uid &&
           !x2.process.has_gid && strcmp(x2.process.cwd, "") == 0 && x2.process.n_caps_add == 0 &&
           !x2.process.no_new_privileges && x2.oci_process_len == 0,
       "EXEC optional fields absent: defaults (the container's user and cwd)");
    kb_msg_exec_free(&x2);
    kb_buf_reset(&out);
    ok(kb_msg_pid_encode(&out, 4, KB_MSG_EXEC, &pid, &err) == 0 &&
           is_frame(4, KB_MSG_EXEC, KB_FLAG_RESPONSE) && generic_same(KB_KIND_PID),
       "EXEC response");

    kb_buf_reset(&out);
    ok(kb_msg_signal_encode(&out, 6, &sig, &err) == 0 && is_frame(6, KB_MSG_SIGNAL, 0) &&
           kb_msg_signal_decode(pl, pl_len, &sig2, &err) == 0 && sig2.signal == 9 && sig2.all &&
           strcmp(sig2.exec_id, "e1") == 0, "SIGNAL round-trips");
    kb_msg_signal_free(&sig2);
    ok(generic_same(KB_KIND_SIGNAL), "SIGNAL: generic");
    sig.exec_id = NULL;
    sig.all = false;
    kb_buf_reset(&out);
    ok(kb_msg_signal_encode(&out, 6, &sig, &err) == 0 && parse() == 0 &&
           kb_msg_signal_decode(pl, pl_len, &sig2, &err) == 0 && strcmp(sig2.exec_id, "") == 0 &&
           !sig2.all, "SIGNAL to init: absent exec_id decodes as \"\"");
    kb_msg_signal_free(&sig2);
    kb_buf_reset(&out);
    ok(kb_msg_empty_encode(&out, 6, KB_MSG_SIGNAL, KB_FLAG_RESPONSE, &err) == 0 && parse() == 0 &&
           generic_same(KB_KIND_EMPTY), "SIGNAL response is empty");

    kb_buf_reset(&out);
    ok(kb_msg_wait_encode(&out, 7, &ref, &err) == 0 && is_frame(7, KB_MSG_WAIT, 0) &&
           kb_msg_wait_decode(pl, pl_len, &ref2, &err) == 0 && strcmp(ref2.exec_id, "e1") == 0,
       "WAIT round-trips");
    kb_msg_ref_free(&ref2);
    ok(generic_same(KB_KIND_REF), "WAIT: generic");
    kb_buf_reset(&out);
    ok(kb_msg_wait_status_encode(&out, 7, &ws, &err) == 0 &&
           is_frame(7, KB_MSG_WAIT, KB_FLAG_RESPONSE) &&
           kb_msg_wait_status_decode(pl, pl_len, &ws2, &err) == 0 && ws2.exit_code == 0 &&
           ws2.term_signal == 11 && ws2.core_dumped && generic_same(KB_KIND_WAIT_STATUS),
       "WAIT response round-trips");

    kb_buf_reset(&out);
    ok(kb_msg_credit_encode(&out, 9, 65536, &err) == 0 && is_frame(9, KB_MSG_CREDIT, 0) &&
           kb_msg_credit_decode(pl, pl_len, &cr, &err) == 0 && cr.bytes == 65536 &&
           generic_same(KB_KIND_CREDIT), "CREDIT round-trips");
    kb_buf_reset(&out);
    ok(kb_msg_stdio_encode(&out, 9, (const uint8_t *)"out\0put", 7, false, &err) == 0 &&
           is_frame(9, KB_MSG_STDIO, 0) && pl_len == 7 && memcmp(pl, "out\0put", 7) == 0 &&
           generic_same(KB_KIND_STDIO), "STDIO carries raw bytes");
    kb_buf_reset(&out);
    ok(kb_msg_stdio_encode(&out, 8, NULL, 0, true, &err) == 0 &&
           is_frame(8, KB_MSG_STDIO, KB_FLAG_EOF) && pl_len == 0 && generic_same(KB_KIND_STDIO),
       "STDIO EOF with no data");

    kb_buf_reset(&out);
    ok(kb_msg_resize_encode(&out, 10, &rs, &err) == 0 && is_frame(10, KB_MSG_RESIZE, 0) &&
           kb_msg_resize_decode(pl, pl_len, &rs2, &err) == 0 && rs2.rows == 50 && rs2.cols == 132 &&
           strcmp(rs2.exec_id, "") == 0, "RESIZE round-trips");
    kb_msg_resize_free(&rs2);
    ok(generic_same(KB_KIND_RESIZE), "RESIZE: generic");

    kb_buf_reset(&out);
    ok(kb_msg_close_stdin_encode(&out, 11, &ref, &err) == 0 &&
           is_frame(11, KB_MSG_CLOSE_STDIN, 0) &&
           kb_msg_close_stdin_decode(pl, pl_len, &ref2, &err) == 0 &&
           strcmp(ref2.container_id, "c1") == 0, "CLOSE_STDIN round-trips");
    kb_msg_ref_free(&ref2);
    ok(generic_same(KB_KIND_REF), "CLOSE_STDIN: generic");

    kb_buf_reset(&out);
    ok(kb_msg_exit_encode(&out, &ex, &err) == 0 && is_frame(0, KB_MSG_EXIT, 0) &&
           kb_msg_exit_decode(pl, pl_len, &ex2, &err) == 0 && ex2.exit_code == 3 &&
           ex2.term_signal == 0 && strcmp(ex2.exec_id, "e1") == 0, "EXIT round-trips");
    kb_msg_exit_free(&ex2);
    ok(generic_same(KB_KIND_EXIT), "EXIT: generic");

    {
        struct kb_msg_oom oom = { .container_id = "c1", .oom_kills = 2 }, oom2;
        kb_buf_reset(&out);
        ok(kb_msg_oom_encode(&out, &oom, &err) == 0 && is_frame(0, KB_MSG_OOM, 0) &&
               kb_msg_oom_decode(pl, pl_len, &oom2, &err) == 0 && oom2.oom_kills == 2 &&
               strcmp(oom2.container_id, "c1") == 0, "OOM round-trips");
        kb_msg_oom_free(&oom2);
        ok(generic_same(KB_KIND_OOM), "OOM: generic");
        oom.container_id = "";
        kb_buf_reset(&out);
        ok(kb_msg_oom_encode(&out, &oom, &err) < 0, "OOM needs a container id");
    }

    kb_buf_reset(&out);
    ok(kb_msg_empty_encode(&out, 13, KB_MSG_SHUTDOWN, 0, &err) == 0 &&
           is_frame(13, KB_MSG_SHUTDOWN, 0) && pl_len == 0 && generic_same(KB_KIND_EMPTY),
       "SHUTDOWN request");
    kb_buf_reset(&out);
    ok(kb_msg_empty_encode(&out, 13, KB_MSG_SHUTDOWN, KB_FLAG_RESPONSE, &err) == 0 &&
           parse() == 0 && generic_same(KB_KIND_EMPTY), "SHUTDOWN response");

    /* a config as large as a frame allows */
    {
        size_t n = KB_PROTO_MAX_PAYLOAD - 64;
        uint8_t *blob = malloc(n + 64);
        memset(blob, '{', n + 64);
        c.oci_config = blob;
        c.oci_config_len = n;
        kb_buf_reset(&out);
        ok(kb_msg_create_encode(&out, 2, &c, &err) == 0 && parse() == 0 &&
               kb_msg_create_decode(pl, pl_len, &c2, &err) == 0 && c2.oci_config_len == n,
           "CREATE with a 256 KiB - 64 byte config");
        kb_msg_create_free(&c2);
        c.oci_config_len = n + 64;
        kb_buf_reset(&out);
        ok(kb_msg_create_encode(&out, 2, &c, &err) < 0 && err.errnum == EMSGSIZE && out.len == 0,
           "CREATE whose config does not fit a frame is refused, nothing appended");
        free(blob);
    }
}

static struct kb_buf p;   /* a payload built by hand */

static void test_decode_errors(void)
{
    struct kb_msg_hello hello;
    struct kb_msg_start st;
    struct kb_msg_create c;
    struct kb_msg_exec x;
    struct kb_msg_signal sig;
    struct kb_msg_pid pid;
    struct kb_msg_wait_status ws;
    struct kb_msg_credit cr;
    struct kb_msg_ref ref;
    char *big;
    size_t mark, mark2;

    /* the two messages the spec quotes */
    big = malloc(70001);
    memset(big, 'v', 70000);
    big[70000] = '\0';
    kb_buf_reset(&p);
    kb_tlv_put_u32(&p, 1, 1, &err);
    kb_tlv_put(&p, 2, big, 70000, &err);
    kb_tlv_put_u32(&p, 3, KB_PROTO_MAX_FRAME, &err);
    refused(kb_msg_hello_decode(p.data, p.len, &hello, &err),
            "HELLO: field 2 (katabox_version) has length 70000, at most 65536", "over-long string");
    ok(hello.katabox_version == NULL, "a failed decode leaves the struct empty");
    kb_msg_hello_free(&hello);

    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put_str(&p, 2, "e1", &err);
    kb_tlv_begin(&p, 3, &mark, &err);
    for (int i = 0; i < 1025; i++)
        kb_tlv_put_str(&p, 1, "a", &err);
    kb_tlv_put_str(&p, 3, "/", &err);
    kb_tlv_put_u32(&p, 4, 0, &err);
    kb_tlv_put_u32(&p, 5, 0, &err);
    kb_tlv_end(&p, mark);
    refused(kb_msg_exec_decode(p.data, p.len, &x, &err),
            "EXEC.process.args: 1025 entries, at most 1024", "too many args");
    kb_msg_exec_free(&x);

    /* exactly the cap, and nothing */
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put_str(&p, 2, "e1", &err);
    kb_tlv_begin(&p, 3, &mark, &err);
    for (int i = 0; i < 1024; i++)
        kb_tlv_put_str(&p, 2, "K=V", &err);
    kb_tlv_put_str(&p, 1, "sh", &err);
    kb_tlv_put_str(&p, 3, "/", &err);
    kb_tlv_put_u32(&p, 4, 0, &err);
    kb_tlv_put_u32(&p, 5, 0, &err);
    kb_tlv_end(&p, mark);
    ok(kb_msg_exec_decode(p.data, p.len, &x, &err) == 0 && x.process.n_env == 1024 &&
           x.process.n_args == 1, "1024 env entries are accepted, interleaving is fine");
    kb_msg_exec_free(&x);
    ok(x.process.env == NULL, "exec free releases the arrays");
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put_str(&p, 2, "e1", &err);
    kb_tlv_begin(&p, 3, &mark, &err);
    kb_tlv_put_str(&p, 3, "/", &err);
    kb_tlv_put_u32(&p, 4, 0, &err);
    kb_tlv_put_u32(&p, 5, 0, &err);
    kb_tlv_end(&p, mark);
    refused(kb_msg_exec_decode(p.data, p.len, &x, &err), "EXEC.process.args: 0 entries, at least 1",
            "no args");
    /* a bad field inside the nested message is reported with its path */
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put_str(&p, 2, "e1", &err);
    kb_tlv_begin(&p, 3, &mark, &err);
    kb_tlv_put_str(&p, 1, "sh", &err);
    kb_tlv_put_str(&p, 3, "/", &err);
    kb_tlv_put_u32(&p, 4, 0, &err);
    kb_tlv_put_u32(&p, 5, 0, &err);
    kb_tlv_put_u32(&p, 8, 01000, &err);
    kb_tlv_end(&p, mark);
    refused(kb_msg_exec_decode(p.data, p.len, &x, &err),
            "EXEC.process: field 8 (umask) is 512, must be 0..511", "umask out of range");
    ok(x.container_id == NULL, "a nested failure frees the outer strings too");
    p.data[p.len - 8] = 0xff; /* umask's length: now past the nested end */
    refused(kb_msg_exec_decode(p.data, p.len, &x, &err),
            "EXEC.process: field 8 at offset 35 has length 255, only 4 bytes follow",
            "nested TLV past its end");
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put_str(&p, 2, "e1", &err);
    kb_tlv_begin(&p, 3, &mark, &err);
    kb_tlv_put_str(&p, 1, "sh", &err);
    kb_tlv_begin(&p, 1, &mark2, &err); /* args are strings: a nested body with a NUL */
    kb_tlv_put_u32(&p, 1, 1, &err);
    kb_tlv_end(&p, mark2);
    kb_tlv_end(&p, mark);
    refused(kb_msg_exec_decode(p.data, p.len, &x, &err),
            "EXEC.process: field 1 (args) has a NUL byte at offset 1", "NUL in a repeated string");

    /* string rules */
    kb_buf_reset(&p);
    kb_tlv_put(&p, 1, "ab\0cd", 5, &err);
    refused(kb_msg_start_decode(p.data, p.len, &st, &err),
            "START: field 1 (container_id) has a NUL byte at offset 2", "NUL inside a string");
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "", &err);
    refused(kb_msg_start_decode(p.data, p.len, &st, &err), "START: field 1 (container_id) is empty",
            "empty id");
    kb_buf_reset(&p);
    kb_tlv_put(&p, 1, big, KB_PROTO_MAX_STRING, &err);
    ok(kb_msg_start_decode(p.data, p.len, &st, &err) == 0 &&
           strlen(st.container_id) == KB_PROTO_MAX_STRING, "a 64 KiB string is accepted");
    kb_msg_start_free(&st);
    free(big);

    /* structure */
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put_str(&p, 1, "c2", &err);
    refused(kb_msg_start_decode(p.data, p.len, &st, &err),
            "START: field 1 (container_id) appears twice", "duplicate singular field");
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 99, "from the future", &err);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put(&p, 0, NULL, 0, &err);
    kb_tlv_put_u32(&p, 0xffff, 5, &err);
    ok(kb_msg_start_decode(p.data, p.len, &st, &err) == 0 && strcmp(st.container_id, "c1") == 0,
       "unknown tags are skipped");
    kb_msg_start_free(&st);
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_buf_append(&p, "\x02\x00\x64\x00\x00\x00xyz", 9, &err);
    refused(kb_msg_start_decode(p.data, p.len, &st, &err),
            "START: field 2 at offset 8 has length 100, only 3 bytes follow",
            "TLV length past end");
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_buf_append(&p, "\x02\x00\x00", 3, &err);
    refused(kb_msg_start_decode(p.data, p.len, &st, &err),
            "START: 3 trailing bytes at offset 8, a field header needs 6", "cut TLV header");
    refused(kb_msg_start_decode(p.data, 0, &st, &err),
            "START: required field 1 (container_id) is missing",
            "empty payload lacks the required field");

    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put(&p, 2, "{}", 2, &err);
    kb_tlv_put_u32(&p, 4, 4, &err);
    refused(kb_msg_create_decode(p.data, p.len, &c, &err),
            "CREATE: required field 3 (rootfs) is missing", "missing required field");
    kb_tlv_put_str(&p, 3, "/r", &err);
    ok(kb_msg_create_decode(p.data, p.len, &c, &err) == 0 && c.stream_base == 4, "then it decodes");
    kb_msg_create_free(&c);
    kb_tlv_put_u32(&p, 4, 6, &err);
    refused(kb_msg_create_decode(p.data, p.len, &c, &err),
            "CREATE: field 4 (stream_base) appears twice", "duplicate u32");
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put(&p, 2, "{}", 2, &err);
    kb_tlv_put_str(&p, 3, "/r", &err);
    kb_tlv_put_u32(&p, 4, 6, &err);
    refused(kb_msg_create_decode(p.data, p.len, &c, &err),
            "CREATE: field 4 (stream_base) is 6, must be a multiple of 4", "odd stream base");
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put(&p, 2, NULL, 0, &err);
    kb_tlv_put_str(&p, 3, "/r", &err);
    refused(kb_msg_create_decode(p.data, p.len, &c, &err), "CREATE: field 2 (oci_config) is empty",
            "empty config");

    /* fixed-size kinds */
    kb_buf_reset(&p);
    kb_tlv_put(&p, 1, "\x01\x02\x03", 3, &err);
    refused(kb_msg_pid_decode(p.data, p.len, &pid, &err),
            "START/EXEC response: field 1 (pid) has length 3, a u32 needs 4", "u32 of 3 bytes");
    kb_buf_reset(&p);
    kb_tlv_put_u64(&p, 1, 1, &err);
    refused(kb_msg_pid_decode(p.data, p.len, &pid, &err),
            "START/EXEC response: field 1 (pid) has length 8, a u32 needs 4", "u32 of 8 bytes");
    kb_buf_reset(&p);
    kb_tlv_put_u32(&p, 1, 0, &err);
    refused(kb_msg_pid_decode(p.data, p.len, &pid, &err),
            "START/EXEC response: field 1 (pid) is 0, must be 1..4294967295", "pid 0");
    kb_buf_reset(&p);
    kb_tlv_put_u32(&p, 1, 0, &err);
    kb_tlv_put_u32(&p, 2, 9, &err);
    kb_tlv_put(&p, 3, "\x01\x00", 2, &err);
    refused(kb_msg_wait_status_decode(p.data, p.len, &ws, &err),
            "WAIT response: field 3 (core_dumped) has length 2, a bool needs 1", "bool of 2 bytes");
    p.len -= 8;
    kb_tlv_put(&p, 3, "\x02", 1, &err);
    refused(kb_msg_wait_status_decode(p.data, p.len, &ws, &err),
            "WAIT response: field 3 (core_dumped) holds 2, a bool must be 0 or 1", "bool of 2");
    kb_buf_reset(&p);
    kb_tlv_put_u32(&p, 1, 256, &err);
    kb_tlv_put_u32(&p, 2, 0, &err);
    refused(kb_msg_wait_status_decode(p.data, p.len, &ws, &err),
            "WAIT response: field 1 (exit_code) is 256, must be 0..255", "exit code 256");

    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put_u32(&p, 3, 65, &err);
    refused(kb_msg_signal_decode(p.data, p.len, &sig, &err),
            "SIGNAL: field 3 (signal) is 65, must be 1..64", "signal 65");
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put_u32(&p, 3, 0, &err);
    refused(kb_msg_signal_decode(p.data, p.len, &sig, &err),
            "SIGNAL: field 3 (signal) is 0, must be 1..64", "signal 0");
    kb_buf_reset(&p);
    kb_tlv_put_u32(&p, 1, 0, &err);
    refused(kb_msg_credit_decode(p.data, p.len, &cr, &err),
            "CREDIT: field 1 (bytes) is 0, must be 1..4294967295", "a zero credit");
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 1, "c1", &err);
    kb_tlv_put_str(&p, 2, "", &err);
    ok(kb_msg_close_stdin_decode(p.data, p.len, &ref, &err) == 0 && strcmp(ref.exec_id, "") == 0,
       "an explicitly empty optional string is fine");
    kb_msg_ref_free(&ref);
    kb_buf_reset(&p);
    kb_tlv_put_str(&p, 2, "e1", &err);
    refused(kb_msg_close_stdin_decode(p.data, p.len, &ref, &err),
            "CLOSE_STDIN: required field 1 (container_id) is missing",
            "schema names differ for shared structs");

    ok(kb_msg_empty_decode((const uint8_t *)"\x05\x00\x00\x00\x00\x00", 6, &err) == 0,
       "an empty payload may carry unknown fields");
    refused(kb_msg_empty_decode((const uint8_t *)"abc", 3, &err),
            "empty payload: 3 trailing bytes at offset 0, a field header needs 6",
            "junk in an empty payload");
}

static void kind(uint32_t id, uint16_t type, uint16_t flags, enum kb_msg_kind want,
                 const char *what)
{
    struct kb_frame_hdr h = { .len = 16, .id = id, .type = type, .flags = flags };
    enum kb_msg_kind k;

    ok(kb_msg_kind_of(&h, &k, &err) == 0 && k == want, "kind: %s", what);
}

static void bad_kind(const char *what, uint32_t id, uint16_t type, uint16_t flags,
                     const char *want)
{
    struct kb_frame_hdr h = { .len = 16, .id = id, .type = type, .flags = flags };
    enum kb_msg_kind k;

    refused(kb_msg_kind_of(&h, &k, &err), want, what);
}

static void test_kinds(void)
{
    struct kb_frame_hdr h = { .len = 16, .id = 1, .type = KB_MSG_CREATE };
    struct kb_msg m;
    struct kb_msg_hello peer = { .proto_version = 2, .katabox_version = "9.9",
                                 .max_frame = 1 << 20 };
    struct kb_msg_start st = { .container_id = "c1" };

    kind(1, KB_MSG_CREATE, 0, KB_KIND_CREATE, "CREATE request");
    kind(1, KB_MSG_CREATE, KB_FLAG_RESPONSE, KB_KIND_EMPTY, "CREATE response");
    kind(1, KB_MSG_WAIT, KB_FLAG_RESPONSE, KB_KIND_WAIT_STATUS, "WAIT response");
    kind(1, KB_MSG_PAUSE, 0, KB_KIND_REF, "PAUSE");
    kind(1, KB_MSG_RESUME, KB_FLAG_RESPONSE, KB_KIND_EMPTY, "RESUME response");
    kind(1, KB_MSG_PIDS, 0, KB_KIND_REF, "PIDS");
    kind(1, KB_MSG_PIDS, KB_FLAG_RESPONSE, KB_KIND_PIDS, "PIDS response");
    kind(1, KB_MSG_STATS, KB_FLAG_RESPONSE, KB_KIND_STATS, "STATS response");
    kind(1, KB_MSG_UPDATE, 0, KB_KIND_UPDATE, "UPDATE");
    kind(1, KB_MSG_DELETE, 0, KB_KIND_REF, "DELETE");
    kind(1, KB_MSG_DELETE, KB_FLAG_RESPONSE, KB_KIND_EMPTY, "DELETE response");
    kind(1, KB_MSG_EXEC, KB_FLAG_RESPONSE | KB_FLAG_ERROR, KB_KIND_ERROR, "error response");
    kind(1, 200, KB_FLAG_RESPONSE | KB_FLAG_ERROR, KB_KIND_ERROR,
         "error response to an unknown request type");
    kind(4, KB_MSG_STDIO, KB_FLAG_EOF, KB_KIND_STDIO, "STDIO EOF");
    kind(6, KB_MSG_CREDIT, 0, KB_KIND_CREDIT, "CREDIT on stderr");
    kind(0, KB_MSG_EXIT, 0, KB_KIND_EXIT, "EXIT event");
    bad_kind("unknown request type", 1, 200, 0, "unknown message type 200");
    ok(err.errnum == ENOSYS, "unknown type carries ENOSYS, for the error response");
    bad_kind("request id 0", 0, KB_MSG_CREATE, 0,
             "CREATE frame with id 0 and flags 0x0: requests and responses need a non-zero id");
    bad_kind("EOF on a request", 1, KB_MSG_CREATE, KB_FLAG_EOF,
             "CREATE frame with id 1 and flags 0x4: only STDIO frames may carry EOF");
    bad_kind("ERROR without RESPONSE", 1, KB_MSG_CREATE, KB_FLAG_ERROR,
             "CREATE frame with id 1 and flags 0x2: ERROR flag without RESPONSE");
    bad_kind("stream id B+3", 7, KB_MSG_STDIO, 0,
             "STDIO frame with id 7 and flags 0x0: not a stream id");
    bad_kind("stream id below 4", 2, KB_MSG_CREDIT, 0,
             "CREDIT frame with id 2 and flags 0x0: not a stream id");
    bad_kind("STDIO response", 4, KB_MSG_STDIO, KB_FLAG_RESPONSE,
             "STDIO frame with id 4 and flags 0x1: a stream frame is never a response");
    bad_kind("EXIT with an id", 3, KB_MSG_EXIT, 0,
             "EXIT frame with id 3 and flags 0x0: must have id 0 and no flags");
    bad_kind("ERROR type as a response", 0, KB_MSG_ERROR, KB_FLAG_RESPONSE,
             "ERROR frame with id 0 and flags 0x1: must have id 0 and no flags");

    /* the generic decoder names the frame in its errors */
    h.flags = KB_FLAG_RESPONSE;
    refused(kb_msg_decode(&h, (const uint8_t *)"x", 1, &m, &err),
            "CREATE response: 1 trailing bytes at offset 0, a field header needs 6",
            "junk in an empty response");
    ok(m.kind == KB_KIND_NONE, "failed generic decode leaves kind NONE");
    kb_msg_free(&m);
    h.type = KB_MSG_EXEC;
    h.flags = KB_FLAG_RESPONSE | KB_FLAG_ERROR;
    refused(kb_msg_decode(&h, NULL, 0, &m, &err),
            "EXEC error: required field 1 (errnum) is missing", "error response without errnum");

    /* encoders refuse what decoders refuse, and leave the buffer alone */
    kb_buf_reset(&out);
    kb_msg_start_encode(&out, 1, &st, &err);
    {
        size_t len = out.len;
        struct kb_msg_start none = { 0 };
        struct kb_msg_signal sig = { .container_id = "c1", .signal = 0 };
        struct kb_msg_exec x = { .container_id = "c1", .exec_id = "e1",
                                 .process = { .cwd = "/", .n_args = 0 } };
        char *args[] = { "sh", NULL };
        struct kb_msg_pid pid = { 1 };

        refused(kb_msg_start_encode(&out, 2, &none, &err),
                "START: required field 1 (container_id) is not set",
                "encode without a required string");
        refused(kb_msg_signal_encode(&out, 2, &sig, &err),
                "SIGNAL: field 3 (signal) is 0, must be 1..64", "encode signal 0");
        refused(kb_msg_exec_encode(&out, 2, &x, &err), "EXEC.process.args: 0 entries, at least 1",
                "encode without args");
        x.process.args = args;
        x.process.n_args = 2;
        refused(kb_msg_exec_encode(&out, 2, &x, &err), "EXEC.process.args[1] is not set",
                "encode with a NULL arg");
        refused(kb_msg_start_encode(&out, 0, &st, &err),
                "START frame with id 0 and flags 0x0: requests and responses need a non-zero id",
                "encode with id 0");
        refused(kb_msg_pid_encode(&out, 2, KB_MSG_CREATE, &pid, &err),
                "CREATE frame with flags 0x1 cannot carry this payload", "pid response to CREATE");
        refused(kb_msg_stdio_encode(&out, 3, NULL, 0, false, &err),
                "STDIO frame with id 3 and flags 0x0: not a stream id", "STDIO on stream 3");
        ok(out.len == len, "failed encodes appended nothing");
    }

    refused(kb_proto_check_hello(&peer, &err), "guest speaks agent protocol 2, host speaks 1",
            "version mismatch");
    ok(err.errnum == EPROTONOSUPPORT, "version mismatch is EPROTONOSUPPORT");
    peer.proto_version = 1;
    peer.max_frame = 4096;
    refused(kb_proto_check_hello(&peer, &err),
            "guest accepts frames of at most 4096 bytes, agent protocol 1 needs 262160",
            "small max_frame");
}

int main(void)
{
    test_roundtrips();
    test_decode_errors();
    test_kinds();
    kb_buf_free(&out);
    kb_buf_free(&p);
    return tap_done();
}
