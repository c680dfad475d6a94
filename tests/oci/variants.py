"""The config.json variants of the differential test (difftest.py).

Each variant starts from `kata-runtime spec` (runc's defaults) running
/probe, and is:
  name     short, unique
  what     the feature it exercises (the table in the issue note)
  patch    f(cfg, bundle) -> cfg: the change to config.json
  setup    f(bundle): optional, prepares the bundle (host dirs to bind...)
  differ   {key regex: reason}: facts set aside for this variant, by design
  expect   {key: value | "~regex"}: what katabox must show (checked alone,
           e.g. cgroup v2 values the host's cgroup v1 cannot show under runc)
  expect_runc  the same for runc
  fail     the config must be refused by katabox with this text in stderr;
           runc_fail: the text runc's refusal must carry (None: runc may
           run it: a documented difference)
  kata_stderr  text katabox must print on stderr (warnings)

GLOBAL_IGNORE lists the facts that differ for every config, with the
reason in EXPECTED.md.
"""
import os
import shutil

GLOBAL_IGNORE = [
    r"^cgroup\.",                 # host: cgroup v1 (runc); guest: cgroup v2 only
    r"^mount\./sys/fs/cgroup",    # the same: v1 hierarchies vs one cgroup2 mount
    r"^dev\./dev/core$",          # a link to /proc/kcore, made only when the kernel has it
    r"^sys\.ioperm$",             # x86 port I/O: a property of the machine, not the spec
    r"^path\./sys/fs/cgroup$",    # a v1 tmpfs under runc here, cgroup2 in the guest
    r"^vm\.",                     # the VM's size: checked by expect, host's is the host's
]


def caps(cfg, sets):
    cfg["process"]["capabilities"] = sets
    return cfg


def set_user(cfg, uid, gid, **kw):
    cfg["process"]["user"] = dict(uid=uid, gid=gid, **kw)
    return cfg


def add_mount(cfg, **m):
    cfg["mounts"].append(m)
    return cfg


def drop_ns(cfg, kind):
    cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != kind]
    return cfg


def add_ns(cfg, kind):
    cfg["linux"]["namespaces"].append({"type": kind})
    return cfg


def host_dir(bundle):
    d = os.path.join(bundle, "hostdir")
    os.makedirs(os.path.join(d, "sub"), exist_ok=True)
    with open(os.path.join(d, "file"), "w") as f:
        f.write("a file of the host\n")
    with open(os.path.join(d, "sub", "deep"), "w") as f:
        f.write("deeper\n")


USERNS_DIFFER = {
    r"^dev\./dev/mqueue$": "runc mounts mqueue before it is gid 0 of the user namespace: its root shows "
                          "the overflow gid",
    r"^sysctl\.net\.core\.somaxconn$": "kernel version: 6.1 hides it in a user namespace's network "
                                      "namespace, the host's kernel shows it",
}


def chown_rootfs(uid):
    def setup(bundle):
        for dirpath, dirnames, filenames in os.walk(os.path.join(bundle, "rootfs")):
            os.lchown(dirpath, uid, uid)
            for n in dirnames + filenames:
                os.lchown(os.path.join(dirpath, n), uid, uid)
    return setup


ALL_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
            "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT",
            "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]

# what the probe, busybox and the runtimes' last steps need under a default-deny profile
PROBE_SYSCALLS = [
    "read", "write", "open", "openat", "close", "stat", "fstat", "lstat", "newfstatat", "statx",
    "poll", "lseek", "mmap", "mprotect", "munmap", "brk", "rt_sigaction", "rt_sigprocmask",
    "rt_sigreturn", "ioctl", "pread64", "readv", "writev", "access", "faccessat", "faccessat2",
    "pipe", "pipe2", "dup", "dup2", "dup3", "nanosleep", "clock_nanosleep", "getpid", "getppid",
    "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "uname",
    "fcntl", "getdents64", "getcwd", "readlink", "readlinkat", "umask", "getrlimit", "prlimit64",
    "sysinfo", "statfs", "fstatfs", "arch_prctl", "set_tid_address", "exit", "exit_group",
    "execve", "execveat", "futex", "set_robust_list", "rseq", "capget", "prctl", "sched_getaffinity",
    "getrandom", "clock_gettime", "clock_getres", "gettimeofday", "kill", "tgkill", "wait4",
    "madvise", "fadvise64", "sigaltstack", "personality", "chdir", "fchdir", "mkdir", "mkdirat",
    "chmod", "fchmodat", "socket", "setns", "unshare", "sethostname", "umount2", "acct", "reboot",
    "keyctl", "mknod", "mknodat", "unlink", "unlinkat", "ioperm", "getpgrp", "setpgid", "getsid",
    "setsid", "fork", "vfork", "clone", "clone3", "sched_yield",
]

VARIANTS = [
    dict(name="default", what="runc's default config (`runc spec`)", patch=lambda c, b: c),
    # --- process
    dict(name="user", what="process.user uid/gid 1000", patch=lambda c, b: set_user(c, 1000, 1000)),
    dict(name="additional-gids", what="process.user.additionalGids",
         patch=lambda c, b: set_user(c, 1000, 1000, additionalGids=[2000, 3000, 65534])),
    dict(name="umask", what="process.user.umask 0077",
         patch=lambda c, b: set_user(c, 0, 0, umask=0o077)),
    dict(name="cwd", what="process.cwd missing in the image (created)",
         patch=lambda c, b: c["process"].update(cwd="/data/made/here") or c),
    dict(name="env", what="process.env, PATH and HOME from /etc/passwd",
         patch=lambda c, b: c["process"].update(
             env=["PATH=/bin", "A=1", "WITH_SPACE=a b", "EMPTY="]) or set_user(c, 1000, 1000)),
    dict(name="caps-five-sets", what="capabilities: all five sets, ambient included",
         patch=lambda c, b: caps(c, {k: ["CAP_NET_RAW", "CAP_CHOWN", "CAP_KILL"] for k in
                                     ("bounding", "effective", "inheritable", "permitted", "ambient")})),
    dict(name="caps-many", what="capabilities: a wide bounding set, user 1000 with ambient",
         patch=lambda c, b: set_user(caps(c, {"bounding": ALL_CAPS, "effective": ALL_CAPS[:6],
                                              "permitted": ALL_CAPS[:6], "inheritable": ALL_CAPS[:6],
                                              "ambient": ALL_CAPS[:3]}), 1000, 1000)),
    dict(name="caps-none", what="capabilities: every set empty",
         patch=lambda c, b: caps(c, {k: [] for k in
                                     ("bounding", "effective", "inheritable", "permitted", "ambient")})),
    dict(name="caps-unknown", what="capabilities: an unknown name",
         patch=lambda c, b: caps(c, {"bounding": ["CAP_KILL", "CAP_BOGUS"]}),
         fail="CAP_BOGUS", runc_fail=None),
    dict(name="no-new-privs", what="process.noNewPrivileges",
         patch=lambda c, b: c["process"].update(noNewPrivileges=True) or c),
    dict(name="rlimits", what="process.rlimits",
         patch=lambda c, b: c["process"].update(rlimits=[
             {"type": "RLIMIT_NOFILE", "soft": 256, "hard": 512},
             {"type": "RLIMIT_NPROC", "soft": 100, "hard": 200},
             {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
             {"type": "RLIMIT_MSGQUEUE", "soft": 4096, "hard": 8192},
             {"type": "RLIMIT_STACK", "soft": 1048576, "hard": 8388608}]) or c),
    dict(name="oom-score-adj", what="process.oomScoreAdj",
         patch=lambda c, b: c["process"].update(oomScoreAdj=500) or c),
    dict(name="apparmor", what="process.apparmorProfile (no LSM in the guest)",
         patch=lambda c, b: c["process"].update(apparmorProfile="katabox-test") or c,
         runc_refuses="apparmor", kata_stderr="apparmorProfile 'katabox-test' is not applied"),
    dict(name="selinux", what="process.selinuxLabel (no LSM in the guest)",
         patch=lambda c, b: c["process"].update(selinuxLabel="system_u:system_r:container_t:s0") or c,
         runc_refuses="selinux", kata_stderr="SELinux labels"),
    dict(name="terminal", what="process.terminal with consoleSize", tty=True,
         patch=lambda c, b: c["process"].update(terminal=True, consoleSize={"height": 33, "width": 111}) or c),
    # --- root and paths
    dict(name="readonly-root", what="root.readonly", patch=lambda c, b: c["root"].update(readonly=True) or c),
    dict(name="masked-extra", what="linux.maskedPaths: a file and a directory of the image",
         patch=lambda c, b: c["linux"]["maskedPaths"].extend(["/data/hello", "/etc"]) or
         c["process"].update(env=c["process"]["env"] + ["PROBE_CAT=/data/hello"]) or c),
    dict(name="readonly-extra", what="linux.readonlyPaths: a directory of the image",
         patch=lambda c, b: c["linux"]["readonlyPaths"].append("/data") or c),
    dict(name="no-masking", what="no maskedPaths, no readonlyPaths",
         patch=lambda c, b: c["linux"].update(maskedPaths=[], readonlyPaths=[]) or c,
         differ={r"^path\./sys/firmware$": "the machine's firmware tables: the host's vs none in the VM"}),
    # --- mounts
    dict(name="tmpfs-options", what="mounts: tmpfs with size, mode, nosuid/nodev/noexec",
         patch=lambda c, b: add_mount(c, destination="/scratch", type="tmpfs", source="tmpfs",
                                      options=["nosuid", "nodev", "noexec", "size=1m", "mode=1770"])),
    dict(name="tmpfs-ro-noatime", what="mounts: read-only tmpfs, noatime, uid/gid",
         patch=lambda c, b: add_mount(c, destination="/ro-scratch", type="tmpfs", source="tmpfs",
                                      options=["ro", "noatime", "uid=1000", "gid=1000", "size=2m"])),
    dict(name="bind-ro", what="mounts: a read-only bind of a host directory",
         setup=host_dir,
         patch=lambda c, b: add_mount(c, destination="/mnt/host", type="bind",
                                      source=os.path.join(b, "hostdir"), options=["rbind", "ro"])
         or c["process"].update(env=c["process"]["env"] + ["PROBE_CAT=/mnt/host/file:/mnt/host/sub/deep"]) or c,
         differ={r"^mount\./mnt/host$": "the source's filesystem: the host's under runc, a 9p share in the VM"},
         expect={"mount./mnt/host": "~^9p ro,"}),
    dict(name="bind-flags", what="mounts: bind with nosuid,nodev,noexec,noatime",
         setup=host_dir,
         patch=lambda c, b: add_mount(c, destination="/mnt/host", type="none",
                                      source=os.path.join(b, "hostdir"),
                                      options=["bind", "nosuid", "nodev", "noexec", "noatime"]),
         differ={r"^mount\./mnt/host$": "the source's filesystem: the host's under runc, a 9p share in the VM"},
         expect={"mount./mnt/host": "~^9p rw,nosuid,nodev,noexec,noatime"}),
    dict(name="bind-file", what="mounts: a bind of a single host file over an image file",
         setup=host_dir,
         patch=lambda c, b: add_mount(c, destination="/data/hello", type="bind",
                                      source=os.path.join(b, "hostdir", "file"), options=["bind", "ro"])
         or c["process"].update(env=c["process"]["env"] + ["PROBE_CAT=/data/hello"]) or c,
         differ={r"^mount\./data/hello$": "the source's filesystem: the host's under runc, a 9p share in the VM"}),
    dict(name="bind-propagation", what="mounts: rbind with rslave and rprivate",
         setup=host_dir,
         patch=lambda c, b: add_mount(add_mount(c, destination="/mnt/a", type="bind",
                                                source=os.path.join(b, "hostdir"), options=["rbind", "rslave"]),
                                      destination="/mnt/b", type="bind", source=os.path.join(b, "hostdir"),
                                      options=["rbind", "rprivate"]),
         differ={r"^mount\./mnt/[ab]$": "the source's filesystem: the host's under runc, a 9p share in the VM"},
         expect={"mount./mnt/a": "~^9p rw,relatime private", "mount./mnt/b": "~^9p rw,relatime private"}),
    dict(name="rootfs-propagation", what="linux.rootfsPropagation rprivate",
         patch=lambda c, b: c["linux"].update(rootfsPropagation="rprivate") or c),
    dict(name="rootfs-propagation-shared", what="linux.rootfsPropagation shared",
         patch=lambda c, b: c["linux"].update(rootfsPropagation="shared") or c,
         differ={r"^mount\./$": "runc 1.1 leaves / private whatever rootfsPropagation says (runc 1.2 applies "
                                 "it after pivot_root, as katabox does)"},
         expect={"mount./": "~^9p ro,relatime shared "}),
    dict(name="rootfs-propagation-runbindable", what="linux.rootfsPropagation runbindable",
         patch=lambda c, b: c["linux"].update(rootfsPropagation="runbindable") or c,
         runc_refuses="invalid argument", expect_kata={"mount./": "~^9p ro,relatime unbindable "},
         why_runc="runc 1.1 cannot bind an unbindable rootfs onto itself (EINVAL); katabox makes / unbindable "
                  "after pivot_root"),
    dict(name="devpts-options", what="/dev/pts newinstance with ptmxmode 0600",
         patch=lambda c, b: [m.update(options=["nosuid", "noexec", "newinstance", "ptmxmode=0600",
                                               "mode=0600", "gid=5"])
                             for m in c["mounts"] if m["destination"] == "/dev/pts"] and c),
    dict(name="shm-size", what="/dev/shm with size=1m",
         patch=lambda c, b: [m.update(options=["nosuid", "noexec", "nodev", "mode=1777", "size=1m"])
                             for m in c["mounts"] if m["destination"] == "/dev/shm"] and c),
    dict(name="no-mqueue-no-sys", what="mounts: without /dev/mqueue and /sys",
         patch=lambda c, b: c.update(mounts=[m for m in c["mounts"] if m["destination"] not in
                                             ("/dev/mqueue", "/sys", "/sys/fs/cgroup")]) or c),
    dict(name="devices", what="linux.devices: char, block and fifo nodes with mode and owner",
         patch=lambda c, b: c["linux"].update(devices=[
             {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o666},
             {"path": "/dev/loop-probe", "type": "b", "major": 7, "minor": 0, "fileMode": 0o640,
              "uid": 1000, "gid": 2000},
             {"path": "/dev/sub/fifo", "type": "p", "fileMode": 0o600}]) or c),
    dict(name="devices-cgroup", what="linux.resources.devices: deny all (runc's default), a node not allowed",
         patch=lambda c, b: c["linux"].update(devices=[
             {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 0o666}]) or c),
    dict(name="devices-cgroup-allow", what="linux.resources.devices: a node allowed for writing only",
         patch=lambda c, b: c["linux"].update(devices=[
             {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 0o666}]) or
         c["linux"]["resources"]["devices"].append({"allow": True, "type": "c", "major": 1, "minor": 11,
                                                    "access": "w"}) or c),
    # --- namespaces
    dict(name="no-pid-ns", what="namespaces: no pid namespace",
         patch=lambda c, b: drop_ns(c, "pid")),
    dict(name="no-net-ns", what="namespaces: no network namespace",
         patch=lambda c, b: drop_ns(c, "network"),
         differ={r"^net\.ifaces$": "the interfaces of the runtime's world: the host's vs the VM's",
                 r"^sysctl\.net\.": "the runtime's network namespace: the host's vs the VM's"}),
    dict(name="no-uts-ns", what="namespaces: no uts namespace (no hostname)",
         patch=lambda c, b: drop_ns(c, "uts") and c.pop("hostname", None) and c,
         differ={r"^(uts\.hostname|sysctl\.kernel\.hostname)$": "the runtime's hostname: the host's vs the VM's"}),
    dict(name="no-ipc-ns", what="namespaces: no ipc namespace",
         patch=lambda c, b: drop_ns(c, "ipc")),
    dict(name="cgroup-ns", what="namespaces: a cgroup namespace",
         patch=lambda c, b: add_ns(c, "cgroup")),
    dict(name="user-ns", what="namespaces: user, 0 mapped to 100000 (rootfs owned by it)",
         setup=chown_rootfs(100000), differ=USERNS_DIFFER,
         patch=lambda c, b: add_ns(c, "user") and c["linux"].update(
             uidMappings=[{"containerID": 0, "hostID": 100000, "size": 65536}],
             gidMappings=[{"containerID": 0, "hostID": 100000, "size": 65536}]) or c),
    dict(name="user-ns-nonroot", what="namespaces: user, process uid 1000 inside",
         setup=chown_rootfs(100000), differ=USERNS_DIFFER,
         patch=lambda c, b: set_user(add_ns(c, "user"), 1000, 1000) and c["linux"].update(
             uidMappings=[{"containerID": 0, "hostID": 100000, "size": 65536}],
             gidMappings=[{"containerID": 0, "hostID": 100000, "size": 65536}]) or c),
    dict(name="user-ns-no-maps", what="namespaces: user without mappings",
         patch=lambda c, b: add_ns(c, "user"),
         fail="needs linux.uidMappings", runc_fail="mappings"),
    # --- sysctl
    dict(name="sysctl-ipc", what="linux.sysctl: ipc ones",
         patch=lambda c, b: c["linux"].update(sysctl={
             "kernel.shmmax": "1048576", "kernel.msgmax": "4096", "fs.mqueue.msg_max": "20"}) or c),
    dict(name="sysctl-net", what="linux.sysctl: network ones",
         patch=lambda c, b: c["linux"].update(sysctl={
             "net.ipv4.ip_forward": "1", "net.ipv4.ping_group_range": "0 2147483647",
             "net.ipv4.ip_unprivileged_port_start": "80"}) or c),
    dict(name="sysctl-uts", what="linux.sysctl: kernel.domainname",
         patch=lambda c, b: c["linux"].update(sysctl={"kernel.domainname": "example.org"}) or c),
    dict(name="sysctl-host-net", what="linux.sysctl: a network one without a network namespace",
         patch=lambda c, b: drop_ns(c, "network") and c["linux"].update(sysctl={"net.ipv4.ip_forward": "1"}) or c,
         fail="not allowed in the host's network namespace", runc_fail="network namespace"),
    dict(name="sysctl-global", what="linux.sysctl: one of no namespace (vm.swappiness)",
         patch=lambda c, b: c["linux"].update(sysctl={"vm.swappiness": "10"}) or c,
         fail="not in a separate kernel namespace", runc_fail="not in a separate kernel namespace"),
    # --- seccomp
    dict(name="seccomp-errno", what="linux.seccomp: allow by default, errnoRet per rule",
         patch=lambda c, b: c["linux"].update(seccomp={
             "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                          {"names": ["chmod", "fchmodat", "acct"], "action": "SCMP_ACT_ERRNO"},
                          {"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}]}) or c),
    dict(name="seccomp-default-errno", what="linux.seccomp: deny by default (defaultErrnoRet), allow-list",
         patch=lambda c, b: c["linux"].update(seccomp={
             "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
             "architectures": ["SCMP_ARCH_X86_64"],
             "syscalls": [{"names": PROBE_SYSCALLS, "action": "SCMP_ACT_ALLOW"}]}) or c),
    dict(name="seccomp-args", what="linux.seccomp: conditional arguments",
         patch=lambda c, b: c["linux"].update(seccomp={
             "defaultAction": "SCMP_ACT_ALLOW",
             "syscalls": [
                 {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 97,
                  "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
                 {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                  "args": [{"index": 0, "value": 0xffffffff, "op": "SCMP_CMP_NE"}]},
                 {"names": ["clock_getres"], "action": "SCMP_ACT_ERRNO",
                  "args": [{"index": 0, "value": 1, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]}]}) or c),
    dict(name="seccomp-nnp", what="linux.seccomp with noNewPrivileges and user 1000",
         patch=lambda c, b: set_user(c, 1000, 1000) and c["process"].update(noNewPrivileges=True) or
         c["linux"].update(seccomp={"defaultAction": "SCMP_ACT_ALLOW",
                                    "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO"}]}) or c),
    dict(name="seccomp-notify", what="linux.seccomp: SCMP_ACT_NOTIFY",
         patch=lambda c, b: c["linux"].update(seccomp={
             "defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/none.sock",
             "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}) or c,
         fail="SCMP_ACT_NOTIFY", runc_fail=None),
    # --- the document itself
    dict(name="unknown-fields", what="unknown fields are ignored",
         patch=lambda c, b: c.update(fooBar={"x": 1}) or c["process"].update(notAField=[1, 2]) or
         c["linux"].update(somethingNew="yes") or c),
    dict(name="annotations", what="annotations passed through",
         patch=lambda c, b: c.update(annotations={"org.example.key": "value", "io.katabox.test": "1"}) or c),
    dict(name="bad-uid", what="a known field with a bad value (process.user.uid a string)",
         patch=lambda c, b: c["process"]["user"].update(uid="zero") or c,
         fail="process.user.uid", runc_fail="uid"),
    dict(name="bad-mount", what="mounts: a relative destination",
         patch=lambda c, b: add_mount(c, destination="relative/path", type="tmpfs", source="tmpfs"),
         fail="mounts[7].destination", runc_fail=None),
    # --- resources (cgroup v2 in the guest; the host here has cgroup v1)
    dict(name="resources-memory", what="linux.resources.memory: limit, reservation, swap",
         patch=lambda c, b: add_ns(c, "cgroup") and c["linux"]["resources"].update(
             memory={"limit": 268435456, "reservation": 134217728, "swap": 268435456}) or c,
         expect={"cgroup.memory.max": "268435456", "cgroup.memory.low": "134217728",
                 "cgroup.memory.swap.max": "0", "vm.mem_mib": "~^[0-9]+$"}),
    dict(name="resources-cpu", what="linux.resources.cpu: quota/period, shares, cpus",
         patch=lambda c, b: add_ns(c, "cgroup") and c["linux"]["resources"].update(
             cpu={"quota": 150000, "period": 100000, "shares": 512, "cpus": "0-1"}) or c,
         expect={"cgroup.cpu.max": "150000 100000", "cgroup.cpu.weight": "20",
                 "cgroup.cpuset.cpus": "0-1", "vm.cpus": "2"}),
    dict(name="resources-pids", what="linux.resources.pids",
         patch=lambda c, b: add_ns(c, "cgroup") and c["linux"]["resources"].update(pids={"limit": 64}) or c,
         expect={"cgroup.pids.max": "64"}),
    # --- combinations
    dict(name="hardened", what="user 1000, no caps, nnp, read-only root, seccomp, rlimits",
         patch=lambda c, b: set_user(caps(c, {k: [] for k in ("bounding", "effective", "inheritable",
                                                                "permitted", "ambient")}), 1000, 1000)
         and c["root"].update(readonly=True) or c["process"].update(
             noNewPrivileges=True, rlimits=[{"type": "RLIMIT_NOFILE", "soft": 64, "hard": 64}]) or
         c["linux"].update(seccomp={"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
             {"names": ["unshare", "setns", "keyctl"], "action": "SCMP_ACT_ERRNO"}]}) or c),
    dict(name="userns-readonly-tmpfs", what="user namespace + read-only root + tmpfs + sysctl",
         setup=chown_rootfs(100000), differ=USERNS_DIFFER,
         patch=lambda c, b: add_ns(c, "user") and c["linux"].update(
             uidMappings=[{"containerID": 0, "hostID": 100000, "size": 65536}],
             gidMappings=[{"containerID": 0, "hostID": 100000, "size": 65536}],
             sysctl={"kernel.shmmni": "100"}) or c["root"].update(readonly=True) or
         add_mount(c, destination="/scratch", type="tmpfs", source="tmpfs", options=["size=1m"])),
    dict(name="shared-nothing", what="only mount and pid namespaces, no /dev tmpfs",
         patch=lambda c, b: c["linux"].update(namespaces=[{"type": "mount"}, {"type": "pid"}]) or
         c.update(mounts=[m for m in c["mounts"] if m["destination"] == "/proc"]) or
         (c.pop("hostname", None) and c) or c,
         differ={r"^(uts\.hostname|sysctl\.kernel\.hostname)$": "the runtime's hostname: the host's vs the VM's",
                 r"^net\.ifaces$": "the interfaces of the runtime's world: the host's vs the VM's",
                 r"^sysctl\.": "the runtime's ipc/net/uts namespaces: the host's vs the VM's",
                 r"^mount\./proc/": "with no /dev mount runc writes device nodes into the image and masks "
                                    "with its /dev/null; katabox leaves the image alone"}),
]
