#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../proto/stream.h"
#include "../tty.h"
#include "../util.h"
#include "binds.h"
#include "exec.h"

/* the container's init gets the first stream base; execs the next (exec.c) */
#define INIT_STREAMS 4
/* host stdio is not ours to make non-blocking: write at most a page per
 * readiness, which a pipe that polled writable always takes */
#define HOST_WRITE 4096

static int on_exit_event(struct kb_relay *r, const uint8_t *p, size_t len, kb_err *err)
{
    struct kb_msg_exit ex;

    if (kb_msg_exit_decode(p, len, &ex, err) < 0)
        return -1;
    int status = ex.term_signal ? 128 + (int)ex.term_signal : (int)ex.exit_code;
    if (strcmp(ex.container_id, r->id) == 0 && !ex.exec_id[0]) {
        r->exited = 1;
        r->status = status;
    } else {
        kb_exec_exited(r, ex.container_id, ex.exec_id, status);
    }
    kb_msg_exit_free(&ex);
    return 0;
}

/* The guest counted OOM kills in a container: whoever runs it hears, before its exit. */
static int on_oom_event(struct kb_relay *r, const uint8_t *p, size_t len, kb_err *err)
{
    struct kb_msg_oom m;
    struct kb_relay_exec *e;

    if (kb_msg_oom_decode(p, len, &m, err) < 0)
        return -1;
    if (strcmp(m.container_id, r->id) == 0 && r->oom_file) {
        char line[32];
        int n = snprintf(line, sizeof line, "%llu\n", (unsigned long long)m.oom_kills);
        int fd = open(r->oom_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, line, (size_t)n) != n)
            fprintf(stderr, "katabox: kata-runtime: write %s: %s\n", r->oom_file, strerror(errno));
        if (fd >= 0)
            close(fd);
    } else if ((e = kb_exec_member(r, m.container_id))) {
        kb_exec_oom(e, m.oom_kills);
    }
    kb_msg_oom_free(&m);
    return 0;
}

static int on_frame(void *ctx, const struct kb_frame_hdr *h, const uint8_t *p, size_t len,
                    kb_err *err)
{
    struct kb_relay *r = ctx;
    struct kb_conn *c = &r->sb->agent.conn;
    enum kb_msg_kind kind;
    struct kb_msg m;

    if (kb_msg_kind_of(h, &kind, err) < 0)
        return -1;
    if ((kind == KB_KIND_STDIO || kind == KB_KIND_CREDIT) && (h->id & ~3u) != r->in.id) {
        struct kb_relay_exec *e = kb_exec_by_stream(r, h->id);
        /* an exec's stream after it was freed: late, not wrong */
        return e ? kb_exec_stream_frame(r, e, h, p, len, err) : 0;
    }
    switch (kind) {
    case KB_KIND_STDIO:
        if (h->id == r->out.id)
            return kb_istream_data(&r->out, c, p, len, h->flags & KB_FLAG_EOF, err);
        if (h->id == r->err.id && !r->io->terminal)
            return kb_istream_data(&r->err, c, p, len, h->flags & KB_FLAG_EOF, err);
        return kb_error(err, EPROTO, "agent sent STDIO on stream %u, which is not an output", h->id);
    case KB_KIND_CREDIT:
        if (h->id != r->in.id)
            return kb_error(err, EPROTO, "agent sent CREDIT on stream %u, which is not an input", h->id);
        if (kb_msg_decode(h, p, len, &m, err) < 0)
            return -1;
        kb_ostream_credit(&r->in, m.u.credit.bytes);
        return 0;
    case KB_KIND_EXIT:
        return on_exit_event(r, p, len, err);
    case KB_KIND_OOM:
        return on_oom_event(r, p, len, err);
    default:
        /* answers to SIGNAL and RESIZE nobody waits for: a signal that
         * finds the process gone is not an error; a bad frame is */
        if (!(h->flags & KB_FLAG_RESPONSE))
            return kb_error(err, EPROTO, "unexpected %s request from the agent",
                            kb_msg_type_name(h->type));
        if (kb_msg_decode(h, p, len, &m, err) < 0)
            return -1;
        kb_msg_free(&m);
        return 0;
    }
}

/* The container a request names: the relay's (cid NULL, or its id) or a pod member's init (*mp). */
static int target(struct kb_relay *r, const char *cid, const char **id, struct kb_relay_exec **mp, kb_err *err)
{
    *mp = NULL;
    *id = r->id;
    if (!cid || strcmp(cid, r->id) == 0)
        return 0;
    if (!(*mp = kb_exec_member(r, cid)))
        return kb_error(err, ESRCH, "container %s is not running in this sandbox", cid);
    *id = (*mp)->cid;
    return 0;
}

static int has_exited(const struct kb_relay *r, const struct kb_relay_exec *m)
{
    return m ? m->exited : r->exited;
}

static int has_started(const struct kb_relay *r, const struct kb_relay_exec *m)
{
    return m ? m->started : r->started;
}

int kb_relay_resize(struct kb_relay *r, const char *cid, unsigned rows, unsigned cols, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_RESIZE };
    struct kb_relay_exec *mem;
    const char *id;

    if (target(r, cid, &id, &mem, err) < 0)
        return -1;
    if (!(mem ? mem->terminal : r->io->terminal))
        return kb_error(err, ENOTTY, "the container has no terminal");
    m.u.resize = (struct kb_msg_resize){ .container_id = (char *)id, .exec_id = "",
                                         .rows = rows, .cols = cols };
    return kb_agent_send(&r->sb->agent, KB_MSG_RESIZE, &m, NULL, err);
}

static int send_resize(struct kb_relay *r, kb_err *err)
{
    unsigned rows, cols;

    /* a terminal without a size (a pty nobody sized) keeps process.consoleSize */
    if (r->io->tty < 0 || kb_tty_size(r->io->tty, &rows, &cols) < 0 || (!rows && !cols))
        return 0;
    return kb_relay_resize(r, NULL, rows, cols, err);
}

static int forward_signals(struct kb_relay *r, kb_err *err)
{
    struct signalfd_siginfo si;

    while (read(r->io->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;

        if (sig == SIGCHLD || sig == SIGPIPE || sig == SIGURG)
            continue;
        if (sig == SIGWINCH) {
            if (r->io->terminal && send_resize(r, err) < 0)
                return -1;
            continue;
        }
        /* before start, the container waits and is not the signal's target yet */
        if (r->exited || !r->started)
            continue;
        if (kb_relay_signal(r, NULL, sig, 0, err) < 0)
            return -1;
    }
    return 0;
}

int kb_relay_signalfd(kb_err *err)
{
    /* every signal a user may send goes to the container; the ones that
     * report our own faults stay ours */
    static const int own[] = { SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS,
                               SIGKILL, SIGSTOP };
    sigset_t set;
    int fd;

    sigfillset(&set);
    for (size_t i = 0; i < KB_ARRAY_SIZE(own); i++)
        sigdelset(&set, own[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return kb_error_errno(err, "block signals");
    fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0)
        return kb_error_errno(err, "signalfd");
    return fd;
}

int kb_relay_signal(struct kb_relay *r, const char *cid, int sig, int all, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_SIGNAL };
    struct kb_relay_exec *mem;
    const char *id;

    if (target(r, cid, &id, &mem, err) < 0)
        return -1;
    if (has_exited(r, mem))
        return kb_error(err, ESRCH, "container not running");
    m.u.signal = (struct kb_msg_signal){ .container_id = (char *)id, .exec_id = "",
                                         .signal = (uint32_t)sig, .all = all != 0 };
    return kb_agent_send(&r->sb->agent, KB_MSG_SIGNAL, &m, NULL, err);
}

int kb_write_pid_file(const char *path, pid_t pid, kb_err *err)
{
    char tmp[4096], buf[32];
    int fd, n;

    /* written whole, then renamed, so a reader never sees half of it (as runc) */
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return kb_error(err, ENAMETOOLONG, "--pid-file %s", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return kb_error_errno(err, "--pid-file: create %s", tmp);
    n = snprintf(buf, sizeof buf, "%d", (int)pid);
    if (kb_write_all(fd, buf, (size_t)n) < 0 || close(fd) < 0) {
        unlink(tmp);
        return kb_error_errno(err, "--pid-file: write %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        unlink(tmp);
        return kb_error_errno(err, "--pid-file: rename to %s", path);
    }
    return 0;
}

int kb_relay_create(struct kb_relay *r, struct kb_sandbox *sb, const char *id, const char *config,
                    size_t len, const struct kb_run_io *io, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_CREATE };
    char rootfs[1200];

    memset(r, 0, sizeof *r);
    r->sb = sb;
    r->id = id;
    r->io = io;
    kb_ostream_init(&r->in, INIT_STREAMS + KB_STREAM_STDIN, io->in, 0);
    kb_istream_init(&r->out, INIT_STREAMS + KB_STREAM_STDOUT, io->out, 0, HOST_WRITE);
    kb_istream_init(&r->err, INIT_STREAMS + KB_STREAM_STDERR, io->err, 0, HOST_WRITE);
    sb->agent.on_frame = on_frame;
    sb->agent.ctx = r;
    if (len + 4096 > KB_PROTO_MAX_PAYLOAD)
        return kb_error(err, EFBIG, "config.json is %zu bytes; the agent takes at most %d",
                        len, KB_PROTO_MAX_PAYLOAD - 4096);
    /* one mount point per container: a sandbox may hold several */
    snprintf(rootfs, sizeof rootfs, "%s/%s/rootfs", KB_GUEST_CONTAINERS, id);
    m.u.create = (struct kb_msg_create){ .container_id = (char *)id,
                                         .oci_config = (uint8_t *)config,
                                         .oci_config_len = len,
                                         .rootfs = rootfs,
                                         .stream_base = INIT_STREAMS,
                                         .rootfs_tag = KB_ROOTFS_TAG,
                                         .binds_tag = sb->n_binds ? KB_BINDS_TAG : "",
                                         .bundle = sb->bundle };
    if (kb_agent_call(&sb->agent, KB_MSG_CREATE, &m, NULL, 60000, err) < 0)
        return -1;
    sb->t.created = kb_now_ns();
    if (io->terminal && send_resize(r, err) < 0)
        return -1;
    return 0;
}

int kb_relay_start(struct kb_relay *r, const char *cid, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_START }, resp;
    struct kb_relay_exec *mem;
    const char *id;

    if (target(r, cid, &id, &mem, err) < 0)
        return -1;
    if (has_started(r, mem))
        return kb_error(err, EALREADY, "container %s was started already", id);
    m.u.start.container_id = (char *)id;
    if (kb_agent_call(&r->sb->agent, KB_MSG_START, &m, &resp, 60000, err) < 0)
        return -1;
    kb_msg_free(&resp);
    if (mem) {
        mem->started = 1;
        return 0;
    }
    r->pid = resp.u.pid.pid;
    r->started = 1;
    r->sb->t.started = kb_now_ns();
    if (r->io->pid_file && kb_write_pid_file(r->io->pid_file, getpid(), err) < 0)
        return -1;
    return 0;
}

/* Execs die with the init (its pid namespace goes): their exits are
 * waited for a moment, not for ever. */
#define EXEC_GRACE_NS (2ull * 1000000000u)

static int relay_done(const struct kb_relay *r, uint64_t *init_done_at)
{
    if (!r->exited || kb_istream_want_write(&r->out) || kb_istream_want_write(&r->err))
        return 0;
    if (!*init_done_at)
        *init_done_at = kb_now_ns();
    return !kb_exec_any(r) || kb_now_ns() - *init_done_at > EXEC_GRACE_NS;
}

int kb_relay_wait(struct kb_relay *r, const struct kb_relay_ctl *ctl, int *status, kb_err *err)
{
    struct kb_agent *a = &r->sb->agent;
    uint64_t init_done_at = 0;

    while (!relay_done(r, &init_done_at)) {
        struct pollfd p[8 + KB_RELAY_MAX_EXECS * KB_EXEC_POLLFDS];
        int map[KB_RELAY_MAX_EXECS * KB_EXEC_POLLFDS];
        int n = kb_agent_pollfds(a, p), na = n, i_sig, i_in = -1, i_out = -1, i_err = -1, i_ctl = -1;
        int i_exec, n_exec;

        i_sig = n;
        p[n++] = (struct pollfd){ r->io->sigfd, POLLIN, 0 };
        if (ctl)
            p[i_ctl = n++] = (struct pollfd){ ctl->fd, POLLIN, 0 };
        if (!r->exited && kb_ostream_want_read(&r->in))
            p[i_in = n++] = (struct pollfd){ r->in.fd, POLLIN, 0 };
        if (kb_istream_want_write(&r->out))
            p[i_out = n++] = (struct pollfd){ r->out.fd, POLLOUT, 0 };
        if (kb_istream_want_write(&r->err))
            p[i_err = n++] = (struct pollfd){ r->err.fd, POLLOUT, 0 };
        i_exec = n;
        n_exec = kb_exec_pollfds(r, p + n, KB_RELAY_MAX_EXECS * KB_EXEC_POLLFDS, map);
        n += n_exec;
        if (poll(p, (nfds_t)n, init_done_at ? 100 : -1) < 0) {
            if (errno == EINTR)
                continue;
            return kb_error_errno(err, "poll");
        }
        if (p[i_sig].revents && forward_signals(r, err) < 0)
            return -1;
        if (i_ctl >= 0 && p[i_ctl].revents && ctl->on_ready(ctl->ctx, r, err) < 0)
            return -1;
        if (i_out >= 0 && p[i_out].revents && kb_istream_pump(&r->out, &a->conn, err) < 0)
            return -1;
        if (i_err >= 0 && p[i_err].revents && kb_istream_pump(&r->err, &a->conn, err) < 0)
            return -1;
        if (i_in >= 0 && p[i_in].revents && kb_ostream_pump(&r->in, &a->conn, err) < 0)
            return -1;
        if (kb_agent_service(a, p, na, err) < 0)
            return -1;
        /* after the agent's frames: an EXIT there may end an exec here */
        if (kb_exec_service(r, p + i_exec, map, n_exec, err) < 0)
            return -1;
    }
    r->sb->t.exited = kb_now_ns();
    *status = r->status;
    return 0;
}

void kb_relay_fini(struct kb_relay *r)
{
    if (r->sb) {
        r->sb->agent.on_frame = NULL;
        r->sb->agent.ctx = NULL;
    }
    kb_istream_fini(&r->out);
    kb_istream_fini(&r->err);
    kb_ostream_fini(&r->in);
    kb_exec_fini_all(r);
}

int kb_relay_pause(struct kb_relay *r, const char *cid, int pause, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_REF };
    struct kb_relay_exec *mem;
    const char *id;

    if (target(r, cid, &id, &mem, err) < 0)
        return -1;
    if (has_exited(r, mem) || !has_started(r, mem))
        return kb_error(err, 0, "container not running");
    m.u.ref = (struct kb_msg_ref){ .container_id = (char *)id, .exec_id = "" };
    return kb_agent_call(&r->sb->agent, pause ? KB_MSG_PAUSE : KB_MSG_RESUME, &m, NULL, 10000, err);
}

int kb_relay_pids(struct kb_relay *r, const char *cid, struct kb_msg_pids *pids, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_REF }, resp;
    struct kb_relay_exec *mem;
    const char *id;

    memset(pids, 0, sizeof *pids);
    if (target(r, cid, &id, &mem, err) < 0)
        return -1;
    if (has_exited(r, mem))
        return 0;
    m.u.ref = (struct kb_msg_ref){ .container_id = (char *)id, .exec_id = "" };
    if (kb_agent_call(&r->sb->agent, KB_MSG_PIDS, &m, &resp, 10000, err) < 0)
        return -1;
    *pids = resp.u.pids;
    return 0;
}

int kb_relay_stats(struct kb_relay *r, const char *cid, struct kb_msg_stats *st, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_REF }, resp;
    struct kb_relay_exec *mem;
    const char *id;

    if (target(r, cid, &id, &mem, err) < 0)
        return -1;
    if (has_exited(r, mem))
        return kb_error(err, 0, "container not running");
    m.u.ref = (struct kb_msg_ref){ .container_id = (char *)id, .exec_id = "" };
    if (kb_agent_call(&r->sb->agent, KB_MSG_STATS, &m, &resp, 10000, err) < 0)
        return -1;
    *st = resp.u.stats;
    return 0;
}

int kb_relay_update(struct kb_relay *r, const char *cid, const char *json, size_t len, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_UPDATE };
    struct kb_relay_exec *mem;
    const char *id;

    if (target(r, cid, &id, &mem, err) < 0)
        return -1;
    if (has_exited(r, mem))
        return kb_error(err, 0, "container not running");
    m.u.update = (struct kb_msg_update){ .container_id = (char *)id,
                                         .resources = (uint8_t *)json, .resources_len = len };
    return kb_agent_call(&r->sb->agent, KB_MSG_UPDATE, &m, NULL, 10000, err);
}

int kb_relay_init_pid(struct kb_relay *r, uint32_t *pid, kb_err *err)
{
    struct kb_msg_pids p;

    if (r->pid) {
        *pid = r->pid;
        return 0;
    }
    /* created, not started: the init is its cgroup's one process (it joins before anything runs) */
    if (kb_relay_pids(r, NULL, &p, err) < 0)
        return -1;
    if (p.n_pids != 1) {
        free(p.pids);
        return kb_error(err, ESRCH, "the sandbox's container %s has %zu processes, not its init alone",
                        r->id, p.n_pids);
    }
    *pid = p.pids[0];
    free(p.pids);
    return 0;
}

int kb_relay_delete(struct kb_relay *r, const char *cid, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_REF };

    if (!cid || strcmp(cid, r->id) == 0)
        return kb_error(err, EINVAL, "the sandbox's own container %s goes with the VM", r->id);
    m.u.ref = (struct kb_msg_ref){ .container_id = (char *)cid, .exec_id = "" };
    return kb_agent_call(&r->sb->agent, KB_MSG_DELETE, &m, NULL, 10000, err);
}
