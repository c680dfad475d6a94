/* The sync channel between the caller and the container's processes: one
 * fixed-size message per SOCK_SEQPACKET packet, so that a message is never
 * seen in part and the end of every peer is seen as EOF. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

static const char *const names[] = { "?", "pid", "setup", "ready", "go", "error", "usermap", "mapped" };

const char *kb_sync_name(uint32_t type)
{
    return type < sizeof names / sizeof names[0] ? names[type] : "?";
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
    for (;;) {
        /* a peer that is gone is an error here, not a SIGPIPE */
        ssize_t n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
        if (n == (ssize_t)sizeof m)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n >= 0)
            errno = EPROTO;
        return -1;
    }
}

int kb_sync_recv(int fd, struct kb_sync_msg *m)
{
    for (;;) {
        ssize_t n = recv(fd, m, sizeof *m, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return (int)n;
        if ((size_t)n != sizeof *m || m->type < KB_SYNC_PID || m->type > KB_SYNC_MAPPED) {
            errno = EPROTO;
            return -1;
        }
        m->msg[sizeof m->msg - 1] = '\0';
        return 1;
    }
}
