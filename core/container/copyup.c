/* runc's "tmpcopyup": a tmpfs mounted over a directory of the image starts
 * with that directory's contents (podman uses it for /tmp, /run, /var/tmp
 * and --tmpfs). Everything is copied with its mode and owner: files,
 * directories, symlinks, device nodes, fifos. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

/* deeper than any image directory worth copying; a bound on the stack */
#define MAX_DEPTH 64

static int copy_file(int from, int to, const char *name, const struct stat *st, kb_err *err)
{
    _cleanup_close_ int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int out = -1;
    char buf[16384];
    ssize_t n;

    if (in < 0)
        return kb_error_errno(err, "open %s", name);
    out = openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
    if (out < 0)
        return kb_error_errno(err, "create %s", name);
    while ((n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || kb_write_all(out, buf, (size_t)n) < 0)
            return kb_error_errno(err, "copy %s", name);
    }
    if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
        return kb_error_errno(err, "owner and mode of %s", name);
    return 0;
}

static int copy_tree(int from, int to, int depth, kb_err *err);

static int copy_entry(int from, int to, const char *name, int depth, kb_err *err)
{
    struct stat st;
    char target[4096];
    ssize_t n;

    if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return kb_error_errno(err, "stat %s", name);
    switch (st.st_mode & S_IFMT) {
    case S_IFREG:
        return copy_file(from, to, name, &st, err);
    case S_IFDIR: {
        _cleanup_close_ int sub_from = -1, sub_to = -1;
        if (mkdirat(to, name, st.st_mode & 07777) < 0)
            return kb_error_errno(err, "mkdir %s", name);
        sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub_from < 0 || sub_to < 0)
            return kb_error_errno(err, "open %s", name);
        if (copy_tree(sub_from, sub_to, depth + 1, err) < 0)
            return kb_error_wrap(err, "%s", name);
        if (fchown(sub_to, st.st_uid, st.st_gid) < 0 || fchmod(sub_to, st.st_mode & 07777) < 0)
            return kb_error_errno(err, "owner and mode of %s", name);
        return 0;
    }
    case S_IFLNK:
        n = readlinkat(from, name, target, sizeof target - 1);
        if (n < 0)
            return kb_error_errno(err, "readlink %s", name);
        target[n] = '\0';
        if (symlinkat(target, to, name) < 0)
            return kb_error_errno(err, "symlink %s", name);
        break;
    default: /* device nodes, fifos, sockets */
        if (mknodat(to, name, st.st_mode, st.st_rdev) < 0)
            return kb_error_errno(err, "mknod %s", name);
        break;
    }
    if (fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return kb_error_errno(err, "owner of %s", name);
    return 0;
}

static int copy_tree(int from, int to, int depth, kb_err *err)
{
    struct dirent *e;
    DIR *d;
    int fd, r = 0;

    if (depth > MAX_DEPTH)
        return kb_error(err, ELOOP, "deeper than %d directories", MAX_DEPTH);
    fd = dup(from);
    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return kb_error_errno(err, "read directory");
    }
    while (r == 0 && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            r = copy_entry(from, to, e->d_name, depth, err);
    closedir(d);
    return r;
}

int kb_ctr_copy_up(int from, int to, kb_err *err)
{
    if (copy_tree(from, to, 0, err) < 0)
        return kb_error_wrap(err, "tmpcopyup");
    return 0;
}
