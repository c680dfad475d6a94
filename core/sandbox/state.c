#include "state.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "../json.h"
#include "../util.h"

#define STATE_FILE "state.json"
#define STATE_MAX (1u << 20)

uint64_t kb_pid_start_time(pid_t pid)
{
    _cleanup_free_ char *text = NULL;
    char path[64], *p;
    kb_err ignored;
    unsigned long long v = 0;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (pid <= 0 || kb_read_file(path, 4096, &text, NULL, &ignored) < 0)
        return 0;
    /* the command name may hold spaces and ')': count fields after the last ')' */
    p = strrchr(text, ')');
    /* a zombie (not yet reaped by whoever adopted it) is gone for us */
    if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
        return 0;
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (p)
        v = strtoull(p + 1, NULL, 10);
    return v;
}

void kb_rfc3339_now(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    char sec[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm);
    char frac[16];
    int n = snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);

    /* Go's RFC3339Nano, which runc prints: no trailing zeros, no lone dot */
    while (n > 1 && frac[n - 1] == '0')
        frac[--n] = '\0';
    if (n == 1)
        frac[0] = '\0';
    snprintf(buf, len, "%s%sZ", sec, frac);
}

static void gen_str(yajl_gen g, const char *key, const char *val)
{
    yajl_gen_string(g, (const unsigned char *)key, strlen(key));
    yajl_gen_string(g, (const unsigned char *)(val ? val : ""), val ? strlen(val) : 0);
}

/* runc's fields, in runc's order; a stopped container shows pid 0 */
static void gen_fields(yajl_gen g, const struct kb_state *st)
{
    gen_str(g, "ociVersion", st->oci_version);
    gen_str(g, "id", st->id);
    yajl_gen_string(g, (const unsigned char *)"pid", 3);
    yajl_gen_integer(g, st->status && strcmp(st->status, "stopped") == 0 ? 0 : st->pid);
    gen_str(g, "status", st->status);
    gen_str(g, "bundle", st->bundle);
    gen_str(g, "rootfs", st->rootfs);
    gen_str(g, "created", st->created);
    if (st->annotations && st->annotations[0]) {
        yajl_gen_string(g, (const unsigned char *)"annotations", 11);
        yajl_gen_map_open(g);
        for (char **a = st->annotations; a[0] && a[1]; a += 2)
            gen_str(g, a[0], a[1]);
        yajl_gen_map_close(g);
    }
    gen_str(g, "owner", st->owner);
}

void kb_state_gen(yajl_gen g, const struct kb_state *st)
{
    yajl_gen_map_open(g);
    gen_fields(g, st);
    yajl_gen_map_close(g);
}

static int generate(const struct kb_state *st, int internal, char **out, kb_err *err)
{
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;

    if (!g)
        return kb_error(err, ENOMEM, "state JSON");
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_config(g, yajl_gen_indent_string, "  ");
    yajl_gen_map_open(g);
    gen_fields(g, st);
    if (internal) {
        /* ours, not runc's: which process owns the sandbox */
        yajl_gen_string(g, (const unsigned char *)"katabox_keeper", 14);
        yajl_gen_map_open(g);
        yajl_gen_string(g, (const unsigned char *)"pid", 3);
        yajl_gen_integer(g, st->pid);
        yajl_gen_string(g, (const unsigned char *)"start_time", 10);
        yajl_gen_integer(g, (long long)st->pid_start);
        yajl_gen_map_close(g);
    }
    yajl_gen_map_close(g);
    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        yajl_gen_free(g);
        return kb_error(err, EINVAL, "state JSON: generation failed");
    }
    *out = strndup((const char *)buf, len);
    yajl_gen_free(g);
    return *out ? 0 : kb_error(err, ENOMEM, "state JSON");
}

int kb_state_format(const struct kb_state *st, char **out, kb_err *err)
{
    return generate(st, 0, out, err);
}

int kb_state_write(const char *dir, const struct kb_state *st, kb_err *err)
{
    _cleanup_free_ char *text = NULL;
    char tmp[4200], path[4200];
    int fd;

    if (generate(st, 1, &text, err) < 0)
        return -1;
    snprintf(tmp, sizeof tmp, "%s/" STATE_FILE ".tmp", dir);
    snprintf(path, sizeof path, "%s/" STATE_FILE, dir);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return kb_error_errno(err, "create %s", tmp);
    if (kb_write_all(fd, text, strlen(text)) < 0 || close(fd) < 0) {
        unlink(tmp);
        return kb_error_errno(err, "write %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        unlink(tmp);
        return kb_error_errno(err, "rename %s", tmp);
    }
    return 0;
}

void kb_state_free(struct kb_state *st)
{
    char **f[] = { &st->oci_version, &st->id, &st->status, &st->bundle, &st->rootfs,
                   &st->created, &st->owner };

    for (size_t i = 0; i < KB_ARRAY_SIZE(f); i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
    kb_strv_free(st->annotations);
    st->annotations = NULL;
}

static int read_annotations(yajl_val v, struct kb_state *st, kb_err *err)
{
    size_t n;

    if (!v)
        return 0;
    if (!YAJL_IS_OBJECT(v))
        return kb_error(err, EINVAL, "state.json: annotations: expected an object");
    n = v->u.object.len;
    st->annotations = calloc(2 * n + 1, sizeof *st->annotations);
    if (!st->annotations)
        return kb_error(err, ENOMEM, "state.json: annotations");
    for (size_t i = 0; i < n; i++) {
        if (kb_json_string(v->u.object.values[i], "state.json: annotations", 1,
                           &st->annotations[2 * i + 1], err) < 0)
            return -1;
        st->annotations[2 * i] = strdup(v->u.object.keys[i]);
        if (!st->annotations[2 * i])
            return kb_error(err, ENOMEM, "state.json: annotations");
    }
    return 0;
}

int kb_state_read(const char *dir, struct kb_state *st, kb_err *err)
{
    _cleanup_free_ char *text = NULL;
    char path[4200];
    yajl_val root = NULL, keeper;
    uint32_t pid = 0;
    uint64_t start = 0;
    size_t len;
    int r = -1;

    memset(st, 0, sizeof *st);
    snprintf(path, sizeof path, "%s/" STATE_FILE, dir);
    if (kb_read_file(path, STATE_MAX, &text, &len, err) < 0)
        return -1;
    if (kb_json_parse(text, len, path, &root, err) < 0)
        return -1;
    keeper = kb_json_member(root, "katabox_keeper");
    if (kb_json_string(kb_json_member(root, "ociVersion"), "ociVersion", 1, &st->oci_version, err) < 0 ||
        kb_json_string(kb_json_member(root, "id"), "id", 1, &st->id, err) < 0 ||
        kb_json_string(kb_json_member(root, "status"), "status", 1, &st->status, err) < 0 ||
        kb_json_string(kb_json_member(root, "bundle"), "bundle", 1, &st->bundle, err) < 0 ||
        kb_json_string(kb_json_member(root, "rootfs"), "rootfs", 1, &st->rootfs, err) < 0 ||
        kb_json_string(kb_json_member(root, "created"), "created", 1, &st->created, err) < 0 ||
        kb_json_string(kb_json_member(root, "owner"), "owner", 0, &st->owner, err) < 0 ||
        kb_json_u32(kb_json_member(keeper, "pid"), "katabox_keeper.pid", 1, &pid, err) < 0 ||
        kb_json_u64(kb_json_member(keeper, "start_time"), "katabox_keeper.start_time", 1, &start,
                    err) < 0 ||
        read_annotations(kb_json_member(root, "annotations"), st, err) < 0) {
        kb_error_wrap(err, "%s", path);
        goto out;
    }
    /* a pid kill() would read as a group, or as every process, is no keeper's */
    if (pid < 1 || pid > INT32_MAX) {
        kb_error(err, EINVAL, "%s: katabox_keeper.pid %u is not a process id", path, pid);
        goto out;
    }
    st->pid = (pid_t)pid;
    st->pid_start = start;
    /* the keeper exits when the container does; a dead or reused pid means stopped */
    if (strcmp(st->status, "stopped") != 0 && kb_pid_start_time(st->pid) != st->pid_start) {
        free(st->status);
        st->status = strdup("stopped");
        if (!st->status) {
            kb_error(err, ENOMEM, "state");
            goto out;
        }
    }
    r = 0;
out:
    yajl_tree_free(root);
    if (r < 0)
        kb_state_free(st);
    return r;
}
