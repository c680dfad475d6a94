#include "frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
    [KB_MSG_HELLO] = "HELLO",   [KB_MSG_ERROR] = "ERROR",   [KB_MSG_CREATE] = "CREATE",
    [KB_MSG_START] = "START",   [KB_MSG_EXEC] = "EXEC",     [KB_MSG_SIGNAL] = "SIGNAL",
    [KB_MSG_WAIT] = "WAIT",     [KB_MSG_STDIO] = "STDIO",   [KB_MSG_CREDIT] = "CREDIT",
    [KB_MSG_RESIZE] = "RESIZE", [KB_MSG_CLOSE_STDIN] = "CLOSE_STDIN",
    [KB_MSG_EXIT] = "EXIT",     [KB_MSG_SHUTDOWN] = "SHUTDOWN",
    [KB_MSG_PAUSE] = "PAUSE",   [KB_MSG_RESUME] = "RESUME", [KB_MSG_PIDS] = "PIDS",
    [KB_MSG_STATS] = "STATS",   [KB_MSG_UPDATE] = "UPDATE",
    [KB_MSG_DELETE] = "DELETE", [KB_MSG_OOM] = "OOM",
};

const char *kb_msg_type_name(uint16_t type)
{
    if (type < sizeof type_names / sizeof type_names[0] && type_names[type])
        return type_names[type];
    return "unknown";
}

int kb_frame_hdr_decode(const uint8_t *p, size_t len, struct kb_frame_hdr *h, kb_err *err)
{
    uint32_t reserved;

    if (len < KB_PROTO_HEADER_SIZE)
        return kb_error(err, EPROTO, "frame header: %zu bytes, need %d", len, KB_PROTO_HEADER_SIZE);
    h->len = kb_get_le32(p);
    h->id = kb_get_le32(p + 4);
    h->type = kb_get_le16(p + 8);
    h->flags = kb_get_le16(p + 10);
    reserved = kb_get_le32(p + 12);
    if (h->len < KB_PROTO_HEADER_SIZE)
        return kb_error(err, EPROTO, "frame header: length %u is below %d", h->len,
                        KB_PROTO_HEADER_SIZE);
    if (h->len > KB_PROTO_MAX_FRAME)
        return kb_error(err, EPROTO, "frame header: length %u is above %d", h->len,
                        KB_PROTO_MAX_FRAME);
    if (h->flags & ~KB_FLAGS_KNOWN)
        return kb_error(err, EPROTO, "frame header: unknown flag bits 0x%04x",
                        h->flags & ~KB_FLAGS_KNOWN);
    if (reserved)
        return kb_error(err, EPROTO, "frame header: reserved field is 0x%08x, must be 0", reserved);
    return 0;
}

int kb_frame_begin(struct kb_buf *out, uint32_t id, uint16_t type, uint16_t flags, size_t *start,
                   kb_err *err)
{
    uint8_t h[KB_PROTO_HEADER_SIZE] = { 0 };

    /* refuse here what every receiver would refuse, so we never send it */
    if (flags & ~KB_FLAGS_KNOWN)
        return kb_error(err, EINVAL, "%s frame: unknown flag bits 0x%04x",
                        kb_msg_type_name(type), flags & ~KB_FLAGS_KNOWN);
    *start = out->len;
    kb_put_le32(h + 4, id);
    kb_put_le16(h + 8, type);
    kb_put_le16(h + 10, flags);
    return kb_buf_append(out, h, sizeof h, err);
}

int kb_frame_end(struct kb_buf *out, size_t start, kb_err *err)
{
    size_t len = out->len - start;

    if (len > KB_PROTO_MAX_FRAME) {
        out->len = start;
        return kb_error(err, EMSGSIZE, "frame of %zu bytes, at most %d", len, KB_PROTO_MAX_FRAME);
    }
    kb_put_le32(out->data + start, (uint32_t)len);
    return 0;
}

int kb_frame_encode(struct kb_buf *out, uint32_t id, uint16_t type, uint16_t flags,
                    const uint8_t *payload, size_t len, kb_err *err)
{
    size_t start;

    if (len > KB_PROTO_MAX_PAYLOAD)
        return kb_error(err, EMSGSIZE, "%s frame: payload of %zu bytes, at most %d",
                        kb_msg_type_name(type), len, KB_PROTO_MAX_PAYLOAD);
    if (kb_frame_begin(out, id, type, flags, &start, err) < 0)
        return -1;
    if (kb_buf_append(out, payload, len, err) < 0) {
        out->len = start;
        return -1;
    }
    return kb_frame_end(out, start, err);
}

int kb_frame_reader_init(struct kb_frame_reader *r, kb_err *err)
{
    memset(r, 0, sizeof *r);
    r->buf = malloc(KB_PROTO_MAX_FRAME);
    if (!r->buf)
        return kb_error(err, ENOMEM, "allocate a %d byte frame buffer", KB_PROTO_MAX_FRAME);
    return 0;
}

void kb_frame_reader_fini(struct kb_frame_reader *r)
{
    free(r->buf);
    memset(r, 0, sizeof *r);
}

void kb_frame_reader_reset(struct kb_frame_reader *r)
{
    r->have = 0;
    r->dead = 0;
}

static int deliver(struct kb_frame_reader *r, const uint8_t *frame, kb_frame_fn fn, void *ctx,
                   kb_err *err)
{
    struct kb_frame_hdr h = r->hdr;

    /* the reader is ready for the next frame before the callback runs */
    r->have = 0;
    return fn(ctx, &h, frame + KB_PROTO_HEADER_SIZE, h.len - KB_PROTO_HEADER_SIZE, err);
}

/* Move up to `want` bytes of the feed into the frame being assembled. */
static void buffer(struct kb_frame_reader *r, const uint8_t **data, size_t *len, size_t want)
{
    size_t n = want < *len ? want : *len;

    memcpy(r->buf + r->have, *data, n);
    r->have += n;
    *data += n;
    *len -= n;
}

int kb_frame_reader_feed(struct kb_frame_reader *r, const uint8_t *data, size_t len,
                         kb_frame_fn fn, void *ctx, kb_err *err)
{
    if (r->dead)
        return kb_error(err, EPROTO, "frame reader: the stream already failed");
    while (len > 0) {
        /* a whole frame in the caller's bytes is delivered in place, no copy */
        if (r->have == 0 && len >= KB_PROTO_HEADER_SIZE) {
            if (kb_frame_hdr_decode(data, len, &r->hdr, err) < 0)
                goto dead;
            if (len >= r->hdr.len) {
                size_t n = r->hdr.len;
                if (deliver(r, data, fn, ctx, err) < 0)
                    goto dead;
                data += n;
                len -= n;
                continue;
            }
        }
        if (r->have < KB_PROTO_HEADER_SIZE) {
            buffer(r, &data, &len, KB_PROTO_HEADER_SIZE - r->have);
            if (r->have < KB_PROTO_HEADER_SIZE)
                break;
            if (kb_frame_hdr_decode(r->buf, r->have, &r->hdr, err) < 0)
                goto dead;
        }
        buffer(r, &data, &len, r->hdr.len - r->have);
        if (r->have == r->hdr.len && deliver(r, r->buf, fn, ctx, err) < 0)
            goto dead;
    }
    return 0;
dead:
    r->dead = 1;
    return -1;
}

int kb_frame_reader_finish(const struct kb_frame_reader *r, kb_err *err)
{
    if (r->dead)
        return kb_error(err, EPROTO, "frame reader: the stream already failed");
    if (r->have && r->have < KB_PROTO_HEADER_SIZE)
        return kb_error(err, EPROTO, "stream ended inside a frame header (%zu of %d bytes)",
                        r->have, KB_PROTO_HEADER_SIZE);
    if (r->have)
        return kb_error(err, EPROTO, "stream ended inside a %s frame (%zu of %u bytes)",
                        kb_msg_type_name(r->hdr.type), r->have, r->hdr.len);
    return 0;
}
