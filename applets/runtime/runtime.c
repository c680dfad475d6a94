/* kata-runtime: the OCI runtime command line. A verb table as runc's and
 * crun's; verbs of runc's that later work brings are named, so that a caller
 * gets "not implemented yet" rather than "unknown command". */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/oci/guest_spec.h"
#include "../../core/sandbox/sandbox.h"
#include "../../core/util.h"

#include "../../core/version.h"
#include "../applets.h"
#include "runtime.h"

#define APPLET RUNTIME_APPLET

static int cmd_version(const struct rt_globals *g, int argc, char **argv)
{
    (void)g;
    (void)argc;
    (void)argv;
    kb_version_print(stdout);
    return 0;
}

struct verb {
    const char *name;
    int (*run)(const struct rt_globals *g, int argc, char **argv);
    const char *summary;
};

static const struct verb verbs[] = {
    { "check", runtime_check, "check that this host can run katabox sandboxes" },
    { "create", runtime_create, "create a container in its own VM; it waits for start" },
    { "delete", runtime_delete, "remove a stopped container (--force: any)" },
    { "events", runtime_events, "a container's stats (--stats: once; else every --interval) and OOMs" },
    { "exec", runtime_exec, "run another process in a container" },
    { "features", runtime_features, "what this runtime implements, as runc features prints it" },
    { "kill", runtime_kill, "send a signal to a container (default SIGTERM; --all)" },
    { "list", runtime_list, "list containers (-q: ids; --format json)" },
    { "pause", runtime_pause, "freeze every process of a container" },
    { "ps", runtime_ps, "list a container's processes (guest pids; --format json)" },
    { "resume", runtime_resume, "thaw a paused container" },
    { "run", runtime_run, "create and run a container in its own VM, in the foreground" },
    { "spec", runtime_spec, "write a default config.json, as runc spec does" },
    { "start", runtime_start, "start a created container" },
    { "update", runtime_update, "change a container's cgroup limits in the guest" },
    { "state", runtime_state, "print a container's state as runc's JSON" },
    { "version", cmd_version, "print the version report" },
};

/* runc's verbs that are not here (CRIU cannot checkpoint a VM) */
static const char *const later_verbs[] = {
    "checkpoint", "restore",
};

static void usage(FILE *f)
{
    fprintf(f, "usage: kata-runtime [GLOBAL OPTIONS] COMMAND [ARGS...]\n\n"
               "global options (as runc's):\n"
               "  --root DIR          state directory (default " KB_DEFAULT_ROOT ")\n"
               "  --log FILE          append errors to FILE\n"
               "  --log-format FMT    text or json (default text)\n"
               "  --debug             accepted\n"
               "  --systemd-cgroup    accepted; cgroups live in the guest\n"
               "  --version, -v       print the version report\n\ncommands:\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
}

int rt_load_bundle(const char *id, const char *bundle_arg, char *bundle, char **config, size_t *len,
                   struct kb_spec *spec, kb_err *err)
{
    char path[PATH_MAX + 16];

    if (kb_container_id_check(id, err) < 0)
        return -1;
    if (!realpath(bundle_arg, bundle))
        return kb_error_errno(err, "bundle %s", bundle_arg);
    snprintf(path, sizeof path, "%s/config.json", bundle);
    if (kb_read_file(path, KB_SPEC_MAX_BYTES, config, len, err) < 0)
        return -1;
    if (kb_spec_parse(*config, *len, spec, err) < 0) {
        kb_spec_free(spec);
        return kb_error_wrap(err, "%s", path);
    }
    {
        /* what the agent gets: without what only the host can resolve */
        char *guest;
        size_t glen;
        if (kb_spec_for_guest(*config, *len, spec, 0, &guest, &glen, err) < 0) {
            kb_spec_free(spec);
            return kb_error_wrap(err, "%s", path);
        }
        free(*config);
        *config = guest;
        *len = glen;
    }
    /* The guest kernel has no LSM: the VM is the boundary these labels would
     * draw. Accepted so that configs written for a host work, said once. */
    if (spec->process.apparmor_profile && spec->process.apparmor_profile[0])
        fprintf(stderr, "katabox: %s: warning: process.apparmorProfile '%s' is not applied: the guest "
                        "kernel has no AppArmor\n", APPLET, spec->process.apparmor_profile);
    if ((spec->process.selinux_label && spec->process.selinux_label[0]) ||
        (spec->mount_label && spec->mount_label[0]))
        fprintf(stderr, "katabox: %s: warning: SELinux labels (process.selinuxLabel, linux.mountLabel) "
                        "are not applied: the guest kernel has no SELinux\n", APPLET);
    return 0;
}

int rt_fail(const struct rt_globals *g, const char *verb, const kb_err *err)
{
    char msg[1200];
    kb_err log_err;

    kb_error_str(err, msg, sizeof msg);
    fprintf(stderr, "katabox: %s: %s: %s\n", APPLET, verb, msg);
    if (kb_log_write(g->log, g->log_format, "error", msg, &log_err) < 0)
        kb_error_print(APPLET, &log_err);
    return 1;
}

/* runc's global options, before the command; "+" stops at the command */
static int parse_globals(int argc, char **argv, struct rt_globals *g)
{
    static const struct option longopts[] = {
        { "root", required_argument, 0, 'r' },
        { "log", required_argument, 0, 'l' },
        { "log-format", required_argument, 0, 'f' },
        { "debug", no_argument, 0, 'd' },
        { "systemd-cgroup", no_argument, 0, 's' },
        { "rootless", required_argument, 0, 'R' },
        { "criu", required_argument, 0, 'c' },
        { "version", no_argument, 0, 'v' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;

    g->root = KB_DEFAULT_ROOT;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            g->root = optarg;
            break;
        case 'l':
            g->log = optarg;
            break;
        case 'f':
            if (kb_log_format_parse(optarg, &g->log_format) < 0) {
                fprintf(stderr, "katabox: %s: --log-format %s: expected text or json\n", APPLET,
                        optarg);
                return -2;
            }
            break;
        case 'd':
            g->debug = 1;
            break;
        case 's':
        case 'c':
            break;
        case 'R':
            if (strcmp(optarg, "false") != 0 && strcmp(optarg, "auto") != 0) {
                fprintf(stderr, "katabox: %s: --rootless %s: rootless containers are not "
                                "supported: katabox needs root to start VMs\n", APPLET, optarg);
                return -1;
            }
            break;
        case 'v':
            kb_version_print(stdout);
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        default:
            fprintf(stderr, "katabox: %s: unknown global option '%s' (see --help)\n", APPLET,
                    argv[optind - 1]);
            return -2;
        }
    }
    return optind;
}

int runtime_main(int argc, char **argv)
{
    struct rt_globals g = { 0 };
    const char *cmd;
    int first = parse_globals(argc, argv, &g);

    if (first < 0)
        return -first;
    if (first >= argc) {
        usage(stderr);
        return 2;
    }
    argc -= first - 1;
    argv += first - 1;
    cmd = argv[1];
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(verbs[i].name, cmd) == 0)
            return verbs[i].run(&g, argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof later_verbs / sizeof later_verbs[0]; i++)
        if (strcmp(later_verbs[i], cmd) == 0) {
            fprintf(stderr, "katabox: %s: '%s' is not implemented yet in katabox %s\n", APPLET,
                    cmd, kb_version());
            return 1;
        }
    fprintf(stderr, "katabox: %s: unknown command '%s' (see --help)\n", APPLET, cmd);
    return 2;
}
