#include "binds.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util.h"

/* An empty file or directory to mount over, like the source. */
static int make_target(const char *path, const struct stat *src, kb_err *err)
{
    int fd;

    if (S_ISDIR(src->st_mode)) {
        if (mkdir(path, 0700) < 0)
            return kb_error_errno(err, "mkdir %s", path);
        return 0;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return kb_error_errno(err, "create %s", path);
    close(fd);
    return 0;
}

static int share_one(const struct kb_mount *m, size_t i, const char *bundle, const char *dir,
                     kb_err *err)
{
    char src[PATH_MAX], dst[PATH_MAX];
    struct stat st;

    if (!m->source || !*m->source)
        return kb_error(err, EINVAL, "mounts[%zu]: a bind needs a source", i);
    /* as runc, which runs in the bundle: a relative source is the bundle's */
    if ((size_t)snprintf(src, sizeof src, "%s%s%s", m->source[0] == '/' ? "" : bundle,
                         m->source[0] == '/' ? "" : "/", m->source) >= sizeof src)
        return kb_error(err, ENAMETOOLONG, "mounts[%zu].source %s", i, m->source);
    if (stat(src, &st) < 0)
        return kb_error_errno(err, "mounts[%zu]: bind source %s", i, src);
    snprintf(dst, sizeof dst, "%s/%zu", dir, i);
    if (make_target(dst, &st, err) < 0)
        return -1;
    /* recursive: the guest sees what is mounted below a source too */
    if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
        return kb_error_errno(err, "mounts[%zu]: bind %s for the guest", i, src);
    return 0;
}

int kb_mount_ns_own(kb_err *err)
{
    /* receiving the host's changes but never sending ours */
    if (unshare(CLONE_NEWNS) < 0)
        return kb_error_errno(err, "unshare the mount namespace (for the VM's shares)");
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return kb_error_errno(err, "make / a slave mount");
    return 0;
}

unsigned kb_binds_count(const struct kb_spec *spec)
{
    unsigned n = 0;

    for (size_t i = 0; i < spec->n_mounts; i++)
        n += kb_mount_is_bind(&spec->mounts[i]);
    return n;
}

int kb_binds_share(const struct kb_spec *spec, const char *bundle, const char *dir, kb_err *err)
{
    if (mkdir(dir, 0700) < 0)
        return kb_error_errno(err, "mkdir %s", dir);
    for (size_t i = 0; i < spec->n_mounts; i++)
        if (kb_mount_is_bind(&spec->mounts[i]) && share_one(&spec->mounts[i], i, bundle, dir, err) < 0)
            return -1;
    return 0;
}

int kb_binds_prepare(const struct kb_spec *spec, const char *bundle, const char *state_dir,
                     char *dir, size_t len, unsigned *count, kb_err *err)
{
    *count = kb_binds_count(spec);
    if (!*count)
        return 0;
    if ((size_t)snprintf(dir, len, "%s/binds", state_dir) >= len)
        return kb_error(err, ENAMETOOLONG, "%s/binds", state_dir);
    /* the binds below are seen by us and QEMU only */
    if (kb_mount_ns_own(err) < 0)
        return -1;
    return kb_binds_share(spec, bundle, dir, err);
}

static void remove_source(const char *path)
{
    /* mounted only in the owner's namespace, and only while it runs */
    umount2(path, MNT_DETACH);
    if (unlink(path) < 0 && (errno == EISDIR || errno == EPERM))
        rmdir(path);
}

void kb_binds_remove(const char *state_dir)
{
    char dir[PATH_MAX];

    snprintf(dir, sizeof dir, "%s/binds", state_dir);
    kb_clear_dir(dir, remove_source);
}
