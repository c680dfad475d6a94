#include "schema.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bounds the per-decode bookkeeping arrays */
#define MAX_FIELDS 16
/* schemas do not nest recursively; this only guards a mistake in a table */
#define MAX_DEPTH 4

#define AT(base, off, type) ((type *)((char *)(base) + (off)))
#define CAT(base, off, type) ((const type *)((const char *)(base) + (off)))

/* ---- checks shared by decoder and encoder -------------------------------- */

static int check_u32(const char *path, const struct kb_field *fd, uint32_t v, kb_err *err)
{
    if (v < fd->min || v > fd->max)
        return kb_error(err, EPROTO, "%s: field %u (%s) is %u, must be %u..%u", path, fd->tag,
                        fd->name, v, fd->min, fd->max);
    if ((fd->flags & KB_F_MULT4) && v % 4)
        return kb_error(err, EPROTO, "%s: field %u (%s) is %u, must be a multiple of 4", path,
                        fd->tag, fd->name, v);
    return 0;
}

/* strings and bytes; repeated elements are bounded by the string cap only */
static int check_len(const char *path, const struct kb_field *fd, size_t len, kb_err *err)
{
    size_t max = fd->max, min = fd->min;

    if (fd->flags & KB_F_REP) {
        max = KB_PROTO_MAX_STRING;
        min = 0;
    }
    if (len > max)
        return kb_error(err, EPROTO, "%s: field %u (%s) has length %zu, at most %zu", path,
                        fd->tag, fd->name, len, max);
    if (len < min && len == 0)
        return kb_error(err, EPROTO, "%s: field %u (%s) is empty", path, fd->tag, fd->name);
    if (len < min)
        return kb_error(err, EPROTO, "%s: field %u (%s) has length %zu, at least %zu", path,
                        fd->tag, fd->name, len, min);
    return 0;
}

static int check_count(const char *path, const struct kb_field *fd, size_t n, kb_err *err)
{
    if (n > fd->max)
        return kb_error(err, EPROTO, "%s.%s: %zu entries, at most %u", path, fd->name, n, fd->max);
    if (n < fd->min)
        return kb_error(err, EPROTO, "%s.%s: %zu entries, at least %u", path, fd->name, n,
                        fd->min);
    return 0;
}

static int check_fixed(const char *path, const struct kb_field *fd, const struct kb_tlv *t,
                       uint32_t want, const char *what, kb_err *err)
{
    if (t->len != want)
        return kb_error(err, EPROTO, "%s: field %u (%s) has length %u, a %s needs %u", path,
                        fd->tag, fd->name, t->len, what, want);
    return 0;
}

/* Everything about one field that can be checked without allocating. */
static int check_field(const char *path, const struct kb_field *fd, const struct kb_tlv *t,
                       kb_err *err)
{
    const void *nul;

    switch (fd->kind) {
    case KB_K_U32:
        if (check_fixed(path, fd, t, 4, "u32", err) < 0)
            return -1;
        return (fd->flags & KB_F_REP) ? 0 : check_u32(path, fd, kb_get_le32(t->val), err);
    case KB_K_U64:
        return check_fixed(path, fd, t, 8, "u64", err);
    case KB_K_BOOL:
        if (check_fixed(path, fd, t, 1, "bool", err) < 0)
            return -1;
        if (t->val[0] > 1)
            return kb_error(err, EPROTO, "%s: field %u (%s) holds %u, a bool must be 0 or 1",
                            path, fd->tag, fd->name, t->val[0]);
        return 0;
    case KB_K_STR:
        if (check_len(path, fd, t->len, err) < 0)
            return -1;
        nul = memchr(t->val, 0, t->len);
        if (nul)
            return kb_error(err, EPROTO, "%s: field %u (%s) has a NUL byte at offset %zu", path,
                            fd->tag, fd->name, (size_t)((const uint8_t *)nul - t->val));
        return 0;
    case KB_K_BYTES:
        return check_len(path, fd, t->len, err);
    default:
        return 0; /* KB_K_MSG: checked by its own decode */
    }
}

/* ---- free ----------------------------------------------------------------- */

static void release(const struct kb_schema *s, void *m)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct kb_field *fd = &s->f[i];

        if ((fd->flags & KB_F_REP) && fd->kind == KB_K_STR) {
            char **a = *AT(m, fd->off, char **);
            size_t n = *AT(m, fd->aux, size_t);
            for (size_t j = 0; a && j < n; j++)
                free(a[j]);
            free(a);
        } else if ((fd->flags & KB_F_REP) || fd->kind == KB_K_STR || fd->kind == KB_K_BYTES) {
            free(*AT(m, fd->off, void *));
        } else if (fd->kind == KB_K_MSG) {
            release(fd->sub, AT(m, fd->off, void));
        }
    }
    if (s->size)
        memset(m, 0, s->size);
}

/* ---- decode --------------------------------------------------------------- */

static const struct kb_field *find(const struct kb_schema *s, uint16_t tag, size_t *idx)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->f[i].tag == tag) {
            *idx = i;
            return &s->f[i];
        }
    }
    return NULL;
}

static char *copy_str(const uint8_t *p, size_t len)
{
    char *s = malloc(len + 1);

    if (s) {
        if (len)
            memcpy(s, p, len);
        s[len] = '\0';
    }
    return s;
}

static int decode(const struct kb_schema *s, const char *path, int depth, const uint8_t *p,
                  size_t len, void *m, kb_err *err);

/* Store one field that check_field already accepted. */
static int store(const struct kb_field *fd, const struct kb_tlv *t, size_t *fill, const char *path,
                 int depth, void *m, kb_err *err)
{
    char sub[256];

    if (fd->flags & KB_F_REP) {
        if (fd->kind == KB_K_U32) {
            (*AT(m, fd->off, uint32_t *))[(*fill)++] = kb_get_le32(t->val);
            return 0;
        }
        char *str = copy_str(t->val, t->len);
        if (!str)
            return kb_error(err, ENOMEM, "%s.%s", path, fd->name);
        (*AT(m, fd->off, char **))[(*fill)++] = str;
        return 0;
    }
    if (fd->flags & KB_F_HAS)
        *AT(m, fd->aux, bool) = true;
    switch (fd->kind) {
    case KB_K_U32:
        *AT(m, fd->off, uint32_t) = kb_get_le32(t->val);
        return 0;
    case KB_K_U64:
        *AT(m, fd->off, uint64_t) = kb_get_le64(t->val);
        return 0;
    case KB_K_BOOL:
        *AT(m, fd->off, bool) = t->val[0] == 1;
        return 0;
    case KB_K_STR:
        *AT(m, fd->off, char *) = copy_str(t->val, t->len);
        if (!*AT(m, fd->off, char *))
            return kb_error(err, ENOMEM, "%s.%s", path, fd->name);
        return 0;
    case KB_K_BYTES:
        if (t->len) {
            uint8_t *b = malloc(t->len);
            if (!b)
                return kb_error(err, ENOMEM, "%s.%s", path, fd->name);
            memcpy(b, t->val, t->len);
            *AT(m, fd->off, uint8_t *) = b;
        }
        *AT(m, fd->aux, size_t) = t->len;
        return 0;
    default:
        snprintf(sub, sizeof sub, "%s.%s", path, fd->name);
        return decode(fd->sub, sub, depth + 1, t->val, t->len, AT(m, fd->off, void), err);
    }
}

/* Two passes: the first checks every field and counts repeated ones, so
 * arrays are allocated once at a size the caps already bounded; the second
 * copies. */
static int decode(const struct kb_schema *s, const char *path, int depth, const uint8_t *p,
                  size_t len, void *m, kb_err *err)
{
    size_t count[MAX_FIELDS] = { 0 }, fill[MAX_FIELDS] = { 0 };
    struct kb_tlv_iter it;
    struct kb_tlv t;
    size_t i;
    int r;

    if (s->size)
        memset(m, 0, s->size);
    if (depth > MAX_DEPTH)
        return kb_error(err, EPROTO, "%s: schema nests deeper than %d", path, MAX_DEPTH);
    if (s->n > MAX_FIELDS)
        return kb_error(err, EINVAL, "%s: schema has more than %d fields", path, MAX_FIELDS);
    kb_tlv_iter_init(&it, p, len);
    while ((r = kb_tlv_next(&it, &t, err)) > 0) {
        const struct kb_field *fd = find(s, t.tag, &i);
        if (!fd)
            continue; /* a newer peer's field: skipped by design */
        if (!(fd->flags & KB_F_REP) && count[i])
            return kb_error(err, EPROTO, "%s: field %u (%s) appears twice", path, fd->tag,
                            fd->name);
        if (check_field(path, fd, &t, err) < 0)
            return -1;
        count[i]++;
    }
    if (r < 0)
        return kb_error_wrap(err, "%s", path);
    for (i = 0; i < s->n; i++) {
        const struct kb_field *fd = &s->f[i];
        if (fd->flags & KB_F_REP) {
            if (check_count(path, fd, count[i], err) < 0)
                return -1;
        } else if ((fd->flags & KB_F_REQ) && !count[i]) {
            return kb_error(err, EPROTO, "%s: required field %u (%s) is missing", path, fd->tag,
                            fd->name);
        }
    }
    for (i = 0; i < s->n; i++) {
        const struct kb_field *fd = &s->f[i];
        if (!(fd->flags & KB_F_REP) || !count[i])
            continue;
        *AT(m, fd->off, void *) =
            calloc(count[i], fd->kind == KB_K_STR ? sizeof(char *) : sizeof(uint32_t));
        if (!*AT(m, fd->off, void *)) {
            kb_error(err, ENOMEM, "%s.%s: %zu entries", path, fd->name, count[i]);
            goto fail;
        }
        *AT(m, fd->aux, size_t) = count[i];
    }
    kb_tlv_iter_init(&it, p, len);
    while (kb_tlv_next(&it, &t, err) > 0) {
        const struct kb_field *fd = find(s, t.tag, &i);
        if (fd && store(fd, &t, &fill[i], path, depth, m, err) < 0)
            goto fail;
    }
    /* absent optional strings read as "", so consumers never see NULL */
    for (i = 0; i < s->n; i++) {
        const struct kb_field *fd = &s->f[i];
        if (fd->kind == KB_K_STR && !(fd->flags & KB_F_REP) && !count[i]) {
            *AT(m, fd->off, char *) = copy_str(NULL, 0);
            if (!*AT(m, fd->off, char *)) {
                kb_error(err, ENOMEM, "%s.%s", path, fd->name);
                goto fail;
            }
        }
    }
    return 0;
fail:
    release(s, m);
    return -1;
}

/* ---- encode --------------------------------------------------------------- */

static int encode(const struct kb_schema *s, const char *path, int depth, const void *m,
                  struct kb_buf *b, kb_err *err);

static int encode_rep(const struct kb_field *fd, const char *path, const void *m, struct kb_buf *b,
                      kb_err *err)
{
    size_t n = *CAT(m, fd->aux, size_t);

    if (check_count(path, fd, n, err) < 0)
        return -1;
    if (n && !*CAT(m, fd->off, void *))
        return kb_error(err, EINVAL, "%s.%s: %zu entries but no array", path, fd->name, n);
    for (size_t j = 0; j < n; j++) {
        if (fd->kind == KB_K_U32) {
            if (kb_tlv_put_u32(b, fd->tag, (*CAT(m, fd->off, uint32_t *))[j], err) < 0)
                return -1;
            continue;
        }
        const char *str = (*CAT(m, fd->off, char *const *))[j];
        if (!str)
            return kb_error(err, EINVAL, "%s.%s[%zu] is not set", path, fd->name, j);
        if (check_len(path, fd, strnlen(str, KB_PROTO_MAX_STRING + 1), err) < 0 ||
            kb_tlv_put_str(b, fd->tag, str, err) < 0)
            return -1;
    }
    return 0;
}

/* Optional fields at their default are left out: the decoder restores the
 * default, and the encoding never grows past what a peer sent us. */
static int encode_field(const struct kb_field *fd, const char *path, int depth, const void *m,
                        struct kb_buf *b, kb_err *err)
{
    bool req = fd->flags & KB_F_REQ;
    char sub[256];
    size_t mark;

    if (fd->flags & KB_F_REP)
        return encode_rep(fd, path, m, b, err);
    if ((fd->flags & KB_F_HAS) && !*CAT(m, fd->aux, bool))
        return 0;
    switch (fd->kind) {
    case KB_K_U32: {
        uint32_t v = *CAT(m, fd->off, uint32_t);
        if (!req && !(fd->flags & KB_F_HAS) && v == 0)
            return 0;
        if (check_u32(path, fd, v, err) < 0)
            return -1;
        return kb_tlv_put_u32(b, fd->tag, v, err);
    }
    case KB_K_U64: {
        uint64_t v = *CAT(m, fd->off, uint64_t);
        return (!req && v == 0) ? 0 : kb_tlv_put_u64(b, fd->tag, v, err);
    }
    case KB_K_BOOL: {
        bool v = *CAT(m, fd->off, bool);
        return (!req && !v) ? 0 : kb_tlv_put_bool(b, fd->tag, v, err);
    }
    case KB_K_STR: {
        const char *str = *CAT(m, fd->off, char *);
        if (!req && (!str || !*str))
            return 0;
        if (!str)
            return kb_error(err, EINVAL, "%s: required field %u (%s) is not set", path, fd->tag,
                            fd->name);
        if (check_len(path, fd, strnlen(str, KB_PROTO_MAX_STRING + 1), err) < 0)
            return -1;
        return kb_tlv_put_str(b, fd->tag, str, err);
    }
    case KB_K_BYTES: {
        const uint8_t *data = *CAT(m, fd->off, uint8_t *);
        size_t n = *CAT(m, fd->aux, size_t);
        if (!req && n == 0)
            return 0;
        if (n && !data)
            return kb_error(err, EINVAL, "%s: field %u (%s) has length %zu but no data", path,
                            fd->tag, fd->name, n);
        if (check_len(path, fd, n, err) < 0)
            return -1;
        return kb_tlv_put(b, fd->tag, data, n, err);
    }
    default:
        snprintf(sub, sizeof sub, "%s.%s", path, fd->name);
        if (kb_tlv_begin(b, fd->tag, &mark, err) < 0 ||
            encode(fd->sub, sub, depth + 1, CAT(m, fd->off, void), b, err) < 0)
            return -1;
        kb_tlv_end(b, mark);
        return 0;
    }
}

static int encode(const struct kb_schema *s, const char *path, int depth, const void *m,
                  struct kb_buf *b, kb_err *err)
{
    if (depth > MAX_DEPTH)
        return kb_error(err, EINVAL, "%s: schema nests deeper than %d", path, MAX_DEPTH);
    for (size_t i = 0; i < s->n; i++)
        if (encode_field(&s->f[i], path, depth, m, b, err) < 0)
            return -1;
    return 0;
}

int kb_schema_decode(const struct kb_schema *s, const char *path, const uint8_t *p, size_t len,
                     void *m, kb_err *err)
{
    return decode(s, path, 0, p, len, m, err);
}

int kb_schema_encode(const struct kb_schema *s, const char *path, const void *m, struct kb_buf *b,
                     kb_err *err)
{
    return encode(s, path, 0, m, b, err);
}

void kb_schema_free(const struct kb_schema *s, void *m)
{
    release(s, m);
}
