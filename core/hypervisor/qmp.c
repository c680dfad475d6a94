#include "qmp.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../json.h"
#include "../util.h"

/* what next_message and run return, besides 0 and -1, when QEMU hung up */
#define CLOSED (-2)

/* Longest command name we send; QMP's are far shorter. */
#define COMMAND_MAX 64

static uint64_t deadline_after(unsigned timeout_ms)
{
    return kb_now_ns() + (uint64_t)timeout_ms * 1000000u;
}

/* Milliseconds left for poll(), rounded up so a wait never ends early; 0
 * once the deadline has passed. */
static int ms_left(uint64_t deadline)
{
    uint64_t now = kb_now_ns(), ms;

    if (now >= deadline)
        return 0;
    ms = (deadline - now + 999999) / 1000000;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* Wait for `events` on fd until the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        struct pollfd p = { fd, events, 0 };
        int left = ms_left(deadline), r;

        if (left == 0)
            return 0;
        r = poll(&p, 1, left);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

/* The stream can no longer be trusted to be in step: drop it. */
static void hang_up(struct kb_qmp *q)
{
    kb_closep(&q->fd);
    q->fd = -1;
    q->len = 0;
}

static int send_all(struct kb_qmp *q, const char *s, size_t len, uint64_t deadline, kb_err *err)
{
    size_t done = 0;

    while (done < len) {
        /* MSG_NOSIGNAL: a QEMU that went away is an error, not a SIGPIPE */
        ssize_t n = send(q->fd, s + done, len - done, MSG_NOSIGNAL);
        if (n >= 0) {
            done += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int r = wait_fd(q->fd, POLLOUT, deadline);
            if (r > 0)
                continue;
            if (r == 0)
                kb_error(err, ETIMEDOUT, "QEMU does not take the command");
            else
                kb_error_errno(err, "poll");
            /* half a command would run into the next one */
            if (done)
                hang_up(q);
            return -1;
        }
        kb_error_errno(err, errno == EPIPE || errno == ECONNRESET ? "QEMU closed the connection" : "send");
        hang_up(q);
        return -1;
    }
    return 0;
}

/* Parse one complete line (without its "\n") into *msg: a JSON object. */
static int parse_line(const char *line, size_t len, yajl_val *msg, kb_err *err)
{
    if (kb_json_parse(line, len, "message from QEMU", msg, err) < 0)
        return -1;
    if (!YAJL_IS_OBJECT(*msg)) {
        yajl_tree_free(*msg);
        *msg = NULL;
        return kb_error(err, EPROTO, "message from QEMU: not a JSON object");
    }
    return 0;
}

/* The next message QEMU sends: 0 with *msg set, CLOSED when QEMU closed
 * the socket first, -1 on any other error (err filled). A line that cannot
 * be parsed, or does not end within KB_QMP_LINE_MAX bytes, hangs up. */
static int next_message(struct kb_qmp *q, uint64_t deadline, yajl_val *msg, kb_err *err)
{
    *msg = NULL;
    for (;;) {
        char *nl = memchr(q->buf, '\n', q->len);
        ssize_t n;

        if (nl) {
            size_t used = (size_t)(nl - q->buf) + 1, len = used - 1;
            int r = 0;

            if (len && q->buf[len - 1] == '\r')
                len--;
            if (len)
                r = parse_line(q->buf, len, msg, err);
            memmove(q->buf, q->buf + used, q->len - used);
            q->len -= used;
            if (r < 0) {
                hang_up(q);
                return -1;
            }
            if (*msg)
                return 0;
            continue; /* an empty line */
        }
        if (q->len == KB_QMP_LINE_MAX) {
            hang_up(q);
            return kb_error(err, EMSGSIZE, "a message from QEMU is longer than %d bytes",
                            KB_QMP_LINE_MAX);
        }
        n = read(q->fd, q->buf + q->len, KB_QMP_LINE_MAX - q->len);
        if (n > 0) {
            q->len += (size_t)n;
            continue;
        }
        if (n == 0 || errno == ECONNRESET) {
            kb_error(err, n == 0 ? 0 : errno, "QEMU closed the connection");
            hang_up(q);
            return CLOSED;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int r = wait_fd(q->fd, POLLIN, deadline);
            if (r == 0)
                return kb_error(err, ETIMEDOUT, "no answer from QEMU");
            if (r < 0)
                return kb_error_errno(err, "poll");
            continue;
        }
        kb_error_errno(err, "read");
        hang_up(q);
        return -1;
    }
}

/* Take `key`'s value out of object v so that freeing v leaves it alive. */
static yajl_val detach(yajl_val v, const char *key)
{
    for (size_t i = 0; i < v->u.object.len; i++)
        if (strcmp(v->u.object.keys[i], key) == 0) {
            yajl_val found = v->u.object.values[i];
            v->u.object.values[i] = NULL; /* yajl_tree_free skips NULL */
            return found;
        }
    return NULL;
}

/* QEMU's {"error": {"class": ..., "desc": ...}} as our error. */
static int error_reply(yajl_val e, kb_err *err)
{
    yajl_val desc = kb_json_member(e, "desc"), cls = kb_json_member(e, "class");

    if (!YAJL_IS_STRING(desc))
        return kb_error(err, EPROTO, "QEMU refused it without a description");
    if (YAJL_IS_STRING(cls))
        return kb_error(err, 0, "%s (%s)", YAJL_GET_STRING(desc), YAJL_GET_STRING(cls));
    return kb_error(err, 0, "%s", YAJL_GET_STRING(desc));
}

/* Send `command` and wait for its reply. Returns 0 (return value in
 * *reply if asked), CLOSED, or -1; err holds the unwrapped reason. */
static int run(struct kb_qmp *q, const char *command, uint64_t deadline, yajl_val *reply, kb_err *err)
{
    char line[COMMAND_MAX + 64];
    unsigned id;
    int n, r;

    if (q->fd < 0)
        return kb_error(err, ENOTCONN, "not connected");
    /* the name goes into JSON as is: nothing that would need escaping */
    n = (int)strlen(command);
    if (n == 0 || n > COMMAND_MAX || strspn(command, "abcdefghijklmnopqrstuvwxyz"
                                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != (size_t)n)
        return kb_error(err, EINVAL, "not a QMP command name");
    id = q->next_id++;
    n = snprintf(line, sizeof line, "{\"execute\": \"%s\", \"id\": %u}\r\n", command, id);
    /* hung up before it took the command: whatever QEMU is doing then,
     * the command did not cause it, so this is -1 and never CLOSED */
    if (send_all(q, line, (size_t)n, deadline, err) < 0)
        return -1;
    for (;;) {
        yajl_val msg, ret, e, idv;

        r = next_message(q, deadline, &msg, err);
        if (r < 0)
            return r;
        if (kb_json_member(msg, "event")) {
            yajl_tree_free(msg);
            continue;
        }
        ret = kb_json_member(msg, "return");
        e = kb_json_member(msg, "error");
        if (!ret && !e) {
            yajl_tree_free(msg);
            hang_up(q);
            return kb_error(err, EPROTO, "a message from QEMU that is neither a reply nor an event");
        }
        /* a reply to a command that timed out earlier: not ours. A reply
         * without an id answers a line QEMU could not read: ours. */
        idv = kb_json_member(msg, "id");
        if (idv && !(YAJL_IS_INTEGER(idv) && YAJL_GET_INTEGER(idv) == (long long)id)) {
            yajl_tree_free(msg);
            continue;
        }
        if (e) {
            r = error_reply(e, err);
            yajl_tree_free(msg);
            return r;
        }
        if (reply)
            *reply = detach(msg, "return");
        yajl_tree_free(msg);
        return 0;
    }
}

int kb_qmp_execute(struct kb_qmp *q, const char *command, unsigned timeout_ms, yajl_val *reply,
                   kb_err *err)
{
    if (reply)
        *reply = NULL;
    if (run(q, command, deadline_after(timeout_ms), reply, err) < 0)
        return kb_error_wrap(err, "qmp: %s", command);
    return 0;
}

int kb_qmp_quit(struct kb_qmp *q, unsigned timeout_ms, kb_err *err)
{
    int r = run(q, "quit", deadline_after(timeout_ms), NULL, err);

    /* QEMU may close the socket as it exits, before or after its return:
     * either way it took the command and is quitting */
    if (r == 0 || r == CLOSED)
        return 0;
    return kb_error_wrap(err, "qmp: quit");
}

/* One connect attempt on a fresh socket: the fd, or -1 with errno set. */
static int try_connect(const struct sockaddr_un *sa, uint64_t deadline)
{
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int r;

    if (fd < 0)
        return -1;
    do
        r = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno == EINPROGRESS) {
        int so = 0;
        socklen_t len = sizeof so;

        r = wait_fd(fd, POLLOUT, deadline);
        if (r <= 0) {
            errno = r == 0 ? ETIMEDOUT : errno;
            return -1;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len) < 0)
            return -1;
        if (so) {
            errno = so;
            return -1;
        }
        r = 0;
    }
    return r < 0 ? -1 : kb_steal_fd(&fd);
}

static int open_socket(struct kb_qmp *q, const char *path, uint64_t deadline, kb_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timespec ts = { 0, 0 };
    int left;

    if (strlen(path) >= sizeof sa.sun_path)
        return kb_error(err, ENAMETOOLONG, "socket path too long");
    memcpy(sa.sun_path, path, strlen(path) + 1);
    for (;;) {
        q->fd = try_connect(&sa, deadline);
        if (q->fd >= 0)
            return 0;
        /* not created yet, not listening yet, or its backlog full: QEMU
         * may still be starting; anything else will not get better */
        if (errno != ENOENT && errno != ECONNREFUSED && errno != EAGAIN)
            return kb_error_errno(err, "connect");
        left = ms_left(deadline);
        if (left == 0)
            return kb_error_errno(err, "connect (gave up waiting for QEMU)");
        ts.tv_nsec = (left < 10 ? left : 10) * 1000000L;
        nanosleep(&ts, NULL);
    }
}

static int handshake(struct kb_qmp *q, uint64_t deadline, kb_err *err)
{
    yajl_val msg;
    int r;

    r = next_message(q, deadline, &msg, err);
    if (r < 0)
        return kb_error_wrap(err, "greeting");
    r = YAJL_IS_OBJECT(kb_json_member(msg, "QMP"));
    yajl_tree_free(msg);
    if (!r)
        return kb_error(err, EPROTO, "greeting: not QEMU's QMP greeting");
    /* until qmp_capabilities QEMU accepts no other command */
    if (run(q, "qmp_capabilities", deadline, NULL, err) < 0)
        return kb_error_wrap(err, "qmp_capabilities");
    return 0;
}

int kb_qmp_connect(struct kb_qmp *q, const char *path, unsigned timeout_ms, kb_err *err)
{
    uint64_t deadline = deadline_after(timeout_ms);

    q->fd = -1;
    q->next_id = 1;
    q->len = 0;
    q->buf = malloc(KB_QMP_LINE_MAX);
    if (!q->buf)
        return kb_error(err, ENOMEM, "qmp: connect %s", path);
    if (open_socket(q, path, deadline, err) < 0 || handshake(q, deadline, err) < 0) {
        kb_qmp_close(q);
        return kb_error_wrap(err, "qmp: connect %s", path);
    }
    return 0;
}

void kb_qmp_close(struct kb_qmp *q)
{
    kb_closep(&q->fd);
    q->fd = -1;
    free(q->buf);
    q->buf = NULL;
    q->len = 0;
}
