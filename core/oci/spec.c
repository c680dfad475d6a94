#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../json.h"
#include "../util.h"

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
        parse_rlimits(kb_json_member(v, "rlimits"), p, err) < 0)
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
                    err) < 0)
        return -1;
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

static int parse_annotations(yajl_val v, struct kb_spec *spec, kb_err *err)
{
    size_t n;

    if (!v || YAJL_IS_NULL(v))
        return 0;
    if (!YAJL_IS_OBJECT(v))
        return kb_error(err, EINVAL, "annotations: expected an object of strings");
    n = v->u.object.len;
    if (n > KB_SPEC_MAX_LIST)
        return kb_error(err, E2BIG, "annotations: %zu entries, at most %u", n, KB_SPEC_MAX_LIST);
    spec->annotations = calloc(2 * n + 1, sizeof *spec->annotations);
    if (!spec->annotations)
        return kb_error(err, ENOMEM, "annotations");
    for (size_t i = 0; i < n; i++) {
        yajl_val val = v->u.object.values[i];
        if (!YAJL_IS_STRING(val))
            return kb_error(err, EINVAL, "annotations.%s: expected a string", v->u.object.keys[i]);
        spec->annotations[2 * i] = strdup(v->u.object.keys[i]);
        spec->annotations[2 * i + 1] = strdup(val->u.string);
        if (!spec->annotations[2 * i] || !spec->annotations[2 * i + 1])
            return kb_error(err, ENOMEM, "annotations");
    }
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
        parse_annotations(kb_json_member(doc, "annotations"), spec, err) < 0)
        goto out;
    if (!spec->root_path[0]) {
        kb_error(err, EINVAL, "root.path: must not be empty");
        goto out;
    }
    if (spec->hostname && strlen(spec->hostname) > 64) {
        kb_error(err, EINVAL, "hostname: longer than 64 characters");
        goto out;
    }
    if (lnx && !YAJL_IS_NULL(lnx)) {
        if (!YAJL_IS_OBJECT(lnx)) {
            kb_error(err, EINVAL, "linux: expected an object");
            goto out;
        }
        if (parse_namespaces(kb_json_member(lnx, "namespaces"), spec, err) < 0 ||
            parse_resources(kb_json_member(lnx, "resources"), &spec->resources, err) < 0 ||
            kb_json_strings(kb_json_member(lnx, "maskedPaths"), "linux.maskedPaths", 0, KB_SPEC_MAX_LIST,
                            &spec->masked_paths, NULL, err) < 0 ||
            kb_json_strings(kb_json_member(lnx, "readonlyPaths"), "linux.readonlyPaths", 0,
                            KB_SPEC_MAX_LIST, &spec->readonly_paths, NULL, err) < 0)
            goto out;
    }
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
    memset(r, 0, sizeof *r);
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
    free(spec->resources.cpus);
    kb_strv_free(spec->masked_paths);
    kb_strv_free(spec->readonly_paths);
    kb_strv_free(spec->annotations);
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
