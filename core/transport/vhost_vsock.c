/* The agent over the host kernel's vsock (vhost_vsock module): QEMU gets
 * an fd of /dev/vhost-vsock whose guest CID we already set, so two
 * sandboxes never race for a CID (the kernel refuses one in use with
 * EADDRINUSE, and we take the next). The host end is a plain AF_VSOCK
 * socket to (CID, 1024). These build machines have no /dev/vhost-vsock:
 * the CID choice and the command line are unit-tested, the rest is not. */
#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util.h"
#include "transport.h"

#define FIRST_GUEST_CID 3u

uint32_t kb_vhost_vsock_pick_cid(int (*set_cid)(void *ctx, uint32_t cid), void *ctx,
                                 uint32_t start, unsigned tries, kb_err *err)
{
    uint32_t cid = start < FIRST_GUEST_CID || start == UINT32_MAX ? FIRST_GUEST_CID : start;

    for (unsigned i = 0; i < tries; i++) {
        int e = set_cid(ctx, cid);
        if (e == 0)
            return cid;
        if (e != EADDRINUSE)
            return kb_error(err, e, "vhost-vsock: set guest CID %u", cid), 0;
        /* U32_MAX is VMADDR_CID_ANY: never a guest's */
        cid = cid >= UINT32_MAX - 1 ? FIRST_GUEST_CID : cid + 1;
    }
    return kb_error(err, EADDRINUSE, "vhost-vsock: no free guest CID after %u tries", tries), 0;
}

static int ioctl_set_cid(void *ctx, uint32_t cid)
{
    uint64_t v = cid;

    return ioctl(*(int *)ctx, VHOST_VSOCK_SET_GUEST_CID, &v) < 0 ? errno : 0;
}

static int configure(struct kb_channel *ch, struct kb_vm_config *cfg, const char *state_dir,
                     kb_err *err)
{
    uint32_t start;
    int fd;

    (void)state_dir;
    fd = open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return kb_error_errno(err, "open /dev/vhost-vsock");
    /* above 2, so QEMU's stdio (dup'ed onto 0-2) cannot land on it */
    ch->vhost_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    if (ch->vhost_fd < 0)
        return kb_error_errno(err, "dup /dev/vhost-vsock");
    /* a random start spreads concurrent sandboxes apart */
    if (getrandom(&start, sizeof start, GRND_NONBLOCK) != (ssize_t)sizeof start)
        start = (uint32_t)getpid() * 2654435761u;
    ch->cid = kb_vhost_vsock_pick_cid(ioctl_set_cid, &ch->vhost_fd, start, 64, err);
    if (!ch->cid)
        return -1;
    cfg->vsock_cid = ch->cid;
    cfg->vsock_fd = ch->vhost_fd;
    return 0;
}

/* One attempt: 1 connected, 0 nobody listens yet, <0 failure. */
static int attempt(struct kb_channel *ch, struct kb_vm *vm, uint64_t deadline, int abort_fd,
                   int *out, kb_err *err)
{
    struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = ch->cid,
                              .svm_port = KB_AGENT_VSOCK_PORT };
    socklen_t sl = sizeof(int);
    int e = 0, r;
    _cleanup_close_ int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd < 0)
        return kb_error_errno(err, "vsock socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (errno == ECONNRESET || errno == ECONNREFUSED)
            return 0;
        if (errno != EINPROGRESS)
            return kb_error_errno(err, "connect to vsock %u:%u", ch->cid, KB_AGENT_VSOCK_PORT);
        r = kb_transport_wait(vm, fd, POLLOUT, deadline, abort_fd, err);
        if (r <= 0)
            return r < 0 ? -1 : kb_error(err, ETIMEDOUT, "timed out");
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
            return kb_error_errno(err, "vsock connect");
        if (e == ECONNRESET || e == ECONNREFUSED || e == ETIMEDOUT)
            return 0;
        if (e)
            return kb_error(err, e, "connect to vsock %u:%u", ch->cid, KB_AGENT_VSOCK_PORT);
    }
    *out = kb_steal_fd(&fd);
    return 1;
}

static int connect_agent(struct kb_channel *ch, struct kb_vm *vm, const struct kb_connect_opts *o,
                         kb_err *err)
{
    char where[48];

    snprintf(where, sizeof where, "vsock %u:%u", ch->cid, KB_AGENT_VSOCK_PORT);
    return kb_transport_retry(ch, vm, o, attempt, where, err);
}

static void release(struct kb_channel *ch)
{
    kb_closep(&ch->vhost_fd);
    ch->cid = 0;
}

const struct kb_transport kb_transport_vhost_vsock = {
    .name = "vhost-vsock",
    .configure = configure,
    .connect = connect_agent,
    .release = release,
};
