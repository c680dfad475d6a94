/* kata-runtime create: runc's detached create. Forks the sandbox keeper
 * (core/sandbox/keeper.c), which boots the VM and creates the container,
 * and returns once the container waits for `start`, or with its error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/oci/spec.h"
#include "../../core/sandbox/keeper.h"
#include "../../core/sandbox/run.h"
#include "../../core/util.h"
#include "../../core/version.h"
#include "runtime.h"

static const char usage_text[] =
    "usage: kata-runtime create [--bundle DIR] [--pid-file FILE] ID\n"
    "Create container ID from the bundle in its own VM; it waits for `start`. The\n"
    "--pid-file pid is the container's keeper: it relays the container's stdio (this\n"
    "command's fds) and signals, and exits with the container's status.\n";

int rt_create(const struct rt_globals *g, const struct rt_create_opts *co, kb_err *err)
{
    char bundle[PATH_MAX], note[1300], dir[PATH_MAX + 256];
    _cleanup_free_ char *config = NULL;
    struct kb_keeper_opts ko = { 0 };
    struct kb_spec spec;
    size_t len;
    pid_t pid;
    int r;

    ko.so = (struct kb_sandbox_opts){ .root = g->root, .id = co->id, .bundle = bundle,
                                      .spec = &spec, .boot_timeout_ms = 60000,
                                      .version = kb_version(), .abort_fd = -1 };
    ko.console_socket = co->console_socket;
    if (rt_load_bundle(co->id, co->bundle, bundle, &config, &len, &spec, err) < 0)
        return -1;
    if (spec.process.terminal && !co->console_socket) {
        kb_spec_free(&spec);
        return kb_error(err, EINVAL, "cannot allocate tty if runc will detach without setting "
                                     "console socket");
    }
    if (!spec.process.terminal && co->console_socket) {
        kb_spec_free(&spec);
        return kb_error(err, EINVAL, "cannot use console socket if runc will not detach or "
                                     "allocate tty");
    }
    ko.config = config;
    ko.config_len = len;
    r = kb_keeper_spawn(&ko, NULL, &pid, note, sizeof note, err);
    if (r < 0) {
        kb_spec_free(&spec);
        return -1;
    }
    if (g->debug)
        fprintf(stderr, "katabox: %s: create: agent transport %s", RUNTIME_APPLET, note);
    snprintf(dir, sizeof dir, "%s/%s", g->root, co->id);
    /* the container exists: the host's hooks of creation, in runc's order */
    if (rt_hooks_save(dir, config, len, err) < 0 || rt_hooks_create(&spec, co->id, pid, bundle, err) < 0) {
        /* as runc 1.1: a failed creation leaves nothing (QEMU dies with its
         * keeper), then the poststop hooks run, as the spec's delete step */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        kb_sandbox_remove_state(dir);
        rt_hooks_poststop(g, "create", &spec, co->id, bundle);
        kb_spec_free(&spec);
        return -1;
    }
    kb_spec_free(&spec);
    if (co->pid_file && kb_write_pid_file(co->pid_file, pid, err) < 0)
        return -1;
    return 0;
}

int runtime_create(const struct rt_globals *g, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "bundle", required_argument, 0, 'b' },
        { "pid-file", required_argument, 0, 'p' },
        { "console-socket", required_argument, 0, 'c' },
        { "preserve-fds", required_argument, 0, 'P' },
        { "no-pivot", no_argument, 0, 'n' },
        { "no-new-keyring", no_argument, 0, 'n' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    struct rt_create_opts co = { .bundle = "." };
    kb_err err;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': co.bundle = optarg; break;
        case 'p': co.pid_file = optarg; break;
        case 'c': co.console_socket = optarg; break;
        case 'n': break;
        case 'P':
            if (strcmp(optarg, "0") == 0)
                break;
            kb_error(&err, ENOTSUP, "--preserve-fds is not supported yet");
            return rt_fail(g, "create", &err);
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            kb_error(&err, EINVAL, "unknown option '%s' (see --help)", argv[optind - 1]);
            return rt_fail(g, "create", &err);
        }
    }
    if (optind != argc - 1) {
        kb_error(&err, EINVAL, "expected one container id");
        return rt_fail(g, "create", &err);
    }
    co.id = argv[optind];
    return rt_create(g, &co, &err) < 0 ? rt_fail(g, "create", &err) : 0;
}
