/* Events to containerd. As containerd 1.6's own shims do, over ttrpc to
 * containerd's ttrpc socket (TTRPC_ADDRESS in our environment):
 * containerd.services.events.ttrpc.v1.Events/Forward on one connection kept
 * open, each call waited for, so that events arrive in the order the task
 * service makes them (create, start, exit, delete). A connection that fails
 * (containerd restarted) is made again once; without one, the publish
 * binary (`BIN --address ADDR publish`) takes the event, ~100 ms a process.
 * A failure is logged, never fatal: ctr learns exits from Wait. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../core/shim/task_pb.h"
#include "../../core/ttrpc/ttrpc.h"
#include "../../core/util.h"
#include "shim.h"

/* containerd answers at once; its own publisher gives a call 5 s */
#define FORWARD_TIMEOUT_MS 5000

static int dial(const char *path, kb_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof sa.sun_path)
        return kb_error(err, ENAMETOOLONG, "events: ttrpc address %s", path);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return kb_error_errno(err, "events: socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        kb_error_errno(err, "events: connect %s", path);
        close(fd);
        return -1;
    }
    return fd;
}

/* n bytes from fd within the deadline (CLOCK_MONOTONIC ms) */
static int read_full(int fd, uint8_t *p, size_t n, uint64_t deadline, kb_err *err)
{
    while (n) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        uint64_t now = kb_now_ns() / 1000000;
        ssize_t got;

        if (now >= deadline)
            return kb_error(err, ETIMEDOUT, "events: no answer from containerd in %d ms", FORWARD_TIMEOUT_MS);
        if (poll(&pf, 1, (int)(deadline - now)) < 0 && errno != EINTR)
            return kb_error_errno(err, "events: poll");
        got = read(fd, p, n);
        if (got == 0)
            return kb_error(err, ECONNRESET, "events: containerd closed the connection");
        if (got < 0 && errno != EINTR && errno != EAGAIN)
            return kb_error_errno(err, "events: read");
        if (got > 0) {
            p += got;
            n -= (size_t)got;
        }
    }
    return 0;
}

/* One Forward call on ev->fd with the encoded Request: 0 when containerd took the event; -1 when the
 * connection is no good (*refused set when containerd answered with an error, which a retry would not change) */
static int call(struct shim_events *ev, const struct kb_buf *req, int *refused, kb_err *err)
{
    uint32_t stream = ev->next_stream;
    uint64_t deadline = kb_now_ns() / 1000000 + FORWARD_TIMEOUT_MS;
    struct kb_buf frame = { 0 };
    struct kb_ttrpc_response resp = { 0 };
    struct kb_ttrpc_hdr h;
    uint8_t hdr[KB_TTRPC_HDR];
    _cleanup_free_ uint8_t *body = NULL;
    int r;

    ev->next_stream += 2;   /* a client's streams are odd and rise */
    if (kb_ttrpc_frame(&frame, stream, KB_TTRPC_REQUEST, req, err) < 0)
        return -1;
    r = kb_write_all(ev->fd, frame.data, frame.len) < 0 ? kb_error_errno(err, "events: write") : 0;
    kb_buf_free(&frame);
    if (r < 0)
        return -1;
    if (read_full(ev->fd, hdr, sizeof hdr, deadline, err) < 0 || kb_ttrpc_hdr_parse(hdr, &h, err) < 0)
        return -1;
    if (h.stream != stream || h.type != KB_TTRPC_RESPONSE)
        return kb_error(err, EPROTO, "events: containerd answered stream %u type %u, not stream %u", h.stream,
                        h.type, stream);
    if (h.length && !(body = malloc(h.length)))
        return kb_error(err, ENOMEM, "events: answer of %u bytes", h.length);
    if (read_full(ev->fd, body, h.length, deadline, err) < 0 ||
        kb_pb_decode(&kb_ttrpc_response_pb, body, h.length, &resp, err) < 0) {
        kb_pb_free(&kb_ttrpc_response_pb, &resp);
        return -1;
    }
    r = 0;
    if (resp.status && resp.status->code) {
        *refused = 1;
        r = kb_error(err, EINVAL, "events: containerd refused the event: %s (code %u)",
                     resp.status->message ? resp.status->message : "", resp.status->code);
    }
    kb_pb_free(&kb_ttrpc_response_pb, &resp);
    return r;
}

/* the older way: a process per event, the Any on its stdin */
static void publish_binary(const struct shim_flags *f, const char *topic, const struct kb_buf *any)
{
    int p[2], status = 0;
    pid_t pid;

    if (!f->publish_binary || !f->address || pipe2(p, O_CLOEXEC) < 0)
        return;
    pid = fork();
    if (pid == 0) {
        dup2(p[0], 0);
        execl(f->publish_binary, f->publish_binary, "--address", f->address, "publish", "--topic", topic,
              "--namespace", f->namespace, (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    if (pid > 0 && any->len)
        (void)!write(p[1], any->data, any->len);
    close(p[1]);
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        fprintf(stderr, "katabox: %s: publish %s failed\n", SHIM_APPLET, topic);
}

void shim_publish(const struct shim_flags *f, const char *topic, const char *type_url, const struct kb_buf *payload)
{
    struct kb_pb_any any = { .type_url = (char *)type_url, .value = payload->data, .value_len = payload->len };
    struct kb_pb_timestamp ts;
    struct kb_pb_envelope env = { .timestamp = &ts, .namespace = (char *)f->namespace, .topic = (char *)topic,
                                  .event = &any };
    struct kb_pb_forward_req fwd = { .envelope = &env };
    struct kb_ttrpc_kv ns = { .key = "containerd-namespace-ttrpc", .value = (char *)f->namespace };
    struct kb_ttrpc_request req = { .service = "containerd.services.events.ttrpc.v1.Events", .method = "Forward",
                                    .timeout_nano = (uint64_t)FORWARD_TIMEOUT_MS * 1000000, .metadata = &ns,
                                    .n_metadata = 1 };
    struct kb_buf body = { 0 }, out = { 0 }, any_buf = { 0 };
    struct shim_events *ev = f->events;
    struct timespec now;
    kb_err err = { 0 };
    int refused = 0;

    clock_gettime(CLOCK_REALTIME, &now);
    ts = (struct kb_pb_timestamp){ .seconds = (uint64_t)now.tv_sec, .nanos = (uint32_t)now.tv_nsec };
    if (ev && f->ttrpc_address && kb_pb_encode(&kb_pb_forward_req_msg, &fwd, &body, &err) == 0) {
        req.payload = body.data;
        req.payload_len = body.len;
        if (kb_pb_encode(&kb_ttrpc_request_pb, &req, &out, &err) == 0)
            for (int attempt = 0; attempt < 2 && !refused; attempt++) {
                if (ev->fd < 0) {
                    ev->fd = dial(f->ttrpc_address, &err);
                    ev->next_stream = 1;
                }
                if (ev->fd >= 0 && call(ev, &out, &refused, &err) == 0)
                    goto done;
                /* a broken or confused connection is not used again */
                if (ev->fd >= 0 && !refused)
                    kb_closep(&ev->fd);
            }
        fprintf(stderr, "katabox: %s: publish %s: %s\n", SHIM_APPLET, topic, err.msg);
        if (refused)
            goto done;
    }
    if (kb_pb_encode(&kb_pb_any_msg, &any, &any_buf, &err) == 0)
        publish_binary(f, topic, &any_buf);
done:
    kb_buf_free(&body);
    kb_buf_free(&out);
    kb_buf_free(&any_buf);
}
