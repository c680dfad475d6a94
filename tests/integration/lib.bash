# Shared by the integration tests: TAP output and small assertions.
# Sourced; the test then calls `done_testing` at the end.
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kb=$top/build/katabox
tap_n=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); echo "not ok $tap_n - $*"; }
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; }
done_testing() { echo "1..$tap_n"; }

# run CMD...: run it, keeping its exit code in $rc and its output in $out
run() {
    out=$("$@" 2>&1)
    rc=$?
}

# expect DESC RC SUBSTRING CMD...: the command exits RC and prints SUBSTRING
expect() {
    local desc=$1 want_rc=$2 want=$3; shift 3
    run "$@"
    if [ "$rc" = "$want_rc" ] && [[ $out == *"$want"* ]]; then
        ok "$desc"
    else
        not_ok "$desc"
        echo "#   command: $*"
        echo "#   exit $rc (want $want_rc), output (want '$want'):"
        printf '%s\n' "$out" | head -n 20 | sed 's/^/#   | /'
    fi
}

# a scratch directory this test owns and removes
scratch=$(mktemp -d /tmp/katabox-test.XXXXXX)
cleanup_scratch() { rm -rf "$scratch"; }
trap cleanup_scratch EXIT

# make_initramfs OUT LIST-LINES...: an initramfs from gen_init_cpio lines
make_initramfs() {
    local out=$1; shift
    printf '%s\n' "$@" >"$scratch/list"
    "$top/build/tools/gen_init_cpio" -t 0 "$scratch/list" | gzip -n >"$out"
}

# qemu_left PATTERN: pids of QEMU processes whose command line has PATTERN
qemu_left() { pgrep -f "qemu-system-x86_64.*$1" || true; }
