/* The host's stdio relay under a hostile guest: arbitrary bytes become
 * frames, STDIO frames feed two incoming streams (overruns, data after
 * EOF, empty frames), CREDIT frames grow an outgoing window, and the
 * streams write to /dev/null and grant credit back. Nothing may crash,
 * and no stream may ever hold more than one window. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "../../core/proto/conn.h"
#include "../../core/proto/msg.h"
#include "../../core/proto/stream.h"

struct ctx {
    struct kb_conn c;
    struct kb_istream out, err;
    struct kb_ostream in;
};

static int on_frame(void *p, const struct kb_frame_hdr *h, const uint8_t *payload, size_t len,
                    kb_err *err)
{
    struct ctx *x = p;
    enum kb_msg_kind kind;
    struct kb_msg_credit cr;

    if (kb_msg_kind_of(h, &kind, err) < 0)
        return -1;
    if (kind == KB_KIND_CREDIT) {
        if (kb_msg_credit_decode(payload, len, &cr, err) < 0)
            return -1;
        kb_ostream_credit(&x->in, cr.bytes);
        return 0;
    }
    if (kind != KB_KIND_STDIO)
        return 0;
    struct kb_istream *s = h->id == x->out.id ? &x->out : h->id == x->err.id ? &x->err : NULL;
    if (!s)
        return -1;
    if (kb_istream_data(s, &x->c, payload, len, h->flags & KB_FLAG_EOF, err) < 0)
        return -1;
    if (s->len - s->off > KB_PROTO_STREAM_WINDOW)
        __builtin_trap();
    return kb_istream_pump(s, &x->c, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ctx x;
    kb_err err;
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

    if (null < 0 || kb_conn_init(&x.c, null, &err) < 0)
        return 0;
    kb_istream_init(&x.out, 5, open("/dev/null", O_WRONLY | O_CLOEXEC), 1, 4096);
    kb_istream_init(&x.err, 6, open("/dev/null", O_WRONLY | O_CLOEXEC), 1, 0);
    kb_ostream_init(&x.in, 4, -1, 0);
    (void)kb_frame_reader_feed(&x.c.rd, data, size, on_frame, &x, &err);
    kb_istream_fini(&x.out);
    kb_istream_fini(&x.err);
    kb_conn_fini(&x.c);
    return 0;
}
