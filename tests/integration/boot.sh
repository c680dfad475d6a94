#!/usr/bin/env bash
# Boot real VMs under QEMU: a good boot reaches the agent and powers off;
# a guest that panics, loses PID 1 or hangs never leaves QEMU behind.
. "$(dirname "$0")/lib.bash"

# a private copy of the initramfs: its path marks our QEMU processes
cp "$top/build/initramfs.cpio.gz" "$scratch/good.cpio.gz"

# QEMU's agent socket goes under $TMPDIR: a private one shows what is left behind
mkdir "$scratch/tmp"
export TMPDIR=$scratch/tmp
expect "boot: the VM reaches the agent over hybrid vsock (the default here) and powers off cleanly" 0 \
    "agent on hybrid-vsock (/dev/vhost-vsock: " "$kb" boot --initrd "$scratch/good.cpio.gz" --console-log "$scratch/console.log"
printf '# %s\n' "$out"
[[ $out =~ ([0-9]+\.[0-9]+)\ s\ guest\ time ]] && ok "boot reports the guest time (${BASH_REMATCH[1]} s)" \
    || not_ok "boot reports the guest time"
grep -q "katabox-agent:" "$scratch/console.log" \
    && not_ok "with vsock the agent keeps off the console" \
    || ok "with vsock the agent keeps off the console"
[ -z "$(ls -A "$scratch/tmp")" ] && ok "the agent sockets' directory is removed" \
    || not_ok "the agent sockets' directory is removed ($(ls -A "$scratch/tmp"))"
expect "boot --transport virtio-serial: the fallback still works" 0 \
    "agent on virtio-serial (chosen by configuration)]" \
    "$kb" boot --initrd "$scratch/good.cpio.gz" --transport virtio-serial
KATABOX_TRANSPORT=virtio-serial expect "KATABOX_TRANSPORT picks the transport" 0 \
    "agent on virtio-serial (chosen by configuration)]" "$kb" boot --initrd "$scratch/good.cpio.gz"
expect "an unknown transport is refused with the choices" 1 "unknown agent transport 'pigeon'" \
    "$kb" boot --initrd "$scratch/good.cpio.gz" --transport pigeon
[ -z "$(qemu_left "$scratch")" ] && ok "no QEMU left after a clean boot" || not_ok "no QEMU left after a clean boot"

expect "boot --console-channel: the agent answers on the serial console" 0 "agent on console]" \
    "$kb" boot --initrd "$scratch/good.cpio.gz" --console-channel --console-log "$scratch/console2.log"
grep -q "katabox-agent: ready boottime_ns=[0-9]* version=$(cat "$top/VERSION")" "$scratch/console2.log" \
    && ok "the console log has the agent's ready line" || not_ok "the console log has the agent's ready line"
grep -q "katabox-agent: power-off" "$scratch/console2.log" \
    && ok "the console log has the agent's power-off line" || not_ok "the console log has the agent's power-off line"

expect "boot: q35 with 2 vCPUs works too" 0 "[tcg, q35, 2 vCPU, 256 MiB, agent on hybrid-vsock" \
    "$kb" boot --initrd "$scratch/good.cpio.gz" --machine q35 --cpus 2 --memory 256

# a guest without /init: the kernel panics; panic=-1 and -no-reboot end QEMU
make_initramfs "$scratch/noinit.cpio.gz" "dir /dev 0755 0 0" "nod /dev/console 0600 0 0 c 5 1"
t0=$SECONDS
expect "a kernel panic ends QEMU and is reported" 1 "Kernel panic" \
    "$kb" boot --initrd "$scratch/noinit.cpio.gz" --timeout 120
[[ $out == *"the guest never got ready"* ]] && ok "the panic is reported as an exit before ready" \
    || not_ok "the panic is reported as an exit before ready"
[ $((SECONDS - t0)) -lt 60 ] && ok "the panic ended QEMU without waiting for the time-out" \
    || not_ok "the panic ended QEMU without waiting for the time-out"

# PID 1 that exits, and PID 1 that hangs: a script run by busybox-static
printf '#!/bin/busybox sh\necho "init: giving up"\nexit 3\n' >"$scratch/die"
printf '#!/bin/busybox sh\necho "init: hanging"\nexec /bin/busybox sleep 1000\n' >"$scratch/hang"
for kind in die hang; do
    make_initramfs "$scratch/$kind.cpio.gz" "dir /dev 0755 0 0" "nod /dev/console 0600 0 0 c 5 1" \
        "dir /bin 0755 0 0" "file /bin/busybox /bin/busybox 0755 0 0" "file /init $scratch/$kind 0755 0 0"
done
expect "a dying PID 1 ends QEMU and is reported" 1 "Attempted to kill init" \
    "$kb" boot --initrd "$scratch/die.cpio.gz" --timeout 120
[[ $out == *"init: giving up"* ]] && ok "the error quotes the guest's last words" \
    || not_ok "the error quotes the guest's last words"
expect "a guest that never gets ready times out" 1 "not ready within 8000 ms" \
    "$kb" boot --initrd "$scratch/hang.cpio.gz" --timeout 8
[ -z "$(qemu_left "$scratch")" ] && ok "no QEMU left after the failures" || not_ok "no QEMU left after the failures"
[ -z "$(ls -A "$scratch/tmp")" ] && ok "no state directory left after the failures" \
    || not_ok "no state directory left after the failures ($(ls -A "$scratch/tmp"))"

expect "an agent told to expect a port that is not there says so and stops" 1 \
    "no virtio-serial port named katabox.agent" \
    "$kb" boot --initrd "$scratch/good.cpio.gz" --console-channel --append katabox.agent_port=1 --timeout 60
expect "a missing kernel is QEMU's clear error" 1 "/nonexistent/bzImage" \
    "$kb" boot --kernel /nonexistent/bzImage --initrd "$scratch/good.cpio.gz"
expect "a missing initrd is named" 1 "/nonexistent/initrd" "$kb" boot --initrd /nonexistent/initrd
done_testing
