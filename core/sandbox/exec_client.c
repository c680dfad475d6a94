/* The exec command's side of the keeper's exec protocol (exec.c has the
 * keeper's): "exec LEN\n" with the process's stdin, stdout and stderr as
 * SCM_RIGHTS, an EXEC frame of LEN bytes, then "ok PID" or "error MSG";
 * while the process runs, "kill SIG" and "resize ROWS COLS" go up and
 * "exit STATUS" comes down at the end. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../tty.h"
#include "../util.h"
#include "keeper.h"

/* a line from the keeper: "ok PID", "error MESSAGE", "exit STATUS" */
static int read_answer(int fd, char *line, size_t max, kb_err *err)
{
    size_t n = 0;

    while (n < max - 1) {
        ssize_t got = read(fd, line + n, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    if (!n)
        return kb_error(err, EPIPE, "the container's keeper is gone");
    return 0;
}

int kb_keeper_attach(const char *dir, const char *verb, const void *body, size_t len, const int fds[3], int *conn,
                     char *rest, size_t rest_len, kb_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = 70 };
    char head[32], line[1200], cbuf[CMSG_SPACE(3 * sizeof(int))] = { 0 };
    struct iovec iov;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                         .msg_controllen = sizeof cbuf };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    int n;
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return kb_error_errno(err, "control socket");
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/" KB_CTL_SOCKET, dir);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return kb_error(err, ESRCH, "the sandbox has stopped");
    n = snprintf(head, sizeof head, "%s %zu\n", verb, len);
    /* the fds ride on the first byte; the rest of the line follows */
    iov = (struct iovec){ head, 1 };
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, 3 * sizeof(int));
    if (sendmsg(fd, &mh, MSG_NOSIGNAL) != 1 || kb_write_all(fd, head + 1, (size_t)n - 1) < 0 ||
        kb_write_all(fd, body, len) < 0)
        return kb_error_errno(err, "talk to the container's keeper");
    /* CREATE and EXEC may take a while in an emulated guest; never forever */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (read_answer(fd, line, sizeof line, err) < 0)
        return -1;
    tv.tv_sec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (strncmp(line, "error ", 6) == 0)
        return kb_error(err, 0, "%s", line + 6);
    if (strcmp(line, "ok") != 0 && strncmp(line, "ok ", 3) != 0)
        return kb_error(err, EPROTO, "the container's keeper answered '%s'", line);
    snprintf(rest, rest_len, "%s", line[2] ? line + 3 : "");
    *conn = kb_steal_fd(&fd);
    return 0;
}

int kb_keeper_exec(const char *dir, const struct kb_msg_exec *x, const int fds[3], int *conn, uint32_t *pid,
                   kb_err *err)
{
    struct kb_buf b = { 0 };
    char rest[32], *end;
    unsigned long v;
    int r;

    if (kb_msg_exec_encode(&b, 1, x, err) < 0)
        return -1;
    r = kb_keeper_attach(dir, "exec", b.data, b.len, fds, conn, rest, sizeof rest, err);
    kb_buf_free(&b);
    if (r < 0) {
        if (err->errnum == ESRCH)
            kb_error(err, 0, "cannot exec in a stopped container");
        return -1;
    }
    v = strtoul(rest, &end, 10);
    if (*end || end == rest || v > UINT32_MAX) {
        kb_closep(conn);
        return kb_error(err, EPROTO, "the container's keeper answered 'ok %s'", rest);
    }
    if (pid)
        *pid = (uint32_t)v;
    return 0;
}

static int send_line(int conn, const char *fmt, unsigned a, unsigned b)
{
    char line[64];
    int n = snprintf(line, sizeof line, fmt, a, b);

    return send(conn, line, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
}

int kb_keeper_exec_wait(int conn, int sigfd, int tty, int *status, kb_err *err)
{
    char line[64];
    size_t n = 0;
    unsigned rows, cols;

    if (tty >= 0 && kb_tty_size(tty, &rows, &cols) == 0)
        (void)send_line(conn, "resize %u %u\n", rows, cols);
    for (;;) {
        struct pollfd p[2] = { { conn, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
        struct signalfd_siginfo si;

        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return kb_error_errno(err, "poll");
        }
        while (p[1].revents && read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
            int sig = (int)si.ssi_signo;
            if (sig == SIGCHLD || sig == SIGPIPE || sig == SIGURG)
                continue;
            if (sig == SIGWINCH) {
                if (tty >= 0 && kb_tty_size(tty, &rows, &cols) == 0)
                    (void)send_line(conn, "resize %u %u\n", rows, cols);
                continue;
            }
            (void)send_line(conn, "kill %u\n", (unsigned)sig, 0);
        }
        if (p[0].revents) {
            ssize_t got = read(conn, line + n, 1);
            if (got <= 0 && !(got < 0 && errno == EINTR))
                return kb_error(err, EPIPE, "the container's keeper went away before the process "
                                            "exited");
            if (got == 1 && line[n] == '\n') {
                char *end;
                line[n] = '\0';
                n = 0;
                if (strncmp(line, "exit ", 5) == 0) {
                    long v = strtol(line + 5, &end, 10);
                    if (!*end && v >= 0 && v <= 255) {
                        *status = (int)v;
                        return 0;
                    }
                }
                return kb_error(err, EPROTO, "the container's keeper said '%s'", line);
            }
            if (got == 1 && n < sizeof line - 1)
                n++;
        }
    }
}
