#include "pb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2, WT_FIXED32 = 5 };

#define AT(m, off, T) ((T *)((char *)(m) + (off)))
#define CAT(m, off, T) ((const T *)((const char *)(m) + (off)))

size_t kb_pb_get_varint(const uint8_t *p, size_t len, uint64_t *v)
{
    uint64_t r = 0;

    for (size_t i = 0; i < len && i < 10; i++) {
        /* the tenth byte may only carry the last bit */
        if (i == 9 && p[i] > 1)
            return 0;
        r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = r;
            return i + 1;
        }
    }
    return 0;
}

int kb_pb_put_varint(struct kb_buf *out, uint64_t v, kb_err *err)
{
    uint8_t b[10];
    size_t n = 0;

    do {
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    return kb_buf_append(out, b, n, err);
}

static int wire_of(uint8_t kind)
{
    switch (kind) {
    case KB_PB_U64: case KB_PB_U32: case KB_PB_BOOL: return WT_VARINT;
    case KB_PB_FIXED64: return WT_FIXED64;
    case KB_PB_FIXED32: return WT_FIXED32;
    default: return WT_LEN;
    }
}

static size_t elem_size(const struct kb_pb_field *f)
{
    switch (f->kind) {
    case KB_PB_U64: case KB_PB_FIXED64: return sizeof(uint64_t);
    case KB_PB_U32: case KB_PB_FIXED32: return sizeof(uint32_t);
    case KB_PB_BOOL: return sizeof(int);
    case KB_PB_MSG: return f->sub->size;
    default: return sizeof(char *);
    }
}

/* Room for one more entry of a repeated field; *slot gets it (zeroed). */
static int grow(const struct kb_pb_msg *d, const struct kb_pb_field *f, void *m, void **slot, kb_err *err)
{
    void **arr = AT(m, f->off, void *);
    size_t *n = AT(m, f->aux, size_t), sz = elem_size(f);
    char *more;

    if (*n >= KB_PB_MAX_REPEATED)
        return kb_error(err, E2BIG, "%s.%s: more than %d entries", d->name, f->name, KB_PB_MAX_REPEATED);
    /* doubling at powers of two: the array is exactly as long as needed between */
    if ((*n & (*n - 1)) == 0) {
        size_t cap = *n ? *n * 2 : 1;
        more = realloc(*arr, cap * sz);
        if (!more)
            return kb_error(err, ENOMEM, "%s.%s", d->name, f->name);
        *arr = more;
    }
    *slot = (char *)*arr + *n * sz;
    memset(*slot, 0, sz);
    (*n)++;
    return 0;
}

static int decode_at(const struct kb_pb_msg *d, const uint8_t *p, size_t len, void *out, int depth, kb_err *err);

/* One value of field f (wire type already checked) into dst. */
static int take(const struct kb_pb_msg *d, const struct kb_pb_field *f, uint64_t v, const uint8_t *data,
                size_t dlen, void *dst, void *m, int depth, kb_err *err)
{
    switch (f->kind) {
    case KB_PB_U64:
    case KB_PB_FIXED64:
        *(uint64_t *)dst = v;
        return 0;
    case KB_PB_U32:
    case KB_PB_FIXED32:
        /* int32 travels sign-extended to 64 bits: keep its low half */
        *(uint32_t *)dst = (uint32_t)v;
        return 0;
    case KB_PB_BOOL:
        *(int *)dst = v != 0;
        return 0;
    case KB_PB_STR: {
        char *s;
        if (memchr(data, 0, dlen))
            return kb_error(err, EPROTO, "%s.%s: a NUL byte in a string", d->name, f->name);
        s = malloc(dlen + 1);
        if (!s)
            return kb_error(err, ENOMEM, "%s.%s", d->name, f->name);
        memcpy(s, data, dlen);
        s[dlen] = '\0';
        free(*(char **)dst);    /* the last one wins, as protobuf says */
        *(char **)dst = s;
        return 0;
    }
    case KB_PB_BYTES: {
        uint8_t *b = malloc(dlen ? dlen : 1);
        if (!b)
            return kb_error(err, ENOMEM, "%s.%s", d->name, f->name);
        memcpy(b, data, dlen);
        free(*(uint8_t **)dst);
        *(uint8_t **)dst = b;
        *AT(m, f->aux, size_t) = dlen;
        return 0;
    }
    case KB_PB_MSG:
        return decode_at(f->sub, data, dlen, dst, depth + 1, err);
    }
    return kb_error(err, EINVAL, "%s.%s: bad kind in the table", d->name, f->name);
}

static const struct kb_pb_field *field_of(const struct kb_pb_msg *d, uint32_t tag)
{
    for (size_t i = 0; i < d->n_fields; i++)
        if (d->fields[i].tag == tag)
            return &d->fields[i];
    return NULL;
}

/* A packed repeated scalar: a run of values of f's wire type. */
static int take_packed(const struct kb_pb_msg *d, const struct kb_pb_field *f, const uint8_t *p, size_t len,
                       void *m, kb_err *err)
{
    size_t i = 0;

    while (i < len) {
        uint64_t v = 0;
        void *slot;
        size_t used;
        int wt = wire_of(f->kind);

        if (wt == WT_VARINT)
            used = kb_pb_get_varint(p + i, len - i, &v);
        else
            used = wt == WT_FIXED64 ? 8 : 4;
        if (!used || used > len - i)
            return kb_error(err, EPROTO, "%s.%s: a packed value is cut", d->name, f->name);
        if (wt == WT_FIXED64)
            for (int b = 7; b >= 0; b--)
                v = v << 8 | p[i + (size_t)b];
        else if (wt == WT_FIXED32)
            v = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
        if (grow(d, f, m, &slot, err) < 0 || take(d, f, v, NULL, 0, slot, m, 0, err) < 0)
            return -1;
        i += used;
    }
    return 0;
}

static int decode_at(const struct kb_pb_msg *d, const uint8_t *p, size_t len, void *out, int depth, kb_err *err)
{
    size_t i = 0;

    if (depth > KB_PB_MAX_DEPTH)
        return kb_error(err, EPROTO, "%s: nested more than %d deep", d->name, KB_PB_MAX_DEPTH);
    while (i < len) {
        uint64_t key, v = 0;
        size_t used = kb_pb_get_varint(p + i, len - i, &key), dlen = 0;
        const uint8_t *data = NULL;
        const struct kb_pb_field *f;
        int wt;

        if (!used)
            return kb_error(err, EPROTO, "%s: a field key is cut at byte %zu", d->name, i);
        i += used;
        wt = (int)(key & 7);
        if (key >> 3 == 0 || key >> 3 > 0x1fffffff)
            return kb_error(err, EPROTO, "%s: field number %llu", d->name, (unsigned long long)(key >> 3));
        switch (wt) {
        case WT_VARINT:
            used = kb_pb_get_varint(p + i, len - i, &v);
            if (!used)
                return kb_error(err, EPROTO, "%s: field %llu: a varint is cut", d->name, (unsigned long long)(key >> 3));
            break;
        case WT_FIXED64:
        case WT_FIXED32:
            used = wt == WT_FIXED64 ? 8 : 4;
            if (len - i < used)
                return kb_error(err, EPROTO, "%s: field %llu is cut", d->name, (unsigned long long)(key >> 3));
            for (size_t b = used; b-- > 0;)
                v = v << 8 | p[i + b];
            break;
        case WT_LEN:
            used = kb_pb_get_varint(p + i, len - i, &v);
            if (!used || v > len - i - used)
                return kb_error(err, EPROTO, "%s: field %llu: its length runs past the end", d->name,
                                (unsigned long long)(key >> 3));
            data = p + i + used;
            dlen = (size_t)v;
            used += dlen;
            break;
        default:
            /* groups (3, 4) are not used by any message we speak */
            return kb_error(err, EPROTO, "%s: field %llu has wire type %d", d->name, (unsigned long long)(key >> 3), wt);
        }
        i += used;
        f = field_of(d, (uint32_t)(key >> 3));
        if (!f)
            continue; /* unknown: skipped, as protobuf says */
        if (wt != wire_of(f->kind)) {
            if ((f->flags & KB_PB_REP) && wt == WT_LEN && wire_of(f->kind) != WT_LEN) {
                if (take_packed(d, f, data, dlen, out, err) < 0)
                    return -1;
                continue;
            }
            return kb_error(err, EPROTO, "%s.%s: wire type %d, expected %d", d->name, f->name, wt, wire_of(f->kind));
        }
        if (f->flags & KB_PB_REP) {
            void *slot;
            if (f->kind == KB_PB_BYTES)
                return kb_error(err, EINVAL, "%s.%s: repeated bytes in the table", d->name, f->name);
            if (grow(d, f, out, &slot, err) < 0 || take(d, f, v, data, dlen, slot, out, depth, err) < 0)
                return -1;
        } else if (f->kind == KB_PB_MSG) {
            void **sub = AT(out, f->off, void *);
            /* a repeated occurrence of a message field merges into it (protobuf) */
            if (!*sub && !(*sub = calloc(1, f->sub->size)))
                return kb_error(err, ENOMEM, "%s.%s", d->name, f->name);
            if (decode_at(f->sub, data, dlen, *sub, depth + 1, err) < 0)
                return -1;
        } else if (take(d, f, v, data, dlen, AT(out, f->off, void), out, depth, err) < 0) {
            return -1;
        }
    }
    return 0;
}

int kb_pb_decode(const struct kb_pb_msg *d, const uint8_t *p, size_t len, void *out, kb_err *err)
{
    memset(out, 0, d->size);
    if (decode_at(d, p, len, out, 0, err) < 0)
        return kb_error_wrap(err, "decode %s", d->name);
    return 0;
}

void kb_pb_free(const struct kb_pb_msg *d, void *m)
{
    for (size_t i = 0; i < d->n_fields; i++) {
        const struct kb_pb_field *f = &d->fields[i];
        if (f->flags & KB_PB_REP) {
            char *arr = *AT(m, f->off, char *);
            size_t n = *AT(m, f->aux, size_t);
            for (size_t j = 0; arr && j < n; j++) {
                if (f->kind == KB_PB_STR || f->kind == KB_PB_BYTES)
                    free(((char **)(void *)arr)[j]);
                else if (f->kind == KB_PB_MSG)
                    kb_pb_free(f->sub, arr + j * f->sub->size);
            }
            free(arr);
        } else if (f->kind == KB_PB_STR || f->kind == KB_PB_BYTES) {
            free(*AT(m, f->off, void *));
        } else if (f->kind == KB_PB_MSG) {
            void *sub = *AT(m, f->off, void *);
            if (sub)
                kb_pb_free(f->sub, sub);
            free(sub);
        }
    }
    memset(m, 0, d->size);
}

/* --- encoding */

static int put_key(struct kb_buf *out, uint32_t tag, int wt, kb_err *err)
{
    return kb_pb_put_varint(out, (uint64_t)tag << 3 | (unsigned)wt, err);
}

static int put_len(struct kb_buf *out, uint32_t tag, const void *p, size_t n, kb_err *err)
{
    if (put_key(out, tag, WT_LEN, err) < 0 || kb_pb_put_varint(out, n, err) < 0)
        return -1;
    return kb_buf_append(out, p, n, err);
}

static int encode_at(const struct kb_pb_msg *d, const void *m, struct kb_buf *out, int depth, kb_err *err);

/* One value; always written when `always` (an entry of a repeated field). */
static int put_one(const struct kb_pb_field *f, const void *v, size_t blen, int always, struct kb_buf *out,
                   int depth, kb_err *err)
{
    uint8_t b[8];
    uint64_t x;

    switch (f->kind) {
    case KB_PB_U64:
    case KB_PB_U32:
    case KB_PB_BOOL:
        x = f->kind == KB_PB_U64 ? *(const uint64_t *)v
            : f->kind == KB_PB_U32 ? *(const uint32_t *)v : (uint64_t)(*(const int *)v != 0);
        if (!x && !always)
            return 0;
        return put_key(out, f->tag, WT_VARINT, err) < 0 ? -1 : kb_pb_put_varint(out, x, err);
    case KB_PB_FIXED64:
    case KB_PB_FIXED32: {
        size_t n = f->kind == KB_PB_FIXED64 ? 8 : 4;
        x = n == 8 ? *(const uint64_t *)v : *(const uint32_t *)v;
        if (!x && !always)
            return 0;
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)(x >> (8 * i));
        return put_key(out, f->tag, n == 8 ? WT_FIXED64 : WT_FIXED32, err) < 0 ? -1 : kb_buf_append(out, b, n, err);
    }
    case KB_PB_STR: {
        const char *s = *(char *const *)v;
        if (!s || (!*s && !always))
            return 0;
        return put_len(out, f->tag, s, strlen(s), err);
    }
    case KB_PB_BYTES: {
        const uint8_t *p = *(uint8_t *const *)v;
        if (!blen && !always)
            return 0;
        return put_len(out, f->tag, p ? p : (const uint8_t *)"", blen, err);
    }
    case KB_PB_MSG: {
        struct kb_buf sub = { 0 };
        int r;
        if (!v)
            return 0;
        r = encode_at(f->sub, v, &sub, depth + 1, err);
        if (r == 0)
            r = put_len(out, f->tag, sub.data ? sub.data : (uint8_t *)"", sub.len, err);
        kb_buf_free(&sub);
        return r;
    }
    }
    return kb_error(err, EINVAL, "%s: bad kind in the table", f->name);
}

static int encode_at(const struct kb_pb_msg *d, const void *m, struct kb_buf *out, int depth, kb_err *err)
{
    if (depth > KB_PB_MAX_DEPTH)
        return kb_error(err, EINVAL, "%s: nested more than %d deep", d->name, KB_PB_MAX_DEPTH);
    for (size_t i = 0; i < d->n_fields; i++) {
        const struct kb_pb_field *f = &d->fields[i];
        if (f->flags & KB_PB_REP) {
            const char *arr = *CAT(m, f->off, char *const);
            size_t n = *CAT(m, f->aux, size_t), sz = elem_size(f);
            /* repeated entries: each its own field, bytes of a repeated BYTES have no length here */
            for (size_t j = 0; arr && j < n; j++)
                if (put_one(f, arr + j * sz, 0, 1, out, depth, err) < 0)
                    return -1;
        } else if (f->kind == KB_PB_MSG) {
            if (put_one(f, *CAT(m, f->off, void *const), 0, 0, out, depth, err) < 0)
                return -1;
        } else if (put_one(f, CAT(m, f->off, void), f->kind == KB_PB_BYTES ? *CAT(m, f->aux, size_t) : 0, 0, out,
                           depth, err) < 0) {
            return -1;
        }
    }
    return 0;
}

int kb_pb_encode(const struct kb_pb_msg *d, const void *m, struct kb_buf *out, kb_err *err)
{
    return encode_at(d, m, out, 0, err);
}
