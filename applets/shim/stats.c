/* Stats and Update: the guest cgroup of the task, through its keeper
 * ("stats", "update LEN"). The VM itself is not resized: Update changes
 * the container's cgroup inside it, as kata-runtime update does. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../core/sandbox/keeper.h"
#include "../../core/shim/metrics_pb.h"
#include "../../core/ttrpc/ttrpc.h"
#include "task.h"

/* UpdateTaskRequest.resources: containerd's type URL for the OCI object, sent as JSON */
#define RESOURCES_TYPE "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"

int shim_stats(struct shim_task *t, struct kb_buf *reply, kb_err *err)
{
    struct kb_msg_stats st = { 0 };
    struct kb_buf value = { 0 };
    char line[1200];
    int code;

    if (t->init.status == KB_TASK_STOPPED)
        return kb_error(err, ESRCH, "task %s has exited: not found", t->id), KB_TTRPC_NOT_FOUND;

    snprintf(line, sizeof line, "%s%s%sstats", t->member ? "in " : "", t->member ? t->id : "", t->member ? " " : "");
    if (kb_keeper_stats(t->dir, line, &st, err) < 0)
        return KB_TTRPC_UNKNOWN;
    {
        /* no limit: containerd's runc shim reports the kernel's "max" as the largest value */
        struct kb_pb_pids_stat pids = { st.pids_current, st.pids_max ? st.pids_max : UINT64_MAX };
        struct kb_pb_cpu_stat cpu = { st.cpu_usage_usec, st.cpu_user_usec, st.cpu_system_usec };
        struct kb_pb_memory_stat mem = { st.memory_current, st.memory_max ? st.memory_max : UINT64_MAX };
        struct kb_pb_memory_events ev = { st.oom_kills };
        struct kb_pb_metrics m = { &pids, &cpu, &mem, &ev };
        struct kb_pb_any any = { .type_url = KB_METRICS_V2_TYPE };
        struct kb_pb_stats_resp resp = { .stats = &any };

        if (kb_pb_encode(&kb_pb_metrics_msg, &m, &value, err) < 0)
            return KB_TTRPC_INTERNAL;
        any.value = value.data;
        any.value_len = value.len;
        code = shim_reply(&kb_pb_stats_resp_msg, &resp, reply, err);
    }
    kb_buf_free(&value);
    return code;
}

int shim_update(struct shim_task *t, const struct kb_pb_update_req *r, kb_err *err)
{
    char line[32], rest[8];

    if (t->init.status != KB_TASK_RUNNING && t->init.status != KB_TASK_PAUSED &&
        t->init.status != KB_TASK_CREATED)
        return kb_error(err, ESRCH, "task %s has exited: not found", t->id), KB_TTRPC_NOT_FOUND;
    if (!r->resources)
        return 0;   /* annotations alone: nothing in the guest reads them */
    if (!r->resources->type_url || strcmp(r->resources->type_url, RESOURCES_TYPE) != 0)
        return kb_error(err, EINVAL, "Update: resources of type %s, not %s",
                        r->resources->type_url ? r->resources->type_url : "(none)", RESOURCES_TYPE),
               KB_TTRPC_INVALID_ARGUMENT;
    if (!r->resources->value_len)
        return 0;
    snprintf(line, sizeof line, "update %zu", r->resources->value_len);
    if (shim_keeper_ask(t, line, r->resources->value, r->resources->value_len, rest, sizeof rest, err) < 0)
        return KB_TTRPC_UNKNOWN;
    return 0;
}
