/* A process's stdio as containerd's runc shim opens it (facts:
 * ../shared/reference/containerd-shim-v2.md, 5.2): containerd's fifos, a
 * plain file, file:///path (stdout and stderr appended to one file) or
 * binary:///path?k=v (a logger fed by pipes on its fds 3 and 4). The fds go
 * to the keeper, which relays them to the guest; the shim keeps only a
 * writer on the stdin fifo (so the copy does not see EOF before the client
 * wrote anything) and the logger's pid. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../core/util.h"
#include "task.h"

#define LOGGER_MAX_ARGS 32
/* containerd's runc shim waits this long for a logger after SIGTERM */
#define LOGGER_KILL_AFTER_NS (12ull * 1000000000u)

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* percent-decoding in place ('+' is a space in a query); -1 on a bad escape or a NUL */
static int unescape(char *s, int query)
{
    char *o = s;

    for (; *s; s++) {
        if (*s == '%') {
            int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
            if (lo < 0 || (hi == 0 && lo == 0))
                return -1;
            *o++ = (char)(hi << 4 | lo);
            s += 2;
        } else {
            *o++ = query && *s == '+' ? ' ' : *s;
        }
    }
    *o = '\0';
    return 0;
}

/* file:///abs/path: the parents made, the file appended to */
static int open_file_uri(const char *uri, int *fd, kb_err *err)
{
    _cleanup_free_ char *path = strdup(uri + strlen("file://"));

    if (!path)
        return kb_error(err, ENOMEM, "%s", uri);
    if (unescape(path, 0) < 0 || path[0] != '/')
        return kb_error(err, EINVAL, "%s: not an absolute file URI", uri);
    for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return kb_error_errno(err, "%s: mkdir %s", uri, path);
        *s = '/';
    }
    *fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return kb_error_errno(err, "%s: open %s", uri, path);
    return 0;
}

/* binary:///abs/bin?k=v: the logger reads stdout on fd 3, stderr on fd 4, and says it is ready by writing to or
 * closing fd 5; fds[1], fds[2] get the pipes' write ends. */
static int start_logger(const struct shim_flags *f, const char *id, const char *uri, int fds[3],
                        struct shim_stdio *io, kb_err *err)
{
    _cleanup_free_ char *copy = strdup(uri + strlen("binary://"));
    char *argv[LOGGER_MAX_ARGS + 2], *q, *save = NULL, *kv, *env[4];
    char idenv[320], nsenv[320];
    int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, ready[2] = { -1, -1 }, n = 1, slot = -1;
    char byte;
    pid_t pid;

    if (!copy)
        return kb_error(err, ENOMEM, "%s", uri);
    if ((q = strchr(copy, '?')))
        *q++ = '\0';
    if (unescape(copy, 0) < 0 || copy[0] != '/')
        return kb_error(err, EINVAL, "%s: not an absolute binary URI", uri);
    argv[0] = copy;
    for (kv = q ? strtok_r(q, "&", &save) : NULL; kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (eq)
            *eq++ = '\0';
        if (n + 2 > LOGGER_MAX_ARGS)
            return kb_error(err, E2BIG, "%s: more than %d arguments", uri, LOGGER_MAX_ARGS);
        if (unescape(kv, 1) < 0 || (eq && unescape(eq, 1) < 0))
            return kb_error(err, EINVAL, "%s: a bad escape in the query", uri);
        argv[n++] = kv;
        if (eq)
            argv[n++] = eq;
    }
    argv[n] = NULL;
    snprintf(idenv, sizeof idenv, "CONTAINER_ID=%s", id);
    snprintf(nsenv, sizeof nsenv, "CONTAINER_NAMESPACE=%s", f->namespace);
    env[0] = idenv;
    env[1] = nsenv;
    env[2] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    env[3] = NULL;
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
        kb_error_errno(err, "%s: pipe", uri);
        goto fail;
    }
    /* remembered until reaped: a pid is signalled only while it is surely ours */
    for (int i = 0; f->loggers && i < SHIM_MAX_LOGGERS && slot < 0; i++)
        if (!f->loggers->pid[i])
            slot = i;
    if (slot < 0) {
        kb_error(err, EMFILE, "%s: this shim runs %d loggers already", uri, SHIM_MAX_LOGGERS);
        goto fail;
    }
    pid = fork();
    if (pid < 0) {
        kb_error_errno(err, "%s: fork", uri);
        goto fail;
    }
    if (pid == 0) {
        /* moved out of the way first: any of them may sit on 0-5 */
        int a = fcntl(out[0], F_DUPFD, 100), b = fcntl(errp[0], F_DUPFD, 100);
        int c = fcntl(ready[1], F_DUPFD, 100), null = open("/dev/null", O_RDWR);
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* 3, 4, 5 as containerd's runc shim gives them; nothing else of ours */
        if (a < 0 || b < 0 || c < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
            dup2(null, 2) < 0 || dup2(a, 3) < 0 || dup2(b, 4) < 0 || dup2(c, 5) < 0)
            _exit(127);
        syscall(SYS_close_range, 6u, ~0u, 0u);
        execve(argv[0], argv, env);
        _exit(127);
    }
    f->loggers->pid[slot] = pid;
    f->loggers->kill_at[slot] = 0;
    close(out[0]);
    close(errp[0]);
    close(ready[1]);
    /* ready: a byte or EOF (it exited, or closed fd 5) */
    while (read(ready[0], &byte, 1) < 0 && errno == EINTR)
        ;
    close(ready[0]);
    io->logger = pid;
    io->loggers = f->loggers;
    fds[1] = out[1];
    fds[2] = errp[1];
    return 0;

fail:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (errp[i] >= 0)
            close(errp[i]);
        if (ready[i] >= 0)
            close(ready[i]);
    }
    return -1;
}

/* stdout or stderr at path: a fifo read and written by us (opens never block, writes never EPIPE), or a
 * plain file appended to */
static int open_output(const char *path, int *fd, kb_err *err)
{
    struct stat st;

    if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode))
        *fd = open(path, O_RDWR | O_CLOEXEC);
    else
        *fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return kb_error_errno(err, "open %s", path);
    return 0;
}

static int open_stdin(const char *path, int *fd, struct shim_stdio *io, kb_err *err)
{
    struct stat st;

    *fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (*fd < 0)
        return kb_error_errno(err, "open %s", path);
    if (fstat(*fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
        /* a reader exists now: this open does not block */
        io->stdin_keep = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (io->stdin_keep < 0)
            return kb_error_errno(err, "open %s for writing", path);
    }
    fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) & ~O_NONBLOCK);
    return 0;
}

static int is_uri(const char *p, const char *scheme)
{
    return strncmp(p, scheme, strlen(scheme)) == 0;
}

int shim_stdio_open(const struct shim_flags *f, const char *id, struct shim_proc *p, int fds[3], kb_err *err)
{
    const char *in = p->stdin_path ? p->stdin_path : "", *out = p->stdout_path ? p->stdout_path : "";
    const char *errpath = p->stderr_path ? p->stderr_path : "";
    int r = 0;

    fds[0] = fds[1] = fds[2] = -1;
    p->io = (struct shim_stdio){ .stdin_keep = -1 };
    if (strstr(out, "://") && strcmp(out, errpath) != 0 && errpath[0])
        r = kb_error(err, EINVAL, "stdout %s and stderr %s: a URI names both", out, errpath);
    else if (strstr(out, "://") && !is_uri(out, "file://") && !is_uri(out, "binary://"))
        r = kb_error(err, EINVAL, "%s: unknown STDIO scheme", out);
    else if (in[0])
        r = open_stdin(in, &fds[0], &p->io, err);
    if (r == 0 && is_uri(out, "file://")) {
        r = open_file_uri(out, &fds[1], err);
        if (r == 0 && (fds[2] = fcntl(fds[1], F_DUPFD_CLOEXEC, 3)) < 0)
            r = kb_error_errno(err, "dup");
    } else if (r == 0 && is_uri(out, "binary://")) {
        r = start_logger(f, id, out, fds, &p->io, err);
    } else if (r == 0) {
        if (out[0])
            r = open_output(out, &fds[1], err);
        if (r == 0 && errpath[0] && !p->terminal)
            r = open_output(errpath, &fds[2], err);
    }
    /* what is not used reads EOF or discards */
    for (int i = 0; i < 3 && r == 0; i++)
        if (fds[i] < 0 && (fds[i] = open("/dev/null", (i ? O_WRONLY : O_RDONLY) | O_CLOEXEC)) < 0)
            r = kb_error_errno(err, "open /dev/null");
    if (r < 0) {
        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        shim_stdio_release(&p->io);
    }
    return r;
}

void shim_stdio_close_stdin(struct shim_stdio *io)
{
    if (io->stdin_keep >= 0)
        close(io->stdin_keep);
    io->stdin_keep = -1;
}

void shim_stdio_release(struct shim_stdio *io)
{
    struct shim_loggers *l = io->loggers;

    shim_stdio_close_stdin(io);
    /* it ends by itself once the keeper closed the pipes; SIGTERM as containerd's shim sends, SIGKILL
     * if it is still there 12 s later. Not in the table: it ended and was reaped already */
    for (int i = 0; l && io->logger > 0 && i < SHIM_MAX_LOGGERS; i++)
        if (l->pid[i] == io->logger && !l->kill_at[i]) {
            kill(io->logger, SIGTERM);
            l->kill_at[i] = kb_now_ns() + LOGGER_KILL_AFTER_NS;
        }
    io->logger = 0;
}

int shim_loggers_service(struct shim_loggers *l)
{
    uint64_t now = kb_now_ns(), next = UINT64_MAX;

    for (int i = 0; i < SHIM_MAX_LOGGERS; i++) {
        if (!l->pid[i] || !l->kill_at[i] || l->kill_at[i] == UINT64_MAX)
            continue;
        if (l->kill_at[i] <= now) {
            /* still our unreaped child: the pid cannot be someone else's */
            kill(l->pid[i], SIGKILL);
            l->kill_at[i] = UINT64_MAX;
        } else if (l->kill_at[i] < next) {
            next = l->kill_at[i];
        }
    }
    return next == UINT64_MAX ? -1 : (int)((next - now) / 1000000 + 1);
}

void shim_loggers_reaped(struct shim_loggers *l, pid_t pid)
{
    for (int i = 0; i < SHIM_MAX_LOGGERS; i++)
        if (l->pid[i] == pid)
            l->pid[i] = 0;
}

int shim_loggers_left(const struct shim_loggers *l)
{
    for (int i = 0; i < SHIM_MAX_LOGGERS; i++)
        if (l->pid[i])
            return 1;
    return 0;
}
