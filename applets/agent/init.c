/* The guest agent as PID 1: bring up the guest's file systems and console,
 * find the agent's port and serve the host there with the agent protocol
 * (server.c) until told to power off. Without a port (`katabox boot
 * --console-channel`, to time foreign kernels) it speaks two status lines on
 * the console instead: ready, and power-off on request. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../../core/err.h"
#include "../../core/linebuf.h"
#include "../../core/ready.h"
#include "../../core/util.h"
#include "../../core/version.h"
#include "../../core/hypervisor/qemu.h"
#include "../applets.h"
#include "agent.h"
#include "port.h"
#include "switchroot.h"

struct guest_mount {
    const char *source, *target, *fstype;
    unsigned long flags;
    const char *data;
};

/* in order: later targets live inside earlier ones */
static const struct guest_mount guest_mounts[] = {
    { "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
    { "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
    { "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
    { "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666" },
    { "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" },
    { "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755" },
    { "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777" },
    { "cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL },
};

static int mount_all(kb_err *err)
{
    for (size_t i = 0; i < KB_ARRAY_SIZE(guest_mounts); i++) {
        const struct guest_mount *m = &guest_mounts[i];

        if (mkdir(m->target, 0755) < 0 && errno != EEXIST)
            return kb_error_errno(err, "mkdir %s", m->target);
        if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0)
            return kb_error_errno(err, "mount %s on %s", m->fstype, m->target);
    }
    return 0;
}

/* The console becomes our controlling terminal, without echo: the host
 * reads what we write and must not see its own commands come back. */
static void setup_console(void)
{
    struct termios t;

    setsid();
    ioctl(0, TIOCSCTTY, 1);
    if (tcgetattr(0, &t) == 0) {
        t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
        tcsetattr(0, TCSANOW, &t);
    }
}

/* Where the host listens: the agent's virtio-serial port, or the console
 * when the VM was started without one. */
struct channel {
    int in, out;
};

static void say(const struct channel *ch, const char *s)
{
    (void)kb_write_all(ch->out, s, strlen(s));
}

static uint64_t boottime_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_BOOTTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int announce_ready(const struct channel *ch, kb_err *err)
{
    uint64_t ns = boottime_ns();
    char line[256];

    if (kb_ready_format(line, sizeof line, ns, kb_version()) < 0)
        return kb_error(err, EOVERFLOW, "format the ready line");
    say(ch, line);
    return 0;
}

/* Never returns: PID 1 must not exit. QEMU runs with -no-reboot, so a reset
 * ends it; our kernel has no ACPI to power off through (see guestkernel/). */
static void __attribute__((noreturn)) power_off(const struct channel *ch)
{
    /* with the agent protocol, SHUTDOWN's answer says it; the console stays the kernel's */
    if (ch)
        say(ch, KB_READY_PREFIX "power-off\n");
    sync();
    reboot(RB_AUTOBOOT);
    /* only reached if the reset failed: panicking resets the VM too */
    _exit(1);
}

enum { CMD_NONE, CMD_POWEROFF };

static int on_command(void *ctx, const char *line, size_t len, int truncated)
{
    (void)len;
    if (!truncated && strcmp(line, "poweroff") == 0)
        return CMD_POWEROFF;
    if (*line)
        say(ctx, KB_READY_PREFIX "unknown command\n");
    return CMD_NONE;
}

static void serve(const struct channel *ch)
{
    struct kb_linebuf lb = { 0 };
    char buf[512];

    for (;;) {
        ssize_t n = read(ch->in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the host is gone */
        if (kb_linebuf_feed(&lb, buf, (size_t)n, on_command, (void *)ch) == CMD_POWEROFF)
            return;
    }
}

/* Is param (say KB_AGENT_PORT_PARAM) a word of the kernel command line? */
static int cmdline_has(const char *param)
{
    _cleanup_free_ char *cmdline = NULL;
    kb_err ignored;
    size_t n = strlen(param);

    if (kb_read_file("/proc/cmdline", 4096, &cmdline, NULL, &ignored) < 0)
        return 0;
    for (char *p = strstr(cmdline, param); p; p = strstr(p + 1, param))
        if ((p == cmdline || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return 1;
    return 0;
}

/* Serve the host on vsock: one host connection at a time, and while it is
 * served nobody else may connect. A host that gave up before its HELLO
 * (its boot wait ended) makes room for the next. Returns on failure only. */
static int serve_vsock(kb_err *err)
{
    uint64_t ready = boottime_ns();

    for (;;) {
        int l = agent_listen_vsock(KB_AGENT_VSOCK_PORT, err), fd;

        if (l < 0)
            return -1;
        do
            fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        close(l);
        if (fd < 0)
            return kb_error_errno(err, "accept on vsock port %d", KB_AGENT_VSOCK_PORT);
        if (agent_serve(fd, ready, false) == 0)
            return 0;
    }
}

int agent_main(int argc, char **argv)
{
    struct channel ch = { 0, 1 };
    kb_err err;
    int port;

    (void)argc;
    if (getpid() != 1) {
        fprintf(stderr, "katabox: kata-agent: the agent runs only as PID 1 inside the VM\n");
        return 1;
    }
    if (agent_leave_initramfs(argv, &err) < 0 || mount_all(&err) < 0) {
        kb_error_print("kata-agent", &err);
        power_off(&ch);
    }
    setup_console();
    if (cmdline_has(KB_AGENT_VSOCK_PARAM)) {
        if (serve_vsock(&err) < 0)
            kb_error_print("kata-agent", &err);
        power_off(NULL);
    }
    port = agent_open_port("/sys/class/virtio-ports", KB_AGENT_PORT_NAME, 2000, &err);
    if (port >= 0) {
        agent_serve(port, boottime_ns(), true);
        power_off(NULL);
    }
    if (cmdline_has(KB_AGENT_PORT_PARAM)) {
        /* the host listens only there: say why on the console and stop */
        kb_error_print("kata-agent", &err);
        power_off(&ch);
    }
    if (announce_ready(&ch, &err) < 0) {
        kb_error_print("kata-agent", &err);
        power_off(&ch);
    }
    serve(&ch);
    power_off(&ch);
}
