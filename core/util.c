#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

void kb_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

void kb_freep(void *p)
{
    free(*(void **)p);
}

ssize_t kb_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int kb_read_file(const char *path, size_t max, char **out, size_t *len, kb_err *err)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    _cleanup_free_ char *buf = NULL;
    size_t used = 0;

    if (fd < 0)
        return kb_error_errno(err, "open %s", path);
    buf = malloc(max + 1);
    if (!buf)
        return kb_error(err, ENOMEM, "read %s", path);
    for (;;) {
        ssize_t n = read(fd, buf + used, max - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return kb_error_errno(err, "read %s", path);
        }
        if (n == 0)
            break;
        used += (size_t)n;
        if (used == max) {
            char extra;
            if (read(fd, &extra, 1) > 0)
                return kb_error(err, EFBIG, "read %s: larger than %zu bytes", path, max);
            break;
        }
    }
    buf[used] = '\0';
    *out = buf;
    buf = NULL;
    if (len)
        *len = used;
    return 0;
}

uint64_t kb_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int kb_path_sibling(char *buf, size_t len, const char *path, const char *name)
{
    const char *slash = strrchr(path, '/');
    int n;

    if (!slash)
        n = snprintf(buf, len, "%s", name);
    else
        n = snprintf(buf, len, "%.*s/%s", (int)(slash - path), path, name);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

int kb_mkdir_p(const char *path, mode_t mode, kb_err *err)
{
    char buf[4096];
    size_t n = strlen(path);

    if (n >= sizeof buf)
        return kb_error(err, ENAMETOOLONG, "mkdir %s", path);
    memcpy(buf, path, n + 1);
    for (char *s = buf + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return kb_error_errno(err, "mkdir %s", buf);
            if (!c)
                return 0;
            *s = c;
        }
    }
}

int kb_stop_signal(int sigfd, kb_err *err)
{
    struct signalfd_siginfo si;

    while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int sig = (int)si.ssi_signo;
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT)
            return kb_error(err, EINTR, "interrupted by signal %d", sig), 1;
    }
    return 0;
}

void kb_clear_dir(const char *dir, void (*fn)(const char *path))
{
    char path[PATH_MAX + 256];
    struct dirent *e;
    DIR *d = opendir(dir);

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        fn(path);
    }
    closedir(d);
    rmdir(dir);
}
