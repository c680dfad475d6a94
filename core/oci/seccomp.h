/* linux.seccomp of config.json: parsed and checked on its own (a profile is
 * large and has rules of its own), compiled to a BPF filter with libseccomp
 * the way runc does (core/container/seccomp.c), and loaded into the
 * container's processes. */
#ifndef KB_OCI_SECCOMP_H
#define KB_OCI_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

#include <yajl/yajl_tree.h>

#include "../err.h"

enum kb_sc_action { KB_SC_KILL, KB_SC_KILL_PROCESS, KB_SC_KILL_THREAD, KB_SC_TRAP, KB_SC_ERRNO, KB_SC_TRACE,
                    KB_SC_ALLOW, KB_SC_LOG, KB_SC_ACTIONS };
enum kb_sc_op { KB_SC_NE, KB_SC_LT, KB_SC_LE, KB_SC_EQ, KB_SC_GE, KB_SC_GT, KB_SC_MASKED_EQ, KB_SC_OPS };
enum kb_sc_arch { KB_SC_X86, KB_SC_X86_64, KB_SC_X32, KB_SC_ARM, KB_SC_AARCH64, KB_SC_MIPS, KB_SC_MIPS64,
                  KB_SC_MIPS64N32, KB_SC_MIPSEL, KB_SC_MIPSEL64, KB_SC_MIPSEL64N32, KB_SC_PPC, KB_SC_PPC64,
                  KB_SC_PPC64LE, KB_SC_S390, KB_SC_S390X, KB_SC_RISCV64, KB_SC_ARCHES };
enum kb_sc_flag { KB_SC_FLAG_TSYNC, KB_SC_FLAG_LOG, KB_SC_FLAG_SPEC_ALLOW, KB_SC_FLAG_WAIT_KILLABLE_RECV,
                  KB_SC_FLAGS };

struct kb_seccomp_arg {
    unsigned index;             /* 0..5 */
    uint64_t value, value_two;
    enum kb_sc_op op;
};

struct kb_seccomp_rule {
    char **names;               /* NULL-terminated, at least one */
    enum kb_sc_action action;
    int has_errno_ret;
    uint32_t errno_ret;
    struct kb_seccomp_arg *args;
    size_t n_args;
};

struct kb_seccomp {
    enum kb_sc_action default_action;
    int has_default_errno_ret;
    uint32_t default_errno_ret;
    unsigned arches;            /* 1 << enum kb_sc_arch */
    unsigned flags;             /* 1 << enum kb_sc_flag */
    struct kb_seccomp_rule *rules;
    size_t n_rules;
};

/* Parse linux.seccomp (v: NULL or JSON null: none, *out stays NULL; so is a
 * profile without a default action and without syscalls, as runc 1.1 reads
 * it); *out is set as soon as allocated: kb_seccomp_free it on error too. */
int kb_seccomp_parse(yajl_val v, struct kb_seccomp **out, kb_err *err);
void kb_seccomp_free(struct kb_seccomp *s);
/* The names the parser takes: "SCMP_ACT_ERRNO", "SCMP_CMP_EQ", "SCMP_ARCH_X86_64",
 * "SECCOMP_FILTER_FLAG_LOG"...; "?" out of range. SCMP_ACT_NOTIFY is none of them. */
const char *kb_seccomp_action_name(enum kb_sc_action a);
const char *kb_seccomp_op_name(enum kb_sc_op op);
const char *kb_seccomp_arch_name(enum kb_sc_arch arch);
const char *kb_seccomp_flag_name(enum kb_sc_flag flag);

#endif
