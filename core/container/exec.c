/* A process exec'd into a running container, as runc exec does. It goes
 * through create's stages (create.c), but its intermediate joins the
 * namespaces of the container's init instead of making new ones, and the
 * process only takes the steps an init takes from the umask on: nothing is
 * mounted, since joining the mount namespace also gives the process that
 * namespace's root and cwd, which are the container's already. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

/* In the order they are joined: the user namespace first, for the others
 * are joined with the capabilities it grants; the mount namespace last,
 * for it changes what every later path would name. */
static const struct {
    const char *file;   /* in /proc/PID/ns */
    int flag;
} ns_order[] = {
    { "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS },
    { "net", CLONE_NEWNET },   { "cgroup", CLONE_NEWCGROUP }, { "pid", CLONE_NEWPID },
    { "mnt", CLONE_NEWNS },
};

struct exec_plan {
    pid_t init_pid;
    const struct kb_process *proc;
    uint64_t caps[KB_CAP_SETS];
    void *seccomp;                      /* the container's filter, compiled */
    int console;                        /* terminal mode */
    int ns[KB_ARRAY_SIZE(ns_order)];    /* -1: the caller's own, nothing to join */
};

/* Every namespace is opened before any is joined, and here in the caller:
 * a gone init is an error before any fork, and a joined mount namespace
 * could not change what /proc/PID names. */
static int open_namespaces(struct exec_plan *x, kb_err *err)
{
    char path[64];
    struct stat theirs, ours;

    for (size_t i = 0; i < KB_ARRAY_SIZE(ns_order); i++) {
        snprintf(path, sizeof path, "/proc/self/ns/%s", ns_order[i].file);
        if (stat(path, &ours) < 0) {
            /* a kernel built without this kind of namespace */
            if (errno == ENOENT)
                continue;
            return kb_error_errno(err, "stat %s", path);
        }
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)x->init_pid, ns_order[i].file);
        x->ns[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (x->ns[i] < 0)
            return kb_error_errno(err, "the container's init %d: open %s", (int)x->init_pid, path);
        if (fstat(x->ns[i], &theirs) < 0)
            return kb_error_errno(err, "stat %s", path);
        /* setns into the namespace one is in already is refused for some
         * kinds (user), and pointless for all */
        if (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino) {
            close(x->ns[i]);
            x->ns[i] = -1;
        }
    }
    return 0;
}

/* The intermediate: its next child is born in the container's pid
 * namespace and inherits every other one. */
static int exec_enter(const void *arg, int sync, kb_err *err)
{
    const struct exec_plan *x = arg;

    for (size_t i = 0; i < KB_ARRAY_SIZE(ns_order); i++)
        if (x->ns[i] >= 0 && setns(x->ns[i], ns_order[i].flag) < 0)
            return kb_error_errno(err, "join the %s namespace of the container's init %d",
                                  ns_order[i].file, (int)x->init_pid);
    return 0;
}

static int exec_setup(const void *arg, int sync, char *exe, size_t exe_len, char ***envp, kb_err *err)
{
    const struct exec_plan *x = arg;

    /* runc exec -t: a pty of the container's devpts, no /dev/console */
    if (x->console && kb_ctr_console(sync, x->proc->console_rows, x->proc->console_cols, 0, err) < 0)
        return -1;
    return kb_ctr_finish_process(x->proc, x->caps, x->seccomp, exe, exe_len, envp, err);
}

/* with no_new_privs, the filter right before the exec, as runc loads it */
static int exec_last(const void *arg, kb_err *err)
{
    const struct exec_plan *x = arg;

    return x->proc->no_new_privileges ? kb_ctr_seccomp_load(x->seccomp, err) : 0;
}

int kb_container_exec(pid_t init_pid, const struct kb_seccomp *seccomp, const struct kb_process *proc,
                      const struct kb_ctr_io *io, struct kb_ctr *c, kb_err *err)
{
    struct exec_plan x = { .init_pid = init_pid, .proc = proc, .console = io->console };
    struct kb_ctr_stages st = { .who = "the exec'd process", .io = io, .argv = proc->args,
                                .enter = exec_enter, .setup = exec_setup, .last = exec_last, .arg = &x };
    int r;

    c->pid = -1;
    c->sync_fd = -1;
    c->console_fd = -1;
    for (size_t i = 0; i < KB_ARRAY_SIZE(x.ns); i++)
        x.ns[i] = -1;
    if (kb_ctr_caller_can_reap(st.who, err) < 0)
        return -1;
    if (init_pid <= 0)
        return kb_error(err, EINVAL, "exec: no container init (pid %d)", (int)init_pid);
    if (!proc->args || !proc->args[0] || !proc->env || !proc->cwd)
        return kb_error(err, EINVAL, "process: args, env and cwd are required");
    if (kb_ctr_check_path("process.cwd", proc->cwd, err) < 0 || kb_ctr_caps_of(proc, x.caps, err) < 0)
        return -1;
    /* the container's profile applies to what is exec'd into it (runc) */
    r = seccomp ? kb_ctr_seccomp_compile(seccomp, &x.seccomp, err) : 0;
    if (r == 0)
        r = open_namespaces(&x, err);
    if (r == 0)
        r = kb_ctr_spawn(&st, c, err);
    kb_ctr_seccomp_free(x.seccomp);
    for (size_t i = 0; i < KB_ARRAY_SIZE(x.ns); i++)
        if (x.ns[i] >= 0)
            close(x.ns[i]);
    return r;
}
