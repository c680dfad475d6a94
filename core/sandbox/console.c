/* --console-socket, as runc does it, for a process whose terminal is in
 * the guest: a host pty stands for it. Its master goes to the socket
 * (SCM_RIGHTS, the pty's name as payload); the caller keeps the slave, raw
 * (the guest's pty does the line discipline), as its controlling terminal,
 * so a resize of the master reaches it as SIGWINCH. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "../util.h"

int kb_console_socket_pty(const char *socket_path, int *slave, kb_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char name[64], cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
    struct iovec iov;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                         .msg_controllen = sizeof cbuf };
    struct cmsghdr *cm;
    struct termios t;
    _cleanup_close_ int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    _cleanup_close_ int s = -1, sock = -1;

    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0)
        return kb_error_errno(err, "--console-socket: allocate a pty");
    s = open(name, O_RDWR | O_CLOEXEC);
    if (s < 0)
        return kb_error_errno(err, "--console-socket: open %s", name);
    if (tcgetattr(s, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(s, TCSANOW, &t);
    }
    ioctl(s, TIOCSCTTY, 0);
    if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s", socket_path) >= sizeof sa.sun_path)
        return kb_error(err, ENAMETOOLONG, "--console-socket %s", socket_path);
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || connect(sock, (struct sockaddr *)&sa, sizeof sa) < 0)
        return kb_error_errno(err, "--console-socket: connect to %s", socket_path);
    iov = (struct iovec){ name, strlen(name) };
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &m, sizeof(int));
    if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
        return kb_error_errno(err, "--console-socket: send the pty to %s", socket_path);
    *slave = kb_steal_fd(&s);
    return 0;
}

