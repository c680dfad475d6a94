/* The container's mount namespace before pivot_root: the rootfs bound onto
 * itself, then the spec's mounts in order, each on a destination resolved
 * inside the rootfs and mounted through its /proc/self/fd path so that
 * nothing swapped in between lookup and mount can redirect it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct kb_mount_attr {          /* mount_setattr(2)'s struct mount_attr */
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* Make the mount the rootfs is on private: the rootfs itself when it is a
 * mount point (the agent's share), else the nearest one above it. */
static int private_parent(const char *rootfs, kb_err *err)
{
    char path[PATH_MAX];

    if (strlen(rootfs) >= sizeof path)
        return kb_error(err, ENAMETOOLONG, "rootfs %s", rootfs);
    strcpy(path, rootfs);
    for (;;) {
        char *slash;
        if (mount(NULL, path[0] ? path : "/", NULL, MS_PRIVATE, NULL) == 0)
            return 0;
        /* EINVAL: not a mount point; "/" always is one */
        if (errno != EINVAL || !path[0])
            return kb_error_errno(err, "make the mount of the rootfs %s private", rootfs);
        slash = strrchr(path, '/');
        *slash = '\0';
    }
}

int kb_ctr_prepare_root(const char *rootfs, unsigned long propagation, int *rootfd, kb_err *err)
{
    /* runc's default for an unset rootfsPropagation: see the caller's
     * mounts come and go, never send ours back */
    unsigned long flag = propagation ? propagation : MS_SLAVE | MS_REC;

    /* an unbindable / could not be bound onto itself: private until after pivot_root */
    if (flag & MS_UNBINDABLE)
        flag = MS_PRIVATE | (flag & MS_REC);

    if (mount(NULL, "/", NULL, flag, NULL) < 0)
        return kb_error_errno(err, "linux.rootfsPropagation: set it on /");
    /* Where the rootfs mount may still be shared (a flag that was not
     * recursive, or shared itself), runc makes it private: its bind below
     * must not propagate, and pivot_root refuses a shared parent. */
    if ((!(flag & MS_REC) || (flag & MS_SHARED)) && private_parent(rootfs, err) < 0)
        return -1;
    /* pivot_root wants the new root to be a mount point */
    if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return kb_error_errno(err, "bind the rootfs %s onto itself", rootfs);
    *rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*rootfd < 0)
        return kb_error_errno(err, "open the rootfs %s", rootfs);
    return 0;
}

unsigned long kb_ctr_mount_locked_flags(int fd)
{
    struct statvfs st;
    unsigned long f = 0;

    if (fstatvfs(fd, &st) < 0)
        return 0;
    if (st.f_flag & ST_NOSUID)
        f |= MS_NOSUID;
    if (st.f_flag & ST_NODEV)
        f |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    return f;
}

static int is_dev(const struct kb_mount *m)
{
    return kb_ctr_path_is(m->destination, "/dev");
}

/* runc's checkProcMount: a mount may land inside the container's /proc only
 * on the few files lxcfs emulates, and over /proc itself only from a proc. */
static int check_proc_target(const struct kb_ctr_mount *cm, int fd, kb_err *err)
{
    static const char *const allowed[] = {
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
        "/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/net/dev",
        "/proc/sys/kernel/ns_last_pid",
    };
    const char *dest = cm->m->destination;
    struct statfs sf;

    if (cm->kind == KB_MNT_PROC)
        return 0;
    if (kb_ctr_path_is(dest, "/proc")) {
        if (cm->kind == KB_MNT_BIND && cm->m->source && statfs(cm->m->source, &sf) == 0 &&
            sf.f_type == PROC_SUPER_MAGIC)
            return 0;
        return kb_error(err, EPERM, "%s cannot be mounted because it is not of type proc", dest);
    }
    if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
        return 0;
    for (size_t i = 0; i < KB_ARRAY_SIZE(allowed); i++)
        if (kb_ctr_path_is(dest, allowed[i]))
            return 0;
    return kb_error(err, EPERM, "%s cannot be mounted because it is inside /proc", dest);
}

/* The destination, created as runc does: a directory, or an empty file for
 * a bind of a file; proc and sysfs only ever on a real directory. */
static int open_target(const struct kb_ctr_mount *cm, int rootfd, mode_t *old_mode, kb_err *err)
{
    const char *dest = cm->m->destination;
    struct stat st;
    int file = 0, fd;

    *old_mode = 0;
    if (cm->kind == KB_MNT_BIND) {
        if (stat(cm->m->source, &st) < 0)
            return kb_error_errno(err, "bind source %s", cm->m->source);
        file = !S_ISDIR(st.st_mode);
    }
    if (cm->kind == KB_MNT_PROC || cm->kind == KB_MNT_SYSFS) {
        fd = kb_ctr_open_in(rootfd, dest, O_NOFOLLOW);
        if (fd >= 0) {
            int bad = fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode);
            close(fd);
            if (bad)
                return kb_error(err, ENOTDIR, "filesystem \"%s\" must be mounted on ordinary directory",
                                cm->fstype);
        }
    }
    /* a tmpfs takes the mode of the directory it covers, whatever its
     * mode= says (runc chmods it); S_IFDIR marks "there was one" */
    if (cm->kind == KB_MNT_TMPFS) {
        fd = kb_ctr_open_in(rootfd, dest, 0);
        if (fd >= 0 && fstat(fd, &st) == 0)
            *old_mode = (st.st_mode & 07777) | S_IFDIR;
        if (fd >= 0)
            close(fd);
    }
    fd = kb_ctr_mkpath_in(rootfd, dest, file, err);
    if (fd < 0)
        return kb_error_wrap(err, "mount point");
    return fd;
}

static int mount_rec_attrs(const struct kb_mount_opts *o, int fd, kb_err *err)
{
    struct kb_mount_attr attr = { .attr_set = o->attr_set, .attr_clr = o->attr_clr };

    if (!o->attr_set && !o->attr_clr)
        return 0;
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        return kb_error_errno(err, "set recursive mount attributes");
    return 0;
}

/* What a fresh mount needs after mount(2): a bind's own flags (the kernel
 * ignores them on the first call), a tmpfs's mode, propagation, rec attrs. */
static int mount_finish(const struct kb_ctr_mount *cm, int rootfd, mode_t old_mode, kb_err *err)
{
    const struct kb_mount_opts *o = &cm->opts;
    _cleanup_close_ int fd = kb_ctr_open_in(rootfd, cm->m->destination, 0);
    char at[KB_FDPATH_MAX];

    if (fd < 0)
        return kb_error_errno(err, "reopen");
    kb_ctr_fdpath(at, fd);
    if (cm->kind == KB_MNT_BIND && (o->flags & ~(unsigned long)(MS_REC | MS_REMOUNT | MS_BIND))) {
        unsigned long f = o->flags | MS_REMOUNT | MS_BIND;
        struct statvfs sv;

        /* as runc: a read-only source may refuse a writable bind; retry read-only */
        if (mount(NULL, at, NULL, f, NULL) < 0) {
            int saved = errno;
            if (statvfs(cm->m->source, &sv) < 0 || !(sv.f_flag & ST_RDONLY) ||
                mount(NULL, at, NULL, f | MS_RDONLY, NULL) < 0) {
                errno = saved;
                return kb_error_errno(err, "remount with its options");
            }
        }
    }
    if (old_mode && chmod(at, old_mode & 07777) < 0)
        return kb_error_errno(err, "chmod %o", (unsigned)(old_mode & 07777));
    for (size_t i = 0; i < o->n_propagation; i++)
        if (mount(NULL, at, NULL, o->propagation[i], NULL) < 0)
            return kb_error_errno(err, "change its propagation");
    return mount_rec_attrs(o, fd, err);
}

/* A user namespace without a cgroup namespace of its own may not mount
 * cgroup2; runc binds the process's own cgroup directory instead. */
static int cgroup_bind(const struct kb_ctr_mount *cm, int rootfd, const char *at, kb_err *err)
{
    _cleanup_close_ int fd = -1;
    char top[KB_FDPATH_MAX];
    char src[PATH_MAX] = "/sys/fs/cgroup";
    _cleanup_free_ char *text = NULL;
    char *line;
    size_t len;

    if (kb_read_file("/proc/self/cgroup", 65536, &text, &len, err) < 0)
        return kb_error_wrap(err, "mount cgroup2 on %s", cm->m->destination);
    for (line = text; line && strncmp(line, "0::", 3) != 0; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        ;
    if (line) {
        char *eol = strchr(line, '\n');
        if (eol)
            *eol = '\0';
        if (strlen(src) + strlen(line + 3) >= sizeof src)
            return kb_error(err, ENAMETOOLONG, "cgroup %s", line + 3);
        strcat(src, line + 3);
    }
    if (mount(src, at, NULL, MS_BIND | MS_REC, NULL) < 0)
        return kb_error_errno(err, "mount cgroup2 on %s: bind %s in a user namespace", cm->m->destination, src);
    /* the bind, not the directory under it that `at` names */
    fd = kb_ctr_open_in(rootfd, cm->m->destination, 0);
    if (fd < 0)
        return kb_error_errno(err, "mount cgroup2 on %s: reopen it", cm->m->destination);
    kb_ctr_fdpath(top, fd);
    if (mount(NULL, top, NULL, (cm->opts.flags & ~(unsigned long)MS_REC) | kb_ctr_mount_locked_flags(fd) |
              MS_BIND | MS_REMOUNT, NULL) < 0)
        return kb_error_errno(err, "mount cgroup2 on %s: remount the bind of %s", cm->m->destination, src);
    return 0;
}

static int mount_one(const struct kb_ctr_mount *cm, int rootfd, kb_err *err)
{
    const struct kb_mount *m = cm->m;
    unsigned long flags = cm->opts.flags;
    _cleanup_close_ int fd = -1, under = -1;
    char at[KB_FDPATH_MAX];
    const char *source;
    mode_t old_mode;

    fd = open_target(cm, rootfd, &old_mode, err);
    if (fd < 0 || check_proc_target(cm, fd, err) < 0)
        return -1;
    /* filled first, sealed read-only later (kb_ctr_mount_seal) */
    if (cm->kind == KB_MNT_TMPFS || is_dev(m))
        flags &= ~(unsigned long)MS_RDONLY;
    source = m->source ? m->source : cm->fstype;
    if (cm->kind == KB_MNT_BIND)
        flags &= MS_BIND | MS_REC;
    /* tmpcopyup: the directory the tmpfs will cover, opened before it does */
    if (cm->kind == KB_MNT_TMPFS && cm->opts.tmpcopyup && old_mode) {
        under = open(kb_ctr_fdpath(at, fd), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (under < 0)
            return kb_error_errno(err, "open %s to copy it up", m->destination);
    }
    if (mount(source, kb_ctr_fdpath(at, fd), cm->fstype, flags, cm->opts.data) < 0) {
        if (cm->kind == KB_MNT_CGROUP && (errno == EPERM || errno == EBUSY))
            return cgroup_bind(cm, rootfd, at, err);
        return kb_error_errno(err, "mount %s on %s", cm->kind == KB_MNT_BIND ? source : cm->fstype,
                              m->destination);
    }
    if (under >= 0) {
        _cleanup_close_ int top = kb_ctr_open_in(rootfd, m->destination, 0);
        if (top < 0)
            return kb_error_errno(err, "reopen %s", m->destination);
        if (kb_ctr_copy_up(under, top, err) < 0)
            return kb_error_wrap(err, "mount tmpfs on %s", m->destination);
    }
    if (mount_finish(cm, rootfd, old_mode, err) < 0)
        return kb_error_wrap(err, "mount %s on %s", cm->kind == KB_MNT_BIND ? source : cm->fstype,
                             m->destination);
    return 0;
}

int kb_ctr_mount_all(const struct kb_ctr_plan *p, int rootfd, kb_err *err)
{
    for (size_t i = 0; i < p->spec->n_mounts; i++)
        if (mount_one(&p->mounts[i], rootfd, err) < 0)
            return kb_error_wrap(err, "mounts[%zu]", i);
    return 0;
}

int kb_ctr_mount_seal(const struct kb_ctr_plan *p, int rootfd, kb_err *err)
{
    for (size_t i = 0; i < p->spec->n_mounts; i++) {
        const struct kb_ctr_mount *cm = &p->mounts[i];
        unsigned long keep = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME |
                             MS_RELATIME | MS_STRICTATIME;
        _cleanup_close_ int fd = -1;
        char at[KB_FDPATH_MAX];

        if (!(cm->opts.flags & MS_RDONLY) || !(cm->kind == KB_MNT_TMPFS || is_dev(cm->m)))
            continue;
        fd = kb_ctr_open_in(rootfd, cm->m->destination, 0);
        if (fd < 0 ||
            mount(NULL, kb_ctr_fdpath(at, fd), NULL,
                  (cm->opts.flags & keep) | MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
            return kb_error_errno(err, "mounts[%zu]: remount %s read-only", i, cm->m->destination);
    }
    return 0;
}
