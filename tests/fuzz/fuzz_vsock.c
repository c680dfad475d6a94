/* A hostile guest against the device side of vhost-user-vsock: the input
 * becomes guest memory (descriptor tables, avail rings, buffers, packet
 * headers), then the tx queue is drained into the connection table, the
 * host ends answer, and the rx queue is filled from it. Nothing may crash
 * or hang, and no connection may hold more than its buffer.
 *
 * Input: [0] queue size exponent (sizes 1..64), [1] feature bits (1
 * indirect, 2 event idx), [2..] copied over guest memory, which starts at
 * GPA. Layout (compact, so seeds stay small): tx desc 0x0, rx desc 0x400,
 * tx avail 0x800, rx avail 0x900, tx used 0xa00, rx used 0xc00; buffers
 * anywhere, usually from 0xe00. */
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../core/vsock/virtq.h"
#include "../../core/vsock/vsock_conn.h"

#define MEM 0x10000
#define GPA 0x10000000ull
#define UA 0x7f0000000000ull
#define CID 3

struct host { int peers[KB_VSOCK_MAX_CONNS * 2]; unsigned n; };

static int fake_connect(void *ctx, uint32_t port, kb_err *err)
{
    struct host *h = ctx;
    int sv[2];

    if ((port & 3) == 3 || h->n >= KB_VSOCK_MAX_CONNS * 2) /* some ports have no listener */
        return kb_error(err, 111, "refused");
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        return kb_error(err, 24, "socketpair");
    h->peers[h->n++] = sv[1];
    if (port & 1) /* this host application talks first */
        (void)write(sv[1], "host says hi", 12);
    if (port & 4) /* and this one hangs up at once */
        shutdown(sv[1], SHUT_WR);
    return sv[0];
}

static int mem_fd = -1;
static uint8_t *guest;

static void drain_tx(struct kb_vq *vq, struct kb_guestmem *gm, struct kb_vsock_table *t)
{
    static uint8_t payload[KB_VSOCK_MAX_PAYLOAD];
    struct kb_vq_elem e;
    kb_err err;

    for (int i = 0; i < 64; i++) {
        int r = kb_vq_pop(vq, gm, &e, &err);
        if (r == 0 || (r < 0 && vq->broken))
            return;
        if (r > 0 && e.out_len >= KB_VSOCK_HDR_SIZE) {
            uint8_t hdr[KB_VSOCK_HDR_SIZE];
            uint64_t avail = e.out_len - KB_VSOCK_HDR_SIZE;
            if (avail > sizeof(payload))
                avail = sizeof(payload);
            kb_vq_elem_read(&e, 0, hdr, sizeof(hdr));
            kb_vq_elem_read(&e, KB_VSOCK_HDR_SIZE, payload, (size_t)avail);
            (void)kb_vsock_recv(t, hdr, payload, avail, &err);
        }
        kb_vq_push(vq, e.head, 0);
    }
}

static void fill_rx(struct kb_vq *vq, struct kb_guestmem *gm, struct kb_vsock_table *t)
{
    static uint8_t payload[KB_VSOCK_MAX_PAYLOAD];
    struct kb_vq_elem e;
    kb_err err;

    for (int i = 0; i < 64 && kb_vsock_has_rx(t); i++) {
        int r = kb_vq_pop(vq, gm, &e, &err);
        if (r == 0 || (r < 0 && vq->broken))
            return;
        if (r < 0 || e.in_len < KB_VSOCK_HDR_SIZE) {
            kb_vq_push(vq, e.head, 0);
            continue;
        }
        uint64_t cap = e.in_len - KB_VSOCK_HDR_SIZE;
        uint8_t hdr[KB_VSOCK_HDR_SIZE];
        struct kb_vsock_hdr h;
        if (cap > sizeof(payload))
            cap = sizeof(payload);
        if (kb_vsock_next_rx(t, hdr, payload, (uint32_t)cap) != 1) {
            kb_vq_push(vq, e.head, 0);
            return;
        }
        kb_vsock_hdr_decode(hdr, &h);
        if (h.len > cap)
            __builtin_trap();
        kb_vq_elem_write(&e, 0, hdr, sizeof(hdr));
        kb_vq_elem_write(&e, sizeof(hdr), payload, h.len);
        kb_vq_push(vq, e.head, KB_VSOCK_HDR_SIZE + h.len);
    }
}

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct kb_vsock_table t;
    static struct host host;
    struct kb_vu_mem_table mt = { .n = 1, .r = { { GPA, MEM, UA, 0 } } };
    struct kb_guestmem gm;
    struct kb_vq tx, rx;
    kb_err err;

    if (size < 2)
        return 0;
    if (mem_fd < 0) {
        mem_fd = memfd_create("fuzz-guest", MFD_CLOEXEC);
        if (mem_fd < 0 || ftruncate(mem_fd, MEM) < 0)
            return 0;
        guest = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, mem_fd, 0);
        if (guest == MAP_FAILED)
            return 0;
    }
    memset(guest, 0, MEM);
    memcpy(guest, data + 2, size - 2 < MEM ? size - 2 : MEM);

    uint32_t num = 1u << (data[0] % 7);
    uint64_t features = ((data[1] & 1) ? 1ull << KB_VIRTIO_F_INDIRECT_DESC : 0) |
                        ((data[1] & 2) ? 1ull << KB_VIRTIO_F_EVENT_IDX : 0);
    kb_gm_init(&gm);
    if (kb_gm_set(&gm, &mt, &mem_fd, &err) < 0)
        return 0;
    kb_vq_init(&tx);
    kb_vq_init(&rx);
    kb_vq_set_features(&tx, features);
    kb_vq_set_features(&rx, features);
    host.n = 0;
    struct kb_vsock_ops ops = { fake_connect, &host };
    kb_vsock_init(&t, CID, &ops);
    if (kb_vq_set_num(&tx, num, &err) == 0 && kb_vq_set_num(&rx, num, &err) == 0 &&
        kb_vq_set_addr(&tx, &gm, UA, UA + 0x800, UA + 0xa00, &err) == 0 &&
        kb_vq_set_addr(&rx, &gm, UA + 0x400, UA + 0x900, UA + 0xc00, &err) == 0) {
        tx.enabled = rx.enabled = true;
        /* the guest may reuse its rings: run the rounds a few times */
        for (int round = 0; round < 3; round++) {
            drain_tx(&tx, &gm, &t);
            pump(&t);
            fill_rx(&rx, &gm, &t);
            (void)kb_vq_should_signal(&tx);
            (void)kb_vq_set_notification(&rx, true);
            kb_vsock_tick(&t, (uint64_t)round * KB_VSOCK_CLOSE_TIMEOUT_NS);
            for (unsigned i = 0; i < KB_VSOCK_MAX_CONNS; i++)
                if (t.c[i].blen > KB_VSOCK_BUF_ALLOC)
                    __builtin_trap();
        }
    }
    kb_vsock_fini(&t);
    for (unsigned i = 0; i < host.n; i++)
        close(host.peers[i]);
    kb_vq_fini(&tx);
    kb_vq_fini(&rx);
    kb_gm_fini(&gm);
    return 0;
}
