/* Processes added to a running container (runc exec): each has a stream
 * base of its own after the init's, the stdio fds the exec command passed
 * to the keeper, and the command's connection, which may send "kill SIG"
 * and "resize ROWS COLS" lines and gets "exit STATUS" when the process has
 * exited and its output is out. If the command goes away the process runs
 * on, relayed, as under runc. */
#include "exec.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util.h"
#include "pod.h"

/* stream bases: the init has 4; exec n gets 8 + 4n (never reused) */
#define EXEC_STREAMS 8
/* host fds are not ours to make non-blocking: a page per readiness */
#define HOST_WRITE 4096

static void say(struct kb_relay_exec *e, const char *fmt, int a, int b)
{
    char line[64];
    int n = snprintf(line, sizeof line, fmt, a, b);

    if (e->client >= 0)
        (void)!send(e->client, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void free_exec(struct kb_relay_exec *e)
{
    free(e->cid);
    kb_closep(&e->client);
    kb_ostream_fini(&e->in);
    kb_istream_fini(&e->out);
    kb_istream_fini(&e->err);
    free(e);
}

struct kb_relay_exec *kb_exec_member(struct kb_relay *r, const char *cid)
{
    for (unsigned i = 0; i < KB_RELAY_MAX_EXECS; i++)
        if (r->execs[i] && r->execs[i]->member && strcmp(r->execs[i]->cid, cid) == 0)
            return r->execs[i];
    return NULL;
}

/* A new process of container cid with the next stream base, holding fds
 * (taken), registered in a free slot (*slot): its output may arrive before
 * the agent's answer. NULL and err when there is none to give. */
static struct kb_relay_exec *proc_new(struct kb_relay *r, const char *cid, int terminal, int fds[3],
                                      unsigned *slot, kb_err *err)
{
    struct kb_relay_exec *e = NULL;
    unsigned n = r->n_execs_ever;
    uint32_t base = EXEC_STREAMS + 4 * n;

    for (*slot = 0; *slot < KB_RELAY_MAX_EXECS && r->execs[*slot]; (*slot)++)
        ;
    if (*slot == KB_RELAY_MAX_EXECS)
        kb_error(err, EAGAIN, "%d processes are exec'ed already", KB_RELAY_MAX_EXECS);
    else if (base < EXEC_STREAMS)
        kb_error(err, EOVERFLOW, "out of stream ids");
    else if (!(e = calloc(1, sizeof *e)) || !(e->cid = strdup(cid)))
        kb_error(err, ENOMEM, "a process for %s", cid);
    if (!e || !e->cid) {
        free(e);
        return NULL;
    }
    r->n_execs_ever++;
    e->terminal = terminal;
    e->client = -1;
    /* the streams own the fds from here */
    kb_ostream_init(&e->in, base + KB_STREAM_STDIN, kb_steal_fd(&fds[0]), 1);
    kb_istream_init(&e->out, base + KB_STREAM_STDOUT, kb_steal_fd(&fds[1]), 1, HOST_WRITE);
    kb_istream_init(&e->err, base + KB_STREAM_STDERR, kb_steal_fd(&fds[2]), 1, HOST_WRITE);
    r->execs[*slot] = e;
    return e;
}

int kb_relay_add(struct kb_relay *r, const char *cid, const char *bundle, const char *json, size_t len,
                 int terminal, int binds, int fds[3], int client, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_CREATE };
    struct kb_relay_exec *e = NULL;
    char rootfs[1200];
    unsigned slot;
    int rc = -1;

    if (r->exited || !r->sb->agent_open)
        kb_error(err, ESRCH, "the sandbox has stopped");
    else if (!strcmp(cid, r->id) || kb_exec_member(r, cid))
        kb_error(err, EEXIST, "container %s already exists in this sandbox", cid);
    else if (len + 4096 > KB_PROTO_MAX_PAYLOAD)
        kb_error(err, EFBIG, "config.json is %zu bytes; the agent takes at most %d", len,
                 KB_PROTO_MAX_PAYLOAD - 4096);
    else
        e = proc_new(r, cid, terminal, fds, &slot, err);
    if (!e)
        goto out;
    e->member = 1;
    snprintf(rootfs, sizeof rootfs, "%s/%s/rootfs", KB_GUEST_POD, cid);
    m.u.create = (struct kb_msg_create){ .container_id = (char *)cid, .oci_config = (uint8_t *)json,
                                         .oci_config_len = len, .rootfs = rootfs,
                                         .stream_base = e->in.id - KB_STREAM_STDIN, .rootfs_tag = KB_POD_TAG,
                                         .binds_tag = binds ? KB_POD_TAG : "", .bundle = (char *)bundle };
    if (kb_agent_call(&r->sb->agent, KB_MSG_CREATE, &m, NULL, 60000, err) < 0) {
        r->execs[slot] = NULL;
        free_exec(e);
        goto out;
    }
    e->client = client;
    say(e, "ok\n", 0, 0);
    rc = 0;
out:
    for (int i = 0; i < 3; i++)
        kb_closep(&fds[i]);
    return rc;
}

int kb_relay_exec(struct kb_relay *r, const struct kb_msg_exec *x, int fds[3], int client, kb_err *err)
{
    struct kb_msg m = { .kind = KB_KIND_EXEC }, resp;
    struct kb_relay_exec *e = NULL, *in = kb_exec_member(r, x->container_id);
    unsigned slot;
    int rc = -1;

    if (!in && x->container_id && x->container_id[0] && strcmp(x->container_id, r->id) != 0)
        kb_error(err, ESRCH, "container %s is not running in this sandbox", x->container_id);
    else if ((in ? in->exited : r->exited) || !r->sb->agent_open)
        kb_error(err, 0, "cannot exec in a stopped container");
    else
        e = proc_new(r, in ? in->cid : r->id, x->process.terminal, fds, &slot, err);
    if (!e)
        goto out;
    snprintf(e->id, sizeof e->id, "exec-%u", r->n_execs_ever);
    /* a copy: x's strings stay the caller's to free */
    m.u.exec = *x;
    m.u.exec.container_id = e->cid;
    m.u.exec.exec_id = e->id;
    m.u.exec.stream_base = e->in.id - KB_STREAM_STDIN;
    if (kb_agent_call(&r->sb->agent, KB_MSG_EXEC, &m, &resp, 60000, err) < 0) {
        static const char agent_said[] = "agent: EXEC: ";
        r->execs[slot] = NULL;
        free_exec(e);
        /* the guest's refusal in runc's words: the process could not start */
        if (strncmp(err->msg, agent_said, sizeof agent_said - 1) == 0) {
            kb_err why = *err;
            char text[sizeof why.msg + 128];
            /* "not found in $PATH" is whole as it is (runc adds no errno to it); others say why */
            if (why.errnum == ENOENT)
                why.errnum = 0;
            kb_error(err, 0, "unable to start container process: %s",
                     kb_error_str(&why, text, sizeof text) + sizeof agent_said - 1);
        }
        goto out;
    }
    e->client = client;
    say(e, "ok %d\n", (int)resp.u.pid.pid, 0);
    kb_msg_free(&resp);
    rc = 0;
out:
    for (int i = 0; i < 3; i++)
        kb_closep(&fds[i]);
    return rc;
}

struct kb_relay_exec *kb_exec_by_stream(struct kb_relay *r, uint32_t id)
{
    for (unsigned i = 0; i < KB_RELAY_MAX_EXECS; i++)
        if (r->execs[i] && (id & ~3u) == r->execs[i]->in.id)
            return r->execs[i];
    return NULL;
}

int kb_exec_stream_frame(struct kb_relay *r, struct kb_relay_exec *e, const struct kb_frame_hdr *h,
                         const uint8_t *p, size_t len, kb_err *err)
{
    struct kb_conn *c = &r->sb->agent.conn;
    struct kb_msg_credit cr;

    if (h->type == KB_MSG_CREDIT) {
        if (h->id != e->in.id)
            return kb_error(err, EPROTO, "agent sent CREDIT on stream %u, which is not an input", h->id);
        if (kb_msg_credit_decode(p, len, &cr, err) < 0)
            return -1;
        kb_ostream_credit(&e->in, cr.bytes);
        return 0;
    }
    if (h->id == e->out.id)
        return kb_istream_data(&e->out, c, p, len, h->flags & KB_FLAG_EOF, err);
    if (h->id == e->err.id && !e->terminal)
        return kb_istream_data(&e->err, c, p, len, h->flags & KB_FLAG_EOF, err);
    return kb_error(err, EPROTO, "agent sent STDIO on stream %u, which is not an output", h->id);
}

void kb_exec_oom(struct kb_relay_exec *e, uint64_t oom_kills)
{
    say(e, "oom %d\n", (int)(oom_kills > INT32_MAX ? INT32_MAX : oom_kills), 0);
}

void kb_exec_exited(struct kb_relay *r, const char *cid, const char *exec_id, int status)
{
    for (unsigned i = 0; i < KB_RELAY_MAX_EXECS; i++)
        if (r->execs[i] && strcmp(r->execs[i]->id, exec_id) == 0 && strcmp(r->execs[i]->cid, cid) == 0) {
            r->execs[i]->exited = 1;
            r->execs[i]->status = status;
        }
}

int kb_exec_pollfds(struct kb_relay *r, struct pollfd *p, int max, int *map)
{
    int n = 0;

    for (unsigned i = 0; i < KB_RELAY_MAX_EXECS && n + KB_EXEC_POLLFDS <= max; i++) {
        struct kb_relay_exec *e = r->execs[i];
        if (!e)
            continue;
        if (e->client >= 0) {
            map[n] = (int)i * KB_EXEC_POLLFDS + 0;
            p[n++] = (struct pollfd){ e->client, POLLIN, 0 };
        }
        if (!e->exited && kb_ostream_want_read(&e->in)) {
            map[n] = (int)i * KB_EXEC_POLLFDS + 1;
            p[n++] = (struct pollfd){ e->in.fd, POLLIN, 0 };
        }
        if (kb_istream_want_write(&e->out)) {
            map[n] = (int)i * KB_EXEC_POLLFDS + 2;
            p[n++] = (struct pollfd){ e->out.fd, POLLOUT, 0 };
        }
        if (kb_istream_want_write(&e->err)) {
            map[n] = (int)i * KB_EXEC_POLLFDS + 3;
            p[n++] = (struct pollfd){ e->err.fd, POLLOUT, 0 };
        }
    }
    return n;
}

/* "kill SIG" and "resize ROWS COLS" from the exec command */
static int client_line(struct kb_relay *r, struct kb_relay_exec *e, const char *line, kb_err *err)
{
    struct kb_msg m = { 0 };
    unsigned a = 0, b = 0;
    char *end;

    a = (unsigned)strtoul(line + (line[0] == 'k' ? 5 : 7), &end, 10);
    if (strncmp(line, "kill ", 5) == 0 && !*end && a >= 1 && a <= 64) {
        if (e->exited)
            return 0;
        m.kind = KB_KIND_SIGNAL;
        m.u.signal = (struct kb_msg_signal){ .container_id = e->cid, .exec_id = e->id,
                                             .signal = a };
        return kb_agent_send(&r->sb->agent, KB_MSG_SIGNAL, &m, NULL, err);
    }
    if (strncmp(line, "resize ", 7) == 0 && *end == ' ') {
        b = (unsigned)strtoul(end + 1, &end, 10);
        if (*end || !a || !b || a > 65535 || b > 65535 || e->exited)
            return 0;
        m.kind = KB_KIND_RESIZE;
        m.u.resize = (struct kb_msg_resize){ .container_id = e->cid, .exec_id = e->id,
                                             .rows = a, .cols = b };
        return kb_agent_send(&r->sb->agent, KB_MSG_RESIZE, &m, NULL, err);
    }
    return 0; /* our own command sent it: nothing else exists */
}

static int client_readable(struct kb_relay *r, struct kb_relay_exec *e, kb_err *err)
{
    char buf[64];
    ssize_t n = recv(e->client, buf, sizeof buf, MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0) {
        /* the command is gone (killed, or -d's waiter): the process runs on */
        kb_closep(&e->client);
        return 0;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (e->line_len < sizeof e->line - 1)
                e->line[e->line_len++] = buf[i];
            continue;
        }
        e->line[e->line_len] = '\0';
        e->line_len = 0;
        if (client_line(r, e, e->line, err) < 0)
            return -1;
    }
    return 0;
}

int kb_exec_service(struct kb_relay *r, const struct pollfd *p, const int *map, int n, kb_err *err)
{
    struct kb_conn *c = &r->sb->agent.conn;

    for (int i = 0; i < n; i++) {
        struct kb_relay_exec *e = r->execs[map[i] / KB_EXEC_POLLFDS];
        int rc = 0;
        if (!p[i].revents || !e)
            continue;
        switch (map[i] % KB_EXEC_POLLFDS) {
        case 0: rc = client_readable(r, e, err); break;
        case 1: rc = kb_ostream_pump(&e->in, c, err); break;
        case 2: rc = kb_istream_pump(&e->out, c, err); break;
        case 3: rc = kb_istream_pump(&e->err, c, err); break;
        }
        if (rc < 0)
            return -1;
    }
    for (unsigned i = 0; i < KB_RELAY_MAX_EXECS; i++) {
        struct kb_relay_exec *e = r->execs[i];
        if (!e || !e->exited || kb_istream_want_write(&e->out) || kb_istream_want_write(&e->err))
            continue;
        say(e, "exit %d\n", e->status, 0);
        free_exec(e);
        r->execs[i] = NULL;
    }
    return 0;
}

void kb_exec_drop_member(struct kb_relay *r, const char *cid)
{
    for (unsigned i = 0; i < KB_RELAY_MAX_EXECS; i++) {
        struct kb_relay_exec *e = r->execs[i];
        /* the member's execs went with it in the guest */
        if (!e || strcmp(e->cid, cid) != 0)
            continue;
        if (!e->exited)
            say(e, "exit %d\n", 128 + SIGKILL, 0);
        free_exec(e);
        r->execs[i] = NULL;
    }
}

bool kb_exec_any(const struct kb_relay *r)
{
    for (unsigned i = 0; i < KB_RELAY_MAX_EXECS; i++)
        if (r->execs[i])
            return true;
    return false;
}

void kb_exec_fini_all(struct kb_relay *r)
{
    for (unsigned i = 0; i < KB_RELAY_MAX_EXECS; i++) {
        struct kb_relay_exec *e = r->execs[i];
        /* the VM is gone, and the process with it: killed */
        if (e && !e->exited)
            say(e, "exit %d\n", 128 + SIGKILL, 0);
        if (e)
            free_exec(e);
        r->execs[i] = NULL;
    }
}
