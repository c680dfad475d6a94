/* The vsock stream protocol end to end in one process: we play the guest
 * (building packets as Linux does) and the host applications (the far
 * ends of socketpairs the table "connects" to). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../core/vsock/vsock_conn.h"
#include "tap.h"

#define CID 3
#define NOBODY 9999 /* host port without a listener */

struct host { int peer[65536]; int small_sndbuf; };
static struct host H;

static int fake_connect(void *ctx, uint32_t port, kb_err *err)
{
    struct host *h = ctx;
    int sv[2];

    if (port == NOBODY || port >= 65536)
        return kb_error(err, ECONNREFUSED, "nobody on %u", port);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return kb_error_errno(err, "socketpair");
    if (h->small_sndbuf) {
        int v = 4096;
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
        setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
    }
    if (h->peer[port] > 0)
        close(h->peer[port]);
    h->peer[port] = sv[1];
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    return sv[0];
}

static int from_guest(struct kb_vsock_table *t, uint16_t op, uint32_t gport, uint32_t hport,
                      const void *data, uint32_t len, uint32_t flags, uint32_t buf_alloc,
                      uint32_t fwd_cnt)
{
    struct kb_vsock_hdr h = { .src_cid = CID, .dst_cid = 2, .src_port = gport, .dst_port = hport,
                              .len = len, .type = 1, .op = op, .flags = flags,
                              .buf_alloc = buf_alloc, .fwd_cnt = fwd_cnt };
    uint8_t raw[44];
    kb_err err;

    kb_vsock_hdr_encode(&h, raw);
    return kb_vsock_recv(t, raw, data, len, &err);
}

static uint8_t payload[65536];

/* Next packet for the guest, decoded; op 0 when none. */
static struct kb_vsock_hdr to_guest(struct kb_vsock_table *t, uint32_t cap)
{
    struct kb_vsock_hdr h = { 0 };
    uint8_t raw[44];

    if (kb_vsock_next_rx(t, raw, payload, cap) == 1)
        kb_vsock_hdr_decode(raw, &h);
    return h;
}

/* One round of the owner's poll loop over the host fds. */
static void pump(struct kb_vsock_table *t)
{
    struct pollfd p[KB_VSOCK_MAX_CONNS];
    unsigned slots[KB_VSOCK_MAX_CONNS];
    unsigned n = kb_vsock_pollfds(t, p, slots, KB_VSOCK_MAX_CONNS);

    if (n && poll(p, n, 0) > 0)
        for (unsigned i = 0; i < n; i++)
            if (p[i].revents)
                kb_vsock_host_event(t, slots[i], p[i].revents);
}

static const struct kb_vsock_ops ops = { fake_connect, &H };

static void test_life_cycle(void)
{
    struct kb_vsock_table *t = malloc(sizeof(*t));
    struct kb_vsock_hdr h;
    const uint32_t gp = 3987182222u, hp = 1234;
    char buf[512];

    kb_vsock_init(t, CID, &ops);
    ok(!kb_vsock_has_rx(t), "nothing for the guest yet");
    ok(from_guest(t, KB_VSOCK_OP_REQUEST, gp, hp, NULL, 0, 0, 262144, 0) == 0, "REQUEST");
    ok(kb_vsock_find(t, gp, hp) != NULL, "connection keyed (guest port, host port)");
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RESPONSE && h.src_cid == 2 && h.dst_cid == CID && h.src_port == hp &&
           h.dst_port == gp && h.buf_alloc == KB_VSOCK_BUF_ALLOC,
       "RESPONSE with our buf_alloc");

    /* guest -> host */
    ok(from_guest(t, KB_VSOCK_OP_RW, gp, hp, "0123456789abcdef", 16, 0, 262144, 0) == 0, "RW 16");
    ok(read(H.peer[hp], buf, sizeof(buf)) == 16 && memcmp(buf, "0123456789abcdef", 16) == 0,
       "host application got the 16 bytes");
    ok(kb_vsock_find(t, gp, hp)->fwd_cnt == 16, "fwd_cnt counts what the host took");

    /* host -> guest */
    ok(write(H.peer[hp], "reply-of-18-bytes!", 18) == 18, "host writes 18");
    pump(t);
    ok(kb_vsock_has_rx(t), "data for the guest");
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RW && h.len == 18 && memcmp(payload, "reply-of-18-bytes!", 18) == 0,
       "RW 18 to the guest");
    ok(h.fwd_cnt == 16, "it carries our fwd_cnt");
    ok(to_guest(t, 4096).op == 0, "drained");

    /* credit stall: the guest shrinks its buffer to 100 */
    from_guest(t, KB_VSOCK_OP_CREDIT_UPDATE, gp, hp, NULL, 0, 0, 100, 18);
    memset(buf, 'x', 300);
    ok(write(H.peer[hp], buf, 300) == 300, "host writes 300");
    pump(t);
    h = to_guest(t, 30);
    ok(h.op == KB_VSOCK_OP_RW && h.len == 30, "packet sized by the rx buffer (cap 30)");
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RW && h.len == 70, "then the rest of the credit (70)");
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_CREDIT_REQUEST, "out of credit: CREDIT_REQUEST");
    ok(to_guest(t, 4096).op == 0 && !kb_vsock_has_rx(t), "stalled, asked once");
    struct pollfd p[4];
    unsigned slots[4];
    ok(kb_vsock_pollfds(t, p, slots, 4) == 0, "no POLLIN without credit");
    from_guest(t, KB_VSOCK_OP_CREDIT_UPDATE, gp, hp, NULL, 0, 0, 100, 118);
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RW && h.len == 100, "CREDIT_UPDATE resumes: 100 more");
    from_guest(t, KB_VSOCK_OP_CREDIT_UPDATE, gp, hp, NULL, 0, 0, 100, 218);
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RW && h.len == 100, "and the last 100");
    from_guest(t, KB_VSOCK_OP_CREDIT_UPDATE, gp, hp, NULL, 0, 0, 262144, 318);
    ok(from_guest(t, KB_VSOCK_OP_CREDIT_UPDATE, gp, hp, NULL, 0, 0, 262144, 400) < 0,
       "acknowledging bytes never sent resets");
    ok(kb_vsock_find(t, gp, hp) == NULL, "connection gone");
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RST && h.dst_port == gp, "RST to the guest");
    ok(read(H.peer[hp], buf, sizeof(buf)) == 0, "host application sees EOF");

    /* a second connection: half-close both ways */
    from_guest(t, KB_VSOCK_OP_REQUEST, 7000, hp, NULL, 0, 0, 262144, 0);
    to_guest(t, 4096);
    from_guest(t, KB_VSOCK_OP_RW, 7000, hp, "ping", 4, 0, 262144, 0);
    ok(from_guest(t, KB_VSOCK_OP_SHUTDOWN, 7000, hp, NULL, 0, KB_VSOCK_SHUT_SEND, 262144, 0) == 0,
       "SHUTDOWN(SEND)");
    ok(read(H.peer[hp], buf, sizeof(buf)) == 4 && read(H.peer[hp], buf, sizeof(buf)) == 0,
       "host reads the data, then EOF");
    ok(from_guest(t, KB_VSOCK_OP_RW, 7000, hp, "more", 4, 0, 262144, 0) < 0,
       "data after SHUTDOWN(SEND) resets");
    to_guest(t, 4096);
    from_guest(t, KB_VSOCK_OP_REQUEST, 7001, hp, NULL, 0, 0, 262144, 0);
    to_guest(t, 4096);
    ok(write(H.peer[hp], "bye", 3) == 3, "host writes, then closes");
    close(H.peer[hp]);
    H.peer[hp] = -1;
    pump(t);
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RW && h.len == 3, "data before the EOF");
    pump(t);
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_SHUTDOWN && h.flags == 3, "host EOF -> SHUTDOWN(3)");
    ok(kb_vsock_find(t, 7001, hp)->state == KB_VC_CLOSING, "waiting for the guest's RST");
    ok(from_guest(t, KB_VSOCK_OP_RST, 7001, hp, NULL, 0, 0, 262144, 3) == 0 &&
           kb_vsock_find(t, 7001, hp) == NULL,
       "guest RST frees it");
    ok(to_guest(t, 4096).op == 0, "an RST is not answered");

    /* guest closes first: SHUTDOWN(3) -> RST */
    from_guest(t, KB_VSOCK_OP_REQUEST, 7002, hp, NULL, 0, 0, 262144, 0);
    to_guest(t, 4096);
    from_guest(t, KB_VSOCK_OP_SHUTDOWN, 7002, hp, NULL, 0, 3, 262144, 0);
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RST && h.dst_port == 7002 && kb_vsock_find(t, 7002, hp) == NULL,
       "guest SHUTDOWN(3) answered by RST");
    ok(read(H.peer[hp], buf, sizeof(buf)) == 0, "host sees EOF");

    /* close timeout */
    from_guest(t, KB_VSOCK_OP_REQUEST, 7003, hp, NULL, 0, 0, 262144, 0);
    to_guest(t, 4096);
    close(H.peer[hp]);
    H.peer[hp] = -1;
    pump(t);
    ok(to_guest(t, 4096).op == KB_VSOCK_OP_SHUTDOWN, "SHUTDOWN on host EOF");
    kb_vsock_tick(t, 1000);
    kb_vsock_tick(t, 1000 + KB_VSOCK_CLOSE_TIMEOUT_NS);
    ok(to_guest(t, 4096).op == KB_VSOCK_OP_RST && kb_vsock_find(t, 7003, hp) == NULL,
       "no RST from the guest in time: we reset");

    /* nobody listening */
    from_guest(t, KB_VSOCK_OP_REQUEST, 7004, NOBODY, NULL, 0, 0, 262144, 0);
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RST && h.src_port == NOBODY, "no listener -> RST");
    kb_vsock_fini(t);
    free(t);
}

static void test_guest_credit(void)
{
    struct kb_vsock_table *t = malloc(sizeof(*t));
    static uint8_t chunk[16384];
    struct kb_vsock_hdr h;
    char buf[65536];
    uint32_t sent = 0;

    kb_vsock_init(t, CID, &ops);
    H.small_sndbuf = 1;
    from_guest(t, KB_VSOCK_OP_REQUEST, 100, 200, NULL, 0, 0, 262144, 0);
    from_guest(t, KB_VSOCK_OP_REQUEST, 101, 201, NULL, 0, 0, 262144, 0);
    H.small_sndbuf = 0;
    to_guest(t, 4096);
    to_guest(t, 4096);
    /* the host application does not read: we buffer up to our buf_alloc */
    int r = 0;
    for (int i = 0; i < (int)(KB_VSOCK_BUF_ALLOC / sizeof(chunk)); i++) {
        r |= from_guest(t, KB_VSOCK_OP_RW, 100, 200, chunk, sizeof(chunk), 0, 262144, 0);
        sent += sizeof(chunk);
    }
    struct kb_vsock_conn *c = kb_vsock_find(t, 100, 200);
    ok(r == 0 && c && c->blen > 0 && c->blen + c->fwd_cnt == sent,
       "our whole buf_alloc within credit accepted, some buffered (%u)", c ? c->blen : 0);
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_CREDIT_UPDATE || h.op == 0, "credit update only if something freed");
    /* the host drains: the guest is told about the space */
    ssize_t n, total = 0;
    do {
        while ((n = read(H.peer[200], buf, sizeof(buf))) > 0)
            total += n;
        pump(t);
    } while (kb_vsock_find(t, 100, 200)->blen > 0);
    while ((n = read(H.peer[200], buf, sizeof(buf))) > 0)
        total += n;
    ok(total == (ssize_t)sent, "the host got all %u bytes", sent);
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_CREDIT_UPDATE && h.fwd_cnt == sent, "CREDIT_UPDATE fwd_cnt=%u",
       h.fwd_cnt);
    /* a guest ignoring credit: more than buf_alloc while the host does not read */
    int refused = 0;
    for (int i = 0; i < (int)(KB_VSOCK_BUF_ALLOC / sizeof(chunk)) + 1 && !refused; i++)
        refused = from_guest(t, KB_VSOCK_OP_RW, 100, 200, chunk, sizeof(chunk), 0, 262144, 0) < 0;
    ok(refused && kb_vsock_find(t, 100, 200) == NULL, "overrunning the credit resets");
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RST && h.dst_port == 100, "RST for that connection");
    ok(from_guest(t, KB_VSOCK_OP_RW, 101, 201, "ok", 2, 0, 262144, 0) == 0 &&
           read(H.peer[201], buf, 10) == 2,
       "the other connection still works");
    ok(from_guest(t, KB_VSOCK_OP_CREDIT_REQUEST, 101, 201, NULL, 0, 0, 262144, 0) == 0 &&
           to_guest(t, 4096).op == KB_VSOCK_OP_CREDIT_UPDATE,
       "CREDIT_REQUEST answered");
    kb_vsock_fini(t);
    free(t);
}

static void test_hostile(void)
{
    struct kb_vsock_table *t = malloc(sizeof(*t));
    struct kb_vsock_hdr h;
    uint8_t raw[44];
    kb_err err;

    kb_vsock_init(t, CID, &ops);
    from_guest(t, KB_VSOCK_OP_REQUEST, 1, 300, NULL, 0, 0, 262144, 0);
    from_guest(t, KB_VSOCK_OP_REQUEST, 2, 300, NULL, 0, 0, 262144, 0);
    to_guest(t, 4096);
    to_guest(t, 4096);
    ok(kb_vsock_find(t, 1, 300) && kb_vsock_find(t, 2, 300), "two guest ports, one host port");
    ok(from_guest(t, KB_VSOCK_OP_RW, 5, 300, "x", 1, 0, 262144, 0) == 0 &&
           to_guest(t, 4096).op == KB_VSOCK_OP_RST,
       "RW on an unknown connection -> RST");
    ok(from_guest(t, KB_VSOCK_OP_RST, 5, 300, NULL, 0, 0, 0, 0) == 0 && !kb_vsock_has_rx(t),
       "RST on an unknown connection: silence");
    ok(from_guest(t, KB_VSOCK_OP_REQUEST, 1, 300, NULL, 0, 0, 262144, 0) < 0 &&
           kb_vsock_find(t, 1, 300) == NULL && kb_vsock_find(t, 2, 300),
       "duplicate REQUEST resets only that connection");
    to_guest(t, 4096);
    from_guest(t, KB_VSOCK_OP_REQUEST, 1, 300, NULL, 0, 0, 262144, 0);
    to_guest(t, 4096);
    /* spoofed source CID on connection 1 */
    struct kb_vsock_hdr bad = { .src_cid = 99, .dst_cid = 2, .src_port = 1, .dst_port = 300,
                                .type = 1, .op = KB_VSOCK_OP_RW, .len = 1 };
    kb_vsock_hdr_encode(&bad, raw);
    ok(kb_vsock_recv(t, raw, (const uint8_t *)"x", 1, &err) < 0 && kb_vsock_find(t, 1, 300) == NULL,
       "bad source CID resets its connection");
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RST && h.dst_port == 1 && kb_vsock_find(t, 2, 300), "others untouched");
    bad.src_cid = CID;
    bad.type = 2;
    kb_vsock_hdr_encode(&bad, raw);
    ok(kb_vsock_recv(t, raw, (const uint8_t *)"x", 1, &err) < 0 && to_guest(t, 4096).op == KB_VSOCK_OP_RST,
       "SEQPACKET -> RST");
    bad.type = 1;
    bad.len = 1000;
    kb_vsock_hdr_encode(&bad, raw);
    ok(kb_vsock_recv(t, raw, (const uint8_t *)"x", 1, &err) < 0, "len beyond the chain refused");
    to_guest(t, 4096);
    ok(from_guest(t, KB_VSOCK_OP_RESPONSE, 2, 300, NULL, 0, 0, 262144, 0) < 0 &&
           kb_vsock_find(t, 2, 300) == NULL,
       "RESPONSE on an established connection resets");
    to_guest(t, 4096);

    /* table full */
    unsigned opened = 0;
    for (uint32_t p = 0; p < KB_VSOCK_MAX_CONNS; p++)
        opened += from_guest(t, KB_VSOCK_OP_REQUEST, 1000 + p, 400, NULL, 0, 0, 262144, 0) == 0;
    while (to_guest(t, 4096).op)
        ;
    ok(opened == KB_VSOCK_MAX_CONNS, "%u connections", opened);
    ok(from_guest(t, KB_VSOCK_OP_REQUEST, 5000, 400, NULL, 0, 0, 262144, 0) < 0 &&
           to_guest(t, 4096).op == KB_VSOCK_OP_RST,
       "one more is refused with RST");
    /* RST flood beyond the queue: bounded, no crash */
    for (int i = 0; i < 3 * KB_VSOCK_RST_QUEUE; i++)
        from_guest(t, KB_VSOCK_OP_RW, 60000 + i, 9, "x", 1, 0, 0, 0);
    ok(t->nrst == KB_VSOCK_RST_QUEUE, "RST queue bounded");
    kb_vsock_fini(t);
    free(t);
}

static void test_host_initiated(void)
{
    struct kb_vsock_table *t = malloc(sizeof(*t));
    struct kb_vsock_hdr h;
    int sv[2], sv2[2];
    char buf[64] = { 0 };
    kb_err err;

    kb_vsock_init(t, CID, &ops);
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    ok(kb_vsock_connect_guest(t, sv[0], 5000, &err) == 0, "CONNECT 5000");
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_REQUEST && h.src_port == 1073741824u && h.dst_port == 5000,
       "REQUEST from local port 2^30");
    ok(from_guest(t, KB_VSOCK_OP_RW, 5000, 1073741824u, "x", 1, 0, 262144, 0) < 0,
       "data before RESPONSE resets");
    ok(read(sv[1], buf, sizeof(buf)) == 0, "client sees EOF without OK");
    close(sv[1]);
    to_guest(t, 4096);

    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    kb_vsock_connect_guest(t, sv[0], 5000, &err);
    h = to_guest(t, 4096);
    ok(h.src_port == 1073741825u, "next local port");
    ok(from_guest(t, KB_VSOCK_OP_RESPONSE, 5000, h.src_port, NULL, 0, 0, 262144, 0) == 0,
       "guest RESPONSE");
    ok(read(sv[1], buf, sizeof(buf)) == 14 && memcmp(buf, "OK 1073741825\n", 14) == 0,
       "client reads OK <local port>");
    write(sv[1], "hello guest", 11);
    pump(t);
    h = to_guest(t, 4096);
    ok(h.op == KB_VSOCK_OP_RW && h.len == 11 && h.dst_port == 5000, "bytes forwarded");

    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv2);
    kb_vsock_connect_guest(t, sv2[0], 6000, &err);
    h = to_guest(t, 4096);
    from_guest(t, KB_VSOCK_OP_RST, 6000, h.src_port, NULL, 0, 0, 0, 0);
    ok(read(sv2[1], buf, sizeof(buf)) == 0, "guest RST: client closed without OK");
    close(sv2[1]);
    close(sv[1]);
    kb_vsock_fini(t);
    free(t);
}

int main(void)
{
    memset(H.peer, -1, sizeof(H.peer));
    test_life_cycle();
    test_guest_credit();
    test_hostile();
    test_host_initiated();
    return tap_done();
}
