/* Guest memory table: memfd-backed regions laid out as QEMU's microvm
 * sends them, translation bounds at every edge, hostile tables refused. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../core/vsock/guestmem.h"
#include "tap.h"

#define MIB (1024ull * 1024)
#define UA 0x7f0000000000ull

static int mkmem(size_t size)
{
    int fd = memfd_create("guest", MFD_CLOEXEC);
    if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* microvm shape: [0, 0xf0000) at offset 0, [0x100000, 2M) at offset 0x100000 */
static void two_regions(struct kb_vu_mem_table *t)
{
    memset(t, 0, sizeof(*t));
    t->n = 2;
    t->r[0] = (struct kb_vu_region){ 0, 0xf0000, UA, 0 };
    t->r[1] = (struct kb_vu_region){ 0x100000, MIB, UA + 0x100000, 0x100000 };
}

static void test_translate(void)
{
    struct kb_guestmem gm;
    struct kb_vu_mem_table t;
    kb_err err;
    int fd = mkmem(2 * MIB);
    int fds[2] = { fd, fd };

    kb_gm_init(&gm);
    two_regions(&t);
    ok(kb_gm_set(&gm, &t, fds, &err) == 0, "map two regions from one memfd");
    uint8_t *view = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);

    uint8_t *p = kb_gm_gpa(&gm, 0x1000, 16);
    ok(p != NULL, "gpa inside region 0");
    view[0x1000] = 0xab;
    ok(p && p[0] == 0xab, "shared with the guest's view");
    p = kb_gm_gpa(&gm, 0x100010, 4);
    view[0x100010] = 0xcd;
    ok(p && p[0] == 0xcd, "region 1 honours mmap_offset");
    ok(kb_gm_gpa(&gm, 0xf0000 - 16, 16) != NULL, "last bytes of region 0");
    ok(kb_gm_gpa(&gm, 0xf0000 - 16, 17) == NULL, "one byte past region 0");
    ok(kb_gm_gpa(&gm, 0xf0000, 1) == NULL, "the hole between regions");
    ok(kb_gm_gpa(&gm, 0xefff0, 0x20000) == NULL, "straddling the hole");
    ok(kb_gm_gpa(&gm, 0x100000 + MIB - 1, 1) != NULL, "last byte of region 1");
    ok(kb_gm_gpa(&gm, 0x100000 + MIB - 1, 2) == NULL, "past the end of memory");
    ok(kb_gm_gpa(&gm, UINT64_MAX - 3, 8) == NULL, "address + len wraps");
    ok(kb_gm_gpa(&gm, 0x1000, UINT64_MAX) == NULL, "huge len");
    ok(kb_gm_gpa(&gm, 0x100000, UINT64_MAX - 0xfffff) == NULL, "len wrapping back into range");
    ok(kb_gm_uva(&gm, UA + 0x100010, 4) == p, "user address -> same pointer");
    ok(kb_gm_uva(&gm, 0x100010, 4) == NULL, "gpa is not a user address");
    ok(kb_gm_uva(&gm, UA - 1, 2) == NULL, "user address below the region");
    ok(kb_gm_gpa(&gm, 0, 0) != NULL && kb_gm_gpa(&gm, 0xf0000, 0) == NULL,
       "empty range must still start inside");

    /* replacing: a failed table keeps the old one */
    t.r[1].size = 4 * MIB; /* past the end of the file */
    fd = mkmem(2 * MIB);
    int f2[2] = { fd, fd };
    ok(kb_gm_set(&gm, &t, f2, &err) < 0 && err.errnum == EINVAL, "region past its file refused");
    ok(kb_gm_gpa(&gm, 0x1000, 1) != NULL, "old table still there");
    two_regions(&t);
    t.r[0].gpa = 0x200000; /* single region, moved */
    t.n = 1;
    ok(kb_gm_set(&gm, &t, f2, &err) == 0, "replace the table");
    ok(kb_gm_gpa(&gm, 0x1000, 1) == NULL && kb_gm_gpa(&gm, 0x200000, 1) != NULL,
       "new table in force");
    close(fd);
    kb_gm_fini(&gm);
    ok(gm.n == 0 && kb_gm_gpa(&gm, 0x200000, 1) == NULL, "fini empties");
    munmap(view, 2 * MIB);
}

static void test_hostile_tables(void)
{
    struct kb_guestmem gm;
    struct kb_vu_mem_table t;
    kb_err err;
    int fd = mkmem(2 * MIB);
    int fds[2] = { fd, fd };

    kb_gm_init(&gm);
    two_regions(&t);
    t.r[1].gpa = 0x80000; /* overlaps region 0 */
    ok(kb_gm_set(&gm, &t, fds, &err) < 0, "overlapping guest ranges refused");
    two_regions(&t);
    t.r[1].uaddr = UA + 0x1000;
    ok(kb_gm_set(&gm, &t, fds, &err) < 0, "overlapping user ranges refused");
    two_regions(&t);
    t.r[0].gpa = UINT64_MAX - 0x1000;
    ok(kb_gm_set(&gm, &t, fds, &err) < 0, "wrapping guest range refused");
    two_regions(&t);
    t.r[0].mmap_offset = UINT64_MAX - 0x1000;
    ok(kb_gm_set(&gm, &t, fds, &err) < 0, "wrapping mmap offset refused");
    two_regions(&t);
    t.r[0].size = 0;
    ok(kb_gm_set(&gm, &t, fds, &err) < 0, "empty region refused");
    two_regions(&t);
    int bad[2] = { fd, -1 };
    ok(kb_gm_set(&gm, &t, bad, &err) < 0, "missing fd refused");
    t.n = 0;
    ok(kb_gm_set(&gm, &t, fds, &err) < 0, "no regions refused");
    ok(gm.n == 0, "nothing mapped after failures");
    close(fd);
}

int main(void)
{
    test_translate();
    test_hostile_tables();
    return tap_done();
}
