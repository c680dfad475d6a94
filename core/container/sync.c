/* The sync channel between the caller and the container's processes: one
 * fixed-size message per SOCK_SEQPACKET packet, so that a message is never
 * seen in part and the end of every peer is seen as EOF. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

static const char *const names[] = { "?", "pid", "setup", "ready", "go", "error", "usermap", "mapped", "console" };

const char *kb_sync_name(uint32_t type)
{
    return type < sizeof names / sizeof names[0] ? names[type] : "?";
}

static int send_msg(int fd, const struct kb_sync_msg *m, int pass_fd)
{
    char ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = (void *)m, .iov_len = sizeof *m };
    struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (pass_fd >= 0) {
        struct cmsghdr *c;
        memset(ctl, 0, sizeof ctl);
        h.msg_control = ctl;
        h.msg_controllen = sizeof ctl;
        c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    for (;;) {
        /* a peer that is gone is an error here, not a SIGPIPE */
        ssize_t n = sendmsg(fd, &h, MSG_NOSIGNAL);
        if (n == (ssize_t)sizeof *m)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n >= 0)
            errno = EPROTO;
        return -1;
    }
}

int kb_sync_send(int fd, uint32_t type, pid_t pid, const kb_err *e)
{
    struct kb_sync_msg m;

    memset(&m, 0, sizeof m);
    m.type = type;
    m.pid = pid;
    if (e) {
        m.errnum = e->errnum;
        memcpy(m.msg, e->msg, sizeof m.msg);
        m.msg[sizeof m.msg - 1] = '\0';
    }
    return send_msg(fd, &m, -1);
}

int kb_sync_send_fd(int fd, uint32_t type, int pass_fd)
{
    struct kb_sync_msg m;

    memset(&m, 0, sizeof m);
    m.type = type;
    return send_msg(fd, &m, pass_fd);
}

int kb_sync_recv_fd(int fd, struct kb_sync_msg *m, int *passed)
{
    char ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
    struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    int got = -1;

    if (passed)
        *passed = -1;
    for (;;) {
        ssize_t n = recvmsg(fd, &h, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR)
            continue;
        for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&h) : NULL; c; c = CMSG_NXTHDR(&h, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(&got, CMSG_DATA(c), sizeof got);
        if (n <= 0)
            return (int)n;
        /* an fd nobody asked for, or a cut one, is garbage: never kept */
        if ((size_t)n != sizeof *m || m->type < KB_SYNC_PID || m->type > KB_SYNC_CONSOLE ||
            (h.msg_flags & MSG_CTRUNC) || (got >= 0 && !passed)) {
            if (got >= 0)
                close(got);
            errno = EPROTO;
            return -1;
        }
        m->msg[sizeof m->msg - 1] = '\0';
        if (passed)
            *passed = got;
        return 1;
    }
}

int kb_sync_recv(int fd, struct kb_sync_msg *m)
{
    return kb_sync_recv_fd(fd, m, NULL);
}
