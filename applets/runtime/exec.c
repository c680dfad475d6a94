/* kata-runtime exec: runc's exec. The process runs in the container's
 * namespaces in the guest; its stdio is this command's (passed to the
 * container's keeper, which relays it), and this command stays until it
 * exits, forwarding signals, and exits with its status. With -d a child
 * of this command does that waiting instead (its pid goes to --pid-file,
 * so an engine can wait on it like on runc's exec'ed process). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../core/oci/spec.h"
#include "../../core/sandbox/console.h"
#include "../../core/sandbox/keeper.h"
#include "../../core/sandbox/run.h"
#include "../../core/sandbox/state.h"
#include "../../core/tty.h"
#include "../../core/util.h"
#include "runtime.h"

#define MAX_LIST 1024

static const char usage_text[] =
    "usage: kata-runtime exec [OPTIONS] ID COMMAND [ARGS...]\n"
    "Run COMMAND in container ID, as runc exec does:\n"
    "  -p, --process FILE        the whole process as OCI JSON (then no COMMAND)\n"
    "  -e, --env NAME=VALUE      add to the environment (repeatable)\n"
    "      --cwd DIR             working directory\n"
    "  -u, --user UID[:GID]      numeric user and group\n"
    "  -g, --additional-gids GID (repeatable)\n"
    "  -c, --cap CAP             add a capability (repeatable)\n"
    "      --no-new-privs        set no_new_privileges\n"
    "  -t, --tty                 a terminal (yours, or one sent to --console-socket)\n"
    "      --console-socket PATH where the terminal's master goes\n"
    "  -d, --detach              return once it runs\n"
    "      --pid-file FILE       the pid of the process that exits with its status\n";

struct exec_opts {
    const char *process_file, *cwd, *user, *console_socket, *pid_file, *id;
    char *env[MAX_LIST], *caps[MAX_LIST];
    uint32_t gids[MAX_LIST];
    size_t n_env, n_caps, n_gids;
    int tty, detach, nnp;
    char **args;
    size_t n_args;
};

static int add(char **list, size_t *n, char *v, const char *what, kb_err *err)
{
    if (*n == MAX_LIST)
        return kb_error(err, E2BIG, "more than %d %s", MAX_LIST, what);
    list[(*n)++] = v;
    return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > UINT32_MAX)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int parse(int argc, char **argv, struct exec_opts *o, kb_err *err)
{
    enum { O_CWD = 256, O_CONSOLE, O_PIDFILE, O_NNP, O_IGNORED };
    static const struct option longopts[] = {
        { "process", required_argument, 0, 'p' },    { "env", required_argument, 0, 'e' },
        { "cwd", required_argument, 0, O_CWD },      { "user", required_argument, 0, 'u' },
        { "additional-gids", required_argument, 0, 'g' }, { "cap", required_argument, 0, 'c' },
        { "no-new-privs", no_argument, 0, O_NNP },   { "tty", no_argument, 0, 't' },
        { "console-socket", required_argument, 0, O_CONSOLE },
        { "detach", no_argument, 0, 'd' },           { "pid-file", required_argument, 0, O_PIDFILE },
        /* accepted as runc does on a host without them */
        { "process-label", required_argument, 0, O_IGNORED },
        { "apparmor", required_argument, 0, O_IGNORED },
        { "cgroup", required_argument, 0, O_IGNORED },
        { "ignore-paused", no_argument, 0, O_IGNORED },
        { "preserve-fds", required_argument, 0, 'P' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    uint32_t gid;

    opterr = 0;
    optind = 1;
    /* "+": options stop at the id, the command's own flags are its */
    while ((c = getopt_long(argc, argv, "+p:e:u:g:c:tdh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': o->process_file = optarg; break;
        case 'e':
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return kb_error(err, EINVAL, "--env %s: expected NAME=VALUE", optarg);
            if (add(o->env, &o->n_env, optarg, "--env", err) < 0)
                return -1;
            break;
        case O_CWD: o->cwd = optarg; break;
        case 'u': o->user = optarg; break;
        case 'g':
            if (parse_u32(optarg, &gid) < 0)
                return kb_error(err, EINVAL, "--additional-gids %s: expected a number", optarg);
            if (o->n_gids == MAX_LIST)
                return kb_error(err, E2BIG, "more than %d --additional-gids", MAX_LIST);
            o->gids[o->n_gids++] = gid;
            break;
        case 'c':
            if (add(o->caps, &o->n_caps, optarg, "--cap", err) < 0)
                return -1;
            break;
        case O_NNP: o->nnp = 1; break;
        case 't': o->tty = 1; break;
        case O_CONSOLE: o->console_socket = optarg; break;
        case 'd': o->detach = 1; break;
        case O_PIDFILE: o->pid_file = optarg; break;
        case O_IGNORED: break;
        case 'P':
            if (strcmp(optarg, "0") != 0)
                return kb_error(err, ENOTSUP, "--preserve-fds is not supported yet");
            break;
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        default:
            return kb_error(err, EINVAL, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return kb_error(err, EINVAL, "container id cannot be empty");
    o->id = argv[optind++];
    o->args = argv + optind;
    o->n_args = (size_t)(argc - optind);
    if (!o->process_file && !o->n_args)
        return kb_error(err, EINVAL, "exec: args must not be empty");
    if (o->n_args > MAX_LIST)
        return kb_error(err, E2BIG, "more than %d arguments", MAX_LIST);
    if (o->cwd && o->cwd[0] != '/')
        return kb_error(err, EINVAL, "--cwd %s: not an absolute path", o->cwd);
    return 0;
}

/* The EXEC request: the process file as it is, or what the flags change. */
static int build(struct exec_opts *o, struct kb_msg_exec *x, struct kb_process *file, char **text,
                 kb_err *err)
{
    struct kb_msg_process *p = &x->process;
    size_t len;

    memset(x, 0, sizeof *x);
    /* the keeper names the process; these only make the request whole */
    x->container_id = (char *)o->id;
    x->exec_id = "-";
    if (o->process_file) {
        /* checked here, so a bad file is this command's error */
        if (kb_read_file(o->process_file, KB_PROTO_MAX_PAYLOAD - 4096, text, &len, err) < 0 ||
            kb_process_parse(*text, len, file, err) < 0)
            return kb_error_wrap(err, "--process %s", o->process_file);
        x->oci_process = (uint8_t *)*text;
        x->oci_process_len = len;
        p->args = file->args;
        for (p->n_args = 0; file->args[p->n_args]; p->n_args++)
            ;
        p->terminal = file->terminal;
        o->tty = file->terminal;
        return 0;
    }
    p->args = o->args;
    p->n_args = o->n_args;
    p->env = o->env;
    p->n_env = o->n_env;
    p->cwd = (char *)(o->cwd ? o->cwd : "");
    if (o->user) {
        char *colon = strchr(o->user, ':');
        if (colon)
            *colon = '\0';
        if (parse_u32(o->user, &p->uid) < 0 || (colon && parse_u32(colon + 1, &p->gid) < 0))
            return kb_error(err, EINVAL, "--user %s: expected UID[:GID] as numbers", o->user);
        p->has_uid = p->has_gid = true;
    }
    p->additional_gids = o->gids;
    p->n_additional_gids = o->n_gids;
    p->caps_add = o->caps;
    p->n_caps_add = o->n_caps;
    p->no_new_privileges = o->nnp;
    p->terminal = o->tty;
    return 0;
}

/* Wait for the process and leave with its status; never returns. */
static void __attribute__((noreturn)) wait_and_exit(const struct rt_globals *g, int conn, int sigfd,
                                                    int tty, struct kb_tty *raw)
{
    int status = 255;
    kb_err err;

    if (kb_keeper_exec_wait(conn, sigfd, tty, &status, &err) < 0) {
        kb_tty_restore(raw);
        rt_fail(g, "exec", &err);
        exit(255);
    }
    kb_tty_restore(raw);
    exit(status);
}

static int run_exec(const struct rt_globals *g, struct exec_opts *o, kb_err *err)
{
    char dir[PATH_MAX];
    struct kb_state st;
    struct kb_msg_exec x;
    struct kb_process file = { 0 };
    struct kb_tty raw = { .fd = -1 };
    _cleanup_free_ char *text = NULL;
    _cleanup_close_ int lock = -1, sigfd = -1, slave = -1;
    int fds[3] = { 0, 1, 2 }, conn = -1, tty = -1, rc = -1, r;
    pid_t waiter;

    if (rt_load_state(g, o->id, dir, sizeof dir, &st, &lock, err) < 0)
        return err->errnum == ENOENT ? kb_error(err, 0, "container does not exist") : -1;
    r = strcmp(st.status, "stopped") == 0;
    kb_state_free(&st);
    /* not held while the process runs: kill and state must get through */
    kb_closep(&lock);
    if (r)
        return kb_error(err, 0, "cannot exec in a stopped container");
    if (build(o, &x, &file, &text, err) < 0)
        goto out;
    if (o->tty && o->detach && !o->console_socket) {
        kb_error(err, EINVAL, "cannot allocate tty if runc will detach without setting console socket");
        goto out;
    }
    if (!o->tty && o->console_socket) {
        kb_error(err, EINVAL, "cannot use console socket if runc will not detach or allocate tty");
        goto out;
    }
    if ((sigfd = kb_relay_signalfd(err)) < 0)
        goto out;
    if (o->detach) {
        /* the waiter leads a session of its own: a console-socket pty can
         * be its controlling terminal, for SIGWINCH */
        int ready[2];
        char ok = 0;
        if (pipe2(ready, O_CLOEXEC) < 0) {
            kb_error_errno(err, "pipe");
            goto out;
        }
        waiter = fork();
        if (waiter < 0) {
            close(ready[0]);
            close(ready[1]);
            kb_error_errno(err, "fork");
            goto out;
        }
        if (waiter > 0) {
            close(ready[1]);
            r = read(ready[0], &ok, 1) == 1 && ok == 'y';
            close(ready[0]);
            if (!r) {
                /* it said why */
                waitpid(waiter, NULL, 0);
                rc = -2;
                goto out;
            }
            rc = o->pid_file ? kb_write_pid_file(o->pid_file, waiter, err) : 0;
            goto out;
        }
        close(ready[0]);
        setsid();
        if (o->console_socket && kb_console_socket_pty(o->console_socket, &slave, err) < 0) {
            rt_fail(g, "exec", err);
            _exit(255);
        }
        if (slave >= 0)
            fds[0] = fds[1] = fds[2] = tty = slave;
        if (kb_keeper_exec(dir, &x, fds, &conn, NULL, err) < 0) {
            rt_fail(g, "exec", err);
            _exit(255);
        }
        (void)!write(ready[1], "y", 1);
        close(ready[1]);
        /* the keeper has the process's stdio now: let go of ours */
        {
            int null = open("/dev/null", O_RDWR | O_CLOEXEC);
            if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
                close(null);
            }
        }
        wait_and_exit(g, conn, sigfd, tty, &raw);
    }
    if (o->tty && o->console_socket) {
        if (kb_console_socket_pty(o->console_socket, &slave, err) < 0)
            goto out;
        fds[0] = fds[1] = fds[2] = tty = slave;
    } else if (o->tty) {
        /* this command's own terminal, raw: the guest's pty does the work */
        if (!isatty(0)) {
            kb_error(err, ENOTTY, "-t: stdin is not a terminal (use --console-socket)");
            goto out;
        }
        if (kb_tty_raw(&raw, 0) < 0) {
            kb_error_errno(err, "put the terminal in raw mode");
            goto out;
        }
        tty = 0;
    }
    if (kb_keeper_exec(dir, &x, fds, &conn, NULL, err) < 0) {
        kb_tty_restore(&raw);
        goto out;
    }
    if (o->pid_file && kb_write_pid_file(o->pid_file, getpid(), err) < 0) {
        kb_tty_restore(&raw);
        close(conn);
        goto out;
    }
    wait_and_exit(g, conn, sigfd, tty, &raw);
out:
    kb_process_free(&file);
    return rc;
}

int runtime_exec(const struct rt_globals *g, int argc, char **argv)
{
    struct exec_opts o;
    kb_err err;
    int r;

    memset(&o, 0, sizeof o);
    if (parse(argc, argv, &o, &err) < 0) {
        kb_error_wrap(&err, "exec failed");
        rt_fail(g, "exec", &err);
        return 255;
    }
    r = run_exec(g, &o, &err);
    if (r == -2)
        return 255; /* the waiter said why */
    if (r < 0) {
        kb_error_wrap(&err, "exec failed");
        rt_fail(g, "exec", &err);
        return 255;
    }
    return 0;
}
