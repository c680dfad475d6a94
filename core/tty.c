#include "tty.h"

#include <sys/ioctl.h>
#include <unistd.h>

int kb_tty_raw(struct kb_tty *t, int fd)
{
    struct termios raw;

    t->fd = -1;
    if (!isatty(fd) || tcgetattr(fd, &t->saved) < 0)
        return 0;
    raw = t->saved;
    cfmakeraw(&raw);
    /* keep output post-processing off too: the container's pty already did it */
    if (tcsetattr(fd, TCSANOW, &raw) < 0)
        return -1;
    t->fd = fd;
    return 0;
}

void kb_tty_restore(struct kb_tty *t)
{
    if (t->fd >= 0)
        tcsetattr(t->fd, TCSANOW, &t->saved);
    t->fd = -1;
}

int kb_tty_size(int fd, unsigned *rows, unsigned *cols)
{
    struct winsize ws;

    if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
        return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}
