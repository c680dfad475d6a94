/* Real containers on this host (as root): a busybox rootfs in a temp dir,
 * runc's default spec, and a shell inside that reports what it sees. The
 * expected values are what runc 1.1.5 shows for the same spec. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../../core/container/container.h"
#include "../../core/container/internal.h"
#include "../../core/json.h"
#include "../../core/oci/default_spec.h"
#include "../../core/oci/spec.h"
#include "tap.h"

static char top[64] = "/tmp/kbctr.XXXXXX", rootfs[128], share[128];

struct run {
    int created, started, status;
    char out[65536];
    size_t len;
    kb_err err;
};

/* --- building the rootfs ------------------------------------------------ */

static int put(const char *rel, const char *text, mode_t mode)
{
    char path[256];
    int fd;

    snprintf(path, sizeof path, "%s/%s", rootfs, rel);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        close(fd);
        return -1;
    }
    return close(fd);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, r = -1;
    ssize_t n;

    if (in < 0)
        return -1;
    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            goto done;
    r = out >= 0 ? 0 : -1;
done:
    close(in);
    if (out >= 0)
        close(out);
    return r;
}

static int make_rootfs(void)
{
    static const char *const applets[] = {
        "sh", "cat", "id", "hostname", "ls", "stat", "grep", "env", "pwd", "readlink",
        "touch", "echo", "sleep", "test", "head", "wc", "true", "kill", "awk",
    };
    static const char *const dirs[] = { "bin", "etc", "tmp", "proc", "sys", "dev" };
    char path[256];

    if (!mkdtemp(top))
        return -1;
    snprintf(rootfs, sizeof rootfs, "%s/rootfs", top);
    snprintf(share, sizeof share, "%s/share", top);
    if (mkdir(rootfs, 0755) < 0 || mkdir(share, 0755) < 0)
        return -1;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", rootfs, dirs[i]);
        if (mkdir(path, dirs[i][0] == 't' ? 01777 : 0755) < 0 || chmod(path, dirs[i][0] == 't' ? 01777 : 0755) < 0)
            return -1;
    }
    snprintf(path, sizeof path, "%s/bin/busybox", rootfs);
    if (copy_file("/bin/busybox", path, 0755) < 0)
        return -1;
    for (size_t i = 0; i < sizeof applets / sizeof applets[0]; i++) {
        snprintf(path, sizeof path, "%s/bin/%s", rootfs, applets[i]);
        if (symlink("busybox", path) < 0)
            return -1;
    }
    snprintf(path, sizeof path, "%s/etclink", rootfs);
    if (symlink("/etc", path) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/up", rootfs);
    if (symlink("../../../../../../..", path) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/dangling", rootfs);
    if (symlink("/made/by/../by/link", path) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/loop", rootfs);
    if (symlink("loop", path) < 0)
        return -1;
    snprintf(path, sizeof path, "%s/hello", share);
    if (put("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nu:x:1000:100::/home/u:/bin/sh\n", 0644) < 0 ||
        put("bin/garbage", "this is not a program\n", 0755) < 0 || put("etc/hosts", "", 0644) < 0)
        return -1;
    {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, "hello from the host\n", 20) != 20)
            return -1;
        close(fd);
    }
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void cleanup(void)
{
    if (strcmp(top, "/tmp/kbctr.XXXXXX") != 0)
        nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- building specs ----------------------------------------------------- */

static char **strv_va(const char *first, va_list ap)
{
    char **v = calloc(64, sizeof *v);
    size_t n = 0;

    for (const char *s = first; s && n < 63; s = va_arg(ap, const char *))
        v[n++] = strdup(s);
    return v;
}

static char **strv(const char *first, ...)
{
    va_list ap;
    char **v;

    va_start(ap, first);
    v = strv_va(first, ap);
    va_end(ap);
    return v;
}

static void set_args(struct kb_spec *s, const char *first, ...)
{
    va_list ap;

    kb_strv_free(s->process.args);
    va_start(ap, first);
    s->process.args = strv_va(first, ap);
    va_end(ap);
}

static void sh(struct kb_spec *s, const char *script)
{
    set_args(s, "sh", "-c", script, NULL);
}

static void add_mount(struct kb_spec *s, const char *dest, const char *type, const char *source,
                      char **options)
{
    struct kb_mount *m;

    s->mounts = realloc(s->mounts, (s->n_mounts + 1) * sizeof *s->mounts);
    m = &s->mounts[s->n_mounts++];
    m->destination = strdup(dest);
    m->type = type ? strdup(type) : NULL;
    m->source = source ? strdup(source) : NULL;
    m->options = options;
}

static void set_caps(struct kb_spec *s, enum kb_cap_set set, char **names)
{
    kb_strv_free(s->process.caps[set]);
    s->process.caps[set] = names;
}

static void drop_ns(struct kb_spec *s, enum kb_ns_type t)
{
    for (size_t i = 0; i < s->n_namespaces; i++)
        if (s->namespaces[i].type == t) {
            free(s->namespaces[i].path);
            s->namespaces[i] = s->namespaces[--s->n_namespaces];
            return;
        }
}

/* runc's default spec, not a terminal */
static void new_spec(struct kb_spec *s)
{
    kb_err err;
    const char *json = kb_default_spec_json();

    if (kb_spec_parse(json, strlen(json), s, &err) < 0) {
        printf("# Bail out! default spec: %s\n", err.msg);
        exit(1);
    }
    s->process.terminal = 0;
}

/* --- running ------------------------------------------------------------ */

static void read_all(int fd, struct run *r, pid_t pid)
{
    time_t deadline = time(NULL) + 15;

    r->len = 0;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (time(NULL) > deadline || poll(&p, 1, 1000) < 0) {
            printf("# timeout: killing %d\n", (int)pid);
            kill(pid, SIGKILL);
            break;
        }
        if (!p.revents)
            continue;
        n = read(fd, r->out + r->len, sizeof r->out - 1 - r->len);
        if (n <= 0)
            break;
        r->len += (size_t)n;
    }
    r->out[r->len] = '\0';
}

/* Create and start, stdout+stderr into r->out, then reap: -1 when create
 * or start failed (r->err says why; the process is reaped either way).
 * The pty slave, if any, is closed here, so that its master sees the end. */
static int run_io(struct kb_spec *s, struct run *r, int console)
{
    struct kb_ctr c = { .pid = 123, .sync_fd = 456 };
    int p[2] = { -1, -1 }, rc = -1, outfd;
    struct kb_ctr_io io = { -1, -1, -1, console };

    memset(r, 0, sizeof *r);
    r->status = -1;
    if (!console) {
        if (pipe2(p, O_CLOEXEC) < 0)
            return -1;
        io.out = io.err = p[1];
    }
    r->created = kb_container_create(s, rootfs, &io, &c, &r->err) == 0;
    outfd = console ? c.console_fd : p[0];
    if (p[1] >= 0)
        close(p[1]);
    if (r->created) {
        r->started = kb_container_start(&c, &r->err) == 0;
        read_all(outfd, r, c.pid);
        while (waitpid(c.pid, &r->status, 0) < 0 && errno == EINTR)
            ;
        rc = r->started ? 0 : -1;
    } else if (c.pid != -1 || c.sync_fd != -1) {
        printf("# a failed create left pid %d sync %d\n", (int)c.pid, c.sync_fd);
    }
    kb_container_release(&c);
    if (console && c.console_fd >= 0)
        close(c.console_fd);
    if (p[0] >= 0)
        close(p[0]);
    return rc;
}

static int run(struct kb_spec *s, struct run *r)
{
    return run_io(s, r, 0);
}

static int no_children(void)
{
    return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static int has(const struct run *r, const char *what)
{
    return strstr(r->out, what) != NULL;
}

/* The mount at `point` in a /proc/self/mountinfo dump: "opts fstype superopts". */
static const char *mnt(const struct run *r, const char *point, char *buf, size_t len)
{
    const char *line = r->out;

    buf[0] = '\0';
    while (line && *line) {
        char f[6][256], fstype[64], super[256];
        const char *dash = strstr(line, " - "), *eol = strchr(line, '\n');

        if (dash && (!eol || dash < eol) &&
            sscanf(line, "%255s %255s %255s %255s %255s %255s", f[0], f[1], f[2], f[3], f[4], f[5]) == 6 &&
            sscanf(dash + 3, "%63s %*s %255s", fstype, super) == 2 && strcmp(f[4], point) == 0)
            snprintf(buf, len, "%s %s %s", f[5], fstype, super);   /* the last one wins */
        line = eol ? eol + 1 : NULL;
    }
    return buf;
}

#define NOTE_FAIL(r) printf("#   create %d start %d status %#x err %s (%d)\n#   out: %.3000s\n", (r)->created, \
                            (r)->started, (r)->status, (r)->err.msg, (r)->err.errnum, (r)->out)
#define ok_run(cond, r, ...) do { if (!ok(cond, __VA_ARGS__)) NOTE_FAIL(r); } while (0)

/* --- the tests ---------------------------------------------------------- */

static void test_default_root(void)
{
    struct kb_spec s;
    struct run r;
    char m[512];

    new_spec(&s);
    sh(&s, "echo pid=$$; hostname; id; umask; pwd; grep -E '^Cap' /proc/self/status;"
           "echo fds:; ls /proc/1/fd;"
           "stat -c '%n %F %a %u:%g %t:%T' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty;"
           "for l in fd stdin stdout stderr ptmx; do echo /dev/$l '->' $(readlink /dev/$l); done;"
           "touch /written 2>&1; echo 1 2>&1 >/proc/sys/kernel/ns_last_pid;"
           "echo keys=$(wc -c </proc/keys) acpi=$(ls /proc/acpi | wc -l);"
           "echo lo=$(cat /sys/class/net/lo/flags); echo HOME=$HOME; cat /proc/self/mountinfo");
    run(&s, &r);
    ok_run(r.started && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, &r, "default spec as root runs");
    ok_run(has(&r, "pid=1\n"), &r, "the init is pid 1 in its namespace");
    ok_run(has(&r, "\nkatabox\n"), &r, "hostname");
    ok_run(has(&r, "uid=0(root) gid=0\n"), &r, "uid 0, gid 0, no supplementary groups (runc)");
    ok_run(has(&r, "\n0022\n/\n"), &r, "umask 0022 when absent, cwd /");
    ok_run(has(&r, "CapInh:\t0000000000000000\nCapPrm:\t0000000020000420\nCapEff:\t0000000020000420\n"
                   "CapBnd:\t0000000020000420\nCapAmb:\t0000000000000000\n"), &r,
           "capability sets as runc gives root with the default spec");
    ok_run(has(&r, "fds:\n0\n1\n2\n/dev/null"), &r, "no fd above 2 reaches the container");
    ok_run(has(&r, "/dev/null character special file 666 0:0 1:3\n/dev/zero character special file 666 0:0 1:5\n"
                   "/dev/full character special file 666 0:0 1:7\n/dev/random character special file 666 0:0 1:8\n"
                   "/dev/urandom character special file 666 0:0 1:9\n/dev/tty character special file 666 0:0 5:0\n"),
           &r, "default device nodes, 0666 root:root");
    ok_run(has(&r, "/dev/fd -> /proc/self/fd\n/dev/stdin -> /proc/self/fd/0\n/dev/stdout -> /proc/self/fd/1\n"
                   "/dev/stderr -> /proc/self/fd/2\n/dev/ptmx -> pts/ptmx\n"), &r, "/dev symlinks");
    ok_run(has(&r, "touch: /written: Read-only file system"), &r, "root.readonly: / is read-only");
    ok_run(has(&r, "/proc/sys/kernel/ns_last_pid: Read-only file system"), &r, "readonlyPaths: /proc/sys");
    ok_run(has(&r, "keys=0 acpi=0\n"), &r, "maskedPaths: a file reads empty, a directory is empty");
    ok_run(has(&r, "lo=0x9\n"), &r, "the new network namespace has its loopback up");
    ok_run(has(&r, "HOME=/root\n"), &r, "HOME from the image's /etc/passwd");
    ok(strncmp(mnt(&r, "/", m, sizeof m), "ro,", 3) == 0, "/ is mounted read-only (%s)", m);
    is_str(mnt(&r, "/proc", m, sizeof m), "rw,relatime proc rw", "/proc");
    is_str(mnt(&r, "/dev", m, sizeof m), "rw,nosuid tmpfs rw,size=65536k,mode=755", "/dev");
    is_str(mnt(&r, "/dev/pts", m, sizeof m), "rw,nosuid,noexec,relatime devpts rw,gid=5,mode=620,ptmxmode=666",
           "/dev/pts");
    is_str(mnt(&r, "/dev/shm", m, sizeof m), "rw,nosuid,nodev,noexec,relatime tmpfs rw,size=65536k", "/dev/shm");
    is_str(mnt(&r, "/dev/mqueue", m, sizeof m), "rw,nosuid,nodev,noexec,relatime mqueue rw", "/dev/mqueue");
    is_str(mnt(&r, "/sys", m, sizeof m), "ro,nosuid,nodev,noexec,relatime sysfs ro", "/sys");
    ok(strncmp(mnt(&r, "/sys/fs/cgroup", m, sizeof m), "ro,nosuid,nodev,noexec,relatime cgroup2 ", 39) == 0,
       "/sys/fs/cgroup is cgroup2, read-only (%s)", m);
    is_str(mnt(&r, "/proc/sys", m, sizeof m), "ro,relatime proc rw", "/proc/sys read-only");
    is_str(mnt(&r, "/proc/acpi", m, sizeof m), "ro,relatime tmpfs ro", "/proc/acpi masked by a read-only tmpfs");
    ok(strstr(mnt(&r, "/proc/keys", m, sizeof m), "rw,nosuid tmpfs") == m, "/proc/keys masked by /dev/null (%s)", m);
    kb_spec_free(&s);
    ok(no_children(), "every child reaped");
}

static void test_user(void)
{
    static uint32_t gids[] = { 5, 6 };
    struct kb_spec s;
    struct run r;
    char probe[300];

    new_spec(&s);
    s.process.uid = 1000;
    s.process.gid = 100;
    s.process.additional_gids = malloc(sizeof gids);
    memcpy(s.process.additional_gids, gids, sizeof gids);
    s.process.n_additional_gids = 2;
    s.process.has_umask = 1;
    s.process.umask = 027;
    free(s.process.cwd);
    s.process.cwd = strdup("/work/new/dir");
    s.root_readonly = 0;
    sh(&s, "id; umask; pwd; stat -c '%a %u:%g' /work /work/new/dir; grep -E '^Cap' /proc/self/status;"
           "echo HOME=$HOME; stat -L -c 'fd %u' /proc/self/fd/1; touch /tmp/mine; stat -c '%a' /tmp/mine");
    run(&s, &r);
    ok_run(r.started && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, &r, "a non-root user runs");
    ok_run(has(&r, "uid=1000(u) gid=100 groups=5,6\n"), &r, "uid, gid and additionalGids");
    ok_run(has(&r, "\n0027\n/work/new/dir\n"), &r, "umask, and the missing cwd was created");
    ok_run(has(&r, "755 0:0\n755 0:0\n"), &r, "the cwd was created as root, 0755, as runc does");
    ok_run(has(&r, "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
                   "CapBnd:\t0000000020000420\nCapAmb:\t0000000000000000\n"), &r,
           "a non-root user keeps no capability but the bounding set (runc)");
    ok_run(has(&r, "HOME=/home/u\n"), &r, "HOME of uid 1000 from /etc/passwd");
    ok_run(has(&r, "fd 1000\n"), &r, "stdio handed to the user, as runc does");
    ok_run(has(&r, "\n640\n"), &r, "the umask applies to the process's files");

    /* with inheritable caps, the ambient set survives into the program */
    set_caps(&s, KB_CAP_INHERITABLE, strv("CAP_KILL", "CAP_NET_BIND_SERVICE", NULL));
    sh(&s, "grep -E '^Cap' /proc/self/status");
    run(&s, &r);
    ok_run(has(&r, "CapInh:\t0000000000000420\nCapPrm:\t0000000000000420\nCapEff:\t0000000000000420\n"
                   "CapBnd:\t0000000020000420\nCapAmb:\t0000000000000420\n"), &r,
           "ambient caps for a non-root user, as runc gives them");

    /* a cwd of the user's own, mode 0700 */
    snprintf(probe, sizeof probe, "%s/home", rootfs);
    mkdir(probe, 0755);
    snprintf(probe, sizeof probe, "%s/home/u", rootfs);
    mkdir(probe, 0700);
    chown(probe, 1000, 100);
    free(s.process.cwd);
    s.process.cwd = strdup("/home/u");
    sh(&s, "pwd");
    run(&s, &r);
    ok_run(r.started && has(&r, "/home/u\n"), &r, "a cwd only the user may enter (root enters it first)");
    kb_spec_free(&s);
    ok(no_children(), "every child reaped");
}

static void test_env_and_process(void)
{
    struct kb_spec s;
    struct run r;

    new_spec(&s);
    kb_strv_free(s.process.env);
    s.process.env = strv("PATH=/bin", "FOO=bar baz", "HOME=/nowhere", NULL);
    set_args(&s, "env", NULL);
    run(&s, &r);
    ok_run(r.started && strcmp(r.out, "PATH=/bin\nFOO=bar baz\nHOME=/nowhere\n") == 0, &r,
           "the environment is exactly process.env when it has HOME");

    kb_strv_free(s.process.env);
    s.process.env = strv("PATH=/bin", NULL);
    run(&s, &r);
    ok_run(strcmp(r.out, "PATH=/bin\nHOME=/root\n") == 0, &r, "HOME is added as runc does");

    /* the caller's blocked and ignored signals stay the caller's */
    set_args(&s, "grep", "-E", "^(SigBlk|SigIgn|NoNewPrivs)", "/proc/self/status", NULL);
    run(&s, &r);
    ok_run(has(&r, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"), &r,
           "signal mask and dispositions reset");
    ok_run(has(&r, "NoNewPrivs:\t1\n"), &r, "noNewPrivileges");

    s.process.has_oom_score_adj = 1;
    s.process.oom_score_adj = 500;
    sh(&s, "cat /proc/self/oom_score_adj; ulimit -n; ulimit -Hn");
    run(&s, &r);
    ok_run(has(&r, "500\n1024\n1024\n"), &r, "oomScoreAdj and rlimits");

    sh(&s, "exit 3");
    run(&s, &r);
    ok_run(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 3, &r, "the exit status passes through");

    drop_ns(&s, KB_NS_PID);
    sh(&s, "echo pid=$$");
    run(&s, &r);
    ok_run(r.started && !has(&r, "pid=1\n") && has(&r, "pid="), &r, "without a pid namespace, not pid 1");
    kb_spec_free(&s);
    ok(no_children(), "every child reaped");
}

static void test_signal(void)
{
    struct kb_spec s;
    struct kb_ctr c = { 0 };
    struct kb_ctr_io io = { -1, -1, -1, -1 };
    kb_err err;
    int status = 0;

    new_spec(&s);
    set_args(&s, "sleep", "30", NULL);
    ok(kb_container_create(&s, rootfs, &io, &c, &err) == 0 && c.pid > 0 && c.sync_fd >= 0,
       "create (%s)", err.msg);
    ok(kb_container_start(&c, &err) == 0 && c.sync_fd == -1, "start");
    ok(kb_container_start(&c, &err) < 0 && strstr(err.msg, "not waiting"), "a second start fails (%s)", err.msg);
    {
        /* a second container joins its pid and uts namespaces by path */
        struct kb_spec j;
        struct run r;

        new_spec(&j);
        for (size_t i = 0; i < j.n_namespaces; i++)
            if (j.namespaces[i].type == KB_NS_PID || j.namespaces[i].type == KB_NS_UTS) {
                char path[64];
                snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)c.pid,
                         j.namespaces[i].type == KB_NS_PID ? "pid" : "uts");
                j.namespaces[i].path = strdup(path);
            }
        free(j.hostname);
        j.hostname = NULL;
        sh(&j, "hostname; echo pid=$$; kill -0 1 && echo sees its init");
        run(&j, &r);
        ok_run(r.started && has(&r, "katabox\n") && !has(&r, "pid=1\n") && has(&r, "sees its init"), &r,
               "joining namespaces by path");
        kb_spec_free(&j);
    }
    kill(c.pid, SIGKILL);
    waitpid(c.pid, &status, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "killed by a signal: status %#x", status);
    kb_container_release(&c);
    kb_container_release(&c);

    /* created, never started: kill, release, reap */
    memset(&err, 0, sizeof err);
    ok(kb_container_create(&s, rootfs, &io, &c, &err) == 0, "create again (%s)", err.msg);
    kill(c.pid, SIGKILL);
    kb_container_release(&c);
    waitpid(c.pid, &status, 0);
    ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && no_children(), "a created container is killed and reaped");

    /* released without start: the init sees the end of the channel and leaves */
    ok(kb_container_create(&s, rootfs, &io, &c, &err) == 0, "create once more (%s)", err.msg);
    kb_container_release(&c);
    waitpid(c.pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 1 && no_children(), "a released container exits by itself");
    kb_spec_free(&s);
}

static void test_exec_errors(void)
{
    struct kb_spec s;
    struct run r;

    new_spec(&s);
    set_args(&s, "nosuchcmd", NULL);
    run(&s, &r);
    ok_run(!r.created && r.err.errnum == ENOENT &&
               strcmp(r.err.msg, "exec: \"nosuchcmd\": executable file not found in $PATH") == 0, &r,
           "not found in PATH: ENOENT, runc's message");
    ok(no_children(), "the failed container is gone");
    set_args(&s, "/bin/nope", NULL);
    run(&s, &r);
    ok_run(!r.created && r.err.errnum == ENOENT && strcmp(r.err.msg, "exec: \"/bin/nope\": stat /bin/nope") == 0,
           &r, "a missing path: ENOENT");
    set_args(&s, "/etc/passwd", NULL);
    run(&s, &r);
    ok_run(!r.created && r.err.errnum == EACCES && strcmp(r.err.msg, "exec: \"/etc/passwd\"") == 0, &r,
           "not executable: EACCES");
    set_args(&s, "/bin", NULL);
    run(&s, &r);
    ok_run(!r.created && r.err.errnum == EACCES, &r, "a directory: EACCES");
    kb_strv_free(s.process.env);
    s.process.env = strv("TERM=xterm", NULL);
    set_args(&s, "sh", "-c", "true", NULL);
    run(&s, &r);
    ok_run(!r.created && r.err.errnum == ENOENT, &r, "no PATH in process.env finds nothing, as in runc");
    set_args(&s, "/bin/sh", "-c", "echo $PATH", NULL);
    run(&s, &r);
    ok_run(r.started && r.len > 0, &r, "no PATH, an absolute path runs");
    set_args(&s, "/bin/garbage", NULL);
    run(&s, &r);
    ok_run(r.created && !r.started && r.err.errnum == ENOEXEC && strstr(r.err.msg, "exec /bin/garbage") &&
               WIFEXITED(r.status) && WEXITSTATUS(r.status) == 126, &r,
           "an exec failure at start: its errno, and the process exits 126");
    kb_spec_free(&s);
    ok(no_children(), "every child reaped");
}

/* Each of these fails, names the culprit, and leaves nothing behind. */
static void test_setup_errors(void)
{
    static const struct {
        const char *what, *want;
        int errnum;
    } cases[] = {
        { "bad type", "mounts[7]: mount nosuchfs on /mnt", ENODEV },
        { "no uts", "hostname: unable to set hostname without a private UTS namespace", EINVAL },
        { "cap", "process.capabilities.bounding: unknown capability \"CAP_FOO\"", EINVAL },
        { "userns", "linux.namespaces: a new user namespace needs linux.uidMappings", EINVAL },
        { "sysctl global", "linux.sysctl: 'vm.swappiness' is not in a separate kernel namespace", EINVAL },
        { "sysctl hostname", "linux.sysctl: 'kernel.hostname' is not allowed: it conflicts", EINVAL },
        { "sysctl host net", "linux.sysctl: 'net.ipv4.ip_forward' is not allowed in the host's network", EINVAL },
        { "sysctl missing", "linux.sysctl: net.ipv4.no_such_thing", ENOENT },
        { "device dotdot", "linux.devices[0].path: '/dev/../etc/x' has a '..' component", EINVAL },
        { "unmapped root", "user namespace: become uid 0", EINVAL },
        { "dotdot", "mounts[7]: destination: '/mnt/../etc' has a '..' component", EINVAL },
        { "rootfs", "rootfs /nonexistent", ENOENT },
        { "bind source", "mounts[7]: mount point: ", 0 },
        { "missing bind", "mounts[7]: bind source /nonexistent", ENOENT },
        { "proc", "mounts[7]: /proc cannot be mounted because it is not of type proc", EPERM },
        { "masked", "linux.maskedPaths[0]: 'proc/kcore' is not an absolute path", EINVAL },
        { "no mnt ns", "linux.namespaces: a mount namespace is required", EINVAL },
        { "sysfs on a file", "mounts[7]: filesystem \"sysfs\" must be mounted on ordinary directory", ENOTDIR },
        { "loop", "mounts[7]: mount point: /loop/x", ELOOP },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *w = cases[i].what, *root = rootfs;
        struct kb_spec s;
        struct kb_ctr c = { 0 };
        struct kb_ctr_io io = { -1, -1, -1, -1 };
        kb_err err = { 0 };
        int r;

        new_spec(&s);
        set_args(&s, "true", NULL);
        if (!strcmp(w, "bad type"))
            add_mount(&s, "/mnt", "nosuchfs", "x", NULL);
        if (!strcmp(w, "no uts"))
            drop_ns(&s, KB_NS_UTS);
        if (!strcmp(w, "cap"))
            set_caps(&s, KB_CAP_BOUNDING, strv("CAP_KILL", "CAP_FOO", NULL));
        if (!strcmp(w, "userns")) {
            s.namespaces = realloc(s.namespaces, (s.n_namespaces + 1) * sizeof *s.namespaces);
            s.namespaces[s.n_namespaces++] = (struct kb_namespace){ KB_NS_USER, NULL };
        }
        if (!strcmp(w, "dotdot"))
            add_mount(&s, "/mnt/../etc", "tmpfs", "tmpfs", NULL);
        if (!strncmp(w, "sysctl", 6)) {
            s.sysctl = strv(!strcmp(w, "sysctl global") ? "vm.swappiness" :
                            !strcmp(w, "sysctl hostname") ? "kernel.hostname" :
                            !strcmp(w, "sysctl missing") ? "net.ipv4.no_such_thing" : "net.ipv4.ip_forward",
                            "1", NULL);
            if (!strcmp(w, "sysctl host net"))
                drop_ns(&s, KB_NS_NETWORK);
        }
        if (!strcmp(w, "device dotdot")) {
            s.devices = calloc(1, sizeof *s.devices);
            s.devices[0] = (struct kb_device){ .path = strdup("/dev/../etc/x"), .type = 'p' };
            s.n_devices = 1;
        }
        if (!strcmp(w, "unmapped root")) {
            s.namespaces = realloc(s.namespaces, (s.n_namespaces + 1) * sizeof *s.namespaces);
            s.namespaces[s.n_namespaces++] = (struct kb_namespace){ KB_NS_USER, NULL };
            s.uid_mappings = calloc(1, sizeof *s.uid_mappings);
            s.uid_mappings[0] = (struct kb_id_map){ 1, 100000, 10 };
            s.gid_mappings = calloc(1, sizeof *s.gid_mappings);
            s.gid_mappings[0] = (struct kb_id_map){ 0, 100000, 10 };
            s.n_uid_mappings = s.n_gid_mappings = 1;
        }
        if (!strcmp(w, "rootfs"))
            root = "/nonexistent";
        if (!strcmp(w, "bind source")) /* a file where a directory must go */
            add_mount(&s, "/etc/passwd/x", "bind", share, NULL);
        if (!strcmp(w, "missing bind"))
            add_mount(&s, "/mnt", "bind", "/nonexistent", NULL);
        if (!strcmp(w, "proc"))
            add_mount(&s, "/proc", "tmpfs", "tmpfs", NULL);
        if (!strcmp(w, "masked")) {
            kb_strv_free(s.masked_paths);
            s.masked_paths = strv("proc/kcore", NULL);
        }
        if (!strcmp(w, "no mnt ns"))
            drop_ns(&s, KB_NS_MOUNT);
        if (!strcmp(w, "loop"))
            add_mount(&s, "/loop/x", "tmpfs", "tmpfs", NULL);
        if (!strcmp(w, "sysfs on a file"))
            add_mount(&s, "/etc/hosts", "sysfs", "sysfs", NULL);
        r = kb_container_create(&s, root, &io, &c, &err);
        ok(r < 0 && strncmp(err.msg, cases[i].want, strlen(cases[i].want)) == 0 &&
               (!cases[i].errnum || err.errnum == cases[i].errnum) && c.pid == -1 && c.sync_fd == -1,
           "%s: '%s' (%s)", w, err.msg, strerror(err.errnum));
        ok(no_children(), "%s: nothing left behind", w);
        kb_spec_free(&s);
    }
}

static void test_mounts(void)
{
    struct kb_spec s;
    struct run r;
    char path[300], m[512], name[64], script[1024];

    new_spec(&s);
    s.root_readonly = 0;
    snprintf(name, sizeof name, "kb-%s", top + 5);
    snprintf(path, sizeof path, "%s/hello", share);
    add_mount(&s, "/data", "bind", share, strv("rbind", NULL));
    add_mount(&s, "/rodata", "none", share, strv("bind", "ro", "nosuid", NULL));
    add_mount(&s, "/hello.txt", "bind", path, strv("ro", NULL));
    add_mount(&s, "/tmp", "tmpfs", "tmpfs", strv("mode=700", NULL));
    add_mount(&s, "/ro-tmpfs", "tmpfs", "tmpfs", strv("ro", "nodev", "size=1m", NULL));
    /* symlinks of the image used as destinations stay inside it */
    snprintf(path, sizeof path, "/etclink/%s", name);
    add_mount(&s, path, "tmpfs", "tmpfs", NULL);
    snprintf(path, sizeof path, "/up/tmp/%s", name);
    add_mount(&s, path, "bind", share, strv("rbind", NULL));
    /* a dangling one is followed and its target created, as runc's MkdirAll does */
    add_mount(&s, "/dangling/sub", "tmpfs", "tmpfs", NULL);
    snprintf(script, sizeof script,
             "cat /data/hello; echo new >/data/new && echo wrote; echo x 2>&1 >/rodata/x; cat /hello.txt;"
             "echo x 2>&1 >/hello.txt; stat -c '%%a' /tmp /ro-tmpfs; touch /ro-tmpfs/x 2>&1;"
             "ls /tmp/%s; cat /proc/self/mountinfo", name);
    sh(&s, script);
    run(&s, &r);
    ok_run(r.started && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, &r, "bind mounts");
    ok_run(has(&r, "hello from the host\nwrote\n"), &r, "an rbind of a host directory, writable");
    snprintf(path, sizeof path, "%s/new", share);
    ok(access(path, F_OK) == 0, "the host sees what the container wrote");
    ok_run(has(&r, "/rodata/x: Read-only file system"), &r, "a read-only bind");
    ok(strncmp(mnt(&r, "/rodata", m, sizeof m), "ro,nosuid,relatime ", 19) == 0,
       "a read-only bind keeps its other options (%s)", m);
    ok_run(has(&r, "hello from the host\nsh: can't create /hello.txt: Read-only file system"), &r,
           "a read-only bind of a file, on a file created for it");
    /* runc chmods a tmpfs to the mode of the directory it covers, whatever
     * mode= says; on a new directory it keeps tmpfs's default, 1777 */
    ok_run(has(&r, "\n1777\n1777\n"), &r, "tmpfs modes as runc leaves them");
    ok_run(has(&r, "/ro-tmpfs/x: Read-only file system"), &r, "a read-only tmpfs is sealed after setup");
    ok(strncmp(mnt(&r, "/ro-tmpfs", m, sizeof m), "ro,nodev,relatime tmpfs", 23) == 0, "ro tmpfs flags (%s)", m);
    snprintf(path, sizeof path, "/etc/%s", name);
    ok(strncmp(mnt(&r, path, m, sizeof m), "rw,relatime tmpfs", 17) == 0, "a symlink to /etc lands in the image's /etc (%s)", m);
    ok(access(path, F_OK) < 0 && errno == ENOENT, "the host's %s was not touched", path);
    snprintf(path, sizeof path, "%s/etc/%s", rootfs, name);
    ok(access(path, F_OK) == 0, "the mount point was created in the rootfs");
    snprintf(path, sizeof path, "/tmp/%s", name);
    ok(mnt(&r, path, m, sizeof m)[0] && has(&r, "\nhello\nnew\n"), "a symlink to ../../.. stays at the rootfs (%s)", m);
    ok(access(path, F_OK) < 0 && errno == ENOENT, "the host's %s was not touched", path);
    ok(strncmp(mnt(&r, "/made/by/link/sub", m, sizeof m), "rw,relatime tmpfs", 17) == 0,
       "a dangling symlink's target is created inside the rootfs (%s)", m);
    ok(access("/made", F_OK) < 0 && errno == ENOENT, "and not on the host");
    kb_spec_free(&s);
    ok(no_children(), "every child reaped");
}

/* A user namespace (its maps written by the caller), sysctls, linux.devices
 * and rootfsPropagation. */
static void test_userns_sysctl_devices(void)
{
    struct kb_spec s;
    struct run r;
    char m[512];

    new_spec(&s);
    s.root_readonly = 0;
    s.namespaces = realloc(s.namespaces, (s.n_namespaces + 1) * sizeof *s.namespaces);
    s.namespaces[s.n_namespaces++] = (struct kb_namespace){ KB_NS_USER, NULL };
    s.uid_mappings = calloc(1, sizeof *s.uid_mappings);
    s.uid_mappings[0] = (struct kb_id_map){ 0, 0, 65536 };
    s.gid_mappings = calloc(2, sizeof *s.gid_mappings);
    s.gid_mappings[0] = (struct kb_id_map){ 0, 0, 1000 };
    s.gid_mappings[1] = (struct kb_id_map){ 1000, 200000, 10 };
    s.n_uid_mappings = 1;
    s.n_gid_mappings = 2;
    /* this host may have cgroup v1: nothing to bind in a user namespace */
    for (size_t i = 0; i < s.n_mounts; i++)
        if (!strcmp(s.mounts[i].destination, "/sys/fs/cgroup")) {
            free(s.mounts[i].type);
            s.mounts[i].type = strdup("tmpfs");
        }
    s.sysctl = strv("kernel.shmmni", "123", "net.ipv4.ip_forward", "1", NULL);
    sh(&s, "cat /proc/self/uid_map /proc/self/gid_map; id -u; cat /proc/sys/kernel/shmmni "
           "/proc/sys/net/ipv4/ip_forward; stat -c '%t:%T %a' /dev/null; readlink /proc/self/ns/user");
    run(&s, &r);
    ok_run(r.started && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, &r, "a user namespace");
    ok_run(has(&r, "0          0      65536\n") && has(&r, "1000     200000         10\n"), &r,
           "its uid and gid maps, as given");
    ok_run(has(&r, "\n0\n123\n1\n"), &r, "root inside; ipc and net sysctls in its own namespaces");
    ok_run(has(&r, "1:3 666\n"), &r, "/dev/null bound from the caller's (mknod is refused there)");
    {
        char mine[64] = "";
        ssize_t n = readlink("/proc/self/ns/user", mine, sizeof mine - 1);
        ok(n > 0 && !has(&r, mine), "a user namespace of its own");
    }
    kb_spec_free(&s);

    new_spec(&s);
    s.root_readonly = 0;
    s.devices = calloc(3, sizeof *s.devices);
    s.devices[0] = (struct kb_device){ .path = strdup("/dev/fuse"), .type = 'c', .major = 10, .minor = 229,
                                       .has_mode = 1, .mode = 0640, .has_uid = 1, .uid = 1000 };
    s.devices[1] = (struct kb_device){ .path = strdup("/dev/sub/fifo"), .type = 'p', .has_mode = 1,
                                       .mode = 0600, .has_gid = 1, .gid = 5 };
    s.devices[2] = (struct kb_device){ .path = strdup("/dev/null"), .type = 'c', .major = 1, .minor = 3,
                                       .has_mode = 1, .mode = 0600 };
    s.n_devices = 3;
    s.rootfs_propagation = strdup("rshared");
    sh(&s, "stat -c '%n %F %t:%T %a %u:%g' /dev/fuse /dev/sub/fifo /dev/null /dev/zero;"
           "cat /proc/self/mountinfo");
    run(&s, &r);
    ok_run(r.started && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, &r, "linux.devices");
    ok_run(has(&r, "/dev/fuse character special file a:e5 640 1000:0\n"), &r, "a char device, mode and owner");
    ok_run(has(&r, "/dev/sub/fifo fifo 0:0 600 0:5\n"), &r, "a fifo in a new directory");
    ok_run(has(&r, "/dev/null character special file 1:3 600 0:0\n/dev/zero character special file 1:5 666"),
           &r, "a default device given its own mode; the other defaults as usual");
    ok_run(has(&r, " / rw,relatime shared:"), &r, "rootfsPropagation rshared: / is shared");
    ok(strncmp(mnt(&r, "/", m, sizeof m), "rw,relatime ", 12) == 0, "/ is the rootfs (%s)", m);
    kb_spec_free(&s);
    ok(no_children(), "every child reaped");
}

static void test_terminal(void)
{
    struct kb_spec s;
    struct run r;

    new_spec(&s);
    s.process.terminal = 1;
    s.process.console_rows = 33;
    s.process.console_cols = 111;
    sh(&s, "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty; readlink /proc/self/fd/0; "
           "stat -c 'console %t:%T' /dev/console /dev/pts/0; stty size");
    run_io(&s, &r, 1);
    ok_run(r.started && has(&r, "tty\r\n/dev/pts/0\r\n"), &r,
           "terminal mode: fds 0-2 are /dev/pts/0 of the container's own devpts, as runc's");
    ok_run(has(&r, "console 88:0\r\nconsole 88:0\r\n"), &r, "/dev/console is bound to it");
    ok_run(has(&r, "33 111\r\n"), &r, "consoleSize");
    kb_spec_free(&s);
    ok(no_children(), "every child reaped");
}

/* The rootfs has nothing but busybox: it must not need a dynamic loader. */
static int static_busybox(void)
{
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    int fd = open("/bin/busybox", O_RDONLY | O_CLOEXEC), found = 0;

    if (fd < 0)
        return 0;
    if (pread(fd, &eh, sizeof eh, 0) != sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
        close(fd);
        return 0;
    }
    for (int i = 0; i < eh.e_phnum; i++)
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (size_t)i * eh.e_phentsize)) == sizeof ph &&
            ph.p_type == PT_INTERP)
            found = 1;
    close(fd);
    return !found;
}

int main(void)
{
    sigset_t block;
    int leak;

    if (geteuid() != 0) {
        tap_skip("needs root");
        return tap_done();
    }
    if (!static_busybox()) {
        tap_skip("needs a static /bin/busybox (Debian's busybox-static)");
        return tap_done();
    }
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 || make_rootfs() < 0) {
        printf("# Bail out! setup: %s\n", strerror(errno));
        cleanup();
        return 1;
    }
    /* what an agent does (signalfd), that the container must not inherit */
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, NULL);
    signal(SIGUSR1, SIG_IGN);
    /* and an fd without close-on-exec, which must not leak either */
    leak = open("/dev/null", O_RDONLY);

    test_default_root();
    test_user();
    test_env_and_process();
    test_signal();
    test_exec_errors();
    test_setup_errors();
    test_mounts();
    test_userns_sysctl_devices();
    test_terminal();
    cleanup();
    close(leak);
    return tap_done();
}
