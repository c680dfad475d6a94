#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util.h"

int kb_conn_init(struct kb_conn *c, int fd, kb_err *err)
{
    int fl = fcntl(fd, F_GETFL);

    memset(c, 0, sizeof *c);
    c->fd = fd;
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        kb_error_errno(err, "agent connection: make the fd non-blocking");
        kb_conn_fini(c);
        return -1;
    }
    if (kb_frame_reader_init(&c->rd, err) < 0) {
        kb_conn_fini(c);
        return -1;
    }
    return 0;
}

void kb_conn_fini(struct kb_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    kb_frame_reader_fini(&c->rd);
    free(c->out);
    c->out = NULL;
    c->off = c->len = c->cap = 0;
}

size_t kb_conn_pending(const struct kb_conn *c)
{
    return c->len - c->off;
}

/* A socket gets MSG_NOSIGNAL; a virtio port is a character device, where
 * send() fails with ENOTSOCK and write() is the way. */
static ssize_t put(int fd, const void *p, size_t n)
{
    ssize_t r = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

    if (r < 0 && errno == ENOTSOCK)
        r = write(fd, p, n);
    return r;
}

int kb_conn_flush(struct kb_conn *c, kb_err *err)
{
    while (c->off < c->len) {
        ssize_t n = put(c->fd, c->out + c->off, c->len - c->off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            return kb_error_errno(err, "agent connection: write");
        }
        c->off += (size_t)n;
    }
    c->off = c->len = 0;
    return 0;
}

int kb_conn_send(struct kb_conn *c, const struct kb_buf *frames, kb_err *err)
{
    size_t queued = c->len - c->off;

    if (c->fd < 0)
        return kb_error(err, EPIPE, "agent connection: closed");
    if (frames->len > KB_CONN_MAX_QUEUE - queued)
        return kb_error(err, ENOBUFS, "agent connection: the peer is not reading (%zu bytes queued)",
                        queued);
    if (c->off) {
        memmove(c->out, c->out + c->off, queued);
        c->off = 0;
        c->len = queued;
    }
    if (c->len + frames->len > c->cap) {
        size_t cap = c->cap ? c->cap : 64 * 1024;
        uint8_t *p;
        while (cap < c->len + frames->len)
            cap *= 2;
        p = realloc(c->out, cap);
        if (!p)
            return kb_error(err, ENOMEM, "agent connection: queue %zu bytes", c->len + frames->len);
        c->out = p;
        c->cap = cap;
    }
    memcpy(c->out + c->len, frames->data, frames->len);
    c->len += frames->len;
    return kb_conn_flush(c, err);
}

int kb_conn_receive(struct kb_conn *c, kb_frame_fn fn, void *ctx, kb_err *err)
{
    uint8_t buf[64 * 1024];

    for (int rounds = 0; rounds < 4; rounds++) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            return kb_error_errno(err, "agent connection: read");
        }
        if (n == 0) {
            c->eof = 1;
            return kb_frame_reader_finish(&c->rd, err);
        }
        if (kb_frame_reader_feed(&c->rd, buf, (size_t)n, fn, ctx, err) < 0)
            return -1;
        if ((size_t)n < sizeof buf)
            return 0;
    }
    return 0; /* let the caller's other fds have a turn */
}

int kb_conn_drain(struct kb_conn *c, unsigned timeout_ms, kb_err *err)
{
    uint64_t deadline = kb_now_ns() + (uint64_t)timeout_ms * 1000000u;

    while (kb_conn_pending(c)) {
        struct pollfd p = { c->fd, POLLOUT, 0 };
        uint64_t now = kb_now_ns();
        if (now >= deadline)
            return kb_error(err, ETIMEDOUT, "agent connection: %zu bytes unsent after %u ms",
                            kb_conn_pending(c), timeout_ms);
        if (poll(&p, 1, (int)((deadline - now) / 1000000) + 1) < 0 && errno != EINTR)
            return kb_error_errno(err, "agent connection: poll");
        if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
            return kb_error(err, EPIPE, "agent connection: closed with %zu bytes unsent",
                            kb_conn_pending(c));
        if (kb_conn_flush(c, err) < 0)
            return -1;
    }
    return 0;
}
