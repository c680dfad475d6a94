#!/usr/bin/env bash
# kata-runtime's command line, compared with runc's where runc is installed.
. "$(dirname "$0")/lib.bash"
rt=$top/build/bin/kata-runtime

mkdir "$scratch/b"
expect "spec writes config.json into --bundle" 0 "" "$rt" spec --bundle "$scratch/b"
[ -s "$scratch/b/config.json" ] && ok "config.json is there" || not_ok "config.json is there"
expect "spec refuses to overwrite, as runc does" 1 "config.json exists. Remove it first" "$rt" spec -b "$scratch/b"
expect "spec --rootless is refused clearly" 1 "rootless containers are not supported" "$rt" spec --rootless
expect "spec: unknown option" 2 "unknown option '--frob'" "$rt" spec --frob
if command -v runc >/dev/null; then
    mkdir "$scratch/r"
    (cd "$scratch/r" && runc spec)
    if diff <(sed 's/"hostname": "runc"/"hostname": "katabox"/' "$scratch/r/config.json") "$scratch/b/config.json" >"$scratch/diff"; then
        ok "the default spec is runc's but for the hostname"
    else
        not_ok "the default spec is runc's but for the hostname"; sed 's/^/#   /' "$scratch/diff"
    fi
else
    skip "runc is not installed"
fi
done_testing
