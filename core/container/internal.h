/* What the files of core/container/ share. The caller checks and parses the
 * whole spec into a plan before it forks, so that the child only acts; each
 * step the child takes returns < 0 with err filled, like everything else. */
#ifndef KB_CONTAINER_INTERNAL_H
#define KB_CONTAINER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../err.h"
#include "../oci/spec.h"
#include "container.h"
#include "mountopts.h"

enum kb_mount_kind { KB_MNT_BIND, KB_MNT_PROC, KB_MNT_SYSFS, KB_MNT_TMPFS, KB_MNT_CGROUP, KB_MNT_OTHER };

struct kb_ctr_mount {
    const struct kb_mount *m;   /* the spec's entry */
    enum kb_mount_kind kind;
    const char *fstype;         /* what mount(2) gets; NULL for a bind */
    struct kb_mount_opts opts;
};

struct kb_ctr_plan {
    const struct kb_spec *spec;
    const char *id, *bundle;        /* for the hooks' state JSON */
    const char *rootfs;
    struct kb_ctr_io io;
    struct kb_ctr_mount *mounts;    /* spec->n_mounts of them */
    int setup_dev;                  /* /dev is a mount of its own: fill it as runc does */
    int new_userns;                 /* a new user namespace: device nodes are bound, not made */
    unsigned long root_propagation; /* linux.rootfsPropagation as MS_* flags; 0: not given */
    uint64_t caps[KB_CAP_SETS];
    void *seccomp;                  /* the compiled linux.seccomp; NULL: none */
};

/* --- create.c: the staged handshake, for an init and an exec alike */
struct kb_ctr_stages {
    const char *who;                /* "the container's init", for errors */
    const struct kb_ctr_io *io;     /* the process's stdio */
    char *const *argv;              /* what it execs */
    /* the intermediate, before it forks: the namespaces the process is born in;
     * sync is its end of the channel (for "usermap") */
    int (*enter)(const void *arg, int sync, kb_err *err);
    /* the caller, when the intermediate asks with "usermap": write the id maps
     * of pid's new user namespace; NULL: never asked */
    int (*map)(const void *arg, pid_t pid, kb_err *err);
    /* the process, after setsid and stdio: everything up to the exec; exe
     * gets the program, *envp its environment; sync is its end of the channel */
    int (*setup)(const void *arg, int sync, char *exe, size_t exe_len, char ***envp, kb_err *err);
    /* the process, after "go", right before the exec (startContainer hooks); may be NULL */
    int (*last)(const void *arg, kb_err *err);
    const void *arg;
};

/* <0 unless the caller will see `who` as its child once the intermediate exits. */
int kb_ctr_caller_can_reap(const char *who, kb_err *err);
/* Fork the intermediate, get the process's pid, reap the intermediate, run
 * the setup: c gets the process waiting for "go", or it is killed and reaped. */
int kb_ctr_spawn(const struct kb_ctr_stages *st, struct kb_ctr *c, kb_err *err);
/* Move pid into the cgroup v2 directory cgroup. */
int kb_ctr_join_cgroup(const char *cgroup, pid_t pid, kb_err *err);

/* --- copyup.c: copy the directory from's contents into to (tmpcopyup) */
int kb_ctr_copy_up(int from, int to, kb_err *err);

/* --- sync.c: the staged handshake's messages (create.c tells the stages) */
enum kb_sync_type { KB_SYNC_PID = 1, KB_SYNC_SETUP, KB_SYNC_READY, KB_SYNC_GO, KB_SYNC_ERROR,
                    KB_SYNC_USERMAP, KB_SYNC_MAPPED, KB_SYNC_CONSOLE };

struct kb_sync_msg {
    uint32_t type;
    int32_t pid;        /* "pid": the init, in the caller's pid namespace */
    int32_t errnum;     /* "error" */
    char msg[sizeof ((kb_err *)0)->msg];
};

/* The message's name, for errors: "pid", "setup", "ready", "go", "error", "usermap", "mapped",
 * "console". */
const char *kb_sync_name(uint32_t type);
/* Send one message (e: the error of an "error", else NULL); -1 with errno. */
int kb_sync_send(int fd, uint32_t type, pid_t pid, const kb_err *e);
/* "console" with the pty master pass_fd attached. */
int kb_sync_send_fd(int fd, uint32_t type, int pass_fd);
/* 1: a message, 0: every other end is closed, -1: error (errno; EPROTO: garbage).
 * An fd that came with it goes to *passed (NULL: refused as garbage), else -1. */
int kb_sync_recv(int fd, struct kb_sync_msg *m);
int kb_sync_recv_fd(int fd, struct kb_sync_msg *m, int *passed);

/* --- the caller's checks (plan.c) */
int kb_ctr_plan_make(struct kb_ctr_plan *p, const struct kb_spec *spec, const char *rootfs,
                     const struct kb_ctr_io *io, kb_err *err);
void kb_ctr_plan_free(struct kb_ctr_plan *p);
/* Whether two absolute paths name the same place, spelling aside ("//dev/." is "/dev"). */
int kb_ctr_path_is(const char *path, const char *want);
/* An absolute path without ".." components; field names it in the error. */
int kb_ctr_check_path(const char *field, const char *path, kb_err *err);

/* --- namespaces.c */
int kb_ctr_check_namespaces(const struct kb_spec *spec, kb_err *err);
/* The intermediate: join or create the user namespace (a new one gets its id maps
 * from the caller over sync), then act as its root. */
int kb_ctr_enter_user_ns(const struct kb_spec *spec, int sync, kb_err *err);
/* The caller: write uid_map and gid_map of pid's new user namespace. */
int kb_ctr_write_id_maps(const struct kb_spec *spec, pid_t pid, kb_err *err);
/* The intermediate: join or create the pid namespace its next child is born in. */
int kb_ctr_enter_pid_ns(const struct kb_spec *spec, kb_err *err);
/* The init: join or create every other namespace, loopback up in a new network one. */
int kb_ctr_enter_namespaces(const struct kb_spec *spec, kb_err *err);

/* --- seccomp.c: linux.seccomp through libseccomp (a scmp_filter_ctx) */
/* Compile s in the caller; *filter is set as soon as it exists: free it on error too. */
int kb_ctr_seccomp_compile(const struct kb_seccomp *s, void **filter, kb_err *err);
/* In the process: load it (NULL: nothing). Without no_new_privs it needs CAP_SYS_ADMIN. */
int kb_ctr_seccomp_load(void *filter, kb_err *err);
void kb_ctr_seccomp_free(void *filter);

/* --- sysctl.c: linux.sysctl, each in a namespace of the container's own */
int kb_ctr_check_sysctl(const struct kb_spec *spec, kb_err *err);
/* In the init, once its namespaces are entered: through the caller's /proc. */
int kb_ctr_write_sysctl(const struct kb_spec *spec, kb_err *err);

/* --- resolve.c: paths inside the rootfs that never leave it */
/* "/proc/self/fd/N": what mount(2) takes to act on an fd */
#define KB_FDPATH_MAX 32
const char *kb_ctr_fdpath(char buf[KB_FDPATH_MAX], int fd);
/* Open path (absolute, in the container) below rootfd, O_PATH plus flags
 * (O_NOFOLLOW, O_DIRECTORY); symlinks resolve as if rootfd were "/". */
int kb_ctr_open_in(int rootfd, const char *path, int flags);
/* The same, creating what is missing (directories 0755; the last one an
 * empty file when file is set) the way runc's MkdirAll does; returns the fd. */
int kb_ctr_mkpath_in(int rootfd, const char *path, int file, kb_err *err);

/* --- mounts.c */
/* Set propagation (0: runc's default, a recursive slave) on /, bind the
 * rootfs onto itself; *rootfd gets it. */
int kb_ctr_prepare_root(const char *rootfs, unsigned long propagation, int *rootfd, kb_err *err);
int kb_ctr_mount_all(const struct kb_ctr_plan *p, int rootfd, kb_err *err);
/* Read-only tmpfs and /dev mounts were mounted writable to be filled; now seal them. */
int kb_ctr_mount_seal(const struct kb_ctr_plan *p, int rootfd, kb_err *err);
/* MS_NOSUID|MS_NODEV|MS_NOEXEC as the mount under fd has them, to keep across a remount. */
unsigned long kb_ctr_mount_locked_flags(int fd);

/* --- devices.c */
int kb_ctr_setup_dev(const struct kb_ctr_plan *p, int rootfd, kb_err *err);

/* --- console.c: terminal mode, in the container's own devpts */
/* Open a pty from /dev/ptmx as the process sees it, make its slave fds 0-2 and the
 * controlling terminal (sized rows x cols when given), bind it over /dev/console when
 * bind_console, and send the master to the caller over sync. */
int kb_ctr_console(int sync, unsigned rows, unsigned cols, int bind_console, kb_err *err);

/* --- paths.c */
int kb_ctr_readonly_paths(char *const *paths, int rootfd, kb_err *err);
int kb_ctr_mask_paths(char *const *paths, int rootfd, kb_err *err);

/* --- rootfs.c */
/* pivot_root into rootfs, the old root detached. */
int kb_ctr_pivot_root(const char *rootfs, kb_err *err);
int kb_ctr_root_readonly(kb_err *err);

/* --- caps.c */
#define KB_CAP_LAST 40  /* CAP_CHECKPOINT_RESTORE */
/* A NULL-terminated list of names (NULL: none) as a bit mask. */
int kb_caps_parse(char *const *names, const char *field, uint64_t *mask, kb_err *err);
/* Every set of proc->caps as bit masks; an absent set is empty. */
int kb_ctr_caps_of(const struct kb_process *proc, uint64_t caps[KB_CAP_SETS], kb_err *err);
/* Drop everything outside keep from the bounding set. */
int kb_ctr_caps_bound(uint64_t keep, kb_err *err);
/* After the user change: effective, permitted, inheritable, then ambient. */
int kb_ctr_caps_apply(const uint64_t caps[KB_CAP_SETS], kb_err *err);

/* --- user.c */
/* Supplementary groups, gid, uid; stdio handed to the new uid first. */
int kb_ctr_set_user(const struct kb_process *proc, kb_err *err);
/* The home directory of uid in passwd text; 0 when found. */
int kb_passwd_home(const char *passwd, uint32_t uid, char *buf, size_t len);

/* --- stdio.c */
/* Default dispositions, nothing blocked: the caller's choices are not the container's. */
void kb_ctr_reset_signals(void);
/* fds 0-2 from io (or the terminal), *sync moved to 3, everything else closed. */
int kb_ctr_setup_stdio(const struct kb_ctr_io *io, int *sync, kb_err *err);

/* --- process.c */
int kb_ctr_set_rlimits(const struct kb_process *proc, kb_err *err);
int kb_ctr_set_oom_score_adj(int adj, kb_err *err);
int kb_ctr_set_no_new_privs(kb_err *err);
/* The last steps before the exec, in runc's order: umask, rlimits,
 * noNewPrivileges, seccomp (without noNewPrivileges: while the caps allow it),
 * env, capabilities, cwd, user; then the program's path (exe) as the user
 * finds it. Shared by an init and an exec'd process. With noNewPrivileges
 * the filter is loaded by the caller of this, right before the exec. */
int kb_ctr_finish_process(const struct kb_process *proc, const uint64_t caps[KB_CAP_SETS], void *seccomp,
                          char *exe, size_t exe_len, char ***envp, kb_err *err);
/* The value of env entry name, or NULL. */
const char *kb_env_get(char *const *env, const char *name);
/* process.env plus HOME from the container's /etc/passwd when it has none, as runc does. */
char **kb_ctr_make_env(const struct kb_process *proc, kb_err *err);
/* file as runc (Go's exec.LookPath) finds it with PATH path_env (NULL: unset):
 * ENOENT when missing, EACCES when not an executable file. */
int kb_ctr_lookup(const char *file, const char *path_env, char *out, size_t len, kb_err *err);

#endif
