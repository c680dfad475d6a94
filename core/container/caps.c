/* process.capabilities: names to bits before the fork, then the sets in
 * runc's order (bounding before the user change, the rest after it) so
 * that a non-root user ends with what runc gives it. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "../util.h"
#include "internal.h"

static const char *const cap_names[KB_CAP_LAST + 1] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

int kb_cap_from_name(const char *name)
{
    for (int i = 0; i <= KB_CAP_LAST; i++)
        if (strcmp(cap_names[i], name) == 0)
            return i;
    return -1;
}

const char *kb_cap_name(int cap)
{
    return cap >= 0 && cap <= KB_CAP_LAST ? cap_names[cap] : NULL;
}

int kb_caps_parse(char *const *names, const char *field, uint64_t *mask, kb_err *err)
{
    *mask = 0;
    for (size_t i = 0; names && names[i]; i++) {
        int cap = kb_cap_from_name(names[i]);
        /* runc 1.1 warns and goes on; a typo should not silently drop a cap */
        if (cap < 0)
            return kb_error(err, EINVAL, "%s: unknown capability \"%s\"", field, names[i]);
        *mask |= UINT64_C(1) << cap;
    }
    return 0;
}

int kb_ctr_caps_bound(uint64_t keep, kb_err *err)
{
    /* up to whatever the running kernel knows (PR_CAPBSET_READ fails past
     * its last cap): a cap newer than our table is dropped too */
    for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
        if (keep & (UINT64_C(1) << cap))
            continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return kb_error_errno(err, "capabilities: drop %s from the bounding set",
                                  kb_cap_name(cap) ? kb_cap_name(cap) : "a capability");
    }
    return 0;
}

int kb_ctr_caps_apply(const uint64_t caps[KB_CAP_SETS], kb_err *err)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[2];

    memset(data, 0, sizeof data);
    for (int w = 0; w < 2; w++) {
        data[w].effective = (uint32_t)(caps[KB_CAP_EFFECTIVE] >> (32 * w));
        data[w].permitted = (uint32_t)(caps[KB_CAP_PERMITTED] >> (32 * w));
        data[w].inheritable = (uint32_t)(caps[KB_CAP_INHERITABLE] >> (32 * w));
    }
    if (syscall(SYS_capset, &hdr, data) < 0)
        return kb_error_errno(err, "capabilities: set effective, permitted and inheritable");
    /* The kernel raises an ambient cap only if it is permitted and
     * inheritable; runc ignores the refusal (the default spec lists ambient
     * caps with an empty inheritable set), and so do we. */
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
        return kb_error_errno(err, "capabilities: clear the ambient set");
    for (int cap = 0; cap <= KB_CAP_LAST; cap++)
        if ((caps[KB_CAP_AMBIENT] & (UINT64_C(1) << cap)) &&
            prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 && errno != EPERM &&
            errno != EINVAL)
            return kb_error_errno(err, "capabilities: raise ambient %s", kb_cap_name(cap));
    return 0;
}

int kb_ctr_caps_of(const struct kb_process *proc, uint64_t caps[KB_CAP_SETS], kb_err *err)
{
    static const char *const set_names[KB_CAP_SETS] = {
        [KB_CAP_BOUNDING] = "bounding", [KB_CAP_EFFECTIVE] = "effective",
        [KB_CAP_INHERITABLE] = "inheritable", [KB_CAP_PERMITTED] = "permitted",
        [KB_CAP_AMBIENT] = "ambient",
    };
    char field[64];

    for (int s = 0; s < KB_CAP_SETS; s++) {
        snprintf(field, sizeof field, "process.capabilities.%s", set_names[s]);
        if (kb_caps_parse(proc->caps[s], field, &caps[s], err) < 0)
            return -1;
    }
    return 0;
}
