#!/usr/bin/env bash
# kata-runtime run against runc run on the same bundles: output, exit
# status, stdin, signals, terminal, identity; and that every run leaves
# no state dir and no QEMU behind, whatever happens to it.
. "$(dirname "$0")/lib.bash"
kr=$top/build/bin/kata-runtime
root=$scratch/kr        # our --root: short, and it marks our QEMU processes
rroot=$scratch/runc
have_runc=$(command -v runc || true)

# a bundle: busybox-static as the whole rootfs, runc's default spec without a terminal
bundle=$scratch/b
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/tmp"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for a in sh cat echo id hostname pwd umask sleep touch head md5sum stty tty ls env true kill wc; do
    ln -s busybox "$bundle/rootfs/bin/$a"
done
"$kr" spec -b "$bundle" || { not_ok "kata-runtime spec"; done_testing; exit 1; }
base=$(jq '.process.terminal = false' "$bundle/config.json")

# spec JQ: the default config with the jq filter applied
spec() { jq "$1" <<<"$base" >"$bundle/config.json"; }
krun() { "$kr" --root "$root" run -b "$bundle" "$@"; }
rrun() { runc --root "$rroot" run -b "$bundle" "$@"; }

# same DESC ID: run the current bundle under both and compare stdout+status
same() {
    local desc=$1 id=$2 kout rout krc rrc
    kout=$(krun "$id" </dev/null 2>"$scratch/kerr"); krc=$?
    if [ -z "$have_runc" ]; then
        ok "$desc (exit $krc; runc not installed, nothing to compare)"
        printf '%s\n' "$kout" | sed 's/^/#   | /'
        return
    fi
    rout=$(rrun "$id-runc" </dev/null 2>"$scratch/rerr"); rrc=$?
    if [ "$kout" = "$rout" ] && [ $krc = $rrc ]; then
        ok "$desc (exit $krc, same as runc)"
    else
        not_ok "$desc"
        echo "#   katabox exit $krc:"; printf '%s\n' "$kout" | head -20 | sed 's/^/#   | /'
        sed 's/^/#   ! /' "$scratch/kerr" | head -5
        echo "#   runc exit $rrc:"; printf '%s\n' "$rout" | head -20 | sed 's/^/#   | /'
    fi
}

spec '.process.args = ["echo", "hello from the VM"]'
same "a container's output reaches stdout" echo
spec '.process.args = ["sh", "-c", "exit 3"]'
same "the exit status is the container's" exit3
spec '.process.args = ["sh", "-c", "echo out; echo err >&2; exit 0"]'
run krun streams
[ "$out" = $'out\nerr' ] || [ "$out" = $'err\nout' ] && ok "stdout and stderr both arrive" || not_ok "stdout and stderr both arrive: $out"
o=$(krun streams2 2>/dev/null)
[ "$o" = out ] && ok "stderr is a separate stream" || not_ok "stderr is a separate stream: '$o'"

spec '.process.args = ["sh", "-c", "kill -TERM $$"] | .linux.namespaces |= map(select(.type != "pid"))'
same "a process killed by SIGTERM gives 143 (no pid namespace, so the signal is not ignored)" sigterm
spec '.process.args = ["sh", "-c", "id; hostname; pwd; umask; echo HOME=$HOME; echo FOO=$FOO"]
      | .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20], "umask": 18}
      | .process.cwd = "/tmp" | .hostname = "kbtest" | .process.env += ["FOO=bar baz"]'
same "uid, gid, additional gids, hostname, cwd, umask and env as runc" ident
spec '.process.args = ["sh", "-c", "ls /; ls /dev; cat /proc/self/status | grep -E \"^(Cap|NoNewPrivs|Seccomp:)\" | grep -v CapAmb"]'
same "the root, /dev and capability sets as runc" devs
spec '.root.readonly = true | .process.args = ["sh", "-c", "touch /x; echo rc=$?; touch /tmp/y; echo rc=$?"]'
same "root.readonly makes / read-only" ro

spec '.process.args = ["sh", "-c", "echo cpus=$(grep -c ^processor /proc/cpuinfo); grep MemTotal /proc/meminfo"]
      | .linux.resources = {"memory": {"limit": 268435456}, "cpu": {"quota": 200000, "period": 100000}}'
o=$(krun sized 2>&1)
mem=$(awk '/MemTotal/ {print $2}' <<<"$o")
want_cpus=$(( $(nproc) < 2 ? $(nproc) : 2 ))
[[ $o == *"cpus=$want_cpus"* ]] && [ "${mem:-0}" -gt 300000 ] \
    && ok "the VM is sized from linux.resources ($want_cpus vCPUs, ${mem} KiB: 128 MiB + the 256 MiB limit)" \
    || not_ok "the VM is sized from linux.resources: $o"

spec '.root.readonly = false | .process.args = ["sh", "-c", "echo persisted >/written; echo more >>/written"]'
krun write >/dev/null 2>&1
[ "$(cat "$bundle/rootfs/written" 2>/dev/null)" = $'persisted\nmore' ] \
    && ok "what the container writes to its rootfs is in the bundle afterwards" \
    || not_ok "what the container writes to its rootfs is in the bundle afterwards"
rm -f "$bundle/rootfs/written"

spec '.process.args = ["cat"]'
o=$(printf 'line one\nline two\n' | krun stdin 2>&1)
[ "$o" = $'line one\nline two' ] && ok "stdin reaches the container" || not_ok "stdin reaches the container: '$o'"
spec '.process.args = ["sh", "-c", "cat; echo after-eof"]'
o=$(krun eof </dev/null 2>&1)
[ "$o" = after-eof ] && ok "stdin's EOF is delivered" || not_ok "stdin's EOF is delivered: '$o'"

# flow control: 20 MB each way through cat; the relay's memory stays bounded
head -c 20000000 /dev/urandom >"$scratch/big"
spec '.process.args = ["cat"]'
krun big --pid-file "$scratch/big.pid" <"$scratch/big" | md5sum >"$scratch/big.sum" &
relay=$!
hwm=
while kill -0 $relay 2>/dev/null; do
    p=$(cat "$scratch/big.pid" 2>/dev/null) && h=$(awk '/VmHWM/ {print $2}' /proc/$p/status 2>/dev/null) && hwm=${h:-$hwm}
    sleep 0.2
done
wait $relay
[ "$(cut -d' ' -f1 "$scratch/big.sum")" = "$(md5sum <"$scratch/big" | cut -d' ' -f1)" ] \
    && ok "20 MB through stdin and stdout arrive intact" || not_ok "20 MB through stdin and stdout arrive intact"
[ -n "$hwm" ] && [ "$hwm" -lt 65536 ] && ok "the relay's peak RSS stays bounded (${hwm} KiB)" \
    || not_ok "the relay's peak RSS stays bounded (${hwm:-unknown} KiB)"

# signals: SIGTERM to the relay (its --pid-file) reaches the container
spec '.process.args = ["sh", "-c", "trap \"echo got TERM; exit 42\" TERM; echo ready; while :; do sleep 0.1; done"]'
# started directly (not through krun) so that $! is its pid
"$kr" --root "$root" run -b "$bundle" --pid-file "$scratch/sig.pid" sig >"$scratch/sig.out" 2>&1 &
relay=$!
for _ in $(seq 600); do grep -q ready "$scratch/sig.out" && break; sleep 0.1; done
kill -TERM "$(cat "$scratch/sig.pid")"
wait $relay; rc=$?
[ $rc = 42 ] && grep -q "got TERM" "$scratch/sig.out" && ok "SIGTERM is forwarded to the container" \
    || not_ok "SIGTERM is forwarded to the container (exit $rc: $(cat "$scratch/sig.out"))"
[ "$(cat "$scratch/sig.pid")" = $relay ] && ok "--pid-file holds the relaying process's pid" \
    || not_ok "--pid-file holds the relaying process's pid"

# terminal: a pty in the guest, the host terminal's size forwarded
spec '.process.terminal = true | .process.args = ["sh", "-c", "stty size; tty"]'
o=$(script -qec "stty rows 33 cols 111; $kr --root $root run -b $bundle tty1" /dev/null </dev/null | tr -d '\r')
[[ $o == *"33 111"* ]] && ok "with process.terminal the container sees the host terminal's size" \
    || not_ok "with process.terminal the container sees the host terminal's size: '$o'"
[[ $o == *"/dev/"* && $o != *"not a tty"* ]] && ok "with process.terminal stdin is a terminal" \
    || not_ok "with process.terminal stdin is a terminal: '$o'"

# errors: clear, runc-like, nothing left behind
spec '.process.args = ["nosuchcmd"]'
expect "a missing executable is runc's error" 1 'exec: "nosuchcmd": executable file not found in $PATH' krun nocmd
spec '.process.args = ["echo"] | .mounts += [{"destination": "/x", "type": "nosuchfs", "source": "x"}]'
expect "a mount that fails names the mount" 1 "/x" krun badmount
echo '{"ociVersion": "1.0.2", "process": ' >"$bundle/config.json"
expect "a malformed config.json is named" 1 "config.json" krun badjson
expect "a bad container id is refused" 1 "invalid container id" krun ../evil
expect "a missing bundle is named" 1 "/nonexistent" "$kr" --root "$root" run -b /nonexistent x
expect "--log-format json logs the error as JSON" 1 "" "$kr" --root "$root" --log "$scratch/log.json" \
    --log-format json run -b /nonexistent x
grep -q '^{"level":"error","msg":".*nonexistent.*","time":"' "$scratch/log.json" \
    && ok "the JSON log line is runc's shape" || not_ok "the JSON log line is runc's shape: $(cat "$scratch/log.json")"

# an id in use is refused; QEMU killed under a running container ends the run cleanly
spec '.process.args = ["sh", "-c", "echo up; exec sleep 1000"]'
krun busy >"$scratch/busy.out" 2>&1 &
relay=$!
for _ in $(seq 600); do grep -q up "$scratch/busy.out" && break; sleep 0.1; done
expect "a second container with the same id is refused" 1 "already exists" krun busy
pkill -KILL -f "qemu-system-x86_64.*$root/busy/" 
wait $relay; rc=$?
[ $rc -ne 0 ] && grep -q "QEMU" "$scratch/busy.out" && ok "QEMU killed under a container ends the run with an error" \
    || not_ok "QEMU killed under a container ends the run with an error (exit $rc: $(cat "$scratch/busy.out"))"

# Ctrl-C while the VM boots ends the run at once, leaving nothing
spec '.process.args = ["echo", "container-ran"]'
"$kr" --root "$root" run -b "$bundle" early >"$scratch/early.out" 2>&1 &
relay=$!
for _ in $(seq 100); do [ -S "$root/early/qmp.sock" ] && break; sleep 0.02; done
kill -INT $relay
t0=$SECONDS
wait $relay; rc=$?
[ $rc = 1 ] && grep -q "interrupted by signal 2" "$scratch/early.out" && ! grep -q container-ran "$scratch/early.out" \
    && [ $((SECONDS - t0)) -lt 10 ] && ok "SIGINT during boot aborts the run" \
    || not_ok "SIGINT during boot aborts the run (exit $rc: $(cat "$scratch/early.out"))"

[ -z "$(ls -A "$root" 2>/dev/null)" ] && ok "every state dir is removed" || not_ok "every state dir is removed: $(ls -A "$root")"
[ -z "$(qemu_left "$root")" ] && ok "no QEMU is left" || not_ok "no QEMU is left"
[ -z "$have_runc" ] || runc --root "$rroot" list -q | xargs -r -n1 runc --root "$rroot" delete -f
done_testing
