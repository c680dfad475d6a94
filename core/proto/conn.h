/* One end of an agent protocol connection over a byte stream (the
 * transport's fd): frames in through a bounded reader, frames out through
 * a queue written without blocking, so neither a slow nor a hostile peer
 * can stall this side. Used by the host and by the guest agent alike. */
#ifndef KB_PROTO_CONN_H
#define KB_PROTO_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "frame.h"
#include "tlv.h"

/* Bytes this side may have queued for the peer. Stream data is bounded by
 * the peers' windows and requests by their callers, so hitting this means
 * the peer stopped reading. */
#define KB_CONN_MAX_QUEUE (8u << 20)

struct kb_conn {
    int fd;                    /* owned; O_NONBLOCK */
    struct kb_frame_reader rd;
    uint8_t *out;              /* queued bytes: out[off..len) */
    size_t off, len, cap;
    int eof;                   /* the peer closed its end */
};

/* Take ownership of fd (made non-blocking) and allocate the reader. */
int kb_conn_init(struct kb_conn *c, int fd, kb_err *err);
/* Close the fd and free the buffers. */
void kb_conn_fini(struct kb_conn *c);
/* Queue one encoded frame (or several) and try to write it at once. */
int kb_conn_send(struct kb_conn *c, const struct kb_buf *frames, kb_err *err);
/* Write what is queued, as far as the fd takes it without blocking. */
int kb_conn_flush(struct kb_conn *c, kb_err *err);
/* Bytes still queued: poll for POLLOUT while this is non-zero. */
size_t kb_conn_pending(const struct kb_conn *c);
/* Read what is there and call fn per frame; sets c->eof at end of stream
 * (an error if it ends inside a frame); <0 on a read error or bad frame. */
int kb_conn_receive(struct kb_conn *c, kb_frame_fn fn, void *ctx, kb_err *err);
/* Block (up to timeout_ms) until the queue is written; for the last words
 * before closing. */
int kb_conn_drain(struct kb_conn *c, unsigned timeout_ms, kb_err *err);

#endif
