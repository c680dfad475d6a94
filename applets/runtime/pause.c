/* kata-runtime pause, resume, ps: the container's processes in the guest,
 * frozen and thawed through their cgroup (cgroup.freeze), or listed. The
 * pids are the guest's: the processes live in the VM, not on the host. */
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

static int freeze(const struct rt_globals *g, int argc, char **argv, const char *verb)
{
    char dir[PATH_MAX];
    struct kb_state st;
    _cleanup_close_ int lock = -1;
    kb_err err;
    int r;

    opterr = 0;
    optind = 1;
    if (argc > 1 && argv[1][0] == '-') {
        kb_error(&err, EINVAL, "unknown option '%s'", argv[1]);
        return rt_fail(g, verb, &err);
    }
    if (rt_load_state(g, argc > 1 ? argv[1] : NULL, dir, sizeof dir, &st, &lock, &err) < 0)
        return rt_fail(g, verb, &err);
    r = strcmp(st.status, "stopped") == 0;
    kb_state_free(&st);
    if (r) {
        kb_error(&err, 0, "container not running");
        return rt_fail(g, verb, &err);
    }
    return kb_keeper_request(dir, verb, &err) < 0 ? rt_fail(g, verb, &err) : 0;
}

int runtime_pause(const struct rt_globals *g, int argc, char **argv)
{
    return freeze(g, argc, argv, "pause");
}

int runtime_resume(const struct rt_globals *g, int argc, char **argv)
{
    return freeze(g, argc, argv, "resume");
}

int runtime_ps(const struct rt_globals *g, int argc, char **argv)
{
    static const struct option longopts[] = { { "format", required_argument, 0, 'f' },
                                               { 0, 0, 0, 0 } };
    char dir[PATH_MAX], pids[1200] = "";
    const char *format = "table";
    struct kb_state st;
    _cleanup_close_ int lock = -1;
    kb_err err;
    int c, stopped;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+f:", longopts, NULL)) != -1) {
        if (c != 'f') {
            kb_error(&err, EINVAL, "unknown option '%s'", argv[optind - 1]);
            return rt_fail(g, "ps", &err);
        }
        format = optarg;
    }
    if (strcmp(format, "table") && strcmp(format, "json")) {
        kb_error(&err, EINVAL, "invalid format option");
        return rt_fail(g, "ps", &err);
    }
    if (optind + 1 < argc) {
        /* runc hands these to the host's ps, which cannot see a guest */
        kb_error(&err, ENOTSUP, "ps options are not supported: the processes are in the VM");
        return rt_fail(g, "ps", &err);
    }
    if (rt_load_state(g, optind < argc ? argv[optind] : NULL, dir, sizeof dir, &st, &lock, &err) < 0)
        return rt_fail(g, "ps", &err);
    stopped = strcmp(st.status, "stopped") == 0;
    kb_state_free(&st);
    if (!stopped && kb_keeper_ask(dir, "ps", NULL, 0, pids, sizeof pids, &err) < 0)
        return rt_fail(g, "ps", &err);
    if (strcmp(format, "json") == 0) {
        /* runc's: a JSON array of pids */
        fputc('[', stdout);
        for (char *p = pids, *sep = ""; *p; sep = ",") {
            char *end;
            unsigned long v = strtoul(p, &end, 10);
            if (end == p)
                break;
            printf("%s%lu", sep, v);
            p = end;
        }
        puts("]");
        return 0;
    }
    puts("PID");
    for (char *p = strtok(pids, " "); p; p = strtok(NULL, " "))
        puts(p);
    return 0;
}
