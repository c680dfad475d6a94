/* linux.seccomp parsed into plain C with every name checked, so that a bad
 * profile fails on the host before a VM starts, naming the field; nothing
 * here needs libseccomp. Syscall names are kept as text: which exist is the
 * kernel's and libseccomp's business (core/container/seccomp.c), and unknown
 * ones are skipped there as runc skips them. */
#include "seccomp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../json.h"
#include "../util.h"
#include "spec.h"

#define MAX_RULES 4096
#define MAX_ARGS 6      /* a syscall has six arguments */

static const char *const action_names[KB_SC_ACTIONS] = {
    [KB_SC_KILL] = "SCMP_ACT_KILL",          [KB_SC_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
    [KB_SC_KILL_THREAD] = "SCMP_ACT_KILL_THREAD", [KB_SC_TRAP] = "SCMP_ACT_TRAP",
    [KB_SC_ERRNO] = "SCMP_ACT_ERRNO",        [KB_SC_TRACE] = "SCMP_ACT_TRACE",
    [KB_SC_ALLOW] = "SCMP_ACT_ALLOW",        [KB_SC_LOG] = "SCMP_ACT_LOG",
};

static const char *const op_names[KB_SC_OPS] = {
    [KB_SC_NE] = "SCMP_CMP_NE", [KB_SC_LT] = "SCMP_CMP_LT", [KB_SC_LE] = "SCMP_CMP_LE",
    [KB_SC_EQ] = "SCMP_CMP_EQ", [KB_SC_GE] = "SCMP_CMP_GE", [KB_SC_GT] = "SCMP_CMP_GT",
    [KB_SC_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

static const char *const arch_names[KB_SC_ARCHES] = {
    [KB_SC_X86] = "SCMP_ARCH_X86",         [KB_SC_X86_64] = "SCMP_ARCH_X86_64",
    [KB_SC_X32] = "SCMP_ARCH_X32",         [KB_SC_ARM] = "SCMP_ARCH_ARM",
    [KB_SC_AARCH64] = "SCMP_ARCH_AARCH64", [KB_SC_MIPS] = "SCMP_ARCH_MIPS",
    [KB_SC_MIPS64] = "SCMP_ARCH_MIPS64",   [KB_SC_MIPS64N32] = "SCMP_ARCH_MIPS64N32",
    [KB_SC_MIPSEL] = "SCMP_ARCH_MIPSEL",   [KB_SC_MIPSEL64] = "SCMP_ARCH_MIPSEL64",
    [KB_SC_MIPSEL64N32] = "SCMP_ARCH_MIPSEL64N32", [KB_SC_PPC] = "SCMP_ARCH_PPC",
    [KB_SC_PPC64] = "SCMP_ARCH_PPC64",     [KB_SC_PPC64LE] = "SCMP_ARCH_PPC64LE",
    [KB_SC_S390] = "SCMP_ARCH_S390",       [KB_SC_S390X] = "SCMP_ARCH_S390X",
    [KB_SC_RISCV64] = "SCMP_ARCH_RISCV64",
};

static const char *const flag_names[KB_SC_FLAGS] = {
    [KB_SC_FLAG_TSYNC] = "SECCOMP_FILTER_FLAG_TSYNC",
    [KB_SC_FLAG_LOG] = "SECCOMP_FILTER_FLAG_LOG",
    [KB_SC_FLAG_SPEC_ALLOW] = "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    [KB_SC_FLAG_WAIT_KILLABLE_RECV] = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

const char *kb_seccomp_action_name(enum kb_sc_action a)
{
    return (unsigned)a < KB_SC_ACTIONS ? action_names[a] : "?";
}

const char *kb_seccomp_op_name(enum kb_sc_op op)
{
    return (unsigned)op < KB_SC_OPS ? op_names[op] : "?";
}

const char *kb_seccomp_arch_name(enum kb_sc_arch arch)
{
    return (unsigned)arch < KB_SC_ARCHES ? arch_names[arch] : "?";
}

const char *kb_seccomp_flag_name(enum kb_sc_flag flag)
{
    return (unsigned)flag < KB_SC_FLAGS ? flag_names[flag] : "?";
}

static int lookup(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static int parse_action(yajl_val v, const char *field, enum kb_sc_action *out, kb_err *err)
{
    _cleanup_free_ char *name = NULL;
    int a;

    if (kb_json_string(v, field, 1, &name, err) < 0)
        return -1;
    if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
        return kb_error(err, ENOTSUP, "%s: SCMP_ACT_NOTIFY is not supported: the container runs in a VM, "
                                      "where no seccomp agent of the host can reach it", field);
    a = lookup(action_names, KB_SC_ACTIONS, name);
    if (a < 0)
        return kb_error(err, EINVAL, "%s: unknown action '%s'", field, name);
    *out = (enum kb_sc_action)a;
    return 0;
}

/* errnoRet: only for the actions that return one (runc's rule). */
static int parse_errno(yajl_val v, const char *field, enum kb_sc_action act, uint32_t *out, int *has,
                       kb_err *err)
{
    if (!v || YAJL_IS_NULL(v))
        return 0;
    if (act != KB_SC_ERRNO && act != KB_SC_TRACE)
        return kb_error(err, EINVAL, "%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno", field);
    if (kb_json_u32(v, field, 1, out, err) < 0)
        return -1;
    /* the filter's return value carries 16 bits of data */
    if (*out > 0xffff)
        return kb_error(err, EINVAL, "%s: %u does not fit in 16 bits", field, *out);
    *has = 1;
    return 0;
}

static int parse_args(yajl_val v, const char *field, struct kb_seccomp_rule *r, kb_err *err)
{
    char path[96];

    if (kb_json_array_alloc(v, field, MAX_ARGS, sizeof *r->args, (void **)&r->args, &r->n_args, err) < 0)
        return -1;
    for (size_t i = 0; i < r->n_args; i++) {
        yajl_val e = v->u.array.values[i];
        struct kb_seccomp_arg *a = &r->args[i];
        _cleanup_free_ char *op = NULL;
        uint32_t index;
        int o;

        if (!YAJL_IS_OBJECT(e))
            return kb_error(err, EINVAL, "%s[%zu]: expected an object", field, i);
        snprintf(path, sizeof path, "%s[%zu].index", field, i);
        if (kb_json_u32(kb_json_member(e, "index"), path, 1, &index, err) < 0)
            return -1;
        if (index >= MAX_ARGS)
            return kb_error(err, EINVAL, "%s: %u; a syscall has arguments 0 to 5", path, index);
        a->index = index;
        snprintf(path, sizeof path, "%s[%zu].value", field, i);
        if (kb_json_u64(kb_json_member(e, "value"), path, 1, &a->value, err) < 0)
            return -1;
        snprintf(path, sizeof path, "%s[%zu].valueTwo", field, i);
        if (kb_json_u64(kb_json_member(e, "valueTwo"), path, 0, &a->value_two, err) < 0)
            return -1;
        snprintf(path, sizeof path, "%s[%zu].op", field, i);
        if (kb_json_string(kb_json_member(e, "op"), path, 1, &op, err) < 0)
            return -1;
        o = lookup(op_names, KB_SC_OPS, op);
        if (o < 0)
            return kb_error(err, EINVAL, "%s: unknown operator '%s'", path, op);
        a->op = (enum kb_sc_op)o;
    }
    return 0;
}

static int parse_rules(yajl_val v, struct kb_seccomp *s, kb_err *err)
{
    char path[96];
    size_t n;

    if (kb_json_array_alloc(v, "linux.seccomp.syscalls", MAX_RULES, sizeof *s->rules, (void **)&s->rules, &n,
                            err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        yajl_val e = v->u.array.values[i];
        struct kb_seccomp_rule *r = &s->rules[i];
        size_t n_names = 0;

        s->n_rules = i + 1;
        if (!YAJL_IS_OBJECT(e))
            return kb_error(err, EINVAL, "linux.seccomp.syscalls[%zu]: expected an object", i);
        snprintf(path, sizeof path, "linux.seccomp.syscalls[%zu].names", i);
        if (kb_json_strings(kb_json_member(e, "names"), path, 1, KB_SPEC_MAX_LIST, &r->names, &n_names, err) < 0)
            return -1;
        if (!n_names)
            return kb_error(err, EINVAL, "%s: empty", path);
        /* runc refuses it when it loads the filter; here it fails before a VM starts */
        for (size_t k = 0; k < n_names; k++)
            if (!r->names[k][0])
                return kb_error(err, EINVAL, "%s[%zu]: an empty syscall name", path, k);
        snprintf(path, sizeof path, "linux.seccomp.syscalls[%zu].action", i);
        if (parse_action(kb_json_member(e, "action"), path, &r->action, err) < 0)
            return -1;
        snprintf(path, sizeof path, "linux.seccomp.syscalls[%zu].errnoRet", i);
        if (parse_errno(kb_json_member(e, "errnoRet"), path, r->action, &r->errno_ret, &r->has_errno_ret, err) < 0)
            return -1;
        snprintf(path, sizeof path, "linux.seccomp.syscalls[%zu].args", i);
        if (parse_args(kb_json_member(e, "args"), path, r, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_names(yajl_val v, const char *field, const char *const *names, int n_known, unsigned *bits,
                       kb_err *err)
{
    char **list = NULL;
    size_t n = 0;
    int r = 0;

    if (kb_json_strings(v, field, 0, 64, &list, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n && r == 0; i++) {
        int k = lookup(names, n_known, list[i]);
        if (k < 0)
            r = kb_error(err, EINVAL, "%s[%zu]: unknown name '%s'", field, i, list[i]);
        else
            *bits |= 1u << k;
    }
    kb_strv_free(list);
    return r;
}

/* Absent, null or "": runc's test for a default action or a listener. */
static int is_unset(yajl_val v)
{
    return !v || YAJL_IS_NULL(v) || (YAJL_IS_STRING(v) && !v->u.string[0]);
}

int kb_seccomp_parse(yajl_val v, struct kb_seccomp **out, kb_err *err)
{
    struct kb_seccomp *s;
    yajl_val calls;
    _cleanup_free_ char *metadata = NULL;

    *out = NULL;
    if (!v || YAJL_IS_NULL(v))
        return 0;
    if (!YAJL_IS_OBJECT(v))
        return kb_error(err, EINVAL, "linux.seccomp: expected an object");
    /* runc 1.1: no default action and no syscalls, no filter ("seccomp": {}) */
    calls = kb_json_member(v, "syscalls");
    if (is_unset(kb_json_member(v, "defaultAction")) &&
        (!calls || YAJL_IS_NULL(calls) || (YAJL_IS_ARRAY(calls) && !calls->u.array.len)))
        return 0;
    s = calloc(1, sizeof *s);
    if (!s)
        return kb_error(err, ENOMEM, "linux.seccomp");
    *out = s;
    if (parse_action(kb_json_member(v, "defaultAction"), "linux.seccomp.defaultAction", &s->default_action,
                     err) < 0 ||
        parse_errno(kb_json_member(v, "defaultErrnoRet"), "linux.seccomp.defaultErrnoRet", s->default_action,
                    &s->default_errno_ret, &s->has_default_errno_ret, err) < 0 ||
        parse_names(kb_json_member(v, "architectures"), "linux.seccomp.architectures", arch_names,
                    KB_SC_ARCHES, &s->arches, err) < 0 ||
        parse_names(kb_json_member(v, "flags"), "linux.seccomp.flags", flag_names, KB_SC_FLAGS, &s->flags,
                    err) < 0 ||
        parse_rules(kb_json_member(v, "syscalls"), s, err) < 0)
        return -1;
    /* the kernel takes it only with a listener for an agent (SCMP_ACT_NOTIFY) */
    if (s->flags & (1u << KB_SC_FLAG_WAIT_KILLABLE_RECV))
        return kb_error(err, ENOTSUP, "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not "
                                      "supported: it is for a seccomp agent's listener, and the container runs "
                                      "in a VM, where no seccomp agent of the host can reach it");
    /* only a seccomp agent reads it: checked for its type, then unused */
    if (kb_json_string(kb_json_member(v, "listenerMetadata"), "linux.seccomp.listenerMetadata", 0, &metadata,
                       err) < 0)
        return -1;
    if (!is_unset(kb_json_member(v, "listenerPath")))
        return kb_error(err, ENOTSUP, "linux.seccomp.listenerPath: a seccomp agent is not supported: the "
                                      "container runs in a VM, where no seccomp agent of the host can reach it");
    return 0;
}

void kb_seccomp_free(struct kb_seccomp *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_rules; i++) {
        kb_strv_free(s->rules[i].names);
        free(s->rules[i].args);
    }
    free(s->rules);
    free(s);
}
