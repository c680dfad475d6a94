/* Paths inside the container's rootfs, resolved before pivot_root while the
 * rootfs is a directory of the caller's tree: a symlink in the image that
 * points to "/etc" or "../../.." must land inside the rootfs, never on the
 * VM's own files. openat2(RESOLVE_IN_ROOT) gives exactly that (Linux 5.6;
 * the guest runs 6.1). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "../util.h"
#include "internal.h"

#define MAX_LINK_HOPS 40 /* as the kernel's own limit on nested symlinks */

const char *kb_ctr_fdpath(char buf[KB_FDPATH_MAX], int fd)
{
    snprintf(buf, KB_FDPATH_MAX, "/proc/self/fd/%d", fd);
    return buf;
}

int kb_ctr_open_in(int rootfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(O_PATH | O_CLOEXEC | flags),
        /* a magic link (/proc/self/root...) could still lead out */
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };

    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Create name in parentfd: a directory, or an empty file when file is set. */
static int create_entry(int parentfd, const char *name, int file)
{
    if (file) {
        int fd = openat(parentfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0755);
        if (fd < 0)
            return -1;
        close(fd);
        return 0;
    }
    return mkdirat(parentfd, name, 0755);
}

/* Rewrite cur (whose component [start, end) is a dangling symlink in
 * parentfd) to the path it points to, the rest appended. */
static int follow_dangling(int parentfd, char *cur, size_t start, size_t end, kb_err *err)
{
    char target[PATH_MAX], next[PATH_MAX], name[NAME_MAX + 1];
    ssize_t n;
    int len;

    if (end - start > NAME_MAX)
        return kb_error(err, ENAMETOOLONG, "%s", cur);
    memcpy(name, cur + start, end - start);
    name[end - start] = '\0';
    n = readlinkat(parentfd, name, target, sizeof target - 1);
    if (n < 0)
        return kb_error_errno(err, "readlink %.*s", (int)end, cur);
    target[n] = '\0';
    if (target[0] == '/')
        len = snprintf(next, sizeof next, "%s/%s", target, cur + end);
    else
        len = snprintf(next, sizeof next, "%.*s%s/%s", (int)start, cur, target, cur + end);
    if (len < 0 || (size_t)len >= sizeof next)
        return kb_error(err, ENAMETOOLONG, "%s", cur);
    memcpy(cur, next, (size_t)len + 1);
    return 0;
}

/* One pass: create the first missing component of cur. Returns 1 when
 * something changed (created, or cur rewritten), <0 on error. */
static int create_first_missing(int rootfd, char *cur, int file, kb_err *err)
{
    _cleanup_close_ int parent = kb_ctr_open_in(rootfd, "/", O_DIRECTORY);
    size_t start = 0;

    if (parent < 0)
        return kb_error_errno(err, "open the rootfs");
    for (;;) {
        _cleanup_close_ int fd = -1;
        size_t end;
        char saved;
        struct stat st;
        int last;

        while (cur[start] == '/')
            start++;
        if (!cur[start])
            return kb_error(err, ENOENT, "%s: vanished while being created", cur);
        for (end = start; cur[end] && cur[end] != '/'; end++)
            ;
        saved = cur[end];
        cur[end] = '\0';
        fd = kb_ctr_open_in(rootfd, cur, 0);
        if (fd < 0 && errno != ENOENT) {
            kb_error_errno(err, "%s", cur);
            cur[end] = saved;
            return -1;
        }
        if (fd >= 0) {
            cur[end] = saved;
            close(parent);
            parent = kb_steal_fd(&fd);
            start = end;
            continue;
        }
        last = saved == '\0' || cur[end + 1 + strspn(cur + end + 1, "/")] == '\0';
        if (fstatat(parent, cur + start, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            cur[end] = saved;
            return follow_dangling(parent, cur, start, end, err) < 0 ? -1 : 1;
        }
        if (create_entry(parent, cur + start, file && last) < 0 && errno != EEXIST) {
            kb_error_errno(err, "create %s", cur);
            cur[end] = saved;
            return -1;
        }
        cur[end] = saved;
        return 1;
    }
}

int kb_ctr_mkpath_in(int rootfd, const char *path, int file, kb_err *err)
{
    char cur[PATH_MAX];

    if (strlen(path) >= sizeof cur)
        return kb_error(err, ENAMETOOLONG, "%.64s...", path);
    strcpy(cur, path);
    /* every round creates one component or follows one dangling symlink */
    for (int round = 0; round < 4096 / 2 + MAX_LINK_HOPS; round++) {
        int fd = kb_ctr_open_in(rootfd, cur, 0);

        if (fd >= 0)
            return fd;
        if (errno != ENOENT)
            return kb_error_errno(err, "%s", cur);
        if (create_first_missing(rootfd, cur, file, err) < 0)
            return -1;
    }
    return kb_error(err, ELOOP, "%s", path);
}
