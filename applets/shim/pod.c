/* Pod members: a task whose annotations name this daemon's pod sandbox
 * runs in the sandbox's VM. Its keeper gets the CreateTaskRequest as
 * containerd sent it and the task's stdio ("container LEN", keeper.c);
 * the connection stays open, polled with the execs', and says "exit N"
 * when the container ends (exec.c). Its other commands go to the same
 * keeper as "in ID COMMAND". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "../../core/sandbox/keeper.h"
#include "task.h"

int shim_pod_join(struct shim_task *t, const struct shim_task *owner, const struct shim_flags *f,
                  const uint8_t *payload, size_t len, kb_err *err)
{
    char rest[64];
    int fds[3], conn = -1, r;

    t->member = 1;
    snprintf(t->dir, sizeof t->dir, "%s", owner->dir);
    /* the process that holds the VM, as the sandbox's pid is: the container's own lives in the guest */
    t->init.pid = owner->init.pid;
    if (shim_stdio_open(f, t->id, &t->init, fds, err) < 0)
        return -1;
    r = kb_keeper_attach(t->dir, "container", payload, len, fds, &conn, rest, sizeof rest, err);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    if (r < 0) {
        shim_stdio_release(&t->init.io);
        return kb_error_wrap(err, "join the pod's sandbox %s", owner->id);
    }
    fcntl(conn, F_SETFL, fcntl(conn, F_GETFL) | O_NONBLOCK);
    t->init.conn = conn;
    return 0;
}

void shim_pod_leave(struct shim_task *t)
{
    char rest[8];
    kb_err err;

    /* the keeper may be gone with the VM: then so is everything it held */
    (void)shim_keeper_ask(t, "delete", NULL, 0, rest, sizeof rest, &err);
    if (t->init.conn >= 0)
        close(t->init.conn);
    t->init.conn = -1;
}
