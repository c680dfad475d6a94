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
#include <sys/stat.h>
#include <unistd.h>

#include "../../core/util.h"
#include "agent.h"

#define CGROUP_ROOT "/sys/fs/cgroup/katabox"
/* how long a freeze may take to settle (a task in a syscall finishes it first) */
#define FREEZE_WAIT_NS (2ull * 1000000000u)

int agent_cgroup_create(struct agent_ctr *c, kb_err *err)
{
    if (mkdir(CGROUP_ROOT, 0755) < 0 && errno != EEXIST)
        return kb_error_errno(err, "mkdir " CGROUP_ROOT);
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
