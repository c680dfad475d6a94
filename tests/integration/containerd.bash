# Sourced after lib.bash by the tests that drive Debian's containerd 1.6: it
# starts one with a private root, state and socket and our shim first on its
# PATH (ctd_start), stops it (ctd_stop), and imports the test image built by
# tests/tools/mkimage.py (ctd_image). `c` is ctr on that containerd.
# Without containerd the test is skipped here; with it, ctd_cleanup runs at
# the end whatever happens.
# a namespace per test: what one test leaves cannot fail the next one's checks
ns=kb-$(basename "$0" .sh)
sock=$scratch/containerd.sock
image=docker.io/katabox/busybox:test
ctd=
ctd_config() {
    cat >"$scratch/config.toml" <<TOML
version = 2
root = "$scratch/root"
state = "$scratch/state"
disabled_plugins = [${ctd_disabled-\"io.containerd.grpc.v1.cri\"}]
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
${ctd_extra:-}
TOML
}
c() { ctr --address "$sock" -n "$ns" "$@"; }
ctd_start() {
    [ -f "$scratch/config.toml" ] || ctd_config
    [ -n "${state_before+set}" ] || state_before=$(ls /run/katabox/shim/$ns 2>/dev/null)
    PATH=$top/build/bin:$PATH containerd --config "$scratch/config.toml" >>"$scratch/containerd.log" 2>&1 &
    ctd=$!
    for _ in $(seq 100); do c version >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}
ctd_stop() {
    [ -n "$ctd" ] && { kill "$ctd" 2>/dev/null; wait "$ctd" 2>/dev/null; }
    ctd=
}
# every shim of this test's namespace, every QEMU of its state root, every mount under scratch
ctd_cleanup() {
    ctd_stop
    pkill -KILL -f "containerd-shim-kata-v2 -namespace $ns -address $sock" 2>/dev/null
    for m in $(awk -v s="$scratch" '$2 ~ s {print $2}' /proc/mounts | sort -r); do umount -l "$m"; done
    cleanup_scratch
}
ctd_image() {
    python3 "$top/tests/tools/mkimage.py" "$scratch/img.tar" "$image" >/dev/null && c image import "$scratch/img.tar"
}
# shim state dirs of this namespace made since the test began (a run killed earlier may have left some)
state_left() { comm -13 <(printf '%s\n' "$state_before" | sort) <(ls /run/katabox/shim/$ns 2>/dev/null | sort) | grep . || true; }
# oom_then_exit ID FILE: FILE (ctr events) has a TaskOOM of container ID before its TaskExit
oom_then_exit() {
    local o x
    o=$(grep -n "/tasks/oom .*\"$1\"" "$2" | head -1 | cut -d: -f1)
    x=$(grep -n "/tasks/exit .*\"container_id\":\"$1\"" "$2" | tail -1 | cut -d: -f1)
    [ -n "$o" ] && [ -n "$x" ] && [ "$o" -lt "$x" ]
}
shims_left() { pgrep -f "containerd-shim-kata-v2 -namespace $ns -address $sock" || true; }
# the daemons alone: a keeper is a fork of its daemon, with the same command line
shim_daemons() {
    local all p
    all=$(shims_left)
    for p in $all; do
        grep -qx "$(ps -o ppid= -p "$p" | tr -d ' ')" <<<"$all" || echo "$p"
    done
}
if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
    skip "containerd is not installed"; done_testing; exit 0
fi
exec </dev/null
trap ctd_cleanup EXIT
