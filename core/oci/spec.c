#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../json.h"
#include "../util.h"
#include "hooks.h"
#include "seccomp.h"

static const struct { const char *name; int resource; } rlimit_names[] = {
    { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static const struct { const char *name; enum kb_ns_type type; } ns_names[] = {
    { "pid", KB_NS_PID }, { "network", KB_NS_NETWORK }, { "mount", KB_NS_MOUNT },
    { "ipc", KB_NS_IPC }, { "uts", KB_NS_UTS },         { "user", KB_NS_USER },
    { "cgroup", KB_NS_CGROUP },
};

static const char *const cap_set_names[KB_CAP_SETS] = {
    "bounding", "effective", "inheritable", "permitted", "ambient",
};

int kb_rlimit_from_name(const char *name)
{
    for (size_t i = 0; i < KB_ARRAY_SIZE(rlimit_names); i++)
        if (strcmp(rlimit_names[i].name, name) == 0)
            return rlimit_names[i].resource;
    return -1;
}

static int absolute(const char *path, const char *field, kb_err *err)
{
    if (path[0] != '/')
        return kb_error(err, EINVAL, "%s: '%s' is not an absolute path", field, path);
    return 0;
}

static int parse_user(yajl_val user, struct kb_process *p, kb_err *err)
{
    yajl_val gids = kb_json_member(user, "additionalGids");
    yajl_val umask_v = kb_json_member(user, "umask");

    if (!YAJL_IS_OBJECT(user))
        return kb_error(err, EINVAL, "process.user: required object is missing or not an object");
    if (kb_json_u32(kb_json_member(user, "uid"), "process.user.uid", 1, &p->uid, err) < 0 ||
        kb_json_u32(kb_json_member(user, "gid"), "process.user.gid", 1, &p->gid, err) < 0)
        return -1;
    if (umask_v && !YAJL_IS_NULL(umask_v)) {
        if (kb_json_u32(umask_v, "process.user.umask", 1, &p->umask, err) < 0)
            return -1;
        if (p->umask > 0777)
            return kb_error(err, EINVAL, "process.user.umask: %o is not a file mode mask", p->umask);
        p->has_umask = 1;
    }
    if (kb_json_array_alloc(gids, "process.user.additionalGids", 65536, sizeof *p->additional_gids,
                            (void **)&p->additional_gids, &p->n_additional_gids, err) < 0)
        return -1;
    for (size_t i = 0; i < p->n_additional_gids; i++) {
        char path[64];
        snprintf(path, sizeof path, "process.user.additionalGids[%zu]", i);
        if (kb_json_u32(gids->u.array.values[i], path, 1, &p->additional_gids[i], err) < 0)
            return -1;
    }
    return 0;
}

static int parse_rlimits(yajl_val v, struct kb_process *p, kb_err *err)
{
    char path[64];
    size_t len;

    if (kb_json_array_alloc(v, "process.rlimits", KB_ARRAY_SIZE(rlimit_names), sizeof *p->rlimits,
                            (void **)&p->rlimits, &len, err) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        yajl_val e = v->u.array.values[i];
        _cleanup_free_ char *type = NULL;
        struct kb_rlimit *rl = &p->rlimits[i];

        snprintf(path, sizeof path, "process.rlimits[%zu].type", i);
        if (kb_json_string(kb_json_member(e, "type"), path, 1, &type, err) < 0)
            return -1;
        rl->resource = kb_rlimit_from_name(type);
        if (rl->resource < 0)
            return kb_error(err, EINVAL, "%s: unknown limit '%s'", path, type);
        for (size_t j = 0; j < i; j++)
            if (p->rlimits[j].resource == rl->resource)
                return kb_error(err, EINVAL, "%s: '%s' is given twice", path, type);
        snprintf(path, sizeof path, "process.rlimits[%zu].soft", i);
        if (kb_json_u64(kb_json_member(e, "soft"), path, 1, &rl->soft, err) < 0)
            return -1;
        snprintf(path, sizeof path, "process.rlimits[%zu].hard", i);
        if (kb_json_u64(kb_json_member(e, "hard"), path, 1, &rl->hard, err) < 0)
            return -1;
        if (rl->soft > rl->hard)
            return kb_error(err, EINVAL, "process.rlimits[%zu]: soft %llu above hard %llu", i,
                            (unsigned long long)rl->soft, (unsigned long long)rl->hard);
        p->n_rlimits = i + 1;
    }
    return 0;
}

static int parse_caps(yajl_val v, struct kb_process *p, kb_err *err)
{
    char path[64];

    if (!v || YAJL_IS_NULL(v))
        return 0;
    if (!YAJL_IS_OBJECT(v))
        return kb_error(err, EINVAL, "process.capabilities: expected an object");
    for (int s = 0; s < KB_CAP_SETS; s++) {
        snprintf(path, sizeof path, "process.capabilities.%s", cap_set_names[s]);
        if (kb_json_strings(kb_json_member(v, cap_set_names[s]), path, 0, 64, &p->caps[s], NULL,
                            err) < 0)
            return -1;
        for (size_t i = 0; p->caps[s] && p->caps[s][i]; i++)
            if (strncmp(p->caps[s][i], "CAP_", 4) != 0)
                return kb_error(err, EINVAL, "%s[%zu]: '%s' is not a capability name", path, i,
                                p->caps[s][i]);
    }
    return 0;
}

static int parse_process(yajl_val v, struct kb_process *p, kb_err *err)
{
    yajl_val size;
    size_t n_args = 0;

    if (!YAJL_IS_OBJECT(v))
        return kb_error(err, EINVAL, "process: required object is missing or not an object");
    if (kb_json_bool(kb_json_member(v, "terminal"), "process.terminal", 0, &p->terminal, err) < 0 ||
        parse_user(kb_json_member(v, "user"), p, err) < 0 ||
        kb_json_strings(kb_json_member(v, "args"), "process.args", 1, KB_SPEC_MAX_LIST, &p->args,
                        &n_args, err) < 0 ||
        kb_json_strings(kb_json_member(v, "env"), "process.env", 0, KB_SPEC_MAX_LIST, &p->env, NULL,
                        err) < 0 ||
        kb_json_string(kb_json_member(v, "cwd"), "process.cwd", 1, &p->cwd, err) < 0 ||
        absolute(p->cwd, "process.cwd", err) < 0 ||
        kb_json_bool(kb_json_member(v, "noNewPrivileges"), "process.noNewPrivileges", 0,
                     &p->no_new_privileges, err) < 0 ||
        parse_caps(kb_json_member(v, "capabilities"), p, err) < 0 ||
        parse_rlimits(kb_json_member(v, "rlimits"), p, err) < 0 ||
        kb_json_string(kb_json_member(v, "apparmorProfile"), "process.apparmorProfile", 0,
                       &p->apparmor_profile, err) < 0 ||
        kb_json_string(kb_json_member(v, "selinuxLabel"), "process.selinuxLabel", 0, &p->selinux_label,
                       err) < 0)
        return -1;
    if (n_args == 0)
        return kb_error(err, EINVAL, "process.args: must name at least the program to run");
    if (!p->env) {
        p->env = calloc(1, sizeof *p->env);
        if (!p->env)
            return kb_error(err, ENOMEM, "process.env");
    }
    for (size_t i = 0; p->env[i]; i++)
        if (!strchr(p->env[i], '=') || p->env[i][0] == '=')
            return kb_error(err, EINVAL, "process.env[%zu]: '%s' is not NAME=VALUE", i, p->env[i]);
    size = kb_json_member(v, "consoleSize");
    if (size && !YAJL_IS_NULL(size)) {
        uint32_t h = 0, w = 0;
        if (kb_json_u32(kb_json_member(size, "height"), "process.consoleSize.height", 1, &h, err) < 0 ||
            kb_json_u32(kb_json_member(size, "width"), "process.consoleSize.width", 1, &w, err) < 0)
            return -1;
        if (h > 65535 || w > 65535)
            return kb_error(err, EINVAL, "process.consoleSize: %ux%u is larger than 65535", h, w);
        p->console_rows = h;
        p->console_cols = w;
    }
    {
        yajl_val oom = kb_json_member(v, "oomScoreAdj");
        int64_t adj = 0;
        if (oom && !YAJL_IS_NULL(oom)) {
            if (kb_json_i64(oom, "process.oomScoreAdj", 1, &adj, err) < 0)
                return -1;
            if (adj < -1000 || adj > 1000)
                return kb_error(err, EINVAL, "process.oomScoreAdj: %lld is outside -1000..1000",
                                (long long)adj);
            p->oom_score_adj = (int)adj;
            p->has_oom_score_adj = 1;
        }
    }
    return 0;
}

static int parse_mounts(yajl_val v, struct kb_spec *spec, kb_err *err)
{
    char path[64];
    size_t len;

    if (kb_json_array_alloc(v, "mounts", KB_SPEC_MAX_LIST, sizeof *spec->mounts, (void **)&spec->mounts,
                            &len, err) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        yajl_val e = v->u.array.values[i];
        struct kb_mount *m = &spec->mounts[i];

        spec->n_mounts = i + 1;
        if (!YAJL_IS_OBJECT(e))
            return kb_error(err, EINVAL, "mounts[%zu]: expected an object", i);
        snprintf(path, sizeof path, "mounts[%zu].destination", i);
        if (kb_json_string(kb_json_member(e, "destination"), path, 1, &m->destination, err) < 0 ||
            absolute(m->destination, path, err) < 0)
            return -1;
        snprintf(path, sizeof path, "mounts[%zu].type", i);
        if (kb_json_string(kb_json_member(e, "type"), path, 0, &m->type, err) < 0)
            return -1;
        snprintf(path, sizeof path, "mounts[%zu].source", i);
        if (kb_json_string(kb_json_member(e, "source"), path, 0, &m->source, err) < 0)
            return -1;
        snprintf(path, sizeof path, "mounts[%zu].options", i);
        if (kb_json_strings(kb_json_member(e, "options"), path, 0, 256, &m->options, NULL, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_namespaces(yajl_val v, struct kb_spec *spec, kb_err *err)
{
    char path[64];
    size_t len;

    if (kb_json_array_alloc(v, "linux.namespaces", KB_ARRAY_SIZE(ns_names), sizeof *spec->namespaces,
                            (void **)&spec->namespaces, &len, err) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        yajl_val e = v->u.array.values[i];
        struct kb_namespace *ns = &spec->namespaces[i];
        _cleanup_free_ char *type = NULL;
        size_t k;

        spec->n_namespaces = i + 1;
        snprintf(path, sizeof path, "linux.namespaces[%zu].type", i);
        if (kb_json_string(kb_json_member(e, "type"), path, 1, &type, err) < 0)
            return -1;
        for (k = 0; k < KB_ARRAY_SIZE(ns_names) && strcmp(ns_names[k].name, type) != 0; k++)
            ;
        if (k == KB_ARRAY_SIZE(ns_names))
            return kb_error(err, EINVAL, "%s: unknown namespace '%s'", path, type);
        ns->type = ns_names[k].type;
        for (size_t j = 0; j < i; j++)
            if (spec->namespaces[j].type == ns->type)
                return kb_error(err, EINVAL, "%s: '%s' is given twice", path, type);
        snprintf(path, sizeof path, "linux.namespaces[%zu].path", i);
        if (kb_json_string(kb_json_member(e, "path"), path, 0, &ns->path, err) < 0 ||
            (ns->path && absolute(ns->path, path, err) < 0))
            return -1;
    }
    return 0;
}

static int parse_dev_rules(yajl_val v, struct kb_resources *r, kb_err *err)
{
    char path[80];
    size_t len;

    if (kb_json_array_alloc(v, "linux.resources.devices", KB_SPEC_MAX_LIST, sizeof *r->devices,
                            (void **)&r->devices, &len, err) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        yajl_val e = v->u.array.values[i];
        struct kb_dev_rule *d = &r->devices[i];
        _cleanup_free_ char *type = NULL, *access = NULL;
        yajl_val maj, min;

        r->n_devices = i + 1;
        if (!YAJL_IS_OBJECT(e))
            return kb_error(err, EINVAL, "linux.resources.devices[%zu]: expected an object", i);
        snprintf(path, sizeof path, "linux.resources.devices[%zu].allow", i);
        if (kb_json_bool(kb_json_member(e, "allow"), path, 1, &d->allow, err) < 0)
            return -1;
        snprintf(path, sizeof path, "linux.resources.devices[%zu].type", i);
        if (kb_json_string(kb_json_member(e, "type"), path, 0, &type, err) < 0)
            return -1;
        if (type && (strlen(type) != 1 || !strchr("abc", type[0])))
            return kb_error(err, EINVAL, "%s: '%s' is not a, b or c", path, type);
        d->type = type ? type[0] : 'a';
        d->major = d->minor = -1;
        maj = kb_json_member(e, "major");
        min = kb_json_member(e, "minor");
        snprintf(path, sizeof path, "linux.resources.devices[%zu].major", i);
        if (maj && !YAJL_IS_NULL(maj) && kb_json_i64(maj, path, 1, &d->major, err) < 0)
            return -1;
        snprintf(path, sizeof path, "linux.resources.devices[%zu].minor", i);
        if (min && !YAJL_IS_NULL(min) && kb_json_i64(min, path, 1, &d->minor, err) < 0)
            return -1;
        if (d->major < -1 || d->major > 4095 || d->minor < -1 || d->minor > 1048575)
            return kb_error(err, EINVAL, "linux.resources.devices[%zu]: %lld:%lld is not a device number", i,
                            (long long)d->major, (long long)d->minor);
        snprintf(path, sizeof path, "linux.resources.devices[%zu].access", i);
        if (kb_json_string(kb_json_member(e, "access"), path, 0, &access, err) < 0)
            return -1;
        d->access = access ? 0 : KB_DEV_READ | KB_DEV_WRITE | KB_DEV_MKNOD;
        for (const char *c = access; c && *c; c++) {
            if (*c != 'r' && *c != 'w' && *c != 'm')
                return kb_error(err, EINVAL, "%s: '%s' is not made of r, w and m", path, access);
            d->access |= *c == 'r' ? KB_DEV_READ : *c == 'w' ? KB_DEV_WRITE : KB_DEV_MKNOD;
        }
    }
    return 0;
}

static int parse_resources(yajl_val v, struct kb_resources *r, kb_err *err)
{
    yajl_val mem, cpu, pids;

    if (!v || YAJL_IS_NULL(v))
        return 0;
    if (!YAJL_IS_OBJECT(v))
        return kb_error(err, EINVAL, "linux.resources: expected an object");
    mem = kb_json_member(v, "memory");
    cpu = kb_json_member(v, "cpu");
    pids = kb_json_member(v, "pids");
    if (kb_json_i64(kb_json_member(mem, "limit"), "linux.resources.memory.limit", 0, &r->memory_limit,
                    err) < 0 ||
        kb_json_i64(kb_json_member(cpu, "quota"), "linux.resources.cpu.quota", 0, &r->cpu_quota, err) < 0 ||
        kb_json_u64(kb_json_member(cpu, "period"), "linux.resources.cpu.period", 0, &r->cpu_period,
                    err) < 0 ||
        kb_json_string(kb_json_member(cpu, "cpus"), "linux.resources.cpu.cpus", 0, &r->cpus, err) < 0 ||
        kb_json_i64(kb_json_member(pids, "limit"), "linux.resources.pids.limit", 0, &r->pids_limit,
                    err) < 0 ||
        kb_json_i64(kb_json_member(mem, "reservation"), "linux.resources.memory.reservation", 0,
                    &r->memory_reservation, err) < 0 ||
        kb_json_i64(kb_json_member(mem, "swap"), "linux.resources.memory.swap", 0, &r->memory_swap,
                    err) < 0 ||
        kb_json_u64(kb_json_member(cpu, "shares"), "linux.resources.cpu.shares", 0, &r->cpu_shares,
                    err) < 0 ||
        kb_json_string(kb_json_member(cpu, "mems"), "linux.resources.cpu.mems", 0, &r->mems, err) < 0 ||
        parse_dev_rules(kb_json_member(v, "devices"), r, err) < 0)
        return -1;
    r->has_memory_reservation = kb_json_member(mem, "reservation") != NULL;
    r->has_memory_swap = kb_json_member(mem, "swap") != NULL;
    r->has_cpu_shares = kb_json_member(cpu, "shares") != NULL;
    if (r->memory_reservation < -1 || r->memory_swap < -1)
        return kb_error(err, EINVAL, "linux.resources.memory: a negative value other than -1");
    if (r->memory_reservation == -1)
        r->memory_reservation = 0;
    /* runc's rules for cgroup v2, where swap is counted apart from memory */
    if (r->memory_swap > 0 && r->memory_limit <= 0)
        return kb_error(err, EINVAL, "linux.resources.memory.swap: a swap limit needs a memory limit");
    if (r->memory_swap > 0 && r->memory_swap < r->memory_limit)
        return kb_error(err, EINVAL, "linux.resources.memory.swap: %lld is below the memory limit %lld "
                                     "(it counts memory plus swap)", (long long)r->memory_swap,
                        (long long)r->memory_limit);
    if (r->cpu_shares && (r->cpu_shares < 2 || r->cpu_shares > 262144))
        return kb_error(err, EINVAL, "linux.resources.cpu.shares: %llu is outside 2..262144",
                        (unsigned long long)r->cpu_shares);
    r->has_memory_limit = kb_json_member(mem, "limit") != NULL;
    r->has_cpu_quota = kb_json_member(cpu, "quota") != NULL;
    r->has_cpu_period = kb_json_member(cpu, "period") != NULL;
    r->has_pids_limit = kb_json_member(pids, "limit") != NULL;
    /* -1 means "no limit" in the spec, as 0 does for us */
    if (r->memory_limit < -1 || r->cpu_quota < -1 || r->pids_limit < -1)
        return kb_error(err, EINVAL, "linux.resources: a negative limit other than -1");
    if (r->memory_limit == -1)
        r->memory_limit = 0;
    if (r->cpu_quota == -1)
        r->cpu_quota = 0;
    if (r->pids_limit == -1)
        r->pids_limit = 0;
    if (r->cpu_period && (r->cpu_period < 1000 || r->cpu_period > 1000000))
        return kb_error(err, EINVAL, "linux.resources.cpu.period: %llu us is outside 1000..1000000",
                        (unsigned long long)r->cpu_period);
    return 0;
}

static int parse_id_maps(yajl_val v, const char *field, struct kb_id_map **maps, size_t *n, kb_err *err)
{
    char path[64];
    size_t len;

    /* the kernel takes at most 340 lines in a uid_map */
    if (kb_json_array_alloc(v, field, 340, sizeof **maps, (void **)maps, &len, err) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        yajl_val e = v->u.array.values[i];
        struct kb_id_map *m = &(*maps)[i];

        if (!YAJL_IS_OBJECT(e))
            return kb_error(err, EINVAL, "%s[%zu]: expected an object", field, i);
        snprintf(path, sizeof path, "%s[%zu].containerID", field, i);
        if (kb_json_u32(kb_json_member(e, "containerID"), path, 1, &m->container_id, err) < 0)
            return -1;
        snprintf(path, sizeof path, "%s[%zu].hostID", field, i);
        if (kb_json_u32(kb_json_member(e, "hostID"), path, 1, &m->host_id, err) < 0)
            return -1;
        snprintf(path, sizeof path, "%s[%zu].size", field, i);
        if (kb_json_u32(kb_json_member(e, "size"), path, 1, &m->size, err) < 0)
            return -1;
        if (m->size == 0 || (uint64_t)m->container_id + m->size > UINT32_MAX ||
            (uint64_t)m->host_id + m->size > UINT32_MAX)
            return kb_error(err, EINVAL, "%s[%zu]: size %u is 0 or runs past the last id", field, i,
                            m->size);
        *n = i + 1;
    }
    return 0;
}

static int parse_devices(yajl_val v, struct kb_spec *spec, kb_err *err)
{
    char path[64];
    size_t len;

    if (kb_json_array_alloc(v, "linux.devices", KB_SPEC_MAX_LIST, sizeof *spec->devices,
                            (void **)&spec->devices, &len, err) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        yajl_val e = v->u.array.values[i];
        struct kb_device *d = &spec->devices[i];
        _cleanup_free_ char *type = NULL;

        spec->n_devices = i + 1;
        if (!YAJL_IS_OBJECT(e))
            return kb_error(err, EINVAL, "linux.devices[%zu]: expected an object", i);
        snprintf(path, sizeof path, "linux.devices[%zu].path", i);
        if (kb_json_string(kb_json_member(e, "path"), path, 1, &d->path, err) < 0 ||
            absolute(d->path, path, err) < 0)
            return -1;
        snprintf(path, sizeof path, "linux.devices[%zu].type", i);
        if (kb_json_string(kb_json_member(e, "type"), path, 1, &type, err) < 0)
            return -1;
        if (strlen(type) != 1 || !strchr("cbup", type[0]))
            return kb_error(err, EINVAL, "%s: '%s' is not one of c, b, u, p", path, type);
        d->type = type[0];
        if (d->type != 'p') {
            snprintf(path, sizeof path, "linux.devices[%zu].major", i);
            if (kb_json_i64(kb_json_member(e, "major"), path, 1, &d->major, err) < 0)
                return -1;
            snprintf(path, sizeof path, "linux.devices[%zu].minor", i);
            if (kb_json_i64(kb_json_member(e, "minor"), path, 1, &d->minor, err) < 0)
                return -1;
            /* what makedev can carry: 12 bits of major, 20 of minor */
            if (d->major < 0 || d->major > 4095 || d->minor < 0 || d->minor > 1048575)
                return kb_error(err, EINVAL, "linux.devices[%zu]: %lld:%lld is not a device number", i,
                                (long long)d->major, (long long)d->minor);
        }
        snprintf(path, sizeof path, "linux.devices[%zu].fileMode", i);
        d->has_mode = kb_json_member(e, "fileMode") != NULL;
        if (kb_json_u32(kb_json_member(e, "fileMode"), path, 0, &d->mode, err) < 0)
            return -1;
        if (d->mode > 07777)
            return kb_error(err, EINVAL, "%s: %o is not a file mode", path, d->mode);
        snprintf(path, sizeof path, "linux.devices[%zu].uid", i);
        d->has_uid = kb_json_member(e, "uid") != NULL;
        if (kb_json_u32(kb_json_member(e, "uid"), path, 0, &d->uid, err) < 0)
            return -1;
        snprintf(path, sizeof path, "linux.devices[%zu].gid", i);
        d->has_gid = kb_json_member(e, "gid") != NULL;
        if (kb_json_u32(kb_json_member(e, "gid"), path, 0, &d->gid, err) < 0)
            return -1;
    }
    return 0;
}

/* An object of strings as key, value, ..., NULL (annotations, linux.sysctl). */
static int parse_string_map(yajl_val v, const char *field, char ***out, kb_err *err)
{
    size_t n;

    if (!v || YAJL_IS_NULL(v))
        return 0;
    if (!YAJL_IS_OBJECT(v))
        return kb_error(err, EINVAL, "%s: expected an object of strings", field);
    n = v->u.object.len;
    if (n > KB_SPEC_MAX_LIST)
        return kb_error(err, E2BIG, "%s: %zu entries, at most %u", field, n, KB_SPEC_MAX_LIST);
    *out = calloc(2 * n + 1, sizeof **out);
    if (!*out)
        return kb_error(err, ENOMEM, "%s", field);
    for (size_t i = 0; i < n; i++) {
        yajl_val val = v->u.object.values[i];
        if (!YAJL_IS_STRING(val))
            return kb_error(err, EINVAL, "%s.%s: expected a string", field, v->u.object.keys[i]);
        (*out)[2 * i] = strdup(v->u.object.keys[i]);
        (*out)[2 * i + 1] = strdup(val->u.string);
        if (!(*out)[2 * i] || !(*out)[2 * i + 1])
            return kb_error(err, ENOMEM, "%s", field);
    }
    return 0;
}

static int parse_linux(yajl_val lnx, struct kb_spec *spec, kb_err *err)
{
    if (!YAJL_IS_OBJECT(lnx))
        return kb_error(err, EINVAL, "linux: expected an object");
    if (parse_namespaces(kb_json_member(lnx, "namespaces"), spec, err) < 0 ||
        parse_resources(kb_json_member(lnx, "resources"), &spec->resources, err) < 0 ||
        kb_json_strings(kb_json_member(lnx, "maskedPaths"), "linux.maskedPaths", 0, KB_SPEC_MAX_LIST,
                        &spec->masked_paths, NULL, err) < 0 ||
        kb_json_strings(kb_json_member(lnx, "readonlyPaths"), "linux.readonlyPaths", 0,
                        KB_SPEC_MAX_LIST, &spec->readonly_paths, NULL, err) < 0 ||
        parse_id_maps(kb_json_member(lnx, "uidMappings"), "linux.uidMappings", &spec->uid_mappings,
                      &spec->n_uid_mappings, err) < 0 ||
        parse_id_maps(kb_json_member(lnx, "gidMappings"), "linux.gidMappings", &spec->gid_mappings,
                      &spec->n_gid_mappings, err) < 0 ||
        parse_devices(kb_json_member(lnx, "devices"), spec, err) < 0 ||
        parse_string_map(kb_json_member(lnx, "sysctl"), "linux.sysctl", &spec->sysctl, err) < 0 ||
        kb_json_string(kb_json_member(lnx, "rootfsPropagation"), "linux.rootfsPropagation", 0,
                       &spec->rootfs_propagation, err) < 0 ||
        kb_json_string(kb_json_member(lnx, "mountLabel"), "linux.mountLabel", 0, &spec->mount_label,
                       err) < 0 ||
        kb_seccomp_parse(kb_json_member(lnx, "seccomp"), &spec->seccomp, err) < 0)
        return -1;
    if (spec->rootfs_propagation) {
        static const char *const known[] = { "", "private", "rprivate", "slave", "rslave", "shared",
                                             "rshared", "unbindable", "runbindable" };
        size_t k = 0;
        while (k < KB_ARRAY_SIZE(known) && strcmp(known[k], spec->rootfs_propagation) != 0)
            k++;
        if (k == KB_ARRAY_SIZE(known))
            return kb_error(err, EINVAL, "linux.rootfsPropagation: unknown propagation '%s'",
                            spec->rootfs_propagation);
    }
    if ((spec->n_uid_mappings || spec->n_gid_mappings) && !kb_spec_namespace(spec, KB_NS_USER))
        return kb_error(err, EINVAL, "linux.uidMappings: given without a user namespace");
    return 0;
}

int kb_spec_parse(const char *json, size_t len, struct kb_spec *spec, kb_err *err)
{
    yajl_val doc = NULL, root, lnx;
    int r = -1;

    memset(spec, 0, sizeof *spec);
    if (len > KB_SPEC_MAX_BYTES)
        return kb_error(err, EFBIG, "config.json: %zu bytes, at most %u", len, KB_SPEC_MAX_BYTES);
    if (kb_json_parse(json, len, "config.json", &doc, err) < 0)
        return -1;
    if (!YAJL_IS_OBJECT(doc)) {
        kb_error(err, EINVAL, "config.json: expected an object at the top");
        goto out;
    }
    root = kb_json_member(doc, "root");
    lnx = kb_json_member(doc, "linux");
    if (kb_json_string(kb_json_member(doc, "ociVersion"), "ociVersion", 1, &spec->oci_version, err) < 0 ||
        parse_process(kb_json_member(doc, "process"), &spec->process, err) < 0)
        goto out;
    if (!YAJL_IS_OBJECT(root)) {
        kb_error(err, EINVAL, "root: required object is missing or not an object");
        goto out;
    }
    if (kb_json_string(kb_json_member(root, "path"), "root.path", 1, &spec->root_path, err) < 0 ||
        kb_json_bool(kb_json_member(root, "readonly"), "root.readonly", 0, &spec->root_readonly, err) < 0 ||
        kb_json_string(kb_json_member(doc, "hostname"), "hostname", 0, &spec->hostname, err) < 0 ||
        parse_mounts(kb_json_member(doc, "mounts"), spec, err) < 0 ||
        parse_string_map(kb_json_member(doc, "annotations"), "annotations", &spec->annotations, err) < 0 ||
        kb_hooks_parse(kb_json_member(doc, "hooks"), &spec->hooks, err) < 0)
        goto out;
    if (!spec->root_path[0]) {
        kb_error(err, EINVAL, "root.path: must not be empty");
        goto out;
    }
    if (spec->hostname && strlen(spec->hostname) > 64) {
        kb_error(err, EINVAL, "hostname: longer than 64 characters");
        goto out;
    }
    if (lnx && !YAJL_IS_NULL(lnx) && parse_linux(lnx, spec, err) < 0)
        goto out;
    r = 0;
out:
    yajl_tree_free(doc);
    return r;
}

int kb_spec_load(const char *path, struct kb_spec *spec, kb_err *err)
{
    _cleanup_free_ char *text = NULL;
    size_t len;

    memset(spec, 0, sizeof *spec);
    if (kb_read_file(path, KB_SPEC_MAX_BYTES, &text, &len, err) < 0)
        return -1;
    if (kb_spec_parse(text, len, spec, err) < 0)
        return kb_error_wrap(err, "%s", path);
    return 0;
}

void kb_process_free(struct kb_process *p)
{
    free(p->additional_gids);
    kb_strv_free(p->args);
    kb_strv_free(p->env);
    free(p->cwd);
    for (int s = 0; s < KB_CAP_SETS; s++)
        kb_strv_free(p->caps[s]);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
    memset(p, 0, sizeof *p);
}

int kb_process_parse(const char *json, size_t len, struct kb_process *p, kb_err *err)
{
    yajl_val root;
    int r;

    memset(p, 0, sizeof *p);
    if (kb_json_parse(json, len, "process", &root, err) < 0)
        return -1;
    r = parse_process(root, p, err);
    yajl_tree_free(root);
    return r;
}

int kb_resources_parse(const char *json, size_t len, struct kb_resources *r, kb_err *err)
{
    yajl_val root;
    int ret;

    memset(r, 0, sizeof *r);
    if (kb_json_parse(json, len, "resources", &root, err) < 0)
        return -1;
    ret = YAJL_IS_OBJECT(root) ? parse_resources(root, r, err)
                               : kb_error(err, EINVAL, "resources: expected an object");
    yajl_tree_free(root);
    return ret;
}

void kb_resources_free(struct kb_resources *r)
{
    free(r->cpus);
    free(r->mems);
    free(r->devices);
    memset(r, 0, sizeof *r);
}

const char *kb_spec_annotation(const struct kb_spec *spec, const char *key)
{
    for (char **a = spec->annotations; a && a[0]; a += 2)
        if (strcmp(a[0], key) == 0)
            return a[1];
    return NULL;
}

void kb_spec_free(struct kb_spec *spec)
{
    free(spec->oci_version);
    kb_process_free(&spec->process);
    free(spec->root_path);
    free(spec->hostname);
    for (size_t i = 0; i < spec->n_mounts; i++) {
        free(spec->mounts[i].destination);
        free(spec->mounts[i].type);
        free(spec->mounts[i].source);
        kb_strv_free(spec->mounts[i].options);
    }
    free(spec->mounts);
    for (size_t i = 0; i < spec->n_namespaces; i++)
        free(spec->namespaces[i].path);
    free(spec->namespaces);
    kb_resources_free(&spec->resources);
    kb_strv_free(spec->masked_paths);
    kb_strv_free(spec->readonly_paths);
    kb_strv_free(spec->annotations);
    free(spec->uid_mappings);
    free(spec->gid_mappings);
    for (size_t i = 0; i < spec->n_devices; i++)
        free(spec->devices[i].path);
    free(spec->devices);
    kb_strv_free(spec->sysctl);
    free(spec->rootfs_propagation);
    free(spec->mount_label);
    kb_seccomp_free(spec->seccomp);
    kb_hooks_free(spec->hooks);
    memset(spec, 0, sizeof *spec);
}

const struct kb_namespace *kb_spec_namespace(const struct kb_spec *spec, enum kb_ns_type type)
{
    for (size_t i = 0; i < spec->n_namespaces; i++)
        if (spec->namespaces[i].type == type)
            return &spec->namespaces[i];
    return NULL;
}

bool kb_mount_is_bind(const struct kb_mount *m)
{
    if (m->type && strcmp(m->type, "bind") == 0)
        return true;
    for (char **o = m->options; o && *o; o++)
        if (strcmp(*o, "bind") == 0 || strcmp(*o, "rbind") == 0)
            return true;
    return false;
}
