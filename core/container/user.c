/* process.user: groups, gid, uid, and the home directory runc puts in HOME. */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "additionalGids are passed to setgroups as is");

/* runc hands stdio to the container's uid so that a non-root user can use
 * its terminal; /dev/null and what the kernel refuses are left alone. */
static int chown_stdio(uid_t uid, kb_err *err)
{
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;

        if (fstat(fd, &st) < 0)
            return kb_error_errno(err, "fstat fd %d", fd);
        if (st.st_uid == uid || (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)))
            continue;
        if (fchown(fd, uid, (gid_t)-1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
            return kb_error_errno(err, "chown fd %d to uid %u", fd, (unsigned)uid);
    }
    return 0;
}

int kb_ctr_set_user(const struct kb_process *p, kb_err *err)
{
    if (chown_stdio(p->uid, err) < 0)
        return kb_error_wrap(err, "process.user");
    /* an empty list clears the caller's groups, as runc's setgroups([]) */
    if (setgroups(p->n_additional_gids, (const gid_t *)p->additional_gids) < 0)
        return kb_error_errno(err, "process.user.additionalGids: setgroups");
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return kb_error_errno(err, "process.user.gid: setresgid %u", (unsigned)p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return kb_error_errno(err, "process.user.uid: setresuid %u", (unsigned)p->uid);
    return 0;
}

int kb_passwd_home(const char *passwd, uint32_t uid, char *buf, size_t len)
{
    for (const char *line = passwd; line && *line;) {
        const char *end = strchr(line, '\n'), *f[7];
        size_t n = end ? (size_t)(end - line) : strlen(line);
        int nf = 0;

        /* name:password:uid:gid:gecos:home:shell */
        f[nf++] = line;
        for (size_t i = 0; i < n && nf < 7; i++)
            if (line[i] == ':')
                f[nf++] = line + i + 1;
        if (nf >= 6) {
            char *num_end;
            unsigned long v;

            errno = 0;
            v = strtoul(f[2], &num_end, 10);
            if (!errno && num_end != f[2] && *num_end == ':' && f[2][0] != '-' && v == uid) {
                const char *home_end = nf > 6 ? f[6] - 1 : line + n;
                size_t hl = (size_t)(home_end - f[5]);
                if (hl >= len)
                    return -1;
                memcpy(buf, f[5], hl);
                buf[hl] = '\0';
                return 0;
            }
        }
        line = end ? end + 1 : NULL;
    }
    return -1;
}
