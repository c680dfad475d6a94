/* The QEMU driver: the one place that knows QEMU's command line. */
#ifndef KB_QEMU_H
#define KB_QEMU_H

#include <stdint.h>

#include "../err.h"
#include "accel.h"

enum kb_machine { KB_MACHINE_MICROVM, KB_MACHINE_Q35 };

/* the bundle's rootfs, the sources of the container's bind mounts, a pod's share */
#define KB_VM_MAX_SHARES 3

struct kb_vm_config {
    const char *qemu;        /* binary; NULL: qemu-system-x86_64 from PATH */
    const char *kernel;      /* bzImage */
    const char *initrd;      /* initramfs.cpio.gz */
    enum kb_machine machine;
    enum kb_accel accel;
    unsigned vcpus;
    unsigned mem_mib;
    unsigned tb_size_mib;    /* TCG translation cache; 0: QEMU's default */
    uint32_t tsc_khz;        /* host TSC rate for the guest; 0: not passed */
    const char *append;      /* extra kernel command line, may be NULL */
    const char *agent_socket; /* unix socket QEMU serves the agent's port on; NULL: none */
    const char *vsock_user_socket; /* a vhost-user-vsock back-end's socket (hybrid vsock); NULL: none */
    uint32_t vsock_cid;      /* vhost-vsock: the guest's CID; 0: no vhost-vsock device */
    int vsock_fd;            /* vhost-vsock: /dev/vhost-vsock with that CID set, kept open for QEMU */
    struct kb_vm_share {     /* host directories shared over virtio-9p */
        const char *path;    /* NULL: this slot unused */
        const char *tag;     /* its 9p mount tag, what the guest mounts it by */
        int readonly;        /* the guest may not write to the share */
        int mounts_below;    /* filesystems will be mounted in it: QEMU keeps their inodes apart */
    } shares[KB_VM_MAX_SHARES];
    const char *qmp_socket;  /* unix socket QEMU serves QMP on; NULL: none */
};

/* The virtio-serial port the agent talks on; the guest finds it by this name. */
#define KB_AGENT_PORT_NAME "katabox.agent"
/* On the kernel command line when the host listens on that port. */
#define KB_AGENT_PORT_PARAM "katabox.agent_port=1"
/* The agent's vsock port (Kata's), and the kernel parameter that tells the
 * agent to listen there instead of looking for its virtio-serial port. */
#define KB_AGENT_VSOCK_PORT 1024
#define KB_AGENT_VSOCK_PARAM "katabox.agent_vsock=1024"
/* QEMU (7.2, checked) refuses a longer 9p mount tag at start-up: "mount tag
 * '...' (32 bytes) is longer than maximum (31 bytes)". */
#define KB_SHARE_TAG_MAX 31

/* Defaults sized for one small container guest under TCG. */
void kb_vm_config_defaults(struct kb_vm_config *cfg);

struct kb_argv {
    char **v;
    unsigned n, cap;
};

/* Does cfg give the agent a channel of its own (not the serial console)? */
int kb_vm_config_has_agent_channel(const struct kb_vm_config *cfg);
/* Build QEMU's argv for cfg, serial console on QEMU's stdin/stdout. */
int kb_qemu_argv(const struct kb_vm_config *cfg, struct kb_argv *out, kb_err *err);
/* Check a 9p mount tag: 1..KB_SHARE_TAG_MAX bytes of [A-Za-z0-9_.-]. */
int kb_share_tag_check(const char *tag, kb_err *err);
/* Free the strings and the vector; leaves *a empty. */
void kb_argv_free(struct kb_argv *a);
/* "microvm" or "q35" to the enum; <0 for any other name. */
int kb_machine_parse(const char *s, enum kb_machine *m);
/* The enum's name as kb_machine_parse takes it. */
const char *kb_machine_name(enum kb_machine m);

#endif
