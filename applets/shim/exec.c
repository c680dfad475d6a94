/* Execs of the task service: Exec registers the process, Start hands it to
 * the task's keeper with its stdio (core/sandbox/exec_client.c), and the
 * keeper's connection stays in the daemon's poll loop until it says
 * "exit N". Kill and ResizePty go up the same connection. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../core/oci/spec.h"
#include "../../core/sandbox/keeper.h"
#include "../../core/ttrpc/ttrpc.h"
#include "../../core/util.h"
#include "task.h"

/* the ExecProcessRequest.spec type containerd sends: the OCI process as JSON */
#define PROCESS_TYPE "types.containerd.io/opencontainers/runtime-spec/1/Process"

struct shim_proc *shim_exec_find(struct shim_task *t, const char *exec_id)
{
    for (int i = 0; i < SHIM_MAX_EXECS; i++)
        if (t->execs[i] && !strcmp(t->execs[i]->exec_id, exec_id))
            return t->execs[i];
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int shim_exec_add(struct shim_task *t, const struct shim_flags *f, const uint8_t *payload, size_t len, kb_err *err)
{
    struct kb_pb_exec_req r;
    struct kb_process check = { 0 };
    struct shim_proc *p = NULL;
    int slot = -1, code = 0;

    if (kb_pb_decode(&kb_pb_exec_req_msg, payload, len, &r, err) < 0) {
        code = KB_TTRPC_INVALID_ARGUMENT;
        goto out;
    }
    for (int i = 0; i < SHIM_MAX_EXECS && slot < 0; i++)
        if (!t->execs[i])
            slot = i;
    if (!r.id || strcmp(r.id, t->id) != 0)
        code = (kb_error(err, ENOENT, "task %s: not found", r.id ? r.id : ""), KB_TTRPC_NOT_FOUND);
    else if (!r.exec_id || !r.exec_id[0])
        code = (kb_error(err, EINVAL, "Exec: exec_id is required"), KB_TTRPC_INVALID_ARGUMENT);
    else if (shim_exec_find(t, r.exec_id))
        code = (kb_error(err, EEXIST, "id %s: already exists", r.exec_id), KB_TTRPC_ALREADY_EXISTS);
    else if (t->init.status != KB_TASK_RUNNING && t->init.status != KB_TASK_PAUSED)
        code = (kb_error(err, EINVAL, "container %s is not running: failed precondition", t->id),
                KB_TTRPC_FAILED_PRECONDITION);
    else if (slot < 0)
        code = (kb_error(err, EBUSY, "task %s has %d execs already", t->id, SHIM_MAX_EXECS),
                KB_TTRPC_RESOURCE_EXHAUSTED);
    else if (!r.spec || !r.spec->type_url || strcmp(r.spec->type_url, PROCESS_TYPE) != 0)
        code = (kb_error(err, EINVAL, "Exec %s: spec is not a %s", r.exec_id, PROCESS_TYPE),
                KB_TTRPC_INVALID_ARGUMENT);
    else if (kb_process_parse((const char *)r.spec->value, r.spec->value_len, &check, err) < 0)
        code = (kb_error_wrap(err, "Exec %s: process", r.exec_id), KB_TTRPC_INVALID_ARGUMENT);
    kb_process_free(&check);
    if (code)
        goto out;
    p = calloc(1, sizeof *p);
    if (!p || !(p->exec_id = strdup(r.exec_id)) || !(p->spec = malloc(r.spec->value_len))) {
        code = (kb_error(err, ENOMEM, "Exec %s", r.exec_id), KB_TTRPC_RESOURCE_EXHAUSTED);
        goto out;
    }
    memcpy(p->spec, r.spec->value, r.spec->value_len);
    p->spec_len = r.spec->value_len;
    p->stdin_path = dup_or_null(r.stdin_path);
    p->stdout_path = dup_or_null(r.stdout_path);
    p->stderr_path = dup_or_null(r.stderr_path);
    p->terminal = r.terminal;
    p->status = KB_TASK_CREATED;
    p->conn = -1;
    p->io.stdin_keep = -1;
    t->execs[slot] = p;
    p = NULL;
    {
        struct kb_pb_ev_exec ev = { .container_id = t->id, .exec_id = r.exec_id };
        shim_event(f, "/tasks/exec-added", "containerd.events.TaskExecAdded", &kb_pb_ev_exec_msg, &ev);
    }
out:
    if (p) {
        shim_proc_fini(p);
        free(p);
    }
    kb_pb_free(&kb_pb_exec_req_msg, &r);
    return code;
}

int shim_exec_start(struct shim_task *t, const struct shim_flags *f, struct shim_proc *p, kb_err *err)
{
    struct kb_process proc = { 0 };
    struct kb_msg_exec x = { .container_id = t->id, .exec_id = "-" };
    int fds[3], conn = -1, r;
    uint32_t pid = 0;

    if (p->status != KB_TASK_CREATED)
        return kb_error(err, EINVAL, "process %s has run: failed precondition", p->exec_id),
               KB_TTRPC_FAILED_PRECONDITION;
    if (kb_process_parse(p->spec, p->spec_len, &proc, err) < 0) {
        kb_process_free(&proc);
        return KB_TTRPC_INVALID_ARGUMENT;
    }
    /* the keeper names the process; the whole OCI process goes to the guest */
    x.oci_process = (uint8_t *)p->spec;
    x.oci_process_len = p->spec_len;
    x.process.args = proc.args;
    for (x.process.n_args = 0; proc.args[x.process.n_args]; x.process.n_args++)
        ;
    x.process.terminal = p->terminal;
    r = shim_stdio_open(f, t->id, p, fds, err);
    if (r == 0) {
        r = kb_keeper_exec(t->dir, &x, fds, &conn, &pid, err);
        for (int i = 0; i < 3; i++)
            close(fds[i]);
    }
    kb_process_free(&proc);
    if (r < 0) {
        /* it never ran: its waiters learn that now (runc's shim: exit status 255), no event */
        shim_stdio_release(&p->io);
        p->status = KB_TASK_STOPPED;
        p->exit_status = 255;
        shim_proc_exited(NULL, t, p, 255);
        return KB_TTRPC_UNKNOWN;
    }
    fcntl(conn, F_SETFL, fcntl(conn, F_GETFL) | O_NONBLOCK);
    p->conn = conn;
    p->pid = pid;
    p->status = KB_TASK_RUNNING;
    free(p->spec);
    p->spec = NULL;
    {
        struct kb_pb_ev_exec ev = { .container_id = t->id, .exec_id = p->exec_id, .pid = pid };
        shim_event(f, "/tasks/exec-started", "containerd.events.TaskExecStarted", &kb_pb_ev_exec_msg, &ev);
    }
    return 0;
}

int shim_exec_line(struct shim_proc *p, const char *line, kb_err *err)
{
    size_t n = strlen(line);

    if (p->conn < 0)
        return kb_error(err, ESRCH, "process %s is not running", p->exec_id);
    if (send(p->conn, line, n, MSG_NOSIGNAL) != (ssize_t)n)
        return kb_error_errno(err, "process %s: talk to its keeper", p->exec_id);
    return 0;
}

void shim_exec_remove(struct shim_task *t, struct shim_proc *p)
{
    for (int i = 0; i < SHIM_MAX_EXECS; i++)
        if (t->execs[i] == p)
            t->execs[i] = NULL;
    shim_proc_fini(p);
    free(p);
}

/* Every process of the daemon with a keeper connection: execs, and pod members' inits. */
static int procs_with_conn(struct shim_pod *pod, struct shim_task **tasks, struct shim_proc **procs, int max)
{
    int n = 0;

    for (int i = 0; i < SHIM_MAX_TASKS; i++) {
        struct shim_task *t = pod->tasks[i];
        if (!t)
            continue;
        if (t->init.conn >= 0 && n < max) {
            tasks[n] = t;
            procs[n++] = &t->init;
        }
        for (int j = 0; j < SHIM_MAX_EXECS && n < max; j++)
            if (t->execs[j] && t->execs[j]->conn >= 0) {
                tasks[n] = t;
                procs[n++] = t->execs[j];
            }
    }
    return n;
}

int shim_exec_pollfds(struct shim_pod *pod, struct pollfd *p, int max)
{
    struct shim_task *tasks[SHIM_MAX_POLLED];
    struct shim_proc *procs[SHIM_MAX_POLLED];
    int n = procs_with_conn(pod, tasks, procs, max < SHIM_MAX_POLLED ? max : SHIM_MAX_POLLED);

    for (int i = 0; i < n; i++)
        p[i] = (struct pollfd){ .fd = procs[i]->conn, .events = POLLIN };
    return n;
}

/* Bytes from the keeper: "exit N\n" ends it; EOF or anything else means the keeper is gone or confused, and the
 * process is counted as killed (255, as a shim that lost its process reports). */
static void exec_input(struct shim_task *t, const struct shim_flags *f, struct shim_proc *p)
{
    for (;;) {
        ssize_t got = read(p->conn, p->line + p->line_len, 1);
        char *end;
        long v;

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno == EAGAIN)
            return;
        if (got == 1 && p->line[p->line_len] != '\n') {
            if (++p->line_len < sizeof p->line - 1)
                continue;
            got = 0;    /* no line of ours is that long */
        }
        if (got == 1) {
            p->line[p->line_len] = '\0';
            p->line_len = 0;
            if (!strncmp(p->line, "oom ", 4) && !p->exec_id) {
                /* a pod member's cgroup saw OOM kills: containerd hears it before the exit */
                shim_oom_event(f, t);
                continue;
            }
            v = -1;
            if (!strncmp(p->line, "exit ", 5)) {
                v = strtol(p->line + 5, &end, 10);
                if (*end || end == p->line + 5 || v > 255)
                    v = -1;
            }
        } else {
            v = -1;
        }
        close(p->conn);
        p->conn = -1;
        shim_proc_exited(f, t, p, v < 0 ? 255u : (uint32_t)v);
        return;
    }
}

void shim_exec_polled(struct shim_pod *pod, const struct shim_flags *f, const struct pollfd *p, int n)
{
    struct shim_task *tasks[SHIM_MAX_POLLED];
    struct shim_proc *procs[SHIM_MAX_POLLED];
    int m = procs_with_conn(pod, tasks, procs, SHIM_MAX_POLLED);

    for (int j = 0; j < n; j++) {
        if (!p[j].revents)
            continue;
        for (int i = 0; i < m; i++)
            if (procs[i]->conn == p[j].fd) {
                exec_input(tasks[i], f, procs[i]);
                break;
            }
    }
}
