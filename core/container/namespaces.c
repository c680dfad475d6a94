/* linux.namespaces: each one is created (unshare) or, with a path, joined
 * (setns). The user and pid namespaces are the intermediate process's
 * business: a new user namespace must own every namespace made after it,
 * and a pid namespace only applies to children, so the init is forked
 * after both. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

static const struct {
    enum kb_ns_type type;
    int flag;
    const char *name;
} ns_kinds[] = {
    { KB_NS_PID, CLONE_NEWPID, "pid" },       { KB_NS_NETWORK, CLONE_NEWNET, "network" },
    { KB_NS_MOUNT, CLONE_NEWNS, "mount" },    { KB_NS_IPC, CLONE_NEWIPC, "ipc" },
    { KB_NS_UTS, CLONE_NEWUTS, "uts" },       { KB_NS_USER, CLONE_NEWUSER, "user" },
    { KB_NS_CGROUP, CLONE_NEWCGROUP, "cgroup" },
};

static size_t kind_of(enum kb_ns_type t)
{
    size_t k = 0;

    while (k < KB_ARRAY_SIZE(ns_kinds) - 1 && ns_kinds[k].type != t)
        k++;
    return k;
}

int kb_ctr_check_namespaces(const struct kb_spec *spec, kb_err *err)
{
    const struct kb_namespace *user = kb_spec_namespace(spec, KB_NS_USER);

    /* runc's checks: a new user namespace without maps has no root to act as */
    if (user && !user->path && (!spec->n_uid_mappings || !spec->n_gid_mappings))
        return kb_error(err, EINVAL, "linux.namespaces: a new user namespace needs linux.uidMappings "
                                     "and linux.gidMappings");
    /* runc would chroot; here the caller's own mounts (the whole VM's)
     * would be changed, so there is no container without one */
    if (!kb_spec_namespace(spec, KB_NS_MOUNT))
        return kb_error(err, EINVAL, "linux.namespaces: a mount namespace is required");
    if (spec->hostname && spec->hostname[0] && !kb_spec_namespace(spec, KB_NS_UTS))
        return kb_error(err, EINVAL, "hostname: unable to set hostname without a private UTS namespace");
    return 0;
}

static int join(const struct kb_namespace *ns, int fd, kb_err *err)
{
    if (setns(fd, ns_kinds[kind_of(ns->type)].flag) < 0)
        return kb_error_errno(err, "join the %s namespace %s", ns_kinds[kind_of(ns->type)].name,
                              ns->path);
    return 0;
}

static int write_map(pid_t pid, const char *file, const struct kb_id_map *maps, size_t n, kb_err *err)
{
    char path[64], text[340 * 36];
    size_t len = 0;
    _cleanup_close_ int fd = -1;

    for (size_t i = 0; i < n && len < sizeof text; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%u %u %u\n", maps[i].container_id,
                                maps[i].host_id, maps[i].size);
    if (len >= sizeof text)
        return kb_error(err, E2BIG, "%s: %zu lines are too many", file, n);
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return kb_error_errno(err, "open %s", path);
    /* the kernel takes the whole map in one write, or none of it */
    if (write(fd, text, len) != (ssize_t)len)
        return kb_error_errno(err, "linux.%s: write %s", strcmp(file, "uid_map") == 0 ? "uidMappings"
                                                                                : "gidMappings", path);
    return 0;
}

int kb_ctr_write_id_maps(const struct kb_spec *spec, pid_t pid, kb_err *err)
{
    if (write_map(pid, "uid_map", spec->uid_mappings, spec->n_uid_mappings, err) < 0 ||
        write_map(pid, "gid_map", spec->gid_mappings, spec->n_gid_mappings, err) < 0)
        return -1;
    return 0;
}

int kb_ctr_enter_user_ns(const struct kb_spec *spec, int sync, kb_err *err)
{
    const struct kb_namespace *ns = kb_spec_namespace(spec, KB_NS_USER);
    struct kb_sync_msg m;

    if (!ns)
        return 0;
    if (ns->path) {
        _cleanup_close_ int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return kb_error_errno(err, "open the user namespace %s", ns->path);
        if (join(ns, fd, err) < 0)
            return -1;
    } else {
        if (unshare(CLONE_NEWUSER) < 0)
            return kb_error_errno(err, "unshare the user namespace");
        /* only a process of the parent namespace may write the maps */
        if (kb_sync_send(sync, KB_SYNC_USERMAP, 0, NULL) < 0)
            return kb_error_errno(err, "ask for the user namespace's id maps");
        if (kb_sync_recv(sync, &m) != 1 || m.type != KB_SYNC_MAPPED)
            return kb_error(err, EPROTO, "the user namespace's id maps were not written");
    }
    /* the rest of the setup acts as the namespace's root, as runc's does */
    if (setresgid(0, 0, 0) < 0)
        return kb_error_errno(err, "user namespace: become gid 0 (is gid 0 mapped?)");
    if (setresuid(0, 0, 0) < 0)
        return kb_error_errno(err, "user namespace: become uid 0 (is uid 0 mapped?)");
    return 0;
}

int kb_ctr_enter_pid_ns(const struct kb_spec *spec, kb_err *err)
{
    const struct kb_namespace *ns = kb_spec_namespace(spec, KB_NS_PID);
    _cleanup_close_ int fd = -1;

    if (!ns)
        return 0;
    if (!ns->path) {
        if (unshare(CLONE_NEWPID) < 0)
            return kb_error_errno(err, "unshare the pid namespace");
        return 0;
    }
    fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kb_error_errno(err, "open the pid namespace %s", ns->path);
    return join(ns, fd, err);
}

/* A new network namespace has only a loopback, down; runc brings it up. */
static int loopback_up(kb_err *err)
{
    struct ifreq ifr;
    /* any socket carries the interface ioctls: AF_UNIX needs no IPv4 in the kernel */
    _cleanup_close_ int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (s < 0)
        return kb_error_errno(err, "loopback: socket");
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        return errno == ENODEV ? 0 : kb_error_errno(err, "loopback: get its flags");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        return kb_error_errno(err, "loopback: bring it up");
    return 0;
}

int kb_ctr_enter_namespaces(const struct kb_spec *spec, kb_err *err)
{
    int fds[KB_ARRAY_SIZE(ns_kinds)], flags = 0, r = 0;
    size_t i, n = spec->n_namespaces;

    if (n > KB_ARRAY_SIZE(fds)) /* the parser refuses duplicates */
        return kb_error(err, EINVAL, "linux.namespaces: %zu entries", n);

    for (i = 0; i < KB_ARRAY_SIZE(fds); i++)
        fds[i] = -1;
    /* every path opened before any is joined: a joined mount namespace
     * would change what the next path names */
    for (i = 0; i < n && r == 0; i++) {
        const struct kb_namespace *ns = &spec->namespaces[i];
        if (ns->type == KB_NS_PID || ns->type == KB_NS_USER || !ns->path)
            continue;
        fds[i] = open(ns->path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0)
            r = kb_error_errno(err, "linux.namespaces[%zu]: open %s", i, ns->path);
    }
    for (i = 0; i < n && r == 0; i++) {
        const struct kb_namespace *ns = &spec->namespaces[i];
        if (ns->type == KB_NS_PID || ns->type == KB_NS_USER)
            continue;
        if (fds[i] >= 0)
            r = join(ns, fds[i], err);
        else
            flags |= ns_kinds[kind_of(ns->type)].flag;
    }
    for (i = 0; i < KB_ARRAY_SIZE(fds); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (r < 0)
        return -1;
    if (flags && unshare(flags) < 0)
        return kb_error_errno(err, "unshare the namespaces");
    if ((flags & CLONE_NEWNET) && loopback_up(err) < 0)
        return -1;
    if (spec->hostname && spec->hostname[0] &&
        sethostname(spec->hostname, strlen(spec->hostname)) < 0)
        return kb_error_errno(err, "hostname: sethostname %s", spec->hostname);
    return 0;
}
