/* ttrpc, the RPC containerd speaks to its shims: 10-byte frames (length and
 * stream id big-endian, type, flags), carrying a protobuf Request or
 * Response. Facts: ../shared/reference/containerd-shim-v2.md, section 2. */
#ifndef KB_TTRPC_H
#define KB_TTRPC_H

#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "../pb/pb.h"

#define KB_TTRPC_HDR 10
#define KB_TTRPC_MAX_PAYLOAD (4u << 20)
enum { KB_TTRPC_REQUEST = 1, KB_TTRPC_RESPONSE = 2 };

/* gRPC status codes that containerd maps to its error classes */
enum { KB_TTRPC_OK = 0, KB_TTRPC_UNKNOWN = 2, KB_TTRPC_INVALID_ARGUMENT = 3, KB_TTRPC_NOT_FOUND = 5, KB_TTRPC_ALREADY_EXISTS = 6,
       KB_TTRPC_RESOURCE_EXHAUSTED = 8, KB_TTRPC_FAILED_PRECONDITION = 9, KB_TTRPC_UNIMPLEMENTED = 12,
       KB_TTRPC_INTERNAL = 13, KB_TTRPC_UNAVAILABLE = 14 };

struct kb_ttrpc_hdr {
    uint32_t length, stream;
    uint8_t type, flags;
};

struct kb_ttrpc_kv {
    char *key, *value;
};

struct kb_ttrpc_request {
    char *service, *method;
    uint8_t *payload;
    size_t payload_len;
    uint64_t timeout_nano;
    struct kb_ttrpc_kv *metadata;
    size_t n_metadata;
};

struct kb_ttrpc_status {
    uint32_t code;
    char *message;
};

struct kb_ttrpc_response {
    struct kb_ttrpc_status *status; /* NULL: success */
    uint8_t *payload;
    size_t payload_len;
};

extern const struct kb_pb_msg kb_ttrpc_request_pb, kb_ttrpc_response_pb;

/* Parse a frame header from 10 bytes; a payload above the maximum is an error (EMSGSIZE). */
int kb_ttrpc_hdr_parse(const uint8_t p[KB_TTRPC_HDR], struct kb_ttrpc_hdr *h, kb_err *err);
/* Append a whole frame: header, then payload. */
int kb_ttrpc_frame(struct kb_buf *out, uint32_t stream, uint8_t type, const struct kb_buf *payload, kb_err *err);
/* Append a Response frame: code 0 with the reply's bytes, else the code and message only. */
int kb_ttrpc_respond(struct kb_buf *out, uint32_t stream, uint32_t code, const char *message,
                     const struct kb_buf *reply, kb_err *err);

#endif
