/* kata-runtime spec: write a default config.json into the bundle, with
 * runc's flags and refusals. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../core/err.h"
#include "../../core/oci/default_spec.h"
#include "../../core/util.h"
#include "runtime.h"

static int write_spec(const char *bundle, kb_err *err)
{
    const char *text = kb_default_spec_json();
    char path[4096];
    _cleanup_close_ int fd = -1;

    if ((size_t)snprintf(path, sizeof path, "%s/config.json", bundle) >= sizeof path)
        return kb_error(err, ENAMETOOLONG, "bundle path %s", bundle);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST)
        return kb_error(err, 0, "File %s exists. Remove it first", path);
    if (fd < 0)
        return kb_error_errno(err, "create %s", path);
    if (kb_write_all(fd, text, strlen(text)) < 0)
        return kb_error_errno(err, "write %s", path);
    return 0;
}

int runtime_spec(const struct rt_globals *g, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "bundle", required_argument, 0, 'b' },
        { "rootless", no_argument, 0, 'R' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *bundle = ".";
    kb_err err;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            bundle = optarg;
            break;
        case 'R':
            fprintf(stderr, "katabox: %s: spec --rootless: rootless containers are not supported: "
                            "katabox needs root to start VMs\n", RUNTIME_APPLET);
            return 1;
        case 'h':
            printf("usage: kata-runtime spec [--bundle DIR]\n"
                   "Write a default config.json (runc's defaults) into DIR (default: .).\n");
            return 0;
        default:
            fprintf(stderr, "katabox: %s: spec: unknown option '%s'\n", RUNTIME_APPLET, argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "katabox: %s: spec: unexpected argument '%s'\n", RUNTIME_APPLET, argv[optind]);
        return 2;
    }
    if (write_spec(bundle, &err) < 0) {
        kb_error_print(RUNTIME_APPLET, &err);
        return 1;
    }
    return 0;
}
