/* linux.readonlyPaths and linux.maskedPaths, after the spec's mounts (they
 * mostly name files of the container's /proc and /sys). A path missing from
 * the container is skipped, as runc does. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

/* fd of path in the container, or -1 with errno ENOENT when it has none */
static int open_existing(int rootfd, const char *path, kb_err *err)
{
    int fd = kb_ctr_open_in(rootfd, path, 0);

    if (fd < 0 && errno != ENOENT)
        return kb_error_errno(err, "%s", path);
    return fd;
}

int kb_ctr_readonly_paths(char *const *paths, int rootfd, kb_err *err)
{
    for (size_t i = 0; paths && paths[i]; i++) {
        _cleanup_close_ int fd = open_existing(rootfd, paths[i], err), top = -1;
        char at[KB_FDPATH_MAX];

        if (fd < 0 && errno == ENOENT)
            continue;
        if (fd < 0)
            return kb_error_wrap(err, "linux.readonlyPaths[%zu]", i);
        kb_ctr_fdpath(at, fd);
        if (mount(at, at, NULL, MS_BIND | MS_REC, NULL) < 0)
            return kb_error_errno(err, "linux.readonlyPaths[%zu]: bind %s", i, paths[i]);
        /* the bind is on top now: reopen to reach it */
        top = kb_ctr_open_in(rootfd, paths[i], 0);
        if (top < 0 || mount(NULL, kb_ctr_fdpath(at, top), NULL,
                             kb_ctr_mount_locked_flags(top) | MS_BIND | MS_REMOUNT | MS_RDONLY,
                             NULL) < 0)
            return kb_error_errno(err, "linux.readonlyPaths[%zu]: remount %s read-only", i,
                                  paths[i]);
    }
    return 0;
}

/* The container's /dev/null when it has a real one, as runc binds; else
 * the caller's, so that masking never depends on the image. */
static int open_null(int rootfd, kb_err *err)
{
    struct stat st;
    int fd = kb_ctr_open_in(rootfd, "/dev/null", 0);

    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
        return fd;
    if (fd >= 0)
        close(fd);
    fd = open("/dev/null", O_PATH | O_CLOEXEC);
    if (fd < 0)
        return kb_error_errno(err, "/dev/null");
    return fd;
}

int kb_ctr_mask_paths(char *const *paths, int rootfd, kb_err *err)
{
    _cleanup_close_ int null = -1;
    char src[KB_FDPATH_MAX];

    if (!paths || !paths[0])
        return 0;
    null = open_null(rootfd, err);
    if (null < 0)
        return kb_error_wrap(err, "linux.maskedPaths");
    kb_ctr_fdpath(src, null);
    for (size_t i = 0; paths[i]; i++) {
        _cleanup_close_ int fd = open_existing(rootfd, paths[i], err);
        char at[KB_FDPATH_MAX];
        struct stat st;
        int r;

        if (fd < 0 && errno == ENOENT)
            continue;
        if (fd < 0 || fstat(fd, &st) < 0)
            return kb_error_wrap(err, "linux.maskedPaths[%zu]", i);
        kb_ctr_fdpath(at, fd);
        /* a directory gets an empty read-only tmpfs, anything else /dev/null */
        if (S_ISDIR(st.st_mode))
            r = mount("tmpfs", at, "tmpfs", MS_RDONLY, NULL);
        else
            r = mount(src, at, NULL, MS_BIND, NULL);
        if (r < 0)
            return kb_error_errno(err, "linux.maskedPaths[%zu]: mask %s", i, paths[i]);
    }
    return 0;
}
