#!/usr/bin/env bash
# A pod through containerd-shim-kata-v2 with plain `ctr`: a sandbox task and
# containers whose annotations name it (as containerd's CRI plugin writes
# them) share one shim and one VM. cri.sh drives the same through CRI.
. "$(dirname "$0")/lib.bash"
. "$top/tests/integration/containerd.bash"
ctd_start || not_ok "containerd did not start"
kata="--runtime io.containerd.kata.v2"
type=io.kubernetes.cri.container-type
sid=io.kubernetes.cri.sandbox-id
member="--annotation $type=container --annotation $sid=pod1"
expect "ctr image import" 0 "" ctd_image

expect "the sandbox task starts (run -d)" 0 "" \
    c run -d $kata --annotation $type=sandbox --annotation $sid=pod1 $image pod1 sleep 100000
expect "a container joins it" 0 "" c run -d $kata $member $image c1 sh -c 'echo one >/tmp/mark; exec sleep 100000'
expect "and another, in the foreground: its output and exit code come back" 5 "hello from c2" \
    c run --rm $kata $member $image c2 sh -c 'echo hello from c2; exit 5'
# CRI names the sandbox's namespaces by host paths; in the VM they are the sandbox container's
expect "a member joins the sandbox's pid namespace (--with-ns)" 0 "sleep 100000" \
    c run --rm $kata $member --with-ns pid:/proc/1/ns/pid $image c4 busybox ps
# a member's OOM kills reach containerd as TaskOOM while it runs, the pod unharmed
c events >"$scratch/events" 2>&1 &
events=$!
run c run --rm $kata $member --memory-limit 33554432 $image c5 \
    sh -c 'sh -c "x=\$(head -c 200000000 /dev/zero | busybox tr \"\\0\" x)"; echo survived $?; sleep 1'
sleep 1
kill "$events"; wait "$events" 2>/dev/null
if [ "$rc" = 0 ] && [[ $out == *"survived 137"* ]] && oom_then_exit c5 "$scratch/events"; then
    ok "an OOM kill in a member: TaskOOM before its exit, which is 0"
else
    not_ok "OOM in a member: exit $rc"; printf '%s\n' "$out" | tail -3 | sed 's/^/#   | /'; grep -E "oom|exit" "$scratch/events" | sed 's/^/#   ev: /'
fi
n_qemu=$(qemu_left "katabox/shim/$ns/pod1" | wc -l)
n_shim=$(shim_daemons | wc -l)
[ "$n_qemu" = 1 ] && ok "one QEMU for the pod" || not_ok "$n_qemu QEMUs for the pod"
[ "$n_shim" = 1 ] && ok "one shim for the pod" || not_ok "$n_shim shims for the pod"
for _ in $(seq 50); do [[ $(c task ls 2>/dev/null) == *c1*RUNNING* ]] && break; sleep 0.1; done
expect "task ls shows both running" 0 "RUNNING" sh -c "ctr --address $sock -n $ns task ls | grep c1"
expect "exec in the member sees its own rootfs" 0 "one" c task exec --exec-id e1 c1 cat /tmp/mark
expect "the sandbox's rootfs is not the member's" 1 "" c task exec --exec-id e2 pod1 test -e /tmp/mark
expect "exec exit code from a member" 3 "" c task exec --exec-id e3 c1 sh -c 'exit 3'
run c task ps c1
[[ $out == *PID* ]] && [ "$(printf '%s\n' "$out" | wc -l)" -ge 2 ] && ok "task ps of a member" ||
    { not_ok "task ps c1"; printf '%s\n' "$out" | sed 's/^/#   | /'; }
expect "pause a member" 0 "" c task pause c1
expect "it says PAUSED" 0 "PAUSED" sh -c "ctr --address $sock -n $ns task ls | grep c1"
expect "the sandbox still runs" 0 "RUNNING" sh -c "ctr --address $sock -n $ns task ls | grep pod1"
expect "resume it" 0 "" c task resume c1
expect "metrics of a member" 0 "memory" c task metrics c1

# the member ends first, as CRI stops a pod
expect "kill the member" 0 "" c task kill -s KILL c1
for _ in $(seq 100); do [[ $(c task ls 2>/dev/null) == *c1*STOPPED* ]] && break; sleep 0.1; done
expect "it stopped" 0 "STOPPED" sh -c "ctr --address $sock -n $ns task ls | grep c1"
expect "delete its task" 0 "" c task rm c1
expect "and the container" 0 "" c container rm c1
[ "$(shim_daemons | wc -l)" = 1 ] && ok "the pod's shim stays for the sandbox" || not_ok "the shim went"
expect "a container joins again under the same name" 0 "" c run -d $kata $member $image c1 sleep 100000
# the sandbox ends the pod: the member it still has is gone with the VM
expect "kill the sandbox" 0 "" c task kill -s KILL pod1
for _ in $(seq 200); do [[ $(c task ls 2>/dev/null) == *c1*STOPPED* ]] && break; sleep 0.1; done
expect "the member stopped with the VM" 0 "STOPPED" sh -c "ctr --address $sock -n $ns task ls | grep c1"
expect "delete the member" 0 "" c task rm c1
expect "delete the sandbox" 0 "" c task rm pod1
c container rm c1 pod1 >/dev/null 2>&1
for _ in $(seq 50); do [ -z "$(shims_left)" ] && break; sleep 0.1; done
[ -z "$(shims_left)" ] && ok "no shim left" || not_ok "a shim is left"
[ -z "$(qemu_left "katabox/shim/$ns")" ] && ok "no QEMU left" || not_ok "QEMU left"
[ -z "$(state_left)" ] && ok "no state left" || not_ok "state left: $(state_left)"
grep -q "$scratch" /proc/mounts && not_ok "a mount is left" || ok "no mount left"
expect "a container naming no running sandbox is refused" 1 "pod1" c run --rm $kata $member $image c3 true
done_testing
