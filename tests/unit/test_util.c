#include <stdio.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/util.h"
#include "tap.h"

static int fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static int cleared;

static void unlink_and_count(const char *path)
{
    if (unlink(path) == 0)
        cleared++;
}

int main(void)
{
    char path[] = "/tmp/kb-test-util-XXXXXX";
    char buf[64];
    char *data = NULL;
    size_t len = 0;
    kb_err err;
    int fd, probe;

    fd = mkstemp(path);
    ok(fd >= 0, "temp file");
    ok(kb_write_all(fd, "hello\n", 6) == 6, "kb_write_all writes everything");
    close(fd);
    ok(kb_read_file(path, 100, &data, &len, &err) == 0 && len == 6 && strcmp(data, "hello\n") == 0,
       "kb_read_file reads the whole file");
    free(data);
    data = NULL;
    ok(kb_read_file(path, 3, &data, &len, &err) < 0 && err.errnum == EFBIG && !data,
       "kb_read_file refuses a file over the limit");
    ok(kb_read_file(path, 6, &data, &len, &err) == 0 && len == 6, "a file of exactly the limit reads");
    free(data);
    unlink(path);
    ok(kb_read_file(path, 10, &data, &len, &err) < 0 && err.errnum == ENOENT &&
           strstr(err.msg, path) != NULL,
       "missing file: ENOENT with the path in the message");

    {
        _cleanup_close_ int scoped = open("/dev/null", O_RDONLY);
        probe = scoped;
        ok(fd_open(probe), "scoped fd is open");
    }
    ok(!fd_open(probe), "_cleanup_close_ closed it at scope end");
    {
        _cleanup_close_ int scoped = open("/dev/null", O_RDONLY);
        probe = kb_steal_fd(&scoped);
    }
    ok(fd_open(probe), "kb_steal_fd keeps the fd alive");
    close(probe);

    ok(kb_path_sibling(buf, sizeof buf, "/a/b/katabox", "bzImage") == 0 &&
           strcmp(buf, "/a/b/bzImage") == 0, "sibling of an absolute path");
    ok(kb_path_sibling(buf, sizeof buf, "katabox", "bzImage") == 0 && strcmp(buf, "bzImage") == 0,
       "sibling of a bare name");
    ok(kb_path_sibling(buf, 8, "/a/b/katabox", "bzImage") < 0, "sibling that does not fit fails");

    {
        uint64_t a = kb_now_ns(), b;
        usleep(2000);
        b = kb_now_ns();
        ok(b - a >= 2000000, "kb_now_ns is monotonic and in ns");
    }
    {
        char base[] = "/tmp/kb-mkdirp-XXXXXX", deep[128], file[160];
        struct stat st;
        kb_err e;

        mkdtemp(base);
        snprintf(deep, sizeof deep, "%s/a/b/c", base);
        ok(kb_mkdir_p(deep, 0711, &e) == 0 && stat(deep, &st) == 0 && S_ISDIR(st.st_mode) &&
               (st.st_mode & 0777) == (0711 & ~(mode_t)022 & 0777),
           "kb_mkdir_p creates missing parents with the mode");
        ok(kb_mkdir_p(deep, 0711, &e) == 0, "kb_mkdir_p of an existing path is fine");
        snprintf(file, sizeof file, "%s/f", base);
        close(open(file, O_CREAT | O_WRONLY, 0600));
        snprintf(file, sizeof file, "%s/f/x", base);
        ok(kb_mkdir_p(file, 0755, &e) < 0 && strstr(e.msg, "/f"), "a file in the way is named: %s", e.msg);
        snprintf(file, sizeof file, "%s/f", base);
        unlink(file);
        rmdir(deep);
        snprintf(deep, sizeof deep, "%s/a/b", base);
        rmdir(deep);
        snprintf(deep, sizeof deep, "%s/a", base);
        rmdir(deep);
        rmdir(base);
    }
    {
        char base[] = "/tmp/kb-clear-XXXXXX", entry[128];
        struct stat st;

        mkdtemp(base);
        for (int i = 0; i < 3; i++) {
            snprintf(entry, sizeof entry, "%s/%s", base, i == 0 ? ".hidden" : i == 1 ? "a" : "b");
            close(open(entry, O_CREAT | O_WRONLY, 0600));
        }
        cleared = 0;
        kb_clear_dir(base, unlink_and_count);
        ok(cleared == 2 && stat(base, &st) == 0, "kb_clear_dir: each entry but dot files; a dir not empty stays");
        snprintf(entry, sizeof entry, "%s/.hidden", base);
        unlink(entry);
        kb_clear_dir(base, unlink_and_count);
        ok(cleared == 2 && stat(base, &st) < 0, "and an empty one goes");
        kb_clear_dir(base, unlink_and_count);
        ok(cleared == 2, "a missing dir is nothing to do");
    }
    return tap_done();
}
