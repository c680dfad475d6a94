/* The task service's messages and events: bytes as containerd 1.6.20 sent
 * and accepted them (shared/reference/containerd-shim-v2.md 2.4, 4.1). */
#include <stdlib.h>
#include <string.h>

#include "../../core/shim/metrics_pb.h"
#include "../../core/shim/task_pb.h"
#include "tap.h"

static int is(const struct kb_buf *b, const char *want, size_t n)
{
    return b->len == n && memcmp(b->data, want, n) == 0;
}

int main(void)
{
    struct kb_buf out = { 0 }, ev = { 0 };
    kb_err err = { 0 };
    struct kb_pb_connect_resp c = { .shim_pid = 25838, .task_pid = 25876 };
    struct kb_pb_ev_container oom = { .container_id = "fakeid" };
    struct kb_pb_any any = { .type_url = "containerd.events.TaskOOM" };
    struct kb_pb_create_req req, back;
    struct kb_pb_mount m = { .type = "overlay", .source = "overlay",
                             .options = (char *[]){ "index=off", "workdir=/w", "upperdir=/u", "lowerdir=/l" },
                             .n_options = 4 };
    struct kb_pb_timestamp zero = { .seconds = (uint64_t)-62135596800LL };
    struct kb_pb_wait_resp w = { .exit_status = 7, .exited_at = &zero };

    ok(kb_pb_encode(&kb_pb_connect_resp_msg, &c, &out, &err) == 0 && is(&out, "\x08\xee\xc9\x01\x10\x94\xca\x01", 8),
       "ConnectResponse as the runc shim answered it");
    kb_buf_reset(&out);
    ok(kb_pb_encode(&kb_pb_ev_container_msg, &oom, &ev, &err) == 0 && is(&ev, "\x0a\x06" "fakeid", 8), "TaskOOM");
    any.value = ev.data;
    any.value_len = ev.len;
    ok(kb_pb_encode(&kb_pb_any_msg, &any, &out, &err) == 0 &&
           is(&out, "\x0a\x19" "containerd.events.TaskOOM" "\x12\x08\x0a\x06" "fakeid", 37),
       "its Any, byte for byte what `containerd publish` accepted");
    kb_buf_reset(&out);
    ok(kb_pb_encode(&kb_pb_wait_resp_msg, &w, &out, &err) == 0 &&
           is(&out, "\x08\x07\x12\x0b\x08\x80\x92\xb8\xc3\x98\xfe\xff\xff\xff\x01", 15),
       "Go's zero time: the 10-byte varint containerd writes");
    kb_buf_reset(&out);

    memset(&req, 0, sizeof req);
    req.id = "k1";
    req.bundle = "/run/containerd/io.containerd.runtime.v2.task/default/k1";
    req.rootfs = &m;
    req.n_rootfs = 1;
    req.terminal = 1;
    req.stdin_path = "/run/containerd/fifo/1/k1-stdin";
    req.stdout_path = "/run/containerd/fifo/1/k1-stdout";
    ok(kb_pb_encode(&kb_pb_create_req_msg, &req, &out, &err) == 0 &&
           kb_pb_decode(&kb_pb_create_req_msg, out.data, out.len, &back, &err) == 0, "CreateTaskRequest round trip");
    ok(!strcmp(back.id, "k1") && back.n_rootfs == 1 && !strcmp(back.rootfs[0].type, "overlay") &&
           back.rootfs[0].n_options == 4 && !strcmp(back.rootfs[0].options[3], "lowerdir=/l") &&
           !back.rootfs[0].target && back.terminal && !back.stderr_path && !back.options,
       "its mounts, options, stdio paths; absent fields stay NULL");
    kb_pb_free(&kb_pb_create_req_msg, &back);
    kb_buf_reset(&out);

    {
        struct kb_pb_pids_stat pids = { 1, 2 };
        struct kb_pb_cpu_stat cpu = { 3, 4, 5 };
        struct kb_pb_memory_stat mem = { 6, 7 };
        struct kb_pb_memory_events events = { 8 };
        struct kb_pb_metrics metrics = { &pids, &cpu, &mem, &events };
        struct kb_pb_process_details d = { .exec_id = "p1" };

        ok(kb_pb_encode(&kb_pb_metrics_msg, &metrics, &out, &err) == 0 &&
               is(&out, "\x0a\x04\x08\x01\x10\x02" "\x12\x06\x08\x03\x10\x04\x18\x05"
                        "\x22\x06\x80\x02\x06\x88\x02\x07" "\x42\x02\x28\x08", 26),
           "cgroups v2 Metrics: pids 1, cpu 2, memory 4 (usage 32, usage_limit 33 as two-byte keys), events 8");
        kb_buf_reset(&out);
        ok(kb_pb_encode(&kb_pb_process_details_msg, &d, &out, &err) == 0 && is(&out, "\x0a\x02p1", 4),
           "ProcessDetails: exec_id 1");
    }
    kb_buf_free(&out);
    kb_buf_free(&ev);
    return tap_done();
}
