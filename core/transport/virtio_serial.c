/* The agent on a virtio-serial port: QEMU serves the port on a unix socket
 * in the state dir, and the guest finds the port by name (KB_AGENT_PORT_NAME). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util.h"
#include "transport.h"

static int configure(struct kb_channel *ch, struct kb_vm_config *cfg, const char *state_dir,
                     kb_err *err)
{
    struct sockaddr_un sa;
    char *endpoint = ch->endpoint;

    if ((size_t)snprintf(endpoint, sizeof ch->endpoint, "%s/agent.sock", state_dir) >=
            sizeof ch->endpoint ||
        strlen(endpoint) >= sizeof sa.sun_path)
        return kb_error(err, ENAMETOOLONG,
                        "agent socket %s/agent.sock: longer than a unix socket path (%zu bytes); "
                        "use a shorter --root", state_dir, sizeof sa.sun_path - 1);
    cfg->agent_socket = endpoint;
    return 0;
}

/* QEMU creates the socket while it starts: connect as soon as it is there,
 * or report why QEMU never got that far. */
static int connect_port(struct kb_channel *ch, struct kb_vm *vm, const struct kb_connect_opts *o,
                        kb_err *err)
{
    const char *path = ch->endpoint;
    unsigned timeout_ms = o->timeout_ms;
    uint64_t deadline = kb_now_ns() + (uint64_t)timeout_ms * 1000000u;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    if (strlen(path) >= sizeof sa.sun_path)
        return kb_error(err, ENAMETOOLONG, "agent socket path %s is too long", path);
    strcpy(sa.sun_path, path);
    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
            return kb_error_errno(err, "agent socket");
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
            return fd;
        close(fd);
        if (errno != ENOENT && errno != ECONNREFUSED)
            return kb_error_errno(err, "connect to the agent socket %s", path);
        if (!kb_vm_running(vm)) {
            kb_vm_settle(vm, 1000);
            kb_error(err, 0, "QEMU exited before it opened the agent socket");
            kb_vm_explain(vm, err);
            return -1;
        }
        if (kb_now_ns() > deadline)
            return kb_error(err, ETIMEDOUT, "QEMU did not open the agent socket %s within %u ms",
                            path, timeout_ms);
        usleep(2000);
    }
}

const struct kb_transport kb_transport_virtio_serial = {
    .name = "virtio-serial",
    .configure = configure,
    .connect = connect_port,
    .release = NULL, /* QEMU owns the socket; the state dir's removal takes the file */
};
