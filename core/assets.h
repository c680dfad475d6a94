/* Where the guest kernel, the initramfs and QEMU are found on the host. */
#ifndef KB_ASSETS_H
#define KB_ASSETS_H

#include <stddef.h>

#include "err.h"

#define KB_KERNEL_NAME "bzImage"
#define KB_INITRD_NAME "initramfs.cpio.gz"
#define KB_QEMU_NAME "qemu-system-x86_64"

/* Path of `name` installed beside this binary (the build/ directory). */
int kb_asset_path(const char *name, char *buf, size_t len, kb_err *err);
/* Find an executable `name` in $PATH (or as given if it has a '/'). */
int kb_find_exec(const char *name, char *buf, size_t len, kb_err *err);

#endif
