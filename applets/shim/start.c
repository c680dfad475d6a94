/* `start`: bind the task's socket where containerd's convention puts it,
 * write the bundle's address file, fork the daemon, print the address.
 * `delete`: clean up after a daemon that is gone, and say so as
 * containerd expects (a DeleteResponse on stdout). */
#include <bearssl_hash.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../core/oci/spec.h"
#include "../../core/sandbox/sandbox.h"
#include "../../core/sandbox/state.h"
#include "../../core/shim/task_pb.h"
#include "../../core/util.h"
#include "shim.h"

/* /run/containerd/s/<sha256 of "address/namespace/id">: containerd's own rule */
static int socket_path(const struct shim_flags *f, const char *id, char *out, size_t len, kb_err *err)
{
    br_sha256_context h;
    unsigned char sum[32];
    char text[PATH_MAX * 2];
    int n = snprintf(text, sizeof text, "%s/%s/%s", f->address ? f->address : "", f->namespace, id);

    if (n < 0 || (size_t)n >= sizeof text)
        return kb_error(err, ENAMETOOLONG, "socket address of %s", id);
    br_sha256_init(&h);
    br_sha256_update(&h, text, (size_t)n);
    br_sha256_out(&h, sum);
    n = snprintf(out, len, "/run/containerd/s/");
    for (int i = 0; i < 32; i++)
        n += snprintf(out + n, len - (size_t)n, "%02x", sum[i]);
    return 0;
}

void shim_state_dir(const struct shim_flags *f, const char *id, char *out, size_t len)
{
    br_sha256_context h;
    unsigned char sum[32];
    int n;

    /* the VM's sockets live in it: a 64-character CRI id would not leave them room. '%' is in no
     * container id, so a hashed name is never someone's id */
    if (strlen(id) <= 32) {
        snprintf(out, len, "%s/%s/%s", SHIM_STATE_ROOT, f->namespace, id);
        return;
    }
    br_sha256_init(&h);
    br_sha256_update(&h, id, strlen(id));
    br_sha256_out(&h, sum);
    n = snprintf(out, len, "%s/%s/%%", SHIM_STATE_ROOT, f->namespace);
    for (int i = 0; i < 12 && n > 0 && (size_t)n < len; i++)
        n += snprintf(out + n, len - (size_t)n, "%02x", sum[i]);
}

static int listen_on(const char *path, kb_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof sa.sun_path)
        return kb_error(err, ENAMETOOLONG, "socket %s", path);
    strcpy(sa.sun_path, path);
    if (kb_mkdir_p("/run/containerd/s", 0711, err) < 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return kb_error_errno(err, "socket");
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        if (errno != EADDRINUSE) {
            kb_error_errno(err, "bind %s", path);
            close(fd);
            return -1;
        }
        /* a daemon killed with SIGKILL leaves its socket: reuse it only if nobody answers */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int alive = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0;
        if (probe >= 0)
            close(probe);
        if (alive) {
            close(fd);
            return kb_error(err, EADDRINUSE, "a shim already serves %s", path);
        }
        unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            kb_error_errno(err, "bind %s", path);
            close(fd);
            return -1;
        }
    }
    if (chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
        close(fd);
        unlink(path);
        return kb_error_errno(err, "listen on %s", path);
    }
    return fd;
}

/* exactly the address, no newline: containerd reads it verbatim after a restart */
static int write_address(const char *address, kb_err *err)
{
    int fd = open(".address", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t n = strlen(address);

    if (fd < 0)
        return kb_error_errno(err, "write the address file");
    if (write(fd, address, n) != (ssize_t)n || close(fd) < 0 || rename(".address", "address") < 0)
        return kb_error_errno(err, "write the address file");
    return 0;
}

/* A container of a pod: its sandbox's daemon serves it, in the sandbox's VM. */
static int join_sandbox(const struct shim_flags *f, const char *sandbox, kb_err *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char address[300];
    int fd, alive;

    if (socket_path(f, sandbox, sa.sun_path, sizeof sa.sun_path, err) < 0)
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    alive = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    if (!alive)
        return kb_error(err, ENOENT, "the shim of sandbox %s does not answer on %s", sandbox, sa.sun_path);
    snprintf(address, sizeof address, "unix://%s", sa.sun_path);
    if (write_address(address, err) < 0)
        return -1;
    printf("%s", address);
    fflush(stdout);
    return 0;
}

int shim_start(const struct shim_flags *f, kb_err *err)
{
    char path[256], address[300], buf[4096];
    struct kb_spec spec;
    const char *type, *sandbox;
    pid_t pid;
    int lfd;

    /* the options (an Any) come on stdin: read to EOF, not needed yet */
    while (read(0, buf, sizeof buf) > 0)
        ;
    if (kb_spec_load("config.json", &spec, err) < 0)
        return -1;
    type = kb_spec_annotation(&spec, SHIM_CONTAINER_TYPE);
    sandbox = kb_spec_annotation(&spec, SHIM_SANDBOX_ID);
    if (type && !strcmp(type, "container") && sandbox) {
        int r = join_sandbox(f, sandbox, err);
        kb_spec_free(&spec);
        return r;
    }
    kb_spec_free(&spec);
    if (socket_path(f, f->id, path, sizeof path, err) < 0)
        return -1;
    lfd = listen_on(path, err);
    if (lfd < 0)
        return -1;
    snprintf(address, sizeof address, "unix://%s", path);
    if (write_address(address, err) < 0) {
        close(lfd);
        unlink(path);
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        close(lfd);
        unlink(path);
        return kb_error_errno(err, "fork the daemon");
    }
    if (pid == 0) {
        /* containerd waits for EOF on our stdout and stderr: the daemon lets go of them */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        int log = open("log", O_RDWR | O_CLOEXEC); /* the fifo containerd reads */
        setsid();
        dup2(null, 0);
        dup2(null, 1);
        dup2(log >= 0 ? log : null, 2);
        if (null > 2)
            close(null);
        if (log > 2)
            close(log);
        struct shim_flags df = *f;
        df.socket_path = path;
        _exit(shim_serve(&df, lfd));
    }
    close(lfd);
    printf("%s", address);
    fflush(stdout);
    return 0;
}

int shim_delete(const struct shim_flags *f, kb_err *err)
{
    char dir[PATH_MAX], rootfs[PATH_MAX];
    struct kb_state st;
    struct timespec now;
    struct kb_pb_timestamp ts;
    struct kb_pb_delete_resp resp = { .exit_status = 137, .exited_at = &ts };
    struct kb_buf out = { 0 };

    /* what a dead daemon left: its keeper (QEMU dies with it), the state dir, the rootfs mount */
    shim_state_dir(f, f->id, dir, sizeof dir);
    if (kb_state_read(dir, &st, err) == 0 && strcmp(st.status, "stopped") != 0) {
        kill(st.pid, SIGKILL);
        for (int i = 0; i < 500 && kb_pid_start_time(st.pid) == st.pid_start; i++)
            usleep(10000);
    }
    kb_state_free(&st);
    kb_sandbox_remove_state(dir);
    snprintf(rootfs, sizeof rootfs, "%s/rootfs", f->bundle ? f->bundle : ".");
    umount2(rootfs, MNT_DETACH);
    clock_gettime(CLOCK_REALTIME, &now);
    ts = (struct kb_pb_timestamp){ .seconds = (uint64_t)now.tv_sec, .nanos = (uint32_t)now.tv_nsec };
    if (kb_pb_encode(&kb_pb_delete_resp_msg, &resp, &out, err) < 0)
        return -1;
    fwrite(out.data, 1, out.len, stdout);
    kb_buf_free(&out);
    return 0;
}
