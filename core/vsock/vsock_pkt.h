/* virtio-vsock packets: the 44-byte little-endian header, its constants,
 * and the checks a packet from the guest must pass before the connection
 * layer looks at it. */
#ifndef KB_VSOCK_PKT_H
#define KB_VSOCK_PKT_H

#include <stdint.h>

#include "../err.h"

#define KB_VSOCK_HDR_SIZE 44
/* Largest payload we accept or send: Linux never sends more in one packet */
#define KB_VSOCK_MAX_PAYLOAD 65536
#define KB_VSOCK_CID_HOST 2

enum kb_vsock_type { KB_VSOCK_TYPE_STREAM = 1, KB_VSOCK_TYPE_SEQPACKET = 2 };

enum kb_vsock_op {
    KB_VSOCK_OP_INVALID = 0,
    KB_VSOCK_OP_REQUEST = 1,
    KB_VSOCK_OP_RESPONSE = 2,
    KB_VSOCK_OP_RST = 3,
    KB_VSOCK_OP_SHUTDOWN = 4,
    KB_VSOCK_OP_RW = 5,
    KB_VSOCK_OP_CREDIT_UPDATE = 6,
    KB_VSOCK_OP_CREDIT_REQUEST = 7,
};

/* SHUTDOWN flags: the sender will receive (RCV) / send (SEND) no more */
#define KB_VSOCK_SHUT_RCV 1u
#define KB_VSOCK_SHUT_SEND 2u

struct kb_vsock_hdr {
    uint64_t src_cid, dst_cid;
    uint32_t src_port, dst_port, len;
    uint16_t type, op;
    uint32_t flags, buf_alloc, fwd_cnt;
};

/* Decode 44 wire bytes. */
void kb_vsock_hdr_decode(const uint8_t *b, struct kb_vsock_hdr *h);
/* Encode into 44 wire bytes. */
void kb_vsock_hdr_encode(const struct kb_vsock_hdr *h, uint8_t *b);
/* Check a packet that came from the guest whose CID is guest_cid, with
 * avail payload bytes actually present after the header. */
int kb_vsock_hdr_check(const struct kb_vsock_hdr *h, uint64_t guest_cid, uint64_t avail,
                       kb_err *err);
/* Whether cid may be given to a guest (not 0, 1, 2, or above 32 bits). */
int kb_vsock_cid_valid(uint64_t cid);
/* Name of an op for messages. */
const char *kb_vsock_op_name(uint16_t op);

#endif
