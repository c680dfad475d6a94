#!/usr/bin/env python3
"""Differential OCI tests: one config.json per variant (variants.py), the
probe (probe.c) run under `runc run` and under `kata-runtime run`, the two
outputs normalised by the documented rules (EXPECTED.md) and compared.
Prints TAP; one result per variant, plus the table of variants on stderr.

    tests/oci/difftest.py [--only NAME[,NAME...]] [--keep] [--list]
"""
import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import variants as V

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KATA = os.path.join(TOP, "build", "bin", "kata-runtime")
PROBE = os.path.join(TOP, "build", "tests", "oci", "probe")
TIMEOUT = 180


def make_rootfs(root):
    """busybox-static, the probe, and the few files a container expects."""
    for d in ("bin", "etc", "tmp", "proc", "sys", "dev", "data"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
    for applet in ("sh", "cat", "echo", "sleep", "id", "ls"):
        os.symlink("busybox", os.path.join(root, "bin", applet))
    shutil.copy(PROBE, os.path.join(root, "probe"))
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nprobe:x:1000:1000:probe:/home/probe:/bin/sh\n"
                "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    with open(os.path.join(root, "etc", "group"), "w") as f:
        f.write("root:x:0:\nprobe:x:1000:\nextra:x:2000:probe\nnogroup:x:65534:\n")
    with open(os.path.join(root, "data", "hello"), "w") as f:
        f.write("hello from the bundle\n")


def base_config(bundle):
    """`kata-runtime spec` (runc's defaults) running the probe."""
    subprocess.run([KATA, "spec", "--bundle", bundle], check=True)
    with open(os.path.join(bundle, "config.json")) as f:
        cfg = json.load(f)
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["/probe"]
    return cfg


def run_runtime(argv, cwd, tty=False):
    if tty:
        # a terminal of its own: `run` with process.terminal relays the one it is given,
        # sized as the config says (runc gives the pty its own terminal's size, racing
        # with consoleSize; a pty nobody sized would be 0x0)
        argv = ["script", "-qec", "stty rows 33 cols 111; exec " + " ".join(argv), "/dev/null"]
    try:
        p = subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=TIMEOUT)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        return -1, (e.stdout or b"").decode(errors="replace"), "timed out after %d s" % TIMEOUT


def parse(text):
    facts = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            facts[k] = v
    return facts


def spec_rlimits(cfg):
    return {r["type"][len("RLIMIT_"):].lower() for r in cfg.get("process", {}).get("rlimits") or []}


def spec_mount_has_size(cfg, dest):
    for m in cfg.get("mounts") or []:
        if m.get("destination") == dest:
            return any(o.startswith("size=") for o in m.get("options") or [])
    return False


def normalise(facts, other, cfg, variant):
    """Drop or rewrite what differs by design (EXPECTED.md)."""
    out = {}
    root = facts.get("mount./", "").split(" ")
    ignore = [re.compile(p) for p in V.GLOBAL_IGNORE + list(variant.get("differ", {}).keys())]
    rl = spec_rlimits(cfg)
    for k, v in facts.items():
        if any(p.search(k) for p in ignore):
            continue
        # rlimits the config does not set are inherited from the runtime's
        # world: the host's for runc, the guest kernel's defaults for katabox
        if k.startswith("rlimit.") and k[len("rlimit."):] not in rl:
            continue
        # kernel configuration: a path one kernel has and the other lacks
        if k.startswith("path.") and (v.startswith("absent") or other.get(k, "").startswith("absent")):
            continue
        if k.startswith("mount."):
            mp = k[len("mount."):].split("#")[0]
            if other.get("path." + mp, "").startswith("absent") or facts.get("path." + mp, "").startswith("absent"):
                continue
            parts = v.split(" ")
            if len(parts) > 3 and parts[0] == "devtmpfs":
                # a device node bound from the runtime's /dev: that mount's options are the
                # host's under runc, the VM's under katabox
                v = "devtmpfs " + parts[1].split(",")[0] + " " + parts[2]
            elif mp == "/" or (len(parts) > 3 and len(root) > 3 and parts[0] == root[0] and parts[3] == root[3]):
                # the rootfs, or a bind of part of it (readonlyPaths): a directory
                # of the host's fs under runc, a 9p share in the VM
                v = " ".join(parts[1:3])
            else:
                sup = parts[3].split(",") if len(parts) > 3 else []
                sup = [o for o in sup if not o.startswith("nr_inodes=")
                       and not (o.startswith("size=") and not spec_mount_has_size(cfg, mp))]
                v = " ".join(parts[:3] + [",".join(sup)])
        out[k] = v
    return out


def check_expect(facts, variant):
    bad = []
    for k, want in variant.get("expect", {}).items():
        got = facts.get(k)
        if (want.startswith("~") and (got is None or not re.search(want[1:], got))) or \
                (not want.startswith("~") and got != want):
            bad.append("%s: want %r, got %r" % (k, want, got))
    return bad


def run_variant(n, variant, work, keep):
    name = variant["name"]
    bundle = os.path.join(work, name)
    rootfs = os.path.join(bundle, "rootfs")
    os.makedirs(bundle)
    make_rootfs(rootfs)
    cfg = base_config(bundle)
    cfg = variant["patch"](copy.deepcopy(cfg), bundle) or cfg
    if "setup" in variant:
        variant["setup"](bundle)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    cid = "oci-%s-%d" % (name, os.getpid())
    results = {}
    for rt, argv in (("runc", ["runc", "--root", os.path.join(work, "runc-state")]),
                     ("kata", [KATA, "--root", os.path.join(work, "kata-state")])):
        rc, out, err = run_runtime(argv + ["run", "--bundle", bundle, cid], bundle, variant.get("tty"))
        out = out.replace("\r\n", "\n")
        if rc != 0 and rt == "runc":
            subprocess.run(argv + ["delete", "--force", cid], capture_output=True)
        if rc != 0 and rt == "kata":
            subprocess.run(argv + ["delete", "--force", cid], capture_output=True)
        results[rt] = (rc, out, err)
    lines = []
    kata_rc, kata_out, kata_err = results["kata"]
    runc_rc, runc_out, runc_err = results["runc"]
    want_err = variant.get("kata_stderr")
    if want_err and want_err not in kata_err:
        lines.append("kata: stderr %r lacks %r" % (kata_err.strip()[-300:], want_err))
    if "fail" in variant:
        # katabox must refuse the config with an error naming what is wrong
        if kata_rc == 0 or variant["fail"] not in kata_err:
            lines.append("kata: exit %d, stderr %r (want an error with %r)"
                         % (kata_rc, kata_err.strip()[-300:], variant["fail"]))
        runc_want = variant.get("runc_fail")
        if runc_want is not None and (runc_rc == 0 or runc_want not in runc_err):
            lines.append("runc: exit %d, stderr %r (want an error with %r)"
                         % (runc_rc, runc_err.strip()[-300:], runc_want))
        verdict = "both refuse it"
        if runc_want is None:
            verdict = "katabox refuses it; runc %s" % ("refuses too" if runc_rc else "accepts it (documented)")
    elif "runc_refuses" in variant:
        # the host lacks what runc needs; katabox runs it and says what it leaves out
        if runc_rc == 0 or variant["runc_refuses"] not in runc_err:
            lines.append("runc: exit %d (want a refusal naming %r)" % (runc_rc, variant["runc_refuses"]))
        if kata_rc != 0:
            lines.append("kata: exit %d: %s" % (kata_rc, kata_err.strip()[-600:]))
        else:
            lines += ["kata " + x for x in check_expect(parse(kata_out), dict(expect=variant.get("expect_kata", {})))]
        verdict = variant.get("why_runc", "runc refuses it on this host (no such LSM); katabox warns and runs")
    else:
        for rt, (rc, out, err) in results.items():
            if rc != 0:
                lines.append("%s: exit %d: %s" % (rt, rc, err.strip()[-600:]))
        verdict = ""
        if not lines:
            runc_f, kata_f = parse(runc_out), parse(kata_out)
            a = normalise(runc_f, kata_f, cfg, variant)
            b = normalise(kata_f, runc_f, cfg, variant)
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    lines.append("%s: runc %r, kata %r" % (k, a.get(k), b.get(k)))
            lines += ["kata " + x for x in check_expect(kata_f, variant)]
            lines += ["runc " + x for x in check_expect(runc_f, dict(expect=variant.get("expect_runc", {})))]
            ignored = len(runc_f) + len(kata_f) - len(a) - len(b)
            verdict = "same: %d facts compared, %d set aside" % (len(set(a) | set(b)), ignored)
            if variant.get("expect"):
                verdict += ", %d checked in katabox alone" % len(variant["expect"])
            if variant.get("differ"):
                verdict += "; by design: " + "; ".join(sorted(set(variant["differ"].values())))
    ok = not lines
    if ok:
        print("ok %d - %s: %s" % (n, name, variant["what"]))
    else:
        print("not ok %d - %s: %s" % (n, name, variant["what"]))
        for l in lines[:40]:
            print("#   " + l)
        verdict = "FAIL"
    sys.stdout.flush()
    if keep:
        with open(os.path.join(bundle, "runc.out"), "w") as f:
            f.write(results["runc"][1])
        with open(os.path.join(bundle, "kata.out"), "w") as f:
            f.write(results["kata"][1])
    return name, variant["what"], verdict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    chosen = V.VARIANTS
    if args.only:
        names = args.only.split(",")
        chosen = [v for v in V.VARIANTS if v["name"] in names]
    if args.list:
        for v in chosen:
            print("%-28s %s" % (v["name"], v["what"]))
        return 0
    if not shutil.which("runc"):
        print("1..0 # SKIP runc is not installed")
        return 0
    work = tempfile.mkdtemp(prefix="katabox-oci.")
    # a user namespace's root must reach the bundles
    os.chmod(work, 0o755)
    table = []
    try:
        for i, v in enumerate(chosen, 1):
            table.append(run_variant(i, v, work, args.keep))
    finally:
        if args.keep:
            print("# kept %s" % work, file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % len(chosen))
    print("| variant | feature | result |", file=sys.stderr)
    print("|---|---|---|", file=sys.stderr)
    for name, what, verdict in table:
        print("| %s | %s | %s |" % (name, what, verdict), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
