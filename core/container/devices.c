/* /dev as runc fills it when it is a mount of its own and no user
 * namespace is involved: six character devices, the ptmx of the
 * container's devpts, the /proc/self/fd links; and /dev/console bound to
 * the terminal in terminal mode. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

static const struct {
    const char *name;
    unsigned major, minor;
} devices[] = {
    { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
    { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
    const char *name, *target;
} links[] = {
    { "fd", "/proc/self/fd" },
    { "stdin", "/proc/self/fd/0" },
    { "stdout", "/proc/self/fd/1" },
    { "stderr", "/proc/self/fd/2" },
};

int kb_ctr_setup_dev(int rootfd, kb_err *err)
{
    _cleanup_close_ int dev = kb_ctr_open_in(rootfd, "/dev", O_DIRECTORY);

    if (dev < 0)
        return kb_error_errno(err, "/dev");
    for (size_t i = 0; i < KB_ARRAY_SIZE(devices); i++) {
        /* an existing node is left as it is, as runc does */
        if (mknodat(dev, devices[i].name, S_IFCHR | 0666,
                    makedev(devices[i].major, devices[i].minor)) < 0) {
            if (errno == EEXIST)
                continue;
            return kb_error_errno(err, "mknod /dev/%s", devices[i].name);
        }
        if (fchownat(dev, devices[i].name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
            return kb_error_errno(err, "chown /dev/%s", devices[i].name);
    }
    /* the container's own devpts instance, not a node of the caller's */
    if (unlinkat(dev, "ptmx", 0) < 0 && errno != ENOENT)
        return kb_error_errno(err, "remove /dev/ptmx");
    if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
        return kb_error_errno(err, "symlink /dev/ptmx");
    for (size_t i = 0; i < KB_ARRAY_SIZE(links); i++)
        if (symlinkat(links[i].target, dev, links[i].name) < 0 && errno != EEXIST)
            return kb_error_errno(err, "symlink /dev/%s", links[i].name);
    /* runc links it only when the kernel has it (CONFIG_PROC_KCORE) */
    if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", dev, "core") < 0 &&
        errno != EEXIST)
        return kb_error_errno(err, "symlink /dev/core");
    return 0;
}

int kb_ctr_setup_console(int rootfd, kb_err *err)
{
    char path[PATH_MAX], at[KB_FDPATH_MAX];
    _cleanup_close_ int fd = -1;
    struct stat tty, st;
    ssize_t n;

    /* The terminal was opened in the caller's mount namespace, and a bind
     * from an fd of another namespace is refused (EINVAL); its path names
     * the same devpts in our copy of that namespace. */
    if (fstat(0, &tty) < 0)
        return kb_error_errno(err, "the terminal");
    n = readlink("/proc/self/fd/0", path, sizeof path - 1);
    if (n < 0)
        return kb_error_errno(err, "the terminal's path");
    path[n] = '\0';
    if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != tty.st_rdev)
        return kb_error(err, ENXIO, "the terminal %s is not reachable by its path", path);
    fd = kb_ctr_mkpath_in(rootfd, "/dev/console", 1, err);
    if (fd < 0)
        return kb_error_wrap(err, "/dev/console");
    if (mount(path, kb_ctr_fdpath(at, fd), NULL, MS_BIND, NULL) < 0)
        return kb_error_errno(err, "bind %s over /dev/console", path);
    return 0;
}
