/* The host's terminal while a container with a terminal runs: raw mode
 * (every key goes to the container's pty, which does its own line
 * discipline), restored on the way out, and its size for RESIZE. */
#ifndef KB_TTY_H
#define KB_TTY_H

#include <termios.h>

struct kb_tty {
    int fd;                 /* -1: not a terminal, nothing to restore */
    struct termios saved;
};

/* Put fd in raw mode if it is a terminal; t->fd is -1 when it is not. */
int kb_tty_raw(struct kb_tty *t, int fd);
/* Restore what kb_tty_raw changed (safe to call twice). */
void kb_tty_restore(struct kb_tty *t);
/* The terminal size of fd; <0 when fd is no terminal. */
int kb_tty_size(int fd, unsigned *rows, unsigned *cols);

#endif
