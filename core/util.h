/* Small helpers every module uses: scope-bound release of fds and memory,
 * whole reads and writes that survive EINTR and short counts. */
#ifndef KB_UTIL_H
#define KB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

void kb_closep(int *fd);
void kb_freep(void *p);
#define _cleanup_close_ __attribute__((cleanup(kb_closep)))
#define _cleanup_free_ __attribute__((cleanup(kb_freep)))

/* Hand ownership out of a cleanup-managed variable. */
static inline int kb_steal_fd(int *fd) { int r = *fd; *fd = -1; return r; }

#define KB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Write all of buf, retrying on EINTR and short writes; <0 with errno set. */
ssize_t kb_write_all(int fd, const void *buf, size_t len);
/* Read a whole small file (at most max bytes) into a NUL-terminated buffer. */
int kb_read_file(const char *path, size_t max, char **out, size_t *len, kb_err *err);
/* Monotonic time in nanoseconds. */
uint64_t kb_now_ns(void);
/* Join dirname(path) with name into buf; <0 when it does not fit. */
int kb_path_sibling(char *buf, size_t len, const char *path, const char *name);

/* Drain a signalfd; 1 (err set to EINTR) if it held SIGINT, SIGTERM,
 * SIGHUP or SIGQUIT, the signals that mean "stop waiting"; others are dropped. */
int kb_stop_signal(int sigfd, kb_err *err);

/* Create path and its missing parents with mode (existing ones are left alone). */
int kb_mkdir_p(const char *path, mode_t mode, kb_err *err);
/* Call fn on the path of every entry of dir but "." ones, then remove dir (when empty). */
void kb_clear_dir(const char *dir, void (*fn)(const char *path));

#endif
