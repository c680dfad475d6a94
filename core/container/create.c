/* Creating a container as a staged handshake over a socketpair, with named
 * messages (the shape of runc's nsexec):
 *
 *   caller                intermediate              init
 *   fork ──────────────▶  enter the pid namespace
 *                         fork ──────────────────▶  (waits for "setup")
 *   ◀──────── "pid" N ─── exit
 *   reap it
 *   "setup" ─────────────────────────────────────▶  namespaces, mounts, pivot_root,
 *                                                   user, caps... exec lookup
 *   ◀─────────────────────────── "ready" | "error"
 *   (create returns)
 *   start: "go" ─────────────────────────────────▶  execve
 *   ◀─────────── EOF (close-on-exec) | "error" ───
 *
 * The init is forked by the intermediate because only children of an
 * unshare(CLONE_NEWPID) are born in the new namespace; "setup" waits until
 * the caller knows its pid (a later cgroup step would go right there).
 * A process exec'd into a running container (exec.c) goes through the
 * same stages: only the intermediate's step and the setup differ. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../oci/hooks.h"
#include "../util.h"
#include "internal.h"

/* --- the child side: report an error, then go away */

static void __attribute__((noreturn)) child_fail(int sync, const kb_err *err, int status)
{
    kb_sync_send(sync, KB_SYNC_ERROR, 0, err);
    _exit(status);
}

/* The init's setup (stages.setup): everything up to the exec; exe gets
 * the program, *envp its environment. */
static int init_setup(const void *arg, int sync, char *exe, size_t exe_len, char ***envp, kb_err *err)
{
    const struct kb_ctr_plan *p = arg;
    const struct kb_spec *spec = p->spec;
    const struct kb_process *proc = &spec->process;
    _cleanup_close_ int rootfd = -1, cwdfd = -1;

    umask(0); /* modes as given: device nodes 0666, directories 0755 */
    /* sysctls before any mount: the caller's /proc answers for our namespaces,
     * and a readonlyPaths /proc/sys of the container's would refuse them */
    if (kb_ctr_enter_namespaces(spec, err) < 0 || kb_ctr_write_sysctl(spec, err) < 0)
        return -1;
    if (proc->has_oom_score_adj && kb_ctr_set_oom_score_adj(proc->oom_score_adj, err) < 0)
        return -1;
    /* All mounts happen before pivot_root, readonlyPaths and maskedPaths
     * too (runc does those after it): the result is the same, and the
     * caller's /proc/self/fd and /dev/null are still there to mount through. */
    if (kb_ctr_prepare_root(p->rootfs, p->root_propagation, &rootfd, err) < 0 || kb_ctr_mount_all(p, rootfd, err) < 0 ||
        (p->setup_dev && kb_ctr_setup_dev(p, rootfd, err) < 0) ||
        kb_ctr_mount_seal(p, rootfd, err) < 0 ||
        kb_ctr_readonly_paths(spec->readonly_paths, rootfd, err) < 0 ||
        kb_ctr_mask_paths(spec->masked_paths, rootfd, err) < 0)
        return -1;
    close(kb_steal_fd(&rootfd));
    if (kb_ctr_pivot_root(p->rootfs, err) < 0)
        return -1;
    /* on the new / itself, as runc does after its pivot */
    if (p->root_propagation && mount(NULL, "/", NULL, p->root_propagation, NULL) < 0)
        return kb_error_errno(err, "linux.rootfsPropagation: set it on the container's /");
    /* the terminal once the container's devpts is in place, before / turns read-only (runc) */
    if (p->io.console && kb_ctr_console(sync, proc->console_rows, proc->console_cols, 1, err) < 0)
        return -1;
    /* runc creates a missing cwd, as root, before / turns read-only */
    rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return kb_error_errno(err, "open /");
    cwdfd = kb_ctr_mkpath_in(rootfd, proc->cwd, 0, err);
    if (cwdfd < 0)
        return kb_error_wrap(err, "process.cwd");
    if (spec->root_readonly && kb_ctr_root_readonly(err) < 0)
        return -1;
    return kb_ctr_finish_process(proc, p->caps, p->seccomp, exe, exe_len, envp, err);
}

static void __attribute__((noreturn)) stage_process(const struct kb_ctr_stages *st, int sync)
{
    char exe[PATH_MAX];
    char **env = NULL;
    struct kb_sync_msg m;
    kb_err err = { 0 };
    int r;

    if (kb_sync_recv(sync, &m) != 1 || m.type != KB_SYNC_SETUP)
        _exit(1);
    /* a session of its own, as runc's init; a terminal needs it first */
    r = setsid() < 0 ? kb_error_errno(&err, "setsid") : 0;
    if (r == 0)
        r = kb_ctr_setup_stdio(st->io, &sync, &err);
    if (r == 0)
        r = st->setup(st->arg, sync, exe, sizeof exe, &env, &err);
    if (r < 0)
        child_fail(sync, &err, 1);
    if (kb_sync_send(sync, KB_SYNC_READY, 0, NULL) < 0 || kb_sync_recv(sync, &m) != 1 || m.type != KB_SYNC_GO)
        _exit(1);
    if (st->last && st->last(st->arg, &err) < 0)
        child_fail(sync, &err, 1);
    execve(exe, st->argv, env);
    kb_error_errno(&err, "exec %s", exe);
    child_fail(sync, &err, err.errnum == ENOENT ? 127 : 126);
}

static void __attribute__((noreturn)) stage_intermediate(const struct kb_ctr_stages *st, int sync)
{
    kb_err err = { 0 };
    pid_t pid;

    kb_ctr_reset_signals();
    if (st->enter(st->arg, sync, &err) < 0)
        child_fail(sync, &err, 1);
    pid = fork();
    if (pid < 0) {
        kb_error_errno(&err, "fork %s", st->who);
        child_fail(sync, &err, 1);
    }
    if (pid == 0)
        stage_process(st, sync);
    _exit(kb_sync_send(sync, KB_SYNC_PID, pid, NULL) < 0 ? 1 : 0);
}

/* --- the caller's side */

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

static int reap(pid_t pid, int *status)
{
    for (;;) {
        pid_t r = waitpid(pid, status, 0);
        if (r == pid)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return -1;
    }
}

/* Wait for `want` (or `also`, when not 0); the child's own error, or what
 * went wrong meanwhile. Returns 1 at EOF (the child died without a word). */
static int expect_fd(int fd, uint32_t want, uint32_t also, struct kb_sync_msg *m, int *passed, kb_err *err)
{
    int r = kb_sync_recv_fd(fd, m, passed);

    if (r < 0)
        return kb_error_errno(err, "read \"%s\" from the container's process", kb_sync_name(want));
    if (r == 0)
        return 1;
    if (m->type == KB_SYNC_ERROR)
        return kb_error(err, m->errnum, "%s", m->msg);
    if (m->type != want && (!also || m->type != also))
        return kb_error(err, EPROTO, "the container's process sent \"%s\" instead of \"%s\"",
                        kb_sync_name(m->type), kb_sync_name(want));
    return 0;
}

static int expect(int fd, uint32_t want, uint32_t also, struct kb_sync_msg *m, kb_err *err)
{
    return expect_fd(fd, want, also, m, NULL, err);
}

int kb_ctr_caller_can_reap(const char *who, kb_err *err)
{
    int sub = 0;

    if (getpid() == 1 || (prctl(PR_GET_CHILD_SUBREAPER, &sub, 0, 0, 0) == 0 && sub))
        return 0;
    return kb_error(err, EINVAL, "the caller must be PID 1 or a child subreaper to reap %s", who);
}

/* The intermediate's part: the new process's pid, or why there is none.
 * A new user namespace gets its id maps first, when the intermediate asks. */
static int get_pid(const struct kb_ctr_stages *st, int fd, pid_t mid, pid_t *pid, kb_err *err)
{
    struct kb_sync_msg m;
    char how[64];
    int status = 0;
    int r = expect(fd, KB_SYNC_PID, st->map ? KB_SYNC_USERMAP : 0, &m, err);

    if (r == 0 && m.type == KB_SYNC_USERMAP) {
        r = st->map(st->arg, mid, err);
        if (r == 0 && kb_sync_send(fd, KB_SYNC_MAPPED, 0, NULL) < 0)
            r = kb_error_errno(err, "send \"mapped\" to the intermediate process");
        if (r < 0)
            kill(mid, SIGKILL); /* it waits for "mapped": nothing else ends it */
        else
            r = expect(fd, KB_SYNC_PID, 0, &m, err);
    }
    if (r == 0 && m.pid <= 0)
        r = kb_error(err, EPROTO, "the intermediate process sent pid %d", (int)m.pid);
    if (r == 0)
        *pid = m.pid; /* ours to kill and reap from now on, whatever happens */
    if (reap(mid, &status) < 0 && r == 0)
        return kb_error_errno(err, "reap the intermediate process %d", (int)mid);
    if (r == 1) {
        describe_status(status, how, sizeof how);
        return kb_error(err, ECHILD, "the intermediate process %s", how);
    }
    return r;
}

int kb_ctr_join_cgroup(const char *cgroup, pid_t pid, kb_err *err)
{
    char path[PATH_MAX], text[16];
    int fd, n;

    if ((size_t)snprintf(path, sizeof path, "%s/cgroup.procs", cgroup) >= sizeof path)
        return kb_error(err, ENAMETOOLONG, "cgroup %s", cgroup);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return kb_error_errno(err, "open %s", path);
    n = snprintf(text, sizeof text, "%d", (int)pid);
    if (write(fd, text, (size_t)n) != n) {
        kb_error_errno(err, "move %d into %s", (int)pid, cgroup);
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int kb_ctr_spawn(const struct kb_ctr_stages *st, struct kb_ctr *c, kb_err *err)
{
    _cleanup_close_ int mine = -1, theirs = -1, console = -1;
    pid_t mid, pid = -1;
    struct kb_sync_msg m;
    int sv[2], r, status;

    c->pid = -1;
    c->sync_fd = -1;
    c->console_fd = -1;
    /* SEQPACKET: a message arrives whole or not at all, and EOF is seen */
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return kb_error_errno(err, "socketpair");
    mine = sv[0];
    theirs = sv[1];
    mid = fork();
    if (mid == 0) {
        close(mine); /* so that the process sees EOF if the caller dies */
        stage_intermediate(st, theirs);
    }
    close(kb_steal_fd(&theirs));
    if (mid < 0)
        return kb_error_errno(err, "fork");
    r = get_pid(st, mine, mid, &pid, err);
    if (r < 0)
        goto out;
    /* before setup: the cgroup namespace it may unshare is rooted where it is */
    if (c->cgroup && (r = kb_ctr_join_cgroup(c->cgroup, pid, err)) < 0)
        goto out;
    if (kb_sync_send(mine, KB_SYNC_SETUP, 0, NULL) < 0) {
        r = kb_error_errno(err, "send \"setup\" to %s", st->who);
        goto out;
    }
    /* terminal mode: the pty comes first, then "ready" */
    r = expect_fd(mine, KB_SYNC_READY, st->io->console ? KB_SYNC_CONSOLE : 0, &m, &console, err);
    if (r == 0 && m.type == KB_SYNC_CONSOLE) {
        r = console < 0 ? kb_error(err, EPROTO, "\"console\" came without its pty") : 0;
        if (r == 0)
            r = expect(mine, KB_SYNC_READY, 0, &m, err);
    } else if (r == 0 && console >= 0) {
        r = kb_error(err, EPROTO, "the container's process sent an fd with \"%s\"", kb_sync_name(m.type));
    }
    if (r == 1) {
        /* died without a word: the status is all there is to say */
        status = 0;
        reap(pid, &status);
        pid = -1;
        describe_status(status, m.msg, sizeof m.msg);
        r = kb_error(err, ECHILD, "%s %s during setup", st->who, m.msg);
    }
out:
    if (r < 0) {
        /* it may be waiting for us or already gone: either way, gone */
        if (pid > 0) {
            kill(pid, SIGKILL);
            reap(pid, &status);
        }
        return -1;
    }
    c->pid = pid;
    c->sync_fd = kb_steal_fd(&mine);
    c->console_fd = kb_steal_fd(&console);
    return 0;
}

/* The intermediate's step for an init: the user namespace first, so that it
 * owns the pid namespace the init is born in (and every later one). */
static int init_enter(const void *arg, int sync, kb_err *err)
{
    const struct kb_ctr_plan *p = arg;

    if (kb_ctr_enter_user_ns(p->spec, sync, err) < 0)
        return -1;
    return kb_ctr_enter_pid_ns(p->spec, err);
}

/* startContainer hooks: in the container, as its process, right before the
 * program; the state's pid is the init's own, as runc gives it. */
static int init_last(const void *arg, kb_err *err)
{
    const struct kb_ctr_plan *p = arg;
    const struct kb_hooks *h = p->spec->hooks;
    _cleanup_free_ char *state = NULL;
    size_t len;

    /* with no_new_privs the filter comes as late as possible, as runc loads it:
     * the hooks run under it too */
    if (p->spec->process.no_new_privileges && kb_ctr_seccomp_load(p->seccomp, err) < 0)
        return -1;
    if (!h || !h->n[KB_HOOK_START_CONTAINER])
        return 0;
    if (kb_oci_state_json(p->spec->oci_version, p->id ? p->id : "", "created", (int)getpid(),
                          p->bundle ? p->bundle : "", p->spec->annotations, &state, &len, err) < 0)
        return -1;
    return kb_hooks_run(h, KB_HOOK_START_CONTAINER, state, len, err);
}

static int init_map(const void *arg, pid_t pid, kb_err *err)
{
    const struct kb_ctr_plan *p = arg;

    return kb_ctr_write_id_maps(p->spec, pid, err);
}

int kb_container_create(const struct kb_spec *spec, const char *rootfs, const struct kb_ctr_io *io,
                        struct kb_ctr *c, kb_err *err)
{
    struct kb_ctr_plan plan;
    struct kb_ctr_stages st = { .who = "the container's init", .enter = init_enter,
                                .map = init_map, .setup = init_setup, .last = init_last,
                                .arg = &plan };
    int r;

    c->pid = -1;
    c->sync_fd = -1;
    c->console_fd = -1;
    if (kb_ctr_caller_can_reap(st.who, err) < 0)
        return -1;
    if (kb_ctr_plan_make(&plan, spec, rootfs, io, err) < 0) {
        kb_ctr_plan_free(&plan);
        return -1;
    }
    st.io = &plan.io;
    st.argv = spec->process.args;
    plan.id = c->id;
    plan.bundle = c->bundle;
    r = kb_ctr_spawn(&st, c, err);
    kb_ctr_plan_free(&plan);
    return r;
}

int kb_container_start(struct kb_ctr *c, kb_err *err)
{
    struct kb_sync_msg m;
    int r;

    if (c->sync_fd < 0)
        return kb_error(err, EINVAL, "the container is not waiting to be started");
    if (kb_sync_send(c->sync_fd, KB_SYNC_GO, 0, NULL) < 0) {
        r = kb_error_errno(err, "start: the container's init is gone");
    } else {
        /* EOF: the exec closed the init's end (close-on-exec) */
        r = kb_sync_recv(c->sync_fd, &m);
        if (r == 0)
            ;
        else if (r < 0)
            r = kb_error_errno(err, "start: read the container's answer");
        else if (m.type == KB_SYNC_ERROR)
            r = kb_error(err, m.errnum, "%s", m.msg);
        else
            r = kb_error(err, EPROTO, "start: the container's init answered \"%s\"", kb_sync_name(m.type));
    }
    close(c->sync_fd);
    c->sync_fd = -1;
    return r;
}

void kb_container_release(struct kb_ctr *c)
{
    if (c->sync_fd >= 0)
        close(c->sync_fd);
    c->sync_fd = -1;
}
