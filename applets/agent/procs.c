/* The agent's containers and processes: creating a container with its
 * stdio (pipes, or a pty when process.terminal is set), finding processes
 * by id or stream, and reporting their end to the host. */
#include <errno.h>
#include <fcntl.h>
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

void agent_ctr_free(struct agent_ctr *c)
{
    if (!c)
        return;
    proc_fini(&c->init);
    kb_container_release(&c->ctr);
    if (c->share_mounted)
        umount2(c->rootfs, MNT_DETACH);
    if (c->binds) {
        umount2(c->binds, MNT_DETACH);
        rmdir(c->binds);
        free(c->binds);
    }
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

/* Point the spec's bind mounts at their sources in the host's share
 * (entry i is the source of mounts[i]: core/sandbox/binds.h). */
static int use_binds(struct agent_ctr *c, const char *tag, kb_err *err)
{
    if (asprintf(&c->binds, "%s/%s", KB_GUEST_BINDS, c->id) < 0) {
        c->binds = NULL;
        return kb_error(err, ENOMEM, "bind sources");
    }
    if (mount_share(tag, c->binds, MS_NOSUID, err) < 0) {
        free(c->binds);
        c->binds = NULL;
        return -1;
    }
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

/* A pty from the agent's devpts: the master stays here, the slave becomes
 * the container's terminal. */
static int open_pty(struct agent_proc *p, const struct kb_process *proc, int *slave, kb_err *err)
{
    char name[64];
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

    if (m < 0)
        return kb_error_errno(err, "open a pty");
    if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0) {
        close(m);
        return kb_error_errno(err, "unlock the pty");
    }
    *slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*slave < 0) {
        close(m);
        return kb_error_errno(err, "open %s", name);
    }
    if (proc->console_rows || proc->console_cols) {
        struct winsize ws = { .ws_row = (unsigned short)proc->console_rows,
                              .ws_col = (unsigned short)proc->console_cols };
        ioctl(m, TIOCSWINSZ, &ws);
    }
    p->pty_master = m;
    return set_nonblock(m, err);
}

/* Connect a new process's stdio to streams at base; child_io gets the
 * ends the process keeps (the caller closes them after the fork). */
static int open_stdio(struct agent_proc *p, uint32_t base, const struct kb_process *proc,
                      struct kb_ctr_io *child_io, kb_err *err)
{
    int in[2] = { -1, -1 }, out[2] = { -1, -1 }, er[2] = { -1, -1 };

    child_io->in = child_io->out = child_io->err = child_io->pty_slave = -1;
    p->stream_base = base;
    if (!base)
        return 0;
    if (proc->terminal) {
        if (open_pty(p, proc, &child_io->pty_slave, err) < 0)
            return -1;
        kb_istream_init(&p->in, base + KB_STREAM_STDIN, p->pty_master, 0, 0);
        kb_ostream_init(&p->out, base + KB_STREAM_STDOUT, p->pty_master, 0);
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
    int *fds[] = { &io->in, &io->out, &io->err, &io->pty_slave };

    for (size_t i = 0; i < KB_ARRAY_SIZE(fds); i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
}

int agent_create(struct agent *a, const struct kb_msg_create *m, kb_err *err)
{
    struct kb_ctr_io io = { -1, -1, -1, -1 };
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
    if (m->rootfs_tag[0]) {
        if ((r = mount_share(m->rootfs_tag, c->rootfs, MS_NOSUID | MS_NODEV, err)) < 0)
            goto out;
        c->share_mounted = true;
    }
    if (m->binds_tag[0] && (r = use_binds(c, m->binds_tag, err)) < 0)
        goto out;
    if ((r = open_stdio(&c->init, m->stream_base, &c->spec.process, &io, err)) < 0)
        goto out;
    r = kb_container_create(&c->spec, c->rootfs, &io, &c->ctr, err);
    close_child_io(&io);
    if (r < 0)
        goto out;
    c->init.pid = c->ctr.pid;
    a->ctrs[slot] = c;
    return 0;
out:
    agent_ctr_free(c);
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
        kb_error(err, ENOENT, "container %s has no process %s", cid, eid);
        return NULL;
    }
    return &c->init;
}

struct agent_proc *agent_proc_by_stream(struct agent *a, uint32_t id)
{
    uint32_t base = id & ~3u;

    for (size_t i = 0; i < AGENT_MAX_CONTAINERS; i++)
        if (a->ctrs[i] && a->ctrs[i]->init.stream_base == base)
            return &a->ctrs[i]->init;
    return NULL;
}

struct agent_proc *agent_reaped(struct agent *a, pid_t pid, int wstatus, const char **cid,
                                const char **eid)
{
    for (size_t i = 0; i < AGENT_MAX_CONTAINERS; i++) {
        struct agent_ctr *c = a->ctrs[i];
        if (c && c->init.pid == pid && !c->init.exited) {
            c->init.exited = true;
            c->init.wstatus = wstatus;
            c->init.exited_at = kb_now_ns();
            *cid = c->id;
            *eid = "";
            return &c->init;
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
