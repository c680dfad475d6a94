#include "virtq.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

/* ring sizes including the event fields: Linux always allocates them, and
 * QEMU may negotiate EVENT_IDX after the addresses are known */
static uint64_t desc_size(uint32_t n) { return 16ull * n; }
static uint64_t avail_size(uint32_t n) { return 6ull + 2ull * n; }
static uint64_t used_size(uint32_t n) { return 6ull + 8ull * n; }

static uint16_t ld16(const uint8_t *p)
{
    return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED));
}

static void st16(uint8_t *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)(void *)p, htole16(v), __ATOMIC_RELAXED);
}

void kb_vq_init(struct kb_vq *vq)
{
    memset(vq, 0, sizeof(*vq));
    vq->kick_fd = vq->call_fd = vq->err_fd = -1;
}

void kb_vq_fini(struct kb_vq *vq)
{
    kb_vq_replace_fd(&vq->kick_fd, -1);
    kb_vq_replace_fd(&vq->call_fd, -1);
    kb_vq_replace_fd(&vq->err_fd, -1);
    kb_vq_init(vq);
}

void kb_vq_replace_fd(int *slot, int fd)
{
    if (*slot >= 0 && *slot != fd)
        close(*slot);
    *slot = fd;
}

int kb_vq_set_num(struct kb_vq *vq, uint32_t num, kb_err *err)
{
    if (num == 0 || num > KB_VQ_MAX_SIZE || (num & (num - 1)))
        return kb_error(err, EINVAL, "virtqueue size %u is not a power of 2 <= %u", num,
                        KB_VQ_MAX_SIZE);
    vq->num = num;
    kb_vq_unmap(vq); /* the ring sizes changed: translate again */
    return 0;
}

void kb_vq_unmap(struct kb_vq *vq)
{
    vq->desc = vq->avail = vq->used = NULL;
}

void kb_vq_set_features(struct kb_vq *vq, uint64_t features)
{
    vq->event_idx = (features >> KB_VIRTIO_F_EVENT_IDX) & 1;
    vq->indirect = (features >> KB_VIRTIO_F_INDIRECT_DESC) & 1;
    vq->signalled_valid = false;
}

int kb_vq_map(struct kb_vq *vq, const struct kb_guestmem *gm, kb_err *err)
{
    kb_vq_unmap(vq);
    if (!vq->addr_set || !vq->num)
        return kb_error(err, EINVAL, "virtqueue has no size or addresses yet");
    uint8_t *d = kb_gm_uva(gm, vq->desc_ua, desc_size(vq->num));
    uint8_t *a = kb_gm_uva(gm, vq->avail_ua, avail_size(vq->num));
    uint8_t *u = kb_gm_uva(gm, vq->used_ua, used_size(vq->num));
    if (!d || !a || !u)
        return kb_error(err, EFAULT, "virtqueue %s ring is outside guest memory",
                        !d ? "descriptor" : !a ? "avail" : "used");
    if (((uintptr_t)d & 15) || ((uintptr_t)a & 1) || ((uintptr_t)u & 3))
        return kb_error(err, EINVAL, "virtqueue rings are misaligned");
    vq->desc = d;
    vq->avail = a;
    vq->used = u;
    vq->used_idx = ld16(u + 2);
    vq->signalled_valid = false;
    vq->broken = false;
    return 0;
}

int kb_vq_set_addr(struct kb_vq *vq, const struct kb_guestmem *gm, uint64_t desc, uint64_t avail,
                   uint64_t used, kb_err *err)
{
    vq->desc_ua = desc;
    vq->avail_ua = avail;
    vq->used_ua = used;
    vq->addr_set = true;
    return kb_vq_map(vq, gm, err);
}

bool kb_vq_ready(const struct kb_vq *vq)
{
    return vq->desc && vq->enabled && !vq->broken;
}

static uint16_t avail_idx_acquire(const struct kb_vq *vq)
{
    /* acquire: ring[] and descriptors are read only after the index */
    return le16toh(__atomic_load_n((const uint16_t *)(const void *)(vq->avail + 2),
                                   __ATOMIC_ACQUIRE));
}

unsigned kb_vq_avail_count(struct kb_vq *vq)
{
    if (!vq->desc || vq->broken)
        return 0;
    uint16_t n = (uint16_t)(avail_idx_acquire(vq) - vq->last_avail);
    if (n > vq->num) {
        vq->broken = true;
        return 0;
    }
    return n;
}

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };

static void read_desc(const uint8_t *table, uint32_t i, struct desc *d)
{
    uint8_t raw[16];

    /* one copy: the guest may rewrite the descriptor while we check it */
    memcpy(raw, table + 16ull * i, sizeof(raw));
    memcpy(&d->addr, raw, 8);
    memcpy(&d->len, raw + 8, 4);
    memcpy(&d->flags, raw + 12, 2);
    memcpy(&d->next, raw + 14, 2);
    d->addr = le64toh(d->addr);
    d->len = le32toh(d->len);
    d->flags = le16toh(d->flags);
    d->next = le16toh(d->next);
}

static int walk_chain(const struct kb_vq *vq, const struct kb_guestmem *gm,
                      struct kb_vq_elem *e, kb_err *err)
{
    const uint8_t *table = vq->desc;
    uint32_t tnum = vq->num, idx = e->head, budget = vq->num, seen = 0;
    bool in_indirect = false;
    struct desc d;

    for (;;) {
        if (budget-- == 0)
            return kb_error(err, ELOOP, "chain %u is longer than its table (a loop?)", e->head);
        read_desc(table, idx, &d);
        seen++;
        if (d.flags & KB_VRING_DESC_F_INDIRECT) {
            if (!vq->indirect)
                return kb_error(err, EPROTO, "chain %u: indirect descriptor not negotiated",
                                e->head);
            if (in_indirect || seen != 1 || (d.flags & KB_VRING_DESC_F_NEXT))
                return kb_error(err, EPROTO, "chain %u: indirect descriptor not alone at the head",
                                e->head);
            if (d.len == 0 || d.len % 16 || d.len / 16 > KB_VQ_MAX_SIZE)
                return kb_error(err, EPROTO, "chain %u: indirect table of %u bytes", e->head,
                                d.len);
            table = kb_gm_gpa(gm, d.addr, d.len);
            if (!table)
                return kb_error(err, EFAULT, "chain %u: indirect table outside guest memory",
                                e->head);
            tnum = budget = d.len / 16;
            idx = 0;
            in_indirect = true;
            continue;
        }
        if (d.len) {
            if (e->nout + e->nin >= KB_VQ_MAX_SEGS)
                return kb_error(err, E2BIG, "chain %u has more than %d segments", e->head,
                                KB_VQ_MAX_SEGS);
            uint8_t *p = kb_gm_gpa(gm, d.addr, d.len);
            if (!p)
                return kb_error(err, EFAULT, "chain %u: buffer 0x%llx+%u outside guest memory",
                                e->head, (unsigned long long)d.addr, d.len);
            struct kb_vq_seg *s = &e->seg[e->nout + e->nin];
            s->p = p;
            s->len = d.len;
            if (d.flags & KB_VRING_DESC_F_WRITE) {
                e->nin++;
                e->in_len += d.len;
            } else {
                if (e->nin)
                    return kb_error(err, EPROTO, "chain %u: readable buffer after a writable one",
                                    e->head);
                e->nout++;
                e->out_len += d.len;
            }
        }
        if (!(d.flags & KB_VRING_DESC_F_NEXT))
            return 0;
        idx = d.next;
        if (idx >= tnum)
            return kb_error(err, EPROTO, "chain %u: next %u beyond table of %u", e->head, idx,
                            tnum);
    }
}

int kb_vq_pop(struct kb_vq *vq, const struct kb_guestmem *gm, struct kb_vq_elem *elem,
              kb_err *err)
{
    if (!vq->desc || vq->broken) {
        vq->broken = true;
        return kb_error(err, EIO, "virtqueue is not usable");
    }
    uint16_t avail = avail_idx_acquire(vq);
    uint16_t n = (uint16_t)(avail - vq->last_avail);
    if (n == 0)
        return 0;
    if (n > vq->num) {
        vq->broken = true;
        return kb_error(err, EPROTO, "avail index jumped by %u on a queue of %u", n, vq->num);
    }
    uint16_t head = ld16(vq->avail + 4 + 2u * (vq->last_avail % vq->num));
    vq->last_avail++;
    if (vq->event_idx)
        st16(vq->used + 4 + 8u * vq->num, vq->last_avail);
    elem->head = head;
    elem->nout = elem->nin = 0;
    elem->out_len = elem->in_len = 0;
    if (head >= vq->num)
        return kb_error(err, EPROTO, "head %u beyond queue of %u", head, vq->num);
    if (walk_chain(vq, gm, elem, err) < 0) {
        elem->nout = elem->nin = 0;
        elem->out_len = elem->in_len = 0;
        return -1;
    }
    return 1;
}

void kb_vq_unpop(struct kb_vq *vq)
{
    vq->last_avail--;
}

void kb_vq_push(struct kb_vq *vq, uint16_t head, uint32_t len)
{
    if (!vq->used)
        return;
    uint8_t *slot = vq->used + 4 + 8u * (vq->used_idx % vq->num);
    uint32_t id = htole32(head), l = htole32(len);
    memcpy(slot, &id, 4);
    memcpy(slot + 4, &l, 4);
    vq->used_idx++;
    /* release: the element is visible before the index that publishes it */
    __atomic_store_n((uint16_t *)(void *)(vq->used + 2), htole16(vq->used_idx),
                     __ATOMIC_RELEASE);
}

bool kb_vq_should_signal(struct kb_vq *vq)
{
    if (!vq->used)
        return false;
    /* store (used->idx) then load (flags / used_event): needs a full fence */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!vq->event_idx)
        return !(ld16(vq->avail) & KB_VRING_AVAIL_F_NO_INTERRUPT);
    uint16_t old = vq->signalled_used, nw = vq->used_idx;
    bool valid = vq->signalled_valid;
    vq->signalled_used = nw;
    vq->signalled_valid = true;
    if (!valid)
        return true;
    uint16_t ev = ld16(vq->avail + 4 + 2u * vq->num);
    return (uint16_t)(nw - ev - 1) < (uint16_t)(nw - old);
}

int kb_vq_notify(struct kb_vq *vq, kb_err *err)
{
    uint64_t one = 1;

    if (!kb_vq_should_signal(vq) || vq->call_fd < 0)
        return 0;
    if (write(vq->call_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return kb_error_errno(err, "signal the guest");
    return 0;
}

bool kb_vq_set_notification(struct kb_vq *vq, bool enable)
{
    if (!vq->used || vq->broken)
        return false;
    if (vq->event_idx) {
        if (enable)
            st16(vq->used + 4 + 8u * vq->num, vq->last_avail);
    } else {
        st16(vq->used, enable ? 0 : KB_VRING_USED_F_NO_NOTIFY);
    }
    if (!enable)
        return false;
    /* publish the request, then look again: a buffer added before the
     * guest saw it would otherwise never be kicked */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return avail_idx_acquire(vq) != vq->last_avail;
}

void kb_vq_drain_kick(struct kb_vq *vq)
{
    uint64_t v;

    if (vq->kick_fd >= 0)
        while (read(vq->kick_fd, &v, sizeof(v)) < 0 && errno == EINTR)
            ;
}

/* Copy between buf and the element's segments [first, first + count)
 * from byte off of them: to the guest (its writable part) or from it. */
static size_t copy_segs(const struct kb_vq_elem *e, unsigned first, unsigned count, uint64_t off,
                        uint8_t *buf, size_t len, int to_guest)
{
    size_t done = 0;

    for (unsigned i = first; i < first + count && done < len; i++) {
        const struct kb_vq_seg *s = &e->seg[i];
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        size_t n = s->len - off;
        if (n > len - done)
            n = len - done;
        if (to_guest)
            memcpy(s->p + off, buf + done, n);
        else
            memcpy(buf + done, s->p + off, n);
        done += n;
        off = 0;
    }
    return done;
}

size_t kb_vq_elem_read(const struct kb_vq_elem *e, uint64_t off, void *dst, size_t len)
{
    return copy_segs(e, 0, e->nout, off, dst, len, 0);
}

size_t kb_vq_elem_write(const struct kb_vq_elem *e, uint64_t off, const void *src, size_t len)
{
    return copy_segs(e, e->nout, e->nin, off, (uint8_t *)src, len, 1);
}
