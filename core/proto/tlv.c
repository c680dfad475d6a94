#include "tlv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int kb_buf_reserve(struct kb_buf *b, size_t more, kb_err *err)
{
    size_t cap;
    uint8_t *p;

    if (more > KB_PROTO_MAX_FRAME - b->len)
        return kb_error(err, EMSGSIZE, "message needs more than %d bytes", KB_PROTO_MAX_FRAME);
    if (b->len + more <= b->cap)
        return 0;
    /* doubling keeps appends amortised; the cap bounds the last step */
    cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    if (cap > KB_PROTO_MAX_FRAME)
        cap = KB_PROTO_MAX_FRAME;
    p = realloc(b->data, cap);
    if (!p)
        return kb_error(err, ENOMEM, "grow a %zu byte message buffer", cap);
    b->data = p;
    b->cap = cap;
    return 0;
}

int kb_buf_append(struct kb_buf *b, const void *p, size_t n, kb_err *err)
{
    if (kb_buf_reserve(b, n, err) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void kb_buf_reset(struct kb_buf *b)
{
    b->len = 0;
}

void kb_buf_free(struct kb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int put_head(struct kb_buf *b, uint16_t tag, size_t len, kb_err *err)
{
    uint8_t h[KB_TLV_HEADER_SIZE];

    /* the buffer's cap already bounds len far below UINT32_MAX; the check
     * only spells out that the cast below cannot lose bits */
    if (len > KB_PROTO_MAX_PAYLOAD)
        return kb_error(err, EMSGSIZE, "field %u: %zu bytes, a payload holds at most %d",
                        tag, len, KB_PROTO_MAX_PAYLOAD);
    if (kb_buf_reserve(b, KB_TLV_HEADER_SIZE + len, err) < 0)
        return -1;
    kb_put_le16(h, tag);
    kb_put_le32(h + 2, (uint32_t)len);
    return kb_buf_append(b, h, sizeof h, err);
}

int kb_tlv_put(struct kb_buf *b, uint16_t tag, const void *val, size_t len, kb_err *err)
{
    if (put_head(b, tag, len, err) < 0)
        return -1;
    return kb_buf_append(b, val, len, err);
}

int kb_tlv_put_u32(struct kb_buf *b, uint16_t tag, uint32_t v, kb_err *err)
{
    uint8_t p[4];

    kb_put_le32(p, v);
    return kb_tlv_put(b, tag, p, sizeof p, err);
}

int kb_tlv_put_u64(struct kb_buf *b, uint16_t tag, uint64_t v, kb_err *err)
{
    uint8_t p[8];

    kb_put_le64(p, v);
    return kb_tlv_put(b, tag, p, sizeof p, err);
}

int kb_tlv_put_bool(struct kb_buf *b, uint16_t tag, bool v, kb_err *err)
{
    uint8_t p = v ? 1 : 0;

    return kb_tlv_put(b, tag, &p, 1, err);
}

int kb_tlv_put_str(struct kb_buf *b, uint16_t tag, const char *s, kb_err *err)
{
    size_t n = strnlen(s, KB_PROTO_MAX_STRING + 1);

    if (n > KB_PROTO_MAX_STRING)
        return kb_error(err, EMSGSIZE, "field %u: string longer than %d bytes", tag,
                        KB_PROTO_MAX_STRING);
    return kb_tlv_put(b, tag, s, n, err);
}

int kb_tlv_begin(struct kb_buf *b, uint16_t tag, size_t *mark, kb_err *err)
{
    *mark = b->len;
    return put_head(b, tag, 0, err);
}

void kb_tlv_end(struct kb_buf *b, size_t mark)
{
    kb_put_le32(b->data + mark + 2, (uint32_t)(b->len - mark - KB_TLV_HEADER_SIZE));
}

void kb_tlv_iter_init(struct kb_tlv_iter *it, const uint8_t *p, size_t len)
{
    it->p = p;
    it->len = len;
    it->off = 0;
}

int kb_tlv_next(struct kb_tlv_iter *it, struct kb_tlv *f, kb_err *err)
{
    size_t left = it->len - it->off;
    const uint8_t *h = it->p + it->off;

    if (left == 0)
        return 0;
    if (left < KB_TLV_HEADER_SIZE)
        return kb_error(err, EPROTO, "%zu trailing bytes at offset %zu, a field header needs %d",
                        left, it->off, KB_TLV_HEADER_SIZE);
    f->tag = kb_get_le16(h);
    f->len = kb_get_le32(h + 2);
    f->off = it->off;
    /* compare against what is left, never add to the untrusted length */
    if (f->len > left - KB_TLV_HEADER_SIZE)
        return kb_error(err, EPROTO,
                        "field %u at offset %zu has length %u, only %zu bytes follow", f->tag,
                        it->off, f->len, left - KB_TLV_HEADER_SIZE);
    f->val = h + KB_TLV_HEADER_SIZE;
    it->off += KB_TLV_HEADER_SIZE + f->len;
    return 1;
}
