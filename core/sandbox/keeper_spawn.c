/* Forking a keeper and waiting until its container is created: what
 * `kata-runtime create` and the containerd shim both do. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keeper.h"

int kb_keeper_spawn(struct kb_keeper_opts *o, const int stdio[3], pid_t *pid, char *note, size_t note_len,
                    kb_err *err)
{
    char msg[1300];
    size_t n = 0;
    int ready[2];

    *pid = -1;
    if (pipe2(ready, O_CLOEXEC) < 0)
        return kb_error_errno(err, "pipe");
    o->ready_fd = ready[1];
    *pid = fork();
    if (*pid == 0) {
        close(ready[0]);
        if (stdio) {
            /* a daemon's child: its stdio, nothing else of the daemon's, no signal blocked */
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            for (int i = 0; i < 3; i++)
                dup2(stdio[i], i);
            for (int fd = 3; fd < 1024; fd++)
                if (fd != ready[1])
                    close(fd);
        }
        _exit(kb_keeper_main(o));
    }
    close(ready[1]);
    o->ready_fd = -1;
    if (*pid < 0) {
        close(ready[0]);
        return kb_error_errno(err, "fork the keeper");
    }
    while (n < sizeof msg - 1) {
        ssize_t got = read(ready[0], msg + n, sizeof msg - 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(ready[0]);
    msg[n] = '\0';
    if (strncmp(msg, "ok ", 3) != 0) {
        waitpid(*pid, NULL, 0);
        *pid = -1;
        return kb_error(err, 0, "%s", n ? msg : "the keeper died before the container was created");
    }
    if (note)
        snprintf(note, note_len, "%s", msg + 3);
    return 0;
}
