/* Terminal mode as runc does it: the process opens its pty from the
 * container's own devpts (/dev/ptmx, after its mounts), so the container
 * sees /dev/pts/0 as its terminal and `tty` names it, and hands the master
 * to the caller over the sync channel. An init also gets the slave bound
 * over /dev/console. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

static int bind_console(const char *slave, kb_err *err)
{
    _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    _cleanup_close_ int fd = -1;
    char at[KB_FDPATH_MAX];

    if (root < 0)
        return kb_error_errno(err, "terminal: open /");
    fd = kb_ctr_mkpath_in(root, "/dev/console", 1, err);
    if (fd < 0)
        return kb_error_wrap(err, "terminal: /dev/console");
    if (mount(slave, kb_ctr_fdpath(at, fd), NULL, MS_BIND, NULL) < 0)
        return kb_error_errno(err, "terminal: bind %s over /dev/console", slave);
    return 0;
}

int kb_ctr_console(int sync, unsigned rows, unsigned cols, int console, kb_err *err)
{
    _cleanup_close_ int master = -1, slave = -1;
    char name[64];

    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return kb_error_errno(err, "terminal: open /dev/ptmx in the container");
    if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof name) != 0)
        return kb_error_errno(err, "terminal: unlock the pty");
    slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        return kb_error_errno(err, "terminal: open %s", name);
    if (rows || cols) {
        struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
        if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
            return kb_error_errno(err, "terminal: set its size");
    }
    if (console && bind_console(name, err) < 0)
        return -1;
    for (int i = 0; i < 3; i++)
        if (dup2(slave, i) < 0)
            return kb_error_errno(err, "terminal: dup2 onto fd %d", i);
    if (ioctl(0, TIOCSCTTY, 0) < 0)
        return kb_error_errno(err, "terminal: make it the controlling one");
    if (kb_sync_send_fd(sync, KB_SYNC_CONSOLE, master) < 0)
        return kb_error_errno(err, "terminal: hand the pty to the caller");
    return 0;
}
