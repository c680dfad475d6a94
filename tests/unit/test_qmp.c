/* The QMP client against a real QEMU (paused with -S, so no kernel is
 * needed; its machine, QMP and 9p arguments come from kb_qemu_argv) and
 * against scripted fake servers for what a real QEMU rarely does on demand:
 * garbage, endless lines, silence, hanging up. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../core/hypervisor/qemu.h"
#include "../../core/hypervisor/qmp.h"
#include "../../core/json.h"
#include "../../core/util.h"
#include "tap.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": [\"oob\"]}}\r\n"

static char dir[64];

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* A JSON string's text, or "" for anything else. */
static const char *str_of(yajl_val v)
{
    return YAJL_IS_STRING(v) ? v->u.string : "";
}

static unsigned elapsed_ms(uint64_t since)
{
    return (unsigned)((kb_now_ns() - since) / 1000000);
}

/* SIGKILL and reap a child of ours, if there is one. */
static void stop(pid_t *pid)
{
    if (*pid > 0) {
        kill(*pid, SIGKILL);
        while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    *pid = 0;
}

/* Wait up to timeout_ms for a child to exit by itself: 1 with its status, or 0. */
static int wait_exit(pid_t *pid, unsigned timeout_ms, int *status)
{
    uint64_t t0 = kb_now_ns();

    while (elapsed_ms(t0) < timeout_ms) {
        if (waitpid(*pid, status, WNOHANG) == *pid) {
            *pid = 0;
            return 1;
        }
        sleep_ms(10);
    }
    return 0;
}

/* ---- fake servers: a forked child that plays a script ---------------- */

enum op { END, SEND, RECV, REPLY, HOLD, PAUSE };
struct step {
    enum op op;
    const char *text; /* SEND: bytes; REPLY: a format with one %u, the id last received */
    size_t len;       /* SEND: its length when it holds a NUL; 0: strlen */
};
#define S(t) { .op = SEND, .text = (t) }
#define R(t) { .op = REPLY, .text = (t) }
#define RECV_ { .op = RECV }
#define HOLD_ { .op = HOLD }
#define PAUSE_ { .op = PAUSE }
#define END_ { .op = END }
/* the greeting, then qmp_capabilities answered */
#define HANDSHAKE S(GREETING), RECV_, R("{\"return\": {}, \"id\": %u}\r\n")

static int read_line(int fd, char *buf, size_t len)
{
    size_t n = 0;

    while (n + 1 < len) {
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0)
            return -1;
        if (buf[n++] == '\n')
            break;
    }
    buf[n] = '\0';
    return 0;
}

static void run_script(int listener, const struct step *s)
{
    char line[512], out[512];
    unsigned id = 0;
    int fd = accept(listener, NULL, NULL);

    if (fd < 0)
        _exit(1);
    for (; s->op != END; s++) {
        switch (s->op) {
        case SEND:
            if (kb_write_all(fd, s->text, s->len ? s->len : strlen(s->text)) < 0)
                _exit(1);
            break;
        case RECV: {
            const char *p;
            if (read_line(fd, line, sizeof line) < 0)
                _exit(1);
            p = strstr(line, "\"id\": ");
            id = p ? (unsigned)strtoul(p + 6, NULL, 10) : 0;
            break;
        }
        case REPLY:
            snprintf(out, sizeof out, s->text, id);
            if (kb_write_all(fd, out, strlen(out)) < 0)
                _exit(1);
            break;
        case PAUSE:
            sleep_ms(100);
            break;
        case HOLD:
            for (;;)
                pause();
        case END:
            break;
        }
    }
    _exit(0); /* and so hang up */
}

/* Listen on dir/fake.sock and fork a child that plays `script` to the first
 * client; returns its pid. */
static pid_t fake(const struct step *script, char *path, size_t len)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;
    pid_t pid;

    snprintf(path, len, "%s/fake.sock", dir);
    unlink(path);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0) {
        perror("fake server");
        exit(1);
    }
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGPIPE, SIG_IGN);
        run_script(fd, script);
    }
    close(fd);
    return pid;
}

static void end_fake(pid_t *pid, const char *path, struct kb_qmp *q)
{
    kb_qmp_close(q);
    stop(pid);
    unlink(path);
}

/* filled in main: an endless line, and one of 1000 nested arrays */
static char big[KB_QMP_LINE_MAX + 100];
static char deep_line[2100];

static void fake_connect_tests(void)
{
    char path[128];
    struct kb_qmp q;
    kb_err err = { 0 };
    uint64_t t0;
    unsigned ms;
    pid_t pid;
    int r;

    static const struct step garbage[] = { S("hello, I am not QEMU\r\n"), HOLD_ };
    pid = fake(garbage, path, sizeof path);
    t0 = kb_now_ns();
    ok(kb_qmp_connect(&q, path, 5000, &err) < 0 && strstr(err.msg, "invalid JSON") &&
           strncmp(err.msg, "qmp: connect ", 13) == 0 && elapsed_ms(t0) < 2000,
       "garbage instead of a greeting: an error at once (%s)", err.msg);
    ok(q.fd == -1 && q.buf == NULL, "a failed connect leaves nothing open");
    end_fake(&pid, path, &q);

    static const struct step not_greeting[] = { S("{\"return\": {}}\r\n"), HOLD_ };
    pid = fake(not_greeting, path, sizeof path);
    ok(kb_qmp_connect(&q, path, 5000, &err) < 0 && strstr(err.msg, "greeting") && err.errnum == EPROTO,
       "a JSON object that is not the greeting (%s)", err.msg);
    end_fake(&pid, path, &q);

    static const struct step close_early[] = { END_ };
    pid = fake(close_early, path, sizeof path);
    t0 = kb_now_ns();
    ok(kb_qmp_connect(&q, path, 5000, &err) < 0 && strstr(err.msg, "closed the connection") &&
           elapsed_ms(t0) < 2000, "a server that hangs up at once (%s)", err.msg);
    end_fake(&pid, path, &q);

    static const struct step silent[] = { HOLD_ };
    pid = fake(silent, path, sizeof path);
    t0 = kb_now_ns();
    r = kb_qmp_connect(&q, path, 300, &err);
    ms = elapsed_ms(t0);
    ok(r < 0 && err.errnum == ETIMEDOUT && ms >= 290 && ms < 2000,
       "a silent server: a time-out after 300 ms (%u ms; %s)", ms, err.msg);
    end_fake(&pid, path, &q);

    static const struct step endless[] = { S(big), HOLD_ };
    pid = fake(endless, path, sizeof path);
    t0 = kb_now_ns();
    ok(kb_qmp_connect(&q, path, 5000, &err) < 0 && err.errnum == EMSGSIZE && strstr(err.msg, "65536") &&
           elapsed_ms(t0) < 2000, "a line longer than 64 KiB is refused, not waited out (%s)", err.msg);
    end_fake(&pid, path, &q);

    static const struct step no_caps[] = { S(GREETING), RECV_, END_ };
    pid = fake(no_caps, path, sizeof path);
    ok(kb_qmp_connect(&q, path, 5000, &err) < 0 && strstr(err.msg, "qmp_capabilities") &&
           strstr(err.msg, "closed"), "hung up instead of answering qmp_capabilities (%s)", err.msg);
    end_fake(&pid, path, &q);

    static const struct step caps_refused[] = {
        S(GREETING), RECV_,
        R("{\"error\": {\"class\": \"GenericError\", \"desc\": \"no, %u times\"}}\r\n"), HOLD_ };
    pid = fake(caps_refused, path, sizeof path);
    ok(kb_qmp_connect(&q, path, 5000, &err) < 0 && strstr(err.msg, "no, 1 times (GenericError)"),
       "capabilities refused: QEMU's words (%s)", err.msg);
    end_fake(&pid, path, &q);

    snprintf(path, sizeof path, "%s/nobody-here.sock", dir);
    t0 = kb_now_ns();
    r = kb_qmp_connect(&q, path, 200, &err);
    ms = elapsed_ms(t0);
    ok(r < 0 && err.errnum == ENOENT && ms >= 190 && ms < 2000,
       "no socket: retried until the time-out, then ENOENT (%u ms; %s)", ms, err.msg);
    {
        char longpath[200];
        memset(longpath, 'x', sizeof longpath - 1);
        longpath[0] = '/';
        longpath[sizeof longpath - 1] = '\0';
        ok(kb_qmp_connect(&q, longpath, 200, &err) < 0 && err.errnum == ENAMETOOLONG,
           "a path too long for a unix socket");
    }
}

static void fake_command_tests(void)
{
    char path[128];
    struct kb_qmp q;
    yajl_val reply;
    kb_err err = { 0 };
    uint64_t t0;
    pid_t pid;

    static const struct step chatty[] = {
        HANDSHAKE,
        /* an event, a late reply to an older command, an empty line, then ours in two writes */
        RECV_,
        S("{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\r\n"),
        S("{\"return\": {\"stale\": true}, \"id\": 999}\r\n\r\n"),
        S("{\"return\": {\"status\": \"pau"), PAUSE_,
        R("sed\", \"running\": false}, \"id\": %u}\r\n"),
        RECV_, R("{\"error\": {\"class\": \"GenericError\"}, \"id\": %u}\r\n"),
        RECV_, R("{\"error\": {\"desc\": \"nope\"}, \"id\": %u}\r\n"),
        RECV_, R("{\"return\": [1, 2, 3], \"id\": %u}\r\n"),
        /* a reply without an id is taken as ours (QEMU's answer to a line it could not parse) */
        RECV_, S("{\"return\": 7}\n"),
        /* neither a reply nor an event */
        RECV_, S("{\"QMP\": {}}\r\n"), HOLD_ };
    pid = fake(chatty, path, sizeof path);
    ok(kb_qmp_connect(&q, path, 5000, &err) == 0, "handshake with a fake server");
    ok(kb_qmp_execute(&q, "query-status", 5000, &reply, &err) == 0 && YAJL_IS_OBJECT(reply) &&
           strcmp(str_of(kb_json_member(reply, "status")), "paused") == 0 &&
           !kb_json_member(reply, "stale"),
       "events, a stale reply and an empty line are skipped; a reply in two writes is joined");
    yajl_tree_free(reply);
    ok(kb_qmp_execute(&q, "cont", 5000, &reply, &err) < 0 && err.errnum == EPROTO &&
           strstr(err.msg, "without a description") && reply == NULL,
       "an error reply without desc (%s)", err.msg);
    ok(kb_qmp_execute(&q, "stop", 5000, NULL, &err) < 0 && strcmp(err.msg, "qmp: stop: nope") == 0 &&
           err.errnum == 0, "an error reply without class: its desc (%s)", err.msg);
    ok(kb_qmp_execute(&q, "query-cpus-fast", 5000, NULL, &err) == 0, "a reply nobody asked for is freed");
    ok(kb_qmp_execute(&q, "query-name", 5000, &reply, &err) == 0 && YAJL_IS_INTEGER(reply) &&
           YAJL_GET_INTEGER(reply) == 7, "a reply without an id is ours");
    yajl_tree_free(reply);
    ok(kb_qmp_execute(&q, "bad\", \"x", 5000, &reply, &err) < 0 && err.errnum == EINVAL &&
           strstr(err.msg, "not a QMP command name"), "a command name that would need escaping is refused");
    ok(kb_qmp_execute(&q, "", 5000, &reply, &err) < 0 && err.errnum == EINVAL, "so is an empty one");
    ok(kb_qmp_execute(&q, "query-name", 5000, &reply, &err) < 0 && err.errnum == EPROTO && reply == NULL,
       "a message that is neither reply nor event is a protocol error (%s)", err.msg);
    ok(q.fd < 0 && kb_qmp_execute(&q, "query-name", 5000, &reply, &err) < 0 && err.errnum == ENOTCONN,
       "after which the connection is closed (%s)", err.msg);
    kb_qmp_close(&q);
    kb_qmp_close(&q);
    ok(q.fd == -1 && q.buf == NULL, "kb_qmp_close twice is harmless");
    end_fake(&pid, path, &q);

    static const struct step not_object[] = { HANDSHAKE, RECV_, S("[1, 2]\r\n"), HOLD_ };
    pid = fake(not_object, path, sizeof path);
    kb_qmp_connect(&q, path, 5000, &err);
    ok(kb_qmp_execute(&q, "query-status", 5000, &reply, &err) < 0 && strstr(err.msg, "not a JSON object"),
       "a reply that is not an object (%s)", err.msg);
    end_fake(&pid, path, &q);

    static const struct step nul[] = {
        HANDSHAKE, RECV_, { .op = SEND, .text = "{\"return\": {}}\0\r\n", .len = 17 }, HOLD_ };
    pid = fake(nul, path, sizeof path);
    kb_qmp_connect(&q, path, 5000, &err);
    ok(kb_qmp_execute(&q, "query-status", 5000, &reply, &err) < 0 && strstr(err.msg, "NUL"),
       "a NUL byte in a message (%s)", err.msg);
    end_fake(&pid, path, &q);

    static const struct step deep[] = { HANDSHAKE, RECV_, S(deep_line), HOLD_ };
    pid = fake(deep, path, sizeof path);
    kb_qmp_connect(&q, path, 5000, &err);
    ok(kb_qmp_execute(&q, "query-status", 5000, &reply, &err) < 0 && strstr(err.msg, "nested"),
       "a reply nested 1000 deep is refused before yajl sees it (%s)", err.msg);
    end_fake(&pid, path, &q);

    static const struct step endless[] = { HANDSHAKE, RECV_, S(big), HOLD_ };
    pid = fake(endless, path, sizeof path);
    kb_qmp_connect(&q, path, 5000, &err);
    t0 = kb_now_ns();
    ok(kb_qmp_execute(&q, "query-status", 5000, &reply, &err) < 0 && err.errnum == EMSGSIZE &&
           elapsed_ms(t0) < 2000 && q.fd < 0, "an endless reply: EMSGSIZE and hung up (%s)", err.msg);
    end_fake(&pid, path, &q);

    static const struct step hang_up[] = { HANDSHAKE, RECV_, END_ };
    pid = fake(hang_up, path, sizeof path);
    kb_qmp_connect(&q, path, 5000, &err);
    ok(kb_qmp_execute(&q, "query-status", 5000, &reply, &err) < 0 && strstr(err.msg, "closed the connection"),
       "a server that hangs up instead of answering (%s)", err.msg);
    end_fake(&pid, path, &q);

    pid = fake(hang_up, path, sizeof path);
    kb_qmp_connect(&q, path, 5000, &err);
    ok(kb_qmp_quit(&q, 5000, &err) == 0, "quit: hanging up instead of the return counts as quitting");
    end_fake(&pid, path, &q);

    static const struct step gone[] = { HANDSHAKE, END_ };
    pid = fake(gone, path, sizeof path);
    kb_qmp_connect(&q, path, 5000, &err);
    sleep_ms(100);
    ok(kb_qmp_quit(&q, 5000, &err) < 0, "quit to a server already gone is an error, not a SIGPIPE (%s)",
       err.msg);
    end_fake(&pid, path, &q);

    static const struct step quit_refused[] = {
        HANDSHAKE, RECV_, R("{\"error\": {\"class\": \"GenericError\", \"desc\": \"not now\"}, \"id\": %u}\r\n"),
        HOLD_ };
    pid = fake(quit_refused, path, sizeof path);
    kb_qmp_connect(&q, path, 5000, &err);
    ok(kb_qmp_quit(&q, 5000, &err) < 0 && strcmp(err.msg, "qmp: quit: not now (GenericError)") == 0,
       "quit refused is an error (%s)", err.msg);
    end_fake(&pid, path, &q);

    static const struct step slow[] = { HANDSHAKE, RECV_, RECV_, RECV_,
                                        R("{\"return\": {\"late\": true}, \"id\": 2}\r\n"),
                                        R("{\"return\": {\"mine\": true}, \"id\": %u}\r\n"), HOLD_ };
    pid = fake(slow, path, sizeof path);
    kb_qmp_connect(&q, path, 5000, &err);
    t0 = kb_now_ns();
    ok(kb_qmp_execute(&q, "query-status", 200, &reply, &err) < 0 && err.errnum == ETIMEDOUT &&
           elapsed_ms(t0) < 2000 && q.fd >= 0, "no reply: a time-out, the connection kept (%s)", err.msg);
    ok(kb_qmp_quit(&q, 200, &err) < 0 && err.errnum == ETIMEDOUT, "quit unanswered: a time-out");
    ok(kb_qmp_execute(&q, "query-name", 5000, &reply, &err) == 0 && kb_json_member(reply, "mine") &&
           !kb_json_member(reply, "late"), "the late reply to the timed-out command is told apart by its id");
    yajl_tree_free(reply);
    end_fake(&pid, path, &q);

    memset(&q, 0, sizeof q);
    q.fd = -1;
    ok(kb_qmp_execute(&q, "query-status", 100, &reply, &err) < 0 && err.errnum == ENOTCONN,
       "not connected: ENOTCONN");
}

/* ---- a real QEMU ------------------------------------------------------- */

static int on_path(const char *name)
{
    const char *path = getenv("PATH");
    char buf[4096];

    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, name);
        if (access(buf, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}

/* The value kb_qemu_argv gives `flag` that starts with `prefix`, or "". */
static const char *pick(const struct kb_argv *a, const char *flag, const char *prefix)
{
    for (unsigned i = 0; i + 1 < a->n; i++)
        if (strcmp(a->v[i], flag) == 0 && strncmp(a->v[i + 1], prefix, strlen(prefix)) == 0)
            return a->v[i + 1];
    return "";
}

/* Start QEMU paused with the machine, 9p share and QMP socket kb_qemu_argv
 * builds for cfg; QEMU's output goes to dir/qemu.log. */
static pid_t start_qemu(const struct kb_vm_config *cfg)
{
    struct kb_argv a = { 0 };
    kb_err err;
    pid_t pid;

    if (kb_qemu_argv(cfg, &a, &err) < 0) {
        printf("# %s\n", err.msg);
        return -1;
    }
    const char *argv[] = { "qemu-system-x86_64", "-M", pick(&a, "-M", ""), "-accel", "tcg",
                           "-nodefaults", "-no-user-config", "-display", "none", "-S",
                           "-fsdev", pick(&a, "-fsdev", "local,id=share0,"),
                           "-device", pick(&a, "-device", "virtio-9p-"),
                           "-chardev", pick(&a, "-chardev", "socket,id=qmp,"),
                           "-mon", pick(&a, "-mon", ""), NULL };
    char logpath[128];

    snprintf(logpath, sizeof logpath, "%s/qemu.log", dir);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execvp(argv[0], (char **)argv);
        _exit(127);
    }
    kb_argv_free(&a);
    return pid;
}

static void show_qemu_log(void)
{
    char path[128], *text = NULL;
    kb_err err;

    snprintf(path, sizeof path, "%s/qemu.log", dir);
    if (kb_read_file(path, 4096, &text, NULL, &err) == 0 && *text)
        printf("# qemu said: %s\n", text);
    free(text);
}

static void qemu_tests(enum kb_machine machine, int readonly)
{
    char qmp_path[128], share[128];
    const char *name = kb_machine_name(machine);
    struct kb_vm_config cfg;
    struct kb_qmp q = { .fd = -1 };
    yajl_val reply = NULL, v;
    kb_err err = { 0 };
    int status = -1;
    pid_t pid;

    snprintf(qmp_path, sizeof qmp_path, "%s/q,mp.sock", dir); /* a comma, doubled for QEMU */
    snprintf(share, sizeof share, "%s/sh,are", dir);
    mkdir(share, 0755);
    kb_vm_config_defaults(&cfg);
    cfg.machine = machine;
    cfg.kernel = "/nonexistent/bzImage"; /* -S: never loaded */
    cfg.initrd = "/nonexistent/initrd";
    cfg.qmp_socket = qmp_path;
    cfg.shares[0].path = share;
    cfg.shares[0].tag = "kbtest";
    cfg.shares[0].readonly = readonly;
    pid = start_qemu(&cfg);
    if (!ok(pid > 0, "%s: QEMU started", name))
        return;
    /* the socket appears a moment after QEMU starts: connect waits for it */
    if (!ok(kb_qmp_connect(&q, qmp_path, 10000, &err) == 0, "%s: connected, greeted, capabilities negotiated",
            name)) {
        printf("# %s\n", err.msg);
        show_qemu_log();
    }
    if (!ok(kb_qmp_execute(&q, "query-status", 10000, &reply, &err) == 0, "%s: query-status", name))
        printf("# %s\n", err.msg);
    v = kb_json_member(reply, "status");
    ok(strcmp(str_of(v), "prelaunch") == 0 || strcmp(str_of(v), "paused") == 0,
       "%s: paused by -S: status %s", name, str_of(v));
    ok(YAJL_IS_FALSE(kb_json_member(reply, "running")), "%s: running false", name);
    yajl_tree_free(reply);
    reply = NULL;
    ok(kb_qmp_execute(&q, "no-such-command", 10000, &reply, &err) < 0 && reply == NULL &&
           strcmp(err.msg, "qmp: no-such-command: The command no-such-command has not been found "
                           "(CommandNotFound)") == 0,
       "%s: an unknown command fails with QEMU's desc (%s)", name, err.msg);
    ok(kb_qmp_execute(&q, "query-status", 10000, NULL, &err) == 0, "%s: still usable after a refusal", name);
    if (!ok(kb_qmp_quit(&q, 10000, &err) == 0, "%s: quit", name))
        printf("# %s\n", err.msg);
    kb_qmp_close(&q);
    ok(wait_exit(&pid, 10000, &status) && WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "%s: QEMU exited with status 0", name);
    stop(&pid);
    ok(kb_qmp_connect(&q, qmp_path, 200, &err) < 0, "%s: nothing to connect to afterwards (%s)", name, err.msg);
    unlink(qmp_path);
    rmdir(share);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path) < 0 ? -1 : 0;
}

int main(void)
{
    memset(big, 'x', sizeof big - 1);
    memset(deep_line, '[', 1000);
    memset(deep_line + 1000, ']', 1000);
    memcpy(deep_line + 2000, "\r\n", 3);
    snprintf(dir, sizeof dir, "/tmp/kb-test-qmp-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    fake_connect_tests();
    fake_command_tests();
    if (on_path("qemu-system-x86_64")) {
        qemu_tests(KB_MACHINE_MICROVM, 0);
        qemu_tests(KB_MACHINE_Q35, 1);
    } else {
        tap_skip("qemu-system-x86_64 is not installed");
    }
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return tap_done();
}
