#!/usr/bin/env bash
# The initramfs's /init is the very binary the host runs.
. "$(dirname "$0")/lib.bash"

initrd=$top/build/initramfs.cpio.gz
mkdir "$scratch/x"
if (cd "$scratch/x" && gzip -dc "$initrd" | cpio -id --quiet 2>/dev/null); then
    ok "initramfs unpacks"
else
    not_ok "initramfs unpacks"
fi
cmp -s "$scratch/x/init" "$kb" && ok "/init is byte-identical to build/katabox" \
    || not_ok "/init is byte-identical to build/katabox"
run sh -c "gzip -dc '$initrd' | cpio -itv --quiet"
[[ $out == *"crw-------"*"5,"*"1"*"dev/console"* ]] && ok "/dev/console is char device 5,1" \
    || not_ok "/dev/console is char device 5,1 ($out)"
[[ $out == *"-rwxr-xr-x"*" init"* ]] && ok "/init is an executable regular file" \
    || not_ok "/init is an executable regular file"
entries=$(printf '%s\n' "$out" | wc -l)
[ "$entries" -le 10 ] && ok "initramfs holds only what it needs ($entries entries)" \
    || not_ok "initramfs holds only what it needs ($entries entries)"
a=$(sha256sum <"$initrd")
"$top/build/tools/gen_init_cpio" -t 0 <(sed "s|@KATABOX@|$kb|" "$top/initramfs/initramfs.list") \
    | gzip -9n >"$scratch/again.gz"
[ "$a" = "$(sha256sum <"$scratch/again.gz")" ] && ok "initramfs is reproducible" \
    || not_ok "initramfs is reproducible"
done_testing
