/* kata-runtime events: runc's events, from the container's cgroup in the
 * guest: --stats prints one stats event; without it a stats event every
 * --interval, and an oom event when the guest's OOM-kill count grows, until
 * the container stops. The JSON has runc's shape for what a guest cgroup
 * knows (cpu usage, memory usage and limit, pids). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/sandbox/keeper.h"
#include "../../core/sandbox/state.h"
#include "../../core/util.h"
#include "runtime.h"

static void print_stats(const char *id, const struct kb_msg_stats *s)
{
    /* runc reports nanoseconds for cpu, bytes for memory; no limit is 0 */
    printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":{\"cpu\":{\"usage\":{\"total\":%llu,"
           "\"kernel\":%llu,\"user\":%llu},\"throttling\":{}},\"memory\":{\"usage\":{\"limit\":%llu,"
           "\"usage\":%llu}},\"pids\":{\"current\":%llu,\"limit\":%llu}}}\n",
           id, (unsigned long long)s->cpu_usage_usec * 1000, (unsigned long long)s->cpu_system_usec * 1000,
           (unsigned long long)s->cpu_user_usec * 1000, (unsigned long long)s->memory_max,
           (unsigned long long)s->memory_current, (unsigned long long)s->pids_current,
           (unsigned long long)s->pids_max);
    fflush(stdout);
}

/* "5s", "500ms", "1m" (Go durations, the ones runc users write) */
static int parse_interval(const char *s, unsigned *ms)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || v <= 0)
        return -1;
    if (strcmp(end, "ms") == 0)
        *ms = (unsigned)v;
    else if (strcmp(end, "s") == 0 || !*end)
        *ms = (unsigned)(v * 1000);
    else if (strcmp(end, "m") == 0)
        *ms = (unsigned)(v * 60000);
    else
        return -1;
    return *ms ? 0 : -1;
}

int runtime_events(const struct rt_globals *g, int argc, char **argv)
{
    static const struct option longopts[] = { { "stats", no_argument, 0, 's' },
                                               { "interval", required_argument, 0, 'i' },
                                               { 0, 0, 0, 0 } };
    char dir[PATH_MAX];
    const char *id;
    struct kb_state st;
    struct kb_msg_stats s;
    unsigned interval = 5000;
    unsigned long long ooms;
    int once = 0, c, stopped;
    kb_err err;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        if (c == 's') {
            once = 1;
        } else if (c == 'i' && parse_interval(optarg, &interval) == 0) {
            continue;
        } else {
            kb_error(&err, EINVAL, c == 'i' ? "invalid --interval '%s'" : "unknown option '%s'",
                     c == 'i' ? optarg : argv[optind - 1]);
            return rt_fail(g, "events", &err);
        }
    }
    id = optind < argc ? argv[optind] : NULL;
    {
        _cleanup_close_ int lock = -1;
        if (rt_load_state(g, id, dir, sizeof dir, &st, &lock, &err) < 0)
            return rt_fail(g, "events", &err);
    }
    stopped = strcmp(st.status, "stopped") == 0;
    kb_state_free(&st);
    if (stopped || kb_keeper_stats(dir, "stats", &s, &err) < 0) {
        if (stopped)
            kb_error(&err, 0, "container with id %s is not running", id);
        return rt_fail(g, "events", &err);
    }
    if (once) {
        print_stats(id, &s);
        return 0;
    }
    /* until the keeper is gone: the container stopped */
    for (ooms = s.oom_kills;; usleep(interval * 1000)) {
        if (kb_keeper_stats(dir, "stats", &s, &err) < 0)
            return 0;
        if (s.oom_kills > ooms)
            printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
        ooms = s.oom_kills;
        print_stats(id, &s);
    }
}
