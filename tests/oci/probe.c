/* What a container can observe, as sorted key=value lines: run under runc
 * and under katabox for the same config.json, the two outputs are diffed
 * (tests/oci/difftest.py). Nothing printed may vary between two runs of one
 * config: no raw pids beyond "1", no inode numbers, no peer-group ids.
 * A fact that cannot be read prints as "!ERRNO" (ENOENT...), never aborts.
 *
 *   /probe            print and exit 0
 *   /probe --sleep    print, then wait to be killed */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_LINES 8192

static char *lines[MAX_LINES];
static size_t n_lines;

static const struct { int e; const char *name; } errnames[] = {
    { EPERM, "EPERM" },   { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },     { EINTR, "EINTR" },
    { EIO, "EIO" },       { ENXIO, "ENXIO" },   { E2BIG, "E2BIG" },     { EBADF, "EBADF" },
    { ECHILD, "ECHILD" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },   { EACCES, "EACCES" },
    { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },   { EEXIST, "EEXIST" },   { EXDEV, "EXDEV" },
    { ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" }, { EINVAL, "EINVAL" },
    { ENFILE, "ENFILE" }, { EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" },   { EFBIG, "EFBIG" },
    { ENOSPC, "ENOSPC" }, { EROFS, "EROFS" },   { EMLINK, "EMLINK" },   { ERANGE, "ERANGE" },
    { ENOSYS, "ENOSYS" }, { ENOTSUP, "ENOTSUP" }, { ELOOP, "ELOOP" },   { ENAMETOOLONG, "ENAMETOOLONG" },
    { EAFNOSUPPORT, "EAFNOSUPPORT" }, { EPROTONOSUPPORT, "EPROTONOSUPPORT" }, { ENOKEY, "ENOKEY" },
    { EOPNOTSUPP == ENOTSUP ? -1 : EOPNOTSUPP, "EOPNOTSUPP" }, { ENOTCONN, "ENOTCONN" },
    { ENOEXEC, "ENOEXEC" }, { ENOTBLK, "ENOTBLK" }, { ETXTBSY, "ETXTBSY" }, { ESPIPE, "ESPIPE" },
    { EPIPE, "EPIPE" },     { ENOTEMPTY, "ENOTEMPTY" }, { ENODATA, "ENODATA" }, { EOVERFLOW, "EOVERFLOW" },
    { ENOTSOCK, "ENOTSOCK" }, { EKEYREVOKED, "EKEYREVOKED" }, { EKEYEXPIRED, "EKEYEXPIRED" },
    { EKEYREJECTED, "EKEYREJECTED" }, { ENOMEDIUM, "ENOMEDIUM" }, { ETIMEDOUT, "ETIMEDOUT" },
};

static const char *errname(int e)
{
    static char buf[24];

    for (size_t i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
        if (errnames[i].e == e)
            return errnames[i].name;
    snprintf(buf, sizeof buf, "E%d", e);
    return buf;
}

/* Newline as "\n", backslash as "\\": whatever a file, a variable or a
 * device name holds, one fact stays one line. */
static void escape(char *dst, size_t len, const char *src)
{
    size_t j = 0;

    for (size_t i = 0; src[i] && j + 3 < len; i++) {
        if (src[i] == '\n' || src[i] == '\\')
            dst[j++] = '\\';
        dst[j++] = src[i] == '\n' ? 'n' : src[i];
    }
    dst[j] = '\0';
}

/* One fact, kept until main() sorts them all: the order of the sections
 * and of readdir() must not show in the output. */
static void fact(const char *key, const char *fmt, ...)
{
    char val[8192], ekey[1024], eval[16384];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(val, sizeof val, fmt, ap);
    va_end(ap);
    escape(ekey, sizeof ekey, key);
    escape(eval, sizeof eval, val);
    if (n_lines < MAX_LINES && asprintf(&lines[n_lines], "%s=%s", ekey, eval) > 0)
        n_lines++;
}

static void fact_err(const char *key, int e)
{
    fact(key, "!%s", errname(e));
}

/* A small file's contents, trailing newlines cut; NULL with errno set. */
static char *slurp(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return NULL;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return NULL;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    return buf;
}

/* Whitespace runs as one space (sysctl values like "0\t2147483647"). */
static void squeeze(char *s)
{
    char *w = s;
    int space = 0;

    for (char *r = s; *r; r++) {
        if (*r == ' ' || *r == '\t' || *r == '\n') {
            space = w != s;
            continue;
        }
        if (space)
            *w++ = ' ';
        space = 0;
        *w++ = *r;
    }
    *w = '\0';
}

static void file_fact(const char *key, const char *path, int squeeze_it)
{
    char buf[4096];

    if (!slurp(path, buf, sizeof buf)) {
        fact_err(key, errno);
        return;
    }
    if (squeeze_it)
        squeeze(buf);
    fact(key, "%s", buf);
}

/* --- identity, capabilities, the process's own state */

static int cmp_gid(const void *a, const void *b)
{
    gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
    return x < y ? -1 : x > y;
}

static void ids(void)
{
    uid_t r, e, s;
    gid_t gr, ge, gs, groups[256];
    char list[2048] = "";
    int n = getgroups(256, groups);

    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    fact("id.uid", "%u", r);
    fact("id.euid", "%u", e);
    fact("id.suid", "%u", s);
    fact("id.gid", "%u", gr);
    fact("id.egid", "%u", ge);
    fact("id.sgid", "%u", gs);
    if (n < 0) {
        fact_err("id.groups", errno);
    } else {
        qsort(groups, (size_t)n, sizeof *groups, cmp_gid);
        for (int i = 0; i < n; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%u", i ? "," : "", groups[i]);
        fact("id.groups", "%s", list);
    }
}

static void id_map(const char *key, const char *path)
{
    char buf[4096], out[4096] = "";
    char *save = NULL;

    if (!slurp(path, buf, sizeof buf)) {
        fact_err(key, errno);
        return;
    }
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        unsigned long a, b, c;
        if (sscanf(l, "%lu %lu %lu", &a, &b, &c) == 3)
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%lu:%lu:%lu", out[0] ? "," : "", a, b, c);
    }
    fact(key, "%s", out);
}

static void status(void)
{
    static const struct { const char *field, *key; } want[] = {
        { "CapBnd", "caps.bnd" }, { "CapEff", "caps.eff" }, { "CapInh", "caps.inh" },
        { "CapPrm", "caps.prm" }, { "CapAmb", "caps.amb" }, { "NoNewPrivs", "status.nnp" },
        { "Seccomp", "status.seccomp" }, { "Seccomp_filters", "status.seccomp_filters" },
        { "Umask", "status.umask" },
    };
    char buf[8192], *save = NULL;

    if (!slurp("/proc/self/status", buf, sizeof buf)) {
        fact_err("status", errno);
        return;
    }
    for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *colon = strchr(l, ':');
        if (!colon)
            continue;
        *colon = '\0';
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            if (strcmp(l, want[i].field) == 0) {
                char *v = colon + 1;
                while (*v == ' ' || *v == '\t')
                    v++;
                fact(want[i].key, "%s", v);
            }
    }
}

static void rlimits(void)
{
    static const struct { int res; const char *name; } lim[] = {
        { RLIMIT_AS, "as" },           { RLIMIT_CORE, "core" },     { RLIMIT_CPU, "cpu" },
        { RLIMIT_DATA, "data" },       { RLIMIT_FSIZE, "fsize" },   { RLIMIT_LOCKS, "locks" },
        { RLIMIT_MEMLOCK, "memlock" }, { RLIMIT_MSGQUEUE, "msgqueue" }, { RLIMIT_NICE, "nice" },
        { RLIMIT_NOFILE, "nofile" },   { RLIMIT_NPROC, "nproc" },   { RLIMIT_RSS, "rss" },
        { RLIMIT_RTPRIO, "rtprio" },   { RLIMIT_RTTIME, "rttime" }, { RLIMIT_SIGPENDING, "sigpending" },
        { RLIMIT_STACK, "stack" },
    };

    for (size_t i = 0; i < sizeof lim / sizeof lim[0]; i++) {
        struct rlimit rl;
        char key[32], s[24], h[24];
        snprintf(key, sizeof key, "rlimit.%s", lim[i].name);
        if (getrlimit(lim[i].res, &rl) < 0) {
            fact_err(key, errno);
            continue;
        }
        snprintf(s, sizeof s, rl.rlim_cur == RLIM_INFINITY ? "inf" : "%llu", (unsigned long long)rl.rlim_cur);
        snprintf(h, sizeof h, rl.rlim_max == RLIM_INFINITY ? "inf" : "%llu", (unsigned long long)rl.rlim_max);
        fact(key, "%s:%s", s, h);
    }
}

static void process(char **envp)
{
    char cwd[PATH_MAX];
    struct utsname u;

    fact("proc.pid", "%s", getpid() == 1 ? "1" : "other");
    fact("proc.ppid", "%s", getppid() == 0 ? "0" : "other");
    if (getcwd(cwd, sizeof cwd))
        fact("proc.cwd", "%s", cwd);
    else
        fact_err("proc.cwd", errno);
    file_fact("proc.oom_score_adj", "/proc/self/oom_score_adj", 0);
    fact("proc.personality", "0x%x", (unsigned)personality(0xffffffff));
    for (char **e = envp; *e; e++) {
        char key[256];
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        snprintf(key, sizeof key, "env.%.*s", (int)(eq - *e), *e);
        fact(key, "%s", eq + 1);
    }
    if (uname(&u) == 0) {
        fact("uts.hostname", "%s", u.nodename);
        fact("uts.domainname", "%s", u.domainname);
    } else {
        fact_err("uts.hostname", errno);
        fact_err("uts.domainname", errno);
    }
}

/* --- namespaces: which are the kernel's initial ones, which are shared */

static void namespaces(void)
{
    static const char *const types[] = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
                                         "time", "time_for_children", "user", "uts" };
    /* the initial namespaces' fixed inode numbers (PROC_*_INIT_INO) */
    static const struct { const char *type; unsigned long ino; } init[] = {
        { "ipc", 0xEFFFFFFFul }, { "uts", 0xEFFFFFFEul }, { "user", 0xEFFFFFFDul },
        { "pid", 0xEFFFFFFCul }, { "pid_for_children", 0xEFFFFFFCul }, { "cgroup", 0xEFFFFFFBul },
        { "time", 0xEFFFFFFAul }, { "time_for_children", 0xEFFFFFFAul },
    };
    unsigned long seen[16];
    size_t n_seen = 0;

    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        char path[64], link[128], key[64];
        unsigned long ino = 0;
        const char *label = NULL;
        ssize_t n;
        size_t k;

        snprintf(path, sizeof path, "/proc/self/ns/%s", types[i]);
        snprintf(key, sizeof key, "ns.%s", types[i]);
        n = readlink(path, link, sizeof link - 1);
        /* time and the *_for_children links are newer than some kernels:
         * printed only when present (cgroup..uts are always there) */
        if (n < 0 && errno == ENOENT && (strstr(types[i], "time") || strstr(types[i], "_for_children")))
            continue;
        if (n < 0) {
            fact_err(key, errno);
            continue;
        }
        link[n] = '\0';
        if (sscanf(strchr(link, '[') ? strchr(link, '[') + 1 : link, "%lu", &ino) != 1) {
            fact(key, "?");
            continue;
        }
        for (k = 0; k < sizeof init / sizeof init[0]; k++)
            if (strcmp(init[k].type, types[i]) == 0 && init[k].ino == ino)
                label = "init";
        if (label) {
            fact(key, "%s", label);
            continue;
        }
        for (k = 0; k < n_seen && seen[k] != ino; k++)
            ;
        if (k == n_seen && n_seen < 16)
            seen[n_seen++] = ino;
        fact(key, "%c", (char)('A' + k));
    }
}

/* --- mounts: options and propagation, not ids */

static void mounts(void)
{
    /* mountpoints seen so far, to number overmounts: static, as a variant may
     * run the probe with a small RLIMIT_STACK */
    static char points[512][256];
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL;
    size_t cap = 0, n_points = 0;

    if (!f) {
        fact_err("mount", errno);
        return;
    }
    /* getline: an overlay's lowerdir= list can outgrow any fixed buffer */
    while (getline(&line, &cap, f) > 0) {
        char *field[64], *save = NULL, prop[64] = "";
        int n = 0, shared = 0, slave = 0, unbindable = 0, dup = 1;
        char key[320];

        line[strcspn(line, "\n")] = '\0';
        for (char *t = strtok_r(line, " ", &save); t && n < 64; t = strtok_r(NULL, " ", &save))
            field[n++] = t;
        /* fields: id parent dev root mountpoint options [optional...] - fstype source super */
        for (int i = 6; i < n; i++)
            if (strcmp(field[i], "-") == 0) {

                for (int j = 6; j < i; j++) {
                    shared |= strncmp(field[j], "shared:", 7) == 0;
                    slave |= strncmp(field[j], "master:", 7) == 0;
                    unbindable |= strcmp(field[j], "unbindable") == 0;
                }
                if (i + 3 < n) {
                    snprintf(prop, sizeof prop, "%s", unbindable ? "unbindable" :
                             shared && slave ? "shared,slave" : shared ? "shared" : slave ? "slave" : "private");
                    for (size_t p = 0; p < n_points; p++)
                        dup += strcmp(points[p], field[4]) == 0;
                    if (n_points < 512)
                        snprintf(points[n_points++], sizeof points[0], "%s", field[4]);
                    if (dup > 1)
                        snprintf(key, sizeof key, "mount.%s#%d", field[4], dup);
                    else
                        snprintf(key, sizeof key, "mount.%s", field[4]);
                    fact(key, "%s %s %s %s", field[i + 1], field[5], prop, field[i + 3]);
                }
                break;
            }
    }
    free(line);
    fclose(f);
}

/* --- paths: kind, readable, writable filesystem, empty or not */

static void paths(void)
{
    static const char *const list[] = {
        "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats",
        "/proc/timer_stats", "/proc/scsi", "/proc/acpi", "/sys/firmware", "/sys/devices/virtual/powercap",
        "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
        "/sys/fs/cgroup", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/tmp", "/",
        "/data", "/data/hello", "/etc",
    };

    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        const char *p = list[i], *kind, *size = "-";
        char key[300], err[32];
        struct stat st;
        struct statvfs sv;
        int fd, r = 0, w = 0;

        snprintf(key, sizeof key, "path.%s", p);
        if (lstat(p, &st) < 0) {
            fact(key, errno == ENOENT ? "absent" : "!%s", errname(errno));
            continue;
        }
        kind = S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : S_ISCHR(st.st_mode) ? "chr" :
               S_ISBLK(st.st_mode) ? "blk" : S_ISFIFO(st.st_mode) ? "fifo" : S_ISLNK(st.st_mode) ? "lnk" : "sock";
        fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        r = fd >= 0;
        if (fd < 0)
            snprintf(err, sizeof err, "!%s", errname(errno));
        /* the filesystem's ro flag, not a write: the probe must change nothing */
        w = statvfs(p, &sv) == 0 && !(sv.f_flag & ST_RDONLY);
        if ((S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) && fd < 0) {
            size = err;
        } else if (S_ISDIR(st.st_mode)) {
            DIR *d = fdopendir(fd);
            struct dirent *e;
            size = "empty";
            while (d && (e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                    size = "nonempty";
            if (d)
                closedir(d);
            else
                close(fd);
            fd = -1;
        } else if (S_ISREG(st.st_mode)) {
            /* one byte tells a masked (empty) file from a real one */
            char c;
            ssize_t n = read(fd, &c, 1);
            if (n < 0)
                snprintf(err, sizeof err, "!%s", errname(errno));
            size = n < 0 ? err : n == 0 ? "empty" : "data";
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            size = "dev";
        }
        if (fd >= 0)
            close(fd);
        fact(key, "%s,%s,%s,%s", kind, r ? "r" : "-", w ? "w" : "-", size);
    }
}

/* --- /dev: every node, link and directory */

static void dev_walk(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d) {
        char key[300];
        snprintf(key, sizeof key, "dev.%s", dir);
        fact_err(key, errno);
        return;
    }
    while ((e = readdir(d))) {
        char path[512], key[520], target[256];
        struct stat st;
        ssize_t n;

        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(key, sizeof key, "dev.%s", path);
        if (lstat(path, &st) < 0) {
            fact_err(key, errno);
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            n = readlink(path, target, sizeof target - 1);
            target[n < 0 ? 0 : n] = '\0';
            fact(key, "lnk -> %s", target);
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            fact(key, "%s %u:%u %04o %u:%u", S_ISCHR(st.st_mode) ? "chr" : "blk", major(st.st_rdev),
                 minor(st.st_rdev), st.st_mode & 07777, st.st_uid, st.st_gid);
        } else {
            fact(key, "%s %04o %u:%u", S_ISDIR(st.st_mode) ? "dir" : S_ISFIFO(st.st_mode) ? "fifo" :
                 S_ISREG(st.st_mode) ? "file" : "sock", st.st_mode & 07777, st.st_uid, st.st_gid);
            /* /dev/pts lists its entries; what lives in shm or mqueue is no one's config */
            if (S_ISDIR(st.st_mode) && depth < 4 && strcmp(path, "/dev/shm") && strcmp(path, "/dev/mqueue"))
                dev_walk(path, depth + 1);
        }
    }
    closedir(d);
}

/* --- open fds and the terminal */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* What the runtime leaves open: stdio and any leaked fd, by number and kind
 * (never the pipe or socket inode, which changes every run). */
static void fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int list[1024], n = 0, me = d ? dirfd(d) : -1;
    char all[4096] = "";

    if (!d) {
        fact_err("fd.open", errno);
        return;
    }
    while ((e = readdir(d)) && n < 1024) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd == me)
            continue;
        list[n++] = fd;
    }
    closedir(d);
    qsort(list, (size_t)n, sizeof *list, cmp_int);
    for (int i = 0; i < n; i++) {
        char path[64], link[256], key[32];
        ssize_t len;
        const char *cls = "file";

        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%d", i ? "," : "", list[i]);
        snprintf(path, sizeof path, "/proc/self/fd/%d", list[i]);
        snprintf(key, sizeof key, "fd.%d", list[i]);
        len = readlink(path, link, sizeof link - 1);
        if (len < 0) {
            fact_err(key, errno);
            continue;
        }
        link[len] = '\0';
        if (!strncmp(link, "/dev/pts/", 9) || !strcmp(link, "/dev/console") || !strncmp(link, "/dev/tty", 8))
            cls = "tty";
        else if (!strcmp(link, "/dev/null"))
            cls = "null";
        else if (!strncmp(link, "pipe:", 5))
            cls = "pipe";
        else if (!strncmp(link, "socket:", 7))
            cls = "socket";
        fact(key, "%s", cls);
    }
    fact("fd.open", "%s", all);
}

static void terminal(void)
{
    struct winsize ws;
    const char *name = isatty(0) ? ttyname(0) : NULL;

    fact("tty.stdin", "%s", isatty(0) ? "yes" : "no");
    fact("tty.name", "%s", name ? name : "none");
    if (ioctl(isatty(0) ? 0 : 1, TIOCGWINSZ, &ws) == 0)
        fact("tty.size", "%ux%u", ws.ws_row, ws.ws_col);
}

/* --- sysctls, interfaces, cgroup, the machine */

static void sysctls(void)
{
    static const char *const names[] = {
        "kernel.shmmax", "kernel.shmall", "kernel.shmmni", "kernel.msgmax", "kernel.msgmnb",
        "kernel.msgmni", "kernel.sem", "fs.mqueue.msg_max", "fs.mqueue.queues_max", "net.ipv4.ip_forward",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.core.somaxconn",
        "kernel.domainname", "kernel.hostname",
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[128] = "/proc/sys/", key[96];
        size_t base = strlen(path);
        snprintf(path + base, sizeof path - base, "%s", names[i]);
        for (char *c = path + base; *c; c++)
            if (*c == '.')
                *c = '/';
        snprintf(key, sizeof key, "sysctl.%s", names[i]);
        file_fact(key, path, 1);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void interfaces(void)
{
    char *names[64], all[2048] = "";
    size_t n = 0;
    DIR *d = opendir("/sys/class/net");

    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) && n < 64)
            if (e->d_name[0] != '.')
                names[n++] = strdup(e->d_name);
        closedir(d);
    } else {
        /* no /sys: /proc/net/dev lists them too, after two header lines */
        FILE *f = fopen("/proc/net/dev", "re");
        char line[512];

        if (!f) {
            fact_err("net.ifaces", errno);
            return;
        }
        for (int i = 0; f && fgets(line, sizeof line, f) && n < 64; i++) {
            char *colon = strchr(line, ':'), *s = line;
            if (i < 2 || !colon)
                continue;
            *colon = '\0';
            while (*s == ' ')
                s++;
            names[n++] = strdup(s);
        }
        if (f)
            fclose(f);
    }
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", i ? "," : "", names[i]);
        free(names[i]);
    }
    fact("net.ifaces", "%s", all);
}

static void cgroup(void)
{
    static const char *const files[] = {
        "cgroup.controllers", "memory.max", "memory.high", "memory.low", "memory.min", "memory.swap.max",
        "memory.oom.group", "cpu.max", "cpu.weight", "cpu.idle", "cpuset.cpus", "cpuset.mems",
        "pids.max", "io.weight",
    };
    char buf[4096], *save = NULL;

    if (slurp("/proc/self/cgroup", buf, sizeof buf)) {
        int found = 0;
        for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
            if (!strncmp(l, "0::", 3) && !found++)
                fact("cgroup.path", "%s", l + 3);
        /* a v1-only kernel has no unified line */
        if (!found)
            fact_err("cgroup.path", ENOENT);
    } else {
        fact_err("cgroup.path", errno);
    }
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[128], key[128];
        snprintf(path, sizeof path, "/sys/fs/cgroup/%s", files[i]);
        snprintf(key, sizeof key, "cgroup.%s", files[i]);
        file_fact(key, path, 1);
    }
}

static void machine(void)
{
    cpu_set_t set;
    char buf[4096];
    unsigned long kb = 0;

    if (sched_getaffinity(0, sizeof set, &set) == 0)
        fact("vm.cpus", "%d", CPU_COUNT(&set));
    if (slurp("/proc/meminfo", buf, sizeof buf) && sscanf(buf, "MemTotal: %lu kB", &kb) == 1)
        fact("vm.mem_mib", "%lu", kb / 1024);
}

/* --- syscalls a seccomp profile may deny: harmless calls, their results */

static void sys(const char *name, long r)
{
    char key[64];

    snprintf(key, sizeof key, "sys.%s", name);
    if (r < 0)
        fact_err(key, errno);
    else
        fact(key, "ok");
}

static void syscalls(void)
{
    struct utsname u;
    struct timespec ts;
    char byte, host[HOST_NAME_MAX + 1];
    long fd;

    sys("getppid", syscall(SYS_getppid));
    sys("uname", syscall(SYS_uname, &u));
    sys("chmod", syscall(SYS_chmod, "/nonexistent-probe", 0));
    sys("mkdir", syscall(SYS_mkdir, "/nonexistent-probe/x", 0700));
    sys("unshare", syscall(SYS_unshare, 0));
    fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    sys("socket_unix", fd);
    if (fd >= 0)
        close((int)fd);
    fd = syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
    sys("socket_inet", fd);
    if (fd >= 0)
        close((int)fd);
    sys("setns", syscall(SYS_setns, -1, 0));
    sys("personality", syscall(SYS_personality, 0xffffffffUL));
    sys("getrandom", syscall(SYS_getrandom, &byte, 1, GRND_NONBLOCK));
    sys("clock_getres", syscall(SYS_clock_getres, CLOCK_MONOTONIC, &ts));
    /* the name it already has: allowed or not, nothing changes */
    if (gethostname(host, sizeof host) == 0)
        sys("sethostname", syscall(SYS_sethostname, host, strlen(host)));
    else
        fact_err("sys.sethostname", errno);
    sys("umount2", syscall(SYS_umount2, "/nonexistent-probe", 0));
    sys("kill", syscall(SYS_kill, getpid(), 0));
    sys("acct", syscall(SYS_acct, NULL));
    sys("reboot", syscall(SYS_reboot, 0, 0, 0, 0));
    sys("keyctl", syscall(SYS_keyctl, 0, -3, 0));
    sys("ioperm", syscall(SYS_ioperm, 0, 1, 0));
    {
        long r = syscall(SYS_mknod, "/tmp/.probe-null", S_IFCHR | 0600, makedev(1, 3));
        sys("mknod_chr", r);
        if (r == 0)
            unlink("/tmp/.probe-null");
    }
}

/* What the device cgroup lets through: open, not read or written. */
static void dev_opens(void)
{
    static const struct { const char *path; int flags; } devs[] = {
        { "/dev/null", O_RDWR }, { "/dev/zero", O_RDONLY }, { "/dev/full", O_WRONLY },
        { "/dev/kmsg", O_WRONLY }, { "/dev/fuse", O_RDWR },
    };

    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        char key[64];
        int fd = open(devs[i].path, devs[i].flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        snprintf(key, sizeof key, "devopen.%s", devs[i].path);
        if (fd < 0) {
            fact_err(key, errno);
            continue;
        }
        close(fd);
        fact(key, "ok");
    }
}

/* Files a variant names (PROBE_CAT=/a:/b), as they are: up to 4096 bytes,
 * a trailing newline kept, so "masked as empty" and "one empty line" differ. */
static void cat_files(void)
{
    const char *list = getenv("PROBE_CAT");
    char *copy, *save = NULL;

    if (!list || !(copy = strdup(list)))
        return;
    for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
        char key[300], buf[4097];
        size_t got = 0;
        ssize_t n = 0;
        int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

        snprintf(key, sizeof key, "file.%s", p);
        while (fd >= 0 && got < sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
            got += (size_t)n;
        if (fd < 0 || n < 0) {
            fact_err(key, errno);
        } else {
            buf[got] = '\0';
            fact(key, "%s", buf);
        }
        if (fd >= 0)
            close(fd);
    }
    free(copy);
}

int main(int argc, char **argv, char **envp)
{
    /* fds first: nothing of ours is open yet */
    fds();
    ids();
    id_map("user.uid_map", "/proc/self/uid_map");
    id_map("user.gid_map", "/proc/self/gid_map");
    file_fact("user.setgroups", "/proc/self/setgroups", 0);
    status();
    rlimits();
    process(envp);
    namespaces();
    mounts();
    paths();
    dev_walk("/dev", 0);
    terminal();
    sysctls();
    interfaces();
    cgroup();
    machine();
    syscalls();
    dev_opens();
    cat_files();
    qsort(lines, n_lines, sizeof *lines, cmp_str);
    for (size_t i = 0; i < n_lines; i++)
        printf("%s\n", lines[i]);
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "--sleep") == 0)
        for (;;)
            pause();
    return 0;
}
