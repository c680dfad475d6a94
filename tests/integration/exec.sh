#!/usr/bin/env bash
# Commands on a running container, kata-runtime against runc on the same
# bundle: exec (output, exit status, -e --cwd -u --cap --process, stdin,
# errors; several at once, signals to the exec command, -d --pid-file),
# pause/resume/ps step by step, and events/update on the guest's cgroup
# (linux.resources at create too).
. "$(dirname "$0")/lib.bash"
kr=$top/build/bin/kata-runtime
root=$scratch/kr
rroot=$scratch/runc
have_runc=$(command -v runc || true)
exec </dev/null
bundle=$scratch/b
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/tmp" "$bundle/rootfs/work"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for a in sh echo sleep cat id pwd env grep wc true readlink; do ln -s busybox "$bundle/rootfs/bin/$a"; done
"$kr" spec -b "$bundle"
jq '.process.terminal = false | .process.args = ["sh", "-c", "echo started; exec sleep 1000"] |
    .hostname = "exectest" | .process.env += ["FROM_CONFIG=1"]' \
    "$bundle/config.json" >"$scratch/c" && mv "$scratch/c" "$bundle/config.json"

"$kr" --root "$root" run -d -b "$bundle" k >"$scratch/k.out" 2>&1
[ -n "$have_runc" ] && runc --root "$rroot" run -d -b "$bundle" r >"$scratch/r.out" 2>&1
for _ in $(seq 300); do grep -q started "$scratch/k.out" && break; sleep 0.1; done

# same DESC EXEC-ARGS...: kata-runtime exec and runc exec; output and status equal
same() {
    local desc=$1; shift
    "$kr" --root "$root" exec "$@" >"$scratch/same.k" 2>&1; krc=$?
    kout=$(sed 's/^katabox: kata-runtime: exec: //' "$scratch/same.k")
    if [ -z "$have_runc" ]; then
        ok "$desc (exit $krc; runc not installed)"
        return
    fi
    local rargs=("$@") i
    for i in "${!rargs[@]}"; do [ "${rargs[$i]}" = k ] && rargs[$i]=r && break; done
    runc --root "$rroot" exec "${rargs[@]}" >"$scratch/same.r" 2>&1; rrc=$?
    rout=$(sed 's/^time="[^"]*" level=error msg="//; s/"$//; s/\\"/"/g' "$scratch/same.r")
    if [ "$kout" = "$rout" ] && [ "$krc" = "$rrc" ]; then
        ok "$desc (exit $krc, same as runc)"
    else
        not_ok "$desc"
        echo "#   katabox exit $krc:"; printf '%s\n' "$kout" | head -8 | sed 's/^/#   | /'
        echo "#   runc exit $rrc:"; printf '%s\n' "$rout" | head -8 | sed 's/^/#   | /'
    fi
}

same "exec: output and exit status" k sh -c 'echo hello from exec; exit 3'
same "exec sees the container: hostname, pid namespace, its env" k sh -c \
    'cat /proc/sys/kernel/hostname; readlink /proc/1/exe; echo $FROM_CONFIG'
same "exec -e --cwd -u" -e FOO=bar -e FROM_CONFIG=2 --cwd /work -u 1000:1000 k sh -c \
    'echo $FOO $FROM_CONFIG; pwd; id'
same "exec --cap adds to the bounding and effective sets" --cap CAP_SYS_ADMIN k sh -c \
    'grep -E "^Cap(Eff|Bnd)" /proc/self/status'
same "exec --no-new-privs" --no-new-privs k grep NoNewPrivs /proc/self/status
jq '.process | .args = ["sh", "-c", "echo from a process file; id -u"] | .user.uid = 7' \
    "$bundle/config.json" >"$scratch/process.json"
same "exec --process FILE" --process "$scratch/process.json" k
same "exec of a missing executable: runc's error and 255" k nosuch-binary
same "exec into an unknown container" nosuch true
out=$(echo "piped in" | "$kr" --root "$root" exec k cat 2>&1)
[ "$out" = "piped in" ] && ok "exec: stdin reaches the process, its EOF too" || not_ok "exec stdin: '$out'"

# several at once, each with its own output
for i in 1 2 3 4; do
    "$kr" --root "$root" exec k sh -c "sleep 1; echo exec $i; exit $i" >"$scratch/par$i.out" 2>&1 &
    pids[$i]=$!
done
good=0
for i in 1 2 3 4; do
    wait ${pids[$i]}; rc=$?
    [ $rc = $i ] && [ "$(cat "$scratch/par$i.out")" = "exec $i" ] && good=$((good + 1))
done
[ $good = 4 ] && ok "4 execs at once: each its own output and status" || not_ok "4 execs at once: $good good"

# a signal to the exec command reaches the process
"$kr" --root "$root" exec k sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
    >"$scratch/sig.out" 2>&1 &
ep=$!
for _ in $(seq 300); do grep -q ready "$scratch/sig.out" && break; sleep 0.1; done
kill -TERM $ep
wait $ep; rc=$?
[ $rc = 7 ] && grep -q "got TERM" "$scratch/sig.out" && ok "SIGTERM to exec reaches the process (exit 7)" ||
    not_ok "SIGTERM to exec: exit $rc, $(cat "$scratch/sig.out")"

# -d: returns at once; the --pid-file process lives while it runs and ends with it
"$kr" --root "$root" exec -d --pid-file "$scratch/d.pid" k sh -c 'sleep 2; exit 4'; rc=$?
dp=$(cat "$scratch/d.pid" 2>/dev/null)
[ $rc = 0 ] && [ -n "$dp" ] && kill -0 "$dp" 2>/dev/null && ok "exec -d returns, its --pid-file process runs" ||
    not_ok "exec -d: exit $rc, pid '$dp'"
for _ in $(seq 300); do kill -0 "$dp" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$dp" 2>/dev/null && ok "and it ends with the process" || not_ok "the -d waiter ended"

# pause, resume, ps: step by step as runc (ps lists guest pids: only the count compares)
steps() {
    local id=$1; shift
    echo "ps count: $("$@" ps --format json "$id" | jq length)"
    "$@" pause "$id"; echo "pause: $?"
    echo "state: $("$@" state "$id" | jq -r .status)"
    "$@" pause "$id" 2>/dev/null; echo "pause again: $?"
    "$@" exec "$id" true 2>/dev/null; echo "exec while paused refused: $([ $? != 0 ] && echo yes)"
    "$@" resume "$id"; echo "resume: $?"
    echo "state: $("$@" state "$id" | jq -r .status)"
    "$@" resume "$id" 2>/dev/null; echo "resume again: $?"
    echo "exec after resume: $("$@" exec "$id" echo alive)"
}
kout=$(steps k "$kr" --root "$root")
printf '# %s\n' "$kout"
if [ -n "$have_runc" ]; then
    rout=$(steps r runc --root "$rroot")
    [ "$kout" = "$rout" ] && ok "pause, resume, ps step by step as runc" ||
        { not_ok "pause, resume, ps step by step as runc"; diff <(echo "$rout") <(echo "$kout") | sed 's/^/#   /'; }
else
    [[ $kout == *"state: paused"* ]] && ok "pause, resume, ps" || not_ok "pause, resume, ps"
fi
expect "ps --format table lists guest pids" 0 "PID" "$kr" --root "$root" ps k

# events and update: the container's cgroup in the guest
stats() { "$kr" --root "$root" events --stats "$1" | jq -c "$2"; }
[ "$(stats k '[.type, .id, .data.pids.current >= 1, .data.cpu.usage.total > 0]')" = '["stats","k",true,true]' ] &&
    ok "events --stats: runc's stats event from the guest's cgroup" || not_ok "events --stats: $(stats k .)"
"$kr" --root "$root" update --memory 64m --pids-limit 20 --cpu-quota 50000 --cpu-period 100000 k &&
    [ "$(stats k '[.data.memory.usage.limit, .data.pids.limit]')" = '[67108864,20]' ] &&
    ok "update --memory --pids-limit --cpu-quota reaches the guest's cgroup" ||
    not_ok "update: $(stats k .data)"
echo '{"memory": {"limit": -1}}' | "$kr" --root "$root" update -r - k &&
    [ "$(stats k '[.data.memory.usage.limit, .data.pids.limit]')" = '[0,20]' ] &&
    ok "update -r -: a resources document, what it leaves out stays" || not_ok "update -r: $(stats k .data)"
expect "update of what a guest cgroup cannot do says so" 1 "--memory-swap is not supported" \
    "$kr" --root "$root" update --memory-swap 1g k
n=$(timeout 3.5 "$kr" --root "$root" events --interval 1s k | grep -c '"type":"stats"')
[ "$n" -ge 2 ] && ok "events --interval 1s: a stats event a second ($n in 3.5 s)" || not_ok "events --interval: $n"

# linux.resources of config.json land in the guest's cgroup at create
jq '.linux.resources = {"memory": {"limit": 104857600}, "pids": {"limit": 50}}' "$bundle/config.json" \
    >"$scratch/res.json"
mkdir -p "$scratch/b2" && cp "$scratch/res.json" "$scratch/b2/config.json" && ln -s "$bundle/rootfs" "$scratch/b2/rootfs"
"$kr" --root "$root" run -d -b "$scratch/b2" k2 >/dev/null 2>&1
[ "$(stats k2 '[.data.memory.usage.limit, .data.pids.limit]')" = '[104857600,50]' ] &&
    ok "linux.resources (memory, pids) applied in the guest at create" || not_ok "resources at create: $(stats k2 .data)"
"$kr" --root "$root" delete --force k2

"$kr" --root "$root" kill k KILL
for _ in $(seq 300); do [ "$("$kr" --root "$root" state k | jq -r .status)" = stopped ] && break; sleep 0.1; done
[ -n "$have_runc" ] && { runc --root "$rroot" kill r KILL; sleep 0.5; }
same "exec into a stopped container" k true
"$kr" --root "$root" delete --force k
[ -n "$have_runc" ] && runc --root "$rroot" delete --force r
[ -z "$(ls -A "$root" 2>/dev/null)" ] && ok "nothing left in the state root" || not_ok "state left: $(ls -A "$root")"
[ -z "$(qemu_left "$root")" ] && ok "no QEMU left" || not_ok "no QEMU left"
done_testing
