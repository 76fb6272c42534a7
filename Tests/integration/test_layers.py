"""What a layer holds survives unpacking: owners, modes, setuid bits, xattrs, device nodes;
and every compression berth promises (plain, gzip, zstd) in an OCI layout."""
import hashlib
import io
import json
import os
import stat
import subprocess
import tarfile

from archives import docker_archive, entry, layer, sha
from conftest import needs_root

pytestmark = needs_root


def special_layer():
    def build(t):
        ti = tarfile.TarInfo("bin/")
        ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, 1704067200
        t.addfile(ti)
        data = b"#!/bin/sh\n"
        ti = tarfile.TarInfo("bin/suid")
        ti.size, ti.mode, ti.uid, ti.gid, ti.mtime = len(data), 0o4755, 1000, 1001, 1704067200
        t.addfile(ti, io.BytesIO(data))
        ti = tarfile.TarInfo("bin/sgid-dir/")
        ti.type, ti.mode, ti.uid, ti.gid = tarfile.DIRTYPE, 0o2775, 33, 33
        t.addfile(ti)
        ti = tarfile.TarInfo("dev/")
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
        t.addfile(ti)
        ti = tarfile.TarInfo("dev/null")
        ti.type, ti.mode, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 0o666, 1, 3
        t.addfile(ti)
        ti = tarfile.TarInfo("dev/fifo")
        ti.type, ti.mode = tarfile.FIFOTYPE, 0o600
        t.addfile(ti)
        data = b"with an xattr"
        ti = tarfile.TarInfo("xattr.txt")
        ti.size, ti.mode = len(data), 0o640
        ti.pax_headers = {"SCHILY.xattr.user.berth": "kept"}
        t.addfile(ti, io.BytesIO(data))
    return layer(build)


def test_owners_modes_devices_xattrs(daemon):
    l = special_layer()
    daemon.berth("load", input=docker_archive([l], tag="special:1"))
    chain = daemon.rows("SELECT chain_id FROM layers")[0][0][7:]
    d = os.path.join(daemon.root, "layers", chain, "diff")
    st = os.lstat(os.path.join(d, "bin", "suid"))
    assert (st.st_uid, st.st_gid) == (1000, 1001)
    assert stat.S_IMODE(st.st_mode) == 0o4755
    st = os.lstat(os.path.join(d, "bin", "sgid-dir"))
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (33, 33, 0o2775)
    st = os.lstat(os.path.join(d, "dev", "null"))
    assert stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 1 and os.minor(st.st_rdev) == 3
    assert stat.S_ISFIFO(os.lstat(os.path.join(d, "dev", "fifo")).st_mode)
    assert os.getxattr(os.path.join(d, "xattr.txt"), "user.berth") == b"kept"
    assert stat.S_IMODE(os.lstat(os.path.join(d, "xattr.txt")).st_mode) == 0o640
    daemon.assert_consistent()


def oci_archive(path, layers, compress, media, tag):
    """An OCI layout tarball whose layers are compressed by `compress` (bytes -> bytes)."""
    blobs = {}

    def put(b):
        blobs[sha(b)] = b
        return "sha256:" + sha(b)
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(l) for l in layers]}}).encode()
    comp = [compress(l) for l in layers]
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cfg), "size": len(cfg)},
                           "layers": [{"mediaType": media, "digest": put(c), "size": len(c)} for c in comp]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": put(manifest), "size": len(manifest),
                        "annotations": {"org.opencontainers.image.ref.name": "comp/test:" + tag}}]}).encode()
    with tarfile.open(path, "w") as t:
        entry(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        entry(t, "index.json", index)
        for d, b in blobs.items():
            entry(t, "blobs/sha256/" + d, b)
    return "sha256:" + sha(cfg)


COMPRESSIONS = ("application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
                "application/vnd.oci.image.layer.v1.tar+zstd")


def three_ways(workdir, b_size):
    """The same two layers as OCI layout tarballs, plain, gzip and zstd: (l1, l2, [(name, path)])
    (one image id for all three)."""
    import gzip
    l1 = layer(lambda t: entry(t, "a.txt", b"a" * 10000))
    l2 = layer(lambda t: entry(t, "b.txt", b"b" * b_size))
    zstd = lambda b: subprocess.run(["zstd", "-q", "-c"], input=b, capture_output=True, check=True).stdout
    ids, out = set(), []
    for name, fn, media in zip(("plain", "gzip", "zstd"), (lambda b: b, gzip.compress, zstd), COMPRESSIONS):
        p = os.path.join(workdir, name + ".tar")
        ids.add(oci_archive(p, [l1, l2], fn, media, name))
        out.append((name, p))
    assert len(ids) == 1
    return l1, l2, out


def test_plain_gzip_zstd_layers(daemon, workdir):
    l1, l2, archives = three_ways(workdir, 10000)
    for _, p in archives:
        assert daemon.berth("load", "-i", p).out.startswith("Loaded image: comp/test:")
    # Three sets of blobs, one set of unpacked layers.
    assert len(os.listdir(os.path.join(daemon.root, "layers"))) == 2
    assert daemon.rows("SELECT count(*) FROM blobs")[0][0] == 6
    chains = [r[0][7:] for r in daemon.rows("SELECT chain_id FROM layers ORDER BY parent_chain_id IS NOT NULL")]
    assert open(os.path.join(daemon.root, "layers", chains[1], "diff", "b.txt")).read() == "b" * 10000
    # save writes plain layers whatever was loaded: the diff ids are the file digests.
    out = os.path.join(workdir, "saved.tar")
    daemon.berth("save", "-o", out, "comp/test:zstd")
    names = subprocess.run(["tar", "tf", out], capture_output=True, check=True).stdout.decode().split()
    assert sha(l1) + ".tar" in names and sha(l2) + ".tar" in names
    daemon.assert_consistent()


def test_pull_plain_gzip_and_zstd_layers_from_a_registry(daemon, registry, workdir):
    # The same two layers pushed three ways; each pull unpacks its layers as they arrive (one
    # pass over every compression) to the same layers.
    _, _, archives = three_ways(workdir, 200000)
    for name, p in archives:
        subprocess.run(["skopeo", "copy", "-q", "--preserve-digests", "--dest-tls-verify=false", f"oci-archive:{p}",
                        f"docker://{registry.addr}/comp/test:{name}"], check=True, capture_output=True)
        assert "Status: Downloaded newer image" in daemon.berth("pull", f"{registry.addr}/comp/test:{name}").out
    assert len(os.listdir(os.path.join(daemon.root, "layers"))) == 2
    chains = [r[0][7:] for r in daemon.rows("SELECT chain_id FROM layers ORDER BY parent_chain_id IS NOT NULL")]
    assert open(os.path.join(daemon.root, "layers", chains[1], "diff", "b.txt")).read() == "b" * 200000
    medias = {r[0] for r in daemon.rows("SELECT media_type FROM blobs")}
    assert set(COMPRESSIONS) <= medias, medias
    assert os.listdir(os.path.join(daemon.root, "tmp")) == []
    daemon.assert_consistent()
