/* The connection and the flow-controlled streams, end to end in one
 * process: two kb_conn over a socketpair, pipes for the local fds. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../core/proto/conn.h"
#include "../../core/proto/msg.h"
#include "../../core/proto/stream.h"
#include "tap.h"

#define SID 5 /* stdout of stream base 4 */

struct side {
    struct kb_conn c;
    struct kb_ostream *os;
    struct kb_istream *is;
    int frames, credits, eofs;
    size_t max_buffered;
};

static int on_frame(void *ctx, const struct kb_frame_hdr *h, const uint8_t *p, size_t len,
                    kb_err *err)
{
    struct side *s = ctx;
    struct kb_msg_credit cr;

    s->frames++;
    if (h->type == KB_MSG_STDIO && s->is) {
        if (h->flags & KB_FLAG_EOF)
            s->eofs++;
        if (kb_istream_data(s->is, &s->c, p, len, h->flags & KB_FLAG_EOF, err) < 0)
            return -1;
        if (s->is->len - s->is->off > s->max_buffered)
            s->max_buffered = s->is->len - s->is->off;
        return 0;
    }
    if (h->type == KB_MSG_CREDIT && s->os) {
        if (kb_msg_credit_decode(p, len, &cr, err) < 0)
            return -1;
        s->credits++;
        kb_ostream_credit(s->os, cr.bytes);
        return 0;
    }
    return kb_error(err, EPROTO, "unexpected frame type %u", h->type);
}

static void nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static uint32_t sum(uint32_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Push `total` bytes from a producer pipe through A's ostream, the
 * socketpair, B's istream, into a consumer pipe that we drain slowly. */
static void test_transfer(size_t total)
{
    int sv[2], src[2], dst[2];
    struct side a = { 0 }, b = { 0 };
    struct kb_ostream os;
    struct kb_istream is;
    uint8_t *data = malloc(total), buf[65536];
    size_t written = 0, got = 0;
    uint32_t h_in = 2166136261u, h_out = 2166136261u;
    kb_err err;
    int ok_all = 1, rounds = 0;

    for (size_t i = 0; i < total; i++)
        data[i] = (uint8_t)(i * 7 + i / 251);
    h_in = sum(h_in, data, total);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(src);
    pipe(dst);
    nonblock(src[1]);
    nonblock(src[0]);
    nonblock(dst[0]);
    nonblock(dst[1]);
    ok(kb_conn_init(&a.c, sv[0], &err) == 0 && kb_conn_init(&b.c, sv[1], &err) == 0, "conns");
    kb_ostream_init(&os, SID, src[0], 1);
    kb_istream_init(&is, SID, dst[1], 1, 0);
    a.os = &os;
    b.is = &is;
    while (!(os.eof_sent && kb_istream_done(&is) && is.fd < 0 && got == total) && rounds++ < 200000) {
        ssize_t n;
        if (written < total) {
            n = write(src[1], data + written, total - written);
            if (n > 0)
                written += (size_t)n;
            if (written == total)
                close(src[1]);
        }
        if (kb_ostream_pump(&os, &a.c, &err) < 0 || kb_conn_flush(&a.c, &err) < 0 ||
            kb_conn_receive(&b.c, on_frame, &b, &err) < 0 || kb_istream_pump(&is, &b.c, &err) < 0 ||
            kb_conn_flush(&b.c, &err) < 0 || kb_conn_receive(&a.c, on_frame, &a, &err) < 0) {
            ok_all = 0;
            break;
        }
        /* a slow consumer: at most 16 KiB per round */
        n = read(dst[0], buf, rounds % 3 ? 16384 : 0);
        if (n > 0) {
            h_out = sum(h_out, buf, (size_t)n);
            got += (size_t)n;
        }
    }
    while ((size_t)got < total) {
        ssize_t n = read(dst[0], buf, sizeof buf);
        if (n <= 0)
            break;
        h_out = sum(h_out, buf, (size_t)n);
        got += (size_t)n;
    }
    ok(ok_all, "transfer of %zu bytes ran without errors%s%s", total, ok_all ? "" : ": ",
       ok_all ? "" : err.msg);
    ok(got == total && h_in == h_out, "all %zu bytes arrived intact (got %zu)", total, got);
    ok(b.eofs == 1 && is.fd < 0, "EOF arrived once and closed the local fd");
    ok(b.max_buffered <= KB_PROTO_STREAM_WINDOW, "receiver never buffered more than a window (%zu)",
       b.max_buffered);
    ok(total <= KB_PROTO_STREAM_WINDOW || a.credits > 0, "credit was granted (%d CREDITs)", a.credits);
    kb_ostream_fini(&os);
    kb_istream_fini(&is);
    kb_conn_fini(&a.c);
    kb_conn_fini(&b.c);
    close(dst[0]);
    free(data);
}

static void test_overrun(void)
{
    struct kb_istream is;
    struct kb_conn c = { .fd = -1 };
    int p[2];
    uint8_t *big = calloc(1, KB_PROTO_STREAM_WINDOW + 1);
    kb_err err;

    pipe(p);
    kb_istream_init(&is, SID, p[1], 1, 0);
    ok(kb_istream_data(&is, &c, big, KB_PROTO_STREAM_WINDOW, false, &err) == 0, "a full window is accepted");
    ok(kb_istream_data(&is, &c, big, 1, false, &err) < 0 && err.errnum == EPROTO,
       "one byte past the window is a protocol error: %s", err.msg);
    kb_istream_fini(&is);
    kb_istream_init(&is, SID, -1, 0, 0);
    ok(kb_istream_data(&is, &c, big, 3, true, &err) == 0, "data with EOF");
    ok(kb_istream_data(&is, &c, big, 1, false, &err) < 0 && strstr(err.msg, "after EOF"),
       "data after EOF is refused: %s", err.msg);
    kb_istream_fini(&is);
    close(p[0]);
    free(big);
}

/* The local reader went away: data is dropped and credit still flows. */
static void test_broken_reader(void)
{
    int sv[2], p[2];
    struct side a = { 0 }, b = { 0 };
    struct kb_ostream os;
    struct kb_istream is;
    uint8_t chunk[1000] = { 1 };
    kb_err err;

    signal(SIGPIPE, SIG_IGN);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    close(p[0]);
    kb_conn_init(&a.c, sv[0], &err);
    kb_conn_init(&b.c, sv[1], &err);
    kb_ostream_init(&os, SID, -1, 0);
    kb_istream_init(&is, SID, p[1], 1, 0);
    a.os = &os;
    b.is = &is;
    int sent = 0;
    for (int i = 0; i < 600 && os.window >= sizeof chunk; i++, sent++) {
        struct kb_buf f = { 0 };
        kb_msg_stdio_encode(&f, SID, chunk, sizeof chunk, false, &err);
        kb_conn_send(&a.c, &f, &err);
        kb_buf_free(&f);
        os.window -= sizeof chunk;
        kb_conn_receive(&b.c, on_frame, &b, &err);
        kb_istream_pump(&is, &b.c, &err);
        kb_conn_receive(&a.c, on_frame, &a, &err);
    }
    ok(is.discard && is.fd < 0, "a broken pipe switches the stream to discarding");
    ok(sent == 600 && a.credits > 0, "the sender kept getting credit (%d frames, %d CREDITs)",
       sent, a.credits);
    kb_istream_fini(&is);
    kb_conn_fini(&a.c);
    kb_conn_fini(&b.c);
}

static void test_conn(void)
{
    int sv[2];
    struct side b = { 0 };
    struct kb_conn a;
    struct kb_buf f = { 0 };
    kb_err err;

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    kb_conn_init(&a, sv[0], &err);
    kb_conn_init(&b.c, sv[1], &err);
    /* a peer that never reads: the queue is bounded */
    {
        static uint8_t z[60000];
        kb_msg_stdio_encode(&f, SID, z, sizeof z, false, &err);
    }
    int r = 0, n = 0;
    while ((r = kb_conn_send(&a, &f, &err)) == 0 && n < 1000)
        n++;
    ok(r < 0 && err.errnum == ENOBUFS, "a peer that stops reading ends in ENOBUFS after %d frames: %s",
       n, err.msg);
    kb_buf_free(&f);
    kb_conn_fini(&a);
    kb_conn_fini(&b.c);
    /* the stream ends inside a frame */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    kb_conn_init(&b.c, sv[1], &err);
    {
        uint8_t half[10] = { 40, 0, 0, 0 };
        write(sv[0], half, sizeof half);
        close(sv[0]);
    }
    for (int i = 0; i < 3 && (r = kb_conn_receive(&b.c, on_frame, &b, &err)) == 0 && !b.c.eof; i++)
        ;
    ok(r < 0 && b.c.eof, "a stream that stops inside a frame is an error: %s", err.msg);
    kb_conn_fini(&b.c);
}

int main(void)
{
    test_transfer(1000);
    test_transfer(3u << 20);
    test_overrun();
    test_broken_reader();
    test_conn();
    return tap_done();
}
