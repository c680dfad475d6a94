/* The back-end as a whole: first driven by a fake front-end speaking
 * vhost-user exactly as QEMU 7.2 does (reference section 2.5) over its
 * socket, with a guest played in a memfd; then the control handshake with
 * a real QEMU (skipped when qemu-system-x86_64 is missing). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/util.h"
#include "../../core/vsock/backend.h"
#include "tap.h"

#define MEM (1024 * 1024)
#define UA 0x7f0000000000ull
#define NUM 64
#define CID 42
/* rx ring at 0x0000 (desc) 0x1000 (avail) 0x2000 (used); tx at 0x3000.. */
#define RING(q, part) ((q) * 0x3000u + (part) * 0x1000u)

static struct kb_vsock_backend *B;
static int fe = -1;
static uint8_t *g;
static uint16_t g_avail[2];
static int call_fd[2], kick_fd[2];
static char dir[64], vhost_path[128], uds_path[128];

static int unix_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int unix_listen(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0)
        return -1;
    return fd;
}

static void run(int rounds)
{
    kb_err err;
    for (int i = 0; i < rounds; i++)
        kb_vsock_backend_run_once(B, 20, &err);
}

/* send a request; run the back-end; return the reply's u64 (or ~0) */
static uint64_t ask(uint32_t req, uint32_t flags, const void *p, uint32_t size, const int *fds,
                    unsigned nfds, uint32_t *reply_size)
{
    struct kb_vu_msg m;
    kb_err err;
    uint64_t v = ~0ull;

    kb_vu_send(fe, req, flags, p, size, fds, nfds, &err);
    run(1);
    if (!kb_vu_req_has_reply(req) && !(flags & KB_VU_FLAG_NEED_REPLY))
        return 0;
    fcntl(fe, F_SETFL, O_NONBLOCK);
    int r = kb_vu_recv(fe, &m, &err);
    fcntl(fe, F_SETFL, 0);
    if (r == 1 && m.flags == 0x5 && m.request == req) {
        if (reply_size)
            *reply_size = m.size;
        if (m.size >= 8)
            memcpy(&v, m.payload + (req == KB_VU_GET_CONFIG ? 12 : 0), 8);
    }
    kb_vu_msg_fini(&m);
    return v;
}

static void send_state(uint32_t req, uint32_t idx, uint32_t num)
{
    uint32_t s[2] = { idx, num };
    ask(req, 1, s, 8, NULL, 0, NULL);
}

static void set_desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    uint8_t *d = g + RING(q, 0) + 16 * i;
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

static void add_avail(unsigned q, uint16_t head)
{
    memcpy(g + RING(q, 1) + 4 + 2 * (g_avail[q] % NUM), &head, 2);
    g_avail[q]++;
    __atomic_store_n((uint16_t *)(void *)(g + RING(q, 1) + 2), g_avail[q], __ATOMIC_RELEASE);
}

static uint16_t used_idx(unsigned q) { return *(volatile uint16_t *)(g + RING(q, 2) + 2); }

/* the guest sends one packet on tx (header at 0x10000+slot*0x100) */
static void guest_send(unsigned slot, uint16_t op, uint32_t sport, uint32_t dport,
                       const char *data)
{
    uint32_t len = data ? (uint32_t)strlen(data) : 0;
    struct kb_vsock_hdr h = { .src_cid = CID, .dst_cid = 2, .src_port = sport, .dst_port = dport,
                              .len = len, .type = 1, .op = op, .buf_alloc = 262144 };
    uint64_t one = 1;
    unsigned d = (slot * 2) % NUM, off = 0x10000 + (slot % 64) * 0x100;

    kb_vsock_hdr_encode(&h, g + off);
    if (len) {
        memcpy(g + off + 64, data, len);
        set_desc(1, d, off, 44, KB_VRING_DESC_F_NEXT, (uint16_t)(d + 1));
        set_desc(1, d + 1, off + 64, len, 0, 0);
    } else {
        set_desc(1, d, off, 44, 0, 0);
    }
    add_avail(1, (uint16_t)d);
    write(kick_fd[1], &one, 8);
    run(3);
}

/* the used rx element number i, decoded */
static struct kb_vsock_hdr guest_rx(uint16_t i, char *data, size_t max)
{
    struct kb_vsock_hdr h = { 0 };
    uint32_t id, len;

    memcpy(&id, g + RING(0, 2) + 4 + 8 * (i % NUM), 4);
    memcpy(&len, g + RING(0, 2) + 8 + 8 * (i % NUM), 4);
    if (len < 44 || id >= NUM)
        return h;
    uint8_t *buf = g + 0x20000 + id * 0x400;
    kb_vsock_hdr_decode(buf, &h);
    if (data && h.len < max) {
        memcpy(data, buf + 44, h.len);
        data[h.len] = 0;
    }
    /* give the buffer back */
    add_avail(0, (uint16_t)id);
    return h;
}

static void test_fake_frontend(void)
{
    kb_err err;
    uint32_t rsz = 0;
    uint64_t v;
    char buf[256];

    B = malloc(sizeof(*B));
    ok(kb_vsock_backend_init(B, vhost_path, uds_path, CID, &err) == 0, "back-end listening");
    fe = unix_connect(vhost_path);
    run(1);
    ok(fe >= 0 && B->sock >= 0, "front-end connected");

    /* A. realize */
    v = ask(KB_VU_GET_FEATURES, 1, NULL, 0, NULL, 0, NULL);
    ok((v >> 32 & 1) && (v >> 30 & 1) && !(v >> 40 & 1), "features: VERSION_1 and bit 30, no RING_RESET");
    v = ask(KB_VU_GET_PROTOCOL_FEATURES, 1, NULL, 0, NULL, 0, NULL);
    ok(v == 0x209, "protocol features MQ|REPLY_ACK|CONFIG");
    ask(KB_VU_SET_PROTOCOL_FEATURES, 1, &v, 8, NULL, 0, NULL);
    ok(ask(KB_VU_GET_QUEUE_NUM, 1, NULL, 0, NULL, 0, NULL) == 2, "two queues");
    ask(KB_VU_SET_OWNER, 1, NULL, 0, NULL, 0, NULL);
    for (unsigned q = 0; q < 2; q++) {
        call_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        kick_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        uint64_t idx = q;
        ask(KB_VU_SET_VRING_CALL, 1, &idx, 8, &call_fd[q], 1, NULL);
        ask(KB_VU_SET_VRING_ERR, 1, &idx, 8, &call_fd[q], 1, NULL);
    }
    uint32_t cfg[5] = { 0, 8, 0, 0, 0 };
    v = ask(KB_VU_GET_CONFIG, 1, cfg, 20, NULL, 0, &rsz);
    ok(v == CID && rsz == 20 && B->config_served, "GET_CONFIG: 20 bytes carrying CID 42");

    /* B. start */
    v = (1ull << 32) | (1ull << 30);
    ask(KB_VU_SET_FEATURES, 1, &v, 8, NULL, 0, NULL);
    int mfd = memfd_create("guest", MFD_CLOEXEC);
    ftruncate(mfd, MEM);
    g = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    uint8_t mt[40] = { 1 };
    uint64_t reg[4] = { 0, MEM, UA, 0 };
    memcpy(mt + 8, reg, 32);
    ok(ask(KB_VU_SET_MEM_TABLE, 9, mt, 40, &mfd, 1, NULL) == 0, "SET_MEM_TABLE acked with 0");
    close(mfd);
    for (unsigned q = 0; q < 2; q++) {
        uint64_t a[5];
        uint32_t *a32 = (uint32_t *)(void *)a;
        send_state(KB_VU_SET_VRING_NUM, q, NUM);
        send_state(KB_VU_SET_VRING_BASE, q, 0);
        a32[0] = q;
        a32[1] = 0;
        a[1] = UA + RING(q, 0);
        a[2] = UA + RING(q, 2);
        a[3] = UA + RING(q, 1);
        a[4] = RING(q, 2);
        ask(KB_VU_SET_VRING_ADDR, 1, a, 40, NULL, 0, NULL);
        uint64_t idx = q;
        ask(KB_VU_SET_VRING_KICK, 1, &idx, 8, &kick_fd[q], 1, NULL);
    }
    ok(B->vq[0].desc && B->vq[1].desc && B->vq[0].num == NUM, "rings mapped");
    /* rx buffers before the rings are enabled: must not be lost */
    for (unsigned i = 0; i < 8; i++) {
        set_desc(0, i, 0x20000 + i * 0x400, 0x400, KB_VRING_DESC_F_WRITE, 0);
        add_avail(0, (uint16_t)i);
    }
    int lst = unix_listen(strcat(strcpy(buf, uds_path), "_1234"));
    guest_send(0, KB_VSOCK_OP_REQUEST, 40000, 1234, NULL);
    ok(used_idx(1) == 0, "nothing processed while disabled");
    send_state(KB_VU_SET_VRING_ENABLE, 0, 1);
    send_state(KB_VU_SET_VRING_ENABLE, 1, 1);
    run(2);
    ok(used_idx(1) == 1, "tx kicked before enable is processed on enable");
    int app = accept4(lst, NULL, NULL, SOCK_CLOEXEC);
    ok(app >= 0, "guest connect reached <uds>_1234");
    ok(used_idx(0) == 1, "one rx packet");
    struct kb_vsock_hdr h = guest_rx(0, NULL, 0);
    ok(h.op == KB_VSOCK_OP_RESPONSE && h.dst_port == 40000 && h.dst_cid == CID, "RESPONSE");
    ok(read(call_fd[0], &v, 8) == 8, "rx call fd signalled");

    guest_send(1, KB_VSOCK_OP_RW, 40000, 1234, "hello");
    ok(read(app, buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0, "guest -> host bytes");
    write(app, "world", 5);
    run(3);
    h = guest_rx(1, buf, sizeof(buf));
    ok(h.op == KB_VSOCK_OP_RW && h.len == 5 && strcmp(buf, "world") == 0, "host -> guest bytes");

    /* hybrid: host connects to guest port 5000 */
    int cl = unix_connect(uds_path);
    write(cl, "connect 5000\nearly", 18);
    run(4);
    h = guest_rx(2, NULL, 0);
    ok(h.op == KB_VSOCK_OP_REQUEST && h.dst_port == 5000 && h.src_port == 1073741824u,
       "CONNECT 5000 -> REQUEST");
    guest_send(2, KB_VSOCK_OP_RESPONSE, 5000, 1073741824u, NULL);
    run(2);
    ok(read(cl, buf, sizeof(buf)) == 14 && memcmp(buf, "OK 1073741824\n", 14) == 0,
       "client reads OK");
    run(2);
    h = guest_rx(3, buf, sizeof(buf));
    ok(h.op == KB_VSOCK_OP_RW && h.len == 5 && strcmp(buf, "early") == 0,
       "bytes after the CONNECT line are not lost");

    /* C. stop */
    send_state(KB_VU_SET_VRING_ENABLE, 1, 0);
    uint32_t s[2] = { 1, 0 };
    v = ask(KB_VU_GET_VRING_BASE, 1, s, 8, NULL, 0, &rsz);
    ok(rsz == 8 && (uint32_t)(v >> 32) == 3, "GET_VRING_BASE returns last_avail 3");
    ok(B->vq[1].kick_fd < 0 && !B->vq[1].enabled, "tx ring stopped");

    /* refusals */
    s[0] = 0;
    s[1] = 1000;
    ok(ask(KB_VU_SET_VRING_NUM, 9, s, 8, NULL, 0, NULL) == 1, "bad ring size nacked");
    ok(ask(99, 9, NULL, 0, NULL, 0, NULL) == 1 && B->sock >= 0, "unknown request nacked, kept");
    ask(KB_VU_GET_INFLIGHT_FD, 1, NULL, 0, NULL, 0, NULL);
    ok(B->sock < 0, "unanswerable GET drops the connection");
    ok(read(app, buf, sizeof(buf)) == 0, "host connections closed with it");
    close(app);
    close(cl);
    close(lst);
    close(fe);
    for (unsigned q = 0; q < 2; q++) {
        close(call_fd[q]);
        close(kick_fd[q]);
    }
    munmap(g, MEM);
    kb_vsock_backend_fini(B);
    free(B);
}

static void test_qemu(void)
{
    kb_err err;
    char chardev[200];

    if (access("/usr/bin/qemu-system-x86_64", X_OK) != 0) {
        tap_skip("qemu-system-x86_64 not installed");
        return;
    }
    B = malloc(sizeof(*B));
    ok(kb_vsock_backend_init(B, vhost_path, uds_path, CID, &err) == 0, "back-end for QEMU");
    snprintf(chardev, sizeof(chardev), "socket,id=vs,path=%s", vhost_path);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execl("/usr/bin/qemu-system-x86_64", "qemu-system-x86_64", "-M",
              "microvm,memory-backend=mem", "-object",
              "memory-backend-memfd,id=mem,size=128M,share=on", "-global",
              "virtio-mmio.force-legacy=false", "-chardev", chardev, "-device",
              "vhost-user-vsock-device,chardev=vs", "-nodefaults", "-display", "none", "-S",
              (char *)NULL);
        _exit(127);
    }
    uint64_t end = kb_now_ns() + 30ull * 1000000000ull;
    while (!B->config_served && kb_now_ns() < end && waitpid(pid, NULL, WNOHANG) == 0)
        kb_vsock_backend_run_once(B, 100, &err);
    ok(B->config_served, "QEMU realized the device: GET_CONFIG answered");
    ok(B->nmsgs >= 11, "%u control messages (11 expected at realize)", B->nmsgs);
    ok(B->protocol_features == 0x209, "QEMU set protocol features 0x%llx",
       (unsigned long long)B->protocol_features);
    ok(B->vq[0].call_fd >= 0 && B->vq[1].call_fd >= 0 && B->vq[1].err_fd >= 0,
       "call and err fds for rings 0 and 1");
    run(10);
    ok(waitpid(pid, NULL, WNOHANG) == 0, "QEMU still running (paused, waiting for a guest)");
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    for (int i = 0; i < 10 && B->sock >= 0; i++)
        run(1);
    ok(B->sock < 0, "QEMU gone: connection dropped, back-end idle");
    kb_vsock_backend_fini(B);
    free(B);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof(dir), "/tmp/kbvsXXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(vhost_path, sizeof(vhost_path), "%s/vhu.sock", dir);
    snprintf(uds_path, sizeof(uds_path), "%s/v.sock", dir);
    test_fake_frontend();
    test_qemu();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return tap_done();
}
