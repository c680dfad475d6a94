/* The process's own settings: rlimits, oomScoreAdj, noNewPrivileges, its
 * environment and the program it runs; and the steps up to its exec that a
 * container's init and a process exec'd into it share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

int kb_ctr_set_rlimits(const struct kb_process *p, kb_err *err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
        if (setrlimit(p->rlimits[i].resource, &rl) < 0)
            return kb_error_errno(err, "process.rlimits[%zu]: setrlimit", i);
    }
    return 0;
}

int kb_ctr_set_oom_score_adj(int adj, kb_err *err)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%d", adj);
    _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

    if (fd < 0 || kb_write_all(fd, buf, (size_t)n) < 0)
        return kb_error_errno(err, "process.oomScoreAdj: write %d to /proc/self/oom_score_adj", adj);
    return 0;
}

int kb_ctr_set_no_new_privs(kb_err *err)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return kb_error_errno(err, "process.noNewPrivileges");
    return 0;
}

const char *kb_env_get(char *const *env, const char *name)
{
    size_t n = strlen(name);

    /* the last one wins, as for a shell's environment */
    const char *found = NULL;
    for (size_t i = 0; env && env[i]; i++)
        if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
            found = env[i] + n + 1;
    return found;
}

/* The entries are process.env's own: for the child, which execs or exits. */
char **kb_ctr_make_env(const struct kb_process *p, kb_err *err)
{
    char home[4096] = "/", **env;
    _cleanup_free_ char *passwd = NULL;
    size_t n = 0;

    while (p->env[n])
        n++;
    env = calloc(n + 2, sizeof *env);
    if (!env) {
        kb_error(err, ENOMEM, "process.env");
        return NULL;
    }
    memcpy(env, p->env, n * sizeof *env);
    if (kb_env_get(p->env, "HOME"))
        return env;
    /* runc: the user's home from the image's /etc/passwd, else "/" */
    if (kb_read_file("/etc/passwd", 4u << 20, &passwd, NULL, err) == 0)
        kb_passwd_home(passwd, p->uid, home, sizeof home);
    env[n] = malloc(sizeof "HOME=" + strlen(home));
    if (!env[n]) {
        free(env);
        kb_error(err, ENOMEM, "process.env");
        return NULL;
    }
    strcpy(env[n], "HOME=");
    strcat(env[n], home);
    return env;
}

/* Go's findExecutable: a file with some execute bit; ENOENT or EACCES */
static int executable(const char *path, int *stat_errno)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        *stat_errno = errno;
        return 0;
    }
    *stat_errno = 0;
    return !S_ISDIR(st.st_mode) && (st.st_mode & 0111);
}

int kb_ctr_lookup(const char *file, const char *path_env, char *out, size_t len, kb_err *err)
{
    int serr;

    if (strchr(file, '/')) {
        if (strlen(file) >= len)
            return kb_error(err, ENAMETOOLONG, "exec: \"%.64s...\"", file);
        if (executable(file, &serr)) {
            strcpy(out, file);
            return 0;
        }
        if (serr)
            return kb_error(err, serr, "exec: \"%s\": stat %s", file, file);
        return kb_error(err, EACCES, "exec: \"%s\"", file);
    }
    /* an empty or missing PATH finds nothing, as in runc (no default PATH) */
    for (const char *dir = path_env; path_env && *path_env && *file;) {
        size_t dl = strcspn(dir, ":");
        int n;

        /* an empty entry is the current directory, as for a shell */
        if (dl == 0)
            n = snprintf(out, len, "./%s", file);
        else
            n = snprintf(out, len, "%.*s/%s", (int)dl, dir, file);
        if (n > 0 && (size_t)n < len && executable(out, &serr))
            return 0;
        if (!dir[dl])
            break;
        dir += dl + 1;
    }
    return kb_error(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
}

int kb_ctr_finish_process(const struct kb_process *proc, const uint64_t caps[KB_CAP_SETS], void *seccomp,
                          char *exe, size_t exe_len, char ***envp, kb_err *err)
{
    int chdir_later = 0;

    umask(proc->has_umask ? proc->umask : 022);
    if (kb_ctr_set_rlimits(proc, err) < 0 ||
        (proc->no_new_privileges && kb_ctr_set_no_new_privs(err) < 0))
        return -1;
    /* without no_new_privs, loading a filter takes CAP_SYS_ADMIN: now, while we have it */
    if (!proc->no_new_privileges && kb_ctr_seccomp_load(seccomp, err) < 0)
        return -1;
    *envp = kb_ctr_make_env(proc, err);
    if (!*envp)
        return -1;
    /* runc's finalizeNamespace: bounding set, keep caps across the user
     * change, cwd (again after it when root may not enter), the other sets */
    if (kb_ctr_caps_bound(caps[KB_CAP_BOUNDING], err) < 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return kb_error_errno(err, "capabilities: keep them across the user change");
    if (chdir(proc->cwd) < 0) {
        if (errno != EACCES && errno != EPERM)
            return kb_error_errno(err, "process.cwd: chdir %s", proc->cwd);
        chdir_later = 1;
    }
    if (kb_ctr_set_user(proc, err) < 0)
        return -1;
    if (chdir_later && chdir(proc->cwd) < 0)
        return kb_error_errno(err, "process.cwd: chdir %s", proc->cwd);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return kb_error_errno(err, "capabilities: stop keeping them");
    if (kb_ctr_caps_apply(caps, err) < 0)
        return -1;
    /* as the user, with its caps: what it could not run is an error of
     * create (or exec), not of start */
    return kb_ctr_lookup(proc->args[0], kb_env_get(*envp, "PATH"), exe, exe_len, err);
}
