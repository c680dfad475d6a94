/* The kernel's initramfs root ("rootfs") cannot be pivoted away, and
 * containers need pivot_root (a chroot alone can be escaped). So PID 1
 * first moves itself onto a tmpfs mounted over /, as switch_root does, and
 * execs itself there; after that the guest's / is an ordinary mount. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../core/util.h"
#include "switchroot.h"

#define MOVED_ENV "KATABOX_ROOT_MOVED"
#define NEW_ROOT "/root.new"

static int copy_file(const char *from, const char *to, kb_err *err)
{
    _cleanup_close_ int in = open(from, O_RDONLY | O_CLOEXEC);
    _cleanup_close_ int out = -1;
    char buf[65536];
    ssize_t n;

    if (in < 0)
        return kb_error_errno(err, "open %s", from);
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (out < 0)
        return kb_error_errno(err, "create %s", to);
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (kb_write_all(out, buf, (size_t)n) < 0)
            return kb_error_errno(err, "write %s", to);
    if (n < 0)
        return kb_error_errno(err, "read %s", from);
    return 0;
}

int agent_leave_initramfs(char **argv, kb_err *err)
{
    static const struct { const char *path; mode_t mode; } dirs[] = {
        { NEW_ROOT "/dev", 0755 }, { NEW_ROOT "/proc", 0755 }, { NEW_ROOT "/sys", 0755 },
        { NEW_ROOT "/run", 0755 }, { NEW_ROOT "/tmp", 01777 },
    };

    if (getenv(MOVED_ENV))
        return 0;
    if (mkdir(NEW_ROOT, 0755) < 0 && errno != EEXIST)
        return kb_error_errno(err, "mkdir %s", NEW_ROOT);
    if (mount("tmpfs", NEW_ROOT, "tmpfs", MS_NOSUID, "mode=0755") < 0)
        return kb_error_errno(err, "mount a tmpfs root on %s", NEW_ROOT);
    for (size_t i = 0; i < KB_ARRAY_SIZE(dirs); i++)
        if (mkdir(dirs[i].path, dirs[i].mode) < 0 || chmod(dirs[i].path, dirs[i].mode) < 0)
            return kb_error_errno(err, "mkdir %s", dirs[i].path);
    if (mknod(NEW_ROOT "/dev/console", S_IFCHR | 0600, makedev(5, 1)) < 0)
        return kb_error_errno(err, "mknod %s/dev/console", NEW_ROOT);
    if (copy_file("/init", NEW_ROOT "/init", err) < 0)
        return -1;
    /* the old root stays in memory under the new one: leave nothing big there */
    unlink("/init");
    if (chdir(NEW_ROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
        chdir("/") < 0)
        return kb_error_errno(err, "move the root onto %s", NEW_ROOT);
    setenv(MOVED_ENV, "1", 1);
    execv("/init", argv);
    return kb_error_errno(err, "exec /init on the new root");
}
