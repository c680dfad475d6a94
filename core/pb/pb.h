/* Protocol Buffers wire format, table-driven: a message is described once
 * by a field table (tag, kind, where it lives in a C struct) and one
 * decoder and one encoder serve every message, as core/proto/schema.c does
 * for our own protocol. For ttrpc (the containerd shim): containerd is
 * trusted, but the decoder is fuzzed as if it were not: every length is
 * checked, nesting is bounded, unknown fields are skipped. */
#ifndef KB_PB_H
#define KB_PB_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "../proto/tlv.h"

#define KB_PB_MAX_DEPTH 16
#define KB_PB_MAX_REPEATED 65536   /* entries of one repeated field */

enum kb_pb_kind {
    KB_PB_U64,      /* varint, uint64_t (uint64, and int64 as its two's complement) */
    KB_PB_U32,      /* varint, uint32_t (uint32, enum; int32 as its two's complement) */
    KB_PB_BOOL,     /* varint, int */
    KB_PB_STR,      /* length-delimited, char * (NUL-terminated; a NUL inside is refused) */
    KB_PB_BYTES,    /* length-delimited, uint8_t * and its size_t length at aux */
    KB_PB_MSG,      /* length-delimited, a pointer to a struct of `sub` (NULL: absent) */
    KB_PB_FIXED64,  /* 8 bytes little-endian, uint64_t (fixed64, sfixed64, double's bits) */
    KB_PB_FIXED32,  /* 4 bytes little-endian, uint32_t */
};

#define KB_PB_REP 1 /* repeated: a pointer to an array, its size_t count at aux (not for BYTES) */

struct kb_pb_msg;

struct kb_pb_field {
    uint32_t tag;
    uint8_t kind;       /* enum kb_pb_kind */
    uint8_t flags;      /* KB_PB_REP */
    const char *name;   /* for errors */
    size_t off;         /* of the value (or the array) in the struct */
    size_t aux;         /* of the length (BYTES) or the count (REP) */
    const struct kb_pb_msg *sub; /* KB_PB_MSG */
};

struct kb_pb_msg {
    const char *name;
    size_t size;        /* sizeof the struct */
    const struct kb_pb_field *fields;
    size_t n_fields;
};

/* Decode len bytes into out (a zeroed struct of d first); kb_pb_free it after, on error too. */
int kb_pb_decode(const struct kb_pb_msg *d, const uint8_t *p, size_t len, void *out, kb_err *err);
/* Free what decode allocated in m (not m itself) and zero it. */
void kb_pb_free(const struct kb_pb_msg *d, void *m);
/* Append m's encoding (fields in table order; zero scalars and NULLs left out, as proto3). */
int kb_pb_encode(const struct kb_pb_msg *d, const void *m, struct kb_buf *out, kb_err *err);
/* Varints on their own (ttrpc and tests): bytes used, 0 when cut or longer than 10. */
size_t kb_pb_get_varint(const uint8_t *p, size_t len, uint64_t *v);
int kb_pb_put_varint(struct kb_buf *out, uint64_t v, kb_err *err);

#endif
