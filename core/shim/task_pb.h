/* The messages of containerd's task service (containerd.task.v2.Task), its
 * events and the types they share, as field tables for core/pb. Field
 * numbers: ../shared/reference/containerd-shim-v2.md, sections 3 and 4.
 * Written from that table; one struct per message shape (requests that
 * carry only id and exec_id share kb_pb_id_req, and so on). */
#ifndef KB_SHIM_TASK_PB_H
#define KB_SHIM_TASK_PB_H

#include <stddef.h>
#include <stdint.h>

#include "../pb/pb.h"

/* containerd.v1.types.Status */
enum { KB_TASK_UNKNOWN = 0, KB_TASK_CREATED = 1, KB_TASK_RUNNING = 2, KB_TASK_STOPPED = 3, KB_TASK_PAUSED = 4,
       KB_TASK_PAUSING = 5 };
/* google.protobuf.Timestamp */
struct kb_pb_timestamp {
    uint64_t seconds;
    uint32_t nanos;
};
extern const struct kb_pb_msg kb_pb_timestamp_msg;

/* google.protobuf.Any */
struct kb_pb_any {
    char *type_url;
    uint8_t *value;
    size_t value_len;
};
extern const struct kb_pb_msg kb_pb_any_msg;

/* containerd.types.Mount */
struct kb_pb_mount {
    char *type;
    char *source;
    char *target;
    char **options;
    size_t n_options;
};
extern const struct kb_pb_msg kb_pb_mount_msg;

/* MapEntry */
struct kb_pb_kv {
    char *key;
    char *value;
};
extern const struct kb_pb_msg kb_pb_kv_msg;

/* containerd.v1.types.ProcessInfo */
struct kb_pb_process_info {
    uint32_t pid;
    struct kb_pb_any *info;
};
extern const struct kb_pb_msg kb_pb_process_info_msg;

/* containerd.runc.v1.ProcessDetails: ProcessInfo.info of an exec in Pids */
struct kb_pb_process_details {
    char *exec_id;
};
extern const struct kb_pb_msg kb_pb_process_details_msg;

/* CreateTaskRequest */
struct kb_pb_create_req {
    char *id;
    char *bundle;
    struct kb_pb_mount *rootfs;
    size_t n_rootfs;
    int terminal;
    char *stdin_path;    /* stdin (stdio is a macro name) */
    char *stdout_path;    /* stdout (stdio is a macro name) */
    char *stderr_path;    /* stderr (stdio is a macro name) */
    char *checkpoint;
    char *parent_checkpoint;
    struct kb_pb_any *options;
};
extern const struct kb_pb_msg kb_pb_create_req_msg;

/* CreateTaskResponse/StartResponse */
struct kb_pb_pid_resp {
    uint32_t pid;
};
extern const struct kb_pb_msg kb_pb_pid_resp_msg;

/* StartRequest/DeleteRequest/StateRequest/WaitRequest */
struct kb_pb_id_req {
    char *id;
    char *exec_id;
};
extern const struct kb_pb_msg kb_pb_id_req_msg;

/* DeleteResponse */
struct kb_pb_delete_resp {
    uint32_t pid;
    uint32_t exit_status;
    struct kb_pb_timestamp *exited_at;
};
extern const struct kb_pb_msg kb_pb_delete_resp_msg;

/* ExecProcessRequest */
struct kb_pb_exec_req {
    char *id;
    char *exec_id;
    int terminal;
    char *stdin_path;    /* stdin (stdio is a macro name) */
    char *stdout_path;    /* stdout (stdio is a macro name) */
    char *stderr_path;    /* stderr (stdio is a macro name) */
    struct kb_pb_any *spec;
};
extern const struct kb_pb_msg kb_pb_exec_req_msg;

/* ResizePtyRequest */
struct kb_pb_resize_req {
    char *id;
    char *exec_id;
    uint32_t width;
    uint32_t height;
};
extern const struct kb_pb_msg kb_pb_resize_req_msg;

/* StateResponse */
struct kb_pb_state_resp {
    char *id;
    char *bundle;
    uint32_t pid;
    uint32_t status;
    char *stdin_path;    /* stdin (stdio is a macro name) */
    char *stdout_path;    /* stdout (stdio is a macro name) */
    char *stderr_path;    /* stderr (stdio is a macro name) */
    int terminal;
    uint32_t exit_status;
    struct kb_pb_timestamp *exited_at;
    char *exec_id;
};
extern const struct kb_pb_msg kb_pb_state_resp_msg;

/* KillRequest */
struct kb_pb_kill_req {
    char *id;
    char *exec_id;
    uint32_t signal;
    int all;
};
extern const struct kb_pb_msg kb_pb_kill_req_msg;

/* CloseIORequest */
struct kb_pb_close_io_req {
    char *id;
    char *exec_id;
    int close_stdin;    /* stdin (a macro name) */
};
extern const struct kb_pb_msg kb_pb_close_io_req_msg;

/* PidsResponse */
struct kb_pb_pids_resp {
    struct kb_pb_process_info *processes;
    size_t n_processes;
};
extern const struct kb_pb_msg kb_pb_pids_resp_msg;

/* UpdateTaskRequest */
struct kb_pb_update_req {
    char *id;
    struct kb_pb_any *resources;
    struct kb_pb_kv *annotations;
    size_t n_annotations;
};
extern const struct kb_pb_msg kb_pb_update_req_msg;

/* WaitResponse */
struct kb_pb_wait_resp {
    uint32_t exit_status;
    struct kb_pb_timestamp *exited_at;
};
extern const struct kb_pb_msg kb_pb_wait_resp_msg;

/* StatsResponse */
struct kb_pb_stats_resp {
    struct kb_pb_any *stats;
};
extern const struct kb_pb_msg kb_pb_stats_resp_msg;

/* ConnectResponse */
struct kb_pb_connect_resp {
    uint32_t shim_pid;
    uint32_t task_pid;
    char *version;
};
extern const struct kb_pb_msg kb_pb_connect_resp_msg;

/* ShutdownRequest */
struct kb_pb_shutdown_req {
    char *id;
    int now;
};
extern const struct kb_pb_msg kb_pb_shutdown_req_msg;

/* containerd.events.TaskIO */
struct kb_pb_task_io {
    char *stdin_path;    /* stdin (stdio is a macro name) */
    char *stdout_path;    /* stdout (stdio is a macro name) */
    char *stderr_path;    /* stderr (stdio is a macro name) */
    int terminal;
};
extern const struct kb_pb_msg kb_pb_task_io_msg;

/* containerd.events.TaskCreate */
struct kb_pb_ev_create {
    char *container_id;
    char *bundle;
    struct kb_pb_mount *rootfs;
    size_t n_rootfs;
    struct kb_pb_task_io *io;
    char *checkpoint;
    uint32_t pid;
};
extern const struct kb_pb_msg kb_pb_ev_create_msg;

/* containerd.events.TaskStart */
struct kb_pb_ev_start {
    char *container_id;
    uint32_t pid;
};
extern const struct kb_pb_msg kb_pb_ev_start_msg;

/* containerd.events.TaskExit */
struct kb_pb_ev_exit {
    char *container_id;
    char *id;
    uint32_t pid;
    uint32_t exit_status;
    struct kb_pb_timestamp *exited_at;
};
extern const struct kb_pb_msg kb_pb_ev_exit_msg;

/* containerd.events.TaskDelete */
struct kb_pb_ev_delete {
    char *container_id;
    uint32_t pid;
    uint32_t exit_status;
    struct kb_pb_timestamp *exited_at;
    char *id;
};
extern const struct kb_pb_msg kb_pb_ev_delete_msg;

/* containerd.events.TaskExecAdded/TaskExecStarted */
struct kb_pb_ev_exec {
    char *container_id;
    char *exec_id;
    uint32_t pid;
};
extern const struct kb_pb_msg kb_pb_ev_exec_msg;

/* containerd.events.TaskOOM/TaskPaused/TaskResumed */
struct kb_pb_ev_container {
    char *container_id;
};
extern const struct kb_pb_msg kb_pb_ev_container_msg;

/* containerd.services.events.ttrpc.v1.Envelope */
struct kb_pb_envelope {
    struct kb_pb_timestamp *timestamp;
    char *namespace;
    char *topic;
    struct kb_pb_any *event;
};
extern const struct kb_pb_msg kb_pb_envelope_msg;

/* containerd.services.events.ttrpc.v1.ForwardRequest */
struct kb_pb_forward_req {
    struct kb_pb_envelope *envelope;
};
extern const struct kb_pb_msg kb_pb_forward_req_msg;

#endif
