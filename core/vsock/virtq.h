/* One split virtqueue seen from the device: rings in guest memory (through
 * guestmem), chains popped into bounded segment lists, completions pushed
 * to the used ring, notifications both ways through eventfds. The guest
 * writes these rings concurrently and may be hostile: every index and
 * descriptor is copied once, then checked. */
#ifndef KB_VSOCK_VIRTQ_H
#define KB_VSOCK_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err.h"
#include "guestmem.h"

#define KB_VQ_MAX_SIZE 32768
/* Segments per chain we keep. vsock chains have 1-3 (up to ~18 with split
 * tx payloads); longer chains are refused, loops included. */
#define KB_VQ_MAX_SEGS 64

#define KB_VRING_DESC_F_NEXT 1
#define KB_VRING_DESC_F_WRITE 2
#define KB_VRING_DESC_F_INDIRECT 4
#define KB_VRING_AVAIL_F_NO_INTERRUPT 1
#define KB_VRING_USED_F_NO_NOTIFY 1
#define KB_VIRTIO_F_INDIRECT_DESC 28
#define KB_VIRTIO_F_EVENT_IDX 29
#define KB_VIRTIO_F_VERSION_1 32

struct kb_vq_seg { uint8_t *p; uint32_t len; };

/* A popped chain: readable segments first, then writable ones. */
struct kb_vq_elem {
    uint16_t head;
    unsigned nout, nin;              /* readable, writable segment counts */
    uint64_t out_len, in_len;        /* their total bytes */
    struct kb_vq_seg seg[KB_VQ_MAX_SEGS]; /* out [0,nout), in [nout,nout+nin) */
};

struct kb_vq {
    uint32_t num;                    /* 0 until SET_VRING_NUM */
    uint64_t desc_ua, avail_ua, used_ua;
    bool addr_set;
    uint8_t *desc, *avail, *used;    /* translated; NULL when unmapped */
    uint16_t last_avail, used_idx, signalled_used;
    bool signalled_valid;
    bool event_idx, indirect;        /* negotiated features */
    bool enabled, broken;
    int kick_fd, call_fd, err_fd;    /* owned, -1 when none */
};

/* A queue with nothing set. */
void kb_vq_init(struct kb_vq *vq);
/* Close the fds and forget the rings (the memory belongs to guestmem). */
void kb_vq_fini(struct kb_vq *vq);
/* Queue size: a power of 2 in 1..32768. */
int kb_vq_set_num(struct kb_vq *vq, uint32_t num, kb_err *err);
/* Record the front-end addresses of the three rings and translate them. */
int kb_vq_set_addr(struct kb_vq *vq, const struct kb_guestmem *gm, uint64_t desc, uint64_t avail,
                   uint64_t used, kb_err *err);
/* Translate the rings again after a new memory table; the used index is
 * taken from the guest's used->idx, as on a fresh SET_VRING_ADDR. */
int kb_vq_map(struct kb_vq *vq, const struct kb_guestmem *gm, kb_err *err);
/* Drop the ring pointers (memory about to be replaced or the ring stopped). */
void kb_vq_unmap(struct kb_vq *vq);
/* Set the features that change ring handling (bit numbers as above). */
void kb_vq_set_features(struct kb_vq *vq, uint64_t features);
/* Replace one of the owned fds (kick, call or err), closing the old one. */
void kb_vq_replace_fd(int *slot, int fd);
/* Whether the ring is mapped, enabled and not broken. */
bool kb_vq_ready(const struct kb_vq *vq);
/* Number of chains the guest has made available (0 on a broken ring). */
unsigned kb_vq_avail_count(struct kb_vq *vq);
/* Pop the next chain: 1 = elem filled, 0 = none. <0: if vq->broken the ring
 * is unusable; otherwise elem->head was malformed, is consumed, and should
 * be pushed back with length 0. */
int kb_vq_pop(struct kb_vq *vq, const struct kb_guestmem *gm, struct kb_vq_elem *elem,
              kb_err *err);
/* Give back the chain popped last, untouched, for a later pop. */
void kb_vq_unpop(struct kb_vq *vq);
/* Return a chain to the guest with len bytes written into it. */
void kb_vq_push(struct kb_vq *vq, uint16_t head, uint32_t len);
/* Whether the guest wants an interrupt for what was pushed since the last
 * signal (EVENT_IDX or the avail flags). */
bool kb_vq_should_signal(struct kb_vq *vq);
/* Signal the guest through the call fd if it wants it; <0 on a write error. */
int kb_vq_notify(struct kb_vq *vq, kb_err *err);
/* Ask for kicks (true) or not; when asking, returns whether buffers arrived
 * meanwhile so the caller does not sleep on them. */
bool kb_vq_set_notification(struct kb_vq *vq, bool enable);
/* Consume a kick from the kick fd (non-blocking, harmless when none). */
void kb_vq_drain_kick(struct kb_vq *vq);
/* Copy out of an element's readable bytes at off; returns bytes copied. */
size_t kb_vq_elem_read(const struct kb_vq_elem *e, uint64_t off, void *dst, size_t len);
/* Copy into an element's writable bytes at off; returns bytes copied. */
size_t kb_vq_elem_write(const struct kb_vq_elem *e, uint64_t off, const void *src, size_t len);

#endif
