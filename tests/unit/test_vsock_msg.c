/* vhost-user framing: messages as QEMU sends them over a socketpair, fds
 * attached, oversized and torn messages, replies exactly as QEMU checks. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../core/vsock/vu_msg.h"
#include "tap.h"

static int sv[2];

static void pair(void)
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        sv[0] = sv[1] = -1;
}

static void unpair(void)
{
    close(sv[0]);
    close(sv[1]);
}

static void test_u64_and_reply(void)
{
    struct kb_vu_msg m;
    kb_err err;
    uint64_t v = 0x160000000ull, got = 0;
    uint8_t raw[20];

    pair();
    ok(kb_vu_send(sv[0], KB_VU_SET_FEATURES, 1, &v, 8, NULL, 0, &err) == 0, "send SET_FEATURES");
    ok(kb_vu_recv(sv[1], &m, &err) == 1, "recv a message");
    ok(m.request == KB_VU_SET_FEATURES && m.flags == 1 && m.size == 8, "header decoded");
    ok(kb_vu_msg_check(&m, &err) == 0, "header valid");
    ok(kb_vu_get_u64(&m, &got, &err) == 0 && got == v, "u64 payload");
    ok(!kb_vu_msg_need_reply(&m), "no ack wanted");
    kb_vu_msg_fini(&m);

    ok(kb_vu_reply_u64(sv[1], KB_VU_GET_FEATURES, v, &err) == 0, "reply");
    ok(read(sv[0], raw, sizeof(raw)) == 20, "reply is 12 + 8 bytes");
    uint32_t req, flags, size;
    memcpy(&req, raw, 4);
    memcpy(&flags, raw + 4, 4);
    memcpy(&size, raw + 8, 4);
    ok(req == KB_VU_GET_FEATURES && flags == 0x5 && size == 8, "reply flags exactly 0x5");
    memcpy(&got, raw + 12, 8);
    ok(got == v, "reply payload");

    /* a u64 request with a 4-byte payload is refused */
    ok(kb_vu_send(sv[0], KB_VU_SET_FEATURES, 9, &v, 4, NULL, 0, &err) == 0, "send short");
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_msg_need_reply(&m), "need-reply seen");
    ok(kb_vu_get_u64(&m, &got, &err) < 0 && err.errnum == EPROTO, "short u64 refused");
    kb_vu_msg_fini(&m);
    unpair();
}

static void test_header_checks(void)
{
    struct kb_vu_msg m;
    kb_err err;
    uint8_t big[16] = { 0 };

    pair();
    kb_vu_send(sv[0], KB_VU_SET_OWNER, 2, NULL, 0, NULL, 0, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_msg_check(&m, &err) < 0, "version 2 refused");
    kb_vu_msg_fini(&m);
    kb_vu_send(sv[0], KB_VU_SET_OWNER, 5, NULL, 0, NULL, 0, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_msg_check(&m, &err) < 0, "reply flag refused");
    kb_vu_msg_fini(&m);

    /* size beyond the maximum: refused before reading the payload */
    uint32_t hdr[3] = { KB_VU_SET_OWNER, 1, KB_VU_MAX_PAYLOAD + 1 };
    ok(write(sv[0], hdr, sizeof(hdr)) == 12, "write oversized header");
    ok(kb_vu_recv(sv[1], &m, &err) < 0 && err.errnum == EPROTO, "oversized size refused");
    unpair();

    /* torn message: header promises 16, 4 arrive, then EOF */
    pair();
    uint32_t h2[3] = { KB_VU_SET_FEATURES, 1, 16 };
    write(sv[0], h2, sizeof(h2));
    write(sv[0], big, 4);
    close(sv[0]);
    sv[0] = -1;
    ok(kb_vu_recv(sv[1], &m, &err) < 0, "EOF inside a message is an error");
    close(sv[1]);

    /* EOF at a message boundary is a clean end */
    pair();
    close(sv[0]);
    ok(kb_vu_recv(sv[1], &m, &err) == 0, "EOF before a header: 0");
    close(sv[1]);

    /* non-blocking and nothing there */
    pair();
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    ok(kb_vu_recv(sv[1], &m, &err) < 0 && err.errnum == EAGAIN, "no data: EAGAIN");
    unpair();
}

static void test_fds(void)
{
    struct kb_vu_msg m;
    struct kb_vu_vring_fd vf;
    kb_err err;
    int efd[2], extra[2];
    uint64_t v;
    char c;

    pair();
    pipe(efd);
    pipe(extra);
    /* kick for ring 1 with its fd plus one fd it did not ask for */
    int fds[2] = { efd[0], extra[1] };
    v = 1;
    ok(kb_vu_send(sv[0], KB_VU_SET_VRING_KICK, 1, &v, 8, fds, 2, &err) == 0, "send kick + 2 fds");
    close(extra[1]);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && m.nfds == 2, "two fds received");
    ok(kb_vu_msg_check(&m, &err) == 0 && m.nfds == 1, "the unexpected fd dropped");
    ok(read(extra[0], &c, 1) == 0, "and closed (its pipe sees EOF)");
    ok(kb_vu_get_vring_fd(&m, &vf, &err) == 0 && vf.index == 1 && !vf.nofd, "vring fd decoded");
    int fd = kb_vu_msg_take_fd(&m, 0);
    ok(fd >= 0 && m.fds[0] == -1, "fd taken out of the message");
    kb_vu_msg_fini(&m);
    write(efd[1], "x", 1);
    ok(read(fd, &c, 1) == 1 && c == 'x', "taken fd still works after fini");
    close(fd);

    /* NOFD: no fd expected, any attached is closed */
    v = 0x100 | 0;
    int one = efd[1];
    kb_vu_send(sv[0], KB_VU_SET_VRING_CALL, 1, &v, 8, &one, 1, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_msg_check(&m, &err) == 0 && m.nfds == 0,
       "NOFD call: attached fd dropped");
    ok(kb_vu_get_vring_fd(&m, &vf, &err) == 0 && vf.nofd && vf.index == 0, "NOFD decoded");
    kb_vu_msg_fini(&m);

    /* missing fd */
    v = 0;
    kb_vu_send(sv[0], KB_VU_SET_VRING_KICK, 1, &v, 8, NULL, 0, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_msg_check(&m, &err) < 0, "kick without fd refused");
    kb_vu_msg_fini(&m);
    v = 0x200;
    kb_vu_send(sv[0], KB_VU_SET_VRING_CALL, 1, &v, 8, NULL, 0, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_get_vring_fd(&m, &vf, &err) < 0,
       "unknown vring-file bits refused");
    kb_vu_msg_fini(&m);
    close(efd[0]);
    close(efd[1]);
    close(extra[0]);
    unpair();
}

static void test_payloads(void)
{
    struct kb_vu_msg m;
    struct kb_vu_addr a;
    struct kb_vu_state s;
    struct kb_vu_mem_table t;
    struct kb_vu_config cfg;
    kb_err err;
    uint8_t p[72] = { 0 };

    pair();
    uint32_t idx = 1, fl = 0;
    uint64_t desc = 0x7f0000001000, used = 0x7f0000002000, avail = 0x7f0000003000, log = 9;
    memcpy(p, &idx, 4);
    memcpy(p + 4, &fl, 4);
    memcpy(p + 8, &desc, 8);
    memcpy(p + 16, &used, 8);
    memcpy(p + 24, &avail, 8);
    memcpy(p + 32, &log, 8);
    kb_vu_send(sv[0], KB_VU_SET_VRING_ADDR, 1, p, 40, NULL, 0, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_get_addr(&m, &a, &err) == 0, "vring addr");
    ok(a.index == 1 && a.desc == desc && a.used == used && a.avail == avail && a.log == 9,
       "used before avail on the wire");
    kb_vu_msg_fini(&m);

    uint32_t st[2] = { 0, 1024 };
    kb_vu_send(sv[0], KB_VU_SET_VRING_NUM, 1, st, 8, NULL, 0, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_get_state(&m, &s, &err) == 0 && s.num == 1024,
       "vring state");
    kb_vu_msg_fini(&m);

    /* memory table: 2 regions, 72 bytes, 2 fds (as on microvm) */
    int fds[2] = { dup(0), dup(0) };
    uint32_t n = 2;
    uint64_t r1[4] = { 0, 0xf0000, 0x7f0000000000, 0 };
    uint64_t r2[4] = { 0x100000, 0x7f00000, 0x7f0000100000, 0x100000 };
    memset(p, 0, sizeof(p));
    memcpy(p, &n, 4);
    memcpy(p + 8, r1, 32);
    memcpy(p + 40, r2, 32);
    kb_vu_send(sv[0], KB_VU_SET_MEM_TABLE, 9, p, 72, fds, 2, &err);
    close(fds[0]);
    close(fds[1]);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_msg_check(&m, &err) == 0, "mem table header");
    ok(kb_vu_get_mem_table(&m, &t, &err) == 0 && t.n == 2, "two regions");
    ok(t.r[1].gpa == 0x100000 && t.r[1].mmap_offset == 0x100000 && t.r[0].size == 0xf0000,
       "region fields");
    kb_vu_msg_fini(&m);
    /* nregions says 3 but only 2 entries */
    n = 3;
    memcpy(p, &n, 4);
    int fds3[3] = { 0, 0, 0 };
    kb_vu_send(sv[0], KB_VU_SET_MEM_TABLE, 1, p, 72, fds3, 3, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_get_mem_table(&m, &t, &err) < 0,
       "region count not matching the size refused");
    kb_vu_msg_fini(&m);
    n = 9;
    memcpy(p, &n, 4);
    kb_vu_send(sv[0], KB_VU_SET_MEM_TABLE, 1, p, 72, NULL, 0, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_get_mem_table(&m, &t, &err) < 0,
       "9 regions refused");
    kb_vu_msg_fini(&m);
    n = 1;
    memcpy(p, &n, 4);
    kb_vu_send(sv[0], KB_VU_SET_MEM_TABLE, 1, p, 40, NULL, 0, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_msg_check(&m, &err) < 0,
       "region without fd refused");
    kb_vu_msg_fini(&m);

    /* GET_CONFIG offset 0 size 8, 20 bytes; the reply is 20 bytes too */
    uint32_t c3[5] = { 0, 8, 0, 0, 0 };
    kb_vu_send(sv[0], KB_VU_GET_CONFIG, 1, c3, 20, NULL, 0, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_get_config(&m, &cfg, &err) == 0 &&
           cfg.size == 8 && cfg.offset == 0,
       "GET_CONFIG decoded");
    ok(kb_vu_req_has_reply(m.request), "GET_CONFIG always has a reply");
    kb_vu_msg_fini(&m);
    uint64_t cid = 42;
    memcpy(cfg.data, &cid, 8);
    kb_vu_reply_config(sv[1], &cfg, &err);
    uint8_t raw[64];
    ok(read(sv[0], raw, sizeof(raw)) == 32, "config reply: 12 + 20 bytes");
    uint32_t size;
    memcpy(&size, raw + 8, 4);
    memcpy(&cid, raw + 24, 8);
    ok(size == 20 && cid == 42, "reply size 20 carrying the CID");
    c3[1] = 300;
    kb_vu_send(sv[0], KB_VU_GET_CONFIG, 1, c3, 20, NULL, 0, &err);
    ok(kb_vu_recv(sv[1], &m, &err) == 1 && kb_vu_get_config(&m, &cfg, &err) < 0,
       "config size beyond its payload refused");
    kb_vu_msg_fini(&m);
    unpair();
    is_str(kb_vu_req_name(KB_VU_GET_VRING_BASE), "GET_VRING_BASE", "request names");
    is_str(kb_vu_req_name(99), "?", "unknown request name");
}

int main(void)
{
    test_u64_and_reply();
    test_header_checks();
    test_fds();
    test_payloads();
    return tap_done();
}
