/* kata-runtime features: what this runtime implements, in the shape of
 * runc's `features` (runtime-spec's features document). Only what katabox
 * really does is listed: no AppArmor or SELinux (no LSM in the guest), no
 * seccomp notify (no agent can reach the guest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>
#include <yajl/yajl_gen.h>

#include "../../core/container/container.h"
#include "../../core/container/mountopts.h"
#include "../../core/oci/seccomp.h"
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

/* names[0..n) sorted, as runc lists them */
static void sorted_list(yajl_gen g, const char *key, const char **names, size_t n)
{
    qsort(names, n, sizeof *names, by_name);
    list(g, key, names, n);
}

/* what the parser takes (core/oci/seccomp.c): SCMP_ACT_NOTIFY is not among
 * them, and SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is known but refused (both
 * need a seccomp agent, which cannot reach the guest) */
static void seccomp(yajl_gen g)
{
    const char *names[KB_SC_ARCHES + KB_SC_ACTIONS + KB_SC_OPS + KB_SC_FLAGS];
    size_t n;

    str(g, "seccomp");
    yajl_gen_map_open(g);
    boolean(g, "enabled", 1);
    for (n = 0; n < KB_SC_ACTIONS; n++)
        names[n] = kb_seccomp_action_name((enum kb_sc_action)n);
    sorted_list(g, "actions", names, n);
    for (n = 0; n < KB_SC_OPS; n++)
        names[n] = kb_seccomp_op_name((enum kb_sc_op)n);
    sorted_list(g, "operators", names, n);
    for (n = 0; n < KB_SC_ARCHES; n++)
        names[n] = kb_seccomp_arch_name((enum kb_sc_arch)n);
    sorted_list(g, "archs", names, n);
    /* runtime-spec 1.1's additions (runc 1.2): runc 1.1 refuses every flag */
    for (n = 0; n < KB_SC_FLAGS; n++)
        names[n] = kb_seccomp_flag_name((enum kb_sc_flag)n);
    sorted_list(g, "knownFlags", names, n);
    n = 0;
    for (int f = 0; f < KB_SC_FLAGS; f++)
        if (f != KB_SC_FLAG_WAIT_KILLABLE_RECV)
            names[n++] = kb_seccomp_flag_name((enum kb_sc_flag)f);
    sorted_list(g, "supportedFlags", names, n);
    yajl_gen_map_close(g);
}

int runtime_features(const struct rt_globals *g_, int argc, char **argv)
{
    static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "user", "uts" };
    const struct scmp_version *sv = seccomp_version();
    yajl_gen g = yajl_gen_alloc(NULL);
    const unsigned char *buf;
    char seccomp_ver[48];
    size_t len;

    (void)g_;
    (void)argc;
    (void)argv;
    if (!g)
        return 1;
    snprintf(seccomp_ver, sizeof seccomp_ver, "%u.%u.%u", sv->major, sv->minor, sv->micro);
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
    str(g, "io.github.seccomp.libseccomp.version"); /* runc's */
    str(g, seccomp_ver);
    str(g, "io.katabox.version");
    str(g, kb_version());
    yajl_gen_map_close(g);
    yajl_gen_map_close(g);
    if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok)
        fwrite(buf, 1, len, stdout);
    yajl_gen_free(g);
    return 0;
}
