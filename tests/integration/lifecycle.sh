#!/usr/bin/env bash
# runc's detached lifecycle, command by command, for kata-runtime and
# runc on the same bundle: create, state, start, kill, delete, and what
# each refuses; the keeper and its QEMU killed leave nothing after delete.
. "$(dirname "$0")/lib.bash"
kr=$top/build/bin/kata-runtime
root=$scratch/kr
rroot=$scratch/runc
bundle=$scratch/b
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for a in sh echo sleep; do ln -s busybox "$bundle/rootfs/bin/$a"; done
"$kr" spec -b "$bundle"
jq '.process.terminal = false | .process.args = ["sh", "-c", "trap \"echo got TERM; exit 5\" TERM; echo started; while :; do sleep 0.1; done"]' \
    "$bundle/config.json" >"$scratch/c" && mv "$scratch/c" "$bundle/config.json"

# lifecycle NAME RUNTIME...: the whole sequence, one line per step, for diffing
lifecycle() {
    local id=$1; shift
    local out=$scratch/$id.out
    "$@" create -b "$bundle" --pid-file "$scratch/$id.pid" "$id" >"$out" 2>&1 </dev/null
    echo "create: $?"
    echo "state after create: $("$@" state "$id" | jq -r .status)"
    echo "list -q: $("$@" list -q)"
    echo "list json: $("$@" list --format json | jq -c '[.[] | {id, status, owner}]')"
    echo "list table: $("$@" list | awk 'NR == 1 {print $1, $2, $3, $4, $5, $6} NR == 2 {print $1, $3, $6}')"
    jq -e '.id and .pid and .bundle and .rootfs and .created and (.owner == "")' \
        <("$@" state "$id") >/dev/null && echo "state has runc's fields"
    "$@" start "$id"; echo "start: $?"
    "$@" start "$id" >/dev/null 2>&1; echo "second start: $?"
    for _ in $(seq 300); do grep -q started "$out" && break; sleep 0.1; done
    echo "state after start: $("$@" state "$id" | jq -r .status)"
    "$@" delete "$id" >/dev/null 2>&1; echo "delete while running: $?"
    "$@" kill "$id" TERM; echo "kill TERM: $?"
    for _ in $(seq 300); do [ "$("$@" state "$id" | jq -r .status)" = stopped ] && break; sleep 0.1; done
    echo "state after kill: $("$@" state "$id" | jq -r .status)"
    grep -q "got TERM" "$out" && echo "the container saw TERM"
    "$@" kill "$id" KILL >/dev/null 2>&1; echo "kill when stopped: $?"
    "$@" delete "$id"; echo "delete: $?"
    "$@" state "$id" >/dev/null 2>&1; echo "state after delete: $?"
    echo "list after delete: $("$@" list --format json)"
}

kout=$(lifecycle k1 "$kr" --root "$root" | sed 's/\bk1\b/ID/g')
printf '# %s\n' "$kout"
if command -v runc >/dev/null; then
    rout=$(lifecycle r1 runc --root "$rroot" | sed 's/\br1\b/ID/g')
    [ "$kout" = "$rout" ] && ok "create/state/start/kill/delete step by step as runc" \
        || { not_ok "create/state/start/kill/delete step by step as runc"; diff <(echo "$rout") <(echo "$kout") | sed 's/^/#   /'; }
else
    [[ $kout == *"state after kill: stopped"* ]] && ok "lifecycle (runc not installed)" || not_ok "lifecycle"
fi

# the --pid-file process is the keeper: waitable, exits with the container's status
"$kr" --root "$root" create -b "$bundle" --pid-file "$scratch/k2.pid" k2 </dev/null >"$scratch/k2.out" 2>&1
kp=$(cat "$scratch/k2.pid")
[ -n "$kp" ] && kill -0 "$kp" && ok "--pid-file names a live process after create" || not_ok "--pid-file names a live process after create"
"$kr" --root "$root" start k2
for _ in $(seq 300); do grep -q started "$scratch/k2.out" && break; sleep 0.1; done
kill -TERM "$kp"
for _ in $(seq 300); do kill -0 "$kp" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$kp" 2>/dev/null && grep -q "got TERM" "$scratch/k2.out" \
    && ok "a signal to the keeper reaches the container, and the keeper ends with it" \
    || not_ok "a signal to the keeper reaches the container, and the keeper ends with it"
expect "kill of a stopped container is runc's error" 1 "container not running" "$kr" --root "$root" kill k2
"$kr" --root "$root" delete k2

# the keeper and QEMU killed under a running container: delete --force cleans up
"$kr" --root "$root" create -b "$bundle" --pid-file "$scratch/k3.pid" k3 </dev/null >/dev/null 2>&1
"$kr" --root "$root" start k3
kill -KILL "$(cat "$scratch/k3.pid")"
sleep 1
expect "state of a container whose keeper died says stopped" 0 '"status": "stopped"' "$kr" --root "$root" state k3
expect "delete --force removes it" 0 "" "$kr" --root "$root" delete --force k3
"$kr" --root "$root" create -b "$bundle" k4 </dev/null >/dev/null 2>&1
expect "delete of a created container without --force refuses" 1 "not stopped: created" "$kr" --root "$root" delete k4
expect "kill with an unknown signal" 1 'unknown signal "FOO"' "$kr" --root "$root" kill k4 FOO
expect "delete --force of a created container" 0 "" "$kr" --root "$root" delete --force k4
expect "start of an unknown container" 1 "container nosuch does not exist" "$kr" --root "$root" start nosuch
# kill --all reaches every process of the container, not only its init
cp "$bundle/config.json" "$scratch/keep.json"
jq '.process.args = ["sh", "-c", "sleep 1000 & sleep 1000 & echo started; wait"]' "$scratch/keep.json" >"$bundle/config.json"
"$kr" --root "$root" run -d -b "$bundle" --pid-file "$scratch/k8.pid" k8 </dev/null >"$scratch/k8.out" 2>&1
for _ in $(seq 300); do grep -q started "$scratch/k8.out" && break; sleep 0.1; done
"$kr" --root "$root" kill --all k8 TERM
for _ in $(seq 300); do [ "$("$kr" --root "$root" state k8 | jq -r .status)" = stopped ] && break; sleep 0.1; done
expect "kill --all TERM ends the children, so their init (which ignores TERM) stops too" 0 '"status": "stopped"' \
    "$kr" --root "$root" state k8
"$kr" --root "$root" delete k8
cp "$scratch/keep.json" "$bundle/config.json"

# concurrent commands on one container are serialised: of 5 starts, one wins
"$kr" --root "$root" create -b "$bundle" k7 </dev/null >/dev/null 2>&1
for i in 1 2 3 4 5; do ("$kr" --root "$root" start k7 >/dev/null 2>&1; echo $? >"$scratch/start.$i") & done
wait
[ "$(cat "$scratch"/start.* | sort | tr '\n' ' ')" = "0 1 1 1 1 " ] \
    && ok "five concurrent starts: exactly one succeeds" \
    || not_ok "five concurrent starts: exactly one succeeds ($(cat "$scratch"/start.* | tr '\n' ' '))"
"$kr" --root "$root" delete --force k7 &
"$kr" --root "$root" delete --force k7 2>/dev/null &
wait
[ ! -e "$root/k7" ] && ok "two concurrent deletes leave nothing" || not_ok "two concurrent deletes leave nothing"

# run -d, and a terminal through --console-socket (what conmon does)
"$kr" --root "$root" run -d -b "$bundle" --pid-file "$scratch/k5.pid" k5 </dev/null >"$scratch/k5.out" 2>&1
rc=$?
for _ in $(seq 300); do grep -q started "$scratch/k5.out" && break; sleep 0.1; done
[ $rc = 0 ] && [ "$("$kr" --root "$root" state k5 | jq -r .status)" = running ] \
    && ok "run -d returns with the container running" || not_ok "run -d returns with the container running (exit $rc)"
"$kr" --root "$root" delete --force k5
jq '.process.terminal = true | .process.args = ["sh", "-c", "stty size; echo done"]' "$bundle/config.json" >"$scratch/t.json"
cp "$bundle/config.json" "$scratch/plain.json"
cp "$scratch/t.json" "$bundle/config.json"
expect "a terminal without --console-socket is runc's error" 1 "cannot allocate tty if runc will detach without setting console socket" \
    "$kr" --root "$root" create -b "$bundle" k6
"$top/build/tests/tools/recvtty" "$scratch/cs.sock" 30 100 </dev/null >"$scratch/tty.out" 2>&1 &
recv=$!
for _ in $(seq 50); do [ -S "$scratch/cs.sock" ] && break; sleep 0.1; done
"$kr" --root "$root" run -d --console-socket "$scratch/cs.sock" -b "$bundle" k6
for _ in $(seq 300); do kill -0 $recv 2>/dev/null || break; sleep 0.1; done
kill $recv 2>/dev/null; wait $recv 2>/dev/null
o=$(tr -d '\r' <"$scratch/tty.out")
[[ $o == *"30 100"*done* ]] && ok "--console-socket gets the pty master; its size reaches the container" \
    || not_ok "--console-socket gets the pty master; its size reaches the container: '$o'"
"$kr" --root "$root" delete --force k6
cp "$scratch/plain.json" "$bundle/config.json"

[ -z "$(ls -A "$root")" ] && ok "no state dir is left" || not_ok "no state dir is left: $(ls -A "$root")"
sleep 0.5
[ -z "$(qemu_left "$root")" ] && ok "no QEMU is left" || not_ok "no QEMU is left"
done_testing
