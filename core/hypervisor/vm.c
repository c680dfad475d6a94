#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util.h"

static int exit_error(struct kb_vm *vm, kb_err *err, const char *when);

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Child side of the spawn: never returns. Reports an exec failure's errno
 * through `report` (close-on-exec, so a successful exec closes it silently). */
static void exec_qemu(char **argv, int console, int qemu_err, int report, int keep_fd)
{
    sigset_t none;
    int e;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* huge pages inflate an emulated guest's RSS for no speed-up */
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
    if (dup2(console, 0) < 0 || dup2(console, 1) < 0 || dup2(qemu_err, 2) < 0)
        goto fail;
    /* the one fd QEMU is told about by number (vhost-vsock's vhostfd) */
    if (keep_fd > 2 && fcntl(keep_fd, F_SETFD, 0) < 0)
        goto fail;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execvp(argv[0], argv);
fail:
    e = errno;
    (void)!write(report, &e, sizeof e);
    _exit(127);
}

int kb_vm_start(struct kb_vm *vm, const struct kb_vm_config *cfg, const char *console_log, kb_err *err)
{
    struct kb_argv argv = { 0 };
    int sv[2] = { -1, -1 }, ep[2] = { -1, -1 }, rp[2] = { -1, -1 };
    int child_errno = 0;
    ssize_t n;

    memset(vm, 0, sizeof *vm);
    vm->console = vm->qemu_err = vm->log_fd = -1;

    if (kb_qemu_argv(cfg, &argv, err) < 0)
        return -1;
    if (console_log) {
        vm->log_fd = open(console_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (vm->log_fd < 0) {
            kb_argv_free(&argv);
            return kb_error_errno(err, "open console log %s", console_log);
        }
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
        pipe2(ep, O_CLOEXEC) < 0 || pipe2(rp, O_CLOEXEC) < 0) {
        kb_error_errno(err, "start %s: pipes", argv.v[0]);
        goto fail;
    }
    vm->t_spawn = kb_now_ns();
    vm->pid = fork();
    if (vm->pid < 0) {
        vm->pid = 0;
        kb_error_errno(err, "start %s: fork", argv.v[0]);
        goto fail;
    }
    if (vm->pid == 0)
        exec_qemu(argv.v, sv[1], ep[1], rp[1], cfg->vsock_cid ? cfg->vsock_fd : -1);
    close_fd(&sv[1]);
    close_fd(&ep[1]);
    close_fd(&rp[1]);
    do
        n = read(rp[0], &child_errno, sizeof child_errno);
    while (n < 0 && errno == EINTR);
    close_fd(&rp[0]);
    if (n == (ssize_t)sizeof child_errno) {
        kb_error(err, child_errno, "start %s", argv.v[0]);
        goto fail;
    }
    vm->console = sv[0];
    vm->qemu_err = ep[0];
    vm->has_agent_port = kb_vm_config_has_agent_channel(cfg);
    kb_argv_free(&argv);
    return 0;

fail:
    close_fd(&sv[0]);
    close_fd(&sv[1]);
    close_fd(&ep[0]);
    close_fd(&ep[1]);
    close_fd(&rp[0]);
    close_fd(&rp[1]);
    kb_argv_free(&argv);
    kb_vm_destroy(vm);
    return -1;
}

static void on_status(struct kb_vm *vm, const char *line, size_t len)
{
    struct kb_status st;
    int r = kb_status_parse(line, len, &st);

    if (r < 0)
        vm->bad_status_lines++;
    if (r <= 0)
        return;
    if (st.kind == KB_STATUS_READY && !vm->saw_ready) {
        vm->saw_ready = 1;
        vm->ready = st;
        vm->t_ready = kb_now_ns();
    }
    if (st.kind == KB_STATUS_POWEROFF)
        vm->saw_poweroff = 1;
}

static int on_console_line(void *ctx, const char *line, size_t len, int truncated)
{
    struct kb_vm *vm = ctx;

    /* after a panic the console is a stack dump: keep the lines that led to it */
    if (!vm->saw_panic) {
        snprintf(vm->tail[vm->tail_next], sizeof vm->tail[0], "%s%s", line, truncated ? "..." : "");
        vm->tail_next = (vm->tail_next + 1) % KB_VM_TAIL_LINES;
        if (strstr(line, "Kernel panic"))
            vm->saw_panic = 1;
    }
    /* with an agent port, the console is only the kernel's log */
    if (!truncated && !vm->has_agent_port)
        on_status(vm, line, len);
    return 0;
}

static void reap(struct kb_vm *vm, int options)
{
    int status;
    pid_t r;

    if (!vm->pid)
        return;
    do
        r = waitpid(vm->pid, &status, options);
    while (r < 0 && errno == EINTR);
    if (r == vm->pid) {
        vm->exited = 1;
        vm->status = status;
        vm->t_exit = kb_now_ns();
        vm->pid = 0;
    }
}

/* Keep the first bytes QEMU writes to stderr, for error messages. */
static void keep_qemu_msg(struct kb_vm *vm, const char *buf, size_t n)
{
    size_t room = sizeof vm->qemu_msg - 1 - vm->qemu_msg_len;
    size_t take = n < room ? n : room;

    memcpy(vm->qemu_msg + vm->qemu_msg_len, buf, take);
    vm->qemu_msg_len += take;
    vm->qemu_msg[vm->qemu_msg_len] = '\0';
}

int kb_vm_pollfds(const struct kb_vm *vm, struct pollfd *p)
{
    p[0] = (struct pollfd){ vm->console, POLLIN, 0 };
    p[1] = (struct pollfd){ vm->qemu_err, POLLIN, 0 };
    return 2;
}

void kb_vm_service(struct kb_vm *vm, const struct pollfd *p, int n)
{
    char buf[4096];
    ssize_t r;

    if (n > 1 && p[1].revents && vm->qemu_err >= 0) {
        r = read(vm->qemu_err, buf, sizeof buf);
        if (r <= 0)
            close_fd(&vm->qemu_err);
        else
            keep_qemu_msg(vm, buf, (size_t)r);
    }
    if (n > 0 && p[0].revents && vm->console >= 0) {
        r = read(vm->console, buf, sizeof buf);
        if (r <= 0) {
            kb_linebuf_flush(&vm->lines, on_console_line, vm);
            close_fd(&vm->console);
        } else {
            if (vm->log_fd >= 0)
                (void)kb_write_all(vm->log_fd, buf, (size_t)r);
            /* the whole read is fed: lines after the ready line count too */
            kb_linebuf_feed(&vm->lines, buf, (size_t)r, on_console_line, vm);
        }
    }
    /* QEMU closed both: it is exiting */
    if (vm->console < 0 && vm->qemu_err < 0)
        reap(vm, WNOHANG);
}

int kb_vm_running(struct kb_vm *vm)
{
    if (vm->pid)
        reap(vm, WNOHANG);
    return vm->pid != 0;
}

void kb_vm_settle(struct kb_vm *vm, unsigned timeout_ms)
{
    uint64_t deadline = kb_now_ns() + (uint64_t)timeout_ms * 1000000u;

    /* drain what QEMU said even if it is already reaped: its last words matter */
    while (vm->console >= 0 || vm->qemu_err >= 0) {
        struct pollfd p[2];
        uint64_t now = kb_now_ns();
        if (now >= deadline)
            return;
        kb_vm_pollfds(vm, p);
        if (poll(p, 2, (int)((deadline - now) / 1000000) + 1) > 0)
            kb_vm_service(vm, p, 2);
    }
    /* a dying process closes its fds before it can be reaped */
    while (kb_vm_running(vm) && kb_now_ns() < deadline)
        usleep(2000);
}

/* Move console and stderr bytes until `want_ready` is met, QEMU exits, or
 * the deadline passes. Returns 1 when ready was seen, 0 on QEMU exit, -1
 * on time-out. */
static int pump(struct kb_vm *vm, uint64_t deadline, int want_ready)
{
    for (;;) {
        struct pollfd p[2];
        uint64_t now = kb_now_ns();
        int r;

        if (vm->console < 0 && vm->qemu_err < 0) {
            /* QEMU closed its stdio: it is exiting; give it until the deadline */
            while (vm->pid && kb_now_ns() < deadline) {
                reap(vm, WNOHANG);
                if (vm->pid)
                    usleep(2000);
            }
            return vm->pid ? -1 : 0;
        }
        if (now >= deadline)
            return -1;
        kb_vm_pollfds(vm, p);
        r = poll(p, 2, (int)((deadline - now) / 1000000) + 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        kb_vm_service(vm, p, 2);
        if (want_ready && vm->saw_ready)
            return 1;
    }
}

void kb_vm_explain(const struct kb_vm *vm, kb_err *err)
{
    size_t used = strlen(err->msg);
    unsigned shown = 0;

    for (unsigned i = 0; i < KB_VM_TAIL_LINES; i++) {
        const char *l = vm->tail[(vm->tail_next + i) % KB_VM_TAIL_LINES];
        if (!*l)
            continue;
        used += (size_t)snprintf(err->msg + used, used < sizeof err->msg ? sizeof err->msg - used : 0,
                                 "%s%s", shown++ ? " | " : "; guest console: ", l);
        if (used >= sizeof err->msg)
            return;
    }
    if (vm->qemu_msg_len && used < sizeof err->msg) {
        char msg[sizeof vm->qemu_msg];
        size_t n = vm->qemu_msg_len;
        memcpy(msg, vm->qemu_msg, n + 1);
        while (n && msg[n - 1] == '\n')
            msg[--n] = '\0';
        for (char *c = msg; *c; c++)
            if (*c == '\n')
                *c = ' ';
        snprintf(err->msg + used, sizeof err->msg - used, "; qemu: %s", msg);
    }
}

static int exit_error(struct kb_vm *vm, kb_err *err, const char *when)
{
    if (WIFEXITED(vm->status))
        kb_error(err, 0, "QEMU exited with status %d %s", WEXITSTATUS(vm->status), when);
    else
        kb_error(err, 0, "QEMU was killed by signal %d %s", WTERMSIG(vm->status), when);
    kb_vm_explain(vm, err);
    return -1;
}

int kb_vm_wait_ready(struct kb_vm *vm, unsigned timeout_ms, kb_err *err)
{
    uint64_t deadline = kb_now_ns() + (uint64_t)timeout_ms * 1000000u;
    int r;

    if (vm->has_agent_port)
        return kb_error(err, EINVAL, "the VM's agent speaks the agent protocol: use kb_agent_hello");
    if (vm->saw_ready)
        return 0;
    r = pump(vm, deadline, 1);
    if (r == 1)
        return 0;
    if (r == 0)
        return exit_error(vm, err, "before the guest was ready");
    kb_error(err, ETIMEDOUT, "the guest was not ready within %u ms", timeout_ms);
    kb_vm_explain(vm, err);
    return -1;
}

int kb_vm_wait_exit(struct kb_vm *vm, unsigned timeout_ms, kb_err *err)
{
    uint64_t deadline = kb_now_ns() + (uint64_t)timeout_ms * 1000000u;

    if (vm->pid && pump(vm, deadline, 0) < 0) {
        kb_error(err, ETIMEDOUT, "QEMU did not exit within %u ms of power-off", timeout_ms);
        kb_vm_explain(vm, err);
        return -1;
    }
    if (!WIFEXITED(vm->status) || WEXITSTATUS(vm->status) != 0)
        return exit_error(vm, err, "at power-off");
    return 0;
}

int kb_vm_poweroff(struct kb_vm *vm, unsigned timeout_ms, kb_err *err)
{
    static const char cmd[] = "poweroff\n";

    if (vm->has_agent_port)
        return kb_error(err, EINVAL, "the VM's agent speaks the agent protocol: send SHUTDOWN");
    if (!vm->pid)
        return exit_error(vm, err, "before it was told to power off");
    if (vm->console < 0)
        return kb_error(err, EPIPE, "send power-off to the guest: its console is closed");
    /* MSG_NOSIGNAL: QEMU may have died since; that is an error, not a SIGPIPE */
    if (send(vm->console, cmd, sizeof cmd - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof cmd - 1))
        return kb_error_errno(err, "send power-off to the guest");
    if (kb_vm_wait_exit(vm, timeout_ms, err) < 0)
        return -1;
    if (!vm->saw_poweroff) {
        kb_error(err, 0, "the guest stopped without powering off");
        kb_vm_explain(vm, err);
        return -1;
    }
    return 0;
}

void kb_vm_destroy(struct kb_vm *vm)
{
    if (vm->pid) {
        kill(vm->pid, SIGKILL);
        reap(vm, 0);
    }
    close_fd(&vm->console);
    close_fd(&vm->qemu_err);
    close_fd(&vm->log_fd);
}
