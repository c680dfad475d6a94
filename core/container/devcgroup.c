/* linux.resources.devices on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE
 * program attached to the container's cgroup, with runc's semantics: the
 * spec's rules in order, then the devices runc always allows (null, zero,
 * full, random, urandom, tty, ptys, ptmx, tun, mknod of anything); the last
 * rule that matches decides; a rule for every device (type a, any numbers,
 * rwm) sets the default and drops what came before it. Written as BPF
 * instructions here: a loader library would be larger than the program. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

#define ALL_ACCESS (KB_DEV_READ | KB_DEV_WRITE | KB_DEV_MKNOD)
#define MAX_INSNS 4096

/* runc 1.1's AllowedDevices, appended after the spec's rules */
static const struct kb_dev_rule always[] = {
    { 1, 'c', -1, -1, KB_DEV_MKNOD }, { 1, 'b', -1, -1, KB_DEV_MKNOD },
    { 1, 'c', 1, 3, ALL_ACCESS },     { 1, 'c', 1, 8, ALL_ACCESS },   { 1, 'c', 1, 7, ALL_ACCESS },
    { 1, 'c', 5, 0, ALL_ACCESS },     { 1, 'c', 1, 5, ALL_ACCESS },   { 1, 'c', 1, 9, ALL_ACCESS },
    { 1, 'c', 136, -1, ALL_ACCESS },  { 1, 'c', 5, 2, ALL_ACCESS },   { 1, 'c', 10, 200, ALL_ACCESS },
};

struct prog {
    struct bpf_insn insn[MAX_INSNS];
    size_t n;
};

static int emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    if (p->n == MAX_INSNS)
        return -1;
    p->insn[p->n++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
    return 0;
}

static int is_all(const struct kb_dev_rule *r)
{
    return r->type == 'a' && r->major < 0 && r->minor < 0 && r->access == ALL_ACCESS;
}

/* One rule: if it matches, return its verdict. Registers: r2 type, r3 access,
 * r4 major, r5 minor (loaded once at the start). */
static int emit_rule(struct prog *p, const struct kb_dev_rule *r)
{
    int checks = (r->type != 'a') + (r->major >= 0) + (r->minor >= 0);
    int partial = (r->access & ALL_ACCESS) != ALL_ACCESS;
    /* the block's length after each jump: what a failed check skips */
    int left = checks + (partial ? 3 : 0) + 2;
    int r0 = 0;

    if (r->type != 'a')
        r0 |= emit(p, BPF_JMP | BPF_JNE | BPF_K, 2, 0, (int16_t)(--left), r->type == 'b' ? BPF_DEVCG_DEV_BLOCK
                                                                                        : BPF_DEVCG_DEV_CHAR);
    if (r->major >= 0)
        r0 |= emit(p, BPF_JMP | BPF_JNE | BPF_K, 4, 0, (int16_t)(--left), (int32_t)r->major);
    if (r->minor >= 0)
        r0 |= emit(p, BPF_JMP | BPF_JNE | BPF_K, 5, 0, (int16_t)(--left), (int32_t)r->minor);
    if (partial) {
        /* every access asked for must be one the rule names */
        r0 |= emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 6, 3, 0, 0);
        r0 |= emit(p, BPF_ALU64 | BPF_AND | BPF_K, 6, 0, 0, (int32_t)(~r->access & ALL_ACCESS));
        left -= 2;
        r0 |= emit(p, BPF_JMP | BPF_JNE | BPF_K, 6, 0, (int16_t)(--left), 0);
    }
    r0 |= emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
    r0 |= emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    return r0;
}

/* The program for rules (n of them, then runc's always-allowed). */
static int build(const struct kb_dev_rule *rules, size_t n, struct prog *p)
{
    const struct kb_dev_rule *list[KB_SPEC_MAX_LIST + KB_ARRAY_SIZE(always)];
    size_t k = 0;
    int def_allow = 1, r = 0;

    for (size_t i = 0; i < n + KB_ARRAY_SIZE(always); i++) {
        const struct kb_dev_rule *d = i < n ? &rules[i] : &always[i - n];
        if (is_all(d)) {
            def_allow = d->allow;
            k = 0;
            continue;
        }
        if (k < KB_ARRAY_SIZE(list))
            list[k++] = d;
    }
    p->n = 0;
    /* struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor */
    r |= emit(p, BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
    r |= emit(p, BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
    r |= emit(p, BPF_ALU64 | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
    r |= emit(p, BPF_ALU64 | BPF_RSH | BPF_K, 3, 0, 0, 16);
    r |= emit(p, BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0);
    r |= emit(p, BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0);
    /* the last rule that matches decides: emitted last first */
    while (k > 0)
        r |= emit_rule(p, list[--k]);
    r |= emit(p, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, def_allow);
    r |= emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    return r;
}

int kb_ctr_devices_cgroup(const char *cgroup, const struct kb_resources *res, kb_err *err)
{
    static char log[65536];
    _cleanup_close_ int dir = -1, fd = -1;
    union bpf_attr load, attach;
    struct prog *p;

    if (!res->n_devices)
        return 0;
    p = calloc(1, sizeof *p);
    if (!p)
        return kb_error(err, ENOMEM, "linux.resources.devices");
    if (build(res->devices, res->n_devices, p) < 0) {
        free(p);
        return kb_error(err, E2BIG, "linux.resources.devices: more than %d instructions", MAX_INSNS);
    }
    memset(&load, 0, sizeof load);
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = (uint64_t)(uintptr_t)p->insn;
    load.insn_cnt = (uint32_t)p->n;
    load.license = (uint64_t)(uintptr_t)"Apache";
    log[0] = '\0';
    fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
    if (fd < 0 && errno == EACCES) {
        /* the verifier refused it: again, for its reason (a log that overflows is ENOSPC) */
        load.log_buf = (uint64_t)(uintptr_t)log;
        load.log_size = sizeof log;
        load.log_level = 1;
        fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
    }
    if (fd < 0) {
        int e = errno;
        kb_error(err, e, "linux.resources.devices: load the device filter: %s (%.200s)", strerror(e), log);
        free(p);
        return -1;
    }
    free(p);
    dir = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return kb_error_errno(err, "linux.resources.devices: open %s", cgroup);
    memset(&attach, 0, sizeof attach);
    attach.target_fd = (uint32_t)dir;
    attach.attach_bpf_fd = (uint32_t)fd;
    attach.attach_type = BPF_CGROUP_DEVICE;
    /* an update replaces the filter: attached without MULTI, a new one takes the old one's place */
    attach.attach_flags = 0;
    if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach) < 0)
        return kb_error_errno(err, "linux.resources.devices: attach the device filter to %s", cgroup);
    return 0;
}
