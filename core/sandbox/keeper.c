#include "keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util.h"
#include "console.h"
#include "pod.h"
#include "run.h"
#include "state.h"

/* a command line: "start", "kill SIGNAL ALL", each maybe after "in CID " (an id is at most 1024 bytes) */
#define CTL_LINE_MAX 1100

struct keeper {
    struct kb_sandbox sb;
    struct kb_relay relay;
    struct kb_state st;
    char created[64];
    char oom_file[PATH_MAX + 8];
    int listen_fd;
};

static int set_status(struct keeper *k, const char *status, kb_err *err)
{
    k->st.status = (char *)status;
    return kb_state_write(k->sb.dir, &k->st, err);
}

static int ctl_listen(const char *dir, kb_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/" KB_CTL_SOCKET, dir) >=
        sizeof sa.sun_path)
        return kb_error(err, ENAMETOOLONG, "%s/" KB_CTL_SOCKET ": too long for a unix socket", dir);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return kb_error_errno(err, "control socket");
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0) {
        close(fd);
        return kb_error_errno(err, "listen on %s", sa.sun_path);
    }
    return fd;
}

static void reply(int fd, const char *text)
{
    (void)!send(fd, text, strlen(text), MSG_NOSIGNAL);
}

/* "error MESSAGE" for a command that failed, with its errno's words */
static void refuse(char *answer, size_t len, const kb_err *why)
{
    char msg[1200];

    snprintf(answer, len, "error %s\n", kb_error_str(why, msg, sizeof msg));
}

/* "kill SIG ALL" (without scanf: it would pull all of stdio's scanning in) */
static int parse_kill(const char *line, int *sig, int *all)
{
    char *end;
    long v;

    if (strncmp(line, "kill ", 5) != 0)
        return 0;
    v = strtol(line + 5, &end, 10);
    if (end == line + 5 || *end != ' ' || v < 1 || v > 64)
        return 0;
    *sig = (int)v;
    if ((end[1] != '0' && end[1] != '1') || end[2])
        return 0;
    *all = end[1] == '1';
    return 1;
}

/* A command for pod member cid ("in CID COMMAND"), or for the keeper's own container (cid NULL). */
static int execute(struct keeper *k, const char *cid, char *line, char *answer, size_t len, kb_err *err)
{
    kb_err why;
    int sig, all;

    if (strcmp(line, "start") == 0) {
        if (!cid && k->relay.started)
            return snprintf(answer, len, "error cannot start a container that has run\n"), 0;
        if (kb_relay_start(&k->relay, cid, &why) < 0) {
            refuse(answer, len, &why);
            return 0;
        }
        snprintf(answer, len, "ok\n");
        return cid ? 0 : set_status(k, "running", err);
    }
    if (strcmp(line, "delete") == 0 && cid) {
        if (kb_pod_delete(&k->relay, cid, &why) < 0)
            refuse(answer, len, &why);
        else
            snprintf(answer, len, "ok\n");
        return 0;
    }
    if (strcmp(line, "pause") == 0 || strcmp(line, "resume") == 0) {
        int pause = line[0] == 'p';
        if (!cid && (pause ? strcmp(k->st.status, "running") != 0 : strcmp(k->st.status, "paused") != 0)) {
            snprintf(answer, len, "error container not %s\n", pause ? "running" : "paused");
            return 0;
        }
        if (kb_relay_pause(&k->relay, cid, pause, &why) < 0) {
            refuse(answer, len, &why);
            return 0;
        }
        snprintf(answer, len, "ok\n");
        return cid ? 0 : set_status(k, pause ? "paused" : "running", err);
    }
    if (strcmp(line, "stats") == 0) {
        struct kb_msg_stats st;
        if (kb_relay_stats(&k->relay, cid, &st, &why) < 0) {
            refuse(answer, len, &why);
            return 0;
        }
        snprintf(answer, len, "ok %llu %llu %llu %llu %llu %llu %llu %llu\n",
                 (unsigned long long)st.cpu_usage_usec, (unsigned long long)st.cpu_user_usec,
                 (unsigned long long)st.cpu_system_usec, (unsigned long long)st.memory_current,
                 (unsigned long long)st.memory_max, (unsigned long long)st.pids_current,
                 (unsigned long long)st.pids_max, (unsigned long long)st.oom_kills);
        return 0;
    }
    if (strcmp(line, "ps") == 0) {
        struct kb_msg_pids p;
        size_t off;
        if (kb_relay_pids(&k->relay, cid, &p, &why) < 0) {
            refuse(answer, len, &why);
            return 0;
        }
        off = (size_t)snprintf(answer, len, "ok");
        for (size_t i = 0; i < p.n_pids && off + 12 < len; i++)
            off += (size_t)snprintf(answer + off, len - off, " %u", p.pids[i]);
        snprintf(answer + off, len - off, "\n");
        free(p.pids);
        return 0;
    }
    if (strncmp(line, "resize ", 7) == 0) {
        char *end;
        unsigned long rows = strtoul(line + 7, &end, 10), cols = *end == ' ' ? strtoul(end + 1, &end, 10) : 0;
        if (*end || rows > 65535 || cols > 65535)
            snprintf(answer, len, "error bad resize request\n");
        else if (kb_relay_resize(&k->relay, cid, (unsigned)rows, (unsigned)cols, &why) < 0)
            refuse(answer, len, &why);
        else
            snprintf(answer, len, "ok\n");
        return 0;
    }
    if (parse_kill(line, &sig, &all)) {
        if (kb_relay_signal(&k->relay, cid, sig, all, &why) < 0)
            refuse(answer, len, &why);
        else
            snprintf(answer, len, "ok\n");
        return 0;
    }
    snprintf(answer, len, "error unknown keeper command\n");
    return 0;
}

/* One command line from fd, with the fds that came along (SCM_RIGHTS, at
 * most 3, the rest closed). */
static size_t read_line(int fd, char *line, size_t max, int fds[3], int *nfds)
{
    size_t n = 0;

    *nfds = 0;
    while (n < max) {
        char cbuf[CMSG_SPACE(4 * sizeof(int))];
        struct iovec iov = { line + n, 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                             .msg_controllen = sizeof cbuf };
        ssize_t got = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); got >= 0 && c; c = CMSG_NXTHDR(&mh, c)) {
            int k = c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS
                        ? (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)) : 0;
            for (int i = 0; i < k; i++) {
                int got_fd;
                memcpy(&got_fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (*nfds < 3)
                    fds[(*nfds)++] = got_fd;
                else
                    close(got_fd);
            }
        }
        if (got <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    return n;
}

/* LEN bytes that follow a command line, malloc'ed; NULL on a short read. */
static uint8_t *read_body(int fd, const char *num, size_t max, size_t *len)
{
    char *end;
    unsigned long n = strtoul(num, &end, 10);
    uint8_t *body;
    size_t got = 0;

    if (*end || n == 0 || n > max || !(body = malloc(n)))
        return NULL;
    while (got < n) {
        ssize_t r = read(fd, body + got, n - got);
        if (r <= 0) {
            free(body);
            return NULL;
        }
        got += (size_t)r;
    }
    *len = n;
    return body;
}

/* "exec LEN" then an EXEC frame of LEN bytes (kb_msg_exec_encode), with the
 * process's stdin, stdout and stderr attached: the connection stays open
 * for the process's life (exec.c), or gets "error MESSAGE". */
static int ctl_exec(struct keeper *k, int fd, const char *line, int fds[3], int nfds, kb_err *err)
{
    char answer[1200];
    int r;
    struct kb_frame_hdr h;
    struct kb_msg_exec x;
    kb_err why;
    size_t len = 0;
    _cleanup_free_ uint8_t *frame = nfds == 3 ? read_body(fd, line + 5, KB_PROTO_MAX_FRAME, &len) : NULL;

    (void)err;
    if (!frame || len < KB_PROTO_HEADER_SIZE) {
        kb_error(&why, EINVAL, "bad exec request");
        goto refuse;
    }
    if (kb_frame_hdr_decode(frame, len, &h, &why) < 0 || h.len != len || h.type != KB_MSG_EXEC ||
        kb_msg_exec_decode(frame + KB_PROTO_HEADER_SIZE, len - KB_PROTO_HEADER_SIZE, &x, &why) < 0) {
        kb_error_wrap(&why, "exec request");
        goto refuse;
    }
    /* takes the fds whatever happens, the connection if it started */
    r = kb_relay_exec(&k->relay, &x, fds, fd, &why);
    kb_msg_exec_free(&x);
    if (r == 0)
        return 0;
    nfds = 0;
refuse:
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    refuse(answer, sizeof answer, &why);
    reply(fd, answer);
    close(fd);
    return 0;
}

/* "update LEN" then an OCI linux.resources object of LEN bytes */
static void ctl_update(struct keeper *k, int fd, const char *cid, const char *line)
{
    char answer[1200];
    size_t len;
    kb_err why;
    _cleanup_free_ uint8_t *json = read_body(fd, line + 7, KB_PROTO_MAX_PAYLOAD - 4096, &len);

    if (!json)
        snprintf(answer, sizeof answer, "error bad update request\n");
    else if (kb_relay_update(&k->relay, cid, (const char *)json, len, &why) < 0)
        refuse(answer, sizeof answer, &why);
    else
        snprintf(answer, sizeof answer, "ok\n");
    reply(fd, answer);
}

/* "container LEN" then containerd's CreateTaskRequest of LEN bytes, with the
 * container's stdin, stdout and stderr attached: it joins the pod (pod.c),
 * and the connection stays open for its init's life, as an exec's. */
static void ctl_container(struct keeper *k, int fd, const char *line, int fds[3], int nfds)
{
    char answer[1200];
    size_t len = 0;
    kb_err why;
    _cleanup_free_ uint8_t *req = nfds == 3 ? read_body(fd, line + 10, KB_PROTO_MAX_PAYLOAD, &len) : NULL;

    if (!req) {
        kb_error(&why, EINVAL, "bad container request");
        for (int i = 0; i < nfds; i++)
            close(fds[i]);
    } else if (kb_pod_add(&k->relay, req, len, fds, fd, &why) == 0) {
        return;
    }
    refuse(answer, sizeof answer, &why);
    reply(fd, answer);
    close(fd);
}

/* One client at a time, one line each: the clients are our own commands,
 * and a stuck one is cut off after 2 s rather than stalling the relay.
 * An exec's connection stays open, owned by the relay. "in CID " before
 * a command points it at pod member CID. */
static int on_ctl(void *ctx, struct kb_relay *r, kb_err *err)
{
    struct keeper *k = ctx;
    struct timeval tv = { .tv_sec = 2 };
    char line[CTL_LINE_MAX + 1], answer[1200], *cmd = line, *cid = NULL;
    int fds[3], nfds, fd = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC);

    (void)r;
    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    read_line(fd, line, CTL_LINE_MAX, fds, &nfds);
    if (strncmp(line, "exec ", 5) == 0)
        return ctl_exec(k, fd, line, fds, nfds, err);
    if (strncmp(line, "container ", 10) == 0) {
        ctl_container(k, fd, line, fds, nfds);
        return 0;
    }
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    if (strncmp(line, "in ", 3) == 0 && (cmd = strchr(line + 3, ' '))) {
        *cmd++ = '\0';
        cid = line + 3;
    } else {
        cmd = line;
    }
    if (strncmp(cmd, "update ", 7) == 0) {
        ctl_update(k, fd, cid, cmd);
        close(fd);
        return 0;
    }
    if (execute(k, cid, cmd, answer, sizeof answer, err) < 0) {
        close(fd);
        return -1;
    }
    reply(fd, answer);
    close(fd);
    return 0;
}

static void report(int fd, const char *text)
{
    if (fd >= 0)
        (void)kb_write_all(fd, text, strlen(text));
}

int kb_keeper_main(const struct kb_keeper_opts *o)
{
    struct keeper k = { .listen_fd = -1 };
    struct kb_run_io io = { .in = 0, .out = 1, .err = 2, .tty = -1 };
    struct kb_relay_ctl ctl = { .ctx = &k, .on_ready = on_ctl };
    int status = 1, relay_made = 0, ready = o->ready_fd;
    _cleanup_close_ int console = -1;
    kb_err err;

    /* its own session: the terminal `create` ran in is not the container's */
    setsid();
    /* nothing of the caller's but stdio (the container's) and the pipe to
     * create: an engine's other pipes must not stay open for the container's life */
    if (ready != 3) {
        if (dup3(ready, 3, O_CLOEXEC) < 0)
            return 1;
        ready = 3;
    }
    syscall(SYS_close_range, 4u, ~0u, 0u);
    io.sigfd = kb_relay_signalfd(&err);
    if (io.sigfd < 0)
        goto fail;
    if (o->console_socket) {
        if (kb_console_socket_pty(o->console_socket, &console, &err) < 0)
            goto fail;
        io = (struct kb_run_io){ .in = console, .out = console, .err = console, .terminal = 1,
                                 .tty = console, .sigfd = io.sigfd };
    } else if (o->terminal) {
        io.terminal = 1;    /* sized by "resize" lines */
    }
    {
        /* SIGTERM to the keeper during boot (an engine giving up) aborts it */
        struct kb_sandbox_opts so = o->so;
        so.abort_fd = io.sigfd;
        if (kb_sandbox_start(&k.sb, &so, &err) < 0)
            goto fail;
    }
    relay_made = 1;
    if (kb_relay_create(&k.relay, &k.sb, o->so.id, o->config, o->config_len, &io, &err) < 0)
        goto fail;
    snprintf(k.oom_file, sizeof k.oom_file, "%s/" KB_OOM_FILE, k.sb.dir);
    k.relay.oom_file = k.oom_file;
    if ((k.listen_fd = ctl_listen(k.sb.dir, &err)) < 0)
        goto fail;
    kb_rfc3339_now(k.created, sizeof k.created);
    k.st = (struct kb_state){ .oci_version = o->so.spec->oci_version, .id = (char *)o->so.id,
                              .bundle = (char *)o->so.bundle, .rootfs = k.sb.rootfs,
                              .created = k.created, .owner = "", .pid = getpid(),
                              .pid_start = kb_pid_start_time(getpid()),
                              .annotations = o->so.spec->annotations };
    if (set_status(&k, "created", &err) < 0)
        goto fail;
    /* from here the state dir outlives us, until `delete` */
    k.sb.keep_dir = 1;
    {
        /* "ok", then which transport and why, for create --debug */
        char line[256];
        snprintf(line, sizeof line, "ok %s (%s)\n", k.sb.chan.t->name, k.sb.transport_note);
        report(ready, line);
    }
    close(ready);
    ctl.fd = k.listen_fd;
    if (kb_relay_wait(&k.relay, &ctl, &status, &err) < 0) {
        kb_error_print("kata-runtime", &err);
        status = 1;
    }
    if (set_status(&k, "stopped", &err) < 0)
        kb_error_print("kata-runtime", &err);
    close(k.listen_fd);
    if (kb_sandbox_shutdown(&k.sb, 10000, &err) < 0)
        kb_error_print("kata-runtime", &err);
    kb_relay_fini(&k.relay);
    kb_sandbox_destroy(&k.sb);
    return status;

fail:
    {
        char msg[1200];
        kb_error_str(&err, msg, sizeof msg);
        report(ready, msg);
    }
    if (k.listen_fd >= 0)
        close(k.listen_fd);
    if (relay_made)
        kb_relay_fini(&k.relay);
    kb_sandbox_destroy(&k.sb);
    return 1;
}

int kb_keeper_request(const char *dir, const char *line, kb_err *err)
{
    char rest[8];

    return kb_keeper_ask(dir, line, NULL, 0, rest, sizeof rest, err);
}

int kb_keeper_ask(const char *dir, const char *line, const void *body, size_t body_len, char *rest,
                  size_t rest_len, kb_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = 70 };
    char answer[1200];
    size_t n = 0;
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return kb_error_errno(err, "control socket");
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/" KB_CTL_SOCKET, dir);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return kb_error(err, ESRCH, "container not running");
    /* START may take a while in an emulated guest; never forever */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (kb_write_all(fd, line, strlen(line)) < 0 || kb_write_all(fd, "\n", 1) < 0 ||
        (body_len && kb_write_all(fd, body, body_len) < 0))
        return kb_error_errno(err, "talk to the container's keeper");
    while (n < sizeof answer - 1) {
        ssize_t got = read(fd, answer + n, sizeof answer - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    answer[n] = '\0';
    if (n && answer[n - 1] == '\n')
        answer[--n] = '\0';
    if (strcmp(answer, "ok") == 0 || strncmp(answer, "ok ", 3) == 0) {
        snprintf(rest, rest_len, "%s", answer[2] ? answer + 3 : "");
        return 0;
    }
    if (strncmp(answer, "error ", 6) == 0)
        return kb_error(err, 0, "%s", answer + 6);
    return kb_error(err, EPROTO, "the container's keeper did not answer");
}

int kb_keeper_stats(const char *dir, const char *line, struct kb_msg_stats *st, kb_err *err)
{
    char rest[256], *p = rest;
    uint64_t *f[] = { &st->cpu_usage_usec, &st->cpu_user_usec, &st->cpu_system_usec, &st->memory_current,
                      &st->memory_max, &st->pids_current, &st->pids_max, &st->oom_kills };

    if (kb_keeper_ask(dir, line, NULL, 0, rest, sizeof rest, err) < 0)
        return -1;
    for (size_t i = 0; i < KB_ARRAY_SIZE(f); i++) {
        char *end;
        *f[i] = strtoull(p, &end, 10);
        if (end == p || (*end && *end != ' '))
            return kb_error(err, EPROTO, "the keeper's stats: '%s'", rest);
        p = end;
    }
    return 0;
}
