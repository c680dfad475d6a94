#!/usr/bin/env bash
# The whole test suite: unit tests (musl, then ASan/UBSan), fuzz targets
# (briefly), and the integration tests against real QEMU. Every test speaks
# TAP; the last line printed is "N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
fuzz_seconds=${KATABOX_FUZZ_SECONDS:-20}
logdir=$top/build/tests/logs
mkdir -p "$logdir"
passed=0 failed=0 skipped=0

# run_tap NAME CMD...: run one TAP producer and count its results; a
# producer that dies or plans more results than it gave counts as a failure
run_tap() {
    local name=$1; shift
    local log=$logdir/${name//\//_}.log rc p=0 f=0 s=0 plan=
    "$@" >"$log" 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
            "not ok "*) f=$((f + 1)); printf '  %s: %s\n' "$name" "$line" ;;
            "ok "*"# SKIP"*) s=$((s + 1)) ;;
            "ok "*) p=$((p + 1)) ;;
            1..*) plan=${line#1..} ;;
        esac
    done <"$log"
    if [ -z "$plan" ] || [ $((p + f + s)) -ne "$plan" ] || { [ $rc -ne 0 ] && [ $f -eq 0 ]; }; then
        printf '  %s: exited %d after %d results (plan %s); log: %s\n' "$name" $rc $((p + f + s)) \
            "${plan:-none}" "$log"
        f=$((f + 1))
        tail -n 15 "$log" | sed 's/^/    | /'
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    printf '%-40s %3d passed, %d failed%s\n' "$name" $p $f "$([ $s -gt 0 ] && echo ", $s skipped")"
}

# fuzz NAME: run a libFuzzer target for a while on its seed corpus
run_fuzz() {
    local bin=$1 name; name=$(basename "$1")
    local corpus=$top/build/tests/fuzz-corpus/$name
    mkdir -p "$corpus"
    "$bin" -max_total_time="$fuzz_seconds" -timeout=5 -rss_limit_mb=1024 \
        -artifact_prefix="$top/build/tests/logs/$name-" \
        "$corpus" "$top/tests/fuzz/corpus/$name" >"$logdir/fuzz-$name.log" 2>&1
}
fuzz_tap() {
    local bin=$1
    if run_fuzz "$bin"; then
        echo "ok 1 - $(basename "$bin"): $(grep -o 'Done [0-9]* runs' "$logdir/fuzz-$(basename "$bin").log")"
    else
        echo "not ok 1 - $(basename "$bin") found a crash (artifacts in build/tests/logs)"
        tail -n 30 "$logdir/fuzz-$(basename "$bin").log"
    fi
    echo "1..1"
}

echo "== building test binaries"
if ! make -s -j"$(nproc)" unit asan fuzz >"$logdir/build.log" 2>&1; then
    cat "$logdir/build.log"
    echo "build of the tests failed"
    echo "0 passed, 1 failed"
    exit 1
fi

echo "== unit tests (musl, static)"
for t in build/tests/unit/test_*; do run_tap "unit/$(basename "$t")" "$t"; done
echo "== unit tests (ASan + UBSan)"
for t in build/tests/asan/test_*; do run_tap "asan/$(basename "$t")" "$t"; done
echo "== fuzz targets (${fuzz_seconds}s each)"
for t in build/tests/fuzz/fuzz_*; do run_tap "fuzz/$(basename "$t")" fuzz_tap "$t"; done
echo "== OCI differential tests (runc against katabox, tests/oci/EXPECTED.md)"
run_tap "oci/difftest" python3 tests/oci/difftest.py
echo "== integration tests"
for t in tests/integration/*.sh; do run_tap "integration/$(basename "$t" .sh)" bash "$t"; done

echo "$passed passed, $failed failed$([ $skipped -gt 0 ] && echo ", $skipped skipped")"
[ $failed -eq 0 ]
