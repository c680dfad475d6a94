#include "task_pb.h"

#include <stddef.h>

#define F(S, t, k, fl, m, aux, sub) { t, KB_PB_##k, fl, #m, offsetof(S, m), aux, sub }
static const struct kb_pb_field timestamp_f[] = {
    F(struct kb_pb_timestamp, 1, U64, 0, seconds, 0, NULL),
    F(struct kb_pb_timestamp, 2, U32, 0, nanos, 0, NULL),
};
const struct kb_pb_msg kb_pb_timestamp_msg = { "google.protobuf.Timestamp", sizeof(struct kb_pb_timestamp), timestamp_f, sizeof timestamp_f / sizeof timestamp_f[0] };

static const struct kb_pb_field any_f[] = {
    F(struct kb_pb_any, 1, STR, 0, type_url, 0, NULL),
    F(struct kb_pb_any, 2, BYTES, 0, value, offsetof(struct kb_pb_any, value_len), NULL),
};
const struct kb_pb_msg kb_pb_any_msg = { "google.protobuf.Any", sizeof(struct kb_pb_any), any_f, sizeof any_f / sizeof any_f[0] };

static const struct kb_pb_field mount_f[] = {
    F(struct kb_pb_mount, 1, STR, 0, type, 0, NULL),
    F(struct kb_pb_mount, 2, STR, 0, source, 0, NULL),
    F(struct kb_pb_mount, 3, STR, 0, target, 0, NULL),
    F(struct kb_pb_mount, 4, STR, KB_PB_REP, options, offsetof(struct kb_pb_mount, n_options), NULL),
};
const struct kb_pb_msg kb_pb_mount_msg = { "containerd.types.Mount", sizeof(struct kb_pb_mount), mount_f, sizeof mount_f / sizeof mount_f[0] };

static const struct kb_pb_field kv_f[] = {
    F(struct kb_pb_kv, 1, STR, 0, key, 0, NULL),
    F(struct kb_pb_kv, 2, STR, 0, value, 0, NULL),
};
const struct kb_pb_msg kb_pb_kv_msg = { "MapEntry", sizeof(struct kb_pb_kv), kv_f, sizeof kv_f / sizeof kv_f[0] };

static const struct kb_pb_field process_info_f[] = {
    F(struct kb_pb_process_info, 1, U32, 0, pid, 0, NULL),
    F(struct kb_pb_process_info, 2, MSG, 0, info, 0, &kb_pb_any_msg),
};
const struct kb_pb_msg kb_pb_process_info_msg = { "containerd.v1.types.ProcessInfo", sizeof(struct kb_pb_process_info), process_info_f, sizeof process_info_f / sizeof process_info_f[0] };

static const struct kb_pb_field process_details_f[] = {
    F(struct kb_pb_process_details, 1, STR, 0, exec_id, 0, NULL),
};
const struct kb_pb_msg kb_pb_process_details_msg = { "containerd.runc.v1.ProcessDetails", sizeof(struct kb_pb_process_details), process_details_f, sizeof process_details_f / sizeof process_details_f[0] };

static const struct kb_pb_field create_req_f[] = {
    F(struct kb_pb_create_req, 1, STR, 0, id, 0, NULL),
    F(struct kb_pb_create_req, 2, STR, 0, bundle, 0, NULL),
    F(struct kb_pb_create_req, 3, MSG, KB_PB_REP, rootfs, offsetof(struct kb_pb_create_req, n_rootfs), &kb_pb_mount_msg),
    F(struct kb_pb_create_req, 4, BOOL, 0, terminal, 0, NULL),
    { 5, KB_PB_STR, 0, "stdin", offsetof(struct kb_pb_create_req, stdin_path), 0, NULL },
    { 6, KB_PB_STR, 0, "stdout", offsetof(struct kb_pb_create_req, stdout_path), 0, NULL },
    { 7, KB_PB_STR, 0, "stderr", offsetof(struct kb_pb_create_req, stderr_path), 0, NULL },
    F(struct kb_pb_create_req, 8, STR, 0, checkpoint, 0, NULL),
    F(struct kb_pb_create_req, 9, STR, 0, parent_checkpoint, 0, NULL),
    F(struct kb_pb_create_req, 10, MSG, 0, options, 0, &kb_pb_any_msg),
};
const struct kb_pb_msg kb_pb_create_req_msg = { "CreateTaskRequest", sizeof(struct kb_pb_create_req), create_req_f, sizeof create_req_f / sizeof create_req_f[0] };

static const struct kb_pb_field pid_resp_f[] = {
    F(struct kb_pb_pid_resp, 1, U32, 0, pid, 0, NULL),
};
const struct kb_pb_msg kb_pb_pid_resp_msg = { "CreateTaskResponse/StartResponse", sizeof(struct kb_pb_pid_resp), pid_resp_f, sizeof pid_resp_f / sizeof pid_resp_f[0] };

static const struct kb_pb_field id_req_f[] = {
    F(struct kb_pb_id_req, 1, STR, 0, id, 0, NULL),
    F(struct kb_pb_id_req, 2, STR, 0, exec_id, 0, NULL),
};
const struct kb_pb_msg kb_pb_id_req_msg = { "StartRequest/DeleteRequest/StateRequest/WaitRequest", sizeof(struct kb_pb_id_req), id_req_f, sizeof id_req_f / sizeof id_req_f[0] };

static const struct kb_pb_field delete_resp_f[] = {
    F(struct kb_pb_delete_resp, 1, U32, 0, pid, 0, NULL),
    F(struct kb_pb_delete_resp, 2, U32, 0, exit_status, 0, NULL),
    F(struct kb_pb_delete_resp, 3, MSG, 0, exited_at, 0, &kb_pb_timestamp_msg),
};
const struct kb_pb_msg kb_pb_delete_resp_msg = { "DeleteResponse", sizeof(struct kb_pb_delete_resp), delete_resp_f, sizeof delete_resp_f / sizeof delete_resp_f[0] };

static const struct kb_pb_field exec_req_f[] = {
    F(struct kb_pb_exec_req, 1, STR, 0, id, 0, NULL),
    F(struct kb_pb_exec_req, 2, STR, 0, exec_id, 0, NULL),
    F(struct kb_pb_exec_req, 3, BOOL, 0, terminal, 0, NULL),
    { 4, KB_PB_STR, 0, "stdin", offsetof(struct kb_pb_exec_req, stdin_path), 0, NULL },
    { 5, KB_PB_STR, 0, "stdout", offsetof(struct kb_pb_exec_req, stdout_path), 0, NULL },
    { 6, KB_PB_STR, 0, "stderr", offsetof(struct kb_pb_exec_req, stderr_path), 0, NULL },
    F(struct kb_pb_exec_req, 7, MSG, 0, spec, 0, &kb_pb_any_msg),
};
const struct kb_pb_msg kb_pb_exec_req_msg = { "ExecProcessRequest", sizeof(struct kb_pb_exec_req), exec_req_f, sizeof exec_req_f / sizeof exec_req_f[0] };

static const struct kb_pb_field resize_req_f[] = {
    F(struct kb_pb_resize_req, 1, STR, 0, id, 0, NULL),
    F(struct kb_pb_resize_req, 2, STR, 0, exec_id, 0, NULL),
    F(struct kb_pb_resize_req, 3, U32, 0, width, 0, NULL),
    F(struct kb_pb_resize_req, 4, U32, 0, height, 0, NULL),
};
const struct kb_pb_msg kb_pb_resize_req_msg = { "ResizePtyRequest", sizeof(struct kb_pb_resize_req), resize_req_f, sizeof resize_req_f / sizeof resize_req_f[0] };

static const struct kb_pb_field state_resp_f[] = {
    F(struct kb_pb_state_resp, 1, STR, 0, id, 0, NULL),
    F(struct kb_pb_state_resp, 2, STR, 0, bundle, 0, NULL),
    F(struct kb_pb_state_resp, 3, U32, 0, pid, 0, NULL),
    F(struct kb_pb_state_resp, 4, U32, 0, status, 0, NULL),
    { 5, KB_PB_STR, 0, "stdin", offsetof(struct kb_pb_state_resp, stdin_path), 0, NULL },
    { 6, KB_PB_STR, 0, "stdout", offsetof(struct kb_pb_state_resp, stdout_path), 0, NULL },
    { 7, KB_PB_STR, 0, "stderr", offsetof(struct kb_pb_state_resp, stderr_path), 0, NULL },
    F(struct kb_pb_state_resp, 8, BOOL, 0, terminal, 0, NULL),
    F(struct kb_pb_state_resp, 9, U32, 0, exit_status, 0, NULL),
    F(struct kb_pb_state_resp, 10, MSG, 0, exited_at, 0, &kb_pb_timestamp_msg),
    F(struct kb_pb_state_resp, 11, STR, 0, exec_id, 0, NULL),
};
const struct kb_pb_msg kb_pb_state_resp_msg = { "StateResponse", sizeof(struct kb_pb_state_resp), state_resp_f, sizeof state_resp_f / sizeof state_resp_f[0] };

static const struct kb_pb_field kill_req_f[] = {
    F(struct kb_pb_kill_req, 1, STR, 0, id, 0, NULL),
    F(struct kb_pb_kill_req, 2, STR, 0, exec_id, 0, NULL),
    F(struct kb_pb_kill_req, 3, U32, 0, signal, 0, NULL),
    F(struct kb_pb_kill_req, 4, BOOL, 0, all, 0, NULL),
};
const struct kb_pb_msg kb_pb_kill_req_msg = { "KillRequest", sizeof(struct kb_pb_kill_req), kill_req_f, sizeof kill_req_f / sizeof kill_req_f[0] };

static const struct kb_pb_field close_io_req_f[] = {
    F(struct kb_pb_close_io_req, 1, STR, 0, id, 0, NULL),
    F(struct kb_pb_close_io_req, 2, STR, 0, exec_id, 0, NULL),
    { 3, KB_PB_BOOL, 0, "stdin", offsetof(struct kb_pb_close_io_req, close_stdin), 0, NULL },
};
const struct kb_pb_msg kb_pb_close_io_req_msg = { "CloseIORequest", sizeof(struct kb_pb_close_io_req), close_io_req_f, sizeof close_io_req_f / sizeof close_io_req_f[0] };

static const struct kb_pb_field pids_resp_f[] = {
    F(struct kb_pb_pids_resp, 1, MSG, KB_PB_REP, processes, offsetof(struct kb_pb_pids_resp, n_processes), &kb_pb_process_info_msg),
};
const struct kb_pb_msg kb_pb_pids_resp_msg = { "PidsResponse", sizeof(struct kb_pb_pids_resp), pids_resp_f, sizeof pids_resp_f / sizeof pids_resp_f[0] };

static const struct kb_pb_field update_req_f[] = {
    F(struct kb_pb_update_req, 1, STR, 0, id, 0, NULL),
    F(struct kb_pb_update_req, 2, MSG, 0, resources, 0, &kb_pb_any_msg),
    F(struct kb_pb_update_req, 3, MSG, KB_PB_REP, annotations, offsetof(struct kb_pb_update_req, n_annotations), &kb_pb_kv_msg),
};
const struct kb_pb_msg kb_pb_update_req_msg = { "UpdateTaskRequest", sizeof(struct kb_pb_update_req), update_req_f, sizeof update_req_f / sizeof update_req_f[0] };

static const struct kb_pb_field wait_resp_f[] = {
    F(struct kb_pb_wait_resp, 1, U32, 0, exit_status, 0, NULL),
    F(struct kb_pb_wait_resp, 2, MSG, 0, exited_at, 0, &kb_pb_timestamp_msg),
};
const struct kb_pb_msg kb_pb_wait_resp_msg = { "WaitResponse", sizeof(struct kb_pb_wait_resp), wait_resp_f, sizeof wait_resp_f / sizeof wait_resp_f[0] };

static const struct kb_pb_field stats_resp_f[] = {
    F(struct kb_pb_stats_resp, 1, MSG, 0, stats, 0, &kb_pb_any_msg),
};
const struct kb_pb_msg kb_pb_stats_resp_msg = { "StatsResponse", sizeof(struct kb_pb_stats_resp), stats_resp_f, sizeof stats_resp_f / sizeof stats_resp_f[0] };

static const struct kb_pb_field connect_resp_f[] = {
    F(struct kb_pb_connect_resp, 1, U32, 0, shim_pid, 0, NULL),
    F(struct kb_pb_connect_resp, 2, U32, 0, task_pid, 0, NULL),
    F(struct kb_pb_connect_resp, 3, STR, 0, version, 0, NULL),
};
const struct kb_pb_msg kb_pb_connect_resp_msg = { "ConnectResponse", sizeof(struct kb_pb_connect_resp), connect_resp_f, sizeof connect_resp_f / sizeof connect_resp_f[0] };

static const struct kb_pb_field shutdown_req_f[] = {
    F(struct kb_pb_shutdown_req, 1, STR, 0, id, 0, NULL),
    F(struct kb_pb_shutdown_req, 2, BOOL, 0, now, 0, NULL),
};
const struct kb_pb_msg kb_pb_shutdown_req_msg = { "ShutdownRequest", sizeof(struct kb_pb_shutdown_req), shutdown_req_f, sizeof shutdown_req_f / sizeof shutdown_req_f[0] };

static const struct kb_pb_field task_io_f[] = {
    { 1, KB_PB_STR, 0, "stdin", offsetof(struct kb_pb_task_io, stdin_path), 0, NULL },
    { 2, KB_PB_STR, 0, "stdout", offsetof(struct kb_pb_task_io, stdout_path), 0, NULL },
    { 3, KB_PB_STR, 0, "stderr", offsetof(struct kb_pb_task_io, stderr_path), 0, NULL },
    F(struct kb_pb_task_io, 4, BOOL, 0, terminal, 0, NULL),
};
const struct kb_pb_msg kb_pb_task_io_msg = { "containerd.events.TaskIO", sizeof(struct kb_pb_task_io), task_io_f, sizeof task_io_f / sizeof task_io_f[0] };

static const struct kb_pb_field ev_create_f[] = {
    F(struct kb_pb_ev_create, 1, STR, 0, container_id, 0, NULL),
    F(struct kb_pb_ev_create, 2, STR, 0, bundle, 0, NULL),
    F(struct kb_pb_ev_create, 3, MSG, KB_PB_REP, rootfs, offsetof(struct kb_pb_ev_create, n_rootfs), &kb_pb_mount_msg),
    F(struct kb_pb_ev_create, 4, MSG, 0, io, 0, &kb_pb_task_io_msg),
    F(struct kb_pb_ev_create, 5, STR, 0, checkpoint, 0, NULL),
    F(struct kb_pb_ev_create, 6, U32, 0, pid, 0, NULL),
};
const struct kb_pb_msg kb_pb_ev_create_msg = { "containerd.events.TaskCreate", sizeof(struct kb_pb_ev_create), ev_create_f, sizeof ev_create_f / sizeof ev_create_f[0] };

static const struct kb_pb_field ev_start_f[] = {
    F(struct kb_pb_ev_start, 1, STR, 0, container_id, 0, NULL),
    F(struct kb_pb_ev_start, 2, U32, 0, pid, 0, NULL),
};
const struct kb_pb_msg kb_pb_ev_start_msg = { "containerd.events.TaskStart", sizeof(struct kb_pb_ev_start), ev_start_f, sizeof ev_start_f / sizeof ev_start_f[0] };

static const struct kb_pb_field ev_exit_f[] = {
    F(struct kb_pb_ev_exit, 1, STR, 0, container_id, 0, NULL),
    F(struct kb_pb_ev_exit, 2, STR, 0, id, 0, NULL),
    F(struct kb_pb_ev_exit, 3, U32, 0, pid, 0, NULL),
    F(struct kb_pb_ev_exit, 4, U32, 0, exit_status, 0, NULL),
    F(struct kb_pb_ev_exit, 5, MSG, 0, exited_at, 0, &kb_pb_timestamp_msg),
};
const struct kb_pb_msg kb_pb_ev_exit_msg = { "containerd.events.TaskExit", sizeof(struct kb_pb_ev_exit), ev_exit_f, sizeof ev_exit_f / sizeof ev_exit_f[0] };

static const struct kb_pb_field ev_delete_f[] = {
    F(struct kb_pb_ev_delete, 1, STR, 0, container_id, 0, NULL),
    F(struct kb_pb_ev_delete, 2, U32, 0, pid, 0, NULL),
    F(struct kb_pb_ev_delete, 3, U32, 0, exit_status, 0, NULL),
    F(struct kb_pb_ev_delete, 4, MSG, 0, exited_at, 0, &kb_pb_timestamp_msg),
    F(struct kb_pb_ev_delete, 5, STR, 0, id, 0, NULL),
};
const struct kb_pb_msg kb_pb_ev_delete_msg = { "containerd.events.TaskDelete", sizeof(struct kb_pb_ev_delete), ev_delete_f, sizeof ev_delete_f / sizeof ev_delete_f[0] };

static const struct kb_pb_field ev_exec_f[] = {
    F(struct kb_pb_ev_exec, 1, STR, 0, container_id, 0, NULL),
    F(struct kb_pb_ev_exec, 2, STR, 0, exec_id, 0, NULL),
    F(struct kb_pb_ev_exec, 3, U32, 0, pid, 0, NULL),
};
const struct kb_pb_msg kb_pb_ev_exec_msg = { "containerd.events.TaskExecAdded/TaskExecStarted", sizeof(struct kb_pb_ev_exec), ev_exec_f, sizeof ev_exec_f / sizeof ev_exec_f[0] };

static const struct kb_pb_field ev_container_f[] = {
    F(struct kb_pb_ev_container, 1, STR, 0, container_id, 0, NULL),
};
const struct kb_pb_msg kb_pb_ev_container_msg = { "containerd.events.TaskOOM/TaskPaused/TaskResumed", sizeof(struct kb_pb_ev_container), ev_container_f, sizeof ev_container_f / sizeof ev_container_f[0] };

static const struct kb_pb_field envelope_f[] = {
    F(struct kb_pb_envelope, 1, MSG, 0, timestamp, 0, &kb_pb_timestamp_msg),
    F(struct kb_pb_envelope, 2, STR, 0, namespace, 0, NULL),
    F(struct kb_pb_envelope, 3, STR, 0, topic, 0, NULL),
    F(struct kb_pb_envelope, 4, MSG, 0, event, 0, &kb_pb_any_msg),
};
const struct kb_pb_msg kb_pb_envelope_msg = { "containerd.services.events.ttrpc.v1.Envelope", sizeof(struct kb_pb_envelope), envelope_f, sizeof envelope_f / sizeof envelope_f[0] };

static const struct kb_pb_field forward_req_f[] = {
    F(struct kb_pb_forward_req, 1, MSG, 0, envelope, 0, &kb_pb_envelope_msg),
};
const struct kb_pb_msg kb_pb_forward_req_msg = { "containerd.services.events.ttrpc.v1.ForwardRequest", sizeof(struct kb_pb_forward_req), forward_req_f, sizeof forward_req_f / sizeof forward_req_f[0] };

