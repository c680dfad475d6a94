#include "ttrpc.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static const struct kb_pb_field kv_f[] = {
    { 1, KB_PB_STR, 0, "key", offsetof(struct kb_ttrpc_kv, key), 0, NULL },
    { 2, KB_PB_STR, 0, "value", offsetof(struct kb_ttrpc_kv, value), 0, NULL },
};
static const struct kb_pb_msg kv_pb = { "KeyValue", sizeof(struct kb_ttrpc_kv), kv_f, 2 };

static const struct kb_pb_field request_f[] = {
    { 1, KB_PB_STR, 0, "service", offsetof(struct kb_ttrpc_request, service), 0, NULL },
    { 2, KB_PB_STR, 0, "method", offsetof(struct kb_ttrpc_request, method), 0, NULL },
    { 3, KB_PB_BYTES, 0, "payload", offsetof(struct kb_ttrpc_request, payload),
      offsetof(struct kb_ttrpc_request, payload_len), NULL },
    { 4, KB_PB_U64, 0, "timeout_nano", offsetof(struct kb_ttrpc_request, timeout_nano), 0, NULL },
    { 5, KB_PB_MSG, KB_PB_REP, "metadata", offsetof(struct kb_ttrpc_request, metadata),
      offsetof(struct kb_ttrpc_request, n_metadata), &kv_pb },
};
const struct kb_pb_msg kb_ttrpc_request_pb = { "Request", sizeof(struct kb_ttrpc_request), request_f, 5 };

static const struct kb_pb_field status_f[] = {
    { 1, KB_PB_U32, 0, "code", offsetof(struct kb_ttrpc_status, code), 0, NULL },
    { 2, KB_PB_STR, 0, "message", offsetof(struct kb_ttrpc_status, message), 0, NULL },
    /* 3, details (repeated Any): not sent, skipped when received */
};
static const struct kb_pb_msg status_pb = { "Status", sizeof(struct kb_ttrpc_status), status_f, 2 };

static const struct kb_pb_field response_f[] = {
    { 1, KB_PB_MSG, 0, "status", offsetof(struct kb_ttrpc_response, status), 0, &status_pb },
    { 2, KB_PB_BYTES, 0, "payload", offsetof(struct kb_ttrpc_response, payload),
      offsetof(struct kb_ttrpc_response, payload_len), NULL },
};
const struct kb_pb_msg kb_ttrpc_response_pb = { "Response", sizeof(struct kb_ttrpc_response), response_f, 2 };

int kb_ttrpc_hdr_parse(const uint8_t p[KB_TTRPC_HDR], struct kb_ttrpc_hdr *h, kb_err *err)
{
    h->length = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    h->stream = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    h->type = p[8];
    h->flags = p[9];
    if (h->length > KB_TTRPC_MAX_PAYLOAD)
        return kb_error(err, EMSGSIZE, "ttrpc: a frame of %u bytes, at most %u", h->length, KB_TTRPC_MAX_PAYLOAD);
    return 0;
}

int kb_ttrpc_frame(struct kb_buf *out, uint32_t stream, uint8_t type, const struct kb_buf *payload, kb_err *err)
{
    size_t n = payload ? payload->len : 0;
    uint8_t h[KB_TTRPC_HDR] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n,
                                (uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8),
                                (uint8_t)stream, type, 0 };

    if (n > KB_TTRPC_MAX_PAYLOAD)
        return kb_error(err, EMSGSIZE, "ttrpc: a payload of %zu bytes, at most %u", n, KB_TTRPC_MAX_PAYLOAD);
    if (kb_buf_append(out, h, sizeof h, err) < 0)
        return -1;
    return n ? kb_buf_append(out, payload->data, n, err) : 0;
}

int kb_ttrpc_respond(struct kb_buf *out, uint32_t stream, uint32_t code, const char *message,
                     const struct kb_buf *reply, kb_err *err)
{
    struct kb_ttrpc_status st = { .code = code, .message = (char *)message };
    struct kb_ttrpc_response r = { .status = code ? &st : NULL };
    struct kb_buf body = { 0 };
    int ret;

    /* success: the reply alone (an Empty reply is a zero-length frame, as runc's shim sends) */
    if (!code && reply) {
        r.payload = reply->data;
        r.payload_len = reply->len;
    }
    ret = kb_pb_encode(&kb_ttrpc_response_pb, &r, &body, err);
    if (ret == 0)
        ret = kb_ttrpc_frame(out, stream, KB_TTRPC_RESPONSE, &body, err);
    kb_buf_free(&body);
    return ret;
}
