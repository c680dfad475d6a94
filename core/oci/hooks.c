/* OCI hooks: parsed with the spec, run one by one with the state JSON on
 * stdin. A hook is a program of whoever wrote the config (the host's admin
 * or engine): it gets exactly its args and env and no fd of ours; its
 * stdout and stderr go into its error, as runc keeps them; it is killed,
 * with its process group, when its timeout passes. */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "../json.h"
#include "../util.h"
#include "spec.h"

#define KB_HOOKS_MAX 256 /* of one kind */

static const char *const kind_names[KB_HOOK_KINDS] = {
    [KB_HOOK_PRESTART] = "prestart",           [KB_HOOK_CREATE_RUNTIME] = "createRuntime",
    [KB_HOOK_CREATE_CONTAINER] = "createContainer", [KB_HOOK_START_CONTAINER] = "startContainer",
    [KB_HOOK_POSTSTART] = "poststart",         [KB_HOOK_POSTSTOP] = "poststop",
};

const char *kb_hook_kind_name(enum kb_hook_kind kind)
{
    return (unsigned)kind < KB_HOOK_KINDS ? kind_names[kind] : "?";
}

static int parse_one(yajl_val e, const char *field, struct kb_hook *h, kb_err *err)
{
    char path[96];
    int64_t timeout = 0;
    yajl_val t;

    if (!YAJL_IS_OBJECT(e))
        return kb_error(err, EINVAL, "%s: expected an object", field);
    snprintf(path, sizeof path, "%s.path", field);
    if (kb_json_string(kb_json_member(e, "path"), path, 1, &h->path, err) < 0)
        return -1;
    if (h->path[0] != '/')
        return kb_error(err, EINVAL, "%s: '%s' is not an absolute path", path, h->path);
    snprintf(path, sizeof path, "%s.args", field);
    if (kb_json_strings(kb_json_member(e, "args"), path, 0, KB_SPEC_MAX_LIST, &h->args, NULL, err) < 0)
        return -1;
    snprintf(path, sizeof path, "%s.env", field);
    if (kb_json_strings(kb_json_member(e, "env"), path, 0, KB_SPEC_MAX_LIST, &h->env, NULL, err) < 0)
        return -1;
    t = kb_json_member(e, "timeout");
    if (t && !YAJL_IS_NULL(t)) {
        snprintf(path, sizeof path, "%s.timeout", field);
        if (kb_json_i64(t, path, 1, &timeout, err) < 0)
            return -1;
        /* runc's rule */
        if (timeout <= 0 || timeout > 86400)
            return kb_error(err, EINVAL, "%s: %lld: a timeout must be positive (seconds, at most a day)",
                            path, (long long)timeout);
        h->timeout = (unsigned)timeout;
    }
    return 0;
}

int kb_hooks_parse(yajl_val v, struct kb_hooks **out, kb_err *err)
{
    struct kb_hooks *h;

    *out = NULL;
    if (!v || YAJL_IS_NULL(v))
        return 0;
    if (!YAJL_IS_OBJECT(v))
        return kb_error(err, EINVAL, "hooks: expected an object");
    h = calloc(1, sizeof *h);
    if (!h)
        return kb_error(err, ENOMEM, "hooks");
    *out = h;
    /* kinds this runtime does not know are ignored, as runc does */
    for (int k = 0; k < KB_HOOK_KINDS; k++) {
        yajl_val list = kb_json_member(v, kind_names[k]);
        char field[64];
        size_t n;

        snprintf(field, sizeof field, "hooks.%s", kind_names[k]);
        if (kb_json_array_alloc(list, field, KB_HOOKS_MAX, sizeof *h->list[k], (void **)&h->list[k], &n,
                                err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            h->n[k] = i + 1;
            snprintf(field, sizeof field, "hooks.%s[%zu]", kind_names[k], i);
            if (parse_one(list->u.array.values[i], field, &h->list[k][i], err) < 0)
                return -1;
        }
    }
    return 0;
}

void kb_hooks_free(struct kb_hooks *h)
{
    if (!h)
        return;
    for (int k = 0; k < KB_HOOK_KINDS; k++) {
        for (size_t i = 0; i < h->n[k]; i++) {
            free(h->list[k][i].path);
            kb_strv_free(h->list[k][i].args);
            kb_strv_free(h->list[k][i].env);
        }
        free(h->list[k]);
    }
    free(h);
}

/* --- running
 *
 * The caller stays in one loop until the hook is reaped: it feeds the state
 * to the hook's stdin (non-blocking, so a hook that never reads a large
 * state cannot stall the timeout), keeps the start of its stdout and stderr
 * for the error (as runc does; inherited, they would land in the container's
 * own stdio, which the create command holds), and waits on a pidfd, or naps
 * briefly where pidfd_open is missing. It waits for the hook's pid only: the
 * caller may be the PID 1 of the container, whose other children it must
 * not reap. No signal handler and no global state: SIGPIPE is blocked for
 * this thread while the state is written. */

#define HOOK_OUTPUT_KEPT 256 /* bytes of each of a hook's stdout and stderr kept for its error */

struct capture {
    int fd;                 /* read end, -1 at EOF */
    size_t len, total;      /* kept, and seen */
    char buf[HOOK_OUTPUT_KEPT];
};

struct hook_io {
    int in;                 /* write end of the hook's stdin, -1 once written or refused */
    const char *data;
    size_t len, off;
    struct capture out, err;
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* In the child: in, out, err become 0, 1, 2 whatever the caller had there
 * (they may be 0..2 themselves when the caller's stdio was closed). */
static void __attribute__((noreturn)) hook_child(const struct kb_hook *h, int in, int out, int err)
{
    static char *const no_env[] = { NULL };
    char *const *argv = h->args && h->args[0] ? h->args : (char *const[]){ h->path, NULL };
    int fds[3] = { in, out, err };
    sigset_t none;

    for (int i = 0; i < 3; i++)
        if ((fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
            _exit(127);
    for (int i = 0; i < 3; i++)
        if (dup2(fds[i], i) < 0)
            _exit(127);
    /* a group of its own: a timeout ends what it started too */
    setpgid(0, 0);
    /* nothing of the caller's but the three, and default signals */
    if (syscall(SYS_close_range, 3, ~0u, 0) < 0)
        for (int fd = 3; fd < 4096; fd++)
            close(fd);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    execve(h->path, argv, h->env ? h->env : no_env);
    dprintf(2, "exec %s: %s", h->path, strerror(errno));
    _exit(127);
}

static uint64_t now_ms(void)
{
    return kb_now_ns() / 1000000;
}

static void feed(struct hook_io *io)
{
    while (io->in >= 0 && io->off < io->len) {
        ssize_t n = write(io->in, io->data + io->off, io->len - io->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) /* EPIPE: a hook that does not read its stdin is not a failure */
            break;
        io->off += (size_t)n;
    }
    close_fd(&io->in); /* all written: EOF */
}

static void drain(struct capture *c)
{
    char chunk[4096];

    while (c->fd >= 0) {
        ssize_t n = read(c->fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close_fd(&c->fd);
            return;
        }
        if (c->len < sizeof c->buf) {
            size_t take = (size_t)n < sizeof c->buf - c->len ? (size_t)n : sizeof c->buf - c->len;
            memcpy(c->buf + c->len, chunk, take);
            c->len += take;
        }
        c->total += (size_t)n;
    }
}

/* Wait for pid, serving io, killing it (and its group) when timeout_s
 * (0: none) passes; *killed says so. */
static int wait_hook(pid_t pid, unsigned timeout_s, struct hook_io *io, int *status, int *killed)
{
    uint64_t deadline = timeout_s ? now_ms() + (uint64_t)timeout_s * 1000 : 0;
    _cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

    *killed = 0;
    for (;;) {
        struct pollfd p[4];
        nfds_t n = 0;
        int wait_ms = pidfd >= 0 ? -1 : 20; /* without a pidfd (old kernel): short naps */
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid)
            break;
        if (r < 0 && errno != EINTR)
            return -1;
        if (deadline) {
            uint64_t now = now_ms();
            if (now >= deadline) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                *killed = 1;
                close_fd(&io->in);
                while ((r = waitpid(pid, status, 0)) < 0 && errno == EINTR)
                    ;
                if (r < 0)
                    return -1;
                break;
            }
            if (wait_ms < 0 || deadline - now < (uint64_t)wait_ms)
                wait_ms = (int)(deadline - now);
        }
        if (pidfd >= 0)
            p[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
        if (io->in >= 0)
            p[n++] = (struct pollfd){ .fd = io->in, .events = POLLOUT };
        if (io->out.fd >= 0)
            p[n++] = (struct pollfd){ .fd = io->out.fd, .events = POLLIN };
        if (io->err.fd >= 0)
            p[n++] = (struct pollfd){ .fd = io->err.fd, .events = POLLIN };
        if (poll(p, n, wait_ms) < 0 && errno != EINTR)
            return -1;
        feed(io);
        drain(&io->out);
        drain(&io->err);
    }
    /* what it wrote before it went (a child of it may hold the pipes on: no waiting for EOF) */
    drain(&io->out);
    drain(&io->err);
    return 0;
}

/* ", stderr: TEXT" with the kept output on one line */
static void append_output(char *msg, size_t size, const char *name, const struct capture *c)
{
    size_t at = strlen(msg), len = c->len;

    while (len && (unsigned char)c->buf[len - 1] <= ' ')
        len--;
    if (!len || at + 16 >= size)
        return;
    at += (size_t)snprintf(msg + at, size - at, ", %s: ", name);
    for (size_t i = 0; i < len && at + 4 < size; i++)
        msg[at++] = (unsigned char)c->buf[i] < ' ' ? ' ' : c->buf[i];
    if (c->total > c->len && at + 4 < size)
        at += (size_t)snprintf(msg + at, size - at, "...");
    msg[at] = '\0';
}

/* A pipe with the caller's end (in mine) non-blocking; both close-on-exec. */
static int hook_pipe(int fds[2], int mine)
{
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    fcntl(fds[mine], F_SETFL, O_NONBLOCK);
    return 0;
}

int kb_hook_run(const struct kb_hook *h, const char *state_json, size_t len, kb_err *err)
{
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 }, status = 0, killed = 0, r;
    struct hook_io io = { .in = -1, .data = state_json, .len = len, .out.fd = -1, .err.fd = -1 };
    sigset_t pipe_set, old_mask, pending;
    int pipe_was_pending;
    char msg[sizeof err->msg];
    pid_t pid;

    if (hook_pipe(in, 1) < 0 || hook_pipe(out, 0) < 0 || hook_pipe(er, 0) < 0) {
        kb_error_errno(err, "hook %s: pipe", h->path);
        for (int i = 0; i < 2; i++) {
            close_fd(&in[i]);
            close_fd(&out[i]);
            close_fd(&er[i]);
        }
        return -1;
    }
    pid = fork();
    if (pid == 0)
        hook_child(h, in[0], out[1], er[1]);
    close_fd(&in[0]);
    close_fd(&out[1]);
    close_fd(&er[1]);
    io.in = in[1];
    io.out.fd = out[0];
    io.err.fd = er[0];
    if (pid < 0) {
        kb_error_errno(err, "hook %s: fork", h->path);
        close_fd(&io.in);
        close_fd(&io.out.fd);
        close_fd(&io.err.fd);
        return -1;
    }
    setpgid(pid, pid); /* as the child does: whichever runs first */
    /* a write to a hook that went away must not kill the caller: SIGPIPE is
     * blocked here, and one it raised is taken back below */
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_set, &old_mask);
    sigpending(&pending);
    pipe_was_pending = sigismember(&pending, SIGPIPE);
    r = wait_hook(pid, h->timeout, &io, &status, &killed);
    if (r < 0)
        kb_error_errno(err, "hook %s: wait", h->path);
    close_fd(&io.in);
    close_fd(&io.out.fd);
    close_fd(&io.err.fd);
    sigpending(&pending);
    if (!pipe_was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    if (r < 0)
        return -1;
    if (killed)
        return kb_error(err, ETIMEDOUT, "hook %s: timed out after %u s", h->path, h->timeout);
    if (WIFSIGNALED(status))
        snprintf(msg, sizeof msg, "hook %s: killed by signal %d", h->path, WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        snprintf(msg, sizeof msg, "hook %s: exited with status %d", h->path, WEXITSTATUS(status));
    else
        return 0;
    append_output(msg, sizeof msg, "stdout", &io.out);
    append_output(msg, sizeof msg, "stderr", &io.err);
    return kb_error(err, ECHILD, "%s", msg);
}

int kb_hooks_run(const struct kb_hooks *h, enum kb_hook_kind kind, const char *state_json, size_t len,
                 kb_err *err)
{
    if (!h || (unsigned)kind >= KB_HOOK_KINDS)
        return 0;
    for (size_t i = 0; i < h->n[kind]; i++)
        if (kb_hook_run(&h->list[kind][i], state_json, len, err) < 0)
            return kb_error_wrap(err, "hooks.%s[%zu]", kind_names[kind], i);
    return 0;
}

static void gen_kv(yajl_gen g, const char *key, const char *val)
{
    yajl_gen_string(g, (const unsigned char *)key, strlen(key));
    yajl_gen_string(g, (const unsigned char *)val, strlen(val));
}

int kb_oci_state_json(const char *oci_version, const char *id, const char *status, int pid, const char *bundle,
                      char *const *annotations, char **out, size_t *len, kb_err *err)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t n;

    *out = NULL;
    if (!g)
        return kb_error(err, ENOMEM, "state JSON");
    yajl_gen_map_open(g);
    gen_kv(g, "ociVersion", oci_version ? oci_version : "");
    gen_kv(g, "id", id ? id : "");
    gen_kv(g, "status", status);
    if (pid > 0) {
        yajl_gen_string(g, (const unsigned char *)"pid", 3);
        yajl_gen_integer(g, pid);
    }
    gen_kv(g, "bundle", bundle ? bundle : "");
    if (annotations && annotations[0]) {
        yajl_gen_string(g, (const unsigned char *)"annotations", 11);
        yajl_gen_map_open(g);
        for (char *const *a = annotations; a[0] && a[1]; a += 2)
            gen_kv(g, a[0], a[1]);
        yajl_gen_map_close(g);
    }
    yajl_gen_map_close(g);
    if (yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok || !(*out = malloc(n + 1))) {
        yajl_gen_free(g);
        return kb_error(err, ENOMEM, "state JSON");
    }
    memcpy(*out, buf, n);
    (*out)[n] = '\0';
    *len = n;
    yajl_gen_free(g);
    return 0;
}
