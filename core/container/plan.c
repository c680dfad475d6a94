/* Everything about the spec that can be checked without running it is
 * checked here, in the caller, before any fork: errors are cheaper and
 * clearer, and the child only has to act. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "../util.h"
#include "internal.h"

int kb_ctr_check_path(const char *field, const char *path, kb_err *err)
{
    if (path[0] != '/')
        return kb_error(err, EINVAL, "%s: '%s' is not an absolute path", field, path);
    /* resolution could not leave the rootfs anyway; but a ".." in a spec
     * is a mistake or an attack, never what a real config means */
    for (const char *s = path; (s = strstr(s, "..")); s += 2)
        if (s[-1] == '/' && (s[2] == '/' || s[2] == '\0'))
            return kb_error(err, EINVAL, "%s: '%s' has a '..' component", field, path);
    return 0;
}

int kb_ctr_path_is(const char *path, const char *want)
{
    /* component by component: "//dev/./" is "/dev" */
    for (;;) {
        while (*path == '/' || (path[0] == '.' && (path[1] == '/' || !path[1])))
            path++;
        while (*want == '/')
            want++;
        if (!*path || !*want)
            return !*path && !*want;
        for (; *path && *path != '/'; path++, want++)
            if (*path != *want)
                return 0;
        if (*want && *want != '/')
            return 0;
    }
}

static int check_paths(char *const *paths, const char *field, kb_err *err)
{
    char name[64];

    for (size_t i = 0; paths && paths[i]; i++) {
        snprintf(name, sizeof name, "%s[%zu]", field, i);
        if (kb_ctr_check_path(name, paths[i], err) < 0)
            return -1;
    }
    return 0;
}

static int plan_mount(struct kb_ctr_mount *cm, const struct kb_mount *m, size_t i, kb_err *err)
{
    const char *type = m->type;

    cm->m = m;
    if (kb_ctr_check_path("destination", m->destination, err) < 0 ||
        kb_mount_opts_parse(m->options, &cm->opts, err) < 0)
        return kb_error_wrap(err, "mounts[%zu]", i);
    /* the type of a bind is meaningless (runc ignores it); "bind" alone is a bind */
    if (type && strcmp(type, "bind") == 0)
        cm->opts.flags |= MS_BIND;
    if (cm->opts.flags & MS_BIND) {
        cm->kind = KB_MNT_BIND;
        if (!m->source || m->source[0] != '/')
            return kb_error(err, EINVAL, "mounts[%zu].source: a bind needs an absolute source, not '%s'",
                            i, m->source ? m->source : "");
        return 0;
    }
    if (!type || !type[0])
        return kb_error(err, EINVAL, "mounts[%zu].type: required unless the mount is a bind", i);
    cm->fstype = type;
    if (strcmp(type, "proc") == 0)
        cm->kind = KB_MNT_PROC;
    else if (strcmp(type, "sysfs") == 0)
        cm->kind = KB_MNT_SYSFS;
    else if (strcmp(type, "tmpfs") == 0)
        cm->kind = KB_MNT_TMPFS;
    else if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
        /* the guest has the unified hierarchy only: what runc mounts on a v2 host */
        cm->kind = KB_MNT_CGROUP;
        cm->fstype = "cgroup2";
    } else
        cm->kind = KB_MNT_OTHER;
    return 0;
}

static int plan_mounts(struct kb_ctr_plan *p, kb_err *err)
{
    const struct kb_spec *spec = p->spec;

    p->mounts = calloc(spec->n_mounts + 1, sizeof *p->mounts);
    if (!p->mounts)
        return kb_error(err, ENOMEM, "mounts");
    for (size_t i = 0; i < spec->n_mounts; i++) {
        struct kb_ctr_mount *cm = &p->mounts[i];
        if (plan_mount(cm, &spec->mounts[i], i, err) < 0)
            return -1;
        /* runc fills /dev unless it is a bind; we also leave it alone when
         * nothing is mounted there, not to write nodes into the image */
        if (kb_ctr_path_is(cm->m->destination, "/dev"))
            p->setup_dev = cm->kind != KB_MNT_BIND;
    }
    return 0;
}

static int plan_caps(struct kb_ctr_plan *p, kb_err *err)
{
    static const char *const fields[KB_CAP_SETS] = {
        "process.capabilities.bounding", "process.capabilities.effective",
        "process.capabilities.inheritable", "process.capabilities.permitted",
        "process.capabilities.ambient",
    };

    /* an absent set is empty, as an absent capabilities object is (runc) */
    for (int s = 0; s < KB_CAP_SETS; s++)
        if (kb_caps_parse(p->spec->process.caps[s], fields[s], &p->caps[s], err) < 0)
            return -1;
    return 0;
}

int kb_ctr_plan_make(struct kb_ctr_plan *p, const struct kb_spec *spec, const char *rootfs,
                     const struct kb_ctr_io *io, kb_err *err)
{
    struct stat st;

    memset(p, 0, sizeof *p);
    p->spec = spec;
    p->rootfs = rootfs;
    p->io = *io;
    if (!rootfs || rootfs[0] != '/')
        return kb_error(err, EINVAL, "rootfs '%s' is not an absolute path", rootfs ? rootfs : "");
    if (stat(rootfs, &st) < 0)
        return kb_error_errno(err, "rootfs %s", rootfs);
    if (!S_ISDIR(st.st_mode))
        return kb_error(err, ENOTDIR, "rootfs %s", rootfs);
    if (!spec->process.args || !spec->process.args[0] || !spec->process.env || !spec->process.cwd)
        return kb_error(err, EINVAL, "process: args, env and cwd are required");
    if (kb_ctr_check_namespaces(spec, err) < 0 || kb_ctr_check_sysctl(spec, err) < 0 ||
        plan_caps(p, err) < 0 || plan_mounts(p, err) < 0 ||
        kb_ctr_check_path("process.cwd", spec->process.cwd, err) < 0 ||
        check_paths(spec->masked_paths, "linux.maskedPaths", err) < 0 ||
        check_paths(spec->readonly_paths, "linux.readonlyPaths", err) < 0)
        return -1;
    for (size_t i = 0; i < spec->n_devices; i++) {
        char name[48];
        snprintf(name, sizeof name, "linux.devices[%zu].path", i);
        if (kb_ctr_check_path(name, spec->devices[i].path, err) < 0)
            return -1;
    }
    {
        const struct kb_namespace *user = kb_spec_namespace(spec, KB_NS_USER);
        p->new_userns = user && !user->path;
    }
    if (spec->seccomp && kb_ctr_seccomp_compile(spec->seccomp, &p->seccomp, err) < 0)
        return -1;
    if (spec->rootfs_propagation && spec->rootfs_propagation[0]) {
        char *opt[] = { spec->rootfs_propagation, NULL };
        struct kb_mount_opts o;
        int r = kb_mount_opts_parse(opt, &o, err);
        if (r == 0 && o.n_propagation != 1)
            r = kb_error(err, EINVAL, "'%s' is not a propagation", spec->rootfs_propagation);
        if (r == 0)
            p->root_propagation = o.propagation[0];
        kb_mount_opts_free(&o);
        if (r < 0)
            return kb_error_wrap(err, "linux.rootfsPropagation");
    }
    return 0;
}

void kb_ctr_plan_free(struct kb_ctr_plan *p)
{
    for (size_t i = 0; p->mounts && i < p->spec->n_mounts; i++)
        kb_mount_opts_free(&p->mounts[i].opts);
    free(p->mounts);
    p->mounts = NULL;
    kb_ctr_seccomp_free(p->seccomp);
    p->seccomp = NULL;
}
