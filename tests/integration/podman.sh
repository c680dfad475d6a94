#!/usr/bin/env bash
# podman 4.3 with conmon driving kata-runtime, each scenario also under
# runc in the same test: the image comes from a docker-archive this test
# builds (busybox-static, no network) and `podman load`; podman gets a
# private root, run root and tmpdir (vfs storage: no host mounts to leak).
. "$(dirname "$0")/lib.bash"
kr=$top/build/bin/kata-runtime
if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
    skip "podman and conmon are not installed (build.sh test installs them)"
    done_testing
    exit 0
fi
have_runc=$(command -v runc || true)
exec </dev/null
# podman gives the runtime no --root: ours is then /run/katabox
state_before=$(ls /run/katabox 2>/dev/null)

# the image: one layer, busybox and its links, a file in /tmp and /etc/cfg
img=$scratch/img
mkdir -p "$img/rootfs/bin" "$img/rootfs/tmp" "$img/rootfs/etc/cfg" "$img/rootfs/vol"
cp /bin/busybox "$img/rootfs/bin/"
for a in sh cat echo id pwd sleep touch grep ls stty test wc head true; do ln -s busybox "$img/rootfs/bin/$a"; done
echo seeded >"$img/rootfs/tmp/seed"
echo config >"$img/rootfs/etc/cfg/a"
tar --sort=name --mtime=@0 --owner=0 --group=0 -C "$img/rootfs" -cf "$img/layer.tar" .
layer=$(sha256sum "$img/layer.tar" | cut -d' ' -f1)
mkdir "$img/$layer" && mv "$img/layer.tar" "$img/$layer/layer.tar"
jq -n --arg l "sha256:$layer" '{architecture: "amd64", os: "linux",
    config: {Cmd: ["sh"], Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
    rootfs: {type: "layers", diff_ids: [$l]}}' >"$img/config.json"
cfg=$(sha256sum "$img/config.json" | cut -d' ' -f1)
mv "$img/config.json" "$img/$cfg.json"
jq -n --arg c "$cfg.json" --arg l "$layer/layer.tar" \
    '[{Config: $c, RepoTags: ["localhost/kbtest:latest"], Layers: [$l]}]' >"$img/manifest.json"
tar -C "$img" -cf "$scratch/image.tar" manifest.json "$cfg.json" "$layer/layer.tar"

pm() {
    podman --root "$scratch/storage" --runroot "$scratch/run" --tmpdir "$scratch/tmp" \
        --storage-driver vfs --cgroup-manager cgroupfs --events-backend file "$@"
}
cleanup() {
    pm rm -af -t 0 >/dev/null 2>&1
    cleanup_scratch
}
trap cleanup EXIT
expect "podman load takes the image tarball" 0 "localhost/kbtest:latest" pm load -i "$scratch/image.tar"

# the host's hard limits are below podman's defaults (1048576 open files):
# runc may not raise them, so both get limits this host allows
opts=(--rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

# both DESC ARGS...: `podman run ARGS` under katabox and runc; same output and status
both() {
    local desc=$1; shift
    kout=$(pm --runtime "$kr" run "${opts[@]}" "$@" 2>&1); krc=$?
    if [ -z "$have_runc" ]; then
        [ $krc -ne 125 ] && [ $krc -ne 126 ] && ok "$desc (exit $krc; no runc to compare)" ||
            not_ok "$desc (exit $krc: $kout)"
        return
    fi
    rout=$(pm --runtime runc run "${opts[@]}" "$@" 2>&1); rrc=$?
    if [ "$kout" = "$rout" ] && [ $krc = $rrc ]; then
        ok "$desc (exit $krc, same as runc)"
    else
        not_ok "$desc"
        echo "#   katabox exit $krc:"; printf '%s\n' "$kout" | head -8 | sed 's/^/#   | /'
        echo "#   runc exit $rrc:"; printf '%s\n' "$rout" | head -8 | sed 's/^/#   | /'
    fi
}

both "run --rm: output" localhost/kbtest echo hello from podman
both "run --rm: the exit status" localhost/kbtest sh -c 'exit 7'
kout=$(echo piped-in | pm --runtime "$kr" run -i "${opts[@]}" localhost/kbtest cat 2>&1)
[ "$kout" = piped-in ] && ok "run -i: stdin reaches the container" || not_ok "run -i: '$kout'"
both "run -e -w -u" -e FOO=bar -w /tmp -u 1000:1000 localhost/kbtest sh -c 'echo $FOO; pwd; id'
both "run --read-only: / refuses writes, /tmp (tmpcopyup) keeps the image's files" --read-only \
    localhost/kbtest sh -c 'cat /tmp/seed; touch /x 2>&1; echo rc=$?; touch /tmp/y && echo tmp-writable'
both "run --tmpfs: mounted, and copied up from the image" --tmpfs /scratch --tmpfs /etc/cfg \
    localhost/kbtest sh -c 'grep -c " /scratch tmpfs" /proc/mounts; cat /etc/cfg/a'
both "/etc/hostname and /etc/hosts come from the host's files" --hostname kbhost \
    localhost/kbtest sh -c 'cat /etc/hostname; grep -c kbhost /etc/hosts'

mkdir -p "$scratch/vol"
echo from-host >"$scratch/vol/in"
kout=$(pm --runtime "$kr" run "${opts[@]}" -v "$scratch/vol:/data" localhost/kbtest \
    sh -c 'cat /data/in; echo from-guest >/data/out' 2>&1)
[ "$kout" = from-host ] && [ "$(cat "$scratch/vol/out" 2>/dev/null)" = from-guest ] &&
    ok "run -v: a host directory is read and written from the VM" ||
    not_ok "run -v: '$kout', out: $(cat "$scratch/vol/out" 2>&1)"

kout=$(script -qec "podman --root $scratch/storage --runroot $scratch/run --tmpdir $scratch/tmp \
    --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --runtime $kr \
    run ${opts[*]} -t localhost/kbtest sh -c 'test -t 0 && test -t 1 && echo on-a-tty'" /dev/null | tr -d '\r')
[[ $kout == *on-a-tty* ]] && ok "run -t: stdin and stdout are a terminal" || not_ok "run -t: '$kout'"

# podman exec through conmon (exec -d --pid-file --process under it)
for rt in "$kr" ${have_runc:+runc}; do
    name=$(basename "$rt")
    id=$(pm --runtime "$rt" run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
        localhost/kbtest sleep 1000)
    out=$(pm exec "$id" sh -c 'echo in-exec; exit 4' 2>&1); rc=$?
    [ "$out" = in-exec ] && [ $rc = 4 ] && ok "$name: podman exec: output and status" ||
        not_ok "$name: podman exec: exit $rc, '$out'"
    out=$(echo data | pm exec -i "$id" cat 2>&1)
    [ "$out" = data ] && ok "$name: podman exec -i" || not_ok "$name: podman exec -i: '$out'"
    out=$(pm exec -u 1000 -w /tmp -e A=b "$id" sh -c 'id -u; pwd; echo $A' 2>&1 | tr '\n' ' ')
    [ "$out" = "1000 /tmp b " ] && ok "$name: podman exec -u -w -e" || not_ok "$name: podman exec -u -w -e: '$out'"
    out=$(script -qec "podman --root $scratch/storage --runroot $scratch/run --tmpdir $scratch/tmp \
        --storage-driver vfs --cgroup-manager cgroupfs --events-backend file \
        exec -t $id sh -c 'test -t 0 && echo on-a-tty'" /dev/null | tr -d '\r')
    [[ $out == *on-a-tty* ]] && ok "$name: podman exec -t" || not_ok "$name: podman exec -t: '$out'"
    for i in 1 2 3; do pm exec "$id" sh -c "sleep 1; exit $i" & ep[$i]=$!; done
    good=0
    for i in 1 2 3; do wait ${ep[$i]}; [ $? = $i ] && good=$((good + 1)); done
    [ $good = 3 ] && ok "$name: 3 podman execs at once" || not_ok "$name: 3 podman execs at once: $good"
    pm pause "$id" >/dev/null && [ "$(pm inspect -f '{{.State.Status}}' "$id")" = paused ] &&
        pm unpause "$id" >/dev/null && [ "$(pm inspect -f '{{.State.Status}}' "$id")" = running ] &&
        [ "$(pm exec "$id" echo thawed 2>&1)" = thawed ] && ok "$name: podman pause, unpause" ||
        not_ok "$name: podman pause, unpause"
    pm rm -f -t 0 "$id" >/dev/null
done

# detached: logs, stop (SIGTERM reaches the container's trap), restart, kill, rm
for rt in "$kr" ${have_runc:+runc}; do
    name=$(basename "$rt")
    id=$(pm --runtime "$rt" run -d --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
        localhost/kbtest sh -c 'echo started; trap "echo got-term; exit 5" TERM; while true; do sleep 0.2; done')
    for _ in $(seq 100); do pm logs "$id" 2>/dev/null | grep -q started && break; sleep 0.1; done
    pm logs "$id" | grep -q started && ok "$name: run -d, then logs" || not_ok "$name: run -d, then logs"
    pm stop -t 20 "$id" >/dev/null
    code=$(pm inspect -f '{{.State.ExitCode}}' "$id")
    [ "$code" = 5 ] && pm logs "$id" | grep -q got-term && ok "$name: stop: the container's TERM trap ran (exit 5)" ||
        not_ok "$name: stop: exit $code, logs: $(pm logs "$id" 2>&1 | tail -3)"
    pm restart "$id" >/dev/null 2>&1
    [ "$(pm inspect -f '{{.State.Status}}' "$id")" = running ] && ok "$name: restart" || not_ok "$name: restart"
    pm kill -s KILL "$id" >/dev/null
    code=$(pm wait "$id")
    [ "$code" = 137 ] && ok "$name: kill -s KILL: exit 137" || not_ok "$name: kill: exit '$code'"
    pm rm "$id" >/dev/null && ok "$name: rm" || not_ok "$name: rm"
done

[ "$(ls /run/katabox 2>/dev/null)" = "$state_before" ] && ok "no state dir left in /run/katabox" ||
    not_ok "state dirs left: $(comm -13 <(echo "$state_before") <(ls /run/katabox))"
[ -z "$(qemu_left "$scratch")" ] && [ -z "$(pgrep -f "qemu-system-x86_64.*storage/vfs")" ] &&
    ok "no QEMU left" || not_ok "no QEMU left"
[ -z "$(grep " $scratch" /proc/self/mountinfo)" ] && ok "no mount left under the test's directory" ||
    not_ok "mounts left: $(grep -c " $scratch" /proc/self/mountinfo)"
done_testing
