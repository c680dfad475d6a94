/* The agent's protocol loop (PROTOCOL.md): one poll over the host
 * connection, SIGCHLD (signalfd) and every process's stdio. Requests are
 * decoded, checked and executed one at a time; the execution layer
 * (procs.c, core/container) never sees a wire struct it did not ask for. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "../../core/util.h"
#include "../../core/version.h"
#include "agent.h"

#define MAX_POLL (3 + 3 * (AGENT_MAX_CONTAINERS + AGENT_MAX_EXECS))

static int send_buf(struct agent *a, struct kb_buf *b, int r, kb_err *err)
{
    if (r == 0)
        r = kb_conn_send(&a->conn, b, err);
    kb_buf_free(b);
    return r;
}

static int reply_empty(struct agent *a, const struct kb_frame_hdr *h, kb_err *err)
{
    struct kb_buf b = { 0 };

    return send_buf(a, &b, kb_msg_empty_encode(&b, h->id, h->type, KB_FLAG_RESPONSE, err), err);
}

static int reply_error(struct agent *a, const struct kb_frame_hdr *h, const kb_err *why, kb_err *err)
{
    struct kb_msg_error e = { .errnum = (uint32_t)(why->errnum ? why->errnum : EIO),
                              .message = (char *)why->msg };
    struct kb_buf b = { 0 };

    return send_buf(a, &b, kb_msg_error_encode(&b, h->id, h->type, &e, err), err);
}

static int reply_pid(struct agent *a, const struct kb_frame_hdr *h, pid_t pid, kb_err *err)
{
    struct kb_msg_pid m = { .pid = (uint32_t)pid };
    struct kb_buf b = { 0 };

    return send_buf(a, &b, kb_msg_pid_encode(&b, h->id, h->type, &m, err), err);
}

static int do_hello(struct agent *a, const struct kb_frame_hdr *h, const struct kb_msg_hello *m,
                    kb_err *err)
{
    struct kb_msg_hello self;
    struct kb_buf b = { 0 };

    (void)m; /* the host decides whether it can talk to us (PROTOCOL.md 3.1) */
    kb_msg_hello_self(&self, kb_version());
    self.boottime_ns = a->ready_ns;
    a->hello_done = true;
    return send_buf(a, &b, kb_msg_hello_encode(&b, h->id, KB_FLAG_RESPONSE, &self, err), err);
}

static int reply_pids(struct agent *a, const struct kb_frame_hdr *h, struct agent_ctr *c,
                      kb_err *why, kb_err *err)
{
    struct kb_msg_pids m = { 0 };
    struct kb_msg msg = { .kind = KB_KIND_PIDS };
    struct kb_buf b = { 0 };
    struct kb_frame_hdr rh = { .id = h->id, .type = h->type, .flags = KB_FLAG_RESPONSE };
    int r;

    if (agent_cgroup_pids(c, &m.pids, &m.n_pids, why) < 0)
        return reply_error(a, h, why, err);
    msg.u.pids = m;
    r = kb_msg_encode(&b, &rh, &msg, err);
    free(m.pids);
    return send_buf(a, &b, r, err);
}

static int reply_stats(struct agent *a, const struct kb_frame_hdr *h, struct agent_ctr *c,
                       kb_err *why, kb_err *err)
{
    struct kb_msg msg = { .kind = KB_KIND_STATS };
    struct kb_buf b = { 0 };
    struct kb_frame_hdr rh = { .id = h->id, .type = h->type, .flags = KB_FLAG_RESPONSE };

    if (agent_cgroup_stats(c, &msg.u.stats, why) < 0)
        return reply_error(a, h, why, err);
    return send_buf(a, &b, kb_msg_encode(&b, &rh, &msg, err), err);
}

static int do_start(struct agent *a, const struct kb_msg_start *m, kb_err *err)
{
    struct agent_ctr *c = agent_find(a, m->container_id);

    if (!c)
        return kb_error(err, ENOENT, "container %s does not exist", m->container_id);
    if (c->started)
        return kb_error(err, EALREADY, "container %s was started already", m->container_id);
    c->started = true;
    return kb_container_start(&c->ctr, err);
}

/* Every process in the pid namespace of `pid` (signal --all). */
static int signal_all(pid_t pid, int sig, kb_err *err)
{
    char path[300], want[64], got[64];
    struct dirent *de;
    DIR *d;
    ssize_t n;

    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
    n = readlink(path, want, sizeof want - 1);
    if (n < 0)
        return kb_error_errno(err, "read %s", path);
    want[n] = '\0';
    d = opendir("/proc");
    if (!d)
        return kb_error_errno(err, "open /proc");
    while ((de = readdir(d))) {
        char *end;
        long p = strtol(de->d_name, &end, 10);
        if (*end || p <= 1)
            continue;
        snprintf(path, sizeof path, "/proc/%ld/ns/pid", p);
        n = readlink(path, got, sizeof got - 1);
        if (n < 0)
            continue;
        got[n] = '\0';
        if (strcmp(got, want) == 0)
            kill((pid_t)p, sig);
    }
    closedir(d);
    return 0;
}

static int do_signal(struct agent *a, const struct kb_msg_signal *m, kb_err *err)
{
    struct agent_proc *p = agent_proc_of(a, m->container_id, m->exec_id, err);

    if (!p)
        return -1;
    /* `all` is the container's: every process in its init's pid
     * namespace, whichever of its processes the request named */
    if (m->all)
        p = &agent_find(a, m->container_id)->init;
    if (p->exited || p->pid <= 0)
        return kb_error(err, ESRCH, "the process has exited");
    if (m->all)
        return signal_all(p->pid, (int)m->signal, err);
    if (kill(p->pid, (int)m->signal) < 0)
        return kb_error_errno(err, "kill %d", (int)p->pid);
    return 0;
}

static int do_resize(struct agent *a, const struct kb_msg_resize *m, kb_err *err)
{
    struct agent_proc *p = agent_proc_of(a, m->container_id, m->exec_id, err);
    struct winsize ws = { .ws_row = (unsigned short)m->rows, .ws_col = (unsigned short)m->cols };

    if (!p)
        return -1;
    if (p->pty_master < 0)
        return kb_error(err, ENOTTY, "the process has no terminal");
    if (ioctl(p->pty_master, TIOCSWINSZ, &ws) < 0)
        return kb_error_errno(err, "set the terminal size");
    return 0;
}

static int do_close_stdin(struct agent *a, const struct kb_msg_ref *m, kb_err *err)
{
    struct agent_proc *p = agent_proc_of(a, m->container_id, m->exec_id, err);

    if (!p)
        return -1;
    /* a pty has no stdin of its own to close */
    if (p->pty_master < 0 && p->in.id)
        p->in.eof_received = true;
    return 0;
}

static int do_wait(struct agent *a, const struct kb_frame_hdr *h, const struct kb_msg_ref *m,
                   kb_err *err)
{
    struct agent_proc *p = agent_proc_of(a, m->container_id, m->exec_id, err);

    if (!p)
        return -1;
    if (p->exit_sent)
        return agent_answer_wait(a, h->id, p, err);
    if (p->n_waiters == AGENT_MAX_WAITERS)
        return kb_error(err, EBUSY, "%d WAITs on this process already", AGENT_MAX_WAITERS);
    p->waiters[p->n_waiters++] = h->id;
    return 1; /* answered later */
}

/* Execute a decoded request; <0 with why filled becomes an error answer. */
static int execute(struct agent *a, const struct kb_frame_hdr *h, const struct kb_msg *m,
                   kb_err *why, kb_err *err)
{
    struct agent_ctr *c;
    pid_t pid;
    int r;

    switch (h->type) {
    case KB_MSG_HELLO:
        return do_hello(a, h, &m->u.hello, err);
    case KB_MSG_CREATE:
        r = agent_create(a, &m->u.create, why);
        break;
    case KB_MSG_START:
        if ((r = do_start(a, &m->u.start, why)) == 0) {
            c = agent_find(a, m->u.start.container_id);
            return reply_pid(a, h, c->init.pid, err);
        }
        break;
    case KB_MSG_EXEC:
        if ((r = agent_exec(a, &m->u.exec, &pid, why)) == 0)
            return reply_pid(a, h, pid, err);
        break;
    case KB_MSG_SIGNAL:
        r = do_signal(a, &m->u.signal, why);
        break;
    case KB_MSG_WAIT:
        r = do_wait(a, h, &m->u.ref, why);
        if (r >= 0)
            return 0;
        break;
    case KB_MSG_RESIZE:
        r = do_resize(a, &m->u.resize, why);
        break;
    case KB_MSG_CLOSE_STDIN:
        r = do_close_stdin(a, &m->u.ref, why);
        break;
    case KB_MSG_PAUSE:
    case KB_MSG_RESUME:
        if (!(c = agent_find(a, m->u.ref.container_id)))
            r = kb_error(why, ENOENT, "container %s does not exist", m->u.ref.container_id);
        else
            r = agent_cgroup_freeze(c, h->type == KB_MSG_PAUSE, why);
        break;
    case KB_MSG_PIDS:
        if (!(c = agent_find(a, m->u.ref.container_id))) {
            r = kb_error(why, ENOENT, "container %s does not exist", m->u.ref.container_id);
            break;
        }
        return reply_pids(a, h, c, why, err);
    case KB_MSG_STATS:
        if (!(c = agent_find(a, m->u.ref.container_id))) {
            r = kb_error(why, ENOENT, "container %s does not exist", m->u.ref.container_id);
            break;
        }
        return reply_stats(a, h, c, why, err);
    case KB_MSG_DELETE:
        r = agent_delete(a, m->u.ref.container_id, why);
        break;
    case KB_MSG_UPDATE: {
        struct kb_resources res;
        if (!(c = agent_find(a, m->u.update.container_id))) {
            r = kb_error(why, ENOENT, "container %s does not exist", m->u.update.container_id);
            break;
        }
        r = kb_resources_parse((const char *)m->u.update.resources, m->u.update.resources_len, &res, why);
        if (r == 0)
            r = agent_cgroup_apply(c, &res, why);
        kb_resources_free(&res);
        break;
    }
    case KB_MSG_SHUTDOWN:
        a->shutdown = true;
        r = 0;
        break;
    default:
        r = kb_error(why, ENOSYS, "%s is not supported by this agent", kb_msg_type_name(h->type));
    }
    if (r < 0)
        return reply_error(a, h, why, err);
    return reply_empty(a, h, err);
}

static int on_stream(struct agent *a, const struct kb_frame_hdr *h, const uint8_t *p, size_t len,
                     kb_err *err)
{
    struct agent_proc *proc = agent_proc_by_stream(a, h->id);
    struct kb_msg_credit cr;

    /* frames for a process that is gone are late, not wrong */
    if (!proc)
        return h->type == KB_MSG_CREDIT ? kb_msg_credit_decode(p, len, &cr, err) : 0;
    if (h->type == KB_MSG_STDIO) {
        if (h->id != proc->in.id || proc->in.fd < 0)
            return h->id == proc->in.id ? 0
                                        : kb_error(err, EPROTO, "STDIO on output stream %u", h->id);
        return kb_istream_data(&proc->in, &a->conn, p, len, h->flags & KB_FLAG_EOF, err);
    }
    if (kb_msg_credit_decode(p, len, &cr, err) < 0)
        return -1;
    if (h->id == proc->out.id)
        kb_ostream_credit(&proc->out, cr.bytes);
    else if (h->id == proc->err.id)
        kb_ostream_credit(&proc->err, cr.bytes);
    return 0;
}

static int on_frame(void *ctx, const struct kb_frame_hdr *h, const uint8_t *p, size_t len,
                    kb_err *err)
{
    struct agent *a = ctx;
    struct kb_msg m;
    kb_err why;
    int r;

    if (h->type == KB_MSG_STDIO || h->type == KB_MSG_CREDIT) {
        enum kb_msg_kind k;
        if (kb_msg_kind_of(h, &k, err) < 0)
            return -1;
        return on_stream(a, h, p, len, err);
    }
    if (h->flags & KB_FLAG_RESPONSE || h->id == 0)
        return kb_error(err, EPROTO, "unexpected %s frame (id %u, flags %#x) from the host",
                        kb_msg_type_name(h->type), h->id, h->flags);
    if (!a->hello_done && h->type != KB_MSG_HELLO)
        return kb_error(err, EPROTO, "%s before HELLO", kb_msg_type_name(h->type));
    if (kb_msg_decode(h, p, len, &m, &why) < 0) {
        if (!why.errnum || why.errnum != ENOSYS)
            why.errnum = EPROTO;
        return reply_error(a, h, &why, err);
    }
    r = execute(a, h, &m, &why, err);
    kb_msg_free(&m);
    return r;
}

static void reap_children(struct agent *a, kb_err *err)
{
    struct signalfd_siginfo si;
    int st;
    pid_t pid;

    while (read(a->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
        ;
    /* PID 1 reaps every orphan in the VM, not only our containers */
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        const char *cid, *eid;
        agent_reaped(a, pid, st, &cid, &eid);
    }
    (void)err;
}

/* EXIT for p if it can be reported now; else *timeout says when to try again. */
static int finish(struct agent *a, struct agent_proc *p, const char *cid, const char *eid,
                  int *timeout, kb_err *err)
{
    if (!p->exited || p->exit_sent)
        return 0;
    if (agent_finish(a, p, cid, eid, err) < 0)
        return -1;
    if (!p->exit_sent)
        *timeout = 100; /* waiting for the output's end or its grace */
    return 0;
}

/* EXIT what can be reported; returns the poll timeout until the next try. */
static int finish_all(struct agent *a, kb_err *err)
{
    int timeout = -1;

    for (size_t i = 0; i < AGENT_MAX_CONTAINERS; i++) {
        struct agent_ctr *c = a->ctrs[i];
        if (!c)
            continue;
        if (finish(a, &c->init, c->id, "", &timeout, err) < 0)
            return -2;
        for (struct agent_exec **pe = &c->execs; *pe;) {
            struct agent_exec *e = *pe;
            if (finish(a, &e->proc, c->id, e->id, &timeout, err) < 0)
                return -2;
            if (!e->proc.exit_sent) {
                pe = &e->next;
                continue;
            }
            /* reported, its waiters answered: the exec id may be used again */
            *pe = e->next;
            agent_exec_free(e);
        }
    }
    return timeout;
}

int agent_oom_report(struct agent *a, struct agent_ctr *c, kb_err *err)
{
    struct kb_msg_oom m;
    struct kb_buf b = { 0 };
    uint64_t n;
    int r;

    if (!c || (n = agent_cgroup_oom_kills(c)) <= c->oom_sent)
        return 0;
    m = (struct kb_msg_oom){ .container_id = c->id, .oom_kills = n };
    r = kb_msg_oom_encode(&b, &m, err);
    if (r == 0)
        r = kb_conn_send(&a->conn, &b, err);
    kb_buf_free(&b);
    if (r == 0)
        c->oom_sent = n;
    return r;
}

/* memory.events of some container changed: tell the host of new OOM kills */
static int oom_events(struct agent *a, kb_err *err)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

    while (read(a->oomfd, buf, sizeof buf) > 0)
        ;
    for (size_t i = 0; i < AGENT_MAX_CONTAINERS; i++)
        if (agent_oom_report(a, a->ctrs[i], err) < 0)
            return -1;
    return 0;
}

static void add_proc_fds(struct agent_proc *p, bool conn_busy, struct pollfd *pf, int *n,
                         struct agent_proc **owner, int *which)
{
    struct { int fd; short ev; bool on; int w; } s[] = {
        { p->out.fd, POLLIN, !conn_busy && kb_ostream_want_read(&p->out), 1 },
        { p->err.fd, POLLIN, !conn_busy && kb_ostream_want_read(&p->err), 2 },
        { p->in.fd, POLLOUT, kb_istream_want_write(&p->in), 0 },
    };

    for (size_t i = 0; i < KB_ARRAY_SIZE(s); i++) {
        if (!s[i].on)
            continue;
        pf[*n] = (struct pollfd){ s[i].fd, s[i].ev, 0 };
        owner[*n] = p;
        which[*n] = s[i].w;
        (*n)++;
    }
}

static int serve_once(struct agent *a, kb_err *err)
{
    struct pollfd pf[MAX_POLL];
    struct agent_proc *owner[MAX_POLL];
    int which[MAX_POLL], n = 0, timeout;
    /* stop reading output while the host is slow to take what we sent */
    bool conn_busy = kb_conn_pending(&a->conn) > (1u << 20);

    timeout = finish_all(a, err);
    if (timeout == -2)
        return -1;
    pf[n++] = (struct pollfd){ a->conn.fd, (short)(POLLIN | (kb_conn_pending(&a->conn) ? POLLOUT : 0)), 0 };
    pf[n++] = (struct pollfd){ a->sigfd, POLLIN, 0 };
    pf[n++] = (struct pollfd){ a->oomfd, POLLIN, 0 };   /* -1: ignored by poll */
    for (size_t i = 0; i < AGENT_MAX_CONTAINERS; i++) {
        if (!a->ctrs[i])
            continue;
        add_proc_fds(&a->ctrs[i]->init, conn_busy, pf, &n, owner, which);
        for (struct agent_exec *e = a->ctrs[i]->execs; e; e = e->next)
            add_proc_fds(&e->proc, conn_busy, pf, &n, owner, which);
    }
    if (poll(pf, (nfds_t)n, timeout) < 0) {
        if (errno == EINTR)
            return 0;
        return kb_error_errno(err, "poll");
    }
    /* before the exits this poll saw: an OOM kill precedes the EXIT it caused */
    if (pf[2].revents && oom_events(a, err) < 0)
        return -1;
    if (pf[1].revents)
        reap_children(a, err);
    if (pf[0].revents & POLLOUT && kb_conn_flush(&a->conn, err) < 0)
        return -1;
    if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (kb_conn_receive(&a->conn, on_frame, a, err) < 0)
            return -1;
        if (a->conn.eof)
            return 0;
    }
    for (int i = 3; i < n; i++) {
        struct agent_proc *p = owner[i];
        int r = 0;
        if (!pf[i].revents)
            continue;
        if (which[i] == 0)
            r = kb_istream_pump(&p->in, &a->conn, err);
        else
            r = kb_ostream_pump(which[i] == 1 ? &p->out : &p->err, &a->conn, err);
        if (r < 0)
            return -1;
    }
    return 0;
}

static void kill_everything(struct agent *a)
{
    for (size_t i = 0; i < AGENT_MAX_CONTAINERS; i++) {
        if (!a->ctrs[i])
            continue;
        if (a->ctrs[i]->init.pid > 0 && !a->ctrs[i]->init.exited)
            kill(a->ctrs[i]->init.pid, SIGKILL);
        agent_ctr_free(a->ctrs[i]);
        a->ctrs[i] = NULL;
    }
}

int agent_serve(int fd, uint64_t ready_ns, bool wait_for_host)
{
    struct agent a = { .conn.fd = -1, .sigfd = -1, .oomfd = -1, .ready_ns = ready_ns };
    sigset_t chld;
    kb_err err;
    int left_early = 0;

    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    signal(SIGPIPE, SIG_IGN);
    a.sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (a.sigfd < 0) {
        kb_error_errno(&err, "signalfd");
        close(fd);
        goto fail;
    }
    /* without it OOM kills are still told, at their container's end */
    a.oomfd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (a.oomfd < 0)
        fprintf(stderr, "katabox: kata-agent: inotify: %s\n", strerror(errno));
    if (kb_conn_init(&a.conn, fd, &err) < 0)
        goto fail;
    for (;;) {
        if (serve_once(&a, &err) < 0)
            goto fail;
        if (a.shutdown) {
            (void)kb_conn_drain(&a.conn, 2000, &err);
            break;
        }
        if (a.conn.eof) {
            /* the host has not connected yet: QEMU reports no host as EOF */
            if (!a.hello_done && wait_for_host) {
                a.conn.eof = 0;
                usleep(5000);
                continue;
            }
            if (!a.hello_done) {
                left_early = 1;
                break;
            }
            fprintf(stderr, "katabox: kata-agent: the host closed the agent connection\n");
            break;
        }
    }
    kill_everything(&a);
    kb_conn_fini(&a.conn);
    close(a.sigfd);
    if (a.oomfd >= 0)
        close(a.oomfd);
    return left_early;
fail:
    kb_error_print("kata-agent", &err);
    {
        /* tell the host why before going away, if it still listens */
        struct kb_msg_error e = { .errnum = (uint32_t)(err.errnum ? err.errnum : EPROTO),
                                  .message = err.msg };
        struct kb_buf b = { 0 };
        kb_err ignored;
        if (a.conn.fd >= 0 && kb_msg_error_encode(&b, 0, KB_MSG_ERROR, &e, &ignored) == 0 &&
            kb_conn_send(&a.conn, &b, &ignored) == 0)
            (void)kb_conn_drain(&a.conn, 1000, &ignored);
        kb_buf_free(&b);
    }
    kill_everything(&a);
    kb_conn_fini(&a.conn);
    if (a.sigfd >= 0)
        close(a.sigfd);
    if (a.oomfd >= 0)
        close(a.oomfd);
    return 0;
}
