#!/usr/bin/env python3
"""Builds berth's test images from the host's busybox-static binary, with no network.

Two layers:
  1. busybox with applet symlinks, /etc/passwd, /tmp/gone.txt, /opt/old/a.txt
  2. a whiteout deleting /tmp/gone.txt, an opaque /opt/old holding only b.txt, and a
     hardlink /etc/motd.link -> /etc/motd

Writes, under --out:
  bb-oci/          OCI image layout (gzip layers), ref name "busybox:latest"
  bb-oci.tar       the same layout as a tarball
  bb-docker.tar    docker-archive (plain layers) tagged busybox:latest
  rootfs.tar       a flat rootfs tarball for `berth import`
Everything is deterministic: the same busybox gives the same digests.
"""
import argparse, gzip, hashlib, io, json, os, shutil, sys, tarfile

APPLETS = ["sh", "ls", "cat", "echo", "true", "false", "sleep", "env", "id", "ps", "mkdir",
           "rm", "touch", "printf", "test", "hostname", "wc", "head", "tail", "grep", "sed",
           "stat", "readlink", "pwd", "uname", "date", "kill", "mount", "cp", "mv", "ln",
           "chmod", "chown", "whoami", "nc", "wget", "httpd", "seq", "yes", "xargs", "find"]
MTIME = 1704067200  # 2024-01-01T00:00:00Z


def find_busybox():
    for p in ("/bin/busybox", "/usr/bin/busybox"):
        if os.path.exists(p):
            return p
    sys.exit("busybox-static is not installed (apt-get install busybox-static)")


def info(name, kind=tarfile.REGTYPE, mode=0o644, size=0, link="", uid=0, gid=0):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.size, ti.linkname = kind, mode, size, link
    ti.uid, ti.gid, ti.mtime, ti.uname, ti.gname = uid, gid, MTIME, "", ""
    return ti


def add_busybox(t, busybox):
    data = open(busybox, "rb").read()
    t.addfile(info("bin/busybox", mode=0o755, size=len(data)), io.BytesIO(data))
    for a in APPLETS:
        t.addfile(info("bin/" + a, tarfile.SYMTYPE, 0o777, link="busybox"))


def layer1(busybox):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in ("bin", "etc", "opt", "opt/old", "root", "var", "var/www"):
            t.addfile(info(d + "/", tarfile.DIRTYPE, 0o755))
        t.addfile(info("tmp/", tarfile.DIRTYPE, 0o1777))
        add_busybox(t, busybox)
        files = {
            "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
            "etc/group": b"root:x:0:\nnogroup:x:65534:\n",
            "tmp/gone.txt": b"deleted by a whiteout in layer 2\n",
            "opt/old/a.txt": b"hidden by an opaque directory in layer 2\n",
            "var/www/index.html": b"hello from berth\n",
        }
        for name, content in files.items():
            t.addfile(info(name, size=len(content)), io.BytesIO(content))
    return buf.getvalue()


def layer2():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.addfile(info("tmp/", tarfile.DIRTYPE, 0o1777))
        t.addfile(info("tmp/.wh.gone.txt"))
        t.addfile(info("opt/", tarfile.DIRTYPE, 0o755))
        t.addfile(info("opt/old/", tarfile.DIRTYPE, 0o755))
        t.addfile(info("opt/old/.wh..wh..opq"))
        b = b"only this survives in /opt/old\n"
        t.addfile(info("opt/old/b.txt", size=len(b)), io.BytesIO(b))
        t.addfile(info("etc/", tarfile.DIRTYPE, 0o755))
        motd = b"welcome to the berth test image\n"
        t.addfile(info("etc/motd", size=len(motd)), io.BytesIO(motd))
        t.addfile(info("etc/motd.link", tarfile.LNKTYPE, link="etc/motd"))
    return buf.getvalue()


def flat_rootfs(busybox):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in ("bin", "etc"):
            t.addfile(info(d + "/", tarfile.DIRTYPE, 0o755))
        t.addfile(info("tmp/", tarfile.DIRTYPE, 0o1777))
        add_busybox(t, busybox)
        pw = b"root:x:0:0:root:/root:/bin/sh\n"
        t.addfile(info("etc/passwd", size=len(pw)), io.BytesIO(pw))
    return buf.getvalue()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def gz(b):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as g:
        g.write(b)
    return out.getvalue()


def dumps(o):
    return json.dumps(o, sort_keys=True, separators=(",", ":")).encode()


def tar_dir(src, dest):
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as t:
        for root, dirs, files in os.walk(src):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                full = os.path.join(root, name)
                rel = os.path.relpath(full, src)
                ti = t.gettarinfo(full, rel)
                ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = MTIME, 0, 0, "", ""
                if ti.isfile():
                    with open(full, "rb") as f:
                        t.addfile(ti, f)
                else:
                    t.addfile(ti)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="busybox:latest")
    args = ap.parse_args()
    busybox = find_busybox()
    os.makedirs(args.out, exist_ok=True)
    layers = [layer1(busybox), layer2()]
    diff_ids = ["sha256:" + sha(l) for l in layers]
    config = {
        "architecture": "amd64" if os.uname().machine == "x86_64" else "arm64",
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["sh"],
            "Labels": {"org.berth.test": "busybox"},
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": "2024-01-01T00:00:00Z", "created_by": "make-test-images.py: busybox"},
            {"created": "2024-01-01T00:00:00Z", "created_by": "make-test-images.py: whiteout, opaque dir, hardlink"},
        ],
    }
    cfg = dumps(config)

    # OCI layout, gzip layers.
    oci = os.path.join(args.out, "bb-oci")
    shutil.rmtree(oci, ignore_errors=True)
    blobs = os.path.join(oci, "blobs", "sha256")
    os.makedirs(blobs)

    def put(b):
        d = sha(b)
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(b)
        return d

    gz_layers = [gz(l) for l in layers]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + put(cfg), "size": len(cfg)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + put(g), "size": len(g)}
                   for g in gz_layers],
    }
    m = dumps(manifest)
    repo, _, tag = args.name.rpartition(":")
    full = args.name if "/" in repo else "docker.io/library/" + args.name
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + put(m),
                       "size": len(m), "annotations": {"org.opencontainers.image.ref.name": args.name,
                                                       "io.containerd.image.name": full}}],
    }
    with open(os.path.join(oci, "index.json"), "wb") as f:
        f.write(dumps(index))
    with open(os.path.join(oci, "oci-layout"), "wb") as f:
        f.write(b'{"imageLayoutVersion":"1.0.0"}')
    tar_dir(oci, os.path.join(args.out, "bb-oci.tar"))

    # docker-archive, plain layers.
    with tarfile.open(os.path.join(args.out, "bb-docker.tar"), "w", format=tarfile.PAX_FORMAT) as t:
        def add(name, b):
            t.addfile(info(name, size=len(b)), io.BytesIO(b))
        cfg_name = sha(cfg) + ".json"
        add(cfg_name, cfg)
        names = []
        for l in layers:
            n = sha(l) + ".tar"
            add(n, l)
            names.append(n)
        add("manifest.json", json.dumps([{"Config": cfg_name, "RepoTags": [args.name], "Layers": names}]).encode())

    with open(os.path.join(args.out, "rootfs.tar"), "wb") as f:
        f.write(flat_rootfs(busybox))
    print(json.dumps({"id": "sha256:" + sha(cfg), "diff_ids": diff_ids, "name": args.name}))


if __name__ == "__main__":
    main()
