/* kata-runtime: the OCI runtime command line. A verb table as runc's and
 * crun's; verbs of runc's that later work brings are named, so that a caller
 * gets "not implemented yet" rather than "unknown command". */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../core/assets.h"
#include "../../core/err.h"
#include "../../core/hypervisor/accel.h"
#include "../../core/version.h"
#include "../applets.h"

#define APPLET "kata-runtime"

/* One line per requirement; r is the check's result, err its failure. */
static int report(const char *what, int r, const char *found, const kb_err *err)
{
    char why[sizeof err->msg + 128];

    if (r == 0)
        printf("ok: %s: %s\n", what, found);
    else
        printf("FAIL: %s: %s\n", what, kb_error_str(err, why, sizeof why));
    return r < 0;
}

/* kata-runtime check: can this host run katabox sandboxes? Exit 0 when
 * every hard requirement holds; no KVM is only a warning. */
static int cmd_check(int argc, char **argv)
{
    char path[PATH_MAX], why[256];
    int failed = 0;
    kb_err err;

    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "katabox: %s: check takes no arguments\n", APPLET);
        return 2;
    }
    failed += report("hypervisor", kb_find_exec(KB_QEMU_NAME, path, sizeof path, &err), path, &err);
    failed += report("guest kernel", kb_asset_path(KB_KERNEL_NAME, path, sizeof path, &err), path, &err);
    failed += report("initramfs", kb_asset_path(KB_INITRD_NAME, path, sizeof path, &err), path, &err);
    if (kb_accel_pick(why, sizeof why) == KB_ACCEL_KVM)
        printf("ok: accelerator: kvm\n");
    else
        printf("warning: accelerator: tcg (emulation, much slower): KVM is not usable: %s\n", why);
    printf("%s\n", failed ? "FAIL: this host cannot run katabox sandboxes"
                          : "ok: this host can run katabox sandboxes");
    return failed ? 1 : 0;
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    kb_version_print(stdout);
    return 0;
}

struct verb {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct verb verbs[] = {
    { "check", cmd_check, "check that this host can run katabox sandboxes" },
    { "version", cmd_version, "print the version report" },
};

/* runc's verbs that are not here yet */
static const char *const later_verbs[] = {
    "create", "delete", "events", "exec", "features", "kill", "list", "pause",
    "ps", "resume", "run", "spec", "start", "state", "update",
};

static void usage(FILE *f)
{
    fprintf(f, "usage: kata-runtime [--version] COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
}

int runtime_main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(verbs[i].name, cmd) == 0)
            return verbs[i].run(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof later_verbs / sizeof later_verbs[0]; i++)
        if (strcmp(later_verbs[i], cmd) == 0) {
            fprintf(stderr, "katabox: %s: '%s' is not implemented yet in katabox %s\n", APPLET,
                    cmd, kb_version());
            return 1;
        }
    fprintf(stderr, "katabox: %s: unknown command '%s' (see --help)\n", APPLET, cmd);
    return 2;
}
