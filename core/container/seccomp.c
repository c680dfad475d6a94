/* linux.seccomp compiled to a filter with libseccomp, with runc's rules so
 * that one profile means the same under both: syscalls libseccomp does not
 * know are skipped, a rule that would do what the default does is skipped,
 * arguments compared on the same index twice make one rule each (OR), else
 * one rule with all of them (AND). Compiled by the caller before it forks,
 * loaded by the process itself. */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>

#include "../oci/seccomp.h"
#include "internal.h"

static const uint32_t arch_of[KB_SC_ARCHES] = {
    [KB_SC_X86] = SCMP_ARCH_X86,         [KB_SC_X86_64] = SCMP_ARCH_X86_64,
    [KB_SC_X32] = SCMP_ARCH_X32,         [KB_SC_ARM] = SCMP_ARCH_ARM,
    [KB_SC_AARCH64] = SCMP_ARCH_AARCH64, [KB_SC_MIPS] = SCMP_ARCH_MIPS,
    [KB_SC_MIPS64] = SCMP_ARCH_MIPS64,   [KB_SC_MIPS64N32] = SCMP_ARCH_MIPS64N32,
    [KB_SC_MIPSEL] = SCMP_ARCH_MIPSEL,   [KB_SC_MIPSEL64] = SCMP_ARCH_MIPSEL64,
    [KB_SC_MIPSEL64N32] = SCMP_ARCH_MIPSEL64N32, [KB_SC_PPC] = SCMP_ARCH_PPC,
    [KB_SC_PPC64] = SCMP_ARCH_PPC64,     [KB_SC_PPC64LE] = SCMP_ARCH_PPC64LE,
    [KB_SC_S390] = SCMP_ARCH_S390,       [KB_SC_S390X] = SCMP_ARCH_S390X,
    [KB_SC_RISCV64] = SCMP_ARCH_RISCV64,
};

static const enum scmp_compare op_of[KB_SC_OPS] = {
    [KB_SC_NE] = SCMP_CMP_NE, [KB_SC_LT] = SCMP_CMP_LT, [KB_SC_LE] = SCMP_CMP_LE,
    [KB_SC_EQ] = SCMP_CMP_EQ, [KB_SC_GE] = SCMP_CMP_GE, [KB_SC_GT] = SCMP_CMP_GT,
    [KB_SC_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

/* The filter's return value; errno defaults to EPERM, as runc's does. */
static uint32_t action_of(enum kb_sc_action a, int has_errno, uint32_t errno_ret)
{
    uint32_t e = has_errno ? errno_ret : EPERM;

    switch (a) {
    case KB_SC_KILL:
    case KB_SC_KILL_THREAD:
        return SCMP_ACT_KILL_THREAD;
    case KB_SC_KILL_PROCESS:
        return SCMP_ACT_KILL_PROCESS;
    case KB_SC_TRAP:
        return SCMP_ACT_TRAP;
    case KB_SC_ERRNO:
        return SCMP_ACT_ERRNO(e);
    case KB_SC_TRACE:
        return SCMP_ACT_TRACE(e);
    case KB_SC_LOG:
        return SCMP_ACT_LOG;
    case KB_SC_ALLOW:
    default:
        return SCMP_ACT_ALLOW;
    }
}

/* libseccomp returns -errno (the kernel's own on load: SCMP_FLTATR_API_SYSRAWRC) */
static int sc_error(kb_err *err, int rc, const char *what)
{
    return kb_error(err, -rc, "linux.seccomp: %s", what);
}

/* One syscall of rule i (runc's matchCall): conditions on distinct arguments
 * make one rule (AND); two on the same argument, which libseccomp cannot AND,
 * make one rule each (OR), as runc adds them. */
static int add_rule(scmp_filter_ctx ctx, const struct kb_seccomp_rule *r, const char *name, int nr, uint32_t act,
                    size_t i, kb_err *err)
{
    struct scmp_arg_cmp cmp[6];
    unsigned per_index[6] = { 0 };
    int shared = 0, rc = 0;

    for (size_t a = 0; a < r->n_args; a++) {
        cmp[a] = (struct scmp_arg_cmp){ .arg = r->args[a].index, .op = op_of[r->args[a].op],
                                        .datum_a = r->args[a].value, .datum_b = r->args[a].value_two };
        shared |= ++per_index[r->args[a].index] > 1;
    }
    if (shared) {
        for (size_t a = 0; a < r->n_args && rc == 0; a++)
            rc = seccomp_rule_add_array(ctx, act, nr, 1, &cmp[a]);
    } else {
        rc = seccomp_rule_add_array(ctx, act, nr, (unsigned)r->n_args, cmp);
    }
    if (rc < 0)
        return kb_error(err, -rc, "linux.seccomp.syscalls[%zu]: add the rule for %s", i, name);
    return 0;
}

int kb_ctr_seccomp_compile(const struct kb_seccomp *s, void **out, kb_err *err)
{
    uint32_t def = action_of(s->default_action, s->has_default_errno_ret, s->default_errno_ret);
    scmp_filter_ctx ctx;
    int rc;

    *out = NULL;
    /* the parser refuses it already: no seccomp agent reaches the guest */
    if (s->flags & (1u << KB_SC_FLAG_WAIT_KILLABLE_RECV))
        return kb_error(err, ENOTSUP, "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported");
    ctx = seccomp_init(def);
    if (!ctx)
        return kb_error(err, EINVAL, "linux.seccomp: the default action cannot be used");
    *out = ctx;
    /* runc sets no_new_privs itself when asked; libseccomp must not */
    if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
        return sc_error(err, rc, "leave no_new_privs alone");
    /* a failed load tells the kernel's errno (EACCES: no CAP_SYS_ADMIN), not ECANCELED */
    if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0)
        return sc_error(err, rc, "report the kernel's errors");
    if ((s->flags & (1u << KB_SC_FLAG_TSYNC)) && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
        return sc_error(err, rc, "SECCOMP_FILTER_FLAG_TSYNC");
    if ((s->flags & (1u << KB_SC_FLAG_LOG)) && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1)) < 0)
        return sc_error(err, rc, "SECCOMP_FILTER_FLAG_LOG");
    if ((s->flags & (1u << KB_SC_FLAG_SPEC_ALLOW)) && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1)) < 0)
        return sc_error(err, rc, "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
    for (int a = 0; a < KB_SC_ARCHES; a++) {
        if (!(s->arches & (1u << a)))
            continue;
        rc = seccomp_arch_add(ctx, arch_of[a]);
        /* the native one is there already (runc keeps it too) */
        if (rc < 0 && rc != -EEXIST)
            return kb_error(err, -rc, "linux.seccomp.architectures: add %s",
                            kb_seccomp_arch_name((enum kb_sc_arch)a));
    }
    for (size_t i = 0; i < s->n_rules; i++) {
        const struct kb_seccomp_rule *r = &s->rules[i];
        uint32_t act = action_of(r->action, r->has_errno_ret, r->errno_ret);

        if (act == def)
            continue;
        for (char **name = r->names; *name; name++) {
            int nr = seccomp_syscall_resolve_name(*name);
            /* a syscall this libseccomp does not know: runc skips it too */
            if (nr == __NR_SCMP_ERROR)
                continue;
            if (add_rule(ctx, r, *name, nr, act, i, err) < 0)
                return -1;
        }
    }
    return 0;
}

int kb_ctr_seccomp_load(void *filter, kb_err *err)
{
    int rc;

    if (!filter)
        return 0;
    rc = seccomp_load(filter);
    if (rc < 0)
        return sc_error(err, rc, "load the filter");
    return 0;
}

void kb_ctr_seccomp_free(void *filter)
{
    if (filter)
        seccomp_release(filter);
}
