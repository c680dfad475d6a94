/* Split virtqueue processing against rings laid out in a memfd exactly as
 * a guest driver lays them out, including hostile descriptor tables. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../core/vsock/virtq.h"
#include "tap.h"

#define MEM (1024 * 1024)
#define GPA 0x10000ull           /* guest-physical base of the one region */
#define UA 0x7f0000000000ull     /* where "QEMU" has it mapped */
#define DESC 0x0
#define AVAIL 0x4000
#define USED 0x5000
#define BUF 0x10000

static uint8_t *g;               /* the guest's own view of its memory */
static uint16_t g_avail;

static void set_desc(uint8_t *table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    uint8_t *d = table + 16 * i;
    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
}

static void add_avail(unsigned num, uint16_t head)
{
    memcpy(g + AVAIL + 4 + 2 * (g_avail % num), &head, 2);
    g_avail++;
    __atomic_store_n((uint16_t *)(void *)(g + AVAIL + 2), g_avail, __ATOMIC_RELEASE);
}

static uint16_t used_idx(void) { return *(volatile uint16_t *)(g + USED + 2); }

static void used_elem(unsigned num, uint16_t i, uint32_t *id, uint32_t *len)
{
    memcpy(id, g + USED + 4 + 8 * (i % num), 4);
    memcpy(len, g + USED + 4 + 8 * (i % num) + 4, 4);
}

static int setup(struct kb_guestmem *gm, struct kb_vq *vq, unsigned num, uint64_t features)
{
    struct kb_vu_mem_table t = { .n = 1, .r = { { GPA, MEM, UA, 0 } } };
    kb_err err;
    int fd = memfd_create("guest", MFD_CLOEXEC);

    if (fd < 0 || ftruncate(fd, MEM) < 0)
        return -1;
    g = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    kb_gm_init(gm);
    if (kb_gm_set(gm, &t, &fd, &err) < 0)
        return -1;
    close(fd);
    g_avail = 0;
    kb_vq_init(vq);
    kb_vq_set_features(vq, features);
    if (kb_vq_set_num(vq, num, &err) < 0 ||
        kb_vq_set_addr(vq, gm, UA + DESC, UA + AVAIL, UA + USED, &err) < 0)
        return -1;
    vq->enabled = true;
    return 0;
}

static void teardown(struct kb_guestmem *gm, struct kb_vq *vq)
{
    kb_vq_fini(vq);
    kb_gm_fini(gm);
    munmap(g, MEM);
}

static void test_basic(void)
{
    struct kb_guestmem gm;
    struct kb_vq vq;
    struct kb_vq_elem e;
    kb_err err;
    uint32_t id, len;

    ok(setup(&gm, &vq, 16, 0) == 0, "queue of 16 set up");
    ok(kb_vq_ready(&vq), "ready");
    ok(kb_vq_pop(&vq, &gm, &e, &err) == 0, "empty ring pops nothing");
    /* tx-like chain: header (44, readable) -> payload (5, readable) */
    memcpy(g + BUF, "hello-header", 12);
    memcpy(g + BUF + 0x100, "world", 5);
    set_desc(g + DESC, 3, GPA + BUF, 44, KB_VRING_DESC_F_NEXT, 7);
    set_desc(g + DESC, 7, GPA + BUF + 0x100, 5, 0, 0);
    /* rx-like chain: one writable buffer */
    set_desc(g + DESC, 9, GPA + BUF + 0x1000, 3776, KB_VRING_DESC_F_WRITE, 0);
    add_avail(16, 3);
    add_avail(16, 9);
    ok(kb_vq_avail_count(&vq) == 2, "two chains available");
    ok(kb_vq_pop(&vq, &gm, &e, &err) == 1, "pop chain");
    ok(e.head == 3 && e.nout == 2 && e.nin == 0 && e.out_len == 49, "two readable segments");
    char buf[64] = { 0 };
    ok(kb_vq_elem_read(&e, 40, buf, 9) == 9 && memcmp(buf + 4, "world", 5) == 0,
       "read across segments");
    ok(kb_vq_elem_read(&e, 48, buf, 10) == 1, "read clipped at the end");
    kb_vq_push(&vq, e.head, 0);
    ok(used_idx() == 1, "used idx published");
    used_elem(16, 0, &id, &len);
    ok(id == 3 && len == 0, "used element {3, 0}");
    ok(kb_vq_pop(&vq, &gm, &e, &err) == 1 && e.nin == 1 && e.in_len == 3776, "writable chain");
    ok(kb_vq_elem_write(&e, 0, "abc", 3) == 3 && memcmp(g + BUF + 0x1000, "abc", 3) == 0,
       "write lands in guest memory");
    kb_vq_push(&vq, e.head, 47);
    used_elem(16, 1, &id, &len);
    ok(used_idx() == 2 && id == 9 && len == 47, "second used element");
    ok(vq.last_avail == 2, "last_avail advanced");

    /* wrap the free-running indices past 65535 */
    vq.last_avail = g_avail = 65534;
    *(uint16_t *)(void *)(g + AVAIL + 2) = 65534;
    for (int i = 0; i < 4; i++)
        add_avail(16, 9);
    int n = 0;
    while (kb_vq_pop(&vq, &gm, &e, &err) == 1) {
        kb_vq_push(&vq, e.head, 0);
        n++;
    }
    ok(n == 4 && vq.last_avail == 2, "indices wrap around 65536");
    teardown(&gm, &vq);
}

static void test_hostile(void)
{
    struct kb_guestmem gm;
    struct kb_vq vq;
    struct kb_vq_elem e;
    kb_err err;

    setup(&gm, &vq, 128, 0);
    /* loop: 0 -> 1 -> 0 */
    set_desc(g + DESC, 0, GPA + BUF, 8, KB_VRING_DESC_F_NEXT, 1);
    set_desc(g + DESC, 1, GPA + BUF, 8, KB_VRING_DESC_F_NEXT, 0);
    add_avail(128, 0);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && !vq.broken && e.head == 0, "loop refused, chain consumed");
    kb_vq_push(&vq, e.head, 0);
    /* self loop with zero-length descriptors: bounded by the queue size */
    set_desc(g + DESC, 2, GPA + BUF, 0, KB_VRING_DESC_F_NEXT, 2);
    add_avail(128, 2);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && err.errnum == ELOOP, "empty self-loop refused");
    /* too long: 100 distinct descriptors */
    for (unsigned i = 10; i < 110; i++)
        set_desc(g + DESC, i, GPA + BUF, 8, i < 109 ? KB_VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    add_avail(128, 10);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && err.errnum == E2BIG, "100-segment chain refused");
    /* buffer outside memory, straddling its end, wrapping */
    set_desc(g + DESC, 3, GPA - 8, 16, 0, 0);
    add_avail(128, 3);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && err.errnum == EFAULT, "buffer below memory");
    set_desc(g + DESC, 3, GPA + MEM - 8, 16, 0, 0);
    add_avail(128, 3);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && err.errnum == EFAULT, "buffer past the end");
    set_desc(g + DESC, 3, UINT64_MAX - 4, 16, 0, 0);
    add_avail(128, 3);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && err.errnum == EFAULT, "wrapping buffer");
    /* next beyond the table, head beyond the table */
    set_desc(g + DESC, 4, GPA + BUF, 8, KB_VRING_DESC_F_NEXT, 500);
    add_avail(128, 4);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && err.errnum == EPROTO, "next beyond the table");
    add_avail(128, 200);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && e.head == 200, "head beyond the table");
    /* readable after writable */
    set_desc(g + DESC, 5, GPA + BUF, 8, KB_VRING_DESC_F_WRITE | KB_VRING_DESC_F_NEXT, 6);
    set_desc(g + DESC, 6, GPA + BUF, 8, 0, 0);
    add_avail(128, 5);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0, "readable after writable refused");
    /* indirect without the feature */
    set_desc(g + DESC, 7, GPA + BUF, 32, KB_VRING_DESC_F_INDIRECT, 0);
    add_avail(128, 7);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0, "indirect not negotiated refused");
    ok(!vq.broken, "chain errors leave the ring usable");
    /* a good chain still goes through after all that */
    set_desc(g + DESC, 8, GPA + BUF, 8, 0, 0);
    add_avail(128, 8);
    ok(kb_vq_pop(&vq, &gm, &e, &err) == 1 && e.head == 8, "good chain after bad ones");
    /* avail idx jumping more than the queue size breaks the ring */
    g_avail += 1000;
    add_avail(128, 8);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && vq.broken, "avail jump breaks the ring");
    ok(kb_vq_avail_count(&vq) == 0 && !kb_vq_ready(&vq), "broken ring is not ready");
    teardown(&gm, &vq);
}

static void test_indirect(void)
{
    struct kb_guestmem gm;
    struct kb_vq vq;
    struct kb_vq_elem e;
    kb_err err;
    uint8_t *tbl;

    setup(&gm, &vq, 16, 1ull << KB_VIRTIO_F_INDIRECT_DESC);
    tbl = g + 0x8000;
    set_desc(tbl, 0, GPA + BUF, 44, KB_VRING_DESC_F_NEXT, 2);
    set_desc(tbl, 2, GPA + BUF + 64, 100, KB_VRING_DESC_F_NEXT, 1);
    set_desc(tbl, 1, GPA + BUF + 256, 200, KB_VRING_DESC_F_WRITE, 0);
    set_desc(g + DESC, 0, GPA + 0x8000, 48, KB_VRING_DESC_F_INDIRECT, 0);
    add_avail(16, 0);
    ok(kb_vq_pop(&vq, &gm, &e, &err) == 1, "indirect chain");
    ok(e.nout == 2 && e.nin == 1 && e.out_len == 144 && e.in_len == 200, "indirect segments");
    /* loop inside the table */
    set_desc(tbl, 1, GPA + BUF, 8, KB_VRING_DESC_F_NEXT, 0);
    add_avail(16, 0);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && err.errnum == ELOOP, "loop inside indirect table");
    /* nested indirect */
    set_desc(tbl, 0, GPA + 0x8000, 48, KB_VRING_DESC_F_INDIRECT, 0);
    add_avail(16, 0);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0, "nested indirect refused");
    /* bad table sizes and places */
    set_desc(g + DESC, 1, GPA + 0x8000, 20, KB_VRING_DESC_F_INDIRECT, 0);
    add_avail(16, 1);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0, "table length not a multiple of 16");
    set_desc(g + DESC, 1, GPA + MEM - 16, 32, KB_VRING_DESC_F_INDIRECT, 0);
    add_avail(16, 1);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0 && err.errnum == EFAULT, "table outside memory");
    set_desc(g + DESC, 1, GPA + 0x8000, 32, KB_VRING_DESC_F_INDIRECT | KB_VRING_DESC_F_NEXT, 2);
    add_avail(16, 1);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0, "indirect with NEXT refused");
    set_desc(g + DESC, 1, GPA + BUF, 8, KB_VRING_DESC_F_NEXT, 2);
    set_desc(g + DESC, 2, GPA + 0x8000, 32, KB_VRING_DESC_F_INDIRECT, 0);
    add_avail(16, 1);
    ok(kb_vq_pop(&vq, &gm, &e, &err) < 0, "indirect not at the head refused");
    teardown(&gm, &vq);
}

static void test_rings_and_sizes(void)
{
    struct kb_guestmem gm;
    struct kb_vq vq;
    kb_err err;

    setup(&gm, &vq, 16, 0);
    ok(kb_vq_set_num(&vq, 0, &err) < 0, "size 0 refused");
    ok(kb_vq_set_num(&vq, 100, &err) < 0, "size 100 refused");
    ok(kb_vq_set_num(&vq, 65536, &err) < 0, "size 65536 refused");
    ok(kb_vq_set_num(&vq, 32768, &err) == 0, "size 32768 accepted");
    /* 32768 descriptors need 512 KiB: the table at MEM - 0x1000 does not fit */
    ok(kb_vq_set_addr(&vq, &gm, UA + MEM - 0x1000, UA + AVAIL, UA + USED, &err) < 0,
       "descriptor table past the end of memory refused");
    ok(kb_vq_set_num(&vq, 1024, &err) == 0 &&
           kb_vq_set_addr(&vq, &gm, UA + DESC, UA + 0x4001, UA + 0x6000, &err) < 0,
       "odd avail ring address refused");
    ok(kb_vq_set_addr(&vq, &gm, UA + DESC, UA + AVAIL, UA + MEM - 8 * 1024, &err) < 0,
       "used ring running past the end of memory refused");
    ok(kb_vq_set_addr(&vq, &gm, UA + 8, UA + 0x4000, UA + 0x6000, &err) < 0,
       "misaligned descriptor table refused");
    ok(kb_vq_set_addr(&vq, &gm, GPA + DESC, GPA + AVAIL, GPA + USED, &err) < 0,
       "guest-physical addresses are not user addresses");
    /* the used index is taken from the guest on (re)mapping */
    *(uint16_t *)(void *)(g + USED + 2) = 31;
    kb_vq_set_num(&vq, 16, &err);
    ok(kb_vq_set_addr(&vq, &gm, UA + DESC, UA + AVAIL, UA + USED, &err) == 0 && vq.used_idx == 31,
       "used idx picked up from the ring");
    teardown(&gm, &vq);
}

static void test_notify(void)
{
    struct kb_guestmem gm;
    struct kb_vq vq;
    struct kb_vq_elem e;
    kb_err err;
    uint64_t v;

    setup(&gm, &vq, 16, 0);
    vq.call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    vq.kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    set_desc(g + DESC, 0, GPA + BUF, 8, 0, 0);
    add_avail(16, 0);
    kb_vq_pop(&vq, &gm, &e, &err);
    kb_vq_push(&vq, 0, 0);
    ok(kb_vq_notify(&vq, &err) == 0 && read(vq.call_fd, &v, 8) == 8 && v == 1, "call fd signalled");
    *(uint16_t *)(void *)(g + AVAIL) = KB_VRING_AVAIL_F_NO_INTERRUPT;
    kb_vq_push(&vq, 0, 0);
    kb_vq_notify(&vq, &err);
    ok(read(vq.call_fd, &v, 8) < 0 && errno == EAGAIN, "NO_INTERRUPT honoured");
    ok(!kb_vq_set_notification(&vq, false) && *(uint16_t *)(void *)(g + USED) == 1,
       "NO_NOTIFY set");
    add_avail(16, 0);
    ok(kb_vq_set_notification(&vq, true) && *(uint16_t *)(void *)(g + USED) == 0,
       "re-enabling sees the buffer added meanwhile");
    v = 1;
    write(vq.kick_fd, &v, 8);
    kb_vq_drain_kick(&vq);
    ok(read(vq.kick_fd, &v, 8) < 0, "kick drained");
    teardown(&gm, &vq);

    /* EVENT_IDX */
    setup(&gm, &vq, 16, 1ull << KB_VIRTIO_F_EVENT_IDX);
    set_desc(g + DESC, 0, GPA + BUF, 8, 0, 0);
    uint16_t *used_event = (uint16_t *)(void *)(g + AVAIL + 4 + 2 * 16);
    uint16_t *avail_event = (uint16_t *)(void *)(g + USED + 4 + 8 * 16);
    for (int i = 0; i < 3; i++)
        add_avail(16, 0);
    kb_vq_pop(&vq, &gm, &e, &err);
    ok(*avail_event == 1, "avail_event follows last_avail");
    kb_vq_push(&vq, 0, 0);
    ok(kb_vq_should_signal(&vq), "first signal always");
    *used_event = 5; /* guest wants an interrupt once used passes 5 */
    kb_vq_pop(&vq, &gm, &e, &err);
    kb_vq_push(&vq, 0, 0);
    ok(!kb_vq_should_signal(&vq), "used 2 does not cross used_event 5");
    for (int i = 0; i < 4; i++)
        kb_vq_push(&vq, 0, 0);
    ok(kb_vq_should_signal(&vq), "used 6 crosses used_event 5");
    teardown(&gm, &vq);
}

int main(void)
{
    test_basic();
    test_hostile();
    test_indirect();
    test_rings_and_sizes();
    test_notify();
    return tap_done();
}
