#include "qemu.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "../util.h"

/* The TCG translation cache defaults to 1 GiB of host memory; 16 MiB gave
 * the fastest boot and ~13 MiB less PSS per guest here, and below 8 MiB
 * work after boot slows sharply. */
#define DEFAULT_TB_SIZE_MIB 16

void kb_vm_config_defaults(struct kb_vm_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->machine = KB_MACHINE_MICROVM;
    cfg->accel = KB_ACCEL_TCG;
    cfg->vcpus = 1;
    cfg->mem_mib = 128;
    cfg->tb_size_mib = DEFAULT_TB_SIZE_MIB;
}

int kb_vm_config_has_agent_channel(const struct kb_vm_config *cfg)
{
    return cfg->agent_socket || cfg->vsock_user_socket || cfg->vsock_cid;
}

int kb_machine_parse(const char *s, enum kb_machine *m)
{
    if (strcmp(s, "microvm") == 0)
        *m = KB_MACHINE_MICROVM;
    else if (strcmp(s, "q35") == 0)
        *m = KB_MACHINE_Q35;
    else
        return -1;
    return 0;
}

const char *kb_machine_name(enum kb_machine m)
{
    return m == KB_MACHINE_Q35 ? "q35" : "microvm";
}

void kb_argv_free(struct kb_argv *a)
{
    for (unsigned i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

static int vadd(struct kb_argv *a, const char *fmt, va_list ap)
{
    char *s;
    int r;

    if (a->n + 2 > a->cap) {
        unsigned cap = a->cap ? a->cap * 2 : 32;
        char **v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return -1;
        a->v = v;
        a->cap = cap;
    }
    r = vasprintf(&s, fmt, ap);
    if (r < 0)
        return -1;
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
    return 0;
}

/* One argument. Each call is its own statement (or joined with ||): the
 * order of `|`'s operands is unspecified, and argv order matters. */
static int add(struct kb_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int add(struct kb_argv *a, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vadd(a, fmt, ap);
    va_end(ap);
    return r;
}

/* An option and its value, in that order. */
static int opt(struct kb_argv *a, const char *flag, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int opt(struct kb_argv *a, const char *flag, const char *fmt, ...)
{
    va_list ap;
    int r;

    if (add(a, "%s", flag) < 0)
        return -1;
    va_start(ap, fmt);
    r = vadd(a, fmt, ap);
    va_end(ap);
    return r;
}

static char *double_commas(const char *s)
{
    size_t n = strlen(s), commas = 0;
    char *out, *o;

    for (const char *p = s; *p; p++)
        commas += *p == ',';
    out = malloc(n + commas + 1);
    if (!out)
        return NULL;
    for (o = out; *s; s++) {
        *o++ = *s;
        if (*s == ',')
            *o++ = ',';
    }
    *o = '\0';
    return out;
}

int kb_share_tag_check(const char *tag, kb_err *err)
{
    size_t n;

    if (!tag)
        return kb_error(err, EINVAL, "share_tag is missing");
    n = strlen(tag);
    if (n == 0)
        return kb_error(err, EINVAL, "share_tag is empty");
    if (n > KB_SHARE_TAG_MAX)
        return kb_error(err, EINVAL, "share_tag '%s' is %zu bytes, longer than QEMU's %d", tag, n,
                        KB_SHARE_TAG_MAX);
    /* the tag goes unescaped into QEMU's option list (no commas) and is the
     * mount source in the guest (no blanks): keep to a plain name */
    for (const char *c = tag; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-' || *c == '.'))
            return kb_error(err, EINVAL, "share_tag '%s': only letters, digits and _-. are allowed",
                            tag);
    return 0;
}

/* What QEMU could only refuse after it started, refused here with the
 * field's name. */
static int check_extras(const struct kb_vm_config *cfg, kb_err *err)
{
    for (unsigned i = 0; i < KB_VM_MAX_SHARES; i++) {
        const struct kb_vm_share *sh = &cfg->shares[i];
        if (!sh->path)
            continue;
        if (sh->path[0] != '/')
            return kb_error(err, EINVAL, "share_path '%s' is not an absolute path", sh->path);
        if (kb_share_tag_check(sh->tag, err) < 0)
            return -1;
        for (unsigned j = 0; j < i; j++)
            if (cfg->shares[j].path && strcmp(cfg->shares[j].tag, sh->tag) == 0)
                return kb_error(err, EINVAL, "share_tag '%s' is used twice", sh->tag);
    }
    if ((cfg->agent_socket != NULL) + (cfg->vsock_user_socket != NULL) + (cfg->vsock_cid != 0) > 1)
        return kb_error(err, EINVAL, "more than one agent channel configured");
    if (cfg->vsock_cid && (cfg->vsock_cid < 3 || cfg->vsock_fd < 0))
        return kb_error(err, EINVAL, "vhost-vsock needs a guest CID above 2 and its vhost fd");
    if (cfg->vsock_user_socket &&
        strlen(cfg->vsock_user_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return kb_error(err, ENAMETOOLONG, "vsock_user_socket %s is too long for a unix socket",
                        cfg->vsock_user_socket);
    if (cfg->qmp_socket) {
        if (!*cfg->qmp_socket)
            return kb_error(err, EINVAL, "qmp_socket is empty");
        if (strlen(cfg->qmp_socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
            return kb_error(err, ENAMETOOLONG, "qmp_socket %s is too long for a unix socket",
                            cfg->qmp_socket);
    }
    return 0;
}

int kb_qemu_argv(const struct kb_vm_config *cfg, struct kb_argv *out, kb_err *err)
{
    struct kb_argv a = { 0 };
    char extra[64] = "";
    int r = 0;

    if (!cfg->kernel || !cfg->initrd)
        return kb_error(err, EINVAL, "qemu command line: kernel and initrd are required");
    if (cfg->vcpus < 1 || cfg->vcpus > 255)
        return kb_error(err, EINVAL, "qemu command line: %u vCPUs is out of range 1-255", cfg->vcpus);
    if (cfg->mem_mib < 32)
        return kb_error(err, EINVAL, "qemu command line: %u MiB of memory is below 32 MiB",
                        cfg->mem_mib);
    if (check_extras(cfg, err) < 0)
        return kb_error_wrap(err, "qemu command line");
    if (cfg->tsc_khz)
        snprintf(extra, sizeof extra, " tsc_early_khz=%u", cfg->tsc_khz);
    /* TCG has no TSC-deadline timer, so the guest would calibrate its local
     * APIC timer against the PIT: 0.25 s of emulated boot. The PIT serves as
     * the clock event device instead. */
    if (cfg->accel == KB_ACCEL_TCG)
        strncat(extra, " nolapic_timer", sizeof extra - strlen(extra) - 1);
    /* the agent must then fail loudly without its port, not fall back to
     * the console where the host is not listening */
    if (cfg->agent_socket)
        strncat(extra, " " KB_AGENT_PORT_PARAM, sizeof extra - strlen(extra) - 1);
    else if (cfg->vsock_user_socket || cfg->vsock_cid)
        strncat(extra, " " KB_AGENT_VSOCK_PARAM, sizeof extra - strlen(extra) - 1);

    r |= add(&a, "%s", cfg->qemu ? cfg->qemu : "qemu-system-x86_64");
    /* a vhost-user back-end reads and writes guest memory itself: the
     * memory must be a file QEMU can hand over (memfd, shared) */
    const char *membackend = cfg->vsock_user_socket ? ",memory-backend=mem" : "";
    if (cfg->machine == KB_MACHINE_MICROVM) {
        /* acpi=off: the guest kernel has no ACPI (size, boot time); QEMU
         * then lists the virtio-mmio devices on the kernel command line */
        r |= opt(&a, "-M", "microvm,acpi=off,x-option-roms=off%s", membackend);
        /* microvm's virtio-mmio is legacy (version 1) by default, and
         * vhost-user devices require VIRTIO_F_VERSION_1 */
        r |= opt(&a, "-global", "virtio-mmio.force-legacy=false");
    } else {
        r |= opt(&a, "-M", "q35%s", membackend);
    }
    if (cfg->vsock_user_socket)
        r |= opt(&a, "-object", "memory-backend-memfd,id=mem,size=%uM,share=on", cfg->mem_mib);
    if (cfg->accel == KB_ACCEL_KVM) {
        r |= opt(&a, "-accel", "kvm");
        r |= opt(&a, "-cpu", "host");
    } else {
        if (cfg->tb_size_mib)
            r |= opt(&a, "-accel", "tcg,tb-size=%u", cfg->tb_size_mib);
        else
            r |= opt(&a, "-accel", "tcg");
        /* "max": every feature TCG emulates, and no CPU bugs for the guest
         * kernel to work around (measured: 0.15 s less boot than qemu64) */
        r |= opt(&a, "-cpu", "max");
    }
    r |= opt(&a, "-smp", "%u", cfg->vcpus);
    r |= opt(&a, "-m", "%uM", cfg->mem_mib);
    r |= add(&a, "-nodefaults");
    r |= add(&a, "-no-user-config");
    r |= opt(&a, "-display", "none");
    /* a guest reset (our agent's power-off, or a panic with panic=-1) ends
     * QEMU instead of rebooting the guest */
    r |= add(&a, "-no-reboot");
    r |= opt(&a, "-chardev", "stdio,id=console,signal=off");
    r |= opt(&a, "-serial", "chardev:console");
    if (cfg->agent_socket) {
        /* a comma would end QEMU's path option: it must be doubled */
        _cleanup_free_ char *path = double_commas(cfg->agent_socket);
        r |= !path;
        r |= opt(&a, "-device", "%s",
                 cfg->machine == KB_MACHINE_Q35 ? "virtio-serial-pci" : "virtio-serial-device");
        r |= opt(&a, "-chardev", "socket,id=agent,path=%s,server=on,wait=off", path ? path : "");
        r |= opt(&a, "-device", "virtserialport,chardev=agent,name=" KB_AGENT_PORT_NAME);
    }
    if (cfg->vsock_user_socket) {
        _cleanup_free_ char *path = double_commas(cfg->vsock_user_socket);
        r |= !path;
        r |= opt(&a, "-chardev", "socket,id=vsock,path=%s", path ? path : "");
        r |= opt(&a, "-device", "%s,chardev=vsock",
                                      cfg->machine == KB_MACHINE_Q35 ? "vhost-user-vsock-pci"
                                                                     : "vhost-user-vsock-device");
    }
    if (cfg->vsock_cid)
        /* the fd already carries the CID (chosen without collisions by
         * whoever opened it); QEMU sets the same one again */
        r |= opt(&a, "-device", "%s,guest-cid=%u,vhostfd=%d",
                                      cfg->machine == KB_MACHINE_Q35 ? "vhost-vsock-pci"
                                                                     : "vhost-vsock-device",
                                      cfg->vsock_cid, cfg->vsock_fd);
    /* Without a source of entropy the guest's CRNG is not ready when the
     * container starts: getrandom() blocks, or fails with GRND_NONBLOCK,
     * where it would not under runc. The host's urandom feeds virtio-rng. */
    r |= opt(&a, "-object", "rng-random,id=rng0,filename=/dev/urandom");
    r |= opt(&a, "-device", "%s,rng=rng0", cfg->machine == KB_MACHINE_Q35 ? "virtio-rng-pci" : "virtio-rng-device");
    for (unsigned i = 0; i < KB_VM_MAX_SHARES; i++) {
        const struct kb_vm_share *sh = &cfg->shares[i];
        _cleanup_free_ char *path = sh->path ? double_commas(sh->path) : NULL;
        if (!sh->path)
            continue;
        r |= !path;
        /* security_model=none: the guest's owners and modes go straight
         * onto the host's files (as passthrough) where QEMU may set them, and
         * a failure to is not reported: a rootfs needs its real uids, and an
         * unprivileged QEMU still serves it. A comma would end the path. */
        r |= opt(&a, "-fsdev", "local,id=share%u,path=%s,security_model=none%s%s", i,
                                     path ? path : "", sh->readonly ? ",readonly=on" : "",
                                     sh->mounts_below ? ",multidevs=remap" : "");
        r |= opt(&a, "-device", "%s,fsdev=share%u,mount_tag=%s",
                                      cfg->machine == KB_MACHINE_Q35 ? "virtio-9p-pci" : "virtio-9p-device",
                                      i, sh->tag);
    }
    if (cfg->qmp_socket) {
        _cleanup_free_ char *path = double_commas(cfg->qmp_socket);
        r |= !path;
        /* wait=off: QEMU starts without a client; we connect when we need it */
        r |= opt(&a, "-chardev", "socket,id=qmp,path=%s,server=on,wait=off", path ? path : "");
        r |= opt(&a, "-mon", "chardev=qmp,mode=control");
    }
    r |= opt(&a, "-kernel", "%s", cfg->kernel);
    r |= opt(&a, "-initrd", "%s", cfg->initrd);
    r |= opt(&a, "-append", "console=ttyS0 panic=-1 reboot=t quiet%s%s%s", extra,
              cfg->append && *cfg->append ? " " : "", cfg->append ? cfg->append : "");
    if (r) {
        kb_argv_free(&a);
        return kb_error(err, ENOMEM, "qemu command line");
    }
    *out = a;
    return 0;
}
