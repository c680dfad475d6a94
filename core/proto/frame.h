/* Agent protocol v1 framing (PROTOCOL.md is the spec): a 16-byte header
 * and a payload, read incrementally from a byte stream whose other end we
 * do not trust. The reader's memory is fixed at init; a malformed header
 * ends the connection, since framing cannot be resynchronised. */
#ifndef KB_PROTO_FRAME_H
#define KB_PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "tlv.h"

#define KB_PROTO_VERSION 1
/* bytes a sender may have in flight per stream before the first CREDIT */
#define KB_PROTO_STREAM_WINDOW (256 * 1024)

enum kb_msg_type {
    KB_MSG_HELLO = 1,
    KB_MSG_ERROR = 2,
    KB_MSG_CREATE = 3,
    KB_MSG_START = 4,
    KB_MSG_EXEC = 5,
    KB_MSG_SIGNAL = 6,
    KB_MSG_WAIT = 7,
    KB_MSG_STDIO = 8,
    KB_MSG_CREDIT = 9,
    KB_MSG_RESIZE = 10,
    KB_MSG_CLOSE_STDIN = 11,
    KB_MSG_EXIT = 12,
    KB_MSG_SHUTDOWN = 13,
    KB_MSG_PAUSE = 14,
    KB_MSG_RESUME = 15,
    KB_MSG_PIDS = 16,
    KB_MSG_STATS = 17,
    KB_MSG_UPDATE = 18,
    KB_MSG_DELETE = 19,
    KB_MSG_OOM = 20,
};

#define KB_FLAG_RESPONSE 0x1u
#define KB_FLAG_ERROR 0x2u
#define KB_FLAG_EOF 0x4u
#define KB_FLAGS_KNOWN (KB_FLAG_RESPONSE | KB_FLAG_ERROR | KB_FLAG_EOF)

/* a process's streams are base + one of these; base is a non-zero multiple of 4 */
enum { KB_STREAM_STDIN = 0, KB_STREAM_STDOUT = 1, KB_STREAM_STDERR = 2 };

struct kb_frame_hdr {
    uint32_t len;    /* whole frame, header included */
    uint32_t id;
    uint16_t type;
    uint16_t flags;
};

/* The type's name ("EXEC"), or "unknown" for a type v1 does not define. */
const char *kb_msg_type_name(uint16_t type);
/* Parse and check a header from p[0..len); <0 if cut short or malformed. */
int kb_frame_hdr_decode(const uint8_t *p, size_t len, struct kb_frame_hdr *h, kb_err *err);
/* Append a header with a placeholder length; *start is for kb_frame_end. */
int kb_frame_begin(struct kb_buf *out, uint32_t id, uint16_t type, uint16_t flags, size_t *start,
                   kb_err *err);
/* Fill in the length of the frame begun at start; on failure drop it from out. */
int kb_frame_end(struct kb_buf *out, size_t start, kb_err *err);
/* Append one whole frame; on failure out is left as it was. */
int kb_frame_encode(struct kb_buf *out, uint32_t id, uint16_t type, uint16_t flags,
                    const uint8_t *payload, size_t len, kb_err *err);

/* Called once per complete frame; payload is valid only during the call.
 * Return 0 to go on, <0 (with err filled) to stop the feed with an error. */
typedef int (*kb_frame_fn)(void *ctx, const struct kb_frame_hdr *h, const uint8_t *payload,
                           size_t len, kb_err *err);

struct kb_frame_reader {
    uint8_t *buf;              /* KB_PROTO_MAX_FRAME bytes */
    size_t have;               /* bytes of the current frame buffered */
    struct kb_frame_hdr hdr;   /* the current frame's, once have >= 16 */
    int dead;                  /* a feed failed: the stream is unusable */
};

/* Allocate the reader's one buffer. */
int kb_frame_reader_init(struct kb_frame_reader *r, kb_err *err);
/* Free the buffer. */
void kb_frame_reader_fini(struct kb_frame_reader *r);
/* Start over for a new connection, keeping the buffer. */
void kb_frame_reader_reset(struct kb_frame_reader *r);
/* Consume data[0..len), calling fn per complete frame; <0 on a malformed
 * header or a failed callback, after which every feed fails. */
int kb_frame_reader_feed(struct kb_frame_reader *r, const uint8_t *data, size_t len,
                         kb_frame_fn fn, void *ctx, kb_err *err);
/* At end of stream: <0 if the stream stopped inside a frame. */
int kb_frame_reader_finish(const struct kb_frame_reader *r, kb_err *err);

#endif
