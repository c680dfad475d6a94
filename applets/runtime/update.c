/* kata-runtime update: runc's update, applied to the container's cgroup in
 * the guest (memory.max, cpu.max, pids.max, cpuset.cpus). The VM keeps its
 * size: a limit above what it was booted with is a limit the guest cannot
 * reach (memory and vCPU hotplug are not there yet). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/oci/spec.h"
#include "../../core/sandbox/keeper.h"
#include "../../core/sandbox/state.h"
#include "../../core/util.h"
#include "runtime.h"

/* "512m", "1g", "1048576" (docker's units, as runc takes them); -1 no limit */
static int parse_bytes(const char *s, long long *out)
{
    char *end;
    long long v;

    if (strcmp(s, "-1") == 0) {
        *out = -1;
        return 0;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0)
        return -1;
    switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    case 't': case 'T': v <<= 40; end++; break;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int parse_num(const char *s, long long min, long long *out)
{
    char *end;

    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno || end == s || *end || *out < min ? -1 : 0;
}

/* The flags as an OCI linux.resources object. */
static int from_flags(int argc, char **argv, char *json, size_t len, const char **file, kb_err *err)
{
    enum { O_MEM = 256, O_QUOTA, O_PERIOD, O_CPUS, O_PIDS, O_UNSUPPORTED };
    static const struct option longopts[] = {
        { "resources", required_argument, 0, 'r' }, { "memory", required_argument, 0, O_MEM },
        { "cpu-quota", required_argument, 0, O_QUOTA }, { "cpu-period", required_argument, 0, O_PERIOD },
        { "cpuset-cpus", required_argument, 0, O_CPUS }, { "pids-limit", required_argument, 0, O_PIDS },
        { "blkio-weight", required_argument, 0, O_UNSUPPORTED },
        { "cpu-share", required_argument, 0, O_UNSUPPORTED },
        { "cpu-rt-period", required_argument, 0, O_UNSUPPORTED },
        { "cpu-rt-runtime", required_argument, 0, O_UNSUPPORTED },
        { "cpuset-mems", required_argument, 0, O_UNSUPPORTED },
        { "kernel-memory", required_argument, 0, O_UNSUPPORTED },
        { "kernel-memory-tcp", required_argument, 0, O_UNSUPPORTED },
        { "memory-reservation", required_argument, 0, O_UNSUPPORTED },
        { "memory-swap", required_argument, 0, O_UNSUPPORTED },
        { "l3-cache-schema", required_argument, 0, O_UNSUPPORTED },
        { "mem-bw-schema", required_argument, 0, O_UNSUPPORTED },
        { 0, 0, 0, 0 },
    };
    char mem[64] = "", cpu[256] = "", pids[64] = "";
    long long v;
    int c, idx = 0;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+r:", longopts, &idx)) != -1) {
        size_t n = strlen(cpu);
        switch (c) {
        case 'r': *file = optarg; break;
        case O_MEM:
            if (parse_bytes(optarg, &v) < 0)
                return kb_error(err, EINVAL, "invalid value for memory: %s", optarg);
            snprintf(mem, sizeof mem, "\"limit\": %lld", v);
            break;
        case O_QUOTA:
        case O_PERIOD:
            if (parse_num(optarg, c == O_QUOTA ? -1 : 0, &v) < 0)
                return kb_error(err, EINVAL, "invalid value for --%s: %s", longopts[idx].name, optarg);
            snprintf(cpu + n, sizeof cpu - n, "%s\"%s\": %lld", n ? ", " : "",
                     c == O_QUOTA ? "quota" : "period", v);
            break;
        case O_CPUS:
            /* a cpu list: digits, commas and dashes, nothing to escape */
            if (strspn(optarg, "0123456789,-") != strlen(optarg) || strlen(optarg) > 128)
                return kb_error(err, EINVAL, "invalid value for cpuset-cpus: %s", optarg);
            snprintf(cpu + n, sizeof cpu - n, "%s\"cpus\": \"%s\"", n ? ", " : "", optarg);
            break;
        case O_PIDS:
            if (parse_num(optarg, -1, &v) < 0)
                return kb_error(err, EINVAL, "invalid value for pids-limit: %s", optarg);
            snprintf(pids, sizeof pids, "\"limit\": %lld", v);
            break;
        case O_UNSUPPORTED:
            return kb_error(err, 0, "--%s is not supported in the guest's cgroup", longopts[idx].name);
        default:
            return kb_error(err, EINVAL, "unknown option '%s'", argv[optind - 1]);
        }
    }
    snprintf(json, len, "{\"memory\": {%s}, \"cpu\": {%s}, \"pids\": {%s}}", mem, cpu, pids);
    return 0;
}

int runtime_update(const struct rt_globals *g, int argc, char **argv)
{
    char dir[PATH_MAX], flags_json[512];
    const char *file = NULL;
    _cleanup_free_ char *text = NULL;
    const char *json = flags_json;
    size_t len;
    struct kb_state st;
    struct kb_resources check;
    _cleanup_close_ int lock = -1;
    kb_err err;
    int stopped;

    if (from_flags(argc, argv, flags_json, sizeof flags_json, &file, &err) < 0)
        return rt_fail(g, "update", &err);
    if (file) {
        /* as runc: the file (or stdin) wins over every flag */
        if (kb_read_file(strcmp(file, "-") ? file : "/dev/stdin", 65536, &text, &len, &err) < 0)
            return rt_fail(g, "update", &err);
        json = text;
    } else {
        len = strlen(flags_json);
    }
    if (kb_resources_parse(json, len, &check, &err) < 0)
        return rt_fail(g, "update", &err);
    kb_resources_free(&check);
    if (rt_load_state(g, optind < argc ? argv[optind] : NULL, dir, sizeof dir, &st, &lock, &err) < 0)
        return rt_fail(g, "update", &err);
    stopped = strcmp(st.status, "stopped") == 0;
    kb_state_free(&st);
    if (stopped) {
        kb_error(&err, 0, "container not running");
        return rt_fail(g, "update", &err);
    }
    {
        char line[32], rest[8];
        snprintf(line, sizeof line, "update %zu", len);
        if (kb_keeper_ask(dir, line, json, len, rest, sizeof rest, &err) < 0)
            return rt_fail(g, "update", &err);
    }
    return 0;
}
