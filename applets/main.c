/* katabox: one static binary, many roles, chosen by the name it is run as
 * (or `katabox NAME ...`). As PID 1 it is always the guest agent. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../core/version.h"
#include "applets.h"

struct applet {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
};

/* sorted by name */
static const struct applet applets[] = {
    { "boot", boot_main, "boot a VM with the guest kernel, wait for its agent, power it off" },
    { "containerd-shim-kata-v2", shim_main, "containerd runtime shim v2, one per pod" },
    { "init", agent_main, "the guest agent, as the VM's PID 1" },
    { "kata-agent", agent_main, "the guest agent, as the VM's PID 1" },
    { "kata-image", image_main, "image puller and unpacker" },
    { "kata-runtime", runtime_main, "OCI runtime command line (runc-compatible)" },
};

static const struct applet *find(const char *name)
{
    for (size_t i = 0; i < sizeof applets / sizeof applets[0]; i++)
        if (strcmp(applets[i].name, name) == 0)
            return &applets[i];
    return NULL;
}

static void list(FILE *f, int with_summary)
{
    for (size_t i = 0; i < sizeof applets / sizeof applets[0]; i++) {
        if (with_summary)
            fprintf(f, "  %-24s %s\n", applets[i].name, applets[i].summary);
        else
            fprintf(f, "%s\n", applets[i].name);
    }
}

static void usage(FILE *f)
{
    fprintf(f, "usage: katabox APPLET [ARGS...]  (or run it through a link named APPLET)\n"
               "       katabox --list | --version | --help\n\napplets:\n");
    list(f, 1);
}

static int run(const struct applet *a, int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        kb_version_print(stdout);
        return 0;
    }
    return a->main(argc, argv);
}

int main(int argc, char **argv)
{
    const char *name = argc > 0 && argv[0] ? argv[0] : "katabox";
    const char *slash = strrchr(name, '/');
    const struct applet *a;

    /* in the VM the kernel starts us as /init: whatever the name, be the agent */
    if (getpid() == 1)
        return agent_main(argc, argv);
    if (slash)
        name = slash + 1;
    if (strcmp(name, "katabox") == 0) {
        if (argc < 2) {
            usage(stderr);
            return 2;
        }
        if (strcmp(argv[1], "--list") == 0) {
            list(stdout, 0);
            return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
            kb_version_print(stdout);
            return 0;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        name = argv[1];
        argc--;
        argv++;
    }
    a = find(name);
    if (!a) {
        fprintf(stderr, "katabox: unknown applet '%s'; the applets are:\n", name);
        list(stderr, 0);
        return 2;
    }
    return run(a, argc, argv);
}
