/* OCI hooks: parsing, the state JSON, and running them (stdin, args, env,
 * exit status, timeout, no fd leaked). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
             "\"poststop\":[{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"exec sleep 30\"],\"timeout\":1}],"
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
               strstr(err.msg, "timed out after 1 s") && time(NULL) - t0 < 5,
           "a timeout kills it (%s)", err.msg);
    }
    ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "every hook reaped");
    ok(kb_hooks_run(NULL, KB_HOOK_PRESTART, "{}", 2, &err) == 0 && kb_hooks_run(h, KB_HOOK_START_CONTAINER, "{}", 2, &err) == 0,
       "no hooks of a kind: nothing to do");
    kb_hooks_free(h);
    close(leak);
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", dir);
    }
    return tap_done();
}
