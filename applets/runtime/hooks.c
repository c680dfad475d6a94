/* The hooks that run on the host: prestart, createRuntime and
 * createContainer once the container is created in its VM, poststart once it
 * started, poststop once it is gone; each step from one function here, each
 * called from one place of a verb (run -d is create's and start's, run's
 * foreground steps are its own). They are the host's programs (network
 * or device set-up, bookkeeping) and run in the runtime's namespaces; the
 * host never executes anything inside the untrusted guest for them. Only
 * startContainer runs in the guest, in the container (core/container).
 * createContainer cannot run in the container's mount namespace before
 * pivot_root, as runc runs it: that namespace is in the guest. It runs here,
 * at the same step of the lifecycle. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../core/oci/hooks.h"
#include "../../core/util.h"
#include "runtime.h"

#define SAVED_CONFIG "config.json"

int rt_hooks_save(const char *dir, const char *config, size_t len, kb_err *err)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    _cleanup_close_ int fd = -1;

    snprintf(path, sizeof path, "%s/" SAVED_CONFIG, dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return kb_error_errno(err, "save the config: %s", tmp);
    if (write(fd, config, len) != (ssize_t)len || rename(tmp, path) < 0) {
        kb_error_errno(err, "save the config: %s", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

int rt_hooks_load(const char *dir, struct kb_spec *spec, kb_err *err)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/" SAVED_CONFIG, dir);
    return kb_spec_load(path, spec, err);
}

/* spec's hooks of kind with the state JSON of container id (pid <= 0: left out) */
static int run_kind(const struct kb_spec *spec, enum kb_hook_kind kind, const char *id, const char *status, int pid,
                    const char *bundle, kb_err *err)
{
    _cleanup_free_ char *state = NULL;
    size_t len;

    if (!spec->hooks || !spec->hooks->n[kind])
        return 0;
    if (kb_oci_state_json(spec->oci_version, id, status, pid, bundle, spec->annotations, &state, &len, err) < 0)
        return -1;
    return kb_hooks_run(spec->hooks, kind, state, len, err);
}

/* status "creating", as runc 1.1 gives all three (process_linux.go, rootfs_linux.go) */
int rt_hooks_create(const struct kb_spec *spec, const char *id, int pid, const char *bundle, kb_err *err)
{
    if (run_kind(spec, KB_HOOK_PRESTART, id, "creating", pid, bundle, err) < 0 ||
        run_kind(spec, KB_HOOK_CREATE_RUNTIME, id, "creating", pid, bundle, err) < 0 ||
        run_kind(spec, KB_HOOK_CREATE_CONTAINER, id, "creating", pid, bundle, err) < 0)
        return -1;
    return 0;
}

int rt_hooks_poststart(const struct kb_spec *spec, const char *id, int pid, const char *bundle, kb_err *err)
{
    return run_kind(spec, KB_HOOK_POSTSTART, id, "running", pid, bundle, err);
}

void rt_hooks_poststop(const struct rt_globals *g, const char *verb, const struct kb_spec *spec, const char *id,
                       const char *bundle)
{
    kb_err err;

    if (run_kind(spec, KB_HOOK_POSTSTOP, id, "stopped", 0, bundle, &err) < 0) {
        kb_error_wrap(&err, "warning");
        rt_fail(g, verb, &err);
    }
}
