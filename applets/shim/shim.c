/* containerd-shim-kata-v2's command line, as containerd passes it: Go flag
 * style (one dash, the value in the next argument), then the verb; `start`
 * and `delete` are the verbs containerd runs, the daemon is forked by start. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/version.h"
#include "../applets.h"
#include "shim.h"

static int usage(const char *why)
{
    fprintf(stderr, "katabox: %s: %s\nusage: %s -namespace NS -address ADDR -publish-binary BIN -id ID "
                    "[-debug] [-bundle DIR] start|delete\n", SHIM_APPLET, why, SHIM_APPLET);
    return 1;
}

int shim_main(int argc, char **argv)
{
    struct shim_flags f = { 0 };
    const char *verb = NULL;
    kb_err err = { 0 };
    int r;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **val = NULL;

        if (a[0] == '-' && a[1] == '-')
            a++;
        if (!strcmp(a, "-v") || !strcmp(a, "-version")) {
            kb_version_print(stdout);
            return 0;
        }
        if (!strcmp(a, "-debug")) {
            f.debug = 1;
            continue;
        }
        if (!strcmp(a, "-namespace"))
            val = &f.namespace;
        else if (!strcmp(a, "-address"))
            val = &f.address;
        else if (!strcmp(a, "-publish-binary"))
            val = &f.publish_binary;
        else if (!strcmp(a, "-id"))
            val = &f.id;
        else if (!strcmp(a, "-bundle"))
            val = &f.bundle;
        else if (!strcmp(a, "-socket"))
            val = &(const char *){ NULL }; /* the Go library's; containerd never passes it */
        if (val) {
            if (i + 1 >= argc)
                return usage("a flag without its value");
            *val = argv[++i];
            continue;
        }
        if (a[0] == '-')
            return usage("unknown flag");
        verb = a;
    }
    if (!verb)
        return usage("no command (start or delete)");
    f.ttrpc_address = getenv("TTRPC_ADDRESS");
    if (!f.namespace || !f.id)
        return usage("-namespace and -id are required");
    if (!strcmp(verb, "start"))
        r = shim_start(&f, &err);
    else if (!strcmp(verb, "delete"))
        r = shim_delete(&f, &err);
    else
        return usage("unknown command");
    if (r < 0) {
        kb_error_print(SHIM_APPLET, &err);
        return 1;
    }
    return 0;
}
