/* vhost-user message framing, back-end side: QEMU (the front-end) sends a
 * 12-byte header, a payload and maybe fds; we answer the GET_* requests
 * and, when asked, acknowledge. Wire layouts are decoded here into plain
 * structs so nothing above this file touches the raw payload. */
#ifndef KB_VSOCK_VU_MSG_H
#define KB_VSOCK_VU_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../err.h"

enum kb_vu_req {
    KB_VU_GET_FEATURES = 1,
    KB_VU_SET_FEATURES = 2,
    KB_VU_SET_OWNER = 3,
    KB_VU_RESET_OWNER = 4,
    KB_VU_SET_MEM_TABLE = 5,
    KB_VU_SET_LOG_BASE = 6,
    KB_VU_SET_LOG_FD = 7,
    KB_VU_SET_VRING_NUM = 8,
    KB_VU_SET_VRING_ADDR = 9,
    KB_VU_SET_VRING_BASE = 10,
    KB_VU_GET_VRING_BASE = 11,
    KB_VU_SET_VRING_KICK = 12,
    KB_VU_SET_VRING_CALL = 13,
    KB_VU_SET_VRING_ERR = 14,
    KB_VU_GET_PROTOCOL_FEATURES = 15,
    KB_VU_SET_PROTOCOL_FEATURES = 16,
    KB_VU_GET_QUEUE_NUM = 17,
    KB_VU_SET_VRING_ENABLE = 18,
    KB_VU_SET_SLAVE_REQ_FD = 21,
    KB_VU_GET_CONFIG = 24,
    KB_VU_SET_CONFIG = 25,
    KB_VU_GET_INFLIGHT_FD = 31,
    KB_VU_SET_INFLIGHT_FD = 32,
    KB_VU_RESET_DEVICE = 34,
    KB_VU_GET_MAX_MEM_SLOTS = 36,
    KB_VU_ADD_MEM_REG = 37,
    KB_VU_REM_MEM_REG = 38,
    KB_VU_SET_STATUS = 39,
    KB_VU_GET_STATUS = 40,
};

#define KB_VU_HDR_SIZE 12
#define KB_VU_VERSION 0x1u
#define KB_VU_FLAG_REPLY 0x4u
#define KB_VU_FLAG_NEED_REPLY 0x8u
/* QEMU attaches at most 8 fds (one per memory region) */
#define KB_VU_MAX_FDS 8
/* Larger than anything QEMU 7.2 sends a vsock device (a config message is
 * 12 + 256), small enough to live on the stack; longer messages are
 * refused, not skipped, because their meaning is unknown. */
#define KB_VU_MAX_PAYLOAD 512
#define KB_VU_MAX_REGIONS 8
#define KB_VU_MAX_CONFIG 256
/* SET_VRING_KICK/CALL/ERR: low byte = ring index, bit 8 = no fd attached */
#define KB_VU_VRING_IDX_MASK 0xffu
#define KB_VU_VRING_NOFD 0x100u

/* virtio and protocol feature bits this back-end cares about */
#define KB_VU_F_PROTOCOL_FEATURES 30
#define KB_VU_PROTO_F_MQ 0
#define KB_VU_PROTO_F_REPLY_ACK 3
#define KB_VU_PROTO_F_CONFIG 9

struct kb_vu_msg {
    uint32_t request, flags, size;
    _Alignas(8) uint8_t payload[KB_VU_MAX_PAYLOAD];
    int fds[KB_VU_MAX_FDS]; /* owned until taken; -1 when empty */
    unsigned nfds;
};

struct kb_vu_state { uint32_t index, num; };

struct kb_vu_addr {
    uint32_t index, flags;
    uint64_t desc, used, avail, log; /* front-end virtual addresses */
};

struct kb_vu_region { uint64_t gpa, size, uaddr, mmap_offset; };

struct kb_vu_mem_table {
    unsigned n;
    struct kb_vu_region r[KB_VU_MAX_REGIONS];
};

struct kb_vu_config {
    uint32_t offset, size, flags;
    uint8_t data[KB_VU_MAX_CONFIG];
};

/* A vring fd message: which ring, and the fd (-1 with NOFD). */
struct kb_vu_vring_fd { uint32_t index; bool nofd; };

/* Reset m to an empty message that owns no fds. */
void kb_vu_msg_init(struct kb_vu_msg *m);
/* Close every fd the message still owns. */
void kb_vu_msg_fini(struct kb_vu_msg *m);
/* Take ownership of fds[i] out of the message (-1 if none). */
int kb_vu_msg_take_fd(struct kb_vu_msg *m, unsigned i);
/* Read one message from a blocking or non-blocking socket; 1 = message,
 * 0 = orderly EOF before a header, <0 = error (the connection is unusable). */
int kb_vu_recv(int sock, struct kb_vu_msg *m, kb_err *err);
/* Check the header and the fd count against what request expects; closes
 * fds it did not expect. */
int kb_vu_msg_check(struct kb_vu_msg *m, kb_err *err);
/* Whether the front-end asked for an ack (NEED_REPLY). */
bool kb_vu_msg_need_reply(const struct kb_vu_msg *m);
/* Whether request always gets a reply (GET_*), whatever the flags say. */
bool kb_vu_req_has_reply(uint32_t request);
/* Name of a request for messages, "?" when unknown. */
const char *kb_vu_req_name(uint32_t request);

/* Payload decoders: each checks the exact size first. */
int kb_vu_get_u64(const struct kb_vu_msg *m, uint64_t *v, kb_err *err);
int kb_vu_get_state(const struct kb_vu_msg *m, struct kb_vu_state *s, kb_err *err);
int kb_vu_get_addr(const struct kb_vu_msg *m, struct kb_vu_addr *a, kb_err *err);
int kb_vu_get_mem_table(const struct kb_vu_msg *m, struct kb_vu_mem_table *t, kb_err *err);
int kb_vu_get_config(const struct kb_vu_msg *m, struct kb_vu_config *c, kb_err *err);
int kb_vu_get_vring_fd(const struct kb_vu_msg *m, struct kb_vu_vring_fd *v, kb_err *err);

/* Send a reply (flags exactly VERSION|REPLY) carrying size payload bytes. */
int kb_vu_reply(int sock, uint32_t request, const void *payload, uint32_t size, kb_err *err);
/* Reply with one u64 (GET_FEATURES..., and REPLY_ACK acks: 0 = success). */
int kb_vu_reply_u64(int sock, uint32_t request, uint64_t v, kb_err *err);
/* Reply with a vring state (GET_VRING_BASE). */
int kb_vu_reply_state(int sock, uint32_t request, const struct kb_vu_state *s, kb_err *err);
/* Reply with a config message (GET_CONFIG). */
int kb_vu_reply_config(int sock, const struct kb_vu_config *c, kb_err *err);
/* Encode a request as QEMU would (tests and fuzzing drive us with this). */
int kb_vu_send(int sock, uint32_t request, uint32_t flags, const void *payload, uint32_t size,
               const int *fds, unsigned nfds, kb_err *err);

#endif
