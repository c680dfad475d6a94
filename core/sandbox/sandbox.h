/* A sandbox: one VM with our kernel and agent, serving one bundle's
 * container, and its state directory under the runtime root. The struct
 * owns QEMU, the agent connection and the state dir; kb_sandbox_destroy
 * releases all three on every path. */
#ifndef KB_SANDBOX_H
#define KB_SANDBOX_H

#include <limits.h>

#include "../agent/client.h"
#include "../err.h"
#include "../hypervisor/qemu.h"
#include "../hypervisor/qmp.h"
#include "../hypervisor/vm.h"
#include "../oci/spec.h"
#include "../transport/transport.h"

#define KB_DEFAULT_ROOT "/run/katabox"
/* where the guest mounts a container's rootfs share: this, then its id */
#define KB_GUEST_CONTAINERS "/run/katabox/containers"
#define KB_ROOTFS_TAG "kbrootfs"

struct kb_sandbox_opts {
    const char *root;           /* state root (--root) */
    const char *id;             /* container id */
    const char *bundle;         /* bundle directory */
    const struct kb_spec *spec; /* the bundle's config.json, parsed */
    const char *kernel, *initrd; /* NULL: the ones beside the binary */
    const char *transport;      /* NULL: $KATABOX_TRANSPORT, else chosen by what the host has */
    unsigned boot_timeout_ms;
    const char *version;        /* ours (kb_version()): the agent must be the same */
    int abort_fd;               /* a signalfd whose SIGINT/TERM/HUP/QUIT aborts the boot; -1: none */
    int pod;                    /* boot with the pod share: more containers may join (pod.h) */
    const char *dir_name;       /* the state dir's name under root; NULL: the id */
};

struct kb_sandbox {
    char dir[PATH_MAX];         /* state dir; "" until created */
    char rootfs[PATH_MAX];      /* the bundle's rootfs on the host */
    char bundle[PATH_MAX];      /* the bundle directory, absolute */
    char kernel[PATH_MAX], initrd[PATH_MAX];
    char qmp_path[PATH_MAX], console_log[PATH_MAX], binds[PATH_MAX];
    unsigned n_binds;           /* bind mounts whose sources are shared from binds/ */
    char pod[PATH_MAX];         /* the pod share's directory; "": none */
    struct kb_vm_config cfg;
    struct kb_channel chan;     /* the agent's transport and what it holds */
    char transport_note[160];   /* why that transport, for the log */
    struct kb_vm vm;
    int vm_started;
    struct kb_agent agent;
    int agent_open;
    int keep_dir;               /* destroy leaves the state dir (for `state` and `delete`) */
    char accel_note[256];       /* why TCG was chosen, for the log */
    struct {                    /* kb_now_ns() at each phase, for --debug and benchmarks */
        uint64_t start, ready, created, started, exited, stopped;
    } t;
};

/* Reject ids runc would reject (and any that could escape the root). */
int kb_container_id_check(const char *id, kb_err *err);
/* Create the state dir, boot the VM and greet its agent. */
int kb_sandbox_start(struct kb_sandbox *sb, const struct kb_sandbox_opts *o, kb_err *err);
/* Ask the agent to power off and wait for QEMU to exit. */
int kb_sandbox_shutdown(struct kb_sandbox *sb, unsigned timeout_ms, kb_err *err);
/* Remove a state dir and what katabox puts in it. */
void kb_sandbox_remove_state(const char *dir);
/* Stop QEMU if it still runs (QMP quit, then SIGKILL), release the transport,
 * close everything, remove the state dir. */
void kb_sandbox_destroy(struct kb_sandbox *sb);

#endif
