#include <errno.h>
#include <string.h>

#include "../../core/hypervisor/qemu.h"
#include "tap.h"

static int has_pair(const struct kb_argv *a, const char *flag, const char *value)
{
    for (unsigned i = 0; i + 1 < a->n; i++)
        if (strcmp(a->v[i], flag) == 0 && strcmp(a->v[i + 1], value) == 0)
            return 1;
    return 0;
}

static const char *value_of(const struct kb_argv *a, const char *flag)
{
    for (unsigned i = 0; i + 1 < a->n; i++)
        if (strcmp(a->v[i], flag) == 0)
            return a->v[i + 1];
    return "";
}

static int has_prefix(const struct kb_argv *a, const char *prefix)
{
    for (unsigned i = 0; i < a->n; i++)
        if (strncmp(a->v[i], prefix, strlen(prefix)) == 0)
            return 1;
    return 0;
}

static int has(const struct kb_argv *a, const char *arg)
{
    for (unsigned i = 0; i < a->n; i++)
        if (strcmp(a->v[i], arg) == 0)
            return 1;
    return 0;
}

int main(void)
{
    struct kb_vm_config cfg;
    struct kb_argv a;
    enum kb_machine m;
    kb_err err;

    kb_vm_config_defaults(&cfg);
    cfg.kernel = "/k/bzImage";
    cfg.initrd = "/k/initramfs.cpio.gz";
    cfg.tsc_khz = 2200000;
    ok(kb_qemu_argv(&cfg, &a, &err) == 0, "default microvm command line builds");
    ok(strcmp(a.v[0], "qemu-system-x86_64") == 0 && a.v[a.n] == NULL, "binary first, NULL-terminated");
    ok(has_pair(&a, "-M", "microvm,acpi=off,x-option-roms=off"), "microvm without ACPI");
    ok(has_pair(&a, "-accel", "tcg,tb-size=16"), "TCG with a 16 MiB translation cache");
    ok(has_pair(&a, "-cpu", "max"), "TCG emulates the max CPU model");
    ok(strstr(value_of(&a, "-append"), " nolapic_timer") != NULL, "TCG guests skip LAPIC timer calibration");
    ok(has_pair(&a, "-m", "128M") && has_pair(&a, "-smp", "1"), "128 MiB, 1 vCPU by default");
    ok(has(&a, "-no-reboot") && has(&a, "-nodefaults"), "-no-reboot so a reset ends QEMU; -nodefaults");
    ok(has_pair(&a, "-kernel", "/k/bzImage") && has_pair(&a, "-initrd", "/k/initramfs.cpio.gz"),
       "kernel and initrd");
    ok(strstr(value_of(&a, "-append"), "panic=-1") && strstr(value_of(&a, "-append"), "console=ttyS0"),
       "panic=-1 so a panic resets (and ends) the VM");
    ok(strstr(value_of(&a, "-append"), "tsc_early_khz=2200000") != NULL, "host TSC rate passed");
    kb_argv_free(&a);

    cfg.machine = KB_MACHINE_Q35;
    cfg.accel = KB_ACCEL_KVM;
    cfg.vcpus = 4;
    cfg.mem_mib = 2048;
    cfg.append = "foo=bar";
    cfg.qemu = "/opt/qemu";
    ok(kb_qemu_argv(&cfg, &a, &err) == 0, "q35/kvm command line builds");
    ok(strcmp(a.v[0], "/opt/qemu") == 0, "explicit QEMU binary");
    ok(has_pair(&a, "-M", "q35") && has_pair(&a, "-accel", "kvm") && has_pair(&a, "-cpu", "host"),
       "q35 with KVM and the host CPU");
    ok(has_pair(&a, "-smp", "4") && has_pair(&a, "-m", "2048M"), "size from config");
    ok(strstr(value_of(&a, "-append"), " foo=bar") != NULL, "extra kernel arguments appended");
    ok(!strstr(value_of(&a, "-append"), "nolapic_timer"), "KVM guests keep the LAPIC timer");
    kb_argv_free(&a);
    ok(a.v == NULL && a.n == 0, "kb_argv_free resets");

    cfg.agent_socket = "/run/kb,x/agent.sock";
    ok(kb_qemu_argv(&cfg, &a, &err) == 0, "with an agent socket");
    ok(has_pair(&a, "-device", "virtio-serial-pci") && has_pair(&a, "-device", "virtserialport,chardev=agent,name=katabox.agent"),
       "q35: a virtio-serial-pci bus and the agent's named port");
    ok(has_pair(&a, "-chardev", "socket,id=agent,path=/run/kb,,x/agent.sock,server=on,wait=off"),
       "the socket path's comma is doubled for QEMU");
    ok(strstr(value_of(&a, "-append"), " katabox.agent_port=1") != NULL, "the guest is told a port is expected");
    kb_argv_free(&a);
    cfg.machine = KB_MACHINE_MICROVM;
    ok(kb_qemu_argv(&cfg, &a, &err) == 0 && has_pair(&a, "-device", "virtio-serial-device"),
       "microvm: the virtio-serial bus is on virtio-mmio");
    kb_argv_free(&a);
    cfg.agent_socket = NULL;
    ok(kb_qemu_argv(&cfg, &a, &err) == 0 && !has(&a, "virtio-serial-device") &&
           !strstr(value_of(&a, "-append"), "katabox.agent_port"), "no agent socket, no port");
    kb_argv_free(&a);

    /* hybrid vsock: shared memfd memory and the vhost-user device */
    cfg.vsock_user_socket = "/run/kb,y/vhost.sock";
    ok(kb_qemu_argv(&cfg, &a, &err) == 0, "with a vhost-user-vsock back-end");
    ok(has_pair(&a, "-M", "microvm,acpi=off,x-option-roms=off,memory-backend=mem") &&
           has_pair(&a, "-object", "memory-backend-memfd,id=mem,size=2048M,share=on"),
       "guest memory is a shared memfd the back-end can map (%s)", value_of(&a, "-object"));
    ok(has_pair(&a, "-global", "virtio-mmio.force-legacy=false"), "microvm: modern virtio-mmio");
    ok(has_pair(&a, "-chardev", "socket,id=vsock,path=/run/kb,,y/vhost.sock") &&
           has_pair(&a, "-device", "vhost-user-vsock-device,chardev=vsock"),
       "microvm: vhost-user-vsock-device on the back-end's socket");
    ok(strstr(value_of(&a, "-append"), " katabox.agent_vsock=1024") &&
           !strstr(value_of(&a, "-append"), "agent_port"), "the guest is told to listen on vsock 1024");
    kb_argv_free(&a);
    cfg.machine = KB_MACHINE_Q35;
    ok(kb_qemu_argv(&cfg, &a, &err) == 0 && has_pair(&a, "-device", "vhost-user-vsock-pci,chardev=vsock") &&
           has_pair(&a, "-M", "q35,memory-backend=mem"), "q35: vhost-user-vsock-pci");
    kb_argv_free(&a);
    cfg.agent_socket = "/x/agent.sock";
    ok(kb_qemu_argv(&cfg, &a, &err) < 0 && strstr(err.msg, "more than one agent channel"),
       "two agent channels are refused: %s", err.msg);
    cfg.agent_socket = NULL;
    cfg.vsock_user_socket = NULL;
    /* kernel vhost-vsock: the fd carries the CID */
    cfg.vsock_cid = 1234;
    cfg.vsock_fd = 7;
    ok(kb_qemu_argv(&cfg, &a, &err) == 0 &&
           has_pair(&a, "-device", "vhost-vsock-pci,guest-cid=1234,vhostfd=7") &&
           !has_prefix(&a, "memory-backend") &&
           has_pair(&a, "-object", "rng-random,id=rng0,filename=/dev/urandom") &&
           has_pair(&a, "-device", "virtio-rng-pci,rng=rng0"),
       "q35: vhost-vsock-pci with the CID and the inherited fd, private memory; an entropy source");
    kb_argv_free(&a);
    cfg.vsock_cid = 2;
    ok(kb_qemu_argv(&cfg, &a, &err) < 0 && strstr(err.msg, "CID above 2"), "CID 2 (the host) refused");
    cfg.vsock_cid = 0;
    cfg.machine = KB_MACHINE_MICROVM;

    /* virtio-9p share */
    cfg.shares[0].path = "/run/kb/a,b/rootfs";
    cfg.shares[0].tag = "kbrootfs";
    ok(kb_qemu_argv(&cfg, &a, &err) == 0, "with a 9p share");
    ok(has_pair(&a, "-fsdev", "local,id=share0,path=/run/kb/a,,b/rootfs,security_model=none"),
       "the share's fsdev, its path's comma doubled (%s)", value_of(&a, "-fsdev"));
    ok(has_pair(&a, "-device", "virtio-9p-device,fsdev=share0,mount_tag=kbrootfs"),
       "microvm: virtio-9p on virtio-mmio, with its mount tag");
    kb_argv_free(&a);
    cfg.machine = KB_MACHINE_Q35;
    cfg.shares[0].readonly = 1;
    ok(kb_qemu_argv(&cfg, &a, &err) == 0 &&
           has_pair(&a, "-device", "virtio-9p-pci,fsdev=share0,mount_tag=kbrootfs"),
       "q35: virtio-9p-pci");
    ok(has_pair(&a, "-fsdev", "local,id=share0,path=/run/kb/a,,b/rootfs,security_model=none,readonly=on"),
       "a read-only share says readonly=on");
    kb_argv_free(&a);
    cfg.machine = KB_MACHINE_MICROVM;
    cfg.shares[0].readonly = 0;
    cfg.shares[0].tag = "abcdefghijklmnopqrstuvwxyz_-.AB";
    ok(kb_qemu_argv(&cfg, &a, &err) == 0, "a 31-byte tag of every allowed kind of character");
    kb_argv_free(&a);
    {
        static const char *const bad_tags[] = { "", "abcdefghijklmnopqrstuvwxyz_-.ABC", "a,b",
                                                "a b", "a=b", "tag/x", "t\xc3\xa9" };
        for (unsigned i = 0; i < sizeof bad_tags / sizeof bad_tags[0]; i++) {
            cfg.shares[0].tag = bad_tags[i];
            a.v = NULL;
            ok(kb_qemu_argv(&cfg, &a, &err) < 0 && err.errnum == EINVAL && strstr(err.msg, "share_tag") &&
                   a.v == NULL, "bad tag '%s' refused (%s)", bad_tags[i], err.msg);
        }
    }
    cfg.shares[0].tag = NULL;
    ok(kb_qemu_argv(&cfg, &a, &err) < 0 && strstr(err.msg, "share_tag is missing"),
       "a share without a tag is refused (%s)", err.msg);
    ok(strncmp(err.msg, "qemu command line: ", 19) == 0, "with the command line as context");
    cfg.shares[0].tag = "kbrootfs";
    cfg.shares[0].path = "rootfs";
    ok(kb_qemu_argv(&cfg, &a, &err) < 0 && strstr(err.msg, "share_path") && strstr(err.msg, "absolute"),
       "a relative share path is refused (%s)", err.msg);
    cfg.shares[0].path = "";
    ok(kb_qemu_argv(&cfg, &a, &err) < 0 && strstr(err.msg, "share_path"), "an empty share path is refused");
    cfg.shares[0].path = NULL;
    ok(kb_share_tag_check("kbrootfs", &err) == 0 && kb_share_tag_check(NULL, &err) < 0,
       "kb_share_tag_check on its own");
    ok(kb_qemu_argv(&cfg, &a, &err) == 0 && !has(&a, "-fsdev") &&
           !has(&a, "virtio-9p-device,fsdev=share0,mount_tag=kbrootfs"),
       "no share path, no 9p device (the tag alone does nothing)");
    kb_argv_free(&a);

    /* QMP socket */
    cfg.qmp_socket = "/run/kb,1/qmp.sock";
    ok(kb_qemu_argv(&cfg, &a, &err) == 0, "with a QMP socket");
    ok(has_pair(&a, "-chardev", "socket,id=qmp,path=/run/kb,,1/qmp.sock,server=on,wait=off"),
       "QMP chardev: a listening socket QEMU does not wait on, comma doubled");
    ok(has_pair(&a, "-mon", "chardev=qmp,mode=control"), "a control-mode monitor on it");
    kb_argv_free(&a);
    {
        char longpath[120];
        memset(longpath, 'q', sizeof longpath - 1);
        longpath[0] = '/';
        longpath[sizeof longpath - 1] = '\0';
        cfg.qmp_socket = longpath;
        ok(kb_qemu_argv(&cfg, &a, &err) < 0 && err.errnum == ENAMETOOLONG && strstr(err.msg, "qmp_socket"),
           "a QMP socket path too long for sun_path is refused");
    }
    cfg.qmp_socket = "";
    ok(kb_qemu_argv(&cfg, &a, &err) < 0 && strstr(err.msg, "qmp_socket"), "an empty QMP socket path is refused");
    cfg.qmp_socket = NULL;
    ok(kb_qemu_argv(&cfg, &a, &err) == 0 && !has(&a, "-mon"), "no QMP socket, no monitor");
    kb_argv_free(&a);

    cfg.kernel = NULL;
    ok(kb_qemu_argv(&cfg, &a, &err) < 0 && err.errnum == EINVAL, "no kernel: EINVAL");
    cfg.kernel = "/k";
    cfg.vcpus = 0;
    ok(kb_qemu_argv(&cfg, &a, &err) < 0 && strstr(err.msg, "vCPUs"), "0 vCPUs refused");
    cfg.vcpus = 1;
    cfg.mem_mib = 16;
    ok(kb_qemu_argv(&cfg, &a, &err) < 0 && strstr(err.msg, "MiB"), "16 MiB refused");

    ok(kb_machine_parse("q35", &m) == 0 && m == KB_MACHINE_Q35, "parse q35");
    ok(kb_machine_parse("microvm", &m) == 0 && m == KB_MACHINE_MICROVM, "parse microvm");
    ok(kb_machine_parse("pc", &m) < 0, "unknown machine refused");
    return tap_done();
}
