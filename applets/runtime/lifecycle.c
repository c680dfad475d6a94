/* kata-runtime start, state, kill, delete: commands on a created
 * container, each a fresh process that finds the container by its state
 * dir and talks to its keeper. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "../../core/sandbox/keeper.h"
#include "../../core/sandbox/sandbox.h"
#include "../../core/sandbox/state.h"
#include "../../core/util.h"
#include "runtime.h"

int rt_load_state(const struct rt_globals *g, const char *id, char *dir, size_t len,
                  struct kb_state *st, int *lock, kb_err *err)
{
    if (!id)
        return kb_error(err, EINVAL, "container id cannot be empty");
    if (kb_container_id_check(id, err) < 0)
        return -1;
    snprintf(dir, len, "%s/%s", g->root, id);
    *lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*lock < 0)
        return kb_error(err, ENOENT, "container %s does not exist", id);
    if (flock(*lock, LOCK_EX) < 0)
        return kb_error_errno(err, "lock %s", dir);
    if (access(dir, F_OK) < 0)
        return kb_error(err, ENOENT, "container %s does not exist", id);
    return kb_state_read(dir, st, err);
}

/* The one argument, the id, and its state, locked. */
static int load(const struct rt_globals *g, int argc, char **argv, char *dir, size_t len,
                struct kb_state *st, int *lock, kb_err *err)
{
    return rt_load_state(g, optind < argc ? argv[optind] : NULL, dir, len, st, lock, err);
}

static void no_options(int argc, char **argv)
{
    opterr = 0;
    optind = 1;
    (void)argc;
    (void)argv;
}

int runtime_start(const struct rt_globals *g, int argc, char **argv)
{
    char dir[PATH_MAX];
    struct kb_state st;
    _cleanup_close_ int lock = -1;
    kb_err err;
    int r;

    no_options(argc, argv);
    if (load(g, argc, argv, dir, sizeof dir, &st, &lock, &err) < 0)
        return rt_fail(g, "start", &err);
    if (strcmp(st.status, "created") != 0) {
        kb_error(&err, 0, "cannot start a container that has %s",
                 strcmp(st.status, "running") == 0 ? "already been started" : "stopped");
        kb_state_free(&st);
        return rt_fail(g, "start", &err);
    }
    r = rt_start(dir, &st, &err);
    kb_state_free(&st);
    return r < 0 ? rt_fail(g, "start", &err) : 0;
}

/* Wait up to ms for st's keeper to be gone (exited, a zombie, or its pid reused). */
static int keeper_gone(const struct kb_state *st, int ms)
{
    for (int i = 0; i < ms / 10 && kb_pid_start_time(st->pid) == st->pid_start; i++)
        usleep(10000);
    return kb_pid_start_time(st->pid) != st->pid_start;
}

int rt_start(const char *dir, const struct kb_state *st, kb_err *err)
{
    struct kb_spec spec;
    int r;

    if (kb_keeper_request(dir, "start", err) < 0)
        return -1;
    if (rt_hooks_load(dir, &spec, err) < 0) {
        kb_spec_free(&spec);
        return -1;
    }
    r = rt_hooks_poststart(&spec, st->id, st->pid, st->bundle, err);
    kb_spec_free(&spec);
    if (r < 0) {
        /* runc ends the container when a poststart hook fails, and waits for
         * it: SIGKILL to its init through the keeper, which then stops the VM
         * and exits (the container is "stopped"); the keeper itself if not */
        kb_err ignored;
        if (kb_keeper_request(dir, "kill 9 0", &ignored) < 0 || !keeper_gone(st, 10000)) {
            kill(st->pid, SIGKILL);
            keeper_gone(st, 5000);
        }
    }
    return r;
}

void rt_destroy(const struct rt_globals *g, const char *verb, const char *dir, const struct kb_state *st)
{
    struct kb_spec spec;
    kb_err err;
    int have;

    if (strcmp(st->status, "stopped") != 0) {
        /* the keeper owns QEMU, which dies with it (PR_SET_PDEATHSIG) */
        kill(st->pid, SIGKILL);
        keeper_gone(st, 5000);
    }
    /* poststop once everything is gone, from the config kept at create */
    have = rt_hooks_load(dir, &spec, &err) == 0;
    kb_sandbox_remove_state(dir);
    if (have)
        rt_hooks_poststop(g, verb, &spec, st->id, st->bundle);
    kb_spec_free(&spec);
}

int runtime_state(const struct rt_globals *g, int argc, char **argv)
{
    char dir[PATH_MAX], *text = NULL;
    struct kb_state st;
    _cleanup_close_ int lock = -1;
    kb_err err;

    no_options(argc, argv);
    if (load(g, argc, argv, dir, sizeof dir, &st, &lock, &err) < 0)
        return rt_fail(g, "state", &err);
    if (kb_state_format(&st, &text, &err) < 0) {
        kb_state_free(&st);
        return rt_fail(g, "state", &err);
    }
    fputs(text, stdout);
    free(text);
    kb_state_free(&st);
    return 0;
}

static const struct { const char *name; int sig; } signal_names[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
    { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
    { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
    { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
    { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
    { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
    { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
    { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

/* "KILL", "SIGKILL", "9" (runc accepts all three) */
static int parse_signal(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);

    if (*s && !*end)
        return n > 0 && n <= 64 ? (int)n : -1;
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    for (size_t i = 0; i < KB_ARRAY_SIZE(signal_names); i++)
        if (strcasecmp(signal_names[i].name, s) == 0)
            return signal_names[i].sig;
    return -1;
}

int runtime_kill(const struct rt_globals *g, int argc, char **argv)
{
    static const struct option longopts[] = { { "all", no_argument, 0, 'a' }, { 0, 0, 0, 0 } };
    char dir[PATH_MAX], line[64];
    struct kb_state st;
    _cleanup_close_ int lock = -1;
    int all = 0, sig = SIGTERM, c;
    kb_err err;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "a", longopts, NULL)) != -1) {
        if (c != 'a') {
            kb_error(&err, EINVAL, "unknown option '%s'", argv[optind - 1]);
            return rt_fail(g, "kill", &err);
        }
        all = 1;
    }
    if (load(g, argc, argv, dir, sizeof dir, &st, &lock, &err) < 0)
        return rt_fail(g, "kill", &err);
    if (optind + 1 < argc && (sig = parse_signal(argv[optind + 1])) < 0) {
        kb_state_free(&st);
        kb_error(&err, EINVAL, "unknown signal \"%s\"", argv[optind + 1]);
        return rt_fail(g, "kill", &err);
    }
    if (strcmp(st.status, "stopped") == 0) {
        kb_state_free(&st);
        kb_error(&err, 0, "container not running");
        return rt_fail(g, "kill", &err);
    }
    kb_state_free(&st);
    snprintf(line, sizeof line, "kill %d %d", sig, all);
    return kb_keeper_request(dir, line, &err) < 0 ? rt_fail(g, "kill", &err) : 0;
}

int runtime_delete(const struct rt_globals *g, int argc, char **argv)
{
    static const struct option longopts[] = { { "force", no_argument, 0, 'f' }, { 0, 0, 0, 0 } };
    char dir[PATH_MAX] = "";
    struct kb_state st;
    _cleanup_close_ int lock = -1;
    int force = 0, c;
    kb_err err;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f", longopts, NULL)) != -1) {
        if (c != 'f') {
            kb_error(&err, EINVAL, "unknown option '%s'", argv[optind - 1]);
            return rt_fail(g, "delete", &err);
        }
        force = 1;
    }
    if (load(g, argc, argv, dir, sizeof dir, &st, &lock, &err) < 0) {
        /* a state dir the keeper never finished: --force removes it */
        if (force && err.errnum != ENOENT && dir[0]) {
            kb_sandbox_remove_state(dir);
            return 0;
        }
        return rt_fail(g, "delete", &err);
    }
    if (strcmp(st.status, "stopped") != 0 && !force) {
        kb_error(&err, 0, "cannot delete container %s that is not stopped: %s", st.id, st.status);
        kb_state_free(&st);
        return rt_fail(g, "delete", &err);
    }
    rt_destroy(g, "delete", dir, &st);
    kb_state_free(&st);
    return 0;
}
