#include "sandbox.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "../assets.h"
#include "../hypervisor/accel.h"
#include "../hypervisor/sizing.h"
#include "../hypervisor/tsc.h"
#include "../util.h"
#include "binds.h"
#include "pod.h"

int kb_container_id_check(const char *id, kb_err *err)
{
    size_t n = strlen(id);

    /* runc's rule: letters, digits, '_', '+', '-', '.'; and never . or .. */
    if (n == 0)
        return kb_error(err, EINVAL, "container id is empty");
    if (n > 1024)
        return kb_error(err, EINVAL, "container id is longer than 1024 bytes");
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return kb_error(err, EINVAL, "invalid container id '%s'", id);
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              strchr("_+-.", *c)))
            return kb_error(err, EINVAL, "invalid container id '%s': only letters, digits and _+-. "
                                         "are allowed", id);
    return 0;
}

static int make_state_dir(struct kb_sandbox *sb, const char *root, const char *id, kb_err *err)
{
    char path[PATH_MAX];

    if (root[0] != '/')
        return kb_error(err, EINVAL, "--root %s: not an absolute path", root);
    /* the root may be new (e.g. /run/katabox after a reboot); private to root */
    if (kb_mkdir_p(root, 0711, err) < 0)
        return kb_error_wrap(err, "create the state root");
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, id) >= sizeof path)
        return kb_error(err, ENAMETOOLONG, "state dir %s/%s", root, id);
    if (mkdir(path, 0700) < 0) {
        if (errno == EEXIST)
            return kb_error(err, EEXIST, "container with id %s already exists", id);
        return kb_error_errno(err, "create the state dir %s", path);
    }
    memcpy(sb->dir, path, sizeof path);
    return 0;
}

static int host_resources(unsigned *cpus, uint64_t *mem_mib)
{
    struct sysinfo si;
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    *cpus = n > 0 ? (unsigned)n : 1;
    if (sysinfo(&si) < 0)
        return -1;
    *mem_mib = (uint64_t)si.totalram * si.mem_unit >> 20;
    return 0;
}

static int configure_vm(struct kb_sandbox *sb, const struct kb_sandbox_opts *o, kb_err *err)
{
    struct kb_vm_config *cfg = &sb->cfg;
    unsigned cpus;
    uint64_t mem;

    kb_vm_config_defaults(cfg);
    if (!o->kernel && kb_asset_path(KB_KERNEL_NAME, sb->kernel, sizeof sb->kernel, err) < 0)
        return -1;
    if (!o->initrd && kb_asset_path(KB_INITRD_NAME, sb->initrd, sizeof sb->initrd, err) < 0)
        return -1;
    cfg->kernel = o->kernel ? o->kernel : sb->kernel;
    cfg->initrd = o->initrd ? o->initrd : sb->initrd;
    cfg->accel = kb_accel_pick(sb->accel_note, sizeof sb->accel_note);
    if (kb_host_tsc_khz(&cfg->tsc_khz, err) < 0)
        return -1;
    if (host_resources(&cpus, &mem) < 0)
        return kb_error_errno(err, "sysinfo");
    if (kb_vm_size(&o->spec->resources, cpus, mem, cfg, err) < 0)
        return -1;
    cfg->shares[0].path = sb->rootfs;
    cfg->shares[0].tag = KB_ROOTFS_TAG;
    /* writable even with root.readonly: like runc, the guest creates missing
     * mount points in the bundle's rootfs before it remounts / read-only */
    cfg->shares[0].readonly = 0;
    if (sb->n_binds) {
        cfg->shares[1].path = sb->binds;
        cfg->shares[1].tag = KB_BINDS_TAG;
    }
    if (sb->pod[0]) {
        cfg->shares[2].path = sb->pod;
        cfg->shares[2].tag = KB_POD_TAG;
        cfg->shares[2].mounts_below = 1;
    }
    snprintf(sb->qmp_path, sizeof sb->qmp_path, "%s/qmp.sock", sb->dir);
    cfg->qmp_socket = sb->qmp_path;
    snprintf(sb->console_log, sizeof sb->console_log, "%s/console.log", sb->dir);
    return sb->chan.t->configure(&sb->chan, cfg, sb->dir, err);
}

static int resolve_rootfs(struct kb_sandbox *sb, const struct kb_sandbox_opts *o, kb_err *err)
{
    char joined[PATH_MAX];
    const char *p = o->spec->root_path;
    struct stat st;

    if (!p || !*p)
        return kb_error(err, EINVAL, "config.json: root.path is missing");
    if (p[0] == '/')
        snprintf(joined, sizeof joined, "%s", p);
    else if ((size_t)snprintf(joined, sizeof joined, "%s/%s", o->bundle, p) >= sizeof joined)
        return kb_error(err, ENAMETOOLONG, "root.path %s", p);
    if (!realpath(o->bundle, sb->bundle))
        return kb_error_errno(err, "bundle %s", o->bundle);
    if (!realpath(joined, sb->rootfs))
        return kb_error_errno(err, "root.path %s", joined);
    if (stat(sb->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
        return kb_error(err, ENOTDIR, "root.path %s is not a directory", joined);
    return 0;
}

int kb_sandbox_start(struct kb_sandbox *sb, const struct kb_sandbox_opts *o, kb_err *err)
{
    const struct kb_transport *t;
    struct kb_connect_opts co = { .timeout_ms = o->boot_timeout_ms, .abort_fd = o->abort_fd };
    int fd, r;

    memset(sb, 0, sizeof *sb);
    sb->t.start = kb_now_ns();
    t = kb_transport_choose(o->transport ? o->transport : getenv(KB_TRANSPORT_ENV),
                            sb->transport_note, sizeof sb->transport_note, err);
    if (!t)
        return kb_error_wrap(err, "%s", KB_TRANSPORT_ENV);
    kb_channel_init(&sb->chan, t);
    if (kb_container_id_check(o->id, err) < 0 || resolve_rootfs(sb, o, err) < 0 ||
        make_state_dir(sb, o->root, o->dir_name ? o->dir_name : o->id, err) < 0)
        return -1;
    /* before configure_vm: the transport may start a thread, and a process
     * with threads cannot have a mount namespace of its own */
    if (kb_binds_prepare(o->spec, o->bundle, sb->dir, sb->binds, sizeof sb->binds, &sb->n_binds,
                         err) < 0)
        return kb_error_wrap(err, "share the bind mounts' sources");
    if (o->pod) {
        /* the containers that join get their rootfs mounted below it by us (pod.c) */
        if (!sb->n_binds && kb_mount_ns_own(err) < 0)
            return -1;
        snprintf(sb->pod, sizeof sb->pod, "%s/" KB_POD_DIR, sb->dir);
        if (mkdir(sb->pod, 0700) < 0)
            return kb_error_errno(err, "mkdir %s", sb->pod);
    }
    if (configure_vm(sb, o, err) < 0)
        return -1;
    if (kb_vm_start(&sb->vm, &sb->cfg, sb->console_log, err) < 0)
        return kb_error_wrap(err, "start the VM");
    sb->vm_started = 1;
    fd = t->connect(&sb->chan, &sb->vm, &co, err);
    if (fd < 0)
        return kb_error_wrap(err, "connect to the agent (%s)", t->name);
    if (kb_agent_open(&sb->agent, fd, &sb->vm, err) < 0)
        return -1;
    sb->agent_open = 1;
    sb->agent.abort_fd = o->abort_fd;
    r = kb_agent_hello(&sb->agent, o->version, o->boot_timeout_ms, err);
    /* once the container exists, signals are the container's (the relay forwards them) */
    sb->agent.abort_fd = -1;
    if (r < 0)
        return kb_error_wrap(err, "boot the VM");
    sb->t.ready = kb_now_ns();
    return 0;
}

int kb_sandbox_shutdown(struct kb_sandbox *sb, unsigned timeout_ms, kb_err *err)
{
    if (kb_agent_shutdown(&sb->agent, timeout_ms, err) < 0)
        return -1;
    sb->t.stopped = kb_now_ns();
    return 0;
}

void kb_sandbox_remove_state(const char *dir)
{
    /* the vsock sockets too: a killed keeper leaves them behind */
    static const char *const files[] = { "agent.sock", "qmp.sock", "vsock.sock", "vhost.sock",
                                         "console.log", "state.json", "state.json.tmp", "ctl.sock",
                                         "config.json", "config.json.tmp", "oom" };
    char path[PATH_MAX];

    for (size_t i = 0; i < KB_ARRAY_SIZE(files); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    kb_binds_remove(dir);
    kb_pod_remove_dir(dir);
    rmdir(dir);
}

void kb_sandbox_destroy(struct kb_sandbox *sb)
{
    if (sb->agent_open)
        kb_agent_close(&sb->agent);
    sb->agent_open = 0;
    if (sb->vm_started) {
        if (kb_vm_running(&sb->vm)) {
            /* ask QEMU to quit before the hard way: it flushes and closes cleanly */
            struct kb_qmp q;
            kb_err ignored;
            if (kb_qmp_connect(&q, sb->qmp_path, 1000, &ignored) == 0) {
                (void)kb_qmp_quit(&q, 1000, &ignored);
                kb_qmp_close(&q);
            }
            kb_vm_settle(&sb->vm, 1000);
        }
        kb_vm_destroy(&sb->vm);
    }
    sb->vm_started = 0;
    /* after QEMU: it may wait on the vsock back-end until it exits */
    kb_channel_release(&sb->chan);
    if (sb->dir[0] && !sb->keep_dir)
        kb_sandbox_remove_state(sb->dir);
    sb->dir[0] = '\0';
}
