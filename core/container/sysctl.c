/* linux.sysctl: only what lives in one of the container's own namespaces,
 * checked as runc checks it. A VM could allow more (the guest kernel is the
 * container's alone), but a config that runc refuses is refused here too,
 * so that it does not work by accident under one runtime only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

static const char *const ipc_keys[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

static int is_ipc(const char *key)
{
    for (size_t i = 0; i < KB_ARRAY_SIZE(ipc_keys); i++)
        if (strcmp(key, ipc_keys[i]) == 0)
            return 1;
    return strncmp(key, "fs.mqueue.", 10) == 0;
}

static int new_ns(const struct kb_spec *spec, enum kb_ns_type type)
{
    /* joining another container's namespace keeps it out of the caller's */
    return kb_spec_namespace(spec, type) != NULL;
}

int kb_ctr_check_sysctl(const struct kb_spec *spec, kb_err *err)
{
    for (char **kv = spec->sysctl; kv && kv[0]; kv += 2) {
        const char *key = kv[0];

        if (!key[0] || strstr(key, "..") || key[0] == '.' || key[0] == '/' || strchr(key, ' '))
            return kb_error(err, EINVAL, "linux.sysctl: '%s' is not a sysctl name", key);
        if (is_ipc(key)) {
            if (new_ns(spec, KB_NS_IPC))
                continue;
            return kb_error(err, EINVAL, "linux.sysctl: '%s' is not allowed in the host's ipc namespace",
                            key);
        }
        if (strncmp(key, "net.", 4) == 0) {
            if (new_ns(spec, KB_NS_NETWORK))
                continue;
            return kb_error(err, EINVAL,
                            "linux.sysctl: '%s' is not allowed in the host's network namespace", key);
        }
        if (new_ns(spec, KB_NS_UTS) && strcmp(key, "kernel.domainname") == 0)
            continue;
        if (new_ns(spec, KB_NS_UTS) && strcmp(key, "kernel.hostname") == 0)
            return kb_error(err, EINVAL, "linux.sysctl: '%s' is not allowed: it conflicts with the "
                                         "'hostname' field", key);
        return kb_error(err, EINVAL, "linux.sysctl: '%s' is not in a separate kernel namespace", key);
    }
    return 0;
}

int kb_ctr_write_sysctl(const struct kb_spec *spec, kb_err *err)
{
    for (char **kv = spec->sysctl; kv && kv[0]; kv += 2) {
        char path[256];
        size_t len = strlen(kv[1]);
        _cleanup_close_ int fd = -1;
        int n = snprintf(path, sizeof path, "/proc/sys/%s", kv[0]);

        if (n < 0 || (size_t)n >= sizeof path)
            return kb_error(err, ENAMETOOLONG, "linux.sysctl: '%s'", kv[0]);
        /* net.ipv4.conf.eth0.forwarding: every dot is a directory, as runc has it */
        for (char *c = path + 10; *c; c++)
            if (*c == '.')
                *c = '/';
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return kb_error_errno(err, "linux.sysctl: %s", kv[0]);
        if (write(fd, kv[1], len) != (ssize_t)len)
            return kb_error_errno(err, "linux.sysctl: %s = '%s'", kv[0], kv[1]);
    }
    return 0;
}
