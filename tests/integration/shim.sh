#!/usr/bin/env bash
# containerd-shim-kata-v2 under Debian's containerd 1.6, started here with a
# private root, state and socket, our shim first on its PATH, and an image
# imported from a tarball this test builds (busybox-static, no network).
. "$(dirname "$0")/lib.bash"
. "$top/tests/integration/containerd.bash"
ctd_start || not_ok "containerd did not start"
kata="--runtime io.containerd.kata.v2"
expect "ctr image import of a tarball built here" 0 "" ctd_image

run c run --rm $kata $image t1 sh -c 'echo hello from a VM; exit 3'
if [ "$rc" = 3 ] && [[ $out == *"hello from a VM"* ]]; then
    ok "ctr run --rm: output and exit code 3, from a container in its own VM"
else
    not_ok "ctr run --rm"; printf '%s\n' "$out" | head -20 | sed 's/^/#   | /'; tail -20 "$scratch/containerd.log" | sed 's/^/#   log: /'
fi
expect "the task is gone after --rm" 0 "" c task ls
[ -z "$(shims_left)" ] && ok "no shim left" || not_ok "a shim is left"
[ -z "$(qemu_left "katabox/shim/$ns")" ] && ok "no QEMU left" || not_ok "QEMU left"

# what a shim killed with its VM leaves, when no containerd remembers the task to run `delete`
stale=/run/katabox/shim/$ns/t11
mkdir -p "$stale" && echo '{}' >"$stale/state.json" && : >"$stale/console.log"
expect "a dead sandbox's state dir does not hold its id" 0 "fresh" c run --rm $kata $image t11 echo fresh
[ ! -e "$stale" ] && ok "and it is gone" || not_ok "stale state left: $(ls "$stale")"

# 10 MB through the stdout fifo, intact
c run --rm $kata $image t3 sh -c 'yes katabox | head -c 10485760' \
    >"$scratch/big.out" 2>&1
want=$(yes katabox | head -c 10485760 | sha256sum)
if [ "$(sha256sum <"$scratch/big.out")" = "$want" ]; then
    ok "10 MiB of stdout through the fifos, intact (sha256)"
else
    not_ok "stdout through the fifos: $(wc -c <"$scratch/big.out") bytes, not the ones sent"
fi

# detached: run -d, kill, wait, delete
expect "ctr run -d" 0 "" c run -d $kata $image t4 sleep 1000
for _ in $(seq 100); do [[ $(c task ls 2>/dev/null) == *"t4"*RUNNING* ]] && break; sleep 0.1; done
run c task ls
[[ $out == *t4*RUNNING* ]] && ok "task ls: RUNNING" || { not_ok "task ls: $out"; }
run c task ps t4
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | tail -n +2 | wc -l)" -ge 1 ] && ok "ctr task ps lists the guest's processes" ||
    { not_ok "ctr task ps"; printf '%s\n' "$out" | sed 's/^/#   | /'; }
expect "ctr task pause" 0 "" c task pause t4
run c task ls
[[ $out == *t4*PAUSED* ]] && ok "task ls: PAUSED" || not_ok "task ls after pause: $out"
expect "ctr task resume" 0 "" c task resume t4
run c task ls
[[ $out == *t4*RUNNING* ]] && ok "task ls: RUNNING again" || not_ok "task ls after resume: $out"
expect "ctr task kill" 0 "" c task kill -s SIGKILL t4
for _ in $(seq 100); do [[ $(c task ls 2>/dev/null) == *"t4"*STOPPED* ]] && break; sleep 0.1; done
run c task ls
[[ $out == *t4*STOPPED* ]] && ok "task ls: STOPPED after the kill" || { not_ok "task ls after kill: $out"; }
expect "ctr task delete" 0 "" c task delete t4
expect "ctr container delete" 0 "" c container delete t4
sleep 0.5
[ -z "$(shims_left)" ] && ok "no shim left" || not_ok "a shim is left"
[ -z "$(qemu_left "katabox/shim/$ns")" ] && ok "no QEMU left" || not_ok "QEMU left"
# stdin: the copy ends when the client's stdin does (CloseIO), not before it wrote anything
run sh -c "(sleep 3; echo from stdin) | ctr --address $sock -n $ns run --rm $kata $image t6 cat"
[ "$rc" = 0 ] && [ "$out" = "from stdin" ] && ok "stdin written late reaches cat, which ends at CloseIO" ||
    { not_ok "stdin: exit $rc"; printf '%s\n' "$out" | head -5 | sed 's/^/#   | /'; }

# stdio as URIs: file:// appends stdout and stderr to one file; binary:// feeds a logger on fds 3 and 4
c run --rm $kata --log-uri "file://$scratch/logs/t9.log" $image t9 sh -c 'echo to stdout; echo to stderr >&2' >/dev/null 2>&1
[ "$(sort "$scratch/logs/t9.log" 2>/dev/null | tr '\n' ' ')" = "to stderr to stdout " ] &&
    ok "--log-uri file://: both streams in the file (its directory made)" ||
    { not_ok "file:// log"; sed 's/^/#   | /' "$scratch/logs/t9.log" 2>/dev/null; }
cat >"$scratch/logger" <<'SH'
#!/bin/sh
# a containerd logging binary: stdout on fd 3, stderr on fd 4, ready on fd 5
out=$1
exec 5>&-
{ cat <&3 | sed 's/^/out: /' >"$out.1"; } &
{ cat <&4 | sed 's/^/err: /' >"$out.2"; } &
echo "$CONTAINER_NAMESPACE/$CONTAINER_ID" >"$out.env"
wait
SH
chmod +x "$scratch/logger"
c run --rm $kata --log-uri "binary://$scratch/logger?$scratch/bin" $image t10 sh -c 'echo one; echo two >&2' >/dev/null 2>&1
for _ in $(seq 50); do [ -s "$scratch/bin.2" ] && break; sleep 0.1; done
[ "$(cat "$scratch/bin.1" "$scratch/bin.2" "$scratch/bin.env" 2>/dev/null | tr '\n' ' ')" = "out: one err: two $ns/t10 " ] &&
    ok "--log-uri binary://: the logger got stdout on fd 3, stderr on fd 4, its id and namespace" ||
    { not_ok "binary:// logger"; cat "$scratch"/bin.* 2>/dev/null | sed 's/^/#   | /'; }

# a logger that ignores SIGTERM gets SIGKILL 12 s later (containerd's runc shim's grace); the shim waits for it
cat >"$scratch/stubborn" <<'SH'
#!/bin/sh
trap '' TERM
echo $$ >"$1"
exec 5>&-
cat <&3 >/dev/null
exec sleep 1000
SH
chmod +x "$scratch/stubborn"
c run --rm $kata --log-uri "binary://$scratch/stubborn?$scratch/stubborn.pid" $image t14 true >/dev/null 2>&1
lp=$(cat "$scratch/stubborn.pid" 2>/dev/null)
alive=no; [ -n "$lp" ] && kill -0 "$lp" 2>/dev/null && alive=yes
for _ in $(seq 200); do [ -n "$lp" ] && ! kill -0 "$lp" 2>/dev/null && [ -z "$(shims_left)" ] && break; sleep 0.1; done
[ "$alive" = yes ] && [ -n "$lp" ] && ! kill -0 "$lp" 2>/dev/null && [ -z "$(shims_left)" ] &&
    ok "a logger deaf to SIGTERM is killed within 20 s, then its shim exits" ||
    { not_ok "stubborn logger: pid ${lp:-none}, alive after the run: $alive"; kill -9 "$lp" 2>/dev/null; }

# a terminal: ctr -t needs one, script gives it one with a size
run script -qec "stty rows 21 cols 93; ctr --address $sock -n $ns run --rm -t $kata $image t5 sh -c 'sleep 1; tty; stty size; exit 5'" /dev/null
[ "$rc" = 5 ] && [[ $out == *"/dev/pts/0"* ]] && [[ $out == *"21 93"* ]] &&
    ok "ctr run -t: a pty in the guest, sized by ResizePty (21x93), exit code 5" ||
    { not_ok "ctr run -t: exit $rc"; printf '%s\n' "$out" | head -5 | sed 's/^/#   | /'; }

# execs in a detached task: output, exit codes, several at once, signals, a terminal
expect "ctr run -d (for execs)" 0 "" c run -d $kata $image t7 sleep 1000
expect "ctr task exec: output and exit code 7" 7 "in an exec" c task exec --exec-id x1 t7 sh -c 'echo in an exec; exit 7'
for i in 1 2 3; do
    c task exec --exec-id p$i t7 sh -c "sleep 2; echo exec $i; exit $((10 + i))" >"$scratch/p$i.out" 2>&1 &
    eval "pid$i=$!"
done
sleep 1
run c task ps t7
n_info=$(printf '%s\n' "$out" | grep -c "ExecID:p")
wait "$pid1"; r1=$?; wait "$pid2"; r2=$?; wait "$pid3"; r3=$?
if [ "$r1$r2$r3" = 111213 ] && [ "$(cat "$scratch/p1.out" "$scratch/p2.out" "$scratch/p3.out")" = "exec 1
exec 2
exec 3" ]; then
    ok "three concurrent execs: each its own output and exit code"
else
    not_ok "concurrent execs: exits $r1 $r2 $r3"; cat "$scratch"/p?.out | sed 's/^/#   | /'
fi
[ "$n_info" -ge 1 ] && ok "ctr task ps names the execs (ProcessDetails, as runc's shim)" ||
    { not_ok "ctr task ps: no exec named"; printf '%s\n' "$out" | sed 's/^/#   | /'; }
c task exec --exec-id k1 t7 sh -c 'trap "echo got TERM; exit 42" TERM; while :; do sleep 0.1; done' >"$scratch/k1.out" 2>&1 &
kpid=$!
sleep 2
expect "an exec id in use is refused (AlreadyExists)" 1 "already exists" c task exec --exec-id k1 t7 true
expect "ctr task kill --exec-id (SIGTERM)" 0 "" c task kill -s SIGTERM --exec-id k1 t7
wait "$kpid"; krc=$?
[ "$krc" = 42 ] && grep -q "got TERM" "$scratch/k1.out" && ok "the exec got SIGTERM and exited 42" ||
    { not_ok "exec kill: exit $krc"; sed 's/^/#   | /' "$scratch/k1.out"; }
run script -qec "stty rows 17 cols 71; ctr --address $sock -n $ns task exec -t --exec-id tt t7 sh -c 'sleep 1; tty; stty size; exit 3'" /dev/null
[ "$rc" = 3 ] && [[ $out == *"/dev/pts/"* ]] && [[ $out == *"17 71"* ]] &&
    ok "ctr task exec -t: a pty, sized (17x71), exit code 3" ||
    { not_ok "exec -t: exit $rc"; printf '%s\n' "$out" | head -5 | sed 's/^/#   | /'; }
c task exec --exec-id big t7 sh -c 'yes exec | head -c 3000000' >"$scratch/exec.out" 2>&1
[ "$(sha256sum <"$scratch/exec.out")" = "$(yes exec | head -c 3000000 | sha256sum)" ] &&
    ok "3 MB of an exec's stdout, intact" || not_ok "an exec's stdout: $(wc -c <"$scratch/exec.out") bytes"

# metrics: the guest cgroup's counters as cgroups v2 Metrics
run c task metrics t7
[[ $out == *pids.current* ]] && [[ $out == *memory.usage* ]] && [[ $out == *cpu.usage_usec* ]] &&
    [ "$(printf '%s\n' "$out" | awk '$1 == "memory.usage" {print ($2 > 0)}')" = 1 ] &&
    ok "ctr task metrics: pids, cpu and memory of the container's cgroup in the guest" ||
    { not_ok "ctr task metrics"; printf '%s\n' "$out" | head -20 | sed 's/^/#   | /'; }

# OOM kills in the guest's cgroup: TaskOOM before the exit, whether the kill ends the container or not
c events >"$scratch/events" 2>&1 &
events=$!
run c run --rm $kata --memory-limit 33554432 $image t10 \
    sh -c 'x=$(head -c 200000000 /dev/zero | busybox tr "\0" x); echo survived'
rc10=$rc out10=$out
run c run --rm $kata --memory-limit 33554432 $image t12 \
    sh -c 'sh -c "x=\$(head -c 200000000 /dev/zero | busybox tr \"\\0\" x)"; echo survived $?; sleep 1'
sleep 1
kill "$events"; wait "$events" 2>/dev/null
if [ "$rc10" = 137 ] && [[ $out10 != *survived* ]] && oom_then_exit t10 "$scratch/events"; then
    ok "OOM kill of the init under --memory-limit: exit 137, TaskOOM published before TaskExit"
else
    not_ok "OOM: exit $rc10"; printf '%s\n' "$out10" | tail -3 | sed 's/^/#   | /'; grep -E "oom|exit" "$scratch/events" | sed 's/^/#   ev: /'
fi
if [ "$rc" = 0 ] && [[ $out == *"survived 137"* ]] && oom_then_exit t12 "$scratch/events"; then
    ok "OOM kill of a child: the container lives on (exit 0), TaskOOM published while it runs"
else
    not_ok "OOM of a child: exit $rc"; printf '%s\n' "$out" | tail -3 | sed 's/^/#   | /'; grep -E "oom|exit" "$scratch/events" | sed 's/^/#   ev: /'
fi

# containerd restarted while the task runs: the shim keeps it, containerd reconnects
ctd_stop
ctd_start || not_ok "containerd did not restart"
run c task ls
[[ $out == *t7*RUNNING* ]] && ok "after containerd restarted: the task is still RUNNING" || not_ok "task ls after restart: $out"
expect "after containerd restarted: exec works" 0 "still here" c task exec --exec-id r1 t7 echo still here
expect "ctr task kill -a" 0 "" c task kill -a -s SIGKILL t7
for _ in $(seq 100); do [[ $(c task ls 2>/dev/null) == *"t7"*STOPPED* ]] && break; sleep 0.1; done
expect "ctr task delete" 0 "" c task delete t7
c container delete t7 >/dev/null 2>&1

# the shim killed: containerd sees the task exit and runs `delete`, which removes the keeper, QEMU and mounts
expect "ctr run -d (to lose its shim)" 0 "" c run -d $kata $image t8 sleep 1000
for s in $(shims_left); do kill -KILL "$s"; done
for _ in $(seq 100); do [[ $(c task ls 2>/dev/null) != *"t8"*RUNNING* ]] && break; sleep 0.1; done
run c task ls
[[ $out != *t8*RUNNING* ]] && ok "shim killed: containerd sees the task exit (stopped and cleaned up)" ||
    not_ok "task ls after the shim died: $out"
for _ in $(seq 50); do [ -z "$(qemu_left "katabox/shim/$ns/t8")" ] && break; sleep 0.1; done
[ -z "$(qemu_left "katabox/shim/$ns/t8")" ] && ok "shim killed: its VM is gone (containerd ran delete)" || not_ok "QEMU left after the shim died"
c task delete t8 >/dev/null 2>&1
expect "ctr container delete after the shim died" 0 "" c container delete t8
[ ! -e "/run/katabox/shim/$ns/t8" ] && ok "no state dir left" || not_ok "state dir left: /run/katabox/shim/$ns/t8"
sleep 0.5
[ -z "$(shims_left)" ] && ok "no shim left at the end" || not_ok "a shim is left"
[ -z "$(qemu_left "katabox/shim/$ns")" ] && ok "no QEMU left at the end" || not_ok "QEMU left"
[ -z "$(awk -v s="$scratch" '$2 ~ s {print $2}' /proc/mounts)" ] && ok "no mount left" || not_ok "mounts left"
done_testing
