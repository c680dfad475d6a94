/* linux.resources.devices as a BPF device filter: a child in a cgroup v2
 * directory with the filter attached opens what the rules allow only. Runs
 * where a cgroup2 hierarchy can be written (the guest, or a host's unified
 * or hybrid hierarchy), as root. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/container/container.h"
#include "tap.h"

static const char *find_cgroup2(void)
{
    static const char *const where[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
    for (size_t i = 0; i < 2; i++) {
        char path[64];
        snprintf(path, sizeof path, "%s/cgroup.controllers", where[i]);
        if (access(path, F_OK) == 0)
            return where[i];
    }
    return NULL;
}

/* In a child moved into dir: open each path with its flags; a digit per path (0 ok, 1 EPERM, 2 other). */
static int probe(const char *dir, const char *const *paths, const int *flags, size_t n, char *out)
{
    int p[2], status;
    pid_t pid;

    if (pipe(p) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        char file[256], num[16];
        int fd;
        close(p[0]);
        snprintf(file, sizeof file, "%s/cgroup.procs", dir);
        snprintf(num, sizeof num, "%d", (int)getpid());
        fd = open(file, O_WRONLY);
        if (fd < 0 || write(fd, num, strlen(num)) < 0)
            _exit(9);
        close(fd);
        for (size_t i = 0; i < n; i++) {
            int f = open(paths[i], flags[i]);
            char c = f >= 0 ? '0' : errno == EPERM ? '1' : '2';
            if (f >= 0)
                close(f);
            if (write(p[1], &c, 1) != 1)
                _exit(8);
        }
        _exit(0);
    }
    close(p[1]);
    memset(out, 0, n + 1);
    for (size_t got = 0; got < n;) {
        ssize_t k = read(p[0], out + got, n - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(p[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(void)
{
    const char *root = find_cgroup2();
    char dir[128], got[8], node[64];
    /* /dev/kmsg (1:11) is in no always-allowed rule; /dev/null (1:3) is */
    const char *const paths[] = { "/dev/null", "/dev/kmsg", "/dev/zero" };
    const int flags[] = { O_RDWR, O_WRONLY, O_RDONLY };
    struct kb_dev_rule deny_all = { 0, 'a', -1, -1, KB_DEV_READ | KB_DEV_WRITE | KB_DEV_MKNOD };
    struct kb_dev_rule rules[3];
    struct kb_resources r = { 0 };
    kb_err err = { 0 };

    if (geteuid() != 0 || !root) {
        tap_skip("needs root and a cgroup2 hierarchy");
        return tap_done();
    }
    snprintf(dir, sizeof dir, "%s/kb-devtest-%d", root, (int)getpid());
    if (mkdir(dir, 0755) < 0) {
        tap_skip("cannot make a cgroup here");
        return tap_done();
    }
    ok(kb_ctr_devices_cgroup(dir, &r, &err) == 0, "no rules: no filter");
    ok(probe(dir, paths, flags, 3, got) == 0 && !strcmp(got, "000"), "everything opens without a filter (%s)", got);

    rules[0] = deny_all;
    r.devices = rules;
    r.n_devices = 1;
    ok(kb_ctr_devices_cgroup(dir, &r, &err) == 0, "deny all: the filter loads (%s)", err.msg);
    ok(probe(dir, paths, flags, 3, got) == 0 && !strcmp(got, "010"),
       "deny all: /dev/kmsg refused, runc's always-allowed /dev/null and /dev/zero open (%s)", got);

    /* allow kmsg for writing only, then a later rule takes read of zero away (it comes back:
     * the always-allowed rules come last, as runc appends them) */
    rules[1] = (struct kb_dev_rule){ 1, 'c', 1, 11, KB_DEV_WRITE };
    rules[2] = (struct kb_dev_rule){ 0, 'c', 1, 5, KB_DEV_READ };
    r.n_devices = 3;
    ok(kb_ctr_devices_cgroup(dir, &r, &err) == 0, "a new filter replaces the old (%s)", err.msg);
    ok(probe(dir, paths, flags, 3, got) == 0 && !strcmp(got, "000"), "c 1:11 w allowed; zero still open (%s)", got);
    {
        const int rd[] = { O_RDWR, O_RDONLY, O_RDONLY };
        ok(probe(dir, paths, rd, 3, got) == 0 && got[1] == '1', "c 1:11 read: refused, the rule says w only (%s)", got);
    }
    /* mknod is always allowed (runc), its use is not */
    snprintf(node, sizeof node, "/tmp/kb-devtest-node-%d", (int)getpid());
    if (mknod(node, S_IFCHR | 0600, makedev(1, 11)) == 0) {
        const char *const np[] = { node };
        const int nf[] = { O_RDONLY };
        ok(probe(dir, np, nf, 1, got) == 0 && got[0] == '1', "a node made for kmsg is refused for reading (%s)", got);
        unlink(node);
    } else {
        tap_skip("mknod");
    }
    rmdir(dir);
    return tap_done();
}
