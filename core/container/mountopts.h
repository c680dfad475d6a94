/* OCI mount options ("nosuid", "mode=755", "rslave", "rro"...) split into
 * what mount(2) and mount_setattr(2) take, as runc reads them. */
#ifndef KB_CONTAINER_MOUNTOPTS_H
#define KB_CONTAINER_MOUNTOPTS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "../err.h"

#define KB_MOUNT_MAX_PROPAGATION 8

/* mount_setattr(2)'s attributes, named here because glibc's <sys/mount.h>
 * has them and musl's has not */
#define KB_MOUNT_ATTR_RDONLY 0x00000001u
#define KB_MOUNT_ATTR_NOSUID 0x00000002u
#define KB_MOUNT_ATTR_NODEV 0x00000004u
#define KB_MOUNT_ATTR_NOEXEC 0x00000008u
#define KB_MOUNT_ATTR__ATIME 0x00000070u
#define KB_MOUNT_ATTR_RELATIME 0x00000000u
#define KB_MOUNT_ATTR_NOATIME 0x00000010u
#define KB_MOUNT_ATTR_STRICTATIME 0x00000020u
#define KB_MOUNT_ATTR_NODIRATIME 0x00000080u
#define KB_MOUNT_ATTR_NOSYMFOLLOW 0x00200000u

struct kb_mount_opts {
    unsigned long flags;                 /* MS_*: set flags, in option order */
    unsigned long propagation[KB_MOUNT_MAX_PROPAGATION]; /* MS_SHARED|MS_REC..., in order */
    size_t n_propagation;
    uint64_t attr_set, attr_clr;         /* recursive attributes ("rro", "rnosuid"...) */
    char *data;                          /* the other options comma-joined; NULL when none */
    bool tmpcopyup;                      /* runc's extension: a tmpfs starts with what it covers */
};

/* Parse a NULL-terminated option list (NULL: none); free *o after, on error too. */
int kb_mount_opts_parse(char *const *options, struct kb_mount_opts *o, kb_err *err);
void kb_mount_opts_free(struct kb_mount_opts *o);
/* The i-th option name understood (for `features`), NULL past the end. */
const char *kb_mount_opt_name(size_t i);

#endif
