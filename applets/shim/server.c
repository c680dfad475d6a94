/* The daemon: one poll loop over the listening socket, containerd's ttrpc
 * connections (many calls at once; Wait stays open while others come) and
 * a signalfd for the keepers' exits. Requests are answered as they come,
 * except Wait, which is answered when its process exits. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/ttrpc/ttrpc.h"
#include "../../core/util.h"
#include "task.h"

#define MAX_CONNS 32
#define MAX_TASK_FDS SHIM_MAX_POLLED
#define TASK_SERVICE "containerd.task.v2.Task"

struct conn {
    int fd;
    struct kb_buf in;
};

void shim_respond(const struct shim_call *call, uint32_t code, const char *message, const struct kb_buf *reply)
{
    struct kb_buf out = { 0 };
    kb_err err;

    if (kb_ttrpc_respond(&out, call->stream, code, message, reply, &err) == 0) {
        /* small frames; a peer that stopped reading loses its answer, not the daemon */
        size_t off = 0;
        while (off < out.len) {
            ssize_t n = send(call->conn, out.data + off, out.len - off, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            off += (size_t)n;
        }
    }
    kb_buf_free(&out);
}

static void handle(struct shim_pod *pod, const struct shim_flags *f, int fd, uint32_t stream, const uint8_t *p,
                   size_t len)
{
    struct kb_ttrpc_request req;
    struct shim_call call = { fd, stream };
    struct kb_buf reply = { 0 };
    kb_err err = { 0 };
    char msg[1200];
    int code;

    if (kb_pb_decode(&kb_ttrpc_request_pb, p, len, &req, &err) < 0) {
        shim_respond(&call, KB_TTRPC_INVALID_ARGUMENT, err.msg, NULL);
    } else if (!req.service || strcmp(req.service, TASK_SERVICE) != 0) {
        snprintf(msg, sizeof msg, "service %s", req.service ? req.service : "");
        shim_respond(&call, KB_TTRPC_UNIMPLEMENTED, msg, NULL);
    } else {
        code = shim_task_call(pod, f, req.method ? req.method : "", req.payload, req.payload_len, &call, &reply, &err);
        if (code >= 0)
            shim_respond(&call, (uint32_t)code, code ? err.msg : NULL, &reply);
    }
    kb_pb_free(&kb_ttrpc_request_pb, &req);
    kb_buf_free(&reply);
}

/* Every whole frame in c->in; 0, or -1 when the connection must close. */
static int frames(struct shim_pod *pod, const struct shim_flags *f, struct conn *c)
{
    size_t off = 0;
    int r = 0;

    while (c->in.len - off >= KB_TTRPC_HDR) {
        struct kb_ttrpc_hdr h;
        kb_err err;
        if (kb_ttrpc_hdr_parse(c->in.data + off, &h, &err) < 0) {
            r = -1;     /* too large to skip safely on a stream we cannot resync */
            break;
        }
        if (c->in.len - off - KB_TTRPC_HDR < h.length)
            break;
        if (h.type == KB_TTRPC_REQUEST)
            handle(pod, f, c->fd, h.stream, c->in.data + off + KB_TTRPC_HDR, h.length);
        off += KB_TTRPC_HDR + h.length;
    }
    memmove(c->in.data, c->in.data + off, c->in.len - off);
    c->in.len -= off;
    return r;
}

int shim_serve(const struct shim_flags *config, int lfd)
{
    struct shim_events events = { .fd = -1 };
    struct shim_loggers loggers = { 0 };
    struct shim_flags flags = *config;
    const struct shim_flags *f = &flags;
    struct conn conns[MAX_CONNS];
    struct shim_pod *pod = shim_pod_new();
    sigset_t mask;
    int sfd;

    flags.events = &events;
    flags.loggers = &loggers;
    for (int i = 0; i < MAX_CONNS; i++)
        conns[i] = (struct conn){ .fd = -1 };
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0 || !pod)
        return 1;
    for (;;) {
        struct pollfd p[MAX_CONNS + 3 + MAX_TASK_FDS];
        int n = 0, n_task;

        p[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
        p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
        for (int i = 0; i < MAX_CONNS; i++)
            p[n++] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
        p[n++] = (struct pollfd){ .fd = pod->oomfd, .events = POLLIN };   /* -1: ignored by poll */
        n_task = shim_exec_pollfds(pod, p + n, MAX_TASK_FDS);
        if (poll(p, (nfds_t)(n + n_task), shim_loggers_service(&loggers)) < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        /* the execs' exits before the keeper's: they end first in the guest */
        shim_exec_polled(pod, f, p + n, n_task);
        /* a keeper writes its OOM line before it exits: TaskOOM before TaskExit */
        shim_oom_drain(pod, f);
        if (p[1].revents) {
            struct signalfd_siginfo si;
            int status;
            pid_t pid;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
                ;
            while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                shim_loggers_reaped(&loggers, pid);
                shim_task_reaped(pod, f, pid, status);
            }
        }
        if (p[0].revents) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            int slot = -1;
            for (int i = 0; i < MAX_CONNS && slot < 0; i++)
                if (conns[i].fd < 0)
                    slot = i;
            if (fd >= 0 && slot < 0)
                close(fd);
            else if (fd >= 0)
                conns[slot].fd = fd;
        }
        for (int i = 0; i < MAX_CONNS; i++) {
            struct conn *c = &conns[i];
            uint8_t buf[65536];
            ssize_t got;
            kb_err err;

            if (c->fd < 0 || !p[2 + i].revents)
                continue;
            got = read(c->fd, buf, sizeof buf);
            if (got > 0 && kb_buf_append(&c->in, buf, (size_t)got, &err) == 0 && frames(pod, f, c) == 0)
                continue;
            if (got < 0 && errno == EINTR)
                continue;
            shim_task_conn_closed(pod, c->fd);
            close(c->fd);
            c->fd = -1;
            kb_buf_free(&c->in);
        }
        /* Shutdown came and nothing is left to serve (or to reap: a logger that takes its time) */
        if (shim_task_gone(pod) && !shim_loggers_left(&loggers)) {
            if (f->socket_path)
                unlink(f->socket_path);
            kb_closep(&events.fd);
            return 0;
        }
    }
}
