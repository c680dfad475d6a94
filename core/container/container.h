/* An OCI container's init process, created from a parsed spec on Linux:
 * namespaces, mounts, pivot_root, devices, user, capabilities, rlimits;
 * and more processes exec'd into the running container.
 * Knows nothing of the agent protocol (the agent converts its messages
 * into a kb_spec and a kb_ctr_io first).
 *
 * The init is forked by an intermediate process (so that it is born in the
 * new pid namespace) which exits at once: the init is then re-parented to
 * PID 1 or to the nearest child subreaper. The caller must therefore be
 * PID 1 (the agent) or have PR_SET_CHILD_SUBREAPER set, and reaps the init
 * with waitpid(c.pid) once it exits; create refuses to run otherwise. The
 * same holds for an exec'd process. */
#ifndef KB_CONTAINER_H
#define KB_CONTAINER_H

#include <sys/types.h>

#include "../err.h"
#include "../oci/seccomp.h"
#include "../oci/spec.h"

struct kb_ctr_io {
    int in, out, err;    /* become the process's fds 0,1,2; -1: /dev/null */
    int console;         /* terminal mode, as runc's: the process opens a pty in the container's
                            own devpts (/dev/ptmx), makes its slave the controlling terminal and
                            fds 0,1,2 (in/out/err ignored), binds it over /dev/console (an
                            init), and hands the master to the caller (kb_ctr.console_fd) */
};

struct kb_ctr {          /* a created container's init, owned by the caller */
    pid_t pid;           /* in the caller's pid namespace; -1 when none */
    int sync_fd;
    const char *cgroup;  /* set by the caller: a cgroup v2 directory the process joins before
                            its setup (so its cgroup namespace is rooted there); NULL: none */
    const char *id, *bundle; /* set by the caller: the state JSON of startContainer hooks; NULL: "" */
    int console_fd;      /* terminal mode: the pty's master, the caller's to close; -1: none */
};

/* Set up the container (namespaces, mounts, pivot_root, ...) in a new process that waits
 * before exec; on error the process is gone. io's fds stay the caller's. */
int kb_container_create(const struct kb_spec *spec, const char *rootfs, const struct kb_ctr_io *io,
                        struct kb_ctr *c, kb_err *err);
/* Let the created process exec process.args; fails with the exec error (errnum ENOENT:
 * a shell's 127, else 126), and the process then exits by itself, still to be reaped.
 * process.args[0] is looked up during create, as runc does: "not found" fails create. */
int kb_container_start(struct kb_ctr *c, kb_err *err);
/* Close the caller's fds; does not kill or reap the process. */
void kb_container_release(struct kb_ctr *c);
/* proc in the namespaces of init_pid's container (runc exec), under the container's seccomp
 * profile (NULL: none), waiting for start like create. */
int kb_container_exec(pid_t init_pid, const struct kb_seccomp *seccomp, const struct kb_process *proc,
                      const struct kb_ctr_io *io, struct kb_ctr *c, kb_err *err);
/* linux.resources.devices as a BPF device filter on the cgroup v2 directory cgroup, with
 * runc's always-allowed devices; nothing when r has no device rule. */
int kb_ctr_devices_cgroup(const char *cgroup, const struct kb_resources *r, kb_err *err);
/* The name of capability number cap ("CAP_CHOWN"), NULL past the last one known. */
const char *kb_cap_name(int cap);
/* The number of a "CAP_..." name, or -1. */
int kb_cap_from_name(const char *name);

#endif
