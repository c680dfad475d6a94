/* io.containerd.cgroups.v2.Metrics, the part our guest's cgroup counters
 * fill: what `ctr task metrics` and containerd's metrics collector decode
 * from a Stats reply. Field numbers from containerd/cgroups
 * v2/stats/metrics.proto (the version containerd 1.6 vendors). */
#ifndef KB_SHIM_METRICS_PB_H
#define KB_SHIM_METRICS_PB_H

#include <stdint.h>

#include "../pb/pb.h"

#define KB_METRICS_V2_TYPE "io.containerd.cgroups.v2.Metrics"

struct kb_pb_pids_stat {        /* 1 current, 2 limit */
    uint64_t current, limit;
};
struct kb_pb_cpu_stat {         /* 1 usage_usec, 2 user_usec, 3 system_usec */
    uint64_t usage_usec, user_usec, system_usec;
};
struct kb_pb_memory_stat {      /* 32 usage, 33 usage_limit */
    uint64_t usage, usage_limit;
};
struct kb_pb_memory_events {    /* 5 oom_kill */
    uint64_t oom_kill;
};
struct kb_pb_metrics {          /* 1 pids, 2 cpu, 4 memory, 8 memory_events */
    struct kb_pb_pids_stat *pids;
    struct kb_pb_cpu_stat *cpu;
    struct kb_pb_memory_stat *memory;
    struct kb_pb_memory_events *memory_events;
};
extern const struct kb_pb_msg kb_pb_metrics_msg;

#endif
