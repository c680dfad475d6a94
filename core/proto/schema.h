/* The table-driven codec behind msg.c: a message schema lists its fields
 * (tag, kind, where in the C struct, bounds), and one decoder, encoder and
 * free walk any schema. So every message gets the same hostile-input
 * checks and the same error wording. Internal to core/proto. */
#ifndef KB_PROTO_SCHEMA_H
#define KB_PROTO_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "tlv.h"

enum kb_field_kind { KB_K_U32, KB_K_U64, KB_K_BOOL, KB_K_STR, KB_K_BYTES, KB_K_MSG };

#define KB_F_REQ 1u    /* must be present */
#define KB_F_REP 2u    /* repeated (u32 or string): off is the array, aux its size_t count */
#define KB_F_HAS 4u    /* optional with a presence flag: aux is the bool */
#define KB_F_MULT4 8u  /* u32 stream base: a multiple of 4 */

struct kb_field {
    uint16_t tag;
    uint8_t kind, flags;
    const char *name;
    size_t off, aux;       /* aux: count (F_REP), length (K_BYTES), flag (F_HAS) */
    uint32_t min, max;     /* u32 value, string/bytes length, or F_REP count */
    const struct kb_schema *sub;   /* KB_K_MSG */
};

struct kb_schema {
    const char *name;
    const struct kb_field *f;
    size_t n, size;        /* fields; sizeof the C struct */
};

/* Decode p[0..len) into the struct m; errors are prefixed with path. */
int kb_schema_decode(const struct kb_schema *s, const char *path, const uint8_t *p, size_t len,
                     void *m, kb_err *err);
/* Append m's fields to b, refusing what the decoder would refuse. */
int kb_schema_encode(const struct kb_schema *s, const char *path, const void *m, struct kb_buf *b,
                     kb_err *err);
/* Free what kb_schema_decode allocated in m and zero it. */
void kb_schema_free(const struct kb_schema *s, void *m);

#endif
