/* The task service for this daemon's tasks: a task's VM is run by a
 * sandbox keeper (core/sandbox/keeper.c), forked here as `kata-runtime
 * create` forks it, with the task's stdio as its stdio; the keeper's exit
 * is the init's exit. A task whose annotations name a pod sandbox of this
 * daemon joins that VM instead (the keeper's "container"). Execs are in
 * exec.c, Stats and Update in stats.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../core/oci/guest_spec.h"
#include "../../core/sandbox/keeper.h"
#include "../../core/sandbox/pod.h"
#include "../../core/sandbox/state.h"
#include "../../core/ttrpc/ttrpc.h"
#include "../../core/util.h"
#include "../../core/version.h"
#include "task.h"

static void now(struct kb_pb_timestamp *ts)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    *ts = (struct kb_pb_timestamp){ .seconds = (uint64_t)t.tv_sec, .nanos = (uint32_t)t.tv_nsec };
}

void shim_event(const struct shim_flags *f, const char *topic, const char *type, const struct kb_pb_msg *d,
                const void *ev)
{
    struct kb_buf out = { 0 };
    kb_err err;

    if (kb_pb_encode(d, ev, &out, &err) == 0)
        shim_publish(f, topic, type, &out);
    kb_buf_free(&out);
}

int shim_reply(const struct kb_pb_msg *d, const void *m, struct kb_buf *reply, kb_err *err)
{
    return kb_pb_encode(d, m, reply, err) < 0 ? KB_TTRPC_INTERNAL : 0;
}

static int failed_precondition(kb_err *err, const char *what, const char *id)
{
    kb_error(err, EINVAL, "%s %s: failed precondition", what, id);
    return KB_TTRPC_FAILED_PRECONDITION;
}

static const char *proc_name(const struct shim_task *t, const struct shim_proc *p)
{
    return p->exec_id ? p->exec_id : t->id;
}

void shim_proc_fini(struct shim_proc *p)
{
    if (p->conn >= 0)
        close(p->conn);
    p->conn = -1;
    shim_stdio_release(&p->io);
    free(p->exec_id);
    free(p->stdin_path);
    free(p->stdout_path);
    free(p->stderr_path);
    free(p->spec);
}

static int wait_reply(const struct shim_proc *p, struct kb_buf *reply, kb_err *err)
{
    struct kb_pb_timestamp ts = p->exited_at;
    struct kb_pb_wait_resp w = { .exit_status = p->exit_status, .exited_at = &ts };

    return shim_reply(&kb_pb_wait_resp_msg, &w, reply, err);
}

void shim_proc_exited(const struct shim_flags *f, struct shim_task *t, struct shim_proc *p, uint32_t status)
{
    struct kb_buf reply = { 0 };
    kb_err err;

    p->exit_status = status;
    p->status = KB_TASK_STOPPED;
    now(&p->exited_at);
    if (f) {
        struct kb_pb_timestamp ts = p->exited_at;
        struct kb_pb_ev_exit ev = { .container_id = t->id, .id = (char *)proc_name(t, p), .pid = p->pid,
                                    .exit_status = status, .exited_at = &ts };
        shim_event(f, "/tasks/exit", "containerd.events.TaskExit", &kb_pb_ev_exit_msg, &ev);
    }
    if (wait_reply(p, &reply, &err) == 0)
        for (unsigned i = 0; i < p->n_waiters; i++)
            shim_respond(&p->waiters[i], 0, NULL, &reply);
    p->n_waiters = 0;
    kb_buf_free(&reply);
}

/* containerd's rootfs mounts at bundle/rootfs (overlay from the snapshotter, or binds) */
static int mount_rootfs(struct shim_task *t, const struct kb_pb_create_req *r, kb_err *err)
{
    if (!r->n_rootfs)
        return 0;
    snprintf(t->rootfs, sizeof t->rootfs, "%s/rootfs", t->bundle);
    if (kb_mount_layers(r->rootfs, r->n_rootfs, t->rootfs, err) < 0) {
        t->rootfs[0] = '\0';
        return -1;
    }
    return 0;
}

/* A state dir whose keeper is gone (its shim and VM were killed, and the containerd that could have
 * run `delete` forgot the task) must not hold the id forever; one whose keeper lives is refused. */
static int clear_stale_state(const char *dir, const char *id, kb_err *err)
{
    struct kb_state st = { 0 };
    kb_err ignored;
    int live;

    if (access(dir, F_OK) < 0)
        return 0;
    live = kb_state_read(dir, &st, &ignored) == 0 && strcmp(st.status, "stopped") != 0;
    if (live)
        kb_error(err, EEXIST, "task %s: %s belongs to a running sandbox (keeper pid %d)", id, dir, (int)st.pid);
    kb_state_free(&st);
    if (live)
        return -1;
    kb_sandbox_remove_state(dir);
    return 0;
}

/* Fork the keeper with the init's stdio as its stdio; returns once the container is created. */
static int start_keeper(struct shim_task *t, const struct shim_flags *f, const char *config, size_t len,
                        const struct kb_spec *spec, kb_err *err)
{
    char root[PATH_MAX], *name;
    _cleanup_free_ char *guest = NULL;
    struct kb_keeper_opts ko = { 0 };
    size_t glen;
    pid_t pid;
    int fds[3], r;

    if (kb_spec_for_guest(config, len, spec, 0, &guest, &glen, err) < 0)
        return kb_error_wrap(err, "%s/config.json", t->bundle);
    snprintf(root, sizeof root, "%s/%s", SHIM_STATE_ROOT, f->namespace);
    shim_state_dir(f, t->id, t->dir, sizeof t->dir);
    if (clear_stale_state(t->dir, t->id, err) < 0)
        return -1;
    name = strrchr(t->dir, '/') + 1;
    ko.so = (struct kb_sandbox_opts){ .root = root, .id = t->id, .bundle = t->bundle, .spec = spec,
                                      .boot_timeout_ms = 60000, .version = kb_version(), .abort_fd = -1,
                                      .pod = t->pod, .dir_name = name };
    ko.config = guest;
    ko.config_len = glen;
    ko.terminal = t->init.terminal;
    if (shim_stdio_open(f, t->id, &t->init, fds, err) < 0)
        return -1;
    r = kb_keeper_spawn(&ko, fds, &pid, NULL, 0, err);
    /* -1 on failure: it must never reach kill(), where it means every process */
    t->init.pid = pid > 0 ? (uint32_t)pid : 0;
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    return r;
}

/* SIGKILL a keeper and reap it (QEMU follows it); pid 0 is none. */
static void stop_keeper(uint32_t pid)
{
    if (pid == 0 || pid > (uint32_t)INT32_MAX)
        return;
    kill((pid_t)pid, SIGKILL);
    waitpid((pid_t)pid, NULL, 0);
}

static void task_free(struct shim_task *t)
{
    for (int i = 0; i < SHIM_MAX_EXECS; i++)
        if (t->execs[i])
            shim_exec_remove(t, t->execs[i]);
    shim_proc_fini(&t->init);
    free(t->id);
    free(t->bundle);
    free(t);
}

static struct shim_task *task_by_id(struct shim_pod *pod, const char *id)
{
    for (int i = 0; id && i < SHIM_MAX_TASKS; i++)
        if (pod->tasks[i] && !strcmp(pod->tasks[i]->id, id))
            return pod->tasks[i];
    return NULL;
}

static int any_task(const struct shim_pod *pod)
{
    for (int i = 0; i < SHIM_MAX_TASKS; i++)
        if (pod->tasks[i])
            return 1;
    return 0;
}

int shim_keeper_ask(const struct shim_task *t, const char *cmd, const void *body, size_t len, char *rest,
                    size_t rest_len, kb_err *err)
{
    char line[1200];

    snprintf(line, sizeof line, "%s%s%s%s", t->member ? "in " : "", t->member ? t->id : "", t->member ? " " : "", cmd);
    return kb_keeper_ask(t->dir, line, body, len, rest, rest_len, err);
}

static int keeper_request(const struct shim_task *t, const char *cmd, kb_err *err)
{
    char rest[8];

    return shim_keeper_ask(t, cmd, NULL, 0, rest, sizeof rest, err);
}

/* The task's VM: its own keeper's, or (a pod member) the one of the sandbox its annotations name. */
static int place(struct shim_pod *pod, struct shim_task *t, const struct shim_flags *f, const uint8_t *payload,
                 size_t len, const struct kb_pb_create_req *r, kb_err *err)
{
    char path[PATH_MAX + 16];
    _cleanup_free_ char *config = NULL;
    const char *type, *sandbox;
    size_t clen;
    struct kb_spec spec;
    int code = 0;

    snprintf(path, sizeof path, "%s/config.json", t->bundle);
    if (kb_read_file(path, KB_SPEC_MAX_BYTES, &config, &clen, err) < 0)
        return KB_TTRPC_INVALID_ARGUMENT;
    if (kb_spec_parse(config, clen, &spec, err) < 0) {
        kb_error_wrap(err, "%s", path);
        return KB_TTRPC_INVALID_ARGUMENT;
    }
    type = kb_spec_annotation(&spec, SHIM_CONTAINER_TYPE);
    sandbox = kb_spec_annotation(&spec, SHIM_SANDBOX_ID);
    if (type && !strcmp(type, "container") && sandbox) {
        struct shim_task *owner = task_by_id(pod, sandbox);
        if (!owner || owner->member || !owner->pod || owner->init.status == KB_TASK_STOPPED)
            code = (kb_error(err, ENOENT, "sandbox %s is not running in this shim: not found", sandbox),
                    KB_TTRPC_NOT_FOUND);
        else if (shim_pod_join(t, owner, f, payload, len, err) < 0)
            code = KB_TTRPC_UNKNOWN;
    } else if (any_task(pod)) {
        code = (kb_error(err, EEXIST, "this shim runs task %s already: exists", pod->tasks[0] ? pod->tasks[0]->id : ""),
                KB_TTRPC_ALREADY_EXISTS);
    } else if (!spec.process.terminal != !t->init.terminal) {
        code = (kb_error(err, EINVAL, "%s: process.terminal is %s but Create asks for %s", path,
                         spec.process.terminal ? "true" : "false", t->init.terminal ? "a terminal" : "none"),
                KB_TTRPC_INVALID_ARGUMENT);
    } else {
        t->pod = type && !strcmp(type, "sandbox");
        if (mount_rootfs(t, r, err) < 0 || start_keeper(t, f, config, clen, &spec, err) < 0)
            code = KB_TTRPC_UNKNOWN;
        else if (pod->oomfd >= 0 && (t->oom_wd = inotify_add_watch(pod->oomfd, t->dir, IN_CLOSE_WRITE)) < 0)
            t->oom_wd = 0;  /* TaskOOM at the exit only, as without inotify */
    }
    kb_spec_free(&spec);
    return code;
}

static int create(struct shim_pod *pod, const struct shim_flags *f, const uint8_t *p, size_t len,
                  struct kb_buf *reply, kb_err *err)
{
    struct kb_pb_create_req r;
    struct shim_task *t;
    int code = KB_TTRPC_INTERNAL, slot = -1;

    if (kb_pb_decode(&kb_pb_create_req_msg, p, len, &r, err) < 0) {
        kb_pb_free(&kb_pb_create_req_msg, &r);
        return KB_TTRPC_INVALID_ARGUMENT;
    }
    for (int i = 0; i < SHIM_MAX_TASKS && slot < 0; i++)
        if (!pod->tasks[i])
            slot = i;
    if (task_by_id(pod, r.id) || slot < 0) {
        kb_error(err, EEXIST, slot < 0 ? "task %s: this shim runs %d tasks already" : "task %s: already exists",
                 r.id ? r.id : "", SHIM_MAX_TASKS);
        kb_pb_free(&kb_pb_create_req_msg, &r);
        return slot < 0 ? KB_TTRPC_RESOURCE_EXHAUSTED : KB_TTRPC_ALREADY_EXISTS;
    }
    t = calloc(1, sizeof *t);
    if (!t || !r.id || !r.bundle) {
        kb_error(err, EINVAL, "Create: id and bundle are required");
        free(t);
        kb_pb_free(&kb_pb_create_req_msg, &r);
        return KB_TTRPC_INVALID_ARGUMENT;
    }
    t->init.conn = -1;
    t->init.io.stdin_keep = -1;
    t->id = strdup(r.id);
    t->bundle = strdup(r.bundle);
    t->init.stdin_path = r.stdin_path ? strdup(r.stdin_path) : NULL;
    t->init.stdout_path = r.stdout_path ? strdup(r.stdout_path) : NULL;
    t->init.stderr_path = r.stderr_path ? strdup(r.stderr_path) : NULL;
    t->init.terminal = r.terminal;
    if (r.checkpoint && r.checkpoint[0]) {
        kb_error(err, ENOTSUP, "Create from a checkpoint: not supported by katabox");
        code = KB_TTRPC_UNIMPLEMENTED;
    } else if ((code = place(pod, t, f, p, len, &r, err)) == 0) {
        struct kb_pb_task_io io = { .stdin_path = t->init.stdin_path, .stdout_path = t->init.stdout_path,
                                    .stderr_path = t->init.stderr_path, .terminal = t->init.terminal };
        struct kb_pb_ev_create ev = { .container_id = t->id, .bundle = t->bundle, .rootfs = r.rootfs,
                                      .n_rootfs = r.n_rootfs, .io = &io, .pid = t->init.pid };
        struct kb_pb_pid_resp resp = { .pid = t->init.pid };
        t->init.status = KB_TASK_CREATED;
        pod->tasks[slot] = t;
        code = shim_reply(&kb_pb_pid_resp_msg, &resp, reply, err);
        shim_event(f, "/tasks/create", "containerd.events.TaskCreate", &kb_pb_ev_create_msg, &ev);
    }
    if (code && pod->tasks[slot] != t) {
        if (!t->member)
            stop_keeper(t->init.pid);
        if (t->rootfs[0])
            umount2(t->rootfs, MNT_DETACH);
        if (t->dir[0] && !t->member)
            kb_sandbox_remove_state(t->dir);
        task_free(t);
    }
    kb_pb_free(&kb_pb_create_req_msg, &r);
    return code;
}

/* The process a request names: the init for an empty exec_id; NotFound otherwise. */
static int find(struct shim_pod *pod, const char *id, const char *exec_id, struct shim_task **tp,
                struct shim_proc **p, kb_err *err)
{
    struct shim_task *t = task_by_id(pod, id);

    if (!t) {
        kb_error(err, ENOENT, "task %s: not found", id ? id : "");
        return KB_TTRPC_NOT_FOUND;
    }
    *tp = t;
    *p = &t->init;
    if (exec_id && exec_id[0] && !(*p = shim_exec_find(t, exec_id))) {
        kb_error(err, ENOENT, "process %s does not exist: not found", exec_id);
        return KB_TTRPC_NOT_FOUND;
    }
    return 0;
}

static int pids(struct shim_task *t, struct kb_buf *reply, kb_err *err)
{
    char text[4096], *s = text;
    struct kb_pb_process_info info[256];
    struct kb_pb_process_details details[256];
    struct kb_pb_any any[256];
    struct kb_buf values[256];
    struct kb_pb_pids_resp resp = { .processes = info };
    int code = 0;

    if (t->init.status == KB_TASK_STOPPED)
        text[0] = '\0';
    else if (shim_keeper_ask(t, "ps", NULL, 0, text, sizeof text, err) < 0)
        return KB_TTRPC_UNKNOWN;
    /* the guest's pids: the processes live there; an exec's carries its id, as runc's shim says */
    while (resp.n_processes < 256 && !code) {
        size_t i = resp.n_processes;
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        struct shim_proc *e = NULL;

        if (end == s)
            break;
        s = end;
        info[i] = (struct kb_pb_process_info){ .pid = (uint32_t)v };
        values[i] = (struct kb_buf){ 0 };
        for (int j = 0; j < SHIM_MAX_EXECS && !e; j++)
            if (t->execs[j] && t->execs[j]->status == KB_TASK_RUNNING && t->execs[j]->pid == v)
                e = t->execs[j];
        if (e) {
            details[i].exec_id = e->exec_id;
            if (kb_pb_encode(&kb_pb_process_details_msg, &details[i], &values[i], err) < 0)
                code = KB_TTRPC_INTERNAL;
            any[i] = (struct kb_pb_any){ .type_url = "containerd.runc.v1.ProcessDetails",
                                         .value = values[i].data, .value_len = values[i].len };
            info[i].info = &any[i];
        }
        resp.n_processes++;
    }
    if (!code)
        code = shim_reply(&kb_pb_pids_resp_msg, &resp, reply, err);
    for (size_t i = 0; i < resp.n_processes; i++)
        kb_buf_free(&values[i]);
    return code;
}

static int pause_resume(struct shim_task *t, const struct shim_flags *f, int pause, kb_err *err)
{
    struct kb_pb_ev_container ev = { .container_id = t->id };

    if (t->init.status != (pause ? KB_TASK_RUNNING : KB_TASK_PAUSED))
        return failed_precondition(err, pause ? "task is not running:" : "task is not paused:", t->id);
    if (keeper_request(t, pause ? "pause" : "resume", err) < 0)
        return KB_TTRPC_UNKNOWN;
    t->init.status = pause ? KB_TASK_PAUSED : KB_TASK_RUNNING;
    if (pause)
        shim_event(f, "/tasks/paused", "containerd.events.TaskPaused", &kb_pb_ev_container_msg, &ev);
    else
        shim_event(f, "/tasks/resumed", "containerd.events.TaskResumed", &kb_pb_ev_container_msg, &ev);
    return 0;
}

static int kill_proc(struct shim_task *t, struct shim_proc *p, const struct kb_pb_kill_req *k, kb_err *err)
{
    char line[64];

    if (p->status == KB_TASK_STOPPED)
        return kb_error(err, ESRCH, "process already finished: not found"), KB_TTRPC_NOT_FOUND;
    if (k->signal < 1 || k->signal > 64)
        return kb_error(err, EINVAL, "signal %u: invalid argument", k->signal), KB_TTRPC_INVALID_ARGUMENT;
    if (p->exec_id) {
        if (p->status == KB_TASK_CREATED)
            return kb_error(err, ESRCH, "process %s is not started: not found", p->exec_id), KB_TTRPC_NOT_FOUND;
        snprintf(line, sizeof line, "kill %u\n", k->signal);
        return shim_exec_line(p, line, err) < 0 ? KB_TTRPC_NOT_FOUND : 0;
    }
    snprintf(line, sizeof line, "kill %u %d", k->signal, k->all ? 1 : 0);
    return keeper_request(t, line, err) < 0 ? KB_TTRPC_FAILED_PRECONDITION : 0;
}

static int resize(struct shim_task *t, struct shim_proc *p, const struct kb_pb_resize_req *r, kb_err *err)
{
    char line[64];

    if (!p->terminal)
        return failed_precondition(err, "process has no terminal:", proc_name(t, p));
    if (p->status != KB_TASK_RUNNING && p->status != KB_TASK_PAUSED)
        return 0;   /* nothing to size; containerd sends it after Start */
    /* 0x0 included: a terminal nobody sized, as a pty's own */
    if (r->width > 65535 || r->height > 65535)
        return kb_error(err, EINVAL, "ResizePty %ux%u: invalid argument", r->width, r->height),
               KB_TTRPC_INVALID_ARGUMENT;
    snprintf(line, sizeof line, "resize %u %u%s", r->height, r->width, p->exec_id ? "\n" : "");
    if ((p->exec_id ? shim_exec_line(p, line, err) : keeper_request(t, line, err)) == 0)
        return 0;
    /* it exited and we have not heard yet: nothing to size */
    return err->errnum == ESRCH ? 0 : KB_TTRPC_UNKNOWN;
}

static int start(struct shim_task *t, const struct shim_flags *f, struct shim_proc *p, struct kb_buf *reply,
                 kb_err *err)
{
    struct kb_pb_pid_resp resp;
    int code;

    if (p->exec_id) {
        if ((code = shim_exec_start(t, f, p, err)) != 0)
            return code;
    } else {
        struct kb_pb_ev_start ev = { .container_id = t->id, .pid = p->pid };
        if (p->status != KB_TASK_CREATED)
            return failed_precondition(err, "cannot start a task that has run:", t->id);
        if (keeper_request(t, "start", err) < 0)
            return KB_TTRPC_UNKNOWN;
        /* an exit seen meanwhile stays; the order of events is create, start, exit */
        if (p->status == KB_TASK_CREATED)
            p->status = KB_TASK_RUNNING;
        shim_event(f, "/tasks/start", "containerd.events.TaskStart", &kb_pb_ev_start_msg, &ev);
    }
    resp.pid = p->pid;
    return shim_reply(&kb_pb_pid_resp_msg, &resp, reply, err);
}

static int state(struct shim_task *t, struct shim_proc *p, struct kb_buf *reply, kb_err *err)
{
    struct kb_pb_timestamp ts = p->exited_at;
    struct kb_pb_state_resp s = { .id = (char *)proc_name(t, p), .bundle = t->bundle, .pid = p->pid,
                                  .status = p->status, .stdin_path = p->stdin_path,
                                  .stdout_path = p->stdout_path, .stderr_path = p->stderr_path,
                                  .terminal = p->terminal, .exit_status = p->exit_status,
                                  .exited_at = p->status == KB_TASK_STOPPED ? &ts : NULL,
                                  .exec_id = p->exec_id };

    return shim_reply(&kb_pb_state_resp_msg, &s, reply, err);
}

static int delete(struct shim_pod *pod, struct shim_task *t, const struct shim_flags *f, struct shim_proc *p,
                  struct kb_buf *reply, kb_err *err)
{
    struct kb_pb_timestamp ts;
    struct kb_pb_delete_resp d = { .pid = p->pid, .exit_status = p->exit_status, .exited_at = &ts };
    int code;

    if (p->status != KB_TASK_STOPPED && p->status != KB_TASK_CREATED)
        return failed_precondition(err, "cannot delete a running process:", proc_name(t, p));
    if (p->status == KB_TASK_CREATED && !p->exec_id) {
        /* never started: its keeper and VM go (a member's part of the pod goes below) */
        if (!t->member)
            stop_keeper(p->pid);
        now(&p->exited_at);
    }
    ts = p->exited_at;
    code = shim_reply(&kb_pb_delete_resp_msg, &d, reply, err);
    if (p->exec_id) {
        /* runc's shim publishes no TaskDelete for an exec */
        shim_exec_remove(t, p);
        return code;
    }
    {
        struct kb_pb_ev_delete ev = { .container_id = t->id, .pid = p->pid, .exit_status = p->exit_status,
                                      .exited_at = &ts };
        if (t->oom_wd > 0)
            inotify_rm_watch(pod->oomfd, t->oom_wd);
        if (t->member)
            shim_pod_leave(t);
        else
            kb_sandbox_remove_state(t->dir);
        if (t->rootfs[0])
            umount2(t->rootfs, MNT_DETACH);
        shim_event(f, "/tasks/delete", "containerd.events.TaskDelete", &kb_pb_ev_delete_msg, &ev);
        for (int i = 0; i < SHIM_MAX_TASKS; i++)
            if (pod->tasks[i] == t)
                pod->tasks[i] = NULL;
        task_free(t);
    }
    return code;
}

/* The methods that name a process by id and exec_id alone. */
static int by_process(struct shim_pod *pod, const struct shim_flags *f, const char *method, const uint8_t *payload,
                      size_t len, const struct shim_call *call, struct kb_buf *reply, kb_err *err)
{
    struct kb_pb_id_req r;
    struct shim_task *t;
    struct shim_proc *p;
    int code;

    if (kb_pb_decode(&kb_pb_id_req_msg, payload, len, &r, err) < 0) {
        kb_pb_free(&kb_pb_id_req_msg, &r);
        return KB_TTRPC_INVALID_ARGUMENT;
    }
    code = find(pod, r.id, r.exec_id, &t, &p, err);
    kb_pb_free(&kb_pb_id_req_msg, &r);
    if (code)
        return code;
    if (!strcmp(method, "Start"))
        return start(t, f, p, reply, err);
    if (!strcmp(method, "State"))
        return state(t, p, reply, err);
    if (!strcmp(method, "Delete"))
        return delete(pod, t, f, p, reply, err);
    /* Wait */
    if (p->status == KB_TASK_STOPPED)
        return wait_reply(p, reply, err);
    if (p->n_waiters == SHIM_MAX_WAITERS)
        return kb_error(err, EBUSY, "too many waiters"), KB_TTRPC_RESOURCE_EXHAUSTED;
    p->waiters[p->n_waiters++] = *call;
    return -1;
}

static int connect_shutdown(struct shim_pod *pod, const char *method, const uint8_t *payload, size_t len,
                            struct kb_buf *reply, kb_err *err)
{
    if (!strcmp(method, "Connect")) {
        struct kb_pb_id_req r;
        struct shim_task *t;
        struct kb_pb_connect_resp c = { .shim_pid = (uint32_t)getpid(), .version = (char *)kb_version() };
        int code;
        if (kb_pb_decode(&kb_pb_id_req_msg, payload, len, &r, err) < 0) {
            kb_pb_free(&kb_pb_id_req_msg, &r);
            return KB_TTRPC_INVALID_ARGUMENT;
        }
        t = task_by_id(pod, r.id);
        c.task_pid = t ? t->init.pid : 0;
        code = shim_reply(&kb_pb_connect_resp_msg, &c, reply, err);
        kb_pb_free(&kb_pb_id_req_msg, &r);
        return code;
    }
    /* Shutdown: containerd sends it after every Delete; we go only when nothing is left (a pod's other tasks
     * still need us) */
    if (!any_task(pod))
        pod->shutdown = 1;
    return 0;
}

struct shim_pod *shim_pod_new(void)
{
    struct shim_pod *pod = calloc(1, sizeof(struct shim_pod));

    /* without it TaskOOM is published at the task's exit only */
    if (pod)
        pod->oomfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    return pod;
}

int shim_task_call(struct shim_pod *pod, const struct shim_flags *f, const char *method, const uint8_t *payload,
                   size_t len, const struct shim_call *call, struct kb_buf *reply, kb_err *err)
{
    struct shim_task *t;
    struct shim_proc *p;
    int code;

    if (!strcmp(method, "Create"))
        return create(pod, f, payload, len, reply, err);
    if (!strcmp(method, "Connect") || !strcmp(method, "Shutdown"))
        return connect_shutdown(pod, method, payload, len, reply, err);
    if (!strcmp(method, "Start") || !strcmp(method, "State") || !strcmp(method, "Wait") ||
        !strcmp(method, "Delete"))
        return by_process(pod, f, method, payload, len, call, reply, err);
    if (!strcmp(method, "Kill")) {
        struct kb_pb_kill_req k;
        if (kb_pb_decode(&kb_pb_kill_req_msg, payload, len, &k, err) < 0)
            code = KB_TTRPC_INVALID_ARGUMENT;
        else if (!(code = find(pod, k.id, k.exec_id, &t, &p, err)))
            code = kill_proc(t, p, &k, err);
        kb_pb_free(&kb_pb_kill_req_msg, &k);
        return code;
    }
    if (!strcmp(method, "ResizePty")) {
        struct kb_pb_resize_req r;
        if (kb_pb_decode(&kb_pb_resize_req_msg, payload, len, &r, err) < 0)
            code = KB_TTRPC_INVALID_ARGUMENT;
        else if (!(code = find(pod, r.id, r.exec_id, &t, &p, err)))
            code = resize(t, p, &r, err);
        kb_pb_free(&kb_pb_resize_req_msg, &r);
        return code;
    }
    if (!strcmp(method, "CloseIO")) {
        struct kb_pb_close_io_req r;
        if (kb_pb_decode(&kb_pb_close_io_req_msg, payload, len, &r, err) < 0)
            code = KB_TTRPC_INVALID_ARGUMENT;
        else if (!(code = find(pod, r.id, r.exec_id, &t, &p, err)) && r.close_stdin)
            shim_stdio_close_stdin(&p->io);
        kb_pb_free(&kb_pb_close_io_req_msg, &r);
        return code;
    }
    if (!strcmp(method, "Update")) {
        struct kb_pb_update_req r;
        if (kb_pb_decode(&kb_pb_update_req_msg, payload, len, &r, err) < 0)
            code = KB_TTRPC_INVALID_ARGUMENT;
        else if (!(code = find(pod, r.id, NULL, &t, &p, err)))
            code = shim_update(t, &r, err);
        kb_pb_free(&kb_pb_update_req_msg, &r);
        return code;
    }
    if (!strcmp(method, "Checkpoint")) {
        kb_error(err, ENOTSUP, "Checkpoint is not supported by katabox (the container lives in a VM): "
                               "not implemented");
        return KB_TTRPC_UNIMPLEMENTED;
    }
    if (strcmp(method, "Pause") && strcmp(method, "Resume") && strcmp(method, "Pids") && strcmp(method, "Stats") &&
        strcmp(method, "Exec")) {
        kb_error(err, ENOTSUP, "%s: not implemented", method);
        return KB_TTRPC_UNIMPLEMENTED;
    }
    {
        /* the rest carry the task's id in field 1, as id_req's */
        struct kb_pb_id_req r;
        if (kb_pb_decode(&kb_pb_id_req_msg, payload, len, &r, err) < 0)
            code = KB_TTRPC_INVALID_ARGUMENT;
        else
            code = find(pod, r.id, NULL, &t, &p, err);
        kb_pb_free(&kb_pb_id_req_msg, &r);
        if (code)
            return code;
    }
    if (!strcmp(method, "Exec"))
        return shim_exec_add(t, f, payload, len, err);
    if (!strcmp(method, "Pids"))
        return pids(t, reply, err);
    if (!strcmp(method, "Stats"))
        return shim_stats(t, reply, err);
    return pause_resume(t, f, method[0] == 'P', err);
}

void shim_oom_event(const struct shim_flags *f, const struct shim_task *t)
{
    struct kb_pb_ev_container ev = { .container_id = t->id };

    shim_event(f, "/tasks/oom", "containerd.events.TaskOOM", &kb_pb_ev_container_msg, &ev);
}

void shim_oom_drain(struct shim_pod *pod, const struct shim_flags *f)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t got;

    while (pod->oomfd >= 0 && (got = read(pod->oomfd, buf, sizeof buf)) > 0)
        for (char *q = buf; q + sizeof(struct inotify_event) <= buf + got;) {
            const struct inotify_event *ev = (const struct inotify_event *)q;
            q += sizeof *ev + ev->len;
            if (!ev->len || strcmp(ev->name, KB_OOM_FILE) != 0)
                continue;
            for (int i = 0; i < SHIM_MAX_TASKS; i++)
                if (pod->tasks[i] && pod->tasks[i]->oom_wd == ev->wd)
                    shim_oom_event(f, pod->tasks[i]);
        }
}

void shim_task_reaped(struct shim_pod *pod, const struct shim_flags *f, pid_t pid, int status)
{
    for (int i = 0; i < SHIM_MAX_TASKS; i++) {
        struct shim_task *t = pod->tasks[i];
        char oom[PATH_MAX + 8];
        if (!t || t->member || (uint32_t)pid != t->init.pid || t->init.status == KB_TASK_STOPPED)
            continue;
        /* the keeper appends a line per OOM event; without inotify we look once, at the end */
        snprintf(oom, sizeof oom, "%s/" KB_OOM_FILE, t->dir);
        if (!t->oom_wd && access(oom, F_OK) == 0)
            shim_oom_event(f, t);
        /* the keeper exits with the container's status as a shell tells it (128+N for signal N) */
        shim_proc_exited(f, t, &t->init,
                         WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status) : 128u + (uint32_t)WTERMSIG(status));
    }
}

static void drop_waiters(struct shim_proc *p, int fd)
{
    unsigned k = 0;

    for (unsigned j = 0; j < p->n_waiters; j++)
        if (p->waiters[j].conn != fd)
            p->waiters[k++] = p->waiters[j];
    p->n_waiters = k;
}

void shim_task_conn_closed(struct shim_pod *pod, int fd)
{
    /* its waiters are gone with it: a later connection may get the same fd */
    for (int i = 0; i < SHIM_MAX_TASKS; i++) {
        struct shim_task *t = pod->tasks[i];
        if (!t)
            continue;
        drop_waiters(&t->init, fd);
        for (int j = 0; j < SHIM_MAX_EXECS; j++)
            if (t->execs[j])
                drop_waiters(t->execs[j], fd);
    }
}

int shim_task_gone(const struct shim_pod *pod)
{
    return pod->shutdown && !any_task(pod);
}
