#include "vsock_pkt.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

static uint64_t g64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }
static uint32_t g32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static uint16_t g16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }
static void p64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }
static void p32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static void p16(uint8_t *p, uint16_t v) { v = htole16(v); memcpy(p, &v, 2); }

void kb_vsock_hdr_decode(const uint8_t *b, struct kb_vsock_hdr *h)
{
    h->src_cid = g64(b);
    h->dst_cid = g64(b + 8);
    h->src_port = g32(b + 16);
    h->dst_port = g32(b + 20);
    h->len = g32(b + 24);
    h->type = g16(b + 28);
    h->op = g16(b + 30);
    h->flags = g32(b + 32);
    h->buf_alloc = g32(b + 36);
    h->fwd_cnt = g32(b + 40);
}

void kb_vsock_hdr_encode(const struct kb_vsock_hdr *h, uint8_t *b)
{
    p64(b, h->src_cid);
    p64(b + 8, h->dst_cid);
    p32(b + 16, h->src_port);
    p32(b + 20, h->dst_port);
    p32(b + 24, h->len);
    p16(b + 28, h->type);
    p16(b + 30, h->op);
    p32(b + 32, h->flags);
    p32(b + 36, h->buf_alloc);
    p32(b + 40, h->fwd_cnt);
}

int kb_vsock_cid_valid(uint64_t cid)
{
    return cid > KB_VSOCK_CID_HOST && cid < 0xffffffffull;
}

const char *kb_vsock_op_name(uint16_t op)
{
    static const char *const names[] = { "INVALID", "REQUEST", "RESPONSE", "RST",
                                         "SHUTDOWN", "RW", "CREDIT_UPDATE", "CREDIT_REQUEST" };
    return op < sizeof(names) / sizeof(names[0]) ? names[op] : "?";
}

int kb_vsock_hdr_check(const struct kb_vsock_hdr *h, uint64_t guest_cid, uint64_t avail,
                       kb_err *err)
{
    if (h->src_cid != guest_cid)
        return kb_error(err, EPROTO, "vsock: source CID %llu, the guest is %llu",
                        (unsigned long long)h->src_cid, (unsigned long long)guest_cid);
    if (h->dst_cid != KB_VSOCK_CID_HOST)
        return kb_error(err, EHOSTUNREACH, "vsock: packet for CID %llu",
                        (unsigned long long)h->dst_cid);
    if (h->type != KB_VSOCK_TYPE_STREAM)
        return kb_error(err, EPROTONOSUPPORT, "vsock: socket type %u", h->type);
    if (h->op == KB_VSOCK_OP_INVALID || h->op > KB_VSOCK_OP_CREDIT_REQUEST)
        return kb_error(err, EPROTO, "vsock: op %u", h->op);
    if (h->len > KB_VSOCK_MAX_PAYLOAD)
        return kb_error(err, EMSGSIZE, "vsock: payload of %u bytes", h->len);
    if (h->len > avail)
        return kb_error(err, EPROTO, "vsock: header says %u bytes, %llu present", h->len,
                        (unsigned long long)avail);
    if (h->op != KB_VSOCK_OP_RW && h->len != 0)
        return kb_error(err, EPROTO, "vsock: %s with a payload", kb_vsock_op_name(h->op));
    if (h->op == KB_VSOCK_OP_SHUTDOWN &&
        (h->flags & ~(KB_VSOCK_SHUT_RCV | KB_VSOCK_SHUT_SEND)))
        return kb_error(err, EPROTO, "vsock: SHUTDOWN flags 0x%x", h->flags);
    return 0;
}
