/* The host's side of the agent protocol: one connection to one guest
 * agent. Requests get ids and are answered by id; while a caller waits for
 * an answer, QEMU's console and stderr keep being drained (so the guest
 * never stalls on a full console) and QEMU's death ends the wait with what
 * it said. Frames that are not the awaited answer (stream data, EXIT
 * events, answers to requests nobody waits on) go to on_frame. Everything
 * the guest sends is decoded as hostile input. */
#ifndef KB_AGENT_CLIENT_H
#define KB_AGENT_CLIENT_H

#include <poll.h>
#include <stdint.h>

#include "../err.h"
#include "../hypervisor/vm.h"
#include "../proto/conn.h"
#include "../proto/msg.h"

typedef int (*kb_agent_frame_fn)(void *ctx, const struct kb_frame_hdr *h, const uint8_t *payload,
                                 size_t len, kb_err *err);

struct kb_agent {
    struct kb_conn conn;
    struct kb_vm *vm;            /* serviced while waiting; may be NULL */
    kb_agent_frame_fn on_frame;  /* NULL: unexpected frames are an error */
    int abort_fd;                /* a signalfd: a signal on it ends a wait (EINTR); -1: none */
    void *ctx;
    uint32_t next_id;
    struct kb_msg_hello peer;    /* the agent's HELLO once kb_agent_hello succeeded */
    /* the call in flight */
    uint32_t want_id;
    uint16_t want_type;
    int answered, failed;
    struct kb_msg *resp;
    kb_err call_err;
};

/* Take ownership of the connected fd; vm may be NULL. */
int kb_agent_open(struct kb_agent *a, int fd, struct kb_vm *vm, kb_err *err);
/* Close the connection. */
void kb_agent_close(struct kb_agent *a);
/* Exchange HELLOs and check that the guest speaks our protocol and version. */
int kb_agent_hello(struct kb_agent *a, const char *our_version, unsigned timeout_ms, kb_err *err);
/* Send request `type` and wait for its answer; an error answer becomes err
 * (errnum from the guest). resp (may be NULL) is freed with kb_msg_free. */
int kb_agent_call(struct kb_agent *a, uint16_t type, const struct kb_msg *req, struct kb_msg *resp,
                  unsigned timeout_ms, kb_err *err);
/* Ask the agent to power the VM off, then wait for QEMU to exit. Over
 * vsock the answer can be lost with the VM (still in the rings when the
 * guest resets): QEMU's clean exit without a panic then counts as done. */
int kb_agent_shutdown(struct kb_agent *a, unsigned timeout_ms, kb_err *err);
/* Send a request without waiting; its answer goes to on_frame. */
int kb_agent_send(struct kb_agent *a, uint16_t type, const struct kb_msg *req, uint32_t *id,
                  kb_err *err);
/* Send a stream frame (STDIO or CREDIT) already encoded. */
int kb_agent_send_raw(struct kb_agent *a, const struct kb_buf *frames, kb_err *err);
/* Fill up to 3 pollfds for the connection and the VM; returns how many. */
int kb_agent_pollfds(const struct kb_agent *a, struct pollfd *p);
/* Service the pollfds kb_agent_pollfds filled; <0 when the connection or
 * QEMU is gone (err says why, with the guest's last console lines). */
int kb_agent_service(struct kb_agent *a, const struct pollfd *p, int n, kb_err *err);

#endif
