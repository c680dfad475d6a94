/* kata-runtime: the OCI runtime command line. A verb table as runc's and
 * crun's; verbs of runc's that later work brings are named, so that a caller
 * gets "not implemented yet" rather than "unknown command". */
#include <stdio.h>
#include <string.h>

#include "../../core/version.h"
#include "../applets.h"
#include "runtime.h"

#define APPLET RUNTIME_APPLET

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
    { "check", runtime_check, "check that this host can run katabox sandboxes" },
    { "spec", runtime_spec, "write a default config.json, as runc spec does" },
    { "version", cmd_version, "print the version report" },
};

/* runc's verbs that are not here yet */
static const char *const later_verbs[] = {
    "create", "delete", "events", "exec", "features", "kill", "list", "pause",
    "ps", "resume", "run", "start", "state", "update",
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
