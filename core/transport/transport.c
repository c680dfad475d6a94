#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util.h"

/* Between attempts while nothing listens on the agent's port yet. */
#define RETRY_MS 10

static const struct kb_transport *const transports[] = {
    &kb_transport_vhost_vsock,
    &kb_transport_hybrid_vsock,
    &kb_transport_virtio_serial,
};

const struct kb_transport *kb_transport_find(const char *name)
{
    for (size_t i = 0; i < KB_ARRAY_SIZE(transports); i++)
        if (strcmp(transports[i]->name, name) == 0)
            return transports[i];
    return NULL;
}

const struct kb_transport *kb_transport_choose(const char *name, char *why, size_t whylen,
                                               kb_err *err)
{
    char dummy[8];
    const struct kb_transport *t;
    int fd;

    if (!why) {
        why = dummy;
        whylen = sizeof dummy;
    }
    if (name && *name && strcmp(name, "auto") != 0) {
        t = kb_transport_find(name);
        if (!t)
            kb_error(err, EINVAL, "unknown agent transport '%s' (auto, vhost-vsock, hybrid-vsock "
                                  "or virtio-serial)", name);
        else
            snprintf(why, whylen, "chosen by configuration");
        return t;
    }
    /* usable means: we may open it, not merely that it exists */
    fd = open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        snprintf(why, whylen, "/dev/vhost-vsock is usable");
        return &kb_transport_vhost_vsock;
    }
    snprintf(why, whylen, "/dev/vhost-vsock: %s", strerror(errno));
    return &kb_transport_hybrid_vsock;
}

void kb_channel_init(struct kb_channel *ch, const struct kb_transport *t)
{
    memset(ch, 0, sizeof *ch);
    ch->t = t;
    ch->vsock.stop_fd = -1;
    ch->vhost_fd = -1;
}

void kb_channel_release(struct kb_channel *ch)
{
    if (ch->t && ch->t->release)
        ch->t->release(ch);
}

int kb_transport_wait(struct kb_vm *vm, int fd, short events, uint64_t deadline_ns, int abort_fd,
                      kb_err *err)
{
    for (;;) {
        struct pollfd p[4] = { { fd, events, 0 } };
        int nvm = kb_vm_pollfds(vm, p + 1), n = 1 + nvm, ia = -1;
        uint64_t now = kb_now_ns();

        if (now >= deadline_ns)
            return 0;
        if (abort_fd >= 0)
            p[ia = n++] = (struct pollfd){ abort_fd, POLLIN, 0 };
        if (poll(p, (nfds_t)n, (int)((deadline_ns - now) / 1000000) + 1) < 0) {
            if (errno == EINTR)
                continue;
            return kb_error_errno(err, "poll");
        }
        if (ia >= 0 && p[ia].revents && kb_stop_signal(abort_fd, err))
            return -1;
        kb_vm_service(vm, p + 1, nvm);
        if (!kb_vm_running(vm)) {
            kb_vm_settle(vm, 1000);
            if (WIFSIGNALED(vm->status))
                kb_error(err, ECHILD, "QEMU was killed by signal %d", WTERMSIG(vm->status));
            else
                kb_error(err, ECHILD, "QEMU exited with status %d", WEXITSTATUS(vm->status));
            kb_vm_explain(vm, err);
            return -1;
        }
        if (p[0].revents)
            return 1;
    }
}

int kb_transport_retry(struct kb_channel *ch, struct kb_vm *vm, const struct kb_connect_opts *o,
                       kb_transport_attempt_fn attempt, const char *where, kb_err *err)
{
    uint64_t deadline = kb_now_ns() + (uint64_t)o->timeout_ms * 1000000u;
    int fd = -1, r;

    for (;;) {
        r = attempt(ch, vm, deadline, o->abort_fd, &fd, err);
        if (r > 0)
            return fd;
        if (r < 0 && err->errnum != ETIMEDOUT)
            break;
        if (r < 0 || kb_now_ns() >= deadline) {
            kb_error(err, ETIMEDOUT, "the guest was not ready within %u ms (its agent never "
                                     "accepted on %s)", o->timeout_ms, where);
            kb_vm_explain(vm, err);
            return -1;
        }
        /* a pause that still notices QEMU dying and drains its console */
        if (kb_transport_wait(vm, -1, 0, kb_now_ns() + RETRY_MS * 1000000ull, o->abort_fd, err) < 0)
            break;
    }
    /* the same words as a failed HELLO: the boot is what failed */
    return err->errnum == EINTR ? -1 : kb_error_wrap(err, "the guest never got ready");
}
