#include "client.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util.h"

int kb_agent_open(struct kb_agent *a, int fd, struct kb_vm *vm, kb_err *err)
{
    memset(a, 0, sizeof *a);
    a->vm = vm;
    a->abort_fd = -1;
    a->next_id = 1;
    return kb_conn_init(&a->conn, fd, err);
}

void kb_agent_close(struct kb_agent *a)
{
    kb_conn_fini(&a->conn);
    kb_msg_hello_free(&a->peer);
}

static uint32_t new_id(struct kb_agent *a)
{
    uint32_t id = a->next_id++;

    if (a->next_id == 0)
        a->next_id = 1;
    return id;
}

int kb_agent_send(struct kb_agent *a, uint16_t type, const struct kb_msg *req, uint32_t *id,
                  kb_err *err)
{
    struct kb_frame_hdr h = { .id = new_id(a), .type = type };
    struct kb_buf b = { 0 };
    int r = kb_msg_encode(&b, &h, req, err);

    if (r == 0)
        r = kb_conn_send(&a->conn, &b, err);
    kb_buf_free(&b);
    if (r < 0)
        return kb_error_wrap(err, "send %s to the agent", kb_msg_type_name(type));
    if (id)
        *id = h.id;
    return 0;
}

int kb_agent_send_raw(struct kb_agent *a, const struct kb_buf *frames, kb_err *err)
{
    return kb_conn_send(&a->conn, frames, err);
}

static int answer(struct kb_agent *a, const struct kb_frame_hdr *h, const uint8_t *p, size_t len,
                  kb_err *err)
{
    struct kb_msg m;

    if (h->type != a->want_type)
        return kb_error(err, EPROTO, "agent answered %s request %u with a %s",
                        kb_msg_type_name(a->want_type), h->id, kb_msg_type_name(h->type));
    if (kb_msg_decode(h, p, len, &m, err) < 0)
        return kb_error_wrap(err, "agent's answer to %s", kb_msg_type_name(h->type));
    a->answered = 1;
    if (m.kind == KB_KIND_ERROR) {
        a->failed = 1;
        kb_error(&a->call_err, (int)m.u.error.errnum, "%s", m.u.error.message);
        kb_msg_free(&m);
    } else if (a->resp) {
        *a->resp = m;
    } else {
        kb_msg_free(&m);
    }
    return 0;
}

static int on_frame(void *ctx, const struct kb_frame_hdr *h, const uint8_t *p, size_t len,
                    kb_err *err)
{
    struct kb_agent *a = ctx;

    if (a->want_id && !a->answered && h->id == a->want_id && (h->flags & KB_FLAG_RESPONSE))
        return answer(a, h, p, len, err);
    if (h->type == KB_MSG_ERROR && h->id == 0) {
        struct kb_msg_error e;
        if (kb_msg_error_decode(p, len, &e, err) < 0)
            return -1;
        kb_error(err, (int)e.errnum, "the agent closed the connection: %s", e.message);
        kb_msg_error_free(&e);
        return -1;
    }
    if (!a->on_frame)
        return kb_error(err, EPROTO, "unexpected %s frame (id %u) from the agent",
                        kb_msg_type_name(h->type), h->id);
    return a->on_frame(a->ctx, h, p, len, err);
}

int kb_agent_pollfds(const struct kb_agent *a, struct pollfd *p)
{
    int n = 0;

    p[n++] = (struct pollfd){ a->conn.fd, (short)(POLLIN | (kb_conn_pending(&a->conn) ? POLLOUT : 0)), 0 };
    if (a->vm)
        n += kb_vm_pollfds(a->vm, p + n);
    return n;
}

/* The connection failed: if QEMU is dead or dying, that is the news. */
static int vm_gone(struct kb_agent *a, kb_err *err)
{
    if (!a->vm)
        return -1;
    kb_vm_settle(a->vm, 1000);
    if (!kb_vm_running(a->vm)) {
        if (WIFSIGNALED(a->vm->status))
            kb_error_wrap(err, "QEMU was killed by signal %d", WTERMSIG(a->vm->status));
        else
            kb_error_wrap(err, "QEMU exited with status %d", WEXITSTATUS(a->vm->status));
    }
    kb_vm_explain(a->vm, err);
    return -1;
}

static int gone(struct kb_agent *a, kb_err *err, const char *what)
{
    kb_error(err, EPIPE, "%s", what);
    return vm_gone(a, err);
}

int kb_agent_service(struct kb_agent *a, const struct pollfd *p, int n, kb_err *err)
{
    if (p[0].revents & POLLOUT && kb_conn_flush(&a->conn, err) < 0)
        return vm_gone(a, err);
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (kb_conn_receive(&a->conn, on_frame, a, err) < 0)
            return a->conn.eof || err->errnum == ECONNRESET ? vm_gone(a, err) : -1;
        if (a->conn.eof)
            return gone(a, err, "the agent closed its connection");
    }
    if (a->vm && n > 1) {
        kb_vm_service(a->vm, p + 1, n - 1);
        if (!kb_vm_running(a->vm))
            return gone(a, err, "QEMU exited");
    }
    return 0;
}

/* A user's signal while we wait (say, Ctrl-C during a slow boot) ends the
 * wait: the container does not exist yet, so there is no one to forward it to. */
int kb_agent_call(struct kb_agent *a, uint16_t type, const struct kb_msg *req, struct kb_msg *resp,
                  unsigned timeout_ms, kb_err *err)
{
    uint64_t deadline = kb_now_ns() + (uint64_t)timeout_ms * 1000000u;
    int r = 0;

    if (resp)
        memset(resp, 0, sizeof *resp);
    if (kb_agent_send(a, type, req, &a->want_id, err) < 0)
        return -1;
    a->want_type = type;
    a->answered = a->failed = 0;
    a->resp = resp;
    while (!a->answered) {
        struct pollfd p[5];
        int np = kb_agent_pollfds(a, p), ia = -1;
        uint64_t now = kb_now_ns();

        if (now >= deadline) {
            r = kb_error(err, ETIMEDOUT, "the agent did not answer %s within %u ms",
                         kb_msg_type_name(type), timeout_ms);
            if (a->vm)
                kb_vm_explain(a->vm, err);
            break;
        }
        if (a->abort_fd >= 0)
            p[ia = np] = (struct pollfd){ a->abort_fd, POLLIN, 0 };
        if (poll(p, (nfds_t)(np + (ia >= 0)), (int)((deadline - now) / 1000000) + 1) < 0) {
            if (errno == EINTR)
                continue;
            r = kb_error_errno(err, "poll");
            break;
        }
        if (ia >= 0 && p[ia].revents && kb_stop_signal(a->abort_fd, err)) {
            r = -1;
            break;
        }
        if ((r = kb_agent_service(a, p, np, err)) < 0)
            break;
    }
    a->want_id = 0;
    a->resp = NULL;
    if (r < 0)
        return kb_error_wrap(err, "%s", kb_msg_type_name(type));
    if (a->failed) {
        *err = a->call_err;
        return kb_error_wrap(err, "agent: %s", kb_msg_type_name(type));
    }
    return 0;
}

int kb_agent_shutdown(struct kb_agent *a, unsigned timeout_ms, kb_err *err)
{
    struct kb_msg req = { .kind = KB_KIND_EMPTY };

    if (kb_agent_call(a, KB_MSG_SHUTDOWN, &req, NULL, timeout_ms, err) < 0 &&
        !(a->vm && a->vm->exited && WIFEXITED(a->vm->status) && WEXITSTATUS(a->vm->status) == 0 &&
          !a->vm->saw_panic))
        return -1;
    return a->vm ? kb_vm_wait_exit(a->vm, timeout_ms, err) : 0;
}

int kb_agent_hello(struct kb_agent *a, const char *our_version, unsigned timeout_ms, kb_err *err)
{
    struct kb_msg req = { .kind = KB_KIND_HELLO }, resp;

    kb_msg_hello_self(&req.u.hello, our_version);
    if (kb_agent_call(a, KB_MSG_HELLO, &req, &resp, timeout_ms, err) < 0) {
        if (err->errnum == ETIMEDOUT) {
            kb_error(err, ETIMEDOUT, "the guest was not ready within %u ms", timeout_ms);
            if (a->vm)
                kb_vm_explain(a->vm, err);
            return -1;
        }
        return kb_error_wrap(err, "the guest never got ready");
    }
    a->peer = resp.u.hello;
    if (kb_proto_check_hello(&a->peer, err) < 0)
        return -1;
    if (strcmp(a->peer.katabox_version, our_version) != 0)
        return kb_error(err, EPROTO, "the guest agent is katabox %s but this binary is %s: "
                                     "rebuild the initramfs", a->peer.katabox_version, our_version);
    return 0;
}
