/* The guest's memory as the front-end shares it: up to 8 fd-backed regions,
 * each mapped MAP_SHARED once, and translation of guest-physical addresses
 * (descriptors) and front-end virtual addresses (ring pointers) into ours.
 * Every translation covers a whole (addr, len) inside one region or fails. */
#ifndef KB_VSOCK_GUESTMEM_H
#define KB_VSOCK_GUESTMEM_H

#include <stdint.h>
#include <stddef.h>

#include "../err.h"
#include "vu_msg.h"

struct kb_gm_region {
    uint64_t gpa, size, uaddr;
    uint8_t *map;     /* owned mapping of map_len bytes */
    size_t map_len;
    uint8_t *base;    /* map + mmap_offset: guest byte at gpa */
};

struct kb_guestmem {
    unsigned n;
    struct kb_gm_region r[KB_VU_MAX_REGIONS];
};

/* An empty table. */
void kb_gm_init(struct kb_guestmem *gm);
/* Unmap every region. */
void kb_gm_fini(struct kb_guestmem *gm);
/* Map the regions of t from fds[i] (not taken: the caller closes them) and
 * replace the current table; on error the current table is kept. */
int kb_gm_set(struct kb_guestmem *gm, const struct kb_vu_mem_table *t, const int *fds,
              kb_err *err);
/* Our pointer for guest-physical [gpa, gpa+len), or NULL. */
void *kb_gm_gpa(const struct kb_guestmem *gm, uint64_t gpa, uint64_t len);
/* Our pointer for front-end virtual [uva, uva+len), or NULL. */
void *kb_gm_uva(const struct kb_guestmem *gm, uint64_t uva, uint64_t len);

#endif
