/* OCI hooks: parsed with the spec, run one by one with the state JSON on
 * stdin. A hook is a program of whoever wrote the config (the host's admin
 * or engine): it gets exactly its args and env, nothing of ours but stdout
 * and stderr, and is killed when its timeout passes. */
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

/* --- running */

static void __attribute__((noreturn)) hook_child(const struct kb_hook *h, int in)
{
    static char *const no_env[] = { NULL };
    char *const *argv = h->args && h->args[0] ? h->args : (char *const[]){ h->path, NULL };
    sigset_t none;

    if (dup2(in, 0) < 0)
        _exit(127);
    /* a group of its own: a timeout ends what it started too */
    setpgid(0, 0);
    /* nothing of the caller's but stdio, and default signals */
    if (syscall(SYS_close_range, 3, ~0u, 0) < 0)
        for (int fd = 3; fd < 4096; fd++)
            close(fd);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    execve(h->path, argv, h->env ? h->env : no_env);
    fprintf(stderr, "hook %s: exec: %s\n", h->path, strerror(errno));
    _exit(127);
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for pid, killing it when timeout_s (0: none) passes; *killed says so. */
static int wait_hook(pid_t pid, unsigned timeout_s, int *status, int *killed)
{
    uint64_t deadline = timeout_s ? now_ms() + (uint64_t)timeout_s * 1000 : 0;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

    *killed = 0;
    for (;;) {
        pid_t r = waitpid(pid, status, deadline ? WNOHANG : 0);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            if (pidfd >= 0)
                close(pidfd);
            return -1;
        }
        if (r == 0 && now_ms() >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            *killed = 1;
            deadline = 0; /* then reap it */
            continue;
        }
        if (r == 0) {
            /* pidfd: woken at its exit; without one (old kernel), a short nap */
            uint64_t left = deadline - now_ms();
            if (pidfd >= 0) {
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                poll(&p, 1, left > 1000 ? 1000 : (int)left);
            } else {
                struct timespec ts = { 0, 20 * 1000000 };
                nanosleep(&ts, NULL);
            }
        }
    }
    if (pidfd >= 0)
        close(pidfd);
    return 0;
}

int kb_hook_run(const struct kb_hook *h, const char *state_json, size_t len, kb_err *err)
{
    int p[2], status = 0, killed;
    pid_t pid;
    struct sigaction ign = { .sa_handler = SIG_IGN }, old;

    if (pipe2(p, O_CLOEXEC) < 0)
        return kb_error_errno(err, "hook %s: pipe", h->path);
    pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return kb_error_errno(err, "hook %s: fork", h->path);
    }
    if (pid == 0) {
        close(p[1]);
        hook_child(h, p[0]);
    }
    setpgid(pid, pid); /* as the child does: whichever runs first */
    close(p[0]);
    /* a hook that does not read its stdin is not a failure: no SIGPIPE */
    sigaction(SIGPIPE, &ign, &old);
    for (size_t off = 0; off < len;) {
        ssize_t n = write(p[1], state_json + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(p[1]);
    sigaction(SIGPIPE, &old, NULL);
    if (wait_hook(pid, h->timeout, &status, &killed) < 0)
        return kb_error_errno(err, "hook %s: wait", h->path);
    if (killed)
        return kb_error(err, ETIMEDOUT, "hook %s: timed out after %u s", h->path, h->timeout);
    if (WIFSIGNALED(status))
        return kb_error(err, ECHILD, "hook %s: killed by signal %d", h->path, WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        return kb_error(err, ECHILD, "hook %s: exited with status %d", h->path, WEXITSTATUS(status));
    return 0;
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
