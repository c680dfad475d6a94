#!/usr/bin/env bash
# A pod through containerd 1.6's CRI plugin, driven by tests/tools/cri.py (a
# CRI client on Debian's python3-grpcio: crictl is not in Debian). The pod
# is host-network (no CNI); its sandbox image is one built and imported here.
# CRI_RUNTIME picks the handler: kata (default) or runc, to compare.
. "$(dirname "$0")/lib.bash"
py=/usr/bin/python3
if ! $py -c 'import grpc, google.protobuf' 2>/dev/null; then
    skip "python3-grpcio and python3-protobuf are not installed"; done_testing; exit 0
fi
handler=${CRI_RUNTIME:-kata}
ctd_disabled=
ctd_extra=$(cat <<TOML
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/katabox/pause:test"
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$scratch/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
      runtime_type = "io.containerd.kata.v2"
TOML
)
. "$top/tests/integration/containerd.bash"
ns=k8s.io
cri() { timeout 150 $py "$top/tests/tools/cri.py" --socket "$sock" "$@"; }
mkdir -p "$scratch/cni"
ctd_start || not_ok "containerd did not start"
python3 "$top/tests/tools/mkimage.py" "$scratch/pause.tar" docker.io/katabox/pause:test sleep 2147483647 >/dev/null
expect "the sandbox image is imported" 0 "" c image import "$scratch/pause.tar"
expect "the test image is imported" 0 "" ctd_image
expect "CRI answers Version" 0 "containerd" cri version

run cri runp pod1 --runtime "$handler"
pod=$out
if [ "$rc" != 0 ] || [ -z "$pod" ]; then
    not_ok "RunPodSandbox: $out"; tail -20 "$scratch/containerd.log" | sed 's/^/#   log: /'
    done_testing; exit 1
fi
ok "RunPodSandbox with handler $handler"
expect "the sandbox is ready" 0 "SANDBOX_READY" cri podstatus "$pod"
run cri create "$pod" pod1 one "$image" sh -c 'echo one >/tmp/mark; exec sleep 100000'
c1=$out
expect "CreateContainer (1)" 0 "" test -n "$c1" -a "$rc" = 0
run cri create "$pod" pod1 two "$image" sleep 100000
c2=$out
expect "CreateContainer (2)" 0 "" test -n "$c2" -a "$rc" = 0
expect "StartContainer (1)" 0 "" cri start "$c1"
expect "StartContainer (2)" 0 "" cri start "$c2"
expect "ContainerStatus: running" 0 "CONTAINER_RUNNING" cri status "$c1"
if [ "$handler" = kata ]; then
    n=$(qemu_left "katabox/shim/$ns/" | wc -l)
    [ "$n" = 1 ] && ok "one QEMU runs the pod's three containers" || not_ok "$n QEMUs for the pod"
    n=$(shim_daemons | wc -l)
    [ "$n" = 1 ] && ok "one shim daemon serves the pod" || not_ok "$n shim daemons for the pod"
fi
expect "ExecSync: output and exit 0" 0 "one" cri execsync "$c1" cat /tmp/mark
expect "ExecSync: exit code 7" 7 "" cri execsync "$c2" sh -c 'exit 7'
expect "ExecSync in the other container: its own rootfs" 1 "" cri execsync "$c2" test -e /tmp/mark
run cri execsync "$c2" sh -c 'busybox tr "\0" " " </proc/1/cmdline'
[[ $out == *sleep\ 2147483647* ]] && ok "the containers share the sandbox's pid namespace (CRI's default)" ||
    not_ok "pid 1 in the container: $out"
# UpdateContainerResources: containerd's Update reaches the container's cgroup in the guest
expect "UpdateContainerResources (64 MiB, 0.5 CPU)" 0 "" cri update "$c2" 67108864 50000 100000
# (containerd adds a cgroup namespace on cgroup v2 hosts only: here the guest's hierarchy is mounted whole)
cg='/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)'
expect "the container's cgroup has the new memory limit" 0 "67108864" cri execsync "$c2" sh -c "cat $cg/memory.max"
expect "and the new CPU quota" 0 "50000 100000" cri execsync "$c2" sh -c "cat $cg/cpu.max"
expect "StopContainer" 0 "" cri stop "$c1"
expect "ContainerStatus: exited (SIGTERM: 143)" 0 "CONTAINER_EXITED exit=143" cri status "$c1"
expect "StopPodSandbox" 0 "" cri stopp "$pod"
expect "the other container exited with the pod" 0 "CONTAINER_EXITED" cri status "$c2"
expect "RemoveContainer (1)" 0 "" cri rm "$c1"
expect "RemoveContainer (2)" 0 "" cri rm "$c2"
expect "RemovePodSandbox" 0 "" cri rmp "$pod"
expect "ListContainers is empty" 0 "" test -z "$(cri ps)"
for _ in $(seq 50); do [ -z "$(shims_left)" ] && break; sleep 0.1; done
[ -z "$(shims_left)" ] && ok "no shim left" || not_ok "a shim is left"
[ -z "$(qemu_left "katabox/shim/$ns")" ] && ok "no QEMU left" || not_ok "QEMU left"
[ -z "$(state_left)" ] && ok "no state left" || not_ok "state left: $(state_left)"
done_testing
