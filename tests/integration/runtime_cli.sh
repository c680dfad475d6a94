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
# features: runc's shape; only what katabox does (every hook, seccomp without notify, no LSM)
if f=$("$top/build/bin/kata-runtime" features) && jq -e '.ociVersionMax and (.hooks | length == 6) and
        .linux.seccomp.enabled and (.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") | not) and
        (.linux.apparmor.enabled == false)' <<<"$f" >/dev/null; then
    ok "features is runc-shaped JSON: every hook, seccomp without notify, no LSM"
else
    not_ok "features is runc-shaped JSON: every hook, seccomp without notify, no LSM"
fi
if command -v runc >/dev/null; then
    extra=$(comm -13 <(runc features | jq -r '.mountOptions[]' | sort) <(jq -r '.mountOptions[]' <<<"$f" | sort))
    [ -z "$extra" ] && ok "features: every mount option is one runc knows too" || not_ok "features: unknown mount options: $extra"
    [ "$(runc features | jq -c .linux.capabilities)" = "$(jq -c .linux.capabilities <<<"$f")" ] \
        && ok "features: the same capability names as runc" || not_ok "features: the same capability names as runc"
fi
done_testing
