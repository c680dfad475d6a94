#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../../core/container/mountopts.h"
#include "tap.h"

static int parse(struct kb_mount_opts *o, kb_err *err, ...)
{
    char *opts[64];
    size_t n = 0;
    va_list ap;
    int r;

    va_start(ap, err);
    for (char *s; (s = va_arg(ap, char *)) && n < 63;)
        opts[n++] = s;
    va_end(ap);
    opts[n] = NULL;
    r = kb_mount_opts_parse(opts, o, err);
    return r;
}

int main(void)
{
    struct kb_mount_opts o;
    kb_err err;

    ok(kb_mount_opts_parse(NULL, &o, &err) == 0 && o.flags == 0 && !o.data && !o.n_propagation &&
           !o.attr_set && !o.attr_clr, "no options: nothing");
    kb_mount_opts_free(&o);

    /* runc's default /dev/pts */
    ok(parse(&o, &err, "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL) == 0 &&
           o.flags == (MS_NOSUID | MS_NOEXEC), "devpts flags");
    is_str(o.data ? o.data : "(null)", "newinstance,ptmxmode=0666,mode=0620,gid=5", "the rest is data, in order");
    kb_mount_opts_free(&o);
    ok(o.data == NULL, "free resets");

    ok(parse(&o, &err, "nosuid", "strictatime", "mode=755", "size=65536k", NULL) == 0 &&
           o.flags == (MS_NOSUID | MS_STRICTATIME), "tmpfs /dev flags");
    is_str(o.data, "mode=755,size=65536k", "tmpfs data");
    kb_mount_opts_free(&o);

    ok(parse(&o, &err, "ro", "rw", NULL) == 0 && o.flags == 0, "rw after ro clears it");
    kb_mount_opts_free(&o);
    ok(parse(&o, &err, "rw", "ro", NULL) == 0 && o.flags == MS_RDONLY, "ro after rw sets it");
    kb_mount_opts_free(&o);
    ok(parse(&o, &err, "nosuid", "suid", "nodev", "dev", "noexec", "exec", "noatime", "atime", NULL) == 0 &&
           o.flags == 0, "every no* has its clearing twin");
    kb_mount_opts_free(&o);
    ok(parse(&o, &err, "sync", "dirsync", "mand", "remount", "relatime", "nodiratime", NULL) == 0 &&
           o.flags == (MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK | MS_REMOUNT | MS_RELATIME | MS_NODIRATIME),
       "sync, dirsync, mand, remount, relatime, nodiratime");
    kb_mount_opts_free(&o);
    ok(parse(&o, &err, "sync", "async", "mand", "nomand", "relatime", "norelatime", "strictatime",
             "nostrictatime", "nodiratime", "diratime", NULL) == 0 && o.flags == 0, "and their opposites");
    kb_mount_opts_free(&o);

    ok(parse(&o, &err, "bind", NULL) == 0 && o.flags == MS_BIND, "bind");
    kb_mount_opts_free(&o);
    ok(parse(&o, &err, "rbind", "ro", NULL) == 0 && o.flags == (MS_BIND | MS_REC | MS_RDONLY) && !o.data,
       "rbind is a recursive bind");
    kb_mount_opts_free(&o);
    ok(parse(&o, &err, "defaults", NULL) == 0 && o.flags == 0 && !o.data, "defaults is nothing");
    kb_mount_opts_free(&o);

    ok(parse(&o, &err, "rprivate", "shared", "rslave", "unbindable", NULL) == 0 && o.n_propagation == 4 &&
           o.propagation[0] == (MS_PRIVATE | MS_REC) && o.propagation[1] == MS_SHARED &&
           o.propagation[2] == (MS_SLAVE | MS_REC) && o.propagation[3] == MS_UNBINDABLE && o.flags == 0,
       "propagation, in order, apart from the flags");
    kb_mount_opts_free(&o);
    ok(parse(&o, &err, "private", "rshared", "slave", "runbindable", NULL) == 0 &&
           o.propagation[0] == MS_PRIVATE && o.propagation[1] == (MS_SHARED | MS_REC) &&
           o.propagation[2] == MS_SLAVE && o.propagation[3] == (MS_UNBINDABLE | MS_REC),
       "and the others");
    kb_mount_opts_free(&o);
    ok(parse(&o, &err, "private", "private", "private", "private", "private", "private", "private", "private",
             "private", NULL) == -1 && strstr(err.msg, "option 'private': more than 8"),
       "too many propagation options (%s)", err.msg);
    kb_mount_opts_free(&o);

    ok(parse(&o, &err, "rro", "rnosuid", "rnoexec", NULL) == 0 &&
           o.attr_set == (KB_MOUNT_ATTR_RDONLY | KB_MOUNT_ATTR_NOSUID | KB_MOUNT_ATTR_NOEXEC) && !o.attr_clr &&
           !o.flags && !o.data, "recursive attributes");
    kb_mount_opts_free(&o);
    ok(parse(&o, &err, "rnoatime", "rrw", NULL) == 0 && o.attr_set == KB_MOUNT_ATTR_NOATIME &&
           o.attr_clr == (KB_MOUNT_ATTR__ATIME | KB_MOUNT_ATTR_RDONLY),
       "an atime mode clears the atime field; rrw clears read-only");
    kb_mount_opts_free(&o);

    ok(parse(&o, &err, "x-foo", "", "uid=0", "context=\"a,b\"", NULL) == 0, "unknown options");
    is_str(o.data, "x-foo,uid=0,context=\"a,b\"", "pass through as data; empty ones are dropped");
    kb_mount_opts_free(&o);
    return tap_done();
}
