/* stdio over the agent protocol with flow control (PROTOCOL.md 3.8, 3.9):
 * an outgoing stream reads a local fd and sends STDIO frames within the
 * window the peer granted; an incoming stream buffers at most one window
 * of the peer's STDIO data, writes it to a local fd and grants credit as
 * the data leaves. Neither side ever holds more than a window per stream,
 * however fast the other writes. Shared by host and guest. */
#ifndef KB_PROTO_STREAM_H
#define KB_PROTO_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "conn.h"

struct kb_ostream {            /* local fd -> peer */
    uint32_t id;               /* stream id; 0: unused */
    int fd;                    /* read end; -1 once at EOF */
    int own_fd;                /* close fd at EOF */
    uint64_t window;           /* bytes we may still send */
    bool eof_sent;
};

struct kb_istream {            /* peer -> local fd */
    uint32_t id;
    int fd;                    /* write end; -1 once closed */
    int own_fd;                /* close fd when the stream ends (a pipe's EOF) */
    size_t max_write;          /* per write(): 4096 keeps a blocking pipe from blocking */
    uint8_t *buf;              /* KB_PROTO_STREAM_WINDOW bytes, allocated on first data */
    size_t off, len;           /* pending: buf[off..len) */
    uint64_t allowed;          /* bytes the peer may still send */
    uint32_t unacked;          /* written out, not yet granted back */
    bool eof_received;         /* no more data will come */
    bool discard;              /* the local fd broke: drop data, keep granting */
};

/* Start an outgoing stream on fd with the initial window. */
void kb_ostream_init(struct kb_ostream *s, uint32_t id, int fd, int own_fd);
/* Should the caller poll fd for POLLIN? */
bool kb_ostream_want_read(const struct kb_ostream *s);
/* fd is readable: read within the window and send the data (EOF at end). */
int kb_ostream_pump(struct kb_ostream *s, struct kb_conn *c, kb_err *err);
/* The peer granted more. */
void kb_ostream_credit(struct kb_ostream *s, uint32_t bytes);
/* Stop reading: send EOF now (e.g. the process is gone and its fd with it). */
int kb_ostream_close(struct kb_ostream *s, struct kb_conn *c, kb_err *err);
/* Release the fd if owned, without sending anything. */
void kb_ostream_fini(struct kb_ostream *s);

/* Start an incoming stream writing to fd. */
void kb_istream_init(struct kb_istream *s, uint32_t id, int fd, int own_fd, size_t max_write);
/* A STDIO frame arrived; <0 when the peer overran its window or sent after EOF. */
int kb_istream_data(struct kb_istream *s, struct kb_conn *c, const uint8_t *p, size_t len,
                    bool eof, kb_err *err);
/* Should the caller poll fd for POLLOUT? */
bool kb_istream_want_write(const struct kb_istream *s);
/* fd is writable: write what is pending, grant credit, close at the end. */
int kb_istream_pump(struct kb_istream *s, struct kb_conn *c, kb_err *err);
/* Everything received was written and the stream ended. */
bool kb_istream_done(const struct kb_istream *s);
/* Release the buffer and the fd if owned. */
void kb_istream_fini(struct kb_istream *s);

#endif
