#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/proto/frame.h"
#include "tap.h"

struct seen {
    int n;
    struct kb_frame_hdr h[8];
    uint8_t payload[8][64];
    size_t len[8];
    size_t total;      /* payload bytes over all frames */
    int fail_at;       /* return an error from this frame on (1-based) */
};

static int collect(void *ctx, const struct kb_frame_hdr *h, const uint8_t *payload, size_t len,
                   kb_err *err)
{
    struct seen *s = ctx;

    if (s->n < 8) {
        s->h[s->n] = *h;
        memcpy(s->payload[s->n], payload, len < 64 ? len : 64);
        s->len[s->n] = len;
    }
    s->n++;
    s->total += len;
    if (s->fail_at && s->n >= s->fail_at)
        return kb_error(err, EIO, "callback refused frame %d", s->n);
    return 0;
}

/* feed from an exact-size heap copy, so ASan sees any read past the end */
static int feed(struct kb_frame_reader *r, const uint8_t *data, size_t len, struct seen *s,
                kb_err *err)
{
    uint8_t *copy = malloc(len ? len : 1);
    int rc;

    memcpy(copy, data, len);
    rc = kb_frame_reader_feed(r, copy, len, collect, s, err);
    free(copy);
    return rc;
}

static void header(uint8_t *p, uint32_t len, uint32_t id, uint16_t type, uint16_t flags,
                   uint32_t reserved)
{
    kb_put_le32(p, len);
    kb_put_le32(p + 4, id);
    kb_put_le16(p + 8, type);
    kb_put_le16(p + 10, flags);
    kb_put_le32(p + 12, reserved);
}

/* a bad header must fail the feed with msg, and the reader stays dead */
static void bad_header(struct kb_frame_reader *r, const uint8_t *h, const char *msg,
                       const char *what)
{
    struct seen s = { 0 };
    kb_err err;

    kb_frame_reader_reset(r);
    ok(feed(r, h, 16, &s, &err) < 0 && s.n == 0 && err.errnum == EPROTO, "%s: refused", what);
    is_str(err.msg, msg, "%s: message", what);
    ok(feed(r, h, 0, &s, &err) < 0 && strstr(err.msg, "already failed"),
       "%s: the reader stays dead", what);
}

int main(void)
{
    struct kb_frame_reader r;
    struct kb_frame_hdr h;
    struct kb_buf b = { 0 };
    struct seen s;
    uint8_t raw[32], *big;
    size_t one, two;
    kb_err err;
    int good;

    /* the header's byte layout */
    ok(kb_frame_encode(&b, 0x01020304, KB_MSG_EXEC, KB_FLAG_RESPONSE,
                       (const uint8_t *)"abc", 3, &err) == 0 && b.len == 19, "encode a frame");
    ok(memcmp(b.data, "\x13\x00\x00\x00" "\x04\x03\x02\x01" "\x05\x00" "\x01\x00"
                      "\x00\x00\x00\x00" "abc", 19) == 0,
       "header: len, id, type, flags, reserved, little-endian");
    ok(kb_frame_hdr_decode(b.data, b.len, &h, &err) == 0 && h.len == 19 && h.id == 0x01020304 &&
           h.type == KB_MSG_EXEC && h.flags == KB_FLAG_RESPONSE, "header decodes");
    ok(kb_frame_hdr_decode(b.data, 15, &h, &err) < 0, "15 bytes are no header");
    is_str(err.msg, "frame header: 15 bytes, need 16", "truncated header message");

    ok(kb_frame_encode(&b, 1, KB_MSG_HELLO, 0x10, NULL, 0, &err) < 0 && b.len == 19,
       "encode refuses unknown flags and appends nothing");
    big = calloc(1, KB_PROTO_MAX_PAYLOAD + 1);
    ok(kb_frame_encode(&b, 1, KB_MSG_STDIO, 0, big, KB_PROTO_MAX_PAYLOAD + 1, &err) < 0 &&
           err.errnum == EMSGSIZE && b.len == 19, "encode refuses a payload over 256 KiB");
    kb_buf_reset(&b);
    ok(kb_frame_encode(&b, 4, KB_MSG_STDIO, 0, big, KB_PROTO_MAX_PAYLOAD, &err) == 0 &&
           b.len == KB_PROTO_MAX_FRAME, "a 256 KiB payload makes a maximal frame");
    ok(kb_frame_reader_init(&r, &err) == 0, "reader init");
    memset(&s, 0, sizeof s);
    ok(feed(&r, b.data, b.len, &s, &err) == 0 && s.n == 1 && s.len[0] == KB_PROTO_MAX_PAYLOAD,
       "the reader takes a maximal frame in one feed");
    memset(&s, 0, sizeof s);
    ok(feed(&r, b.data, 100, &s, &err) == 0 && feed(&r, b.data + 100, b.len - 100, &s, &err) == 0 &&
           s.n == 1 && s.total == KB_PROTO_MAX_PAYLOAD, "and in two feeds");
    free(big);

    /* three frames: empty payload, small, small with EOF */
    kb_buf_reset(&b);
    kb_frame_encode(&b, 7, KB_MSG_SHUTDOWN, 0, NULL, 0, &err);
    one = b.len;
    kb_frame_encode(&b, 9, KB_MSG_STDIO, 0, (const uint8_t *)"hello", 5, &err);
    two = b.len;
    kb_frame_encode(&b, 9, KB_MSG_STDIO, KB_FLAG_EOF, (const uint8_t *)"!", 1, &err);
    ok(one == 16 && two == 37 && b.len == 54, "three frames encoded back to back");

    memset(&s, 0, sizeof s);
    ok(feed(&r, b.data, b.len, &s, &err) == 0 && s.n == 3, "three frames in one feed");
    ok(s.h[0].type == KB_MSG_SHUTDOWN && s.h[0].id == 7 && s.len[0] == 0, "first: empty payload");
    ok(s.h[1].id == 9 && s.len[1] == 5 && memcmp(s.payload[1], "hello", 5) == 0,
       "second: payload intact");
    ok(s.h[2].flags == KB_FLAG_EOF && s.len[2] == 1 && s.payload[2][0] == '!', "third: EOF flag");
    ok(kb_frame_reader_finish(&r, &err) == 0, "nothing pending after whole frames");

    good = 1;
    for (size_t cut = 0; cut <= b.len; cut++) {
        memset(&s, 0, sizeof s);
        if (feed(&r, b.data, cut, &s, &err) < 0 ||
            feed(&r, b.data + cut, b.len - cut, &s, &err) < 0 ||
            s.n != 3 || s.len[1] != 5 || memcmp(s.payload[1], "hello", 5) || s.h[2].id != 9 ||
            kb_frame_reader_finish(&r, &err) < 0)
            good = 0;
    }
    ok(good, "split into two feeds at every byte boundary");
    good = 1;
    for (size_t c1 = 0; c1 <= b.len; c1++) {
        for (size_t c2 = c1; c2 <= b.len; c2++) {
            memset(&s, 0, sizeof s);
            if (feed(&r, b.data, c1, &s, &err) < 0 ||
                feed(&r, b.data + c1, c2 - c1, &s, &err) < 0 ||
                feed(&r, b.data + c2, b.len - c2, &s, &err) < 0 || s.n != 3 ||
                memcmp(s.payload[1], "hello", 5) || s.payload[2][0] != '!')
                good = 0;
        }
    }
    ok(good, "split into three feeds at every pair of boundaries");
    memset(&s, 0, sizeof s);
    good = 1;
    for (size_t i = 0; i < b.len; i++)
        if (feed(&r, b.data + i, 1, &s, &err) < 0)
            good = 0;
    ok(good && s.n == 3 && memcmp(s.payload[1], "hello", 5) == 0, "one byte per feed");

    /* end of stream in the middle */
    memset(&s, 0, sizeof s);
    feed(&r, b.data, 5, &s, &err);
    ok(kb_frame_reader_finish(&r, &err) < 0, "stream cut inside a header");
    is_str(err.msg, "stream ended inside a frame header (5 of 16 bytes)", "cut header message");
    feed(&r, b.data + 5, 30, &s, &err);
    ok(s.n == 1 && kb_frame_reader_finish(&r, &err) < 0, "stream cut inside a payload");
    is_str(err.msg, "stream ended inside a STDIO frame (19 of 21 bytes)", "cut payload message");
    kb_frame_reader_reset(&r);
    ok(kb_frame_reader_finish(&r, &err) == 0, "reset drops the partial frame");

    /* malformed headers, each on a fresh stream */
    header(raw, 9, 1, 1, 0, 0);
    bad_header(&r, raw, "frame header: length 9 is below 16", "length below 16");
    header(raw, 0, 1, 1, 0, 0);
    bad_header(&r, raw, "frame header: length 0 is below 16", "length 0");
    header(raw, KB_PROTO_MAX_FRAME + 1, 1, 1, 0, 0);
    bad_header(&r, raw, "frame header: length 262161 is above 262160", "length above the max");
    header(raw, 0xffffffff, 1, 1, 0, 0);
    bad_header(&r, raw, "frame header: length 4294967295 is above 262160", "length 2^32-1");
    header(raw, 16, 1, 1, 0, 1);
    bad_header(&r, raw, "frame header: reserved field is 0x00000001, must be 0", "reserved != 0");
    header(raw, 16, 1, 1, 0x8000 | KB_FLAG_RESPONSE, 0);
    bad_header(&r, raw, "frame header: unknown flag bits 0x8000", "unknown flag bit 15");
    header(raw, 16, 1, 1, 0x0008, 0);
    bad_header(&r, raw, "frame header: unknown flag bits 0x0008", "unknown flag bit 3");

    /* a bad header after a good frame in the same feed: the good one is delivered */
    kb_frame_reader_reset(&r);
    header(raw, 16, 1, KB_MSG_SHUTDOWN, 0, 0);
    header(raw + 16, 3, 2, KB_MSG_SHUTDOWN, 0, 0);
    memset(&s, 0, sizeof s);
    ok(feed(&r, raw, 32, &s, &err) < 0 && s.n == 1 && strstr(err.msg, "length 3 is below 16"),
       "frames before the bad header are delivered, then the feed fails");
    ok(kb_frame_reader_finish(&r, &err) < 0, "finish on a dead reader fails");
    /* the header is judged as soon as its 16 bytes are in, before any payload */
    kb_frame_reader_reset(&r);
    header(raw, 16, 1, KB_MSG_SHUTDOWN, 0, 7);
    memset(&s, 0, sizeof s);
    ok(feed(&r, raw, 15, &s, &err) == 0 && feed(&r, raw + 15, 1, &s, &err) < 0,
       "a bad header split across feeds fails on its last byte");

    /* a failing callback stops the feed and kills the reader */
    kb_frame_reader_reset(&r);
    memset(&s, 0, sizeof s);
    s.fail_at = 2;
    ok(feed(&r, b.data, b.len, &s, &err) < 0 && s.n == 2 && err.errnum == EIO,
       "a callback error stops the feed and is returned");
    ok(feed(&r, b.data, b.len, &s, &err) < 0 && s.n == 2, "no more frames after a callback error");
    kb_frame_reader_reset(&r);
    memset(&s, 0, sizeof s);
    ok(feed(&r, b.data, b.len, &s, &err) == 0 && s.n == 3, "reset revives the reader");
    kb_frame_reader_fini(&r);
    ok(r.buf == NULL, "fini frees the buffer");

    is_str(kb_msg_type_name(KB_MSG_CLOSE_STDIN), "CLOSE_STDIN", "type names");
    is_str(kb_msg_type_name(0), "unknown", "type 0 has no name");
    is_str(kb_msg_type_name(KB_MSG_DELETE), "DELETE", "DELETE has its name");
    is_str(kb_msg_type_name(KB_MSG_OOM), "OOM", "the last type has its name");
    is_str(kb_msg_type_name(KB_MSG_OOM + 1), "unknown", "the type after it has none");
    is_str(kb_msg_type_name(0xffff), "unknown", "type 65535 has no name");
    kb_buf_free(&b);
    return tap_done();
}
