#!/usr/bin/env python3
"""Write an OCI image archive (for `ctr image import`) of a busybox-static
rootfs, with no registry and no network: mkimage.py OUT.tar NAME:TAG [CMD...]
(the image's command; sh without one)"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(tar, data):
    digest = hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo("blobs/sha256/" + digest)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
    return "sha256:" + digest, len(data)


def layer():
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        for d in ("bin", "tmp", "etc", "proc", "sys", "dev"):
            i = tarfile.TarInfo(d)
            i.type = tarfile.DIRTYPE
            i.mode = 0o1777 if d == "tmp" else 0o755
            t.addfile(i)
        with open("/bin/busybox", "rb") as f:
            data = f.read()
        i = tarfile.TarInfo("bin/busybox")
        i.size = len(data)
        i.mode = 0o755
        t.addfile(i, io.BytesIO(data))
        for applet in ("sh", "echo", "cat", "sleep", "ls", "id", "true", "false", "head", "wc", "seq", "yes"):
            i = tarfile.TarInfo("bin/" + applet)
            i.type = tarfile.SYMTYPE
            i.linkname = "busybox"
            t.addfile(i)
        passwd = b"root:x:0:0:root:/root:/bin/sh\n"
        i = tarfile.TarInfo("etc/passwd")
        i.size = len(passwd)
        t.addfile(i, io.BytesIO(passwd))
    diff = raw.getvalue()
    return gzip.compress(diff, mtime=0), "sha256:" + hashlib.sha256(diff).hexdigest()


def main():
    out, ref, cmd = sys.argv[1], sys.argv[2], sys.argv[3:] or ["sh"]
    with tarfile.open(out, "w") as tar:
        gz, diff_id = layer()
        ldigest, lsize = blob(tar, gz)
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "config": {"Env": ["PATH=/bin"], "Cmd": cmd},
                             "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
        cdigest, csize = blob(tar, config)
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                          "digest": cdigest, "size": csize},
                               "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                           "digest": ldigest, "size": lsize}]}).encode()
        mdigest, msize = blob(tar, manifest)
        index = json.dumps({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": msize,
             "annotations": {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref.split(":")[-1]},
             "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
        for name, data in (("index.json", index), ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')):
            i = tarfile.TarInfo(name)
            i.size = len(data)
            tar.addfile(i, io.BytesIO(data))


if __name__ == "__main__":
    main()
