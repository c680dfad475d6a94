/* The host reads the agent protocol from an untrusted guest: arbitrary
 * bytes go through the frame reader (split where the data says), each
 * frame's payload through the decoder its header selects, and every
 * accepted message is encoded and decoded again. The second encoding must
 * equal the first byte for byte: encoding is deterministic, so that is
 * what "the decoded messages compare equal" means here. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../core/proto/frame.h"
#include "../../core/proto/msg.h"

static struct kb_frame_reader reader;

static void check_err(const kb_err *e)
{
    if (strnlen(e->msg, sizeof e->msg) >= sizeof e->msg)
        __builtin_trap();
}

/* every typed decoder on the same bytes, whatever the frame said */
static void decode_typed(const uint8_t *p, size_t len)
{
    struct kb_msg_hello hello;
    struct kb_msg_error error;
    struct kb_msg_create create;
    struct kb_msg_start start;
    struct kb_msg_pid pid;
    struct kb_msg_exec exec;
    struct kb_msg_signal sig;
    struct kb_msg_ref ref;
    struct kb_msg_wait_status ws;
    struct kb_msg_resize resize;
    struct kb_msg_exit ex;
    struct kb_msg_oom oom;
    struct kb_msg_credit credit;
    kb_err e = { 0 };

    kb_msg_hello_decode(p, len, &hello, &e);
    kb_msg_hello_free(&hello);
    kb_msg_error_decode(p, len, &error, &e);
    kb_msg_error_free(&error);
    kb_msg_create_decode(p, len, &create, &e);
    kb_msg_create_free(&create);
    kb_msg_start_decode(p, len, &start, &e);
    kb_msg_start_free(&start);
    kb_msg_pid_decode(p, len, &pid, &e);
    if (kb_msg_exec_decode(p, len, &exec, &e) == 0 &&
        (exec.process.n_args < 1 || exec.process.n_args > KB_PROTO_MAX_REPEATED ||
         exec.process.n_env > KB_PROTO_MAX_REPEATED || !exec.process.args[0] ||
         !exec.process.cwd))
        __builtin_trap();
    kb_msg_exec_free(&exec);
    kb_msg_signal_decode(p, len, &sig, &e);
    kb_msg_signal_free(&sig);
    kb_msg_wait_decode(p, len, &ref, &e);
    kb_msg_ref_free(&ref);
    kb_msg_close_stdin_decode(p, len, &ref, &e);
    kb_msg_ref_free(&ref);
    kb_msg_wait_status_decode(p, len, &ws, &e);
    kb_msg_resize_decode(p, len, &resize, &e);
    kb_msg_resize_free(&resize);
    kb_msg_exit_decode(p, len, &ex, &e);
    kb_msg_exit_free(&ex);
    kb_msg_oom_decode(p, len, &oom, &e);
    kb_msg_oom_free(&oom);
    kb_msg_credit_decode(p, len, &credit, &e);
    kb_msg_empty_decode(p, len, &e);
    check_err(&e);
}

static int on_frame(void *ctx, const struct kb_frame_hdr *h, const uint8_t *payload, size_t len,
                    kb_err *err)
{
    struct kb_buf b1 = { 0 }, b2 = { 0 };
    struct kb_frame_hdr h1;
    struct kb_msg m, m2;
    kb_err e = { 0 };

    (void)ctx;
    (void)err;
    if (h->len < KB_PROTO_HEADER_SIZE || h->len > KB_PROTO_MAX_FRAME ||
        len != h->len - KB_PROTO_HEADER_SIZE || (h->flags & ~KB_FLAGS_KNOWN))
        __builtin_trap();
    decode_typed(payload, len);
    if (kb_msg_decode(h, payload, len, &m, &e) < 0) {
        check_err(&e);
        return 0;
    }
    /* what we accepted we can send back, never larger than it came */
    if (kb_msg_encode(&b1, h, &m, &e) < 0 || b1.len > h->len)
        __builtin_trap();
    if (kb_frame_hdr_decode(b1.data, b1.len, &h1, &e) < 0 || h1.len != b1.len ||
        h1.id != h->id || h1.type != h->type || h1.flags != h->flags)
        __builtin_trap();
    if (kb_msg_decode(&h1, b1.data + KB_PROTO_HEADER_SIZE, b1.len - KB_PROTO_HEADER_SIZE, &m2,
                      &e) < 0 || m2.kind != m.kind)
        __builtin_trap();
    if (kb_msg_encode(&b2, &h1, &m2, &e) < 0 || b2.len != b1.len ||
        memcmp(b1.data, b2.data, b1.len) != 0)
        __builtin_trap();
    kb_msg_free(&m);
    kb_msg_free(&m2);
    kb_buf_free(&b1);
    kb_buf_free(&b2);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t split = size ? (size_t)data[size - 1] * size / 256 : 0;
    kb_err err = { 0 };

    if (!reader.buf && kb_frame_reader_init(&reader, &err) < 0)
        return 0;
    kb_frame_reader_reset(&reader);
    if (kb_frame_reader_feed(&reader, data, split, on_frame, NULL, &err) == 0 &&
        kb_frame_reader_feed(&reader, data + split, size - split, on_frame, NULL, &err) == 0)
        kb_frame_reader_finish(&reader, &err);
    check_err(&err);
    /* the payload decoders straight on the input, no valid header needed */
    decode_typed(data, size);
    return 0;
}
