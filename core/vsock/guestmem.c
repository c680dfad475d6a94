#include "guestmem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

void kb_gm_init(struct kb_guestmem *gm)
{
    memset(gm, 0, sizeof(*gm));
}

static void unmap_all(struct kb_gm_region *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (r[i].map)
            munmap(r[i].map, r[i].map_len);
}

void kb_gm_fini(struct kb_guestmem *gm)
{
    unmap_all(gm->r, gm->n);
    kb_gm_init(gm);
}

/* start <= a and a+len <= start+size, without ever computing a sum that
 * can wrap */
static int inside(uint64_t start, uint64_t size, uint64_t a, uint64_t len)
{
    if (a < start)
        return 0;
    uint64_t off = a - start;
    return off < size && len <= size - off;
}

static int check_region(const struct kb_vu_region *v, int fd, const struct kb_guestmem *done,
                        kb_err *err)
{
    struct stat st;

    if (v->size == 0)
        return kb_error(err, EINVAL, "region at 0x%llx is empty", (unsigned long long)v->gpa);
    if (v->gpa + v->size < v->gpa || v->uaddr + v->size < v->uaddr ||
        v->mmap_offset + v->size < v->mmap_offset || v->mmap_offset + v->size > SIZE_MAX)
        return kb_error(err, EINVAL, "region at 0x%llx wraps", (unsigned long long)v->gpa);
    for (unsigned i = 0; i < done->n; i++) {
        const struct kb_gm_region *o = &done->r[i];
        if (v->gpa < o->gpa + o->size && o->gpa < v->gpa + v->size)
            return kb_error(err, EINVAL, "regions at 0x%llx and 0x%llx overlap",
                            (unsigned long long)v->gpa, (unsigned long long)o->gpa);
        if (v->uaddr < o->uaddr + o->size && o->uaddr < v->uaddr + v->size)
            return kb_error(err, EINVAL, "regions at 0x%llx and 0x%llx overlap in user space",
                            (unsigned long long)v->gpa, (unsigned long long)o->gpa);
    }
    if (fd < 0)
        return kb_error(err, EBADF, "region at 0x%llx has no fd", (unsigned long long)v->gpa);
    if (fstat(fd, &st) < 0)
        return kb_error_errno(err, "fstat region fd");
    /* touching a page past the end of a file raises SIGBUS, so refuse a
     * region the file does not hold */
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < v->mmap_offset + v->size)
        return kb_error(err, EINVAL, "region at 0x%llx ends past its file (%lld bytes)",
                        (unsigned long long)v->gpa, (long long)st.st_size);
    return 0;
}

int kb_gm_set(struct kb_guestmem *gm, const struct kb_vu_mem_table *t, const int *fds,
              kb_err *err)
{
    struct kb_guestmem nw;

    kb_gm_init(&nw);
    if (t->n == 0 || t->n > KB_VU_MAX_REGIONS)
        return kb_error(err, EINVAL, "memory table with %u regions", t->n);
    for (unsigned i = 0; i < t->n; i++) {
        const struct kb_vu_region *v = &t->r[i];
        if (check_region(v, fds[i], &nw, err) < 0)
            goto fail;
        size_t len = (size_t)(v->mmap_offset + v->size);
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
        if (p == MAP_FAILED) {
            kb_error_errno(err, "mmap region at 0x%llx (%zu bytes)",
                           (unsigned long long)v->gpa, len);
            goto fail;
        }
        nw.r[i] = (struct kb_gm_region){ .gpa = v->gpa, .size = v->size, .uaddr = v->uaddr,
                                         .map = p, .map_len = len,
                                         .base = (uint8_t *)p + v->mmap_offset };
        nw.n = i + 1;
    }
    kb_gm_fini(gm);
    *gm = nw;
    return 0;
fail:
    kb_gm_fini(&nw);
    return kb_error_wrap(err, "guest memory table");
}

void *kb_gm_gpa(const struct kb_guestmem *gm, uint64_t gpa, uint64_t len)
{
    for (unsigned i = 0; i < gm->n; i++) {
        const struct kb_gm_region *r = &gm->r[i];
        if (inside(r->gpa, r->size, gpa, len))
            return r->base + (gpa - r->gpa);
    }
    return NULL;
}

void *kb_gm_uva(const struct kb_guestmem *gm, uint64_t uva, uint64_t len)
{
    for (unsigned i = 0; i < gm->n; i++) {
        const struct kb_gm_region *r = &gm->r[i];
        if (inside(r->uaddr, r->size, uva, len))
            return r->base + (uva - r->uaddr);
    }
    return NULL;
}
