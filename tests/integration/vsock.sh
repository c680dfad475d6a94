#!/usr/bin/env bash
# The agent over hybrid vsock (our vhost-user-vsock back-end) under load and
# under failure: 256 MiB each way through a container's stdin and stdout,
# checksummed; QEMU killed in the middle of a transfer; the virtio-serial
# fallback. The rest of the vertical slice runs over hybrid vsock too, as
# the default transport (run.sh, lifecycle.sh).
. "$(dirname "$0")/lib.bash"
kr=$top/build/bin/kata-runtime
root=$scratch/kr
mib=${KATABOX_VSOCK_STRESS_MIB:-256}
exec </dev/null # the containers here run cat: never on the caller's stdin

bundle=$scratch/b
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for a in sh cat; do ln -s busybox "$bundle/rootfs/bin/$a"; done
"$kr" spec -b "$bundle" || { not_ok "kata-runtime spec"; done_testing; exit 1; }
jq '.process.terminal = false | .process.args = ["cat"]' "$bundle/config.json" >"$scratch/c" &&
    mv "$scratch/c" "$bundle/config.json"

# echo TRANSPORT MIB ID: MIB of random bytes through `cat` in the guest;
# leaves the checksums in $scratch/ID.in and .out, the time in $secs
echo_through() {
    local t=$1 n=$2 id=$3 t0
    t0=$(date +%s%N)
    head -c "${n}M" /dev/urandom | tee >(sha256sum >"$scratch/$id.in") |
        KATABOX_TRANSPORT=$t "$kr" --root "$root" run -b "$bundle" "$id" 2>"$scratch/$id.err" |
        sha256sum >"$scratch/$id.out"
    rc=${PIPESTATUS[2]}
    secs=$(( ($(date +%s%N) - t0) / 1000000 ))
    sleep 0.2 # tee's sha256sum runs in the background
}

expect "run --debug says which transport it chose, and why" 0 \
    "agent transport hybrid-vsock (/dev/vhost-vsock: " "$kr" --root "$root" --debug run -b "$bundle" dbg
expect "kata-runtime check says which transport auto picks here" 0 \
    "ok: agent transport: hybrid-vsock (/dev/vhost-vsock: " "$kr" check
KATABOX_TRANSPORT=pigeon expect "a bad KATABOX_TRANSPORT is refused before anything starts" 1 \
    "unknown agent transport 'pigeon'" "$kr" --root "$root" run -b "$bundle" pigeon

echo_through hybrid-vsock "$mib" stress
if [ "$rc" = 0 ] && [ -s "$scratch/stress.in" ] && cmp -s "$scratch/stress.in" "$scratch/stress.out"; then
    ok "$mib MiB each way through stdin and stdout over hybrid vsock, checksums equal" \
       "($secs ms including boot, $(( mib * 2 * 1000 / (secs > 0 ? secs : 1) )) MiB/s both ways)"
else
    not_ok "$mib MiB each way over hybrid vsock (exit $rc)"
    cat "$scratch/stress.in" "$scratch/stress.out" "$scratch/stress.err" | sed 's/^/#   /'
fi

echo_through virtio-serial 16 serial
[ "$rc" = 0 ] && cmp -s "$scratch/serial.in" "$scratch/serial.out" &&
    ok "KATABOX_TRANSPORT=virtio-serial: 16 MiB each way over the fallback, checksums equal" ||
    not_ok "16 MiB each way over virtio-serial (exit $rc): $(cat "$scratch/serial.err")"

# QEMU killed while data flows both ways: the run ends with QEMU's death
# as the error, at once, and leaves nothing behind
cat /dev/urandom | "$kr" --root "$root" run -b "$bundle" killed >"$scratch/killed.data" 2>"$scratch/killed.err" &
relay=$!
for _ in $(seq 600); do
    [ "$(stat -c %s "$scratch/killed.data" 2>/dev/null || echo 0)" -gt 8000000 ] && break
    sleep 0.1
done
qemu=$(qemu_left "$root/killed/")
got=$(stat -c %s "$scratch/killed.data")
if [ -n "$qemu" ] && [ "$got" -gt 8000000 ]; then
    kill -KILL $qemu
    t0=$SECONDS
    for _ in $(seq 300); do kill -0 $relay 2>/dev/null || break; sleep 0.1; done
    if kill -0 $relay 2>/dev/null; then
        not_ok "the run ends when QEMU is killed mid-transfer (still running after 30 s)"
        kill -KILL $relay
    else
        wait $relay; rc=$?
        [ $rc -ne 0 ] && grep -q "QEMU was killed by signal 9" "$scratch/killed.err" &&
            ok "QEMU killed after $got bytes: the run ends in $((SECONDS - t0)) s with exit $rc and says why" ||
            not_ok "QEMU killed mid-transfer: exit $rc, $(cat "$scratch/killed.err")"
    fi
else
    not_ok "the transfer to kill QEMU under got going ($got bytes)"
    kill -KILL $qemu $relay 2>/dev/null
fi
wait $relay 2>/dev/null
[ ! -e "$root/killed" ] && ok "no state dir or socket is left after QEMU's death" ||
    not_ok "no state dir or socket is left after QEMU's death: $(ls -A "$root/killed")"
[ -z "$(qemu_left "$root")" ] && ok "no QEMU is left" || not_ok "no QEMU is left"
done_testing
