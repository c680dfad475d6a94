/* kata-runtime features: what this runtime implements, in the shape of
 * runc's `features` (runtime-spec's features document). Only what katabox
 * really does is listed: no hooks, seccomp, AppArmor or SELinux yet. */
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

int runtime_features(const struct rt_globals *g_, int argc, char **argv)
{
    static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "uts" };
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
    /* inside the guest: cgroup v2 only, and not applied yet */
    str(g, "cgroup");
    yajl_gen_map_open(g);
    boolean(g, "v1", 0);
    boolean(g, "v2", 0);
    boolean(g, "systemd", 0);
    boolean(g, "systemdUser", 0);
    yajl_gen_map_close(g);
    str(g, "seccomp");
    yajl_gen_map_open(g);
    boolean(g, "enabled", 0);
    yajl_gen_map_close(g);
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
