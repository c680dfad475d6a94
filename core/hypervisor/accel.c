#include "accel.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util.h"

/* how long the probe guest may take to reach hlt before we call KVM broken */
#define PROBE_TIMEOUT_MS 2000

int kb_cpuinfo_has_virt(const char *cpuinfo)
{
    const char *line = cpuinfo;

    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (len > 5 && strncmp(line, "flags", 5) == 0) {
            const char *p = memchr(line, ':', len);
            while (p && p < line + len) {
                const char *w = p + 1, *we;
                while (w < line + len && *w == ' ')
                    w++;
                we = w;
                while (we < line + len && *we != ' ')
                    we++;
                if ((we - w == 3) && (!strncmp(w, "vmx", 3) || !strncmp(w, "svm", 3)))
                    return 1;
                p = we < line + len ? we : NULL;
            }
            return 0; /* the first CPU's flags are enough */
        }
        line = end ? end + 1 : NULL;
    }
    return 0;
}

/* Runs in a child: a one-page real-mode guest whose only instruction is hlt.
 * Exit status 0 means KVM delivered KVM_EXIT_HLT. */
static int probe_guest(int kvm)
{
    int vm, vcpu;
    size_t runsz;
    struct kvm_run *run;
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct kvm_userspace_memory_region region;
    uint8_t *mem;

    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return 10;
    mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return 11;
    mem[0] = 0xf4; /* hlt */
    memset(&region, 0, sizeof region);
    region.guest_phys_addr = 0x1000;
    region.memory_size = 0x1000;
    region.userspace_addr = (uintptr_t)mem;
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return 12;
    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        return 13;
    runsz = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    run = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        return 14;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        return 15;
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        return 16;
    memset(&regs, 0, sizeof regs);
    regs.rip = 0x1000;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        return 17;
    if (ioctl(vcpu, KVM_RUN, 0) < 0)
        return 18;
    return run->exit_reason == KVM_EXIT_HLT ? 0 : 19;
}

int kb_kvm_usable(const char *dev, const char *cpuinfo_path, char *why, size_t whylen)
{
    _cleanup_free_ char *cpuinfo = NULL;
    _cleanup_close_ int kvm = -1;
    kb_err err;
    int version, status = 0;
    uint64_t deadline;
    pid_t pid;

    if (kb_read_file(cpuinfo_path, 4 << 20, &cpuinfo, NULL, &err) < 0) {
        kb_error_str(&err, why, whylen);
        return 0;
    }
    if (!kb_cpuinfo_has_virt(cpuinfo)) {
        snprintf(why, whylen, "the CPU has no hardware virtualization (no vmx/svm flag)");
        return 0;
    }
    kvm = open(dev, O_RDWR | O_CLOEXEC);
    if (kvm < 0) {
        snprintf(why, whylen, "cannot open %s: %s", dev, strerror(errno));
        return 0;
    }
    version = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        snprintf(why, whylen, "%s speaks KVM API %d, not %d", dev, version, KVM_API_VERSION);
        return 0;
    }
    /* A broken KVM may hang in KVM_RUN: probe in a child we can kill. */
    pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork for the KVM probe: %s", strerror(errno));
        return 0;
    }
    if (pid == 0)
        _exit(probe_guest(kvm));
    deadline = kb_now_ns() + (uint64_t)PROBE_TIMEOUT_MS * 1000000u;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            snprintf(why, whylen, "waiting for the KVM probe: %s", strerror(errno));
            return 0;
        }
        if (kb_now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            snprintf(why, whylen, "a probe guest did not reach hlt within %d ms on %s",
                     PROBE_TIMEOUT_MS, dev);
            return 0;
        }
        usleep(5000);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(why, whylen, "a probe guest failed on %s (step %d)", dev,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return 0;
    }
    return 1;
}

enum kb_accel kb_accel_pick(char *why, size_t whylen)
{
    const char *force = getenv("KATABOX_ACCEL");

    if (force && strcmp(force, "tcg") == 0) {
        snprintf(why, whylen, "KATABOX_ACCEL=tcg");
        return KB_ACCEL_TCG;
    }
    if (kb_kvm_usable("/dev/kvm", "/proc/cpuinfo", why, whylen))
        return KB_ACCEL_KVM;
    return KB_ACCEL_TCG;
}

const char *kb_accel_name(enum kb_accel a)
{
    return a == KB_ACCEL_KVM ? "kvm" : "tcg";
}
