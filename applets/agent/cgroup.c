/* One cgroup v2 directory per container, /sys/fs/cgroup/katabox/<id>: its
 * init joins it before its setup (so the container's cgroup namespace is
 * rooted there, as under runc) and every exec after; pause freezes it and
 * ps lists it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/util.h"
#include "agent.h"

#define CGROUP_ROOT "/sys/fs/cgroup/katabox"
/* how long a freeze may take to settle (a task in a syscall finishes it first) */
#define FREEZE_WAIT_NS (2ull * 1000000000u)

static int write_file(const char *dir, const char *name, const char *text, kb_err *err);

/* The controllers linux.resources needs, for our directory and below */
static int enable_controllers(kb_err *err)
{
    static const char ctl[] = "+cpu +memory +pids +cpuset";

    if (write_file("/sys/fs/cgroup", "cgroup.subtree_control", ctl, err) < 0 ||
        write_file(CGROUP_ROOT, "cgroup.subtree_control", ctl, err) < 0)
        return kb_error_wrap(err, "enable the cgroup controllers");
    return 0;
}

int agent_cgroup_create(struct agent_ctr *c, kb_err *err)
{
    if (mkdir(CGROUP_ROOT, 0755) < 0 && errno != EEXIST)
        return kb_error_errno(err, "mkdir " CGROUP_ROOT);
    if (enable_controllers(err) < 0)
        return -1;
    if (asprintf(&c->cgroup, CGROUP_ROOT "/%s", c->id) < 0) {
        c->cgroup = NULL;
        return kb_error(err, ENOMEM, "cgroup");
    }
    if (mkdir(c->cgroup, 0755) < 0) {
        kb_error_errno(err, "mkdir %s", c->cgroup);
        free(c->cgroup);
        c->cgroup = NULL;
        return -1;
    }
    c->ctr.cgroup = c->cgroup;
    return 0;
}

void agent_cgroup_remove(struct agent_ctr *c)
{
    if (!c->cgroup)
        return;
    /* a frozen cgroup keeps its killed tasks: thaw it so they can die */
    (void)agent_cgroup_freeze(c, false, NULL);
    rmdir(c->cgroup);
    free(c->cgroup);
    c->cgroup = NULL;
}

static int write_file(const char *dir, const char *name, const char *text, kb_err *err)
{
    char path[PATH_MAX];
    int fd, r = 0;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        r = err ? kb_error_errno(err, "write %s", path) : -1;
    if (fd >= 0)
        close(fd);
    return r;
}

/* cgroup.events says "frozen 1" (or 0) */
static int frozen(const char *dir)
{
    char path[PATH_MAX];
    _cleanup_free_ char *text = NULL;
    kb_err ignored;
    char *f;

    snprintf(path, sizeof path, "%s/cgroup.events", dir);
    if (kb_read_file(path, 4096, &text, NULL, &ignored) < 0 || !(f = strstr(text, "frozen ")))
        return -1;
    return f[7] == '1';
}

int agent_cgroup_freeze(struct agent_ctr *c, bool freeze, kb_err *err)
{
    uint64_t deadline = kb_now_ns() + FREEZE_WAIT_NS;

    if (!c->cgroup)
        return err ? kb_error(err, ENOTSUP, "container %s has no cgroup", c->id) : -1;
    if (write_file(c->cgroup, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
        return -1;
    /* pause returns once every task is frozen, as runc's does */
    while (frozen(c->cgroup) != (int)freeze) {
        if (kb_now_ns() > deadline)
            return err ? kb_error(err, ETIMEDOUT, "container %s did not %s within 2 s", c->id,
                                  freeze ? "freeze" : "thaw") : -1;
        usleep(1000);
    }
    c->paused = freeze;
    return 0;
}

int agent_cgroup_pids(struct agent_ctr *c, uint32_t **pids, size_t *n, kb_err *err)
{
    char path[PATH_MAX];
    _cleanup_free_ char *text = NULL;
    size_t len, cap = 0;
    char *p, *end;

    *pids = NULL;
    *n = 0;
    if (!c->cgroup)
        return 0;
    snprintf(path, sizeof path, "%s/cgroup.procs", c->cgroup);
    if (kb_read_file(path, 1 << 20, &text, &len, err) < 0)
        return -1;
    for (p = text; *p; p = end) {
        unsigned long v = strtoul(p, &end, 10);
        if (end == p)
            break;
        while (*end == '\n')
            end++;
        if (*n == cap) {
            uint32_t *more = realloc(*pids, (cap = cap ? cap * 2 : 16) * sizeof **pids);
            if (!more) {
                free(*pids);
                *pids = NULL;
                return kb_error(err, ENOMEM, "pids");
            }
            *pids = more;
        }
        (*pids)[(*n)++] = (uint32_t)v;
    }
    return 0;
}

int agent_cgroup_apply(struct agent_ctr *c, const struct kb_resources *r, kb_err *err)
{
    char v[64];

    if (!c->cgroup)
        return kb_error(err, ENOTSUP, "container %s has no cgroup", c->id);
    if (r->has_memory_limit) {
        snprintf(v, sizeof v, r->memory_limit > 0 ? "%lld" : "max", (long long)r->memory_limit);
        if (write_file(c->cgroup, "memory.max", v, err) < 0)
            return -1;
    }
    if (r->has_cpu_quota || (r->has_cpu_period && r->cpu_period)) {
        /* cpu.max is "QUOTA PERIOD": what the document leaves out stays */
        char path[PATH_MAX], quota[24] = "max";
        _cleanup_free_ char *cur = NULL;
        unsigned long long period = 100000;
        snprintf(path, sizeof path, "%s/cpu.max", c->cgroup);
        if (kb_read_file(path, 256, &cur, NULL, err) < 0)
            return -1;
        {
            /* "QUOTA PERIOD\n", QUOTA a number or "max" (no scanf: size) */
            char *sp = strchr(cur, ' ');
            if (!sp || (size_t)(sp - cur) >= sizeof quota)
                return kb_error(err, EPROTO, "%s: '%s'", path, cur);
            memcpy(quota, cur, (size_t)(sp - cur));
            quota[sp - cur] = '\0';
            period = strtoull(sp + 1, NULL, 10);
        }
        if (r->has_cpu_quota)
            snprintf(quota, sizeof quota, r->cpu_quota > 0 ? "%lld" : "max", (long long)r->cpu_quota);
        if (r->has_cpu_period && r->cpu_period)
            period = r->cpu_period;
        snprintf(v, sizeof v, "%s %llu", quota, period);
        if (write_file(c->cgroup, "cpu.max", v, err) < 0)
            return -1;
    }
    if (r->has_pids_limit) {
        snprintf(v, sizeof v, r->pids_limit > 0 ? "%lld" : "max", (long long)r->pids_limit);
        if (write_file(c->cgroup, "pids.max", v, err) < 0)
            return -1;
    }
    if (r->cpus && *r->cpus && write_file(c->cgroup, "cpuset.cpus", r->cpus, err) < 0)
        return -1;
    if (r->mems && *r->mems && write_file(c->cgroup, "cpuset.mems", r->mems, err) < 0)
        return -1;
    if (r->has_memory_reservation) {
        snprintf(v, sizeof v, r->memory_reservation > 0 ? "%lld" : "0", (long long)r->memory_reservation);
        if (write_file(c->cgroup, "memory.low", v, err) < 0)
            return -1;
    }
    if (r->has_memory_swap && (r->memory_swap != 0 || r->memory_limit < 0)) {
        /* cgroup v2 counts swap apart: memory.swap.max = swap - limit, as runc converts it */
        if (r->memory_swap < 0)
            snprintf(v, sizeof v, "max");
        else
            snprintf(v, sizeof v, "%lld", (long long)(r->memory_swap - r->memory_limit));
        /* a guest kernel without swap has no such file: "none" or "max" is what it has anyway */
        if (write_file(c->cgroup, "memory.swap.max", v, err) < 0 &&
            !(err->errnum == ENOENT && (strcmp(v, "0") == 0 || strcmp(v, "max") == 0)))
            return -1;
    }
    if (kb_ctr_devices_cgroup(c->cgroup, r, err) < 0)
        return -1;
    if (r->has_cpu_shares && r->cpu_shares) {
        /* runc's mapping of shares 2..262144 onto weights 1..10000 */
        snprintf(v, sizeof v, "%llu", 1 + ((unsigned long long)(r->cpu_shares - 2) * 9999) / 262142);
        if (write_file(c->cgroup, "cpu.weight", v, err) < 0)
            return -1;
    }
    return 0;
}

/* A "key value" line's value in a cgroup file, 0 when absent; "max" is 0. */
static uint64_t keyed(const char *dir, const char *file, const char *key)
{
    char path[PATH_MAX];
    _cleanup_free_ char *text = NULL;
    kb_err ignored;
    size_t klen = strlen(key);

    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (kb_read_file(path, 65536, &text, NULL, &ignored) < 0)
        return 0;
    for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!klen || (strncmp(l, key, klen) == 0 && l[klen] == ' '))
            return strtoull(l + (klen ? klen + 1 : 0), NULL, 10);
    return 0;
}

int agent_cgroup_stats(struct agent_ctr *c, struct kb_msg_stats *st, kb_err *err)
{
    memset(st, 0, sizeof *st);
    if (!c->cgroup)
        return kb_error(err, ENOTSUP, "container %s has no cgroup", c->id);
    st->cpu_usage_usec = keyed(c->cgroup, "cpu.stat", "usage_usec");
    st->cpu_user_usec = keyed(c->cgroup, "cpu.stat", "user_usec");
    st->cpu_system_usec = keyed(c->cgroup, "cpu.stat", "system_usec");
    st->memory_current = keyed(c->cgroup, "memory.current", "");
    st->memory_max = keyed(c->cgroup, "memory.max", "");
    st->pids_current = keyed(c->cgroup, "pids.current", "");
    st->pids_max = keyed(c->cgroup, "pids.max", "");
    st->oom_kills = agent_cgroup_oom_kills(c);
    return 0;
}

void agent_cgroup_watch_oom(struct agent_ctr *c, int fd)
{
    char path[PATH_MAX];

    /* the kernel marks memory.events modified when a counter changes; the watch goes with the cgroup */
    snprintf(path, sizeof path, "%s/memory.events", c->cgroup);
    if (fd >= 0 && c->cgroup && inotify_add_watch(fd, path, IN_MODIFY) < 0)
        fprintf(stderr, "katabox: kata-agent: watch %s: %s (OOM kills are told at the exit only)\n", path,
                strerror(errno));
}

uint64_t agent_cgroup_oom_kills(struct agent_ctr *c)
{
    return c->cgroup ? keyed(c->cgroup, "memory.events", "oom_kill") : 0;
}
