#include "guest_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "../json.h"

static const char *const ns_key[] = {
    [KB_NS_PID] = "pid", [KB_NS_NETWORK] = "network", [KB_NS_MOUNT] = "mount", [KB_NS_IPC] = "ipc",
    [KB_NS_UTS] = "uts", [KB_NS_USER] = "user", [KB_NS_CGROUP] = "cgroup",
};

/* What changes on the way: the "path" of the entries of linux.namespaces. */
struct edit {
    yajl_val ns_list;
    unsigned join_pid;          /* 0: paths are dropped */
};

static int gen(yajl_gen g, yajl_val v, const struct edit *e, int ns_entry);

/* A namespace entry's path: dropped, or the pod sandbox's namespace of its type. */
static int gen_path(yajl_gen g, yajl_val entry, const struct edit *e)
{
    static const char *const proc_name[] = {
        [KB_NS_PID] = "pid", [KB_NS_NETWORK] = "net", [KB_NS_MOUNT] = "mnt", [KB_NS_IPC] = "ipc",
        [KB_NS_UTS] = "uts", [KB_NS_USER] = "user", [KB_NS_CGROUP] = "cgroup",
    };
    yajl_val type = kb_json_member(entry, "type");
    char path[64];

    for (size_t t = 0; YAJL_IS_STRING(type) && t < sizeof ns_key / sizeof ns_key[0]; t++)
        if (strcmp(type->u.string, ns_key[t]) == 0) {
            int n = snprintf(path, sizeof path, "/proc/%u/ns/%s", e->join_pid, proc_name[t]);
            if (yajl_gen_string(g, (const unsigned char *)"path", 4) != yajl_gen_status_ok)
                return -1;
            return yajl_gen_string(g, (const unsigned char *)path, (size_t)n);
        }
    return -1;
}

/* Write v back as JSON, with e's edits. */
static int gen(yajl_gen g, yajl_val v, const struct edit *e, int ns_entry)
{
    size_t i;

    switch (v->type) {
    case yajl_t_string:
        return yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
    case yajl_t_number:
        /* the text as read: no precision lost on the way */
        return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
    case yajl_t_true:
    case yajl_t_false:
        return yajl_gen_bool(g, v->type == yajl_t_true);
    case yajl_t_null:
        return yajl_gen_null(g);
    case yajl_t_array:
        if (yajl_gen_array_open(g) != yajl_gen_status_ok)
            return -1;
        for (i = 0; i < v->u.array.len; i++)
            if (gen(g, v->u.array.values[i], e, v == e->ns_list) != yajl_gen_status_ok)
                return -1;
        return yajl_gen_array_close(g);
    case yajl_t_object:
        if (yajl_gen_map_open(g) != yajl_gen_status_ok)
            return -1;
        for (i = 0; i < v->u.object.len; i++) {
            const char *k = v->u.object.keys[i];
            if (ns_entry && strcmp(k, "path") == 0) {
                if (e->join_pid && gen_path(g, v, e) != yajl_gen_status_ok)
                    return -1;
                continue;
            }
            if (yajl_gen_string(g, (const unsigned char *)k, strlen(k)) != yajl_gen_status_ok ||
                gen(g, v->u.object.values[i], e, 0) != yajl_gen_status_ok)
                return -1;
        }
        return yajl_gen_map_close(g);
    default:
        return -1;
    }
}

int kb_spec_for_guest(const char *json, size_t len, const struct kb_spec *spec, unsigned join_pid, char **out,
                      size_t *out_len, kb_err *err)
{
    struct edit e = { .join_pid = join_pid };
    int paths = 0;
    yajl_val doc = NULL;
    yajl_gen g = NULL;
    const unsigned char *buf;
    size_t n;
    int r = -1;

    *out = NULL;
    for (size_t i = 0; i < spec->n_namespaces; i++) {
        const struct kb_namespace *ns = &spec->namespaces[i];
        if (!ns->path)
            continue;
        paths = 1;
        /* in a pod, joining the sandbox's mount namespace would be joining its rootfs */
        if (join_pid ? ns->type == KB_NS_MOUNT : ns->type != KB_NS_NETWORK)
            return kb_error(err, EINVAL, "linux.namespaces[%zu]: the %s namespace %s cannot be joined: the "
                                         "container runs in a VM of its own, where host namespaces do not "
                                         "exist", i, ns_key[ns->type], ns->path);
    }
    if (!paths) {
        *out = malloc(len ? len : 1);
        if (!*out)
            return kb_error(err, ENOMEM, "config.json");
        memcpy(*out, json, len);
        *out_len = len;
        return 0;
    }
    if (kb_json_parse(json, len, "config.json", &doc, err) < 0)
        return -1;
    e.ns_list = kb_json_member(kb_json_member(doc, "linux"), "namespaces");
    g = yajl_gen_alloc(NULL);
    if (!g) {
        kb_error(err, ENOMEM, "config.json for the guest");
        goto done;
    }
    if (!e.ns_list || !YAJL_IS_ARRAY(e.ns_list) || gen(g, doc, &e, 0) != yajl_gen_status_ok ||
        yajl_gen_get_buf(g, &buf, &n) != yajl_gen_status_ok) {
        kb_error(err, EPROTO, "config.json: cannot write it again for the guest");
        goto done;
    }
    *out = malloc(n ? n : 1);
    if (!*out) {
        kb_error(err, ENOMEM, "config.json for the guest");
        goto done;
    }
    memcpy(*out, buf, n);
    *out_len = n;
    r = 0;
done:
    if (g)
        yajl_gen_free(g);
    yajl_tree_free(doc);
    return r;
}
