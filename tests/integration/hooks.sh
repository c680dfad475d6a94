#!/usr/bin/env bash
# OCI hooks, kata-runtime against runc on the same bundle: every kind runs,
# in order, with the state JSON on stdin (compared field by field), its args
# and env exactly; startContainer runs in the container; a failing
# createRuntime fails create and leaves nothing; a failing poststop is a
# warning; a timeout kills the hook.
. "$(dirname "$0")/lib.bash"
kr=$top/build/bin/kata-runtime
have_runc=$(command -v runc || true)
exec </dev/null
log=$scratch/log
mkdir -p "$log"
chmod 755 "$scratch"

bundle=$scratch/b
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/tmp"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for a in sh echo cat sleep; do ln -s busybox "$bundle/rootfs/bin/$a"; done

# hook KIND [EXIT]: a host hook recording its stdin, argv and env under $log/RT/
hook() {
    jq -n --arg kind "$1" --arg log "$log" --arg code "${2:-0}" '{path: "/bin/sh",
        args: ["sh", "-c", "d=\($log)/$RT; cat >$d/\($kind).json; echo \"$0 $1 X=$X RT=$RT\" >$d/\($kind).argv; echo \($kind) >>$d/order; exit \($code)", "hook-\($kind)", "arg1"],
        env: ["X=\($kind)", "RT=RTNAME"]}'
}
config() { # config FILTER: the bundle's config.json with every hook, then FILTER
    "$kr" spec -b "$bundle" 2>/dev/null || { rm -f "$bundle/config.json"; "$kr" spec -b "$bundle"; }
    jq --argjson pre "$(hook prestart)" --argjson cr "$(hook createRuntime)" \
       --argjson cc "$(hook createContainer)" --argjson ps "$(hook poststart)" \
       --argjson pst "$(hook poststop)" '.process.terminal = false |
       .process.args = ["sh", "-c", "cat /dev/shm/start.json; echo; echo container ran"] |
       .annotations = {"org.example.hooks": "yes"} |
       .hooks = {prestart: [$pre], createRuntime: [$cr], createContainer: [$cc], poststart: [$ps],
                 poststop: [$pst],
                 startContainer: [{path: "/bin/sh", args: ["sh", "-c", "cat >/dev/shm/start.json; echo startContainer $0", "in-guest"]}]} | '"$1" \
       "$bundle/config.json" >"$scratch/c" && mv "$scratch/c" "$bundle/config.json"
}
# for_rt RT: the hooks of RT write to $log/RT (the env names it)
for_rt() { mkdir -p "$log/$1"; rm -f "$log/$1"/*; sed -i "s/\"RT=[A-Za-z]*\"/\"RT=$1\"/g" "$bundle/config.json"; }

# the state a hook got, without what differs by nature: the pid's value, the state dir
norm() { jq -cS '.pid = (if .pid then "set" else "none" end)' "$1" 2>/dev/null || echo "bad JSON: $(cat "$1")"; }

rt_cmd() { if [ "$1" = kata ]; then shift; "$kr" --root "$scratch/kroot" "$@"; else shift; runc --root "$scratch/rroot" "$@"; fi; }

config '.'
rts=(kata)
[ -n "$have_runc" ] && rts+=(runc)
for rt in "${rts[@]}"; do
    for_rt "$rt"
    rt_cmd "$rt" create -b "$bundle" "h-$rt" >"$scratch/create.$rt" 2>&1 || echo "create failed: $(cat "$scratch/create.$rt")" >>"$log/$rt/errors"
    rt_cmd "$rt" start "h-$rt" >>"$scratch/create.$rt" 2>&1
    for _ in $(seq 100); do [ "$(rt_cmd "$rt" state "h-$rt" 2>/dev/null | jq -r .status)" = stopped ] && break; sleep 0.1; done
    rt_cmd "$rt" delete "h-$rt" >>"$scratch/create.$rt" 2>&1
done

order=$(tr '\n' ' ' <"$log/kata/order")
if [ "$order" = "prestart createRuntime createContainer poststart poststop " ]; then
    ok "create/start/delete: every host hook ran, in order ($order)"
else
    not_ok "create/start/delete: host hooks in order"; echo "#   got: $order"; cat "$log/kata/errors" 2>/dev/null | sed 's/^/#   /'
fi
if [ "$(cat "$log/kata/prestart.argv")" = "hook-prestart arg1 X=prestart RT=kata" ]; then
    ok "a hook gets exactly its args and env"
else
    not_ok "a hook gets exactly its args and env"; echo "#   got: $(cat "$log/kata/prestart.argv")"
fi
for k in prestart createRuntime createContainer poststart poststop; do
    got=$(norm "$log/kata/$k.json")
    if [ -z "$have_runc" ]; then
        want='(runc not installed)'
        [[ $got == *'"id":"h-kata"'* ]] && ok "$k: state JSON $got $want" || not_ok "$k: state JSON $got"
        continue
    fi
    want=$(norm "$log/runc/$k.json" | sed 's/h-runc/h-kata/')
    # runc 1.1 tells poststart "created"; the runtime spec's state after start is "running"
    [ "$k" = poststart ] && want=${want/'"status":"created"'/'"status":"running"'}
    if [ "$got" = "$want" ]; then
        ok "$k: the same state JSON as runc's ($got)"
    else
        not_ok "$k: the state JSON differs from runc's"; echo "#   kata: $got"; echo "#   runc: $want"
    fi
done
# the foreground form: hooks around a container whose output shows what startContainer got
for rt in "${rts[@]}"; do
    for_rt "$rt"
    rt_cmd "$rt" run -b "$bundle" "hr-$rt" >"$scratch/run.$rt" 2>&1
    echo "exit $?" >>"$scratch/run.$rt"
done
korder=$(tr '\n' ' ' <"$log/kata/order")
if [ "$korder" = "prestart createRuntime createContainer poststart poststop " ] &&
   grep -q "^container ran" "$scratch/run.kata" && grep -q "^exit 0" "$scratch/run.kata"; then
    ok "run: every host hook ran, in order, around the container"
else
    not_ok "run: host hooks around the container"; echo "#   order: $korder"; sed 's/^/#   | /' "$scratch/run.kata" | head
fi
kstate=$(grep '^{' "$scratch/run.kata" | head -1 | jq -cS '.pid = (if .pid then .pid else "none" end) | .id = "ID"' 2>/dev/null)
if [ -n "$have_runc" ]; then
    rstate=$(grep '^{' "$scratch/run.runc" | head -1 | jq -cS '.pid = (if .pid then .pid else "none" end) | .id = "ID"' 2>/dev/null)
else
    rstate='(runc not installed)'
fi
if [ -n "$kstate" ] && { [ -z "$have_runc" ] || [ "$kstate" = "$rstate" ]; }; then
    ok "startContainer runs in the container, before the program, with the state JSON (pid 1): $kstate"
else
    not_ok "startContainer in the container"; echo "#   kata: $kstate"; echo "#   runc: $rstate"
fi

# a failing createRuntime: create fails, naming the hook; nothing is left
config '.hooks.createRuntime[0].args[2] = "exit 3"'
for_rt kata
expect "a failing createRuntime hook fails create, naming it" 1 "hooks.createRuntime[0]" \
    "$kr" --root "$scratch/kroot" create -b "$bundle" fail1
if [ ! -e "$scratch/kroot/fail1" ] && [ -z "$(qemu_left "$scratch/kroot/fail1")" ]; then
    ok "nothing is left of it: no state, no QEMU"
else
    not_ok "something is left after a failed createRuntime"; ls -la "$scratch/kroot/fail1" 2>&1 | sed 's/^/#   /'
fi
if [ -n "$have_runc" ]; then
    expect "runc refuses it too" 1 "error running hook" runc --root "$scratch/rroot" create -b "$bundle" fail1r
    runc --root "$scratch/rroot" delete -f fail1r >/dev/null 2>&1
fi

# a failing poststop: a warning, delete goes on
config '.hooks.poststop[0].args[2] = "exit 4"'
for_rt kata
"$kr" --root "$scratch/kroot" create -b "$bundle" warn1 >/dev/null 2>&1
"$kr" --root "$scratch/kroot" start warn1 >/dev/null 2>&1
for _ in $(seq 100); do [ "$("$kr" --root "$scratch/kroot" state warn1 2>/dev/null | jq -r .status)" = stopped ] && break; sleep 0.1; done
expect "a failing poststop hook is a warning; delete succeeds" 0 "warning: hooks.poststop[0]" \
    "$kr" --root "$scratch/kroot" delete warn1
[ ! -e "$scratch/kroot/warn1" ] && ok "and the container is gone" || not_ok "the container is still there"

# a hook that overstays its timeout is killed
config '.hooks.prestart[0] = {path: "/bin/sh", args: ["sh", "-c", "sleep 30"], timeout: 1}'
for_rt kata
t0=$SECONDS
expect "a hook past its timeout is killed, create fails" 1 "timed out after 1 s" \
    "$kr" --root "$scratch/kroot" create -b "$bundle" slow1
[ $((SECONDS - t0)) -lt 20 ] && ok "within its timeout, not the hook's 30 s" || not_ok "the timeout took $((SECONDS - t0)) s"
pgrep -f "sleep 30" >/dev/null && not_ok "the hook's process is left" || ok "no hook process left"

config '.hooks.prestart[0].timeout = 0'
expect "a timeout of 0 is refused, naming the field" 1 "hooks.prestart[0].timeout" \
    "$kr" --root "$scratch/kroot" create -b "$bundle" zero1
[ -z "$(qemu_left "$scratch/kroot")" ] && ok "no QEMU left" || not_ok "QEMU left: $(qemu_left "$scratch/kroot")"
done_testing
