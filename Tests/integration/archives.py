"""Builders for image archives, good and hostile, in memory."""
import hashlib
import io
import json
import tarfile


def entry(t, name, data=b"", kind=tarfile.REGTYPE, link="", mode=None):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    ti.mode = mode if mode is not None else (0o755 if kind == tarfile.DIRTYPE else 0o644)
    ti.mtime = 1704067200
    t.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def layer(build):
    """A layer tar from a function that adds entries to a TarFile."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        build(t)
    return buf.getvalue()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def docker_archive(layers, tag="evil:latest", diff_ids=None, drop=(), config_extra=None):
    """A docker-archive holding `layers` (bytes each). `diff_ids` overrides the config's;
    names in `drop` are left out of the archive."""
    config = {
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids or ["sha256:" + sha(l) for l in layers]},
    }
    config.update(config_extra or {})
    cfg = json.dumps(config).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        names = []
        for l in layers:
            n = sha(l) + ".tar"
            names.append(n)
            if n not in drop:
                entry(t, n, l)
        cn = sha(cfg) + ".json"
        if cn not in drop:
            entry(t, cn, cfg)
        entry(t, "manifest.json", json.dumps([{"Config": cn, "RepoTags": [tag], "Layers": names}]).encode())
    return buf.getvalue()


def big_layer(mb=64, files=400):
    """A layer with `files` files of random-ish bytes totalling about `mb` MiB."""
    import os
    per = (mb << 20) // files

    def build(t):
        entry(t, "data/", kind=tarfile.DIRTYPE)
        for i in range(files):
            entry(t, f"data/f{i:05d}", os.urandom(per))
    return layer(build)
