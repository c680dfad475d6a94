/* A --console-socket receiver for the tests (what conmon does): listen on
 * SOCKET, take one pty master over SCM_RIGHTS, optionally set its size,
 * then copy master -> stdout and stdin -> master until the master hangs up.
 *   recvtty SOCKET [ROWS COLS] */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int take_master(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char name[128], cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { name, sizeof name - 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                         .msg_controllen = sizeof cbuf };
    struct cmsghdr *cm;
    int l, c, fd = -1;

    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 1) < 0) {
        perror("recvtty: listen");
        return -1;
    }
    /* the caller waits for the socket file before starting the runtime */
    c = accept(l, NULL, NULL);
    if (c < 0 || recvmsg(c, &mh, 0) < 0) {
        perror("recvtty: receive");
        return -1;
    }
    cm = CMSG_FIRSTHDR(&mh);
    if (cm && cm->cmsg_type == SCM_RIGHTS)
        memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    close(c);
    close(l);
    return fd;
}

int main(int argc, char **argv)
{
    char buf[4096];
    int m, in_open = 1;

    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: recvtty SOCKET [ROWS COLS]\n");
        return 2;
    }
    m = take_master(argv[1]);
    if (m < 0) {
        fprintf(stderr, "recvtty: no pty received\n");
        return 1;
    }
    if (argc == 4) {
        struct winsize ws = { .ws_row = (unsigned short)atoi(argv[2]),
                              .ws_col = (unsigned short)atoi(argv[3]) };
        ioctl(m, TIOCSWINSZ, &ws);
    }
    for (;;) {
        struct pollfd p[2] = { { m, POLLIN, 0 }, { 0, POLLIN, 0 } };
        ssize_t n;
        if (poll(p, in_open ? 2 : 1, -1) < 0 && errno != EINTR)
            return 1;
        if (p[0].revents) {
            n = read(m, buf, sizeof buf);
            if (n <= 0)
                return 0; /* EIO: the other side closed its slave */
            if (write(1, buf, (size_t)n) != n)
                return 1;
        }
        if (in_open && p[1].revents) {
            n = read(0, buf, sizeof buf);
            if (n <= 0)
                in_open = 0;
            else if (write(m, buf, (size_t)n) != n)
                return 1;
        }
    }
}
