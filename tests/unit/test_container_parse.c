/* The pure parts of core/container/: capability names, /etc/passwd homes,
 * environment lookups, spec path checks, and the exec lookup (on a temp
 * dir, no root needed). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/container/internal.h"
#include "tap.h"

static int touch(const char *dir, const char *name, mode_t mode)
{
    char path[256];
    int fd;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    close(fd);
    return chmod(path, mode);
}

static void test_caps(void)
{
    char *good[] = { "CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE", NULL };
    char *bad[] = { "CAP_KILL", "CAP_FOO", NULL };
    uint64_t mask = 1;
    kb_err err;

    ok(kb_cap_from_name("CAP_CHOWN") == 0 && kb_cap_from_name("CAP_KILL") == 5 &&
           kb_cap_from_name("CAP_NET_BIND_SERVICE") == 10 && kb_cap_from_name("CAP_SYS_ADMIN") == 21 &&
           kb_cap_from_name("CAP_AUDIT_WRITE") == 29 && kb_cap_from_name("CAP_PERFMON") == 38 &&
           kb_cap_from_name("CAP_CHECKPOINT_RESTORE") == 40, "capability numbers");
    ok(kb_cap_from_name("CAP_FOO") == -1 && kb_cap_from_name("cap_kill") == -1 && kb_cap_from_name("") == -1,
       "unknown names");
    for (int c = 0; c <= KB_CAP_LAST; c++)
        if (kb_cap_from_name(kb_cap_name(c)) != c) {
            ok(0, "name of %d round-trips", c);
            break;
        } else if (c == KB_CAP_LAST) {
            ok(1, "every name round-trips");
        }
    ok(kb_cap_name(-1) == NULL && kb_cap_name(KB_CAP_LAST + 1) == NULL, "no name out of range");
    ok(kb_caps_parse(good, "x", &mask, &err) == 0 &&
           mask == ((1ull << 0) | (1ull << 5) | (1ull << 21) | (1ull << 40)), "a set as a mask");
    ok(kb_caps_parse(NULL, "x", &mask, &err) == 0 && mask == 0, "an absent set is empty");
    ok(kb_caps_parse(bad, "process.capabilities.permitted", &mask, &err) == -1 && err.errnum == EINVAL &&
           strcmp(err.msg, "process.capabilities.permitted: unknown capability \"CAP_FOO\"") == 0,
       "an unknown name is an error naming it (%s)", err.msg);
}

static void test_passwd(void)
{
    const char *pw = "root:x:0:0:root:/root:/bin/sh\n"
                     "# a comment\n"
                     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                     "bad:x:notanumber:0::/bad:/bin/sh\n"
                     "short:x:7:7\n"
                     "noshell:x:1000:100::/home/u\n"
                     "neg:x:-1:0::/neg:/bin/sh\n"
                     "last:x:4294967295:0::/last:/bin/sh";
    char home[64], tiny[4];

    ok(kb_passwd_home(pw, 0, home, sizeof home) == 0 && strcmp(home, "/root") == 0, "root's home");
    ok(kb_passwd_home(pw, 1, home, sizeof home) == 0 && strcmp(home, "/usr/sbin") == 0, "daemon's home");
    ok(kb_passwd_home(pw, 1000, home, sizeof home) == 0 && strcmp(home, "/home/u") == 0,
       "a line without a shell");
    ok(kb_passwd_home(pw, 7, home, sizeof home) == -1, "a short line is no entry");
    ok(kb_passwd_home(pw, 4294967295u, home, sizeof home) == 0 && strcmp(home, "/last") == 0,
       "the last line without a newline");
    ok(kb_passwd_home(pw, 4242, home, sizeof home) == -1, "a missing uid");
    ok(kb_passwd_home(pw, 0, tiny, sizeof tiny) == -1, "a home too long for the buffer");
    ok(kb_passwd_home("", 0, home, sizeof home) == -1 && kb_passwd_home("\n\n::::\n", 0, home, sizeof home) == -1,
       "empty and garbage files");
}

static void test_env_and_paths(void)
{
    char *env[] = { "PATH=/bin", "HOME=/x", "PATHX=no", "HOME=/y", NULL };
    kb_err err;

    ok(strcmp(kb_env_get(env, "PATH"), "/bin") == 0, "PATH");
    ok(strcmp(kb_env_get(env, "HOME"), "/y") == 0, "the last entry wins");
    ok(kb_env_get(env, "PAT") == NULL && kb_env_get(env, "TERM") == NULL, "no prefix matches");
    ok(kb_ctr_path_is("/dev", "/dev") && kb_ctr_path_is("//dev/", "/dev") && kb_ctr_path_is("/./dev/.", "/dev") &&
           kb_ctr_path_is("/", "/") && kb_ctr_path_is("/proc//sys/", "/proc/sys"), "same paths");
    ok(!kb_ctr_path_is("/devx", "/dev") && !kb_ctr_path_is("/de", "/dev") && !kb_ctr_path_is("/dev/pts", "/dev") &&
           !kb_ctr_path_is("/", "/dev") && !kb_ctr_path_is("/.dev", "/dev") && !kb_ctr_path_is("/proc", "/proc/sys"),
       "different paths");
    ok(kb_ctr_check_path("f", "/a/b", &err) == 0 && kb_ctr_check_path("f", "/", &err) == 0 &&
           kb_ctr_check_path("f", "/a..b/..c/d..", &err) == 0, "good paths");
    ok(kb_ctr_check_path("mounts[2].destination", "/a/../b", &err) == -1 &&
           strcmp(err.msg, "mounts[2].destination: '/a/../b' has a '..' component") == 0, "'..' inside");
    ok(kb_ctr_check_path("f", "/a/..", &err) == -1 && kb_ctr_check_path("f", "/..", &err) == -1, "'..' last");
    ok(kb_ctr_check_path("process.cwd", "rel", &err) == -1 &&
           strcmp(err.msg, "process.cwd: 'rel' is not an absolute path") == 0, "relative");
}

static void test_lookup(void)
{
    char dir[] = "/tmp/kblookup.XXXXXX", path[512], out[256], cwd[512];
    kb_err err;

    if (!mkdtemp(dir) || !getcwd(cwd, sizeof cwd)) {
        tap_skip("no temp dir");
        return;
    }
    snprintf(path, sizeof path, "%s/a", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/b", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/a/sub", dir);
    mkdir(path, 0755);
    touch(dir, "a/noexec", 0644);
    touch(dir, "b/noexec", 0755);
    touch(dir, "b/prog", 0700);
    touch(dir, "a/prog", 0755);
    snprintf(path, sizeof path, "%s/a:%s/b", dir, dir);

    ok(kb_ctr_lookup("prog", path, out, sizeof out, &err) == 0 && strstr(out, "/a/prog"), "the first in PATH");
    ok(kb_ctr_lookup("noexec", path, out, sizeof out, &err) == 0 && strstr(out, "/b/noexec"),
       "a file without an execute bit is skipped");
    ok(kb_ctr_lookup("sub", path, out, sizeof out, &err) == -1 && err.errnum == ENOENT &&
           strcmp(err.msg, "exec: \"sub\": executable file not found in $PATH") == 0, "a directory is skipped");
    ok(kb_ctr_lookup("nope", path, out, sizeof out, &err) == -1 && err.errnum == ENOENT &&
           strcmp(err.msg, "exec: \"nope\": executable file not found in $PATH") == 0, "runc's not-found message");
    ok(kb_ctr_lookup("prog", NULL, out, sizeof out, &err) == -1 && err.errnum == ENOENT, "no PATH: not found");
    ok(kb_ctr_lookup("prog", "", out, sizeof out, &err) == -1 && err.errnum == ENOENT, "an empty PATH: not found");
    ok(kb_ctr_lookup("", path, out, sizeof out, &err) == -1 && err.errnum == ENOENT, "an empty name");
    if (chdir(dir) == 0) {
        ok(kb_ctr_lookup("prog", ":/nonexistent", out, sizeof out, &err) == -1, "'.' has no prog");
        ok(chdir("a") == 0 && kb_ctr_lookup("prog", "/nonexistent:", out, sizeof out, &err) == 0 &&
               strcmp(out, "./prog") == 0, "an empty PATH entry is the current directory");
        if (chdir(cwd) < 0)
            printf("# chdir back: %s\n", strerror(errno));
    }
    snprintf(path, sizeof path, "%s/a/prog", dir);
    ok(kb_ctr_lookup(path, NULL, out, sizeof out, &err) == 0 && strcmp(out, path) == 0, "a path is taken as is");
    snprintf(path, sizeof path, "%s/a/noexec", dir);
    ok(kb_ctr_lookup(path, "/bin", out, sizeof out, &err) == -1 && err.errnum == EACCES, "not executable: EACCES");
    snprintf(path, sizeof path, "%s/a/sub", dir);
    ok(kb_ctr_lookup(path, "/bin", out, sizeof out, &err) == -1 && err.errnum == EACCES, "a directory: EACCES");
    snprintf(path, sizeof path, "%s/a/missing", dir);
    ok(kb_ctr_lookup(path, "/bin", out, sizeof out, &err) == -1 && err.errnum == ENOENT &&
           strncmp(err.msg, "exec: \"/tmp/kblookup.", 20) == 0 && strstr(err.msg, "\": stat /tmp/kblookup."),
       "missing: ENOENT with stat, as runc says (%s)", err.msg);
    ok(kb_ctr_lookup(path, "/bin", out, 8, &err) == -1 && err.errnum == ENAMETOOLONG, "too long for out");

    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0)
        printf("# could not remove %s\n", dir);
}

int main(void)
{
    test_caps();
    test_passwd();
    test_env_and_paths();
    test_lookup();
    return tap_done();
}
