/* OCI hooks: parsing, the state JSON, and running them (stdin, args, env,
 * exit status, output kept for the error, timeout, no fd leaked, no other
 * child reaped). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "../../core/json.h"
#include "../../core/oci/hooks.h"
#include "../../core/util.h"
#include "tap.h"

static char dir[] = "/tmp/kbhooks.XXXXXX";

static int parse(const char *json, struct kb_hooks **h, kb_err *err)
{
    yajl_val v;
    int r;

    *h = NULL;
    if (kb_json_parse(json, strlen(json), "test", &v, err) < 0)
        return -1;
    r = kb_hooks_parse(v, h, err);
    yajl_tree_free(v);
    return r;
}

static void bad(const char *json, const char *want)
{
    struct kb_hooks *h;
    kb_err err = { 0 };

    ok(parse(json, &h, &err) < 0 && strstr(err.msg, want), "refused: %s (%s)", want, err.msg);
    kb_hooks_free(h);
}

static char *slurp(const char *name)
{
    static char buf[4096];
    char path[128];
    int fd;
    ssize_t n;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(path, O_RDONLY);
    n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

int main(void)
{
    struct kb_hooks *h;
    kb_err err = { 0 };
    char json[2048], *state = NULL;
    size_t len;
    char *const ann[] = { "a", "1", "b", "two", NULL };
    int leak = open("/dev/null", O_RDONLY); /* no close-on-exec: must not reach a hook */
    int r;

    if (!mkdtemp(dir))
        return 1;
    ok(parse("{\"prestart\":[{\"path\":\"/bin/true\"},{\"path\":\"/bin/false\",\"args\":[\"false\"],\"env\":[\"A=1\"],"
             "\"timeout\":3}],\"poststop\":[{\"path\":\"/x\"}],\"futureKind\":[1]}", &h, &err) == 0,
       "hooks parse; an unknown kind is ignored (%s)", err.msg);
    ok(h && h->n[KB_HOOK_PRESTART] == 2 && h->n[KB_HOOK_POSTSTOP] == 1 && !h->n[KB_HOOK_POSTSTART] &&
           !strcmp(h->list[KB_HOOK_PRESTART][1].args[0], "false") && h->list[KB_HOOK_PRESTART][1].timeout == 3 &&
           !strcmp(h->list[KB_HOOK_PRESTART][1].env[0], "A=1") && !h->list[KB_HOOK_PRESTART][0].args,
       "kinds, args, env, timeout");
    kb_hooks_free(h);
    ok(parse("null", &h, &err) == 0 && !h, "null: no hooks");
    bad("[]", "hooks: expected an object");
    bad("{\"prestart\":{}}", "hooks.prestart");
    bad("{\"prestart\":[{}]}", "hooks.prestart[0].path");
    bad("{\"poststart\":[{\"path\":\"true\"}]}", "hooks.poststart[0].path: 'true' is not an absolute path");
    bad("{\"createRuntime\":[{\"path\":\"/bin/true\",\"timeout\":0}]}", "hooks.createRuntime[0].timeout: 0");
    bad("{\"createRuntime\":[{\"path\":\"/bin/true\",\"timeout\":-5}]}", "a timeout must be positive");
    bad("{\"startContainer\":[{\"path\":\"/bin/true\",\"env\":[1]}]}", "hooks.startContainer[0].env[0]");

    r = kb_oci_state_json("1.0.2", "c1", "creating", 42, "/b", ann, &state, &len, &err);
    ok(r == 0 &&
           !strcmp(state, "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,\"bundle\":\"/b\","
                          "\"annotations\":{\"a\":\"1\",\"b\":\"two\"}}") && len == strlen(state),
       "the state JSON: %s", state);
    free(state);
    r = kb_oci_state_json("1.0.2", "c1", "stopped", 0, "/b", NULL, &state, &len, &err);
    ok(r == 0 &&
           !strcmp(state, "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"stopped\",\"bundle\":\"/b\"}"),
       "no pid, no annotations: left out (%s)", state);
    free(state);

    /* running: stdin, argv, env, fds */
    snprintf(json, sizeof json,
             "{\"prestart\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat >%s/in; echo \\\"$0 $1\\\" $(tr '\\\\0' ' ' </proc/$$/environ) >%s/argv;"
             " ls /proc/self/fd >%s/fds\",\"name0\",\"one\"],\"env\":[\"X=ex\"]}],"
             "\"poststart\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"exit 7\"]}],"
             "\"poststop\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"exec sleep 5\"],\"timeout\":1}],"
             "\"createRuntime\":[{\"path\":\"/nonexistent/hook\"}]}", dir, dir, dir);
    ok(parse(json, &h, &err) == 0, "a runnable set (%s)", err.msg);
    ok(kb_hooks_run(h, KB_HOOK_PRESTART, "{\"x\":1}", 7, &err) == 0, "a hook runs (%s)", err.msg);
    ok(!strcmp(slurp("in"), "{\"x\":1}"), "it read the state on stdin");
    ok(!strcmp(slurp("argv"), "name0 one X=ex\n"), "exactly its args and env, nothing of ours (%s)", slurp("argv"));
    ok(!strcmp(slurp("fds"), "0\n1\n2\n3\n"), "stdio only (3 is ls's own listing)");
    ok(kb_hooks_run(h, KB_HOOK_POSTSTART, "{}", 2, &err) < 0 && err.errnum == ECHILD &&
           strstr(err.msg, "hooks.poststart[0]: hook /bin/sh: exited with status 7"),
       "a failure names the hook and its status (%s)", err.msg);
    ok(kb_hooks_run(h, KB_HOOK_CREATE_RUNTIME, "{}", 2, &err) < 0 && strstr(err.msg, "exited with status 127"),
       "a missing hook program (%s)", err.msg);
    {
        time_t t0 = time(NULL);
        ok(kb_hooks_run(h, KB_HOOK_POSTSTOP, "{}", 2, &err) < 0 && err.errnum == ETIMEDOUT &&
               strstr(err.msg, "hooks.poststop[0]: hook /bin/sh: timed out after 1 s") && time(NULL) - t0 < 4,
           "a timeout kills it (%s)", err.msg);
    }
    kb_hooks_free(h);

    /* a state larger than a pipe holds, to hooks that never read it */
    {
        size_t big_len = 1u << 20;
        char *big = malloc(big_len);
        struct kb_hook quiet = { .path = "/bin/sh", .args = (char *[]){ "sh", "-c", "exit 0", NULL } };
        struct kb_hook stuck = { .path = "/bin/sh", .args = (char *[]){ "sh", "-c", "exec sleep 5", NULL },
                                 .timeout = 1 };
        char cmd[256];
        struct kb_hook reader = { .path = "/bin/sh", .args = (char *[]){ "sh", "-c", cmd, NULL } };
        time_t t0;

        memset(big, 'x', big_len);
        err.msg[0] = '\0';
        ok(kb_hook_run(&quiet, big, big_len, &err) == 0, "a hook that leaves its stdin unread is no failure (%s)",
           err.msg);
        t0 = time(NULL);
        ok(kb_hook_run(&stuck, big, big_len, &err) < 0 && err.errnum == ETIMEDOUT && time(NULL) - t0 < 4,
           "a full stdin pipe does not hold off the timeout (%s)", err.msg);
        snprintf(cmd, sizeof cmd, "wc -c >%s/big", dir);
        r = kb_hook_run(&reader, big, big_len, &err);
        ok(r == 0 && atol(slurp("big")) == (long)big_len, "1 MiB of state reaches a hook that reads it all (%ld bytes)",
           atol(slurp("big")));
        free(big);
    }

    /* stdout and stderr: kept for the error, never the caller's */
    {
        struct kb_hook loud = {
            .path = "/bin/sh",
            .args = (char *[]){ "sh", "-c", "echo to-out; printf 'to-err\\nline2\\n' >&2; exit 3", NULL },
        };
        struct kb_hook fine = { .path = "/bin/sh",
                                .args = (char *[]){ "sh", "-c", "echo LEAKED; echo LEAKED >&2", NULL } };
        struct kb_hook term = { .path = "/bin/sh", .args = (char *[]){ "sh", "-c", "kill -TERM $$", NULL } };
        char path[128];
        int saved1 = dup(1), saved2 = dup(2), fd;

        ok(kb_hook_run(&loud, "{}", 2, &err) < 0 &&
               strstr(err.msg, "exited with status 3, stdout: to-out, stderr: to-err line2") &&
               err.msg[strlen(err.msg) - 1] == '2',
           "its output comes with the error, on one line (%s)", err.msg);
        snprintf(path, sizeof path, "%s/leak", dir);
        fflush(stdout);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        r = kb_hook_run(&fine, "{}", 2, &err);
        dup2(saved1, 1);
        dup2(saved2, 2);
        close(saved1);
        close(saved2);
        ok(r == 0 && !strcmp(slurp("leak"), ""), "a hook's output does not reach the caller's stdout/stderr (%s)",
           slurp("leak"));
        {
            struct kb_hook chatty = {
                .path = "/bin/sh",
                .args = (char *[]){ "sh", "-c", "head -c 5000 /dev/zero | tr '\\0' y >&2; exit 1", NULL },
            };
            int failed = kb_hook_run(&chatty, "{}", 2, &err) < 0;
            size_t n = strlen(err.msg);
            ok(failed && strstr(err.msg, "stderr: yyyy") && n > 4 && !strcmp(err.msg + n - 4, "y...") && n < 400,
               "a long output is cut (%zu bytes)", n);
        }
        ok(kb_hook_run(&term, "{}", 2, &err) < 0 && strstr(err.msg, "hook /bin/sh: killed by signal 15"),
           "killed by a signal (%s)", err.msg);
    }

    /* the caller as a container's PID 1: its other children stay its own */
    {
        struct kb_hook t = { .path = "/bin/true" };
        pid_t other = fork();
        int st = -1;

        if (other == 0)
            _exit(5);
        usleep(100 * 1000); /* let it exit before the hook runs */
        ok(kb_hook_run(&t, "{}", 2, &err) == 0 && waitpid(other, &st, WNOHANG) == other && WEXITSTATUS(st) == 5,
           "another child of the caller is not reaped by the hook's wait");
    }

    /* a caller whose stdin is closed: the pipe may land on fd 0 */
    {
        char cmd[128];
        struct kb_hook in = { .path = "/bin/sh", .args = (char *[]){ "sh", "-c", cmd, NULL } };
        int saved0 = dup(0);

        snprintf(cmd, sizeof cmd, "cat >%s/in0", dir);
        close(0);
        err.msg[0] = '\0';
        r = kb_hook_run(&in, "{\"y\":2}", 7, &err);
        dup2(saved0, 0);
        close(saved0);
        ok(r == 0 && !strcmp(slurp("in0"), "{\"y\":2}"), "stdin still carries the state when the caller had none (%s)",
           err.msg);
    }

    /* a timeout ends the hook's whole process group */
    {
        char cmd[160];
        struct kb_hook bg = { .path = "/bin/sh", .args = (char *[]){ "sh", "-c", cmd, NULL }, .timeout = 1 };
        long child;
        int gone = 0;

        snprintf(cmd, sizeof cmd, "sleep 7 & echo $! >%s/bg; wait", dir);
        ok(kb_hook_run(&bg, "{}", 2, &err) < 0 && err.errnum == ETIMEDOUT, "a hook with a child times out");
        child = atol(slurp("bg"));
        for (int i = 0; i < 200 && child > 0 && !gone; i++) {
            char stat[64], line[256] = "";
            FILE *f;
            snprintf(stat, sizeof stat, "/proc/%ld/stat", child);
            f = fopen(stat, "r");
            /* gone, or a zombie its new parent has not reaped yet */
            gone = !f || !fgets(line, sizeof line, f) || (strrchr(line, ')') && strrchr(line, ')')[2] == 'Z');
            if (f)
                fclose(f);
            if (!gone)
                usleep(10000);
        }
        ok(child > 0 && gone, "and the child it started (%ld) is killed too", child);
    }
    /* a kernel without pidfd_open (before 5.3): the same, with short naps */
    {
        pid_t c = fork();
        int st = -1;

        if (c == 0) {
            scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
            struct kb_hook slow = { .path = "/bin/sh", .args = (char *[]){ "sh", "-c", "exec sleep 5", NULL },
                                    .timeout = 1 };
            char cmd[128];
            struct kb_hook in = { .path = "/bin/sh", .args = (char *[]){ "sh", "-c", cmd, NULL } };
            time_t t0;

            snprintf(cmd, sizeof cmd, "cat >%s/nopidfd; exit 4", dir);
            if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(pidfd_open), 0) < 0 ||
                prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0)
                _exit(10);
            if (syscall(SYS_pidfd_open, getpid(), 0) >= 0 || errno != ENOSYS)
                _exit(11);
            t0 = time(NULL);
            if (kb_hook_run(&slow, "{}", 2, &err) >= 0 || err.errnum != ETIMEDOUT || time(NULL) - t0 >= 4)
                _exit(12);
            if (kb_hook_run(&in, "{\"z\":3}", 7, &err) >= 0 || !strstr(err.msg, "exited with status 4"))
                _exit(13);
            _exit(strcmp(slurp("nopidfd"), "{\"z\":3}") ? 14 : 0);
        }
        int done = waitpid(c, &st, 0) == c && WIFEXITED(st);
        ok(done && WEXITSTATUS(st) == 0, "without pidfd_open: stdin, exit status and timeout (status %d)",
           done ? WEXITSTATUS(st) : -1);
    }
    ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "every hook reaped: no zombie left");
    {
        struct kb_hooks none = { 0 };
        ok(kb_hooks_run(NULL, KB_HOOK_PRESTART, "{}", 2, &err) == 0 &&
               kb_hooks_run(&none, KB_HOOK_START_CONTAINER, "{}", 2, &err) == 0,
           "no hooks of a kind: nothing to do");
    }
    close(leak);
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", dir);
    }
    return tap_done();
}
