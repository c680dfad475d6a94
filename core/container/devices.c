/* /dev as runc fills it when it is a mount of its own: six character
 * devices and linux.devices, the ptmx of the container's devpts, the
 * /proc/self/fd links. In a new user namespace mknod is refused, so a device is an empty
 * file with the guest's node of the same path bound over it, as runc does.
 * The terminal's /dev/console is console.c's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
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

/* Bind the caller's node at path over an empty file of the same path in the rootfs. */
static int bind_node(int rootfd, const char *path, kb_err *err)
{
    char at[KB_FDPATH_MAX];
    _cleanup_close_ int fd = kb_ctr_mkpath_in(rootfd, path, 1, err);

    if (fd < 0)
        return kb_error_wrap(err, "%s", path);
    if (mount(path, kb_ctr_fdpath(at, fd), NULL, MS_BIND, NULL) < 0)
        return kb_error_errno(err, "bind the device %s", path);
    return 0;
}

static int make_node(const struct kb_ctr_plan *p, int rootfd, const struct kb_device *d, kb_err *err)
{
    _cleanup_free_ char *dir = strdup(d->path);
    _cleanup_close_ int dirfd = -1;
    const char *name;
    char *slash;
    mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;

    if (!dir)
        return kb_error(err, ENOMEM, "%s", d->path);
    if (p->new_userns && d->type != 'p')
        return bind_node(rootfd, d->path, err);
    slash = strrchr(dir, '/');
    name = slash + 1;
    *slash = '\0';
    if (!*name)
        return kb_error(err, EINVAL, "device %s: no file name", d->path);
    dirfd = kb_ctr_mkpath_in(rootfd, dir[0] ? dir : "/", 0, err);
    if (dirfd < 0)
        return kb_error_wrap(err, "device %s", d->path);
    if (mknodat(dirfd, name, type | (d->has_mode ? d->mode & 07777 : 0666),
                makedev((unsigned)d->major, (unsigned)d->minor)) < 0) {
        /* an existing node is left as it is, as runc does */
        if (errno == EEXIST)
            return 0;
        if (errno == EPERM && d->type != 'p')
            return bind_node(rootfd, d->path, err);
        return kb_error_errno(err, "mknod %s", d->path);
    }
    if (fchownat(dirfd, name, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, AT_SYMLINK_NOFOLLOW) < 0)
        return kb_error_errno(err, "chown %s", d->path);
    return 0;
}

static int given(const struct kb_spec *spec, const char *path)
{
    for (size_t i = 0; i < spec->n_devices; i++)
        if (kb_ctr_path_is(spec->devices[i].path, path))
            return 1;
    return 0;
}

int kb_ctr_setup_dev(const struct kb_ctr_plan *p, int rootfd, kb_err *err)
{
    _cleanup_close_ int dev = kb_ctr_open_in(rootfd, "/dev", O_DIRECTORY);
    char path[32];

    if (dev < 0)
        return kb_error_errno(err, "/dev");
    /* the defaults, unless linux.devices gives the same path its own way */
    for (size_t i = 0; i < KB_ARRAY_SIZE(devices); i++) {
        struct kb_device d = { .path = path, .type = 'c', .major = devices[i].major,
                               .minor = devices[i].minor };
        snprintf(path, sizeof path, "/dev/%s", devices[i].name);
        if (!given(p->spec, path) && make_node(p, rootfd, &d, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < p->spec->n_devices; i++)
        if (make_node(p, rootfd, &p->spec->devices[i], err) < 0)
            return kb_error_wrap(err, "linux.devices[%zu]", i);
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
