#include "guest_spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "../json.h"

static const char *const ns_key[] = {
    [KB_NS_PID] = "pid", [KB_NS_NETWORK] = "network", [KB_NS_MOUNT] = "mount", [KB_NS_IPC] = "ipc",
    [KB_NS_UTS] = "uts", [KB_NS_USER] = "user", [KB_NS_CGROUP] = "cgroup",
};

/* Write v back as JSON, leaving out the member `drop` of the object `at`. */
static int gen(yajl_gen g, yajl_val v, yajl_val at, const char *drop)
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
            if (gen(g, v->u.array.values[i], at, drop) != yajl_gen_status_ok)
                return -1;
        return yajl_gen_array_close(g);
    case yajl_t_object:
        if (yajl_gen_map_open(g) != yajl_gen_status_ok)
            return -1;
        for (i = 0; i < v->u.object.len; i++) {
            const char *k = v->u.object.keys[i];
            if (v == at && strcmp(k, drop) == 0)
                continue;
            if (yajl_gen_string(g, (const unsigned char *)k, strlen(k)) != yajl_gen_status_ok ||
                gen(g, v->u.object.values[i], at, drop) != yajl_gen_status_ok)
                return -1;
        }
        return yajl_gen_map_close(g);
    default:
        return -1;
    }
}

int kb_spec_for_guest(const char *json, size_t len, const struct kb_spec *spec, char **out, size_t *out_len,
                      kb_err *err)
{
    const struct kb_namespace *net = NULL;
    yajl_val doc = NULL, entry = NULL, list;
    yajl_gen g = NULL;
    const unsigned char *buf;
    size_t n;
    int r = -1;

    *out = NULL;
    for (size_t i = 0; i < spec->n_namespaces; i++) {
        const struct kb_namespace *ns = &spec->namespaces[i];
        if (!ns->path)
            continue;
        if (ns->type != KB_NS_NETWORK)
            return kb_error(err, EINVAL, "linux.namespaces[%zu]: the %s namespace %s cannot be joined: the "
                                         "container runs in a VM of its own, where host namespaces do not "
                                         "exist", i, ns_key[ns->type], ns->path);
        net = ns;
    }
    if (!net) {
        *out = malloc(len ? len : 1);
        if (!*out)
            return kb_error(err, ENOMEM, "config.json");
        memcpy(*out, json, len);
        *out_len = len;
        return 0;
    }
    if (kb_json_parse(json, len, "config.json", &doc, err) < 0)
        return -1;
    list = kb_json_member(kb_json_member(doc, "linux"), "namespaces");
    for (size_t i = 0; list && YAJL_IS_ARRAY(list) && i < list->u.array.len && !entry; i++) {
        yajl_val type = kb_json_member(list->u.array.values[i], "type");
        if (YAJL_IS_STRING(type) && strcmp(type->u.string, "network") == 0)
            entry = list->u.array.values[i];
    }
    g = yajl_gen_alloc(NULL);
    if (!g) {
        kb_error(err, ENOMEM, "config.json for the guest");
        goto done;
    }
    if (!entry || gen(g, doc, entry, "path") != yajl_gen_status_ok ||
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
