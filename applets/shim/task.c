/* The task service for this daemon's task: its VM is run by a sandbox
 * keeper (core/sandbox/keeper.c), forked here as `kata-runtime create`
 * forks it, with containerd's stdio fifos as its stdio; the keeper's exit
 * is the task's exit. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../core/oci/guest_spec.h"
#include "../../core/sandbox/keeper.h"
#include "../../core/sandbox/state.h"
#include "../../core/shim/task_pb.h"
#include "../../core/ttrpc/ttrpc.h"
#include "../../core/util.h"
#include "../../core/version.h"
#include "shim.h"

#define MAX_WAITERS 16

struct shim_task {
    char *id, *bundle, *stdin_path, *stdout_path, *stderr_path;
    int terminal;
    char dir[PATH_MAX];         /* the keeper's state dir */
    char rootfs[PATH_MAX];      /* what we mounted, "" when nothing */
    pid_t pid;                  /* the keeper */
    uint32_t status;            /* KB_TASK_* */
    uint32_t exit_status;
    struct kb_pb_timestamp exited_at;
    int deleted, shutdown;
    struct shim_call waiters[MAX_WAITERS];
    unsigned n_waiters;
};

static void now(struct kb_pb_timestamp *ts)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    *ts = (struct kb_pb_timestamp){ .seconds = (uint64_t)t.tv_sec, .nanos = (uint32_t)t.tv_nsec };
}

static void publish(const struct shim_flags *f, const char *topic, const char *type,
                    const struct kb_pb_msg *d, const void *ev)
{
    struct kb_buf out = { 0 };
    kb_err err;

    if (kb_pb_encode(d, ev, &out, &err) == 0)
        shim_publish(f, topic, type, &out);
    kb_buf_free(&out);
}

/* containerd's rootfs mounts at bundle/rootfs (overlay from the snapshotter, or binds) */
static int mount_rootfs(struct shim_task *t, const struct kb_pb_create_req *r, kb_err *err)
{
    if (!r->n_rootfs)
        return 0;
    snprintf(t->rootfs, sizeof t->rootfs, "%s/rootfs", t->bundle);
    for (size_t i = 0; i < r->n_rootfs; i++) {
        const struct kb_pb_mount *m = &r->rootfs[i];
        char data[8192] = "";
        unsigned long flags = 0;
        size_t used = 0;

        for (size_t j = 0; j < m->n_options; j++) {
            const char *o = m->options[j];
            if (!strcmp(o, "bind") || !strcmp(o, "rbind"))
                flags |= MS_BIND | (o[0] == 'r' ? MS_REC : 0);
            else if (!strcmp(o, "ro"))
                flags |= MS_RDONLY;
            else if (!strcmp(o, "rw"))
                ;
            else
                used += (size_t)snprintf(data + used, sizeof data - used, "%s%s", used ? "," : "", o);
            if (used >= sizeof data)
                return kb_error(err, E2BIG, "rootfs mount options");
        }
        if (mount(m->source, t->rootfs, m->type, flags, data[0] ? data : NULL) < 0) {
            kb_error_errno(err, "mount the rootfs (%s %s)", m->type ? m->type : "", m->source ? m->source : "");
            if (i)
                umount2(t->rootfs, MNT_DETACH);
            t->rootfs[0] = '\0';
            return -1;
        }
    }
    return 0;
}

static int open_stdio(const struct shim_task *t, int fds[3], kb_err *err)
{
    const char *paths[3] = { t->stdin_path, t->stdout_path, t->stderr_path };

    for (int i = 0; i < 3; i++) {
        const char *p = paths[i] && paths[i][0] ? paths[i] : "/dev/null";
        /* the fifos: containerd holds the other ends; O_RDWR never waits for them */
        fds[i] = open(p, (i == 0 ? O_RDONLY | O_NONBLOCK : O_RDWR) | O_CLOEXEC);
        if (fds[i] < 0) {
            kb_error_errno(err, "open %s", p);
            while (i-- > 0)
                close(fds[i]);
            return -1;
        }
        if (i == 0)
            fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) & ~O_NONBLOCK);
    }
    return 0;
}

/* Fork the keeper with the fifos as its stdio; returns once the container is created. */
static int start_keeper(struct shim_task *t, const struct shim_flags *f, kb_err *err)
{
    char path[PATH_MAX + 16], root[PATH_MAX];
    _cleanup_free_ char *config = NULL, *guest = NULL;
    struct kb_keeper_opts ko = { 0 };
    struct kb_spec spec;
    size_t len, glen;
    int fds[3], r;

    snprintf(path, sizeof path, "%s/config.json", t->bundle);
    if (kb_read_file(path, KB_SPEC_MAX_BYTES, &config, &len, err) < 0)
        return -1;
    if (kb_spec_parse(config, len, &spec, err) < 0 || kb_spec_for_guest(config, len, &spec, &guest, &glen, err) < 0) {
        kb_spec_free(&spec);
        return kb_error_wrap(err, "%s", path);
    }
    snprintf(root, sizeof root, "%s/%s", SHIM_STATE_ROOT, f->namespace);
    snprintf(t->dir, sizeof t->dir, "%s/%s", root, t->id);
    ko.so = (struct kb_sandbox_opts){ .root = root, .id = t->id, .bundle = t->bundle, .spec = &spec,
                                      .boot_timeout_ms = 60000, .version = kb_version(), .abort_fd = -1 };
    ko.config = guest;
    ko.config_len = glen;
    if (open_stdio(t, fds, err) < 0) {
        kb_spec_free(&spec);
        return -1;
    }
    r = kb_keeper_spawn(&ko, fds, &t->pid, NULL, 0, err);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    kb_spec_free(&spec);
    return r;
}

static int create(struct shim_task **tp, const struct shim_flags *f, const uint8_t *p, size_t len,
                  struct kb_buf *reply, kb_err *err)
{
    struct kb_pb_create_req r;
    struct kb_pb_pid_resp resp;
    struct shim_task *t;
    int code = KB_TTRPC_INTERNAL;

    if (kb_pb_decode(&kb_pb_create_req_msg, p, len, &r, err) < 0) {
        kb_pb_free(&kb_pb_create_req_msg, &r);
        return KB_TTRPC_INVALID_ARGUMENT;
    }
    if (*tp) {
        kb_error(err, EEXIST, "task %s: already exists", r.id ? r.id : "");
        kb_pb_free(&kb_pb_create_req_msg, &r);
        return KB_TTRPC_ALREADY_EXISTS;
    }
    t = calloc(1, sizeof *t);
    if (!t || !r.id || !r.bundle) {
        kb_error(err, EINVAL, "Create: id and bundle are required");
        free(t);
        kb_pb_free(&kb_pb_create_req_msg, &r);
        return KB_TTRPC_INVALID_ARGUMENT;
    }
    t->id = strdup(r.id);
    t->bundle = strdup(r.bundle);
    t->stdin_path = r.stdin_path ? strdup(r.stdin_path) : NULL;
    t->stdout_path = r.stdout_path ? strdup(r.stdout_path) : NULL;
    t->stderr_path = r.stderr_path ? strdup(r.stderr_path) : NULL;
    t->terminal = r.terminal;
    if (r.terminal) {
        kb_error(err, ENOTSUP, "Create: a terminal is not supported by this shim yet");
        code = KB_TTRPC_UNIMPLEMENTED;
    } else if (mount_rootfs(t, &r, err) == 0 && start_keeper(t, f, err) == 0) {
        struct kb_pb_task_io io = { .stdin_path = t->stdin_path, .stdout_path = t->stdout_path,
                                    .stderr_path = t->stderr_path };
        struct kb_pb_ev_create ev = { .container_id = t->id, .bundle = t->bundle, .rootfs = r.rootfs,
                                      .n_rootfs = r.n_rootfs, .io = &io, .pid = (uint32_t)t->pid };
        t->status = KB_TASK_CREATED;
        *tp = t;
        resp.pid = (uint32_t)t->pid;
        code = kb_pb_encode(&kb_pb_pid_resp_msg, &resp, reply, err) < 0 ? KB_TTRPC_INTERNAL : 0;
        publish(f, "/tasks/create", "containerd.events.TaskCreate", &kb_pb_ev_create_msg, &ev);
    }
    if (code && t != *tp) {
        if (t->rootfs[0])
            umount2(t->rootfs, MNT_DETACH);
        if (t->dir[0])
            kb_sandbox_remove_state(t->dir);
        free(t->id);
        free(t->bundle);
        free(t->stdin_path);
        free(t->stdout_path);
        free(t->stderr_path);
        free(t);
    }
    kb_pb_free(&kb_pb_create_req_msg, &r);
    return code;
}

/* The task a request names; NotFound otherwise (execs are not supported yet). */
static int find(struct shim_task *t, const char *id, const char *exec_id, kb_err *err)
{
    if (!t || t->deleted || !id || strcmp(id, t->id) != 0) {
        kb_error(err, ENOENT, "task %s: not found", id ? id : "");
        return KB_TTRPC_NOT_FOUND;
    }
    if (exec_id && exec_id[0]) {
        kb_error(err, ENOENT, "process %s does not exist: not found", exec_id);
        return KB_TTRPC_NOT_FOUND;
    }
    return 0;
}

static int wait_reply(const struct shim_task *t, struct kb_buf *reply, kb_err *err)
{
    struct kb_pb_timestamp ts = t->exited_at;
    struct kb_pb_wait_resp w = { .exit_status = t->exit_status, .exited_at = &ts };

    return kb_pb_encode(&kb_pb_wait_resp_msg, &w, reply, err) < 0 ? KB_TTRPC_INTERNAL : 0;
}

/* Pause, Resume, Pids: requests that carry the task's id alone (field 1, as id_req's). */
static int by_id(struct shim_task *t, const struct shim_flags *f, const char *method, const uint8_t *p, size_t len,
                 struct kb_buf *reply, kb_err *err)
{
    struct kb_pb_id_req r;
    struct kb_pb_ev_container ev;
    int code;

    if (kb_pb_decode(&kb_pb_id_req_msg, p, len, &r, err) < 0) {
        kb_pb_free(&kb_pb_id_req_msg, &r);
        return KB_TTRPC_INVALID_ARGUMENT;
    }
    code = find(t, r.id, NULL, err);
    kb_pb_free(&kb_pb_id_req_msg, &r);
    if (code)
        return code;
    ev.container_id = t->id;
    if (!strcmp(method, "Pids")) {
        char pids[4096];
        struct kb_pb_process_info info[256];
        struct kb_pb_pids_resp resp = { .processes = info };
        char *s = pids;
        if (t->status == KB_TASK_STOPPED)
            pids[0] = '\0';
        else if (kb_keeper_ask(t->dir, "ps", NULL, 0, pids, sizeof pids, err) < 0)
            return KB_TTRPC_INTERNAL;
        /* the guest's pids: the processes live there */
        while (resp.n_processes < 256) {
            char *end;
            unsigned long v = strtoul(s, &end, 10);
            if (end == s)
                break;
            info[resp.n_processes++] = (struct kb_pb_process_info){ .pid = (uint32_t)v };
            s = end;
        }
        return kb_pb_encode(&kb_pb_pids_resp_msg, &resp, reply, err) < 0 ? KB_TTRPC_INTERNAL : 0;
    }
    if (!strcmp(method, "Pause")) {
        if (t->status != KB_TASK_RUNNING)
            return kb_error(err, EINVAL, "task %s is not running: failed precondition", t->id),
                   KB_TTRPC_FAILED_PRECONDITION;
        if (kb_keeper_request(t->dir, "pause", err) < 0)
            return KB_TTRPC_INTERNAL;
        t->status = KB_TASK_PAUSED;
        publish(f, "/tasks/paused", "containerd.events.TaskPaused", &kb_pb_ev_container_msg, &ev);
        return 0;
    }
    if (t->status != KB_TASK_PAUSED)
        return kb_error(err, EINVAL, "task %s is not paused: failed precondition", t->id),
               KB_TTRPC_FAILED_PRECONDITION;
    if (kb_keeper_request(t->dir, "resume", err) < 0)
        return KB_TTRPC_INTERNAL;
    t->status = KB_TASK_RUNNING;
    publish(f, "/tasks/resumed", "containerd.events.TaskResumed", &kb_pb_ev_container_msg, &ev);
    return 0;
}

int shim_task_call(struct shim_task **tp, const struct shim_flags *f, const char *method, const uint8_t *p,
                   size_t len, const struct shim_call *call, struct kb_buf *reply, kb_err *err)
{
    struct shim_task *t = *tp;
    struct kb_pb_id_req r;
    int code;

    if (!strcmp(method, "Create"))
        return create(tp, f, p, len, reply, err);
    if (!strcmp(method, "Connect")) {
        struct kb_pb_connect_resp c = { .shim_pid = (uint32_t)getpid(), .task_pid = t ? (uint32_t)t->pid : 0,
                                        .version = (char *)kb_version() };
        return kb_pb_encode(&kb_pb_connect_resp_msg, &c, reply, err) < 0 ? KB_TTRPC_INTERNAL : 0;
    }
    if (!strcmp(method, "Shutdown")) {
        /* containerd sends it after every Delete: we go only when nothing is left */
        if (!t) {
            t = calloc(1, sizeof *t);
            if (!t)
                return kb_error(err, ENOMEM, "Shutdown"), KB_TTRPC_INTERNAL;
            t->deleted = 1;
            *tp = t;
        }
        if (t->deleted)
            t->shutdown = 1;
        return 0;
    }
    if (!strcmp(method, "Kill")) {
        struct kb_pb_kill_req k;
        char line[64];
        if (kb_pb_decode(&kb_pb_kill_req_msg, p, len, &k, err) < 0) {
            kb_pb_free(&kb_pb_kill_req_msg, &k);
            return KB_TTRPC_INVALID_ARGUMENT;
        }
        code = find(t, k.id, k.exec_id, err);
        if (!code && t->status == KB_TASK_STOPPED)
            code = (kb_error(err, ESRCH, "process already finished: not found"), KB_TTRPC_NOT_FOUND);
        if (!code && (k.signal < 1 || k.signal > 64))
            code = (kb_error(err, EINVAL, "signal %u: invalid argument", k.signal), KB_TTRPC_INVALID_ARGUMENT);
        if (!code) {
            snprintf(line, sizeof line, "kill %u %d", k.signal, k.all ? 1 : 0);
            if (kb_keeper_request(t->dir, line, err) < 0)
                code = KB_TTRPC_FAILED_PRECONDITION;
        }
        kb_pb_free(&kb_pb_kill_req_msg, &k);
        return code;
    }
    if (!strcmp(method, "Pause") || !strcmp(method, "Resume") || !strcmp(method, "Pids"))
        return by_id(t, f, method, p, len, reply, err);
    /* the rest name a process by id and exec_id */
    if (strcmp(method, "Start") && strcmp(method, "State") && strcmp(method, "Wait") && strcmp(method, "Delete")) {
        kb_error(err, ENOTSUP, "%s is not supported by katabox's shim yet: not implemented", method);
        return KB_TTRPC_UNIMPLEMENTED;
    }
    if (kb_pb_decode(&kb_pb_id_req_msg, p, len, &r, err) < 0) {
        kb_pb_free(&kb_pb_id_req_msg, &r);
        return KB_TTRPC_INVALID_ARGUMENT;
    }
    code = find(t, r.id, r.exec_id, err);
    kb_pb_free(&kb_pb_id_req_msg, &r);
    if (code)
        return code;
    if (!strcmp(method, "Start")) {
        struct kb_pb_pid_resp resp = { .pid = (uint32_t)t->pid };
        struct kb_pb_ev_start ev = { .container_id = t->id, .pid = (uint32_t)t->pid };
        if (t->status != KB_TASK_CREATED)
            return kb_error(err, EINVAL, "cannot start a task that has run: failed precondition"),
                   KB_TTRPC_FAILED_PRECONDITION;
        if (kb_keeper_request(t->dir, "start", err) < 0)
            return KB_TTRPC_INTERNAL;
        /* an exit seen meanwhile stays; the order of events is create, start, exit */
        if (t->status == KB_TASK_CREATED)
            t->status = KB_TASK_RUNNING;
        publish(f, "/tasks/start", "containerd.events.TaskStart", &kb_pb_ev_start_msg, &ev);
        return kb_pb_encode(&kb_pb_pid_resp_msg, &resp, reply, err) < 0 ? KB_TTRPC_INTERNAL : 0;
    }
    if (!strcmp(method, "State")) {
        struct kb_pb_timestamp ts = t->exited_at;
        struct kb_pb_state_resp s = { .id = t->id, .bundle = t->bundle, .pid = (uint32_t)t->pid,
                                      .status = t->status, .stdin_path = t->stdin_path,
                                      .stdout_path = t->stdout_path, .stderr_path = t->stderr_path,
                                      .terminal = t->terminal, .exit_status = t->exit_status,
                                      .exited_at = t->status == KB_TASK_STOPPED ? &ts : NULL };
        return kb_pb_encode(&kb_pb_state_resp_msg, &s, reply, err) < 0 ? KB_TTRPC_INTERNAL : 0;
    }
    if (!strcmp(method, "Wait")) {
        if (t->status == KB_TASK_STOPPED)
            return wait_reply(t, reply, err);
        if (t->n_waiters == MAX_WAITERS)
            return kb_error(err, EBUSY, "too many waiters"), KB_TTRPC_RESOURCE_EXHAUSTED;
        t->waiters[t->n_waiters++] = *call;
        return -1;
    }
    /* Delete */
    {
        struct kb_pb_timestamp ts = t->exited_at;
        struct kb_pb_delete_resp d = { .pid = (uint32_t)t->pid, .exit_status = t->exit_status, .exited_at = &ts };
        struct kb_pb_ev_delete ev = { .container_id = t->id, .pid = (uint32_t)t->pid,
                                      .exit_status = t->exit_status, .exited_at = &ts };
        if (t->status != KB_TASK_STOPPED && t->status != KB_TASK_CREATED)
            return kb_error(err, EBUSY, "task %s is running: failed precondition", t->id),
                   KB_TTRPC_FAILED_PRECONDITION;
        if (t->status == KB_TASK_CREATED && t->pid > 0) {
            /* never started: its keeper and VM go */
            kill(t->pid, SIGKILL);
            waitpid(t->pid, NULL, 0);
            now(&t->exited_at);
            ts = t->exited_at;
        }
        kb_sandbox_remove_state(t->dir);
        if (t->rootfs[0])
            umount2(t->rootfs, MNT_DETACH);
        t->deleted = 1;
        publish(f, "/tasks/delete", "containerd.events.TaskDelete", &kb_pb_ev_delete_msg, &ev);
        return kb_pb_encode(&kb_pb_delete_resp_msg, &d, reply, err) < 0 ? KB_TTRPC_INTERNAL : 0;
    }
}

void shim_task_reaped(struct shim_task *t, const struct shim_flags *f, pid_t pid, int status)
{
    struct kb_buf reply = { 0 };
    kb_err err;

    if (!t || pid != t->pid)
        return;
    /* the keeper exits with the container's status as a shell tells it (128+N for signal N) */
    t->exit_status = WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status) : 128u + (uint32_t)WTERMSIG(status);
    t->status = KB_TASK_STOPPED;
    now(&t->exited_at);
    {
        struct kb_pb_timestamp ts = t->exited_at;
        struct kb_pb_ev_exit ev = { .container_id = t->id, .id = t->id, .pid = (uint32_t)t->pid,
                                    .exit_status = t->exit_status, .exited_at = &ts };
        publish(f, "/tasks/exit", "containerd.events.TaskExit", &kb_pb_ev_exit_msg, &ev);
    }
    if (wait_reply(t, &reply, &err) == 0)
        for (unsigned i = 0; i < t->n_waiters; i++)
            shim_respond(&t->waiters[i], 0, NULL, &reply);
    t->n_waiters = 0;
    kb_buf_free(&reply);
}

int shim_task_gone(const struct shim_task *t)
{
    return t && t->deleted && t->shutdown ? 2 : 0;
}
