/* kata-runtime run: runc's foreground run, in a fresh VM. Parses runc's
 * flags, prepares the host side (signals, terminal), and leaves the rest
 * to core/sandbox. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../../core/hypervisor/accel.h"
#include "../../core/oci/spec.h"
#include "../../core/sandbox/keeper.h"
#include "../../core/sandbox/run.h"
#include "../../core/sandbox/state.h"
#include "../../core/sandbox/sandbox.h"
#include "../../core/tty.h"
#include "../../core/util.h"
#include "../../core/version.h"
#include "runtime.h"

struct run_opts {
    const char *bundle, *pid_file, *id, *console_socket;
    int detach;
};

static const char usage_text[] =
    "usage: kata-runtime run [--bundle DIR] [--pid-file FILE] [-d [--console-socket SOCK]] ID\n"
    "Create and run container ID from the bundle DIR (default: .) in its own VM, in the\n"
    "foreground: stdio is relayed, signals are forwarded, and the exit status is the\n"
    "container's (128+N when a signal N killed it). The VM is gone when this returns.\n"
    "  -b, --bundle DIR      the bundle (config.json and its root.path)\n"
    "  --pid-file FILE       write the pid of this process, which relays signals to the\n"
    "                        container and exits with its status\n"
    "  -d, --detach          create and start, and return (as create + start)\n"
    "  --console-socket SOCK with -d and process.terminal: send the pty master there\n"
    "  --no-pivot, --no-new-keyring, --no-subreaper   accepted (no meaning in a VM)\n";

static int parse(int argc, char **argv, struct run_opts *o, kb_err *err)
{
    static const struct option longopts[] = {
        { "bundle", required_argument, 0, 'b' },
        { "pid-file", required_argument, 0, 'p' },
        { "console-socket", required_argument, 0, 'c' },
        { "detach", no_argument, 0, 'd' },
        { "preserve-fds", required_argument, 0, 'P' },
        { "keep", no_argument, 0, 'k' },
        { "no-pivot", no_argument, 0, 'n' },
        { "no-new-keyring", no_argument, 0, 'n' },
        { "no-subreaper", no_argument, 0, 'n' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;

    o->bundle = ".";
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:dh", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->bundle = optarg;
            break;
        case 'p':
            o->pid_file = optarg;
            break;
        case 'n':
            break;
        case 'd':
            o->detach = 1;
            break;
        case 'c':
            o->console_socket = optarg;
            break;
        case 'P':
        case 'k':
            return kb_error(err, ENOTSUP, "%s is not supported yet (only foreground runs)",
                            argv[optind - 1]);
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        default:
            return kb_error(err, EINVAL, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return kb_error(err, EINVAL, optind >= argc ? "container id cannot be empty"
                                                     : "expected one container id, got %d arguments",
                        argc - optind);
    o->id = argv[optind];
    return 0;
}

static double ms(uint64_t from, uint64_t to)
{
    return to > from ? (double)(to - from) / 1e6 : 0;
}

/* --debug: where the time went, for tests/bench/run */
static void print_phases(const struct kb_sandbox *sb)
{
    fprintf(stderr, "katabox: %s: run: phases (ms): boot %.1f create %.1f start %.1f run %.1f "
                    "shutdown %.1f total %.1f [%s, %u vCPU, %u MiB, agent on %s]\n", RUNTIME_APPLET,
            ms(sb->t.start, sb->t.ready), ms(sb->t.ready, sb->t.created),
            ms(sb->t.created, sb->t.started), ms(sb->t.started, sb->t.exited),
            ms(sb->t.exited, sb->t.stopped), ms(sb->t.start, sb->t.stopped),
            kb_accel_name(sb->cfg.accel), sb->cfg.vcpus, sb->cfg.mem_mib, sb->chan.t->name);
}

/* create, start, wait, with the host's hooks around them (hooks.c); the
 * container's pid in their state is this process's, which holds it */
static int run_with_hooks(struct kb_sandbox *sb, const char *id, const char *bundle, const struct kb_spec *spec,
                          const char *config, size_t len, const struct kb_run_io *io, int *status, int *created,
                          kb_err *err)
{
    struct kb_relay r;
    int pid = (int)getpid();
    int ret = kb_relay_create(&r, sb, id, config, len, io, err);

    *created = ret == 0;
    if (ret == 0 && rt_hooks_create(spec, id, pid, bundle, err) < 0)
        ret = -1;
    if (ret == 0)
        ret = kb_relay_start(&r, NULL, err);
    /* runc ends the container when a poststart hook fails: the VM goes below */
    if (ret == 0 && rt_hooks_poststart(spec, id, pid, bundle, err) < 0)
        ret = -1;
    if (ret == 0)
        ret = kb_relay_wait(&r, NULL, status, err);
    kb_relay_fini(&r);
    return ret;
}

static int run(const struct rt_globals *g, const struct run_opts *o, int *status, kb_err *err)
{
    char bundle[PATH_MAX];
    _cleanup_free_ char *config = NULL;
    _cleanup_close_ int sigfd = -1;
    struct kb_spec spec;
    struct kb_sandbox sb;
    struct kb_tty tty = { .fd = -1 };
    struct kb_run_io io;
    struct kb_sandbox_opts so;
    size_t len;
    int r, created = 0;

    if (rt_load_bundle(o->id, o->bundle, bundle, &config, &len, &spec, err) < 0)
        return -1;
    if ((sigfd = kb_relay_signalfd(err)) < 0) {
        kb_spec_free(&spec);
        return -1;
    }
    so = (struct kb_sandbox_opts){ .root = g->root, .id = o->id, .bundle = bundle, .spec = &spec,
                                   .boot_timeout_ms = 60000, .version = kb_version(),
                                   .abort_fd = sigfd };
    io = (struct kb_run_io){ .in = 0, .out = 1, .err = 2, .terminal = spec.process.terminal,
                             .tty = -1, .sigfd = sigfd, .pid_file = o->pid_file };
    r = kb_sandbox_start(&sb, &so, err);
    if (g->debug && sb.chan.t)
        fprintf(stderr, "katabox: %s: run: agent transport %s (%s)\n", RUNTIME_APPLET,
                sb.chan.t->name, sb.transport_note);
    if (r == 0 && spec.process.terminal) {
        /* raw only once the VM is up, so a boot failure leaves the terminal alone */
        if (kb_tty_raw(&tty, 0) < 0)
            r = kb_error_errno(err, "put the terminal in raw mode");
        io.tty = tty.fd;
    }
    if (r == 0)
        r = run_with_hooks(&sb, o->id, bundle, &spec, config, len, &io, status, &created, err);
    kb_tty_restore(&tty);
    if (r == 0) {
        /* the container's status stands even if the VM does not stop
         * cleanly (destroy below ends it either way): say so, do not fail */
        kb_err why;
        if (kb_sandbox_shutdown(&sb, 10000, &why) < 0) {
            kb_error_wrap(&why, "warning: stop the VM");
            rt_fail(g, "run", &why);
        } else if (g->debug) {
            print_phases(&sb);
        }
    }
    kb_sandbox_destroy(&sb);
    /* poststop once the VM is gone, whatever happened after the container was created */
    if (created)
        rt_hooks_poststop(g, "run", &spec, o->id, bundle);
    kb_spec_free(&spec);
    return r;
}

int runtime_run(const struct rt_globals *g, int argc, char **argv)
{
    struct run_opts o = { 0 };
    kb_err err;
    int status = 0;

    if (parse(argc, argv, &o, &err) < 0)
        return rt_fail(g, "run", &err);
    if (o.detach) {
        /* create, then start: the keeper runs on, as runc run -d leaves the container */
        struct rt_create_opts co = { .bundle = o.bundle, .pid_file = o.pid_file,
                                     .console_socket = o.console_socket, .id = o.id };
        char dir[4200];
        if (rt_create(g, &co, &err) < 0)
            return rt_fail(g, "run", &err);
        snprintf(dir, sizeof dir, "%s/%s", g->root, o.id);
        {
            /* as runc run -d: a container that fails to start is destroyed (poststop included) */
            struct kb_state st;
            int r = kb_state_read(dir, &st, &err);
            if (r == 0 && (r = rt_start(dir, &st, &err)) < 0) {
                kb_err ignored;
                kb_state_free(&st);
                if (kb_state_read(dir, &st, &ignored) == 0)
                    rt_destroy(g, "run", dir, &st);
            }
            kb_state_free(&st);
            return r < 0 ? rt_fail(g, "run", &err) : 0;
        }
    }
    if (o.console_socket) {
        kb_error(&err, EINVAL, "--console-socket needs --detach (the terminal is this one otherwise)");
        return rt_fail(g, "run", &err);
    }
    if (run(g, &o, &status, &err) < 0)
        return rt_fail(g, "run", &err);
    return status;
}
