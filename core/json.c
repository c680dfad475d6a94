#include "json.h"

#define KB_STR_(x) #x
#define KB_STR(x) KB_STR_(x)

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* yajl's tree is built iteratively but freed recursively, so a hostile
 * document of nested brackets would exhaust the stack: count first. Its
 * strings are NUL-terminated, so "\u0000" would silently cut one short
 * ("/etc/shadow\u0000.txt"): refuse that too. */
static int check_depth(const char *text, size_t len, size_t *where, const char **why)
{
    int depth = 0, in_string = 0, escaped = 0;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];

        if (in_string) {
            if (escaped) {
                escaped = 0;
                if (c == 'u' && len - i > 4 && memcmp(text + i + 1, "0000", 4) == 0) {
                    *where = i - 1;
                    *why = "a \\u0000 escape (NUL) inside a string";
                    return -1;
                }
            } else if (c == '\\')
                escaped = 1;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > KB_JSON_MAX_DEPTH) {
                *where = i;
                *why = "nested deeper than " KB_STR(KB_JSON_MAX_DEPTH) " levels";
                return -1;
            }
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

int kb_json_parse(const char *text, size_t len, const char *what, yajl_val *out, kb_err *err)
{
    char errbuf[256] = "";
    const char *why;
    char *copy;
    size_t where;

    if (memchr(text, '\0', len))
        return kb_error(err, EINVAL, "%s: invalid JSON: a NUL byte at offset %zu", what,
                        (size_t)((const char *)memchr(text, '\0', len) - text));
    if (check_depth(text, len, &where, &why) < 0)
        return kb_error(err, EINVAL, "%s: %s at offset %zu", what, why, where);
    copy = malloc(len + 1);
    if (!copy)
        return kb_error(err, ENOMEM, "%s: parse", what);
    memcpy(copy, text, len);
    copy[len] = '\0';
    *out = yajl_tree_parse(copy, errbuf, sizeof errbuf);
    free(copy);
    if (!*out) {
        /* yajl's message spans lines (it draws a caret): keep the first */
        char *nl = strchr(errbuf, '\n');
        if (nl)
            *nl = '\0';
        return kb_error(err, EINVAL, "%s: invalid JSON: %s", what, *errbuf ? errbuf : "parse error");
    }
    return 0;
}

yajl_val kb_json_member(yajl_val obj, const char *key)
{
    if (!YAJL_IS_OBJECT(obj))
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    return NULL;
}

static int absent(yajl_val v, const char *path, int required, kb_err *err)
{
    if (v && !YAJL_IS_NULL(v))
        return 0;
    if (required)
        return kb_error(err, EINVAL, "%s: required but missing", path);
    return 1;
}

int kb_json_string(yajl_val v, const char *path, int required, char **out, kb_err *err)
{
    int r = absent(v, path, required, err);
    char *s;

    if (r)
        return r < 0 ? -1 : 0;
    if (!YAJL_IS_STRING(v))
        return kb_error(err, EINVAL, "%s: expected a string", path);
    s = strdup(v->u.string);
    if (!s)
        return kb_error(err, ENOMEM, "%s", path);
    free(*out);
    *out = s;
    return 0;
}

int kb_json_bool(yajl_val v, const char *path, int required, int *out, kb_err *err)
{
    int r = absent(v, path, required, err);

    if (r)
        return r < 0 ? -1 : 0;
    if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
        return kb_error(err, EINVAL, "%s: expected true or false", path);
    *out = YAJL_IS_TRUE(v);
    return 0;
}

/* yajl keeps a number's text: parse it ourselves, exactly, with no doubles. */
static int integer(yajl_val v, const char *path, int is_signed, int64_t *s, uint64_t *u, kb_err *err)
{
    const char *t;
    char *end;

    /* not YAJL_IS_INTEGER: yajl only sets it for values that fit a long long */
    if (!YAJL_IS_NUMBER(v) || strpbrk(v->u.number.r, ".eE"))
        return kb_error(err, EINVAL, "%s: expected an integer", path);
    t = v->u.number.r;
    errno = 0;
    if (is_signed)
        *s = strtoll(t, &end, 10);
    else if (*t == '-')
        return kb_error(err, EINVAL, "%s: %s is negative", path, t);
    else
        *u = strtoull(t, &end, 10);
    if (errno || *end)
        return kb_error(err, EINVAL, "%s: %s is out of range", path, t);
    return 0;
}

int kb_json_u64(yajl_val v, const char *path, int required, uint64_t *out, kb_err *err)
{
    int r = absent(v, path, required, err);
    int64_t s;

    if (r)
        return r < 0 ? -1 : 0;
    return integer(v, path, 0, &s, out, err);
}

int kb_json_u32(yajl_val v, const char *path, int required, uint32_t *out, kb_err *err)
{
    uint64_t u = *out;

    if (kb_json_u64(v, path, required, &u, err) < 0)
        return -1;
    if (u > UINT32_MAX)
        return kb_error(err, EINVAL, "%s: %llu is out of range (at most %u)", path,
                        (unsigned long long)u, UINT32_MAX);
    *out = (uint32_t)u;
    return 0;
}

int kb_json_i64(yajl_val v, const char *path, int required, int64_t *out, kb_err *err)
{
    int r = absent(v, path, required, err);
    uint64_t u;

    if (r)
        return r < 0 ? -1 : 0;
    return integer(v, path, 1, out, &u, err);
}

void kb_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

int kb_json_array_alloc(yajl_val v, const char *path, size_t max, size_t size, void **items,
                        size_t *n, kb_err *err)
{
    int r = absent(v, path, 0, err);

    *items = NULL;
    *n = 0;
    if (r)
        return 0;
    if (!YAJL_IS_ARRAY(v))
        return kb_error(err, EINVAL, "%s: expected an array", path);
    if (v->u.array.len > max)
        return kb_error(err, E2BIG, "%s: %zu entries, at most %zu", path, v->u.array.len, max);
    *items = calloc(v->u.array.len + 1, size);
    if (!*items)
        return kb_error(err, ENOMEM, "%s", path);
    *n = v->u.array.len;
    return 1;
}

int kb_json_strings(yajl_val v, const char *path, int required, size_t max, char ***out, size_t *n,
                    kb_err *err)
{
    char **list;
    size_t len;
    int r;

    if (absent(v, path, required, err) < 0)
        return -1;
    r = kb_json_array_alloc(v, path, max, sizeof *list, (void **)&list, &len, err);
    if (r <= 0)
        return r;
    for (size_t i = 0; i < len; i++) {
        yajl_val e = v->u.array.values[i];
        if (!YAJL_IS_STRING(e)) {
            kb_strv_free(list);
            return kb_error(err, EINVAL, "%s[%zu]: expected a string", path, i);
        }
        list[i] = strdup(e->u.string);
        if (!list[i]) {
            kb_strv_free(list);
            return kb_error(err, ENOMEM, "%s", path);
        }
    }
    kb_strv_free(*out);
    *out = list;
    if (n)
        *n = len;
    return 0;
}
