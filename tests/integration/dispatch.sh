#!/usr/bin/env bash
# Every name of the multi-call binary reaches its role.
. "$(dirname "$0")/lib.bash"

run file "$kb"
[[ $out == *"statically linked"* ]] && ok "build/katabox is statically linked" \
    || not_ok "build/katabox is statically linked ($out)"

for name in containerd-shim-kata-v2 kata-runtime kata-agent kata-image; do
    link=$top/build/bin/$name
    [ "$(readlink "$link")" = ../katabox ] && ok "build/bin/$name links to ../katabox" \
        || not_ok "build/bin/$name links to ../katabox"
    expect "$name --version reports katabox and its parts" 0 "katabox $(cat "$top/VERSION")" "$link" --version
    for part in commit: musl: BearSSL: libarchive: zlib: yajl: libseccomp: "guest kernel:"; do
        [[ $out == *"$part"* ]] || { not_ok "$name --version names $part"; continue 2; }
    done
    ok "$name --version names commit, musl, BearSSL, libarchive, zlib, yajl, guest kernel"
done

expect "kata-runtime is the runtime CLI" 0 "usage: kata-runtime" "$top/build/bin/kata-runtime" --help
expect "kata-runtime check reports the accelerator" 0 "accelerator:" "$top/build/bin/kata-runtime" check
expect "kata-runtime: unknown command is a usage error" 2 "unknown command 'frobnicate'" \
    "$top/build/bin/kata-runtime" frobnicate
expect "kata-runtime: runc verbs not yet here say so" 1 "'checkpoint' is not implemented yet" \
    "$top/build/bin/kata-runtime" checkpoint
expect "containerd-shim-kata-v2 is the shim: flags, then start or delete" 1 \
    "containerd-shim-kata-v2: no command (start or delete)" \
    "$top/build/bin/containerd-shim-kata-v2" -namespace default -id x
expect "containerd-shim-kata-v2 -v prints the version" 0 "katabox " \
    "$top/build/bin/containerd-shim-kata-v2" -v
expect "kata-agent is the agent, and refuses to run outside a VM" 1 "runs only as PID 1" \
    "$top/build/bin/kata-agent"
expect "kata-image is the image tool" 1 "katabox: kata-image:" "$top/build/bin/kata-image" pull x

expect "katabox --list lists the applets" 0 "containerd-shim-kata-v2" "$kb" --list
[ "$(printf '%s\n' "$out" | tr '\n' ' ')" = "boot containerd-shim-kata-v2 init kata-agent kata-image kata-runtime " ] \
    && ok "katabox --list is exactly the sorted applet list" || not_ok "katabox --list is exactly the sorted applet list ($out)"
expect "katabox APPLET runs the applet" 0 "usage: kata-runtime" "$kb" kata-runtime --help
expect "katabox --version" 0 "katabox $(cat "$top/VERSION")" "$kb" --version
expect "katabox alone prints usage and exits 2" 2 "usage: katabox APPLET" "$kb"
expect "unknown applet exits 2 and lists the applets" 2 "unknown applet 'nosuch'" "$kb" nosuch
[[ $out == *kata-runtime* ]] && ok "the unknown-applet error lists the applets" \
    || not_ok "the unknown-applet error lists the applets"
ln -s "$kb" "$scratch/frob"
expect "a link with an unknown name exits 2" 2 "unknown applet 'frob'" "$scratch/frob"
expect "boot: a bad option is one clear line" 1 "katabox: boot: unknown option '--bogus'" "$kb" boot --bogus
expect "boot: a bad value names the option" 1 "--cpus 0: expected a number" "$kb" boot --cpus 0
done_testing
