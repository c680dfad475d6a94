#include "stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "msg.h"

/* read size per frame: big enough for throughput, small enough that one
 * busy stream does not hog the connection */
#define CHUNK (64 * 1024)
/* grant credit in batches, not per write */
#define CREDIT_BATCH (KB_PROTO_STREAM_WINDOW / 4)

void kb_ostream_init(struct kb_ostream *s, uint32_t id, int fd, int own_fd)
{
    s->id = id;
    s->fd = fd;
    s->own_fd = own_fd;
    s->window = KB_PROTO_STREAM_WINDOW;
    s->eof_sent = false;
}

bool kb_ostream_want_read(const struct kb_ostream *s)
{
    return s->id && s->fd >= 0 && !s->eof_sent && s->window > 0;
}

static int send_stdio(struct kb_ostream *s, struct kb_conn *c, const uint8_t *p, size_t n,
                      bool eof, kb_err *err)
{
    struct kb_buf b = { 0 };
    int r = kb_msg_stdio_encode(&b, s->id, p, n, eof, err);

    if (r == 0)
        r = kb_conn_send(c, &b, err);
    kb_buf_free(&b);
    return r;
}

void kb_ostream_fini(struct kb_ostream *s)
{
    if (s->fd >= 0 && s->own_fd)
        close(s->fd);
    s->fd = -1;
}

int kb_ostream_close(struct kb_ostream *s, struct kb_conn *c, kb_err *err)
{
    kb_ostream_fini(s);
    if (!s->id || s->eof_sent)
        return 0;
    s->eof_sent = true;
    return send_stdio(s, c, NULL, 0, true, err);
}

int kb_ostream_pump(struct kb_ostream *s, struct kb_conn *c, kb_err *err)
{
    uint8_t buf[CHUNK];
    size_t want = s->window < sizeof buf ? (size_t)s->window : sizeof buf;
    ssize_t n;

    if (!kb_ostream_want_read(s))
        return 0;
    do
        n = read(s->fd, buf, want);
    while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN)
        return 0;
    /* a pty master reads EIO once the last slave is closed: that is its EOF */
    if (n <= 0)
        return kb_ostream_close(s, c, err);
    s->window -= (size_t)n;
    return send_stdio(s, c, buf, (size_t)n, false, err);
}

void kb_ostream_credit(struct kb_ostream *s, uint32_t bytes)
{
    if (s->window <= UINT64_MAX - bytes)
        s->window += bytes;
}

void kb_istream_init(struct kb_istream *s, uint32_t id, int fd, int own_fd, size_t max_write)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    s->fd = fd;
    s->own_fd = own_fd;
    s->max_write = max_write ? max_write : CHUNK;
    s->allowed = KB_PROTO_STREAM_WINDOW;
}

static int grant(struct kb_istream *s, struct kb_conn *c, bool all, kb_err *err);

int kb_istream_data(struct kb_istream *s, struct kb_conn *c, const uint8_t *p, size_t len,
                    bool eof, kb_err *err)
{
    if (s->eof_received)
        return kb_error(err, EPROTO, "stream %u: data after EOF", s->id);
    if (len > s->allowed)
        return kb_error(err, EPROTO, "stream %u: %zu bytes sent with only %llu of window left",
                        s->id, len, (unsigned long long)s->allowed);
    s->allowed -= len;
    s->eof_received = eof;
    if (!len)
        return 0;
    if (s->discard || s->fd < 0) {
        s->unacked += (uint32_t)len; /* nowhere to write: consumed at once */
        return grant(s, c, false, err);
    }
    if (!s->buf) {
        s->buf = malloc(KB_PROTO_STREAM_WINDOW);
        if (!s->buf)
            return kb_error(err, ENOMEM, "stream %u: buffer", s->id);
    }
    /* pending + len <= window, because we grant only what has left the buffer */
    if (s->off && s->len + len > KB_PROTO_STREAM_WINDOW) {
        memmove(s->buf, s->buf + s->off, s->len - s->off);
        s->len -= s->off;
        s->off = 0;
    }
    memcpy(s->buf + s->len, p, len);
    s->len += len;
    return 0;
}

bool kb_istream_want_write(const struct kb_istream *s)
{
    return s->fd >= 0 && (s->off < s->len || (s->eof_received && s->own_fd));
}

bool kb_istream_done(const struct kb_istream *s)
{
    return s->eof_received && s->off == s->len;
}

/* Credit goes back in batches of CREDIT_BATCH, or, once our buffer is
 * empty, whatever is owed when the writer has used half its window: a
 * credit frame per small write would double the frames on the wire (and
 * cost a guest interrupt each, over vsock), while the writer never stalls. */
static int grant(struct kb_istream *s, struct kb_conn *c, bool drained, kb_err *err)
{
    struct kb_buf b = { 0 };
    int r;
    bool all = drained && s->allowed < KB_PROTO_STREAM_WINDOW / 2;

    if (!s->unacked || (!all && s->unacked < CREDIT_BATCH) || s->eof_received)
        return 0;
    r = kb_msg_credit_encode(&b, s->id, s->unacked, err);
    if (r == 0)
        r = kb_conn_send(c, &b, err);
    kb_buf_free(&b);
    if (r == 0) {
        s->allowed += s->unacked;
        s->unacked = 0;
    }
    return r;
}

static void close_local(struct kb_istream *s)
{
    if (s->fd >= 0 && s->own_fd)
        close(s->fd);
    s->fd = -1;
}

int kb_istream_pump(struct kb_istream *s, struct kb_conn *c, kb_err *err)
{
    while (s->fd >= 0 && s->off < s->len) {
        size_t n = s->len - s->off;
        ssize_t w = write(s->fd, s->buf + s->off, n < s->max_write ? n : s->max_write);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            break;
        if (w <= 0) {
            /* the reader went away (EPIPE): like a closed pipe, keep the
             * peer's writer moving and throw its data away */
            s->unacked += (uint32_t)n;
            s->off = s->len = 0;
            s->discard = true;
            close_local(s);
            break;
        }
        s->off += (size_t)w;
        s->unacked += (uint32_t)w;
        if (s->max_write < CHUNK)
            break; /* a blocking fd: one write per readiness */
    }
    if (s->off == s->len)
        s->off = s->len = 0;
    if (kb_istream_done(s))
        close_local(s);
    return grant(s, c, s->off == s->len, err);
}

void kb_istream_fini(struct kb_istream *s)
{
    close_local(s);
    free(s->buf);
    s->buf = NULL;
}
