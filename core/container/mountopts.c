#include "mountopts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* runc 1.1's table: an option either sets or clears one flag; the last
 * one given wins ("ro,rw" is rw) */
static const struct {
    const char *name;
    int clear;
    unsigned long flag;
} flag_opts[] = {
    { "acl", 0, MS_POSIXACL },        { "async", 1, MS_SYNCHRONOUS },
    { "atime", 1, MS_NOATIME },       { "bind", 0, MS_BIND },
    { "defaults", 0, 0 },             { "dev", 1, MS_NODEV },
    { "diratime", 1, MS_NODIRATIME }, { "dirsync", 0, MS_DIRSYNC },
    { "exec", 1, MS_NOEXEC },         { "iversion", 0, MS_I_VERSION },
    { "lazytime", 0, MS_LAZYTIME },   { "loud", 1, MS_SILENT },
    { "mand", 0, MS_MANDLOCK },       { "noacl", 1, MS_POSIXACL },
    { "noatime", 0, MS_NOATIME },     { "nodev", 0, MS_NODEV },
    { "nodiratime", 0, MS_NODIRATIME }, { "noexec", 0, MS_NOEXEC },
    { "noiversion", 1, MS_I_VERSION }, { "nolazytime", 1, MS_LAZYTIME },
    { "nomand", 1, MS_MANDLOCK },     { "norelatime", 1, MS_RELATIME },
    { "nostrictatime", 1, MS_STRICTATIME }, { "nosuid", 0, MS_NOSUID },
    { "nosymfollow", 0, MS_NOSYMFOLLOW }, { "rbind", 0, MS_BIND | MS_REC },
    { "relatime", 0, MS_RELATIME },   { "remount", 0, MS_REMOUNT },
    { "ro", 0, MS_RDONLY },           { "rw", 1, MS_RDONLY },
    { "silent", 0, MS_SILENT },       { "strictatime", 0, MS_STRICTATIME },
    { "suid", 1, MS_NOSUID },         { "sync", 0, MS_SYNCHRONOUS },
    { "symfollow", 1, MS_NOSYMFOLLOW },
};

static const struct {
    const char *name;
    unsigned long flags;
} propagation_opts[] = {
    { "private", MS_PRIVATE },         { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },           { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },             { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE },   { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* applied to the whole tree with mount_setattr(AT_RECURSIVE) */
static const struct {
    const char *name;
    int clear;
    uint64_t attr;
} rec_opts[] = {
    { "rro", 0, KB_MOUNT_ATTR_RDONLY },          { "rrw", 1, KB_MOUNT_ATTR_RDONLY },
    { "rnosuid", 0, KB_MOUNT_ATTR_NOSUID },      { "rsuid", 1, KB_MOUNT_ATTR_NOSUID },
    { "rnodev", 0, KB_MOUNT_ATTR_NODEV },        { "rdev", 1, KB_MOUNT_ATTR_NODEV },
    { "rnoexec", 0, KB_MOUNT_ATTR_NOEXEC },      { "rexec", 1, KB_MOUNT_ATTR_NOEXEC },
    { "rnodiratime", 0, KB_MOUNT_ATTR_NODIRATIME }, { "rdiratime", 1, KB_MOUNT_ATTR_NODIRATIME },
    { "rrelatime", 0, KB_MOUNT_ATTR_RELATIME },  { "rnorelatime", 1, KB_MOUNT_ATTR_RELATIME },
    { "rnoatime", 0, KB_MOUNT_ATTR_NOATIME },    { "ratime", 1, KB_MOUNT_ATTR_NOATIME },
    { "rstrictatime", 0, KB_MOUNT_ATTR_STRICTATIME }, { "rnostrictatime", 1, KB_MOUNT_ATTR_STRICTATIME },
    { "rnosymfollow", 0, KB_MOUNT_ATTR_NOSYMFOLLOW }, { "rsymfollow", 1, KB_MOUNT_ATTR_NOSYMFOLLOW },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *kb_mount_opt_name(size_t i)
{
    if (i < N_OF(flag_opts))
        return flag_opts[i].name;
    i -= N_OF(flag_opts);
    if (i < N_OF(propagation_opts))
        return propagation_opts[i].name;
    i -= N_OF(propagation_opts);
    if (i < N_OF(rec_opts))
        return rec_opts[i].name;
    return i == N_OF(rec_opts) ? "tmpcopyup" : NULL;
}

static int rec_opt(const char *o, struct kb_mount_opts *m)
{
    for (size_t i = 0; i < N_OF(rec_opts); i++) {
        if (strcmp(rec_opts[i].name, o) != 0)
            continue;
        if (rec_opts[i].clear) {
            m->attr_clr |= rec_opts[i].attr;
        } else {
            m->attr_set |= rec_opts[i].attr;
            /* an access-time mode replaces the whole atime field, which
             * mount_setattr only does when the field is cleared too */
            if ((rec_opts[i].attr & KB_MOUNT_ATTR__ATIME) == rec_opts[i].attr)
                m->attr_clr |= KB_MOUNT_ATTR__ATIME;
        }
        return 1;
    }
    return 0;
}

static int known_opt(const char *o, struct kb_mount_opts *m, kb_err *err)
{
    if (strcmp(o, "tmpcopyup") == 0) {
        m->tmpcopyup = true;
        return 1;
    }
    for (size_t i = 0; i < N_OF(flag_opts); i++)
        if (strcmp(flag_opts[i].name, o) == 0) {
            if (flag_opts[i].clear)
                m->flags &= ~flag_opts[i].flag;
            else
                m->flags |= flag_opts[i].flag;
            return 1;
        }
    for (size_t i = 0; i < N_OF(propagation_opts); i++)
        if (strcmp(propagation_opts[i].name, o) == 0) {
            if (m->n_propagation == KB_MOUNT_MAX_PROPAGATION)
                return kb_error(err, E2BIG, "more than %d propagation options",
                                KB_MOUNT_MAX_PROPAGATION);
            m->propagation[m->n_propagation++] = propagation_opts[i].flags;
            return 1;
        }
    return rec_opt(o, m);
}

int kb_mount_opts_parse(char *const *options, struct kb_mount_opts *o, kb_err *err)
{
    size_t data_len = 0, used = 0;

    memset(o, 0, sizeof *o);
    for (size_t i = 0; options && options[i]; i++) {
        int r = known_opt(options[i], o, err);
        if (r < 0)
            return kb_error_wrap(err, "option '%s'", options[i]);
        if (r == 0 && options[i][0])
            data_len += strlen(options[i]) + 1;
    }
    if (!data_len)
        return 0;
    o->data = malloc(data_len);
    if (!o->data)
        return kb_error(err, ENOMEM, "mount options");
    for (size_t i = 0; options[i]; i++) {
        struct kb_mount_opts scratch;
        size_t n = strlen(options[i]);

        /* a second pass over a throwaway result tells data from flags */
        memset(&scratch, 0, sizeof scratch);
        if (!n || known_opt(options[i], &scratch, err) != 0)
            continue;
        if (used)
            o->data[used++] = ',';
        memcpy(o->data + used, options[i], n);
        used += n;
    }
    o->data[used] = '\0';
    return 0;
}

void kb_mount_opts_free(struct kb_mount_opts *o)
{
    free(o->data);
    o->data = NULL;
}
