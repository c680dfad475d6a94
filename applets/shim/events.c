/* Events to containerd through its publish binary, as containerd 1.6's own
 * shims may: `BIN --address ADDR publish --topic T --namespace NS` with a
 * google.protobuf.Any on stdin. One at a time and waited for, so that they
 * arrive in the order the task service sends them (create, start, exit,
 * delete). A failure is logged, never fatal: ctr learns exits from Wait. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/shim/task_pb.h"
#include "shim.h"

void shim_publish(const struct shim_flags *f, const char *topic, const char *type_url, const struct kb_buf *payload)
{
    struct kb_pb_any any = { .type_url = (char *)type_url, .value = payload->data, .value_len = payload->len };
    struct kb_buf out = { 0 };
    kb_err err;
    int p[2], status = 0;
    pid_t pid;

    if (!f->publish_binary || !f->address)
        return;
    if (kb_pb_encode(&kb_pb_any_msg, &any, &out, &err) < 0 || pipe2(p, O_CLOEXEC) < 0) {
        kb_buf_free(&out);
        return;
    }
    pid = fork();
    if (pid == 0) {
        dup2(p[0], 0);
        execl(f->publish_binary, f->publish_binary, "--address", f->address, "publish", "--topic", topic,
              "--namespace", f->namespace, (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    if (pid > 0 && out.len)
        (void)!write(p[1], out.data, out.len);
    close(p[1]);
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        fprintf(stderr, "katabox: %s: publish %s failed\n", SHIM_APPLET, topic);
    kb_buf_free(&out);
}
