/* linux.seccomp: the parser's errors, and filters compiled with runc's
 * rules then loaded in a child, whose syscalls answer as the profile says. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/container/internal.h"
#include "../../core/json.h"
#include "../../core/oci/seccomp.h"
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

/* In a child: load the profile, run probe(), exit with what it returned. */
static int in_child(const char *json, int nnp, int (*probe)(void))
{
    struct kb_seccomp *s;
    void *filter = NULL;
    kb_err err = { 0 };
    int status = -1;
    pid_t pid;

    if (parse(json, &s, &err) < 0 || kb_ctr_seccomp_compile(s, &filter, &err) < 0) {
        printf("# %s\n", err.msg);
        kb_ctr_seccomp_free(filter);
        kb_seccomp_free(s);
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        if (nnp)
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (kb_ctr_seccomp_load(filter, &err) < 0) {
            printf("# load: %s\n", err.msg);
            _exit(255);
        }
        _exit(probe());
    }
    waitpid(pid, &status, 0);
    kb_ctr_seccomp_free(filter);
    kb_seccomp_free(s);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
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

int main(void)
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
    ok(parse("null", &s, &err) == 0 && !s, "null: no filter");

    bad("[]", "linux.seccomp: expected an object");
    bad("{}", "linux.seccomp.defaultAction");
    bad("{\"defaultAction\":\"SCMP_ACT_MAYBE\"}", "linux.seccomp.defaultAction: unknown action 'SCMP_ACT_MAYBE'");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}",
        "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}",
        "linux.seccomp.architectures[0]: unknown name 'SCMP_ARCH_Z80'");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_X\"]}",
        "linux.seccomp.flags[0]: unknown name");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}",
        "linux.seccomp.syscalls[0].names: empty");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
        "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/agent.sock\"}",
        "linux.seccomp.listenerPath: a seccomp agent is not supported");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_KILL\","
        "\"errnoRet\":1}]}", "linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
        "\"errnoRet\":70000}]}", "does not fit in 16 bits");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
        "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}", "args[0].index: 6; a syscall has arguments 0 to 5");
    bad("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\","
        "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_ALMOST\"}]}]}", "unknown operator 'SCMP_CMP_ALMOST'");

    /* filters, loaded in a child */
    ok(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"no_such_call\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}", 1, probe_mkdir) == 38,
       "errnoRet per rule; an unknown syscall name is skipped, as runc does");
    ok(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                "\"action\":\"SCMP_ACT_ERRNO\"}]}", 1, probe_mkdir) == EPERM, "errno defaults to EPERM");
    ok(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", 1, probe_mkdir) == ENOENT, "allow: the kernel answers");
    {
        /* what a sanitizer's runtime needs to exit (the ASan build runs this too) */
        int got = in_child("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":5,\"syscalls\":[{\"names\":"
                           "[\"exit_group\",\"exit\",\"write\",\"mmap\",\"munmap\",\"madvise\",\"sigaltstack\","
                           "\"rt_sigprocmask\",\"rt_sigaction\",\"getpid\",\"gettid\",\"tgkill\",\"prctl\",\"futex\","
                           "\"sched_yield\",\"open\",\"openat\",\"read\",\"close\",\"readlink\",\"mprotect\"],"
                           "\"action\":\"SCMP_ACT_ALLOW\"}]}", 1, probe_getppid_uname);
        ok(got == 5 * 10 + 5, "deny by default with defaultErrnoRet (%d)", got);
    }
    ok(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":4294967295,\"op\":\"SCMP_CMP_NE\"}]}]}",
                1, probe_personality) == EPERM, "a conditional rule: only other arguments are refused");
    ok(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},"
                "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}", 1, probe_personality) == EPERM,
       "two conditions on one argument: one rule each (OR), as runc adds them");
    ok(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"uname\"],"
                "\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}", 1, probe_getppid_uname) == 200 + SIGSYS,
       "SCMP_ACT_KILL_PROCESS kills with SIGSYS");
    ok(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":7}]}", 0, probe_mkdir) == 7,
       "without no_new_privs, loaded with CAP_SYS_ADMIN (root)");
    ok(in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}", 1,
                probe_mkdir) == -1, "a flag only a seccomp agent needs is refused");
    return tap_done();
}
