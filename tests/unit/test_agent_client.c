/* The host's agent client against a stand-in agent on a socketpair: the
 * HELLO checks, answers by id, error answers, and a guest that lies,
 * floods, stalls or hangs up. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/agent/client.h"
#include "../../core/proto/frame.h"
#include "tap.h"

/* the stand-in agent: reads one frame header + payload, then runs `act` */
typedef void (*agent_fn)(int fd, const struct kb_frame_hdr *req);

static void read_request(int fd, struct kb_frame_hdr *h)
{
    uint8_t hdr[16], skip[4096];
    size_t left;
    kb_err err;

    if (read(fd, hdr, 16) != 16 || kb_frame_hdr_decode(hdr, 16, h, &err) < 0)
        _exit(9);
    for (left = h->len - 16; left;) {
        ssize_t n = read(fd, skip, left < sizeof skip ? left : sizeof skip);
        if (n <= 0)
            _exit(9);
        left -= (size_t)n;
    }
}

static void put(int fd, struct kb_buf *b)
{
    if (write(fd, b->data, b->len) != (ssize_t)b->len)
        _exit(8);
    kb_buf_reset(b);
}

static pid_t spawn(int *host_fd, agent_fn act)
{
    int sv[2];
    pid_t pid;

    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    pid = fork();
    if (pid == 0) {
        struct kb_frame_hdr h;
        close(sv[0]);
        read_request(sv[1], &h);
        act(sv[1], &h);
        _exit(0);
    }
    close(sv[1]);
    *host_fd = sv[0];
    return pid;
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static const char *hello_version = "1.2.3";

static void good_hello(int fd, const struct kb_frame_hdr *req)
{
    struct kb_msg_hello h;
    struct kb_buf b = { 0 };
    kb_err err;

    kb_msg_hello_self(&h, hello_version);
    h.boottime_ns = 123456789;
    kb_msg_hello_encode(&b, req->id, KB_FLAG_RESPONSE, &h, &err);
    put(fd, &b);
    /* then an error answer to the next request */
    struct kb_frame_hdr r2;
    read_request(fd, &r2);
    struct kb_msg_error e = { .errnum = ENOENT, .message = "container c1 does not exist" };
    kb_msg_error_encode(&b, r2.id, r2.type, &e, &err);
    put(fd, &b);
    /* then an EXIT event before the answer to a third */
    struct kb_frame_hdr r3;
    read_request(fd, &r3);
    struct kb_msg_exit ex = { .container_id = "c1", .exec_id = "", .exit_code = 7 };
    kb_msg_exit_encode(&b, &ex, &err);
    kb_msg_empty_encode(&b, r3.id, r3.type, KB_FLAG_RESPONSE, &err);
    put(fd, &b);
    sleep(5);
}

static void old_hello(int fd, const struct kb_frame_hdr *req)
{
    struct kb_msg_hello h;
    struct kb_buf b = { 0 };
    kb_err err;

    kb_msg_hello_self(&h, "0.0.1");
    kb_msg_hello_encode(&b, req->id, KB_FLAG_RESPONSE, &h, &err);
    put(fd, &b);
    sleep(5);
}

static void wrong_id(int fd, const struct kb_frame_hdr *req)
{
    struct kb_buf b = { 0 };
    kb_err err;

    kb_msg_empty_encode(&b, req->id + 7, KB_MSG_SHUTDOWN, KB_FLAG_RESPONSE, &err);
    put(fd, &b);
    sleep(5);
}

static void wrong_type(int fd, const struct kb_frame_hdr *req)
{
    struct kb_buf b = { 0 };
    kb_err err;

    kb_msg_empty_encode(&b, req->id, KB_MSG_SHUTDOWN, KB_FLAG_RESPONSE, &err);
    put(fd, &b);
    sleep(5);
}

static void garbage(int fd, const struct kb_frame_hdr *req)
{
    static const uint8_t junk[32] = { 0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0, 1, 0 };

    (void)req;
    if (write(fd, junk, sizeof junk) < 0)
        _exit(8);
    sleep(5);
}

static void hang_up(int fd, const struct kb_frame_hdr *req)
{
    static const uint8_t half[8] = { 40, 0, 0, 0 };

    (void)req;
    if (write(fd, half, sizeof half) < 0)
        _exit(8);
}

static void silent(int fd, const struct kb_frame_hdr *req)
{
    (void)fd;
    (void)req;
    sleep(5);
}

static int exits_seen;

static int on_frame(void *ctx, const struct kb_frame_hdr *h, const uint8_t *p, size_t len,
                    kb_err *err)
{
    struct kb_msg_exit ex;

    (void)ctx;
    if (h->type != KB_MSG_EXIT || kb_msg_exit_decode(p, len, &ex, err) < 0)
        return kb_error(err, EPROTO, "unexpected");
    exits_seen += ex.exit_code == 7;
    kb_msg_exit_free(&ex);
    return 0;
}

static void expect_hello_error(agent_fn act, const char *want, const char *desc)
{
    struct kb_agent a;
    kb_err err;
    int fd;
    pid_t pid = spawn(&fd, act);

    kb_agent_open(&a, fd, NULL, &err);
    ok(kb_agent_hello(&a, hello_version, 1000, &err) < 0 && strstr(err.msg, want), "%s: %s", desc,
       err.msg);
    kb_agent_close(&a);
    reap(pid);
}

int main(void)
{
    struct kb_agent a;
    struct kb_msg req = { .kind = KB_KIND_START }, bye = { .kind = KB_KIND_EMPTY };
    kb_err err;
    int fd;
    pid_t pid;

    signal(SIGPIPE, SIG_IGN);
    pid = spawn(&fd, good_hello);
    ok(kb_agent_open(&a, fd, NULL, &err) == 0, "open");
    ok(kb_agent_hello(&a, hello_version, 2000, &err) == 0 && a.peer.boottime_ns == 123456789,
       "HELLO exchanged, boot time taken from the agent's answer");
    req.u.start.container_id = "c1";
    ok(kb_agent_call(&a, KB_MSG_START, &req, NULL, 2000, &err) < 0 && err.errnum == ENOENT &&
           strstr(err.msg, "START") && strstr(err.msg, "container c1 does not exist"),
       "an error answer carries the guest's errno and message: %s", err.msg);
    a.on_frame = on_frame;
    ok(kb_agent_call(&a, KB_MSG_SHUTDOWN, &bye, NULL, 2000, &err) == 0 && exits_seen == 1,
       "an EXIT event before the answer goes to on_frame");
    kb_agent_close(&a);
    reap(pid);

    expect_hello_error(old_hello, "rebuild the initramfs", "a guest of another version is named");
    expect_hello_error(wrong_id, "unexpected SHUTDOWN frame", "an answer to no request is refused");
    expect_hello_error(wrong_type, "answered HELLO request", "an answer of the wrong type is refused");
    expect_hello_error(garbage, "frame header", "a malformed header ends the connection");
    expect_hello_error(hang_up, "inside a frame", "a guest that hangs up mid-frame");
    expect_hello_error(silent, "not ready within 1000 ms", "a silent guest times out");
    return tap_done();
}
