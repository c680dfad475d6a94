/* kb_container_exec on real containers (as root): a busybox rootfs in a
 * temp dir, a container whose init sleeps, and processes exec'd into it
 * that report what they see, compared with what the init sees. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../core/container/container.h"
#include "../../core/json.h"
#include "../../core/oci/default_spec.h"
#include "../../core/oci/spec.h"
#include "tap.h"

static char dir[64] = "/tmp/kbexec.XXXXXX", rootfs[128];

/* What one exec'd process printed (stdout and stderr) and how it ended. */
struct out {
    int exec_ok, start_ok, status;
    char text[16384];
    char tty[64];           /* terminal mode: the pty it handed over */
    kb_err err;
};

/* --- the rootfs: busybox and its applets, /etc/passwd, a marker ------- */

static int write_file(const char *rel, const char *text, mode_t mode)
{
    char path[256];
    int fd, r;

    snprintf(path, sizeof path, "%s/%s", rootfs, rel);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    r = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
    close(fd);
    return r;
}

static int install_busybox(void)
{
    static const char *const names[] = { "sh", "cat", "id", "hostname", "pwd", "umask", "readlink",
                                         "grep", "ls", "sleep", "echo", "env", "touch", "stat", "true" };
    char path[256];
    struct stat st;
    int in, out;
    off_t off = 0;

    in = open("/bin/busybox", O_RDONLY | O_CLOEXEC);
    if (in < 0 || fstat(in, &st) < 0)
        goto fail_in;
    snprintf(path, sizeof path, "%s/bin/busybox", rootfs);
    out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (out < 0)
        goto fail_in;
    while (off < st.st_size)
        if (sendfile(out, in, &off, (size_t)(st.st_size - off)) <= 0)
            break;
    close(out);
    close(in);
    if (off != st.st_size)
        return -1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/bin/%s", rootfs, names[i]);
        if (symlink("busybox", path) < 0)
            return -1;
    }
    return 0;
fail_in:
    if (in >= 0)
        close(in);
    return -1;
}

static int setup_rootfs(void)
{
    static const char *const sub[] = { "bin", "etc", "proc", "sys", "dev", "tmp", "home" };
    char path[256];

    if (!mkdtemp(dir))
        return -1;
    snprintf(rootfs, sizeof rootfs, "%s/rootfs", dir);
    if (mkdir(rootfs, 0755) < 0)
        return -1;
    for (size_t i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", rootfs, sub[i]);
        if (mkdir(path, 0755) < 0 || chmod(path, strcmp(sub[i], "tmp") == 0 ? 01777 : 0755) < 0)
            return -1;
    }
    if (install_busybox() < 0)
        return -1;
    return write_file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nu:x:1000:100::/home/u:/bin/sh\n", 0644) < 0 ||
                   write_file("etc/group", "root:x:0:\n", 0644) < 0 ||
                   write_file("etc/only-in-the-container", "marker\n", 0644) < 0
               ? -1
               : 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(path);
    return unlink(path);
}

static void remove_dir(void)
{
    if (strcmp(dir, "/tmp/kbexec.XXXXXX") == 0)
        return;
    /* the container's mounts live in its own namespace; should one have
     * reached ours, detach it rather than walk into it */
    umount2(rootfs, MNT_DETACH);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* --- the container and its execs -------------------------------------- */

static pid_t start_container(struct kb_spec *s)
{
    const char *json = kb_default_spec_json();
    struct kb_ctr_io io = { -1, -1, -1, -1 };
    struct kb_ctr c = { 0 };
    kb_err err;

    if (kb_spec_parse(json, strlen(json), s, &err) < 0) {
        printf("# default spec: %s\n", err.msg);
        return -1;
    }
    s->process.terminal = 0;
    free(s->hostname);
    s->hostname = strdup("exec-test");
    kb_strv_free(s->process.args);
    s->process.args = calloc(3, sizeof *s->process.args);
    s->process.args[0] = strdup("sleep");
    s->process.args[1] = strdup("1000");
    if (kb_container_create(s, rootfs, &io, &c, &err) < 0 || kb_container_start(&c, &err) < 0) {
        printf("# the container: %s\n", err.msg);
        kb_container_release(&c);
        if (c.pid > 0) {
            kill(c.pid, SIGKILL);
            waitpid(c.pid, NULL, 0);
        }
        return -1;
    }
    kb_container_release(&c);
    return c.pid;
}

static void drain(int fd, struct out *o, pid_t pid)
{
    size_t len = 0;
    time_t give_up = time(NULL) + 20;

    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (time(NULL) > give_up) {
            printf("# stuck: killing %d\n", (int)pid);
            kill(pid, SIGKILL);
            break;
        }
        if (poll(&p, 1, 500) <= 0)
            continue;
        n = read(fd, o->text + len, sizeof o->text - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    o->text[len] = '\0';
}

/* Exec p into init's container with stdout and stderr into o->text (or
 * onto its own terminal, console: output read from the master it hands
 * over; o->tty gets the slave's name), start it and reap it. */
static void exec_io(pid_t init, const struct kb_process *p, struct out *o, int console)
{
    struct kb_ctr_io io = { -1, -1, -1, console };
    struct kb_ctr c = { .pid = 77, .sync_fd = 78 };
    int fds[2] = { -1, -1 };

    memset(o, 0, sizeof *o);
    o->status = -1;
    if (!console) {
        if (pipe2(fds, O_CLOEXEC) < 0)
            return;
        io.out = io.err = fds[1];
    }
    o->exec_ok = kb_container_exec(init, NULL, p, &io, &c, &o->err) == 0;
    /* the process has its copy: ours would keep its output from ending */
    if (fds[1] >= 0)
        close(fds[1]);
    if (o->exec_ok && console && (c.console_fd < 0 || ptsname_r(c.console_fd, o->tty, sizeof o->tty) != 0))
        snprintf(o->tty, sizeof o->tty, "none");
    if (o->exec_ok) {
        o->start_ok = kb_container_start(&c, &o->err) == 0;
        drain(console ? c.console_fd : fds[0], o, c.pid);
        while (waitpid(c.pid, &o->status, 0) < 0 && errno == EINTR)
            ;
    } else if (c.pid != -1 || c.sync_fd != -1) {
        printf("# a failed exec left pid %d sync %d\n", (int)c.pid, c.sync_fd);
    }
    kb_container_release(&c);
    if (console && c.console_fd >= 0)
        close(c.console_fd);
    if (fds[0] >= 0)
        close(fds[0]);
}

/* The container's process with args ("sh", "-c", script). */
static struct kb_process shell(const struct kb_spec *s, char *argv[4], const char *script)
{
    struct kb_process p = s->process;

    argv[0] = "sh";
    argv[1] = "-c";
    argv[2] = (char *)script;
    argv[3] = NULL;
    p.args = argv;
    return p;
}

static int only_init_left(pid_t init)
{
    return waitpid(-1, NULL, WNOHANG) == 0 && kill(init, 0) == 0;
}

static int has(const struct out *o, const char *what)
{
    return strstr(o->text, what) != NULL;
}

#define ok_out(cond, o, ...)                                                                          \
    do {                                                                                          \
        if (!ok(cond, __VA_ARGS__))                                                               \
            printf("#   exec %d start %d status %#x err %s (%d)\n#   out: %.2000s\n", (o)->exec_ok, \
                   (o)->start_ok, (o)->status, (o)->err.msg, (o)->err.errnum, (o)->text);         \
    } while (0)

/* --- the tests -------------------------------------------------------- */

/* The init's namespaces as the caller sees them, "pid:[...] uts:[...] ...". */
static void init_namespaces(pid_t init, char *buf, size_t len)
{
    static const char *const kinds[] = { "pid", "uts", "mnt", "net", "ipc" };
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char path[64], link[64];
        ssize_t n;

        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)init, kinds[i]);
        n = readlink(path, link, sizeof link - 1);
        link[n > 0 ? n : 0] = '\0';
        used += (size_t)snprintf(buf + used, len - used, "%s\n", link);
    }
}

static void test_sees_the_container(const struct kb_spec *s, pid_t init)
{
    char *argv[4], want[512];
    struct kb_process p = shell(s, argv,
                                "for n in pid uts mnt net ipc; do readlink /proc/self/ns/$n; done;"
                                "echo pid=$$ init=$(cat /proc/1/comm); hostname; cat /etc/only-in-the-container;"
                                "id; umask; pwd; echo HOME=$HOME; grep -E '^(CapBnd|CapEff|SigBlk)' /proc/self/status;"
                                "echo fds:; ls /proc/$$/fd; touch /written 2>&1; true");
    struct out o;

    exec_io(init, &p, &o, 0);
    ok_out(o.start_ok && WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0, &o, "an exec'd shell runs");
    init_namespaces(init, want, sizeof want);
    ok_out(strncmp(o.text, want, strlen(want)) == 0, &o, "the init's pid, uts, mount, network and ipc namespaces");
    ok_out(has(&o, "init=sleep\n") && !has(&o, "pid=1 "), &o, "the init is pid 1 of the same pid namespace");
    ok_out(has(&o, "\nexec-test\n"), &o, "the container's hostname");
    ok_out(has(&o, "\nmarker\n"), &o, "the container's root (a file only in its rootfs)");
    ok_out(has(&o, "uid=0(root) gid=0(root)\n0022\n/\nHOME=/root\n"), &o,
           "the container's user, umask 0022, cwd and HOME");
    ok_out(has(&o, "CapBnd:\t0000000020000420\n") && has(&o, "CapEff:\t0000000020000420\n"), &o,
           "the container's capabilities");
    ok_out(has(&o, "SigBlk:\t0000000000000000\n"), &o, "no signal of the caller's stays blocked");
    ok_out(has(&o, "fds:\n0\n1\n2\n") && !has(&o, "\n3\n"), &o, "no fd of the caller's reaches the process");
    ok_out(has(&o, "Read-only file system"), &o, "the container's read-only root");
    ok(only_init_left(init), "the exec'd process was reaped, the init lives");
}

static void test_overrides(const struct kb_spec *s, pid_t init)
{
    static uint32_t groups[] = { 5, 7 };
    char *argv[4], *env[] = { "PATH=/bin", "FOO=bar", NULL };
    char *caps[] = { "CAP_KILL", "CAP_NET_RAW", NULL };
    struct kb_process p = shell(s, argv,
                                "id; umask; pwd; echo FOO=$FOO HOME=$HOME; touch /dev/shm/x && stat -c %a /dev/shm/x;"
                                "grep -E '^(CapBnd|CapEff|NoNewPrivs)' /proc/self/status");
    struct out o;

    p.env = env;
    p.cwd = "/etc";
    p.uid = 1000;
    p.gid = 100;
    p.additional_gids = groups;
    p.n_additional_gids = 2;
    p.has_umask = 1;
    p.umask = 027;
    p.no_new_privileges = 1;
    p.caps[KB_CAP_BOUNDING] = caps;
    exec_io(init, &p, &o, 0);
    ok_out(o.start_ok && WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0, &o, "an exec'd shell as uid 1000 runs");
    ok_out(has(&o, "uid=1000(u) gid=100 groups=5,7\n"), &o, "uid, gid and additional gids");
    ok_out(has(&o, "\n0027\n/etc\n"), &o, "umask and cwd");
    ok_out(has(&o, "FOO=bar HOME=/home/u\n"), &o, "env, and HOME of uid 1000 from /etc/passwd");
    ok_out(has(&o, "\n640\n"), &o, "the umask applies");
    ok_out(has(&o, "CapEff:\t0000000000000000\nCapBnd:\t0000000000002020\nNoNewPrivs:\t1\n"), &o,
           "its own bounding set, no effective caps as a user, noNewPrivileges");
    ok(only_init_left(init), "reaped");
}

static void test_terminal(const struct kb_spec *s, pid_t init)
{
    char *argv[4];
    struct kb_process p = shell(s, argv, "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo on a tty; readlink /proc/self/fd/0");
    struct out o;

    p.terminal = 1;
    exec_io(init, &p, &o, 1);
    ok_out(o.start_ok && has(&o, "on a tty\r\n/dev/pts/"), &o,
           "terminal: fds 0-2 are a pty of the container's devpts (%s)", o.tty);
    ok(only_init_left(init), "reaped");
}

static void test_errors(const struct kb_spec *s, pid_t init)
{
    char *argv[] = { "no-such-program", NULL }, *path_argv[] = { "/bin/nope", NULL }, *sh_argv[4];
    struct kb_process p = s->process;
    struct out o;
    int status;

    p.args = argv;
    exec_io(init, &p, &o, 0);
    ok_out(!o.exec_ok && o.err.errnum == ENOENT, &o, "a program not in $PATH fails the exec itself");
    is_str(o.err.msg, "exec: \"no-such-program\": executable file not found in $PATH", "runc's message");
    p.args = path_argv;
    exec_io(init, &p, &o, 0);
    ok_out(!o.exec_ok && o.err.errnum == ENOENT && strstr(o.err.msg, "/bin/nope"), &o,
           "a missing path fails the exec too");
    p = shell(s, sh_argv, "true");
    p.cwd = "/no/such/dir";
    exec_io(init, &p, &o, 0);
    ok_out(!o.exec_ok && o.err.errnum == ENOENT && strstr(o.err.msg, "process.cwd"), &o,
           "a missing cwd is not created for an exec, as with runc");
    p.cwd = "relative";
    exec_io(init, &p, &o, 0);
    ok_out(!o.exec_ok && o.err.errnum == EINVAL, &o, "a relative cwd is refused before any fork");
    ok(only_init_left(init), "nothing left but the init after failed execs");

    /* the init is gone: nothing to join */
    kill(init, SIGKILL);
    waitpid(init, &status, 0);
    p = shell(s, sh_argv, "true");
    exec_io(init, &p, &o, 0);
    ok_out(!o.exec_ok && o.err.errnum == ENOENT, &o, "exec into a container whose init exited fails");
    ok(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "every child reaped");
}

/* The rootfs has nothing but busybox: it runs there only if it needs no
 * dynamic loader (Debian's busybox-static). */
static int busybox_runs_alone(void)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        char *argv[] = { "true", NULL };
        if (chroot(rootfs) == 0 && chdir("/") == 0)
            execv("/bin/true", argv);
        _exit(127);
    }
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
    struct kb_spec spec;
    sigset_t mask;
    pid_t init = -1;
    int stray, ready;

    if (geteuid() != 0) {
        tap_skip("needs root");
        return tap_done();
    }
    /* not PID 1: the exec'd processes must come back to us to be reaped */
    ready = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 && setup_rootfs() == 0;
    if (!ready) {
        printf("# Bail out! setup: %s\n", strerror(errno));
        remove_dir();
        return 1;
    }
    if (!busybox_runs_alone()) {
        tap_skip("needs a static /bin/busybox (Debian's busybox-static)");
        remove_dir();
        return tap_done();
    }
    /* what the agent has and the processes must not: SIGCHLD blocked, an
     * fd without close-on-exec */
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    stray = open("/dev/null", O_RDONLY);

    memset(&spec, 0, sizeof spec);
    init = start_container(&spec);
    if (ok(init > 0, "a container whose init sleeps")) {
        test_sees_the_container(&spec, init);
        test_overrides(&spec, init);
        test_terminal(&spec, init);
        test_errors(&spec, init);
    }
    kb_spec_free(&spec);
    close(stray);
    remove_dir();
    return tap_done();
}
