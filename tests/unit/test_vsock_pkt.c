/* The virtio-vsock header: byte layout against a hand-made packet (the
 * guest's REQUEST seen on the wire), and the checks on guest packets. */
#include <errno.h>
#include <string.h>

#include "../../core/vsock/vsock_pkt.h"
#include "tap.h"

static void test_layout(void)
{
    /* G->H REQUEST 3:3987182222 -> 2:1234 buf_alloc=262144 fwd_cnt=0 */
    static const uint8_t wire[44] = {
        3, 0, 0, 0, 0, 0, 0, 0,       /* src_cid */
        2, 0, 0, 0, 0, 0, 0, 0,       /* dst_cid */
        0x8e, 0x92, 0xa7, 0xed,       /* src_port 3987182222 */
        0xd2, 0x04, 0, 0,             /* dst_port 1234 */
        0, 0, 0, 0,                   /* len */
        1, 0,                         /* type STREAM */
        1, 0,                         /* op REQUEST */
        0, 0, 0, 0,                   /* flags */
        0, 0, 4, 0,                   /* buf_alloc 262144 */
        0, 0, 0, 0,                   /* fwd_cnt */
    };
    struct kb_vsock_hdr h;
    uint8_t back[44];
    kb_err err;

    kb_vsock_hdr_decode(wire, &h);
    ok(h.src_cid == 3 && h.dst_cid == 2, "cids");
    ok(h.src_port == 3987182222u && h.dst_port == 1234, "ports");
    ok(h.type == KB_VSOCK_TYPE_STREAM && h.op == KB_VSOCK_OP_REQUEST, "type and op");
    ok(h.buf_alloc == 262144 && h.fwd_cnt == 0 && h.len == 0, "credit fields");
    kb_vsock_hdr_encode(&h, back);
    ok(memcmp(back, wire, 44) == 0, "encode gives the same bytes");
    ok(kb_vsock_hdr_check(&h, 3, 0, &err) == 0, "valid request");
    is_str(kb_vsock_op_name(h.op), "REQUEST", "op name");
}

static void test_checks(void)
{
    struct kb_vsock_hdr ok_h = { .src_cid = 42, .dst_cid = 2, .src_port = 5000, .dst_port = 52,
                                 .type = 1, .op = KB_VSOCK_OP_RW, .len = 100,
                                 .buf_alloc = 262144 };
    struct kb_vsock_hdr h;
    kb_err err;

    ok(kb_vsock_hdr_check(&ok_h, 42, 100, &err) == 0, "valid RW");
    h = ok_h;
    h.src_cid = 43;
    ok(kb_vsock_hdr_check(&h, 42, 100, &err) < 0, "spoofed source CID refused");
    h = ok_h;
    h.dst_cid = 7;
    ok(kb_vsock_hdr_check(&h, 42, 100, &err) < 0, "packet for a sibling refused");
    h = ok_h;
    h.type = KB_VSOCK_TYPE_SEQPACKET;
    ok(kb_vsock_hdr_check(&h, 42, 100, &err) < 0 && err.errnum == EPROTONOSUPPORT,
       "SEQPACKET refused");
    h = ok_h;
    h.op = 8;
    ok(kb_vsock_hdr_check(&h, 42, 100, &err) < 0, "unknown op refused");
    h.op = 0;
    ok(kb_vsock_hdr_check(&h, 42, 100, &err) < 0, "op INVALID refused");
    h = ok_h;
    h.len = 101;
    ok(kb_vsock_hdr_check(&h, 42, 100, &err) < 0, "len beyond the chain refused");
    h.len = KB_VSOCK_MAX_PAYLOAD + 1;
    ok(kb_vsock_hdr_check(&h, 42, 1ull << 32, &err) < 0 && err.errnum == EMSGSIZE,
       "len beyond our maximum refused");
    h = ok_h;
    h.op = KB_VSOCK_OP_CREDIT_UPDATE;
    ok(kb_vsock_hdr_check(&h, 42, 100, &err) < 0, "control packet with payload refused");
    h.len = 0;
    ok(kb_vsock_hdr_check(&h, 42, 100, &err) == 0, "control packet without payload");
    h.op = KB_VSOCK_OP_SHUTDOWN;
    h.flags = 4;
    ok(kb_vsock_hdr_check(&h, 42, 0, &err) < 0, "unknown SHUTDOWN flags refused");
    h.flags = 3;
    ok(kb_vsock_hdr_check(&h, 42, 0, &err) == 0, "SHUTDOWN(3)");
    ok(!kb_vsock_cid_valid(0) && !kb_vsock_cid_valid(1) && !kb_vsock_cid_valid(2) &&
           !kb_vsock_cid_valid(0xffffffffull) && !kb_vsock_cid_valid(1ull << 32) &&
           kb_vsock_cid_valid(3) && kb_vsock_cid_valid(0xfffffffeull),
       "guest CID validity");
}

int main(void)
{
    test_layout();
    test_checks();
    return tap_done();
}
