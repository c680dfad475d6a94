/* katabox boot: start a VM with the guest kernel and initramfs, greet the
 * agent (HELLO over its port, or its ready line on the console with
 * --console-channel), power the VM off, and report how long each step took.
 * The smallest end-to-end check that host, kernel and agent fit together. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../core/assets.h"
#include "../../core/err.h"
#include "../../core/agent/client.h"
#include "../../core/hypervisor/accel.h"
#include "../../core/hypervisor/qemu.h"
#include "../../core/hypervisor/tsc.h"
#include "../../core/hypervisor/vm.h"
#include "../../core/sandbox/sandbox.h"
#include "../../core/transport/transport.h"
#include "../../core/util.h"
#include "../../core/version.h"
#include "../applets.h"

#define APPLET "boot"

static const char usage_text[] =
    "usage: katabox boot [OPTIONS]\n"
    "  --kernel FILE       guest kernel (default: bzImage beside this binary)\n"
    "  --initrd FILE       initramfs (default: initramfs.cpio.gz beside this binary)\n"
    "  --machine NAME      microvm (default) or q35\n"
    "  --accel NAME        auto (default), kvm or tcg\n"
    "  --cpus N            vCPUs (default 1)\n"
    "  --memory MIB        guest memory (default 128)\n"
    "  --timeout SECONDS   how long the guest may take to be ready (default 60)\n"
    "  --console-log FILE  copy the guest's console to FILE\n"
    "  --transport NAME    the agent's channel: auto (default, or $KATABOX_TRANSPORT),\n"
    "                      vhost-vsock, hybrid-vsock or virtio-serial\n"
    "  --console-channel   talk to the agent on the serial console instead\n"
    "  --ping N            time N request round trips to the agent before power-off\n"
    "  --append ARGS       extra kernel command line\n";

struct opts {
    const char *kernel, *initrd, *accel, *console_log, *append, *transport;
    struct kb_vm_config vm;
    unsigned timeout_s, pings;
    int console_channel;
};

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max || s[0] == '-')
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o, kb_err *err)
{
    enum { O_KERNEL = 256, O_INITRD, O_MACHINE, O_ACCEL, O_CPUS, O_MEMORY, O_TIMEOUT, O_LOG, O_APPEND,
           O_CONSOLE_CHANNEL, O_TRANSPORT, O_PING };
    static const struct option longopts[] = {
        { "kernel", required_argument, 0, O_KERNEL },   { "initrd", required_argument, 0, O_INITRD },
        { "machine", required_argument, 0, O_MACHINE }, { "accel", required_argument, 0, O_ACCEL },
        { "cpus", required_argument, 0, O_CPUS },       { "memory", required_argument, 0, O_MEMORY },
        { "timeout", required_argument, 0, O_TIMEOUT }, { "console-log", required_argument, 0, O_LOG },
        { "append", required_argument, 0, O_APPEND },   { "help", no_argument, 0, 'h' },
        { "console-channel", no_argument, 0, O_CONSOLE_CHANNEL },
        { "transport", required_argument, 0, O_TRANSPORT }, { "ping", required_argument, 0, O_PING },
        { 0, 0, 0, 0 },
    };
    int c;

    kb_vm_config_defaults(&o->vm);
    o->timeout_s = 60;
    o->accel = "auto";
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_KERNEL: o->kernel = optarg; break;
        case O_INITRD: o->initrd = optarg; break;
        case O_LOG: o->console_log = optarg; break;
        case O_APPEND: o->append = optarg; break;
        case O_CONSOLE_CHANNEL: o->console_channel = 1; break;
        case O_TRANSPORT: o->transport = optarg; break;
        case O_PING:
            if (parse_uint(optarg, 1, 1000000, &o->pings) < 0)
                return kb_error(err, EINVAL, "--ping %s: expected a count from 1 to 1000000", optarg);
            break;
        case O_ACCEL:
            if (strcmp(optarg, "auto") && strcmp(optarg, "kvm") && strcmp(optarg, "tcg"))
                return kb_error(err, EINVAL, "--accel %s: expected auto, kvm or tcg", optarg);
            o->accel = optarg;
            break;
        case O_MACHINE:
            if (kb_machine_parse(optarg, &o->vm.machine) < 0)
                return kb_error(err, EINVAL, "--machine %s: expected microvm or q35", optarg);
            break;
        case O_CPUS:
            if (parse_uint(optarg, 1, 255, &o->vm.vcpus) < 0)
                return kb_error(err, EINVAL, "--cpus %s: expected a number from 1 to 255", optarg);
            break;
        case O_MEMORY:
            if (parse_uint(optarg, 32, 1 << 20, &o->vm.mem_mib) < 0)
                return kb_error(err, EINVAL, "--memory %s: expected MiB from 32 to 1048576", optarg);
            break;
        case O_TIMEOUT:
            if (parse_uint(optarg, 1, 3600, &o->timeout_s) < 0)
                return kb_error(err, EINVAL, "--timeout %s: expected seconds from 1 to 3600", optarg);
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        default:
            return kb_error(err, EINVAL, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return kb_error(err, EINVAL, "unexpected argument '%s' (see --help)", argv[optind]);
    return 0;
}

/* The defaults live beside the binary (build/); say which flag overrides. */
static int default_asset(const char *name, const char *flag, char *buf, size_t len, kb_err *err)
{
    if (kb_asset_path(name, buf, len, err) < 0)
        return kb_error_wrap(err, "no --%s given", flag);
    return 0;
}

static double secs(uint64_t ns)
{
    return (double)ns / 1e9;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

    return a < b ? -1 : a > b;
}

/* --ping: HELLO is the cheapest request the agent answers */
static int ping(struct kb_agent *a, unsigned n, kb_err *err)
{
    _cleanup_free_ uint64_t *rtt = calloc(n, sizeof *rtt);
    struct kb_msg req = { .kind = KB_KIND_HELLO }, resp;

    if (!rtt)
        return kb_error(err, ENOMEM, "--ping");
    kb_msg_hello_self(&req.u.hello, kb_version());
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = kb_now_ns();
        if (kb_agent_call(a, KB_MSG_HELLO, &req, &resp, 10000, err) < 0)
            return -1;
        rtt[i] = kb_now_ns() - t0;
        kb_msg_free(&resp);
    }
    qsort(rtt, n, sizeof *rtt, cmp_u64);
    printf("agent round trip: %u requests, median %.1f us, p90 %.1f us, max %.1f us\n", n,
           (double)rtt[n / 2] / 1e3, (double)rtt[n * 9 / 10] / 1e3, (double)rtt[n - 1] / 1e3);
    return 0;
}

/* Connect to the agent, exchange HELLOs (the agent reports when it became
 * ready), then SHUTDOWN and wait for QEMU to exit. */
static int greet_and_stop(struct kb_vm *vm, struct kb_channel *ch, const struct opts *o,
                          uint64_t *guest_ns, uint64_t *t_ready, kb_err *err)
{
    struct kb_connect_opts co = { .timeout_ms = o->timeout_s * 1000, .abort_fd = -1 };
    struct kb_agent a;
    int fd = ch->t->connect(ch, vm, &co, err);
    int r;

    if (fd < 0)
        return -1;
    if (kb_agent_open(&a, fd, vm, err) < 0)
        return -1;
    r = kb_agent_hello(&a, kb_version(), o->timeout_s * 1000, err);
    if (r == 0) {
        *t_ready = kb_now_ns();
        *guest_ns = a.peer.boottime_ns;
        if (o->pings)
            r = ping(&a, o->pings, err);
    }
    if (r == 0)
        r = kb_agent_shutdown(&a, 10000, err);
    kb_agent_close(&a);
    return r;
}

static int boot(struct opts *o, kb_err *err)
{
    char kernel[PATH_MAX], initrd[PATH_MAX], why[256] = "", state[PATH_MAX] = "";
    char tnote[160] = "";
    struct kb_channel ch;
    struct kb_vm vm;
    struct rusage ru;
    uint64_t guest_ns = 0, t_ready = 0;
    int r;

    if (!o->kernel && default_asset(KB_KERNEL_NAME, "kernel", kernel, sizeof kernel, err) < 0)
        return -1;
    if (!o->initrd && default_asset(KB_INITRD_NAME, "initrd", initrd, sizeof initrd, err) < 0)
        return -1;
    o->vm.kernel = o->kernel ? o->kernel : kernel;
    o->vm.initrd = o->initrd ? o->initrd : initrd;
    o->vm.append = o->append;

    if (strcmp(o->accel, "tcg") == 0) {
        o->vm.accel = KB_ACCEL_TCG;
    } else if (strcmp(o->accel, "kvm") == 0) {
        if (!kb_kvm_usable("/dev/kvm", "/proc/cpuinfo", why, sizeof why))
            return kb_error(err, 0, "--accel kvm: KVM is not usable: %s", why);
        o->vm.accel = KB_ACCEL_KVM;
    } else {
        o->vm.accel = kb_accel_pick(why, sizeof why);
        if (o->vm.accel == KB_ACCEL_TCG)
            fprintf(stderr, "katabox: %s: warning: KVM is not usable (%s); "
                            "using TCG emulation, which is much slower\n", APPLET, why);
    }
    if (kb_host_tsc_khz(&o->vm.tsc_khz, err) < 0)
        return -1;

    kb_channel_init(&ch, NULL);
    if (!o->console_channel) {
        /* a private directory for the agent's sockets, removed on every path */
        const char *tmp = getenv("TMPDIR");
        const struct kb_transport *t =
            kb_transport_choose(o->transport ? o->transport : getenv(KB_TRANSPORT_ENV), tnote,
                                sizeof tnote, err);
        if (!t)
            return -1;
        kb_channel_init(&ch, t);
        if ((size_t)snprintf(state, sizeof state, "%s/katabox-boot.XXXXXX", tmp && *tmp ? tmp : "/tmp") >=
            sizeof state)
            return kb_error(err, ENAMETOOLONG, "state directory under %s", tmp);
        if (!mkdtemp(state))
            return kb_error_errno(err, "create a state directory %s", state);
        if (t->configure(&ch, &o->vm, state, err) < 0) {
            kb_channel_release(&ch);
            kb_sandbox_remove_state(state);
            return -1;
        }
    }
    r = kb_vm_start(&vm, &o->vm, o->console_log, err);
    if (r == 0 && ch.t)
        r = greet_and_stop(&vm, &ch, o, &guest_ns, &t_ready, err);
    if (r == 0 && !ch.t) {
        r = kb_vm_wait_ready(&vm, o->timeout_s * 1000, err);
        if (r == 0 && strcmp(vm.ready.version, kb_version()) != 0)
            r = kb_error(err, 0, "the guest agent is katabox %s but this binary is %s: "
                                 "rebuild the initramfs", vm.ready.version, kb_version());
        guest_ns = vm.ready.boottime_ns;
        t_ready = vm.t_ready;
        if (r == 0)
            r = kb_vm_poweroff(&vm, 10000, err);
    }
    kb_vm_destroy(&vm);
    kb_channel_release(&ch);
    if (*state)
        kb_sandbox_remove_state(state);
    if (r < 0)
        return -1;

    getrusage(RUSAGE_CHILDREN, &ru);
    printf("guest ready: %.3f s guest time (CLOCK_BOOTTIME), %.3f s wall from QEMU start; "
           "powered off after %.3f s; QEMU peak RSS %ld KiB [%s, %s, %u vCPU, %u MiB, agent on %s%s%s%s]\n",
           secs(guest_ns), secs(t_ready - vm.t_spawn), secs(vm.t_exit - vm.t_spawn),
           ru.ru_maxrss, kb_accel_name(o->vm.accel), kb_machine_name(o->vm.machine), o->vm.vcpus,
           o->vm.mem_mib, ch.t ? ch.t->name : "console", *tnote ? " (" : "", tnote, *tnote ? ")" : "");
    return 0;
}

int boot_main(int argc, char **argv)
{
    struct opts o = { 0 };
    kb_err err;

    if (parse_opts(argc, argv, &o, &err) < 0 || boot(&o, &err) < 0) {
        kb_error_print(APPLET, &err);
        return 1;
    }
    return 0;
}
