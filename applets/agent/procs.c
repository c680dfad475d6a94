/* The agent's containers and processes: creating a container with its
 * stdio (pipes, or a pty when process.terminal is set), exec'ing more
 * processes into it, finding processes by id or stream, and reporting
 * their end to the host. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../../core/sandbox/binds.h"
#include "../../core/sandbox/pod.h"
#include "../../core/util.h"
#include "agent.h"

struct agent_ctr *agent_find(struct agent *a, const char *id)
{
    for (size_t i = 0; i < AGENT_MAX_CONTAINERS; i++)
        if (a->ctrs[i] && strcmp(a->ctrs[i]->id, id) == 0)
            return a->ctrs[i];
    return NULL;
}

static void proc_init(struct agent_proc *p)
{
    memset(p, 0, sizeof *p);
    p->pty_master = -1;
    p->in.fd = p->out.fd = p->err.fd = -1;
}

static void proc_fini(struct agent_proc *p)
{
    kb_istream_fini(&p->in);
    kb_ostream_fini(&p->out);
    kb_ostream_fini(&p->err);
    if (p->pty_master >= 0)
        close(p->pty_master);
    p->pty_master = -1;
}

static struct agent_exec *exec_find(const struct agent_ctr *c, const char *eid)
{
    for (struct agent_exec *e = c->execs; e; e = e->next)
        if (strcmp(e->id, eid) == 0)
            return e;
    return NULL;
}

void agent_exec_free(struct agent_exec *e)
{
    if (!e)
        return;
    proc_fini(&e->proc);
    free(e->id);
    free(e);
}

void agent_ctr_free(struct agent_ctr *c)
{
    if (!c)
        return;
    while (c->execs) {
        struct agent_exec *e = c->execs;
        c->execs = e->next;
        /* nobody would report its end any more; PID 1 still reaps it */
        if (e->proc.pid > 0 && !e->proc.exited)
            kill(e->proc.pid, SIGKILL);
        agent_exec_free(e);
    }
    proc_fini(&c->init);
    kb_container_release(&c->ctr);
    agent_cgroup_remove(c);
    if (c->share_mounted)
        umount2(c->rootfs, MNT_DETACH);
    if (c->binds_mounted) {
        umount2(c->binds, MNT_DETACH);
        rmdir(c->binds);
    }
    free(c->binds);
    kb_spec_free(&c->spec);
    free(c->rootfs);
    free(c->id);
    free(c);
}

/* The host shares the bundle's rootfs over virtio-9p; msize bounds each
 * request, and the default (8 KiB) makes reading binaries slow. nodev
 * stays off the bind sources' share: a bind of a host device node is a
 * device here too, as under runc. */
static int mount_share(const char *tag, const char *where, unsigned long flags, kb_err *err)
{
    if (kb_mkdir_p(where, 0755, err) < 0)
        return -1;
    if (mount(tag, where, "9p", flags, "trans=virtio,version=9p2000.L,msize=262144,cache=loose") < 0)
        return kb_error_errno(err, "mount the 9p share %s on %s", tag, where);
    return 0;
}

/* The pod share, mounted by the first container that uses it, for all. */
static int pod_share(struct agent *a, kb_err *err)
{
    if (!a->pod_mounted && mount_share(KB_POD_TAG, KB_GUEST_POD, 0, err) < 0)
        return -1;
    a->pod_mounted = true;
    return 0;
}

/* Point the spec's bind mounts at their sources in the host's share
 * (entry i is the source of mounts[i]: core/sandbox/binds.h), or in the
 * container's directory of the pod share. */
static int use_binds(struct agent *a, struct agent_ctr *c, const char *tag, kb_err *err)
{
    int pod = strcmp(tag, KB_POD_TAG) == 0;

    if (pod ? pod_share(a, err) < 0 : 0)
        return -1;
    if (asprintf(&c->binds, "%s/%s%s", pod ? KB_GUEST_POD : KB_GUEST_BINDS, c->id, pod ? "/binds" : "") < 0) {
        c->binds = NULL;
        return kb_error(err, ENOMEM, "bind sources");
    }
    /* no nosuid: a bind keeps the options its source has on the host (runc) */
    if (!pod && mount_share(tag, c->binds, 0, err) < 0) {
        free(c->binds);
        c->binds = NULL;
        return -1;
    }
    c->binds_mounted = !pod;
    for (size_t i = 0; i < c->spec.n_mounts; i++) {
        struct kb_mount *m = &c->spec.mounts[i];
        char *src;
        if (!kb_mount_is_bind(m))
            continue;
        if (asprintf(&src, "%s/%zu", c->binds, i) < 0)
            return kb_error(err, ENOMEM, "bind sources");
        free(m->source);
        m->source = src;
    }
    return 0;
}

static int set_nonblock(int fd, kb_err *err)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return kb_error_errno(err, "make fd %d non-blocking", fd);
    return 0;
}

/* Terminal mode: the process made its pty in the container's devpts and
 * handed over the master (core/container/console.c); the streams use it. */
static int attach_pty(struct agent_proc *p, int *master, kb_err *err)
{
    p->pty_master = kb_steal_fd(master);
    if (p->pty_master < 0)
        return kb_error(err, EPROTO, "terminal: the container's process gave no pty");
    kb_istream_init(&p->in, p->stream_base + KB_STREAM_STDIN, p->pty_master, 0, 0);
    kb_ostream_init(&p->out, p->stream_base + KB_STREAM_STDOUT, p->pty_master, 0);
    return set_nonblock(p->pty_master, err);
}

/* Connect a new process's stdio to streams at base; child_io gets the
 * ends the process keeps (the caller closes them after the fork). */
static int open_stdio(struct agent_proc *p, uint32_t base, const struct kb_process *proc,
                      struct kb_ctr_io *child_io, kb_err *err)
{
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };

    child_io->in = child_io->out = child_io->err = -1;
    child_io->console = 0;
    p->stream_base = base;
    if (!base)
        return 0;
    if (proc->terminal) {
        child_io->console = 1; /* the streams follow once it handed over its pty */
        return 0;
    }
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
        kb_error_errno(err, "stdio pipes");
        goto fail;
    }
    if (set_nonblock(in[1], err) < 0 || set_nonblock(out[0], err) < 0 ||
        set_nonblock(er[0], err) < 0)
        goto fail;
    kb_istream_init(&p->in, base + KB_STREAM_STDIN, in[1], 1, 0);
    kb_ostream_init(&p->out, base + KB_STREAM_STDOUT, out[0], 1);
    kb_ostream_init(&p->err, base + KB_STREAM_STDERR, er[0], 1);
    child_io->in = in[0];
    child_io->out = out[1];
    child_io->err = er[1];
    return 0;
fail:
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0) close(in[i]);
        if (out[i] >= 0) close(out[i]);
        if (er[i] >= 0) close(er[i]);
    }
    return -1;
}

static void close_child_io(struct kb_ctr_io *io)
{
    int *fds[] = { &io->in, &io->out, &io->err };

    for (size_t i = 0; i < KB_ARRAY_SIZE(fds); i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
}

static void drop_unused_inodes(void)
{
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

    if (fd >= 0) {
        (void)!write(fd, "2", 1);
        close(fd);
    }
}

int agent_delete(struct agent *a, const char *id, kb_err *err)
{
    for (size_t i = 0; i < AGENT_MAX_CONTAINERS; i++) {
        struct agent_ctr *c = a->ctrs[i];
        if (!c || strcmp(c->id, id) != 0)
            continue;
        if (c->init.pid > 0 && !c->init.exited) {
            /* its exit is nobody's news any more; reaped here so its cgroup empties */
            kill(c->init.pid, SIGKILL);
            waitpid(c->init.pid, NULL, 0);
        }
        agent_ctr_free(c);
        a->ctrs[i] = NULL;
        /* The host unmounts its rootfs next, and the next container's mount may reuse the
         * device number: the same (device, inode) gives the same 9p qid, and with cache=loose
         * this kernel would hand out the gone file's inode for it. Unused inodes go now. */
        if (a->pod_mounted)
            drop_unused_inodes();
        return 0;
    }
    return kb_error(err, ENOENT, "container %s does not exist", id);
}

int agent_create(struct agent *a, const struct kb_msg_create *m, kb_err *err)
{
    struct kb_ctr_io io = { -1, -1, -1, 0 };
    struct agent_ctr *c;
    size_t slot = AGENT_MAX_CONTAINERS;
    int r;

    if (agent_find(a, m->container_id))
        return kb_error(err, EEXIST, "container %s already exists", m->container_id);
    for (size_t i = 0; i < AGENT_MAX_CONTAINERS && slot == AGENT_MAX_CONTAINERS; i++)
        if (!a->ctrs[i])
            slot = i;
    if (slot == AGENT_MAX_CONTAINERS)
        return kb_error(err, ENOSPC, "this sandbox has %d containers already", AGENT_MAX_CONTAINERS);
    if (m->rootfs[0] != '/')
        return kb_error(err, EINVAL, "rootfs %s is not an absolute path", m->rootfs);
    c = calloc(1, sizeof *c);
    if (!c)
        return kb_error(err, ENOMEM, "container %s", m->container_id);
    proc_init(&c->init);
    c->ctr.pid = -1;
    c->ctr.sync_fd = -1;
    c->id = strdup(m->container_id);
    c->rootfs = strdup(m->rootfs);
    if (!c->id || !c->rootfs) {
        r = kb_error(err, ENOMEM, "container %s", m->container_id);
        goto out;
    }
    r = kb_spec_parse((const char *)m->oci_config, m->oci_config_len, &c->spec, err);
    if (r < 0) {
        kb_error_wrap(err, "config.json");
        goto out;
    }
    if (!strcmp(m->rootfs_tag, KB_POD_TAG)) {
        if ((r = pod_share(a, err)) < 0)
            goto out;
    } else if (m->rootfs_tag[0]) {
        /* no nosuid/nodev: under runc the image's setuid programs work (the
         * rootfs is a plain directory of the host); the VM is the boundary */
        if ((r = mount_share(m->rootfs_tag, c->rootfs, 0, err)) < 0)
            goto out;
        c->share_mounted = true;
    }
    if (m->binds_tag[0] && (r = use_binds(a, c, m->binds_tag, err)) < 0)
        goto out;
    if ((r = agent_cgroup_create(c, err)) < 0 ||
        (r = agent_cgroup_apply(c, &c->spec.resources, err)) < 0)
        goto out;
    agent_cgroup_watch_oom(c, a->oomfd);
    if ((r = open_stdio(&c->init, m->stream_base, &c->spec.process, &io, err)) < 0) {
        close_child_io(&io);
        goto out;
    }
    c->ctr.id = c->id;
    c->ctr.bundle = m->bundle;
    r = kb_container_create(&c->spec, c->rootfs, &io, &c->ctr, err);
    c->ctr.bundle = NULL;       /* the request's: read during create only */
    close_child_io(&io);
    if (r == 0 && io.console && (r = attach_pty(&c->init, &c->ctr.console_fd, err)) < 0) {
        /* created, but nothing could reach its terminal: gone */
        kill(c->ctr.pid, SIGKILL);
        waitpid(c->ctr.pid, NULL, 0);
        kb_container_release(&c->ctr);
        c->ctr.pid = -1;
    }
    if (r < 0)
        goto out;
    c->init.pid = c->ctr.pid;
    a->ctrs[slot] = c;
    return 0;
out:
    agent_ctr_free(c);
    return -1;
}

/* --- EXEC */

/* The process an EXEC runs: the container's own process with the
 * request's PROCESS over it (PROTOCOL.md 3.5), or a whole OCI process
 * object. It borrows every string from the container's spec and from the
 * request, which both outlive the exec; only the arrays built here, and a
 * parsed oci_process, are its own. */
struct exec_proc {
    struct kb_process p;
    struct kb_process parsed;       /* from oci_process */
    char **owned[2 + 3];            /* args, env, three capability sets */
    size_t n_owned;
};

static void exec_proc_free(struct exec_proc *x)
{
    for (size_t i = 0; i < x->n_owned; i++)
        free(x->owned[i]);
    x->n_owned = 0;
    kb_process_free(&x->parsed);
}

static size_t strv_len(char *const *v)
{
    size_t n = 0;

    while (v && v[n])
        n++;
    return n;
}

/* n + 1 NULL pointers, owned by x. */
static char **strv_new(struct exec_proc *x, size_t n)
{
    char **v = calloc(n + 1, sizeof *v);

    if (v)
        x->owned[x->n_owned++] = v;
    return v;
}

/* Add "NAME=value" to env (n entries): a later NAME replaces an earlier
 * one in place, so that execve sees each name once. */
static void env_put(char **env, size_t *n, char *kv)
{
    size_t name_len = strcspn(kv, "=");

    for (size_t i = 0; i < *n; i++)
        if (strncmp(env[i], kv, name_len + 1) == 0) {
            env[i] = kv;
            return;
        }
    env[(*n)++] = kv;
}

/* The container's env with the request's appended (PROTOCOL.md: a later entry wins). */
static int exec_env(struct exec_proc *x, const struct kb_msg_process *mp, kb_err *err)
{
    char *const *base = x->p.env;
    size_t n_base = strv_len(base), n = 0;
    char **env;

    for (size_t i = 0; i < mp->n_env; i++)
        if (!strchr(mp->env[i], '=') || mp->env[i][0] == '=')
            return kb_error(err, EINVAL, "process.env[%zu]: '%s' is not NAME=VALUE", i, mp->env[i]);
    env = strv_new(x, n_base + mp->n_env);
    if (!env)
        return kb_error(err, ENOMEM, "process.env");
    for (size_t i = 0; i < n_base; i++)
        env_put(env, &n, base[i]);
    for (size_t i = 0; i < mp->n_env; i++)
        env_put(env, &n, mp->env[i]);
    x->p.env = env;
    return 0;
}

/* runc exec --cap: added to the bounding, effective and permitted sets. */
static int exec_caps(struct exec_proc *x, const struct kb_msg_process *mp, kb_err *err)
{
    static const enum kb_cap_set sets[] = { KB_CAP_BOUNDING, KB_CAP_EFFECTIVE, KB_CAP_PERMITTED };

    for (size_t i = 0; i < mp->n_caps_add; i++)
        if (kb_cap_from_name(mp->caps_add[i]) < 0)
            return kb_error(err, EINVAL, "process.caps_add[%zu]: unknown capability \"%s\"", i,
                            mp->caps_add[i]);
    for (size_t s = 0; s < KB_ARRAY_SIZE(sets) && mp->n_caps_add; s++) {
        char **had = x->p.caps[sets[s]], **v;
        size_t n = strv_len(had);

        v = strv_new(x, n + mp->n_caps_add);
        if (!v)
            return kb_error(err, ENOMEM, "process.caps_add");
        if (n)
            memcpy(v, had, n * sizeof *v);
        memcpy(v + n, mp->caps_add, mp->n_caps_add * sizeof *v);
        x->p.caps[sets[s]] = v;
    }
    return 0;
}

/* runc exec --process: the object is the process; the request's PROCESS
 * still says whether there is a terminal, and names the same args. */
static int exec_oci_process(struct exec_proc *x, const struct kb_msg_exec *m, kb_err *err)
{
    const struct kb_msg_process *mp = &m->process;
    size_t n;

    if (kb_process_parse((const char *)m->oci_process, m->oci_process_len, &x->parsed, err) < 0)
        return kb_error_wrap(err, "oci_process");
    n = strv_len(x->parsed.args);
    for (size_t i = 0; i < n || i < mp->n_args; i++)
        if (i >= n || i >= mp->n_args || strcmp(x->parsed.args[i], mp->args[i]) != 0)
            return kb_error(err, EINVAL, "oci_process: process.args differ from the request's args");
    x->p = x->parsed;
    x->p.terminal = mp->terminal;
    return 0;
}

static int exec_process(const struct agent_ctr *c, const struct kb_msg_exec *m, struct exec_proc *x,
                        kb_err *err)
{
    const struct kb_msg_process *mp = &m->process;

    if (m->oci_process_len)
        return exec_oci_process(x, m, err);
    /* a shallow copy: what changes below is replaced, never written through */
    x->p = c->spec.process;
    x->p.args = strv_new(x, mp->n_args);
    if (!x->p.args)
        return kb_error(err, ENOMEM, "process.args");
    memcpy(x->p.args, mp->args, mp->n_args * sizeof *mp->args);
    if (exec_env(x, mp, err) < 0 || exec_caps(x, mp, err) < 0)
        return -1;
    if (mp->cwd[0])
        x->p.cwd = mp->cwd;
    if (mp->has_uid)
        x->p.uid = mp->uid;
    if (mp->has_gid)
        x->p.gid = mp->gid;
    if (mp->n_additional_gids) {
        x->p.additional_gids = mp->additional_gids;
        x->p.n_additional_gids = mp->n_additional_gids;
    }
    if (mp->has_umask) {
        x->p.has_umask = 1;
        x->p.umask = mp->umask;
    }
    if (mp->no_new_privileges)
        x->p.no_new_privileges = 1;
    x->p.terminal = mp->terminal;
    return 0;
}

static size_t count_execs(const struct agent *a)
{
    size_t n = 0;

    for (size_t i = 0; i < AGENT_MAX_CONTAINERS; i++)
        for (const struct agent_exec *e = a->ctrs[i] ? a->ctrs[i]->execs : NULL; e; e = e->next)
            n++;
    return n;
}

/* What must hold before anything is allocated for an EXEC. */
static int exec_check(struct agent *a, const struct agent_ctr *c, const struct kb_msg_exec *m,
                      kb_err *err)
{
    if (!c)
        return kb_error(err, ENOENT, "container %s does not exist", m->container_id);
    if (c->init.exited || c->init.pid <= 0)
        return kb_error(err, ESRCH, "cannot exec in a stopped container");
    if (c->paused)
        return kb_error(err, EBUSY, "cannot exec in a paused container");
    if (!m->exec_id[0])
        return kb_error(err, EINVAL, "exec_id: empty");
    if (exec_find(c, m->exec_id))
        return kb_error(err, EEXIST, "container %s already has a process %s", c->id, m->exec_id);
    if (count_execs(a) >= AGENT_MAX_EXECS)
        return kb_error(err, ENOSPC, "this sandbox runs %d exec'd processes already", AGENT_MAX_EXECS);
    if (m->stream_base && agent_proc_by_stream(a, m->stream_base))
        return kb_error(err, EEXIST, "stream base %u is in use", m->stream_base);
    return 0;
}

int agent_exec(struct agent *a, const struct kb_msg_exec *m, pid_t *pid, kb_err *err)
{
    struct agent_ctr *c = agent_find(a, m->container_id);
    struct kb_ctr_io io = { -1, -1, -1, 0 };
    struct kb_ctr ctr = { .pid = -1, .sync_fd = -1, .cgroup = c ? c->cgroup : NULL };
    struct exec_proc x;
    struct agent_exec *e;
    int r;

    if (exec_check(a, c, m, err) < 0)
        return -1;
    memset(&x, 0, sizeof x);
    e = calloc(1, sizeof *e);
    if (!e)
        return kb_error(err, ENOMEM, "exec %s", m->exec_id);
    proc_init(&e->proc);
    e->id = strdup(m->exec_id);
    if (!e->id) {
        r = kb_error(err, ENOMEM, "exec %s", m->exec_id);
        goto out;
    }
    if ((r = exec_process(c, m, &x, err)) < 0 ||
        (r = open_stdio(&e->proc, m->stream_base, &x.p, &io, err)) < 0)
        goto out;
    r = kb_container_exec(c->init.pid, c->spec.seccomp, &x.p, &io, &ctr, err);
    close_child_io(&io);
    if (r == 0 && io.console && (r = attach_pty(&e->proc, &ctr.console_fd, err)) < 0) {
        kill(ctr.pid, SIGKILL);
        waitpid(ctr.pid, NULL, 0);
        kb_container_release(&ctr);
    }
    if (r == 0) {
        /* when exec(2) itself fails, the process exits by itself: it is
         * then an orphan like any other, reaped and ignored */
        r = kb_container_start(&ctr, err);
        kb_container_release(&ctr);
    }
    if (r < 0)
        goto out;
    e->proc.pid = ctr.pid;
    e->next = c->execs;
    c->execs = e;
    *pid = ctr.pid;
    exec_proc_free(&x);
    return 0;
out:
    close_child_io(&io);
    exec_proc_free(&x);
    agent_exec_free(e);
    return -1;
}

struct agent_proc *agent_proc_of(struct agent *a, const char *cid, const char *eid, kb_err *err)
{
    struct agent_ctr *c = agent_find(a, cid);

    if (!c) {
        kb_error(err, ENOENT, "container %s does not exist", cid);
        return NULL;
    }
    if (eid && *eid) {
        struct agent_exec *e = exec_find(c, eid);
        if (!e) {
            kb_error(err, ENOENT, "container %s has no process %s", cid, eid);
            return NULL;
        }
        return &e->proc;
    }
    return &c->init;
}

struct agent_proc *agent_proc_by_stream(struct agent *a, uint32_t id)
{
    uint32_t base = id & ~3u;

    /* base 0 is "no streams", never a stream of its own */
    for (size_t i = 0; i < AGENT_MAX_CONTAINERS && base; i++) {
        struct agent_ctr *c = a->ctrs[i];
        if (!c)
            continue;
        if (c->init.stream_base == base)
            return &c->init;
        for (struct agent_exec *e = c->execs; e; e = e->next)
            if (e->proc.stream_base == base)
                return &e->proc;
    }
    return NULL;
}

static bool mark_exited(struct agent_proc *p, pid_t pid, int wstatus)
{
    if (p->pid != pid || p->exited)
        return false;
    p->exited = true;
    p->wstatus = wstatus;
    p->exited_at = kb_now_ns();
    return true;
}

struct agent_proc *agent_reaped(struct agent *a, pid_t pid, int wstatus, const char **cid,
                                const char **eid)
{
    for (size_t i = 0; i < AGENT_MAX_CONTAINERS; i++) {
        struct agent_ctr *c = a->ctrs[i];
        if (!c)
            continue;
        if (mark_exited(&c->init, pid, wstatus)) {
            *cid = c->id;
            *eid = "";
            return &c->init;
        }
        for (struct agent_exec *e = c->execs; e; e = e->next)
            if (mark_exited(&e->proc, pid, wstatus)) {
                *cid = c->id;
                *eid = e->id;
                return &e->proc;
            }
    }
    return NULL;
}

static void wait_status(const struct agent_proc *p, struct kb_msg_wait_status *w)
{
    memset(w, 0, sizeof *w);
    if (WIFSIGNALED(p->wstatus)) {
        w->term_signal = (uint32_t)WTERMSIG(p->wstatus);
        w->core_dumped = WCOREDUMP(p->wstatus) != 0;
    } else {
        w->exit_code = (uint32_t)WEXITSTATUS(p->wstatus);
    }
}

int agent_answer_wait(struct agent *a, uint32_t id, const struct agent_proc *p, kb_err *err)
{
    struct kb_msg_wait_status w;
    struct kb_buf b = { 0 };
    int r;

    wait_status(p, &w);
    r = kb_msg_wait_status_encode(&b, id, &w, err);
    if (r == 0)
        r = kb_conn_send(&a->conn, &b, err);
    kb_buf_free(&b);
    return r;
}

/* Bytes still readable from an output fd (pipe or pty master). */
static int readable(int fd)
{
    int n = 0;

    return fd >= 0 && ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

int agent_finish(struct agent *a, struct agent_proc *p, const char *cid, const char *eid,
                 kb_err *err)
{
    struct kb_msg_exit ex = { .container_id = (char *)cid, .exec_id = (char *)eid };
    struct kb_msg_wait_status w;
    struct kb_buf b = { 0 };
    int r;

    if (!p->exited || p->exit_sent)
        return 0;
    /* EXIT follows the output's EOF (PROTOCOL.md 3.12), unless a leftover
     * descendant keeps the output open after the pipe ran dry */
    if ((p->out.id && !p->out.eof_sent) || (p->err.id && !p->err.eof_sent)) {
        if (kb_now_ns() - p->exited_at < AGENT_EXIT_GRACE_NS || readable(p->out.fd) ||
            readable(p->err.fd))
            return 0;
        if (kb_ostream_close(&p->out, &a->conn, err) < 0 ||
            kb_ostream_close(&p->err, &a->conn, err) < 0)
            return -1;
    }
    kb_istream_fini(&p->in);
    wait_status(p, &w);
    ex.exit_code = w.exit_code;
    ex.term_signal = w.term_signal;
    /* an OOM kill that ended the init is told before its EXIT, whatever inotify said yet */
    if (!eid[0] && agent_oom_report(a, agent_find(a, cid), err) < 0)
        return -1;
    r = kb_msg_exit_encode(&b, &ex, err);
    if (r == 0)
        r = kb_conn_send(&a->conn, &b, err);
    kb_buf_free(&b);
    if (r < 0)
        return -1;
    p->exit_sent = true;
    for (unsigned i = 0; i < p->n_waiters; i++)
        if (agent_answer_wait(a, p->waiters[i], p, err) < 0)
            return -1;
    p->n_waiters = 0;
    return 0;
}
