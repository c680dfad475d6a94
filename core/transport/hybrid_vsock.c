/* The agent over our own vhost-user-vsock back-end (core/vsock/): QEMU
 * hands the device's rings to the back-end's thread, and we reach the
 * agent's vsock port as any hybrid-vsock client does, with "CONNECT 1024"
 * on the back-end's unix socket. The connection only completes once the
 * agent listens, so connect() is also the wait for the guest's boot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util.h"
#include "transport.h"

/* Any CID above 2 will do: each VM has a back-end of its own, so CIDs
 * never meet (3 is what Firecracker's examples use). */
#define HYBRID_GUEST_CID 3

static int socket_path(char *buf, size_t len, const char *dir, const char *name, kb_err *err)
{
    struct sockaddr_un sa;

    /* "_<port>" is appended for guest-initiated connections: keep room */
    if ((size_t)snprintf(buf, len, "%s/%s", dir, name) >= len ||
        strlen(buf) + 11 >= sizeof sa.sun_path)
        return kb_error(err, ENAMETOOLONG,
                        "%s/%s: longer than a unix socket path (%zu bytes); use a shorter --root",
                        dir, name, sizeof sa.sun_path - 12);
    return 0;
}

static int configure(struct kb_channel *ch, struct kb_vm_config *cfg, const char *state_dir,
                     kb_err *err)
{
    if (socket_path(ch->endpoint, sizeof ch->endpoint, state_dir, "vsock.sock", err) < 0 ||
        socket_path(ch->vhost_path, sizeof ch->vhost_path, state_dir, "vhost.sock", err) < 0)
        return -1;
    if (kb_vsock_service_start(&ch->vsock, ch->vhost_path, ch->endpoint, HYBRID_GUEST_CID, err) < 0)
        return kb_error_wrap(err, "start the vsock back-end");
    cfg->vsock_user_socket = ch->vhost_path;
    return 0;
}

/* One attempt: 1 and *fd connected to the agent, 0 the guest refused
 * (nothing listens yet), <0 failure. */
static int attempt(struct kb_channel *ch, struct kb_vm *vm, uint64_t deadline, int abort_fd,
                   int *out, kb_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char line[32];
    size_t len = 0;
    int n, r;
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return kb_error_errno(err, "socket");
    strcpy(sa.sun_path, ch->endpoint);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return kb_error_errno(err, "connect to the vsock back-end %s", ch->endpoint);
    n = snprintf(line, sizeof line, "CONNECT %u\n", KB_AGENT_VSOCK_PORT);
    if (kb_write_all(fd, line, (size_t)n) < 0)
        return kb_error_errno(err, "write to the vsock back-end");
    /* byte by byte: what follows the answer's newline is the agent's */
    while (len < sizeof line - 1) {
        r = kb_transport_wait(vm, fd, POLLIN, deadline, abort_fd, err);
        if (r <= 0)
            return r < 0 ? -1 : kb_error(err, ETIMEDOUT, "timed out");
        n = (int)read(fd, line + len, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == ECONNRESET)
            return 0;
        if (n < 0)
            return kb_error_errno(err, "read from the vsock back-end");
        if (n == 0)
            return 0;
        if (line[len++] == '\n') {
            line[len - 1] = '\0';
            if (strncmp(line, "OK ", 3) != 0)
                return kb_error(err, EPROTO, "vsock back-end answered '%s' to CONNECT", line);
            *out = kb_steal_fd(&fd);
            return 1;
        }
    }
    return kb_error(err, EPROTO, "vsock back-end's answer to CONNECT is too long");
}

static int connect_agent(struct kb_channel *ch, struct kb_vm *vm, const struct kb_connect_opts *o,
                         kb_err *err)
{
    return kb_transport_retry(ch, vm, o, attempt, "hybrid vsock port 1024", err);
}

static void release(struct kb_channel *ch)
{
    kb_vsock_service_stop(&ch->vsock);
}

const struct kb_transport kb_transport_hybrid_vsock = {
    .name = "hybrid-vsock",
    .configure = configure,
    .connect = connect_agent,
    .release = release,
};
