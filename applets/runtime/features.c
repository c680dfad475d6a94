/* kata-runtime features: what this runtime implements, in the shape of
 * runc's `features` (runtime-spec's features document). Only what katabox
 * really does is listed: no AppArmor or SELinux (no LSM in the guest), no
 * seccomp notify (no agent can reach the guest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "../../core/container/container.h"
#include "../../core/container/mountopts.h"
#include "../../core/version.h"
#include "runtime.h"

static void str(yajl_gen g, const char *s)
{
    yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void boolean(yajl_gen g, const char *key, int v)
{
    str(g, key);
    yajl_gen_bool(g, v);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void mount_options(yajl_gen g)
{
    const char *names[128];
    size_t n = 0;

    while (n < 128 && (names[n] = kb_mount_opt_name(n)))
        n++;
    qsort(names, n, sizeof *names, by_name);
    str(g, "mountOptions");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++)
        str(g, names[i]);
    yajl_gen_array_close(g);
}

static void list(yajl_gen g, const char *key, const char *const *names, size_t n)
{
    str(g, key);
    yajl_gen_array_open(g);
    for (size_t i = 0; i < n; i++)
        str(g, names[i]);
    yajl_gen_array_close(g);
}

/* what the parser takes (core/oci/seccomp.c), notify left out */
static void seccomp(yajl_gen g)
{
    static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                                           "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                                           "SCMP_ACT_TRACE", "SCMP_ACT_TRAP" };
    static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
                                       "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE" };
    static const char *const archs[] = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS",
                                         "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
                                         "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
                                         "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64",
                                         "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_X32",
                                         "SCMP_ARCH_X86", "SCMP_ARCH_X86_64" };
    static const char *const flags[] = { "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                         "SECCOMP_FILTER_FLAG_TSYNC" };

    str(g, "seccomp");
    yajl_gen_map_open(g);
    boolean(g, "enabled", 1);
    list(g, "actions", actions, sizeof actions / sizeof *actions);
    list(g, "operators", ops, sizeof ops / sizeof *ops);
    list(g, "archs", archs, sizeof archs / sizeof *archs);
    list(g, "knownFlags", flags, sizeof flags / sizeof *flags);
    list(g, "supportedFlags", flags, sizeof flags / sizeof *flags);
    yajl_gen_map_close(g);
}

int runtime_features(const struct rt_globals *g_, int argc, char **argv)
{
    static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "user", "uts" };
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    size_t len;

    (void)g_;
    (void)argc;
    (void)argv;
    if (!g)
        return 1;
    yajl_gen_config(g, yajl_gen_beautify, 1);
    yajl_gen_config(g, yajl_gen_indent_string, "    ");
    yajl_gen_map_open(g);
    str(g, "ociVersionMin");
    str(g, "1.0.0");
    str(g, "ociVersionMax");
    str(g, "1.0.2-dev");
    str(g, "hooks");
    yajl_gen_array_open(g);
    for (int k = 0; k < KB_HOOK_KINDS; k++)
        str(g, kb_hook_kind_name((enum kb_hook_kind)k));
    yajl_gen_array_close(g);
    mount_options(g);
    str(g, "linux");
    yajl_gen_map_open(g);
    str(g, "namespaces");
    yajl_gen_array_open(g);
    for (size_t i = 0; i < sizeof namespaces / sizeof *namespaces; i++)
        str(g, namespaces[i]);
    yajl_gen_array_close(g);
    str(g, "capabilities");
    yajl_gen_array_open(g);
    for (int cap = 0; kb_cap_name(cap); cap++)
        str(g, kb_cap_name(cap));
    yajl_gen_array_close(g);
    /* inside the guest: cgroup v2 only */
    str(g, "cgroup");
    yajl_gen_map_open(g);
    boolean(g, "v1", 0);
    boolean(g, "v2", 1);
    boolean(g, "systemd", 0);
    boolean(g, "systemdUser", 0);
    yajl_gen_map_close(g);
    seccomp(g);
    str(g, "apparmor");
    yajl_gen_map_open(g);
    boolean(g, "enabled", 0);
    yajl_gen_map_close(g);
    str(g, "selinux");
    yajl_gen_map_open(g);
    boolean(g, "enabled", 0);
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    str(g, "annotations");
    yajl_gen_map_open(g);
    str(g, "io.katabox.version");
    str(g, kb_version());
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
        fwrite(buf, 1, len, stdout);
    yajl_gen_free(g);
    return 0;
}
