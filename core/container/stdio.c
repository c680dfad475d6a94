/* The container's fds and signals: nothing of the caller (the agent's
 * connection, other containers' pipes, its signal mask) may reach the
 * container. fds are closed at once rather than marked close-on-exec: a
 * created container can wait a long time for start, and must not keep
 * another container's stdin pipe open meanwhile. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

/* The kernel's struct sigaction on x86-64, for the signals libc keeps to
 * itself (32-34) and refuses in sigaction(): an ignored one is inherited
 * across exec, so the container would start with it ignored. */
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

void kb_ctr_reset_signals(void)
{
    struct sigaction sa = { .sa_handler = SIG_DFL };
    struct kernel_sigaction ksa = { .handler = SIG_DFL };
    sigset_t none;

    for (int sig = 1; sig < _NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        if (sigaction(sig, &sa, NULL) < 0)
            syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof ksa.mask);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Close every fd from `from` up, without close_range when the kernel lacks
 * it (before 5.9). */
static int close_from(int from, kb_err *err)
{
    DIR *d;
    struct dirent *de;

    if (syscall(SYS_close_range, (unsigned)from, ~0u, 0) == 0)
        return 0;
    if (errno != ENOSYS)
        return kb_error_errno(err, "close_range");
    d = opendir("/proc/self/fd");
    if (!d)
        return kb_error_errno(err, "/proc/self/fd");
    /* closing while reading is fine: readdir of /proc/self/fd walks the table by number */
    while ((de = readdir(d))) {
        char *end;
        long fd = strtol(de->d_name, &end, 10);
        if (*end || end == de->d_name || fd < from || fd == dirfd(d))
            continue;
        close((int)fd);
    }
    closedir(d);
    return 0;
}

int kb_ctr_setup_stdio(const struct kb_ctr_io *io, int *sync, kb_err *err)
{
    int want[3] = { io->in, io->out, io->err }, high[4];
    _cleanup_close_ int null = -1;

    /* terminal mode: /dev/null until the pty of the container exists (console.c) */
    if (io->console)
        want[0] = want[1] = want[2] = -1;
    if (want[0] < 0 || want[1] < 0 || want[2] < 0) {
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
            return kb_error_errno(err, "open /dev/null");
        for (int i = 0; i < 3; i++)
            if (want[i] < 0)
                want[i] = null;
    }
    /* copies above 2 first: a wanted fd may itself be one of 0..2 */
    for (int i = 0; i < 4; i++) {
        high[i] = fcntl(i < 3 ? want[i] : *sync, F_DUPFD_CLOEXEC, 3);
        if (high[i] < 0)
            return kb_error_errno(err, "dup fd %d", i < 3 ? want[i] : *sync);
    }
    for (int i = 0; i < 3; i++)
        if (dup2(high[i], i) < 0)
            return kb_error_errno(err, "dup2 onto fd %d", i);
    if (high[3] != 3 && dup3(high[3], 3, O_CLOEXEC) < 0)
        return kb_error_errno(err, "dup3 the sync channel");
    *sync = 3;
    if (close_from(4, err) < 0)
        return -1;
    null = -1; /* closed above */
    return 0;
}
