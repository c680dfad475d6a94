#include "metrics_pb.h"

#include <stddef.h>

#define F(S, t, k, m, sub) { t, KB_PB_##k, 0, #m, offsetof(S, m), 0, sub }
#define MSG(n, S, f) const struct kb_pb_msg n = { #S, sizeof(S), f, sizeof f / sizeof f[0] }

static const struct kb_pb_field pids_f[] = {
    F(struct kb_pb_pids_stat, 1, U64, current, NULL),
    F(struct kb_pb_pids_stat, 2, U64, limit, NULL),
};
static MSG(pids_msg, struct kb_pb_pids_stat, pids_f);

static const struct kb_pb_field cpu_f[] = {
    F(struct kb_pb_cpu_stat, 1, U64, usage_usec, NULL),
    F(struct kb_pb_cpu_stat, 2, U64, user_usec, NULL),
    F(struct kb_pb_cpu_stat, 3, U64, system_usec, NULL),
};
static MSG(cpu_msg, struct kb_pb_cpu_stat, cpu_f);

static const struct kb_pb_field memory_f[] = {
    F(struct kb_pb_memory_stat, 32, U64, usage, NULL),
    F(struct kb_pb_memory_stat, 33, U64, usage_limit, NULL),
};
static MSG(memory_msg, struct kb_pb_memory_stat, memory_f);

static const struct kb_pb_field events_f[] = {
    F(struct kb_pb_memory_events, 5, U64, oom_kill, NULL),
};
static MSG(events_msg, struct kb_pb_memory_events, events_f);

static const struct kb_pb_field metrics_f[] = {
    F(struct kb_pb_metrics, 1, MSG, pids, &pids_msg),
    F(struct kb_pb_metrics, 2, MSG, cpu, &cpu_msg),
    F(struct kb_pb_metrics, 4, MSG, memory, &memory_msg),
    F(struct kb_pb_metrics, 8, MSG, memory_events, &events_msg),
};
MSG(kb_pb_metrics_msg, struct kb_pb_metrics, metrics_f);
