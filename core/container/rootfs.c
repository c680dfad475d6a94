/* Switching the process's root to the rootfs, and root.readonly. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

int kb_ctr_pivot_root(const char *rootfs, kb_err *err)
{
    _cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);
    /* by path, not by the fd taken before the mounts: a mount on "/"
     * itself covers that one */
    _cleanup_close_ int newroot = open(rootfs, O_DIRECTORY | O_PATH | O_CLOEXEC);

    if (oldroot < 0 || newroot < 0)
        return kb_error_errno(err, "pivot_root: open %s", oldroot < 0 ? "/" : rootfs);
    /* pivot_root(".", ".") stacks the old root on the new one, so no
     * directory for it is needed in the image; it is then detached */
    if (fchdir(newroot) < 0)
        return kb_error_errno(err, "pivot_root: chdir %s", rootfs);
    /* EINVAL here means the caller's root is the initramfs, which cannot
     * be pivoted away: the agent leaves it at boot (applets/agent/switchroot.c),
     * and a chroot instead would let the container climb out */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return kb_error_errno(err, "pivot_root %s", rootfs);
    if (fchdir(oldroot) < 0)
        return kb_error_errno(err, "pivot_root: chdir to the old root");
    /* an unmount below must not propagate to the caller's namespace */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return kb_error_errno(err, "pivot_root: make the old root a slave");
    if (umount2(".", MNT_DETACH) < 0)
        return kb_error_errno(err, "pivot_root: detach the old root");
    if (chdir("/") < 0)
        return kb_error_errno(err, "pivot_root: chdir /");
    return 0;
}

int kb_ctr_root_readonly(kb_err *err)
{
    _cleanup_close_ int root = open("/", O_DIRECTORY | O_PATH | O_CLOEXEC);

    if (root < 0)
        return kb_error_errno(err, "root.readonly: open /");
    /* only read-only is asked for: the rootfs keeps its nosuid/nodev */
    if (mount(NULL, "/", NULL, kb_ctr_mount_locked_flags(root) | MS_BIND | MS_REMOUNT | MS_RDONLY,
              NULL) < 0)
        return kb_error_errno(err, "root.readonly: remount / read-only");
    return 0;
}
