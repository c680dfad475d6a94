#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/proto/tlv.h"
#include "tap.h"

static int next(struct kb_tlv_iter *it, struct kb_tlv *t, kb_err *err)
{
    memset(err, 0, sizeof *err);
    return kb_tlv_next(it, t, err);
}

int main(void)
{
    struct kb_buf b = { 0 };
    struct kb_tlv_iter it;
    struct kb_tlv t;
    kb_err err;
    size_t mark, len;
    uint8_t raw[32];
    char *big;

    /* byte layout: u16 tag, u32 length, value, all little-endian */
    ok(kb_tlv_put_u32(&b, 0x0102, 0x11223344, &err) == 0 && b.len == 10, "u32 field is 10 bytes");
    ok(memcmp(b.data, "\x02\x01\x04\x00\x00\x00\x44\x33\x22\x11", 10) == 0,
       "u32 field is little-endian tag, length, value");
    ok(kb_tlv_put_u64(&b, 2, 0x0102030405060708ull, &err) == 0, "u64 field");
    ok(kb_tlv_put_bool(&b, 3, true, &err) == 0, "bool field");
    ok(kb_tlv_put_str(&b, 4, "hi", &err) == 0, "string field");
    ok(kb_tlv_put_str(&b, 5, "", &err) == 0, "empty string field");
    ok(kb_tlv_begin(&b, 6, &mark, &err) == 0 && kb_tlv_put_u32(&b, 1, 7, &err) == 0,
       "nested field");
    kb_tlv_end(&b, mark);
    len = b.len;

    kb_tlv_iter_init(&it, b.data, b.len);
    ok(next(&it, &t, &err) == 1 && t.tag == 0x0102 && t.len == 4 &&
           kb_get_le32(t.val) == 0x11223344 && t.off == 0, "iterate: u32");
    ok(next(&it, &t, &err) == 1 && t.tag == 2 && t.len == 8 &&
           kb_get_le64(t.val) == 0x0102030405060708ull, "iterate: u64");
    ok(next(&it, &t, &err) == 1 && t.tag == 3 && t.len == 1 && t.val[0] == 1, "iterate: bool");
    ok(next(&it, &t, &err) == 1 && t.tag == 4 && t.len == 2 && memcmp(t.val, "hi", 2) == 0,
       "iterate: string without NUL");
    ok(next(&it, &t, &err) == 1 && t.tag == 5 && t.len == 0, "iterate: empty string");
    ok(next(&it, &t, &err) == 1 && t.tag == 6 && t.len == 10 && kb_get_le16(t.val) == 1 &&
           kb_get_le32(t.val + 6) == 7, "iterate: nested length covers its fields");
    ok(next(&it, &t, &err) == 0, "iterate: end");
    ok(next(&it, &t, &err) == 0, "iterate: end stays end");

    kb_tlv_iter_init(&it, NULL, 0);
    ok(next(&it, &t, &err) == 0, "empty payload has no fields");

    /* a cut header: never read the missing bytes */
    kb_tlv_iter_init(&it, b.data, 4);
    ok(next(&it, &t, &err) < 0, "4 bytes are not a field header");
    is_str(err.msg, "4 trailing bytes at offset 0, a field header needs 6", "cut header message");
    ok(err.errnum == EPROTO, "decode errors carry EPROTO");

    /* a length past the end */
    kb_tlv_iter_init(&it, b.data, 9);
    ok(next(&it, &t, &err) < 0, "value cut short");
    is_str(err.msg, "field 258 at offset 0 has length 4, only 3 bytes follow", "cut value message");
    memcpy(raw, "\x01\x00\xff\xff\xff\xff", 6);
    kb_tlv_iter_init(&it, raw, 6);
    ok(next(&it, &t, &err) < 0 && strstr(err.msg, "length 4294967295, only 0 bytes follow"),
       "length 2^32-1 is refused without overflow");
    memcpy(raw, "\x01\x00\x02\x00\x00\x00" "ab" "\x02\x00\x09\x00\x00\x00" "x", 15);
    kb_tlv_iter_init(&it, raw, 15);
    ok(next(&it, &t, &err) == 1 && next(&it, &t, &err) < 0 &&
           strcmp(err.msg, "field 2 at offset 8 has length 9, only 1 bytes follow") == 0,
       "the error names the offset of the bad field");

    /* the hard cap */
    big = malloc(KB_PROTO_MAX_STRING + 2);
    memset(big, 'a', KB_PROTO_MAX_STRING + 1);
    big[KB_PROTO_MAX_STRING + 1] = '\0';
    ok(kb_tlv_put_str(&b, 9, big, &err) < 0 && err.errnum == EMSGSIZE && b.len == len,
       "a string over 64 KiB is refused and nothing is appended");
    big[KB_PROTO_MAX_STRING] = '\0';
    ok(kb_tlv_put_str(&b, 9, big, &err) == 0 && b.len == len + 6 + KB_PROTO_MAX_STRING,
       "a 64 KiB string fits");
    free(big);
    kb_buf_reset(&b);
    ok(b.len == 0 && b.data, "reset keeps the memory");
    ok(kb_buf_reserve(&b, KB_PROTO_MAX_FRAME, &err) == 0 && b.cap == KB_PROTO_MAX_FRAME,
       "a buffer grows to exactly the frame cap");
    b.len = KB_PROTO_MAX_FRAME - 5;
    ok(kb_tlv_put_bool(&b, 1, false, &err) < 0 && err.errnum == EMSGSIZE &&
           b.len == KB_PROTO_MAX_FRAME - 5, "past the cap: refused, nothing appended");
    b.len = KB_PROTO_MAX_FRAME - 7;
    ok(kb_tlv_put_bool(&b, 1, false, &err) == 0 && b.len == KB_PROTO_MAX_FRAME,
       "up to the cap: accepted");
    ok(kb_buf_append(&b, "x", 1, &err) < 0, "a full buffer takes nothing more");
    ok(kb_buf_append(&b, NULL, 0, &err) == 0, "appending nothing always works");
    kb_buf_free(&b);
    ok(!b.data && !b.len && !b.cap, "free empties the buffer");
    ok(kb_tlv_put_u32(&b, 1, 1, &err) == 0 && b.len == 10, "a freed buffer is reusable");
    kb_buf_free(&b);
    return tap_done();
}
