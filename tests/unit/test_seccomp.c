/* linux.seccomp: the parser's errors, and filters compiled with runc's
 * rules then loaded in a child, whose syscalls answer as the profile says. */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/container/internal.h"
#include "../../core/json.h"
#include "../../core/oci/seccomp.h"
#include "../../core/oci/spec.h"
#include "tap.h"

static int parse(const char *json, struct kb_seccomp **s, kb_err *err)
{
    yajl_val v;
    int r;

    *s = NULL;
    if (kb_json_parse(json, strlen(json), "test", &v, err) < 0)
        return -1;
    r = kb_seccomp_parse(v, s, err);
    yajl_tree_free(v);
    return r;
}

static void bad(const char *json, const char *want)
{
    struct kb_seccomp *s;
    kb_err err = { 0 };

    ok(parse(json, &s, &err) < 0 && strstr(err.msg, want), "refused: %s (%s)", want, err.msg);
    kb_seccomp_free(s);
}

/* a profile that allows everything but the rules given */
#define ALLOW_BUT(rules) "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[" rules "]}"
#define RULE(extra) ALLOW_BUT("{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"," extra "}")

/* How the child loads the filter: as root with or without no_new_privs, or
 * as uid 65534 without it (the kernel then refuses: no CAP_SYS_ADMIN). */
enum load_as { ROOT, NNP, NOBODY };

/* In a child: load the compiled filter, run probe(), exit with what it
 * returned; a failed load exits with 128 + its errno, a signal gives
 * 200 + the signal. */
static int run_child(void *filter, enum load_as as, int (*probe)(void))
{
    kb_err err = { 0 };
    int status = -1;
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        /* SIGSYS would dump core */
        setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
        if (as == NNP)
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (as == NOBODY && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                             setresuid(65534, 65534, 65534) < 0))
            _exit(254);
        if (kb_ctr_seccomp_load(filter, &err) < 0) {
            printf("# load: %s (errno %d)\n", err.msg, err.errnum);
            fflush(stdout);
            _exit(128 + err.errnum);
        }
        _exit(probe());
    }
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

static int in_child(const char *json, enum load_as as, int (*probe)(void))
{
    struct kb_seccomp *s;
    void *filter = NULL;
    kb_err err = { 0 };
    int r = -1;

    if (parse(json, &s, &err) < 0 || kb_ctr_seccomp_compile(s, &filter, &err) < 0)
        printf("# %s\n", err.msg);
    else
        r = run_child(filter, as, probe);
    kb_ctr_seccomp_free(filter);
    kb_seccomp_free(s);
    return r;
}

static int probe_mkdir(void)
{
    return syscall(SYS_mkdir, "/nonexistent-kb/x", 0700) < 0 ? errno : 0;
}

static int probe_personality(void)
{
    /* the query passes, anything else is refused: 0 and EPERM */
    int q = syscall(SYS_personality, 0xffffffffUL) < 0 ? errno : 0;
    int set = syscall(SYS_personality, PER_LINUX) < 0 ? errno : 0;
    return q ? 100 + q : set;
}

static int probe_getppid_uname(void)
{
    struct utsname_buf { char b[6 * 65]; } u;
    int a = syscall(SYS_getppid) < 0 ? errno : 0;
    int b = syscall(SYS_uname, &u) < 0 ? errno : 0;
    return a * 10 + b; /* an exit status has 8 bits */
}

/* umask(021), umask(022), umask(023): bit 2, 1, 0 set for each one refused */
static int probe_umask(void)
{
    static const unsigned long masks[] = { 021, 022, 023 };
    int bits = 0;

    for (int i = 0; i < 3; i++) {
        long r = syscall(SYS_umask, masks[i]);
        if (r < 0 && errno != 13)
            return 100 + errno;
        bits = bits << 1 | (r < 0);
    }
    return bits;
}

/* getpriority(which, who): refused only when both arguments match (AND) */
static int probe_getpriority(void)
{
    int both = syscall(SYS_getpriority, 0 /* PRIO_PROCESS */, 0) < 0 ? errno : 0;
    int one = syscall(SYS_getpriority, 0, (int)getpid()) < 0 ? errno : 0;
    return both * 10 + one;
}

/* under podman's profile: 0, or which answer was wrong */
static int probe_podman(void)
{
    if (syscall(SYS_acct, NULL) >= 0 || errno != EPERM)
        return 1; /* a rule of its own: EPERM */
    if (syscall(SYS_personality, 0x1234UL) >= 0 || errno != ENOSYS)
        return 2; /* no rule for this argument: the default, ENOSYS */
    if (syscall(SYS_personality, 0xffffffffUL) < 0)
        return 3; /* the query is allowed */
    if (syscall(SYS_socket, 16 /* AF_NETLINK */, SOCK_RAW | SOCK_CLOEXEC, 9 /* NETLINK_AUDIT */) >= 0 ||
        errno != EINVAL)
        return 4; /* arguments 0 and 2 both match: EINVAL */
    if (syscall(SYS_mkdir, "/nonexistent-kb/x", 0700) >= 0 || errno != ENOENT)
        return 5; /* allowed: the kernel answers */
    return 0;
}

static void parse_ok(void)
{
    struct kb_seccomp *s;
    kb_err err = { 0 };

    ok(parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,\"architectures\":"
             "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],\"syscalls\":"
             "[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"socket\"],"
             "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":97,\"args\":[{\"index\":0,\"value\":2,\"op\":"
             "\"SCMP_CMP_EQ\"}]}]}", &s, &err) == 0, "a profile parses (%s)", err.msg);
    ok(s && s->default_action == KB_SC_ERRNO && s->has_default_errno_ret && s->default_errno_ret == 1 &&
           s->arches == ((1u << KB_SC_X86_64) | (1u << KB_SC_X86)) && s->flags == 1u << KB_SC_FLAG_LOG,
       "default action, errno, architectures, flags");
    ok(s && s->n_rules == 2 && !strcmp(s->rules[0].names[1], "write") && s->rules[1].n_args == 1 &&
           s->rules[1].args[0].op == KB_SC_EQ && s->rules[1].args[0].value == 2 && s->rules[1].errno_ret == 97,
       "rules, arguments, errnoRet");
    kb_seccomp_free(s);

    ok(parse("{\"defaultAction\":\"SCMP_ACT_TRACE\",\"defaultErrnoRet\":3,\"listenerPath\":\"\","
             "\"listenerMetadata\":\"x\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_KILL\","
             "\"args\":[{\"index\":5,\"value\":18446744073709551615,\"valueTwo\":7,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
             &s, &err) == 0 && s && s->default_action == KB_SC_TRACE && s->default_errno_ret == 3 &&
           s->rules[0].args[0].index == 5 && s->rules[0].args[0].value == UINT64_MAX &&
           s->rules[0].args[0].value_two == 7 && s->rules[0].args[0].op == KB_SC_MASKED_EQ,
       "SCMP_ACT_TRACE with an errno, an empty listenerPath, 64-bit values (%s)", err.msg);
    kb_seccomp_free(s);

    ok(parse("null", &s, &err) == 0 && !s, "null: no filter");
    ok(parse("{}", &s, &err) == 0 && !s, "{}: no filter, as runc 1.1 reads it");
    ok(parse("{\"defaultAction\":\"\",\"syscalls\":[],\"architectures\":[\"SCMP_ARCH_X86\"]}", &s, &err) == 0 && !s,
       "no default action and no syscalls: no filter (runc 1.1)");
}

static void parse_bad(void)
{
    char *big;
    size_t len = 0;

    bad("[]", "linux.seccomp: expected an object");
    bad("{\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
        "linux.seccomp.defaultAction: required but missing");
    bad("{\"defaultAction\":\"\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
        "linux.seccomp.defaultAction: unknown action ''");
    bad("{\"defaultAction\":7}", "linux.seccomp.defaultAction: expected a string");
    bad("{\"defaultAction\":\"SCMP_ACT_MAYBE\"}", "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_MAYBE'");
    bad("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported: "
                                               "the container runs in a VM");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
        "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno");
    bad("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}", "linux.seccomp.defaultErrnoRet:");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":\"SCMP_ARCH_X86\"}",
        "linux.seccomp.architectures: expected an array");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_Z80\"]}",
        "linux.seccomp.architectures[1]: unknown name 'SCMP_ARCH_Z80'");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_X\"]}",
        "linux.seccomp.flags[0]: unknown name 'SECCOMP_FILTER_FLAG_X'");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}",
        "linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/agent.sock\"}",
        "linux.seccomp.listenerPath: a seccomp agent is not supported");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":5}",
        "linux.seccomp.listenerMetadata: expected a string");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}", "linux.seccomp.syscalls: expected an array");
    bad(ALLOW_BUT("{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"},7"),
        "linux.seccomp.syscalls[1]: expected an object");
    bad(ALLOW_BUT("{\"action\":\"SCMP_ACT_ERRNO\"}"), "linux.seccomp.syscalls[0].names: required but missing");
    bad(ALLOW_BUT("{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}"), "linux.seccomp.syscalls[0].names: empty");
    bad(ALLOW_BUT("{\"names\":[\"mkdir\",\"\"],\"action\":\"SCMP_ACT_ERRNO\"}"),
        "linux.seccomp.syscalls[0].names[1]: an empty syscall name");
    bad(ALLOW_BUT("{\"names\":[\"mkdir\",3],\"action\":\"SCMP_ACT_ERRNO\"}"),
        "linux.seccomp.syscalls[0].names[1]: expected a string");
    bad(ALLOW_BUT("{\"names\":[\"mkdir\"]}"), "linux.seccomp.syscalls[0].action: required but missing");
    bad(ALLOW_BUT("{\"names\":[\"a\"],\"action\":\"SCMP_ACT_LOG\"},{\"names\":[\"b\"],\"action\":\"SCMP_ACT_TRAP\"},"
                  "{\"names\":[\"c\"],\"action\":\"SCMP_ACT_KILL_THREAD\"},{\"names\":[\"d\"],\"action\":\"X\"}"),
        "linux.seccomp.syscalls[3].action: unknown action 'X'");
    bad(ALLOW_BUT("{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}"),
        "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported: the container runs in a VM");
    bad(ALLOW_BUT("{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":1}"),
        "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno");
    bad(RULE("\"errnoRet\":\"EPERM\""), "linux.seccomp.syscalls[0].errnoRet:");
    bad(RULE("\"errnoRet\":70000"), "linux.seccomp.syscalls[0].errnoRet: 70000 does not fit in 16 bits");
    bad(RULE("\"args\":{}"), "linux.seccomp.syscalls[0].args: expected an array");
    bad(RULE("\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
             "{\"index\":2,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":3,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
             "{\"index\":4,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":5,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
             "{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]"),
        "linux.seccomp.syscalls[0].args: 7 entries, at most 6");
    bad(RULE("\"args\":[\"x\"]"), "linux.seccomp.syscalls[0].args[0]: expected an object");
    bad(RULE("\"args\":[{\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]"),
        "linux.seccomp.syscalls[0].args[0].index: required but missing");
    bad(RULE("\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]"),
        "linux.seccomp.syscalls[0].args[0].index: 6; a syscall has arguments 0 to 5");
    bad(RULE("\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]"),
        "linux.seccomp.syscalls[0].args[0].value: required but missing");
    bad(RULE("\"args\":[{\"index\":0,\"value\":-1,\"op\":\"SCMP_CMP_EQ\"}]"), "linux.seccomp.syscalls[0].args[0].value:");
    bad(RULE("\"args\":[{\"index\":0,\"value\":1,\"valueTwo\":\"1\",\"op\":\"SCMP_CMP_EQ\"}]"),
        "linux.seccomp.syscalls[0].args[0].valueTwo: expected");
    bad(RULE("\"args\":[{\"index\":0,\"value\":1}]"), "linux.seccomp.syscalls[0].args[0].op: required but missing");
    bad(RULE("\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_ALMOST\"}]"),
        "linux.seccomp.syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ALMOST'");

    /* list sizes are bounded */
    big = malloc(4200 * 48 + 128);
    if (big) {
        len = (size_t)sprintf(big, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[");
        for (int i = 0; i < 4097; i++)
            len += (size_t)sprintf(big + len, "%s{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_LOG\"}", i ? "," : "");
        strcpy(big + len, "]}");
        bad(big, "linux.seccomp.syscalls: 4097 entries, at most 4096");
        free(big);
    }
}

/* each operator on umask's argument, with 022 (MASKED_EQ: & 0776 == 022) */
static void operators(void)
{
    static const struct { const char *op; int want; } t[] = {
        { "SCMP_CMP_NE", 05 }, { "SCMP_CMP_LT", 04 }, { "SCMP_CMP_LE", 06 }, { "SCMP_CMP_EQ", 02 },
        { "SCMP_CMP_GE", 03 }, { "SCMP_CMP_GT", 01 }, { "SCMP_CMP_MASKED_EQ", 03 },
    };
    char json[512];

    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int masked = !strcmp(t[i].op, "SCMP_CMP_MASKED_EQ");
        int got;

        snprintf(json, sizeof json, ALLOW_BUT("{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,"
                                              "\"args\":[{\"index\":0,\"value\":%d,\"valueTwo\":%d,\"op\":\"%s\"}]}"),
                 masked ? 0776 : 022, masked ? 022 : 0, t[i].op);
        got = in_child(json, NNP, probe_umask);
        ok(got == t[i].want, "%s: umask 021, 022, 023 refused as %o (got %o)", t[i].op, t[i].want, got);
    }
}

static void filters(void)
{
    ok(in_child(ALLOW_BUT("{\"names\":[\"mkdir\",\"no_such_call\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}"),
                NNP, probe_mkdir) == 38,
       "errnoRet per rule; an unknown syscall name is skipped, as runc does");
    ok(in_child(RULE("\"args\":[]"), NNP, probe_mkdir) == EPERM, "errno defaults to EPERM");
    ok(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", NNP, probe_mkdir) == ENOENT, "allow: the kernel answers");
    {
        /* what a sanitizer's runtime needs to exit (the ASan build runs this too) */
        int got = in_child("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":5,\"syscalls\":[{\"names\":"
                           "[\"exit_group\",\"exit\",\"write\",\"mmap\",\"munmap\",\"madvise\",\"sigaltstack\","
                           "\"rt_sigprocmask\",\"rt_sigaction\",\"getpid\",\"gettid\",\"tgkill\",\"prctl\",\"futex\","
                           "\"sched_yield\",\"open\",\"openat\",\"read\",\"close\",\"readlink\",\"mprotect\"],"
                           "\"action\":\"SCMP_ACT_ALLOW\"}]}", NNP, probe_getppid_uname);
        ok(got == 5 * 10 + 5, "deny by default with defaultErrnoRet (%d)", got);
    }
    ok(in_child(ALLOW_BUT("{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                          "{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":9}"),
                NNP, probe_getppid_uname) == 9,
       "a rule that does what the default does is skipped (libseccomp would refuse it)");
    ok(in_child(ALLOW_BUT("{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
                          "\"value\":4294967295,\"op\":\"SCMP_CMP_NE\"}]}"), NNP, probe_personality) == EPERM,
       "a conditional rule: only other arguments are refused");
    ok(in_child(ALLOW_BUT("{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
                          "\"value\":8,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}"),
                NNP, probe_personality) == EPERM,
       "two conditions on one argument: one rule each (OR), as runc adds them");
    ok(in_child(ALLOW_BUT("{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":9,\"args\":["
                          "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}"),
                NNP, probe_getpriority) == 9 * 10,
       "conditions on distinct arguments: one rule (AND)");
    operators();
    ok(in_child(ALLOW_BUT("{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}"), NNP,
                probe_getppid_uname) == 200 + SIGSYS, "SCMP_ACT_KILL_PROCESS kills with SIGSYS");
    ok(in_child(ALLOW_BUT("{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_KILL\"}"), NNP, probe_getppid_uname) ==
           200 + SIGSYS, "SCMP_ACT_KILL: the thread, here the whole process");
    ok(in_child(ALLOW_BUT("{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_TRAP\"}"), NNP, probe_getppid_uname) ==
           200 + SIGSYS, "SCMP_ACT_TRAP: SIGSYS");
    ok(in_child(ALLOW_BUT("{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_LOG\"}"), NNP, probe_mkdir) == ENOENT,
       "SCMP_ACT_LOG: logged and allowed");
    ok(in_child(ALLOW_BUT("{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_TRACE\"}"), NNP, probe_mkdir) == ENOSYS,
       "SCMP_ACT_TRACE without a tracer: ENOSYS (the kernel's)");
    ok(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\","
                "\"SCMP_ARCH_X32\"],\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_LOG\","
                "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\"syscalls\":[{\"names\":[\"mkdir\",\"socketcall\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":7}]}", NNP, probe_mkdir) == 7,
       "the native architecture listed with others, every supported flag");
    ok(in_child(RULE("\"errnoRet\":7"), ROOT, probe_mkdir) == 7,
       "without no_new_privs, loaded with CAP_SYS_ADMIN (root)");
    ok(in_child(RULE("\"errnoRet\":7"), NOBODY, probe_mkdir) == 128 + EACCES,
       "without no_new_privs nor CAP_SYS_ADMIN: the kernel's EACCES, not libseccomp's ECANCELED");
    ok(run_child(NULL, NNP, probe_mkdir) == ENOENT, "no filter: loading it does nothing");
}

/* A real profile: podman's default for amd64, in the fuzz corpus. */
static void real_profile(void)
{
    static const char path[] = "tests/fuzz/corpus/fuzz_spec/seccomp-podman.json";
    struct kb_spec spec;
    void *filter = NULL;
    kb_err err = { 0 };
    int got = -1;

    if (access(path, R_OK) < 0) {
        tap_skip("run from the top of the tree for podman's profile");
        tap_skip("run from the top of the tree for podman's profile");
        return;
    }
    ok(kb_spec_load(path, &spec, &err) == 0 && spec.seccomp && spec.seccomp->n_rules > 10 &&
           kb_ctr_seccomp_compile(spec.seccomp, &filter, &err) == 0,
       "podman's default profile parses and compiles (%s)", err.msg);
    if (filter)
        got = run_child(filter, NNP, probe_podman);
    ok(got == 0,
       "under it: its errnoRet, its defaultErrnoRet, conditions ANDed, allowed calls (%d)", got);
    kb_ctr_seccomp_free(filter);
    kb_spec_free(&spec);
}

int main(void)
{
    parse_ok();
    parse_bad();
    filters();
    real_profile();
    return tap_done();
}
