/* The agent protocol's payload encoding (PROTOCOL.md): a flat sequence of
 * fields, each a u16 tag, a u32 length and that many bytes, little-endian.
 * Everything is bounded: a kb_buf never grows past KB_PROTO_MAX_FRAME and
 * the iterator never reads past the bytes it was given. */
#ifndef KB_PROTO_TLV_H
#define KB_PROTO_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err.h"

#define KB_PROTO_HEADER_SIZE 16
#define KB_PROTO_MAX_PAYLOAD (256 * 1024)
#define KB_PROTO_MAX_FRAME (KB_PROTO_HEADER_SIZE + KB_PROTO_MAX_PAYLOAD)
#define KB_PROTO_MAX_STRING (64 * 1024)
#define KB_TLV_HEADER_SIZE 6

/* A growable output buffer; { 0 } is an empty one. It holds at most
 * KB_PROTO_MAX_FRAME bytes in total, so one frame at a time. */
struct kb_buf {
    uint8_t *data;
    size_t len, cap;
};

static inline uint16_t kb_get_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t kb_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t kb_get_le64(const uint8_t *p)
{
    return (uint64_t)kb_get_le32(p) | (uint64_t)kb_get_le32(p + 4) << 32;
}

static inline void kb_put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void kb_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void kb_put_le64(uint8_t *p, uint64_t v)
{
    kb_put_le32(p, (uint32_t)v);
    kb_put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Make room for `more` bytes; <0 (EMSGSIZE) past KB_PROTO_MAX_FRAME in all. */
int kb_buf_reserve(struct kb_buf *b, size_t more, kb_err *err);
/* Append n bytes (p may be NULL when n is 0). */
int kb_buf_append(struct kb_buf *b, const void *p, size_t n, kb_err *err);
/* Forget the contents, keep the memory. */
void kb_buf_reset(struct kb_buf *b);
/* Release the memory; the buffer is empty and reusable afterwards. */
void kb_buf_free(struct kb_buf *b);

/* Append one field with an opaque value. */
int kb_tlv_put(struct kb_buf *b, uint16_t tag, const void *val, size_t len, kb_err *err);
/* Append a u32 field (4 bytes). */
int kb_tlv_put_u32(struct kb_buf *b, uint16_t tag, uint32_t v, kb_err *err);
/* Append a u64 field (8 bytes). */
int kb_tlv_put_u64(struct kb_buf *b, uint16_t tag, uint64_t v, kb_err *err);
/* Append a bool field (1 byte, 0 or 1). */
int kb_tlv_put_bool(struct kb_buf *b, uint16_t tag, bool v, kb_err *err);
/* Append a string field without its NUL; <0 past KB_PROTO_MAX_STRING. */
int kb_tlv_put_str(struct kb_buf *b, uint16_t tag, const char *s, kb_err *err);
/* Open a nested field: its tag and a length placeholder; *mark is for kb_tlv_end. */
int kb_tlv_begin(struct kb_buf *b, uint16_t tag, size_t *mark, kb_err *err);
/* Close the nested field opened at mark by filling in its length. */
void kb_tlv_end(struct kb_buf *b, size_t mark);

struct kb_tlv_iter {
    const uint8_t *p;
    size_t len, off;
};

struct kb_tlv {
    uint16_t tag;
    uint32_t len;
    const uint8_t *val;  /* points into the iterated bytes */
    size_t off;          /* where the field starts, for messages */
};

/* Iterate over the fields in p[0..len). */
void kb_tlv_iter_init(struct kb_tlv_iter *it, const uint8_t *p, size_t len);
/* 1 and *f filled for the next field, 0 at the end, <0 when the remaining
 * bytes are not a whole field (cut header, or a length past the end). */
int kb_tlv_next(struct kb_tlv_iter *it, struct kb_tlv *f, kb_err *err);

#endif
