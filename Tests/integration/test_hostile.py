"""Hostile, corrupt and lying archives are refused whole: nothing written, nothing recorded."""
import gzip
import os
import tarfile

import pytest

from archives import docker_archive, entry, layer, sha
from conftest import needs_root

pytestmark = needs_root

D, S, H = tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE
GOOD = layer(lambda t: (entry(t, "etc/", kind=D), entry(t, "etc/ok", b"fine")))


def assert_left_nothing(d):
    assert d.rows("SELECT count(*) FROM images")[0][0] == 0
    assert d.rows("SELECT count(*) FROM layers")[0][0] == 0
    assert d.rows("SELECT count(*) FROM blobs")[0][0] == 0
    assert d.rows("SELECT count(*) FROM tags")[0][0] == 0
    assert os.listdir(os.path.join(d.root, "layers")) == []
    assert os.listdir(os.path.join(d.root, "blobs", "sha256")) == []
    assert os.listdir(os.path.join(d.root, "tmp")) == []
    assert d.berth("images", "-q").out == ""


def load_refused(d, data, *needles):
    p = d.berth("load", input=data, check=False)
    assert p.returncode == 1, p.out
    for n in needles:
        assert n in p.err, p.err
    assert_left_nothing(d)
    return p


@pytest.fixture
def outside(workdir):
    """A folder outside berth's root that hostile archives aim at."""
    o = os.path.join(workdir, "outside")
    os.makedirs(o)
    return o


HOSTILE = {
    "dotdot": (lambda o: lambda t: entry(t, "../../../../../../" + o.lstrip("/") + "/pwned", b"x"), "pwned"),
    "dotdot-inside": (lambda o: lambda t: entry(t, "a/../../pwned", b"x"), "a/../../pwned"),
    "absolute": (lambda o: lambda t: entry(t, o + "/pwned", b"x"), "absolute path"),
    "symlink-then-write": (lambda o: lambda t: (entry(t, "link", kind=S, link=o), entry(t, "link/pwned", b"x")),
                           "link/pwned"),
    "symlink-dir-then-write": (lambda o: lambda t: (entry(t, "d/", kind=D), entry(t, "d/up", kind=S, link="../../.."),
                                                    entry(t, "d/up/pwned", b"x")), "d/up/pwned"),
    "hardlink-out": (lambda o: lambda t: entry(t, "h", kind=H, link="../../../../etc/passwd"), '"h"'),
    "hardlink-absolute": (lambda o: lambda t: entry(t, "h", kind=H, link="/etc/passwd"), '"h"'),
    "hardlink-via-symlink": (lambda o: lambda t: (entry(t, "l", kind=S, link="/etc"),
                                                  entry(t, "h", kind=H, link="l/passwd")), '"h"'),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_layer_refused(daemon, outside, name):
    build, needle = HOSTILE[name]
    hostile = layer(build(outside))
    # A good layer first: it must not survive the refusal of the second.
    load_refused(daemon, docker_archive([GOOD, hostile]), needle)
    assert os.listdir(outside) == []
    assert os.path.exists("/etc/passwd") and os.stat("/etc/passwd").st_nlink == 1


def test_hostile_outer_archive_refused(daemon, outside):
    def build(t):
        entry(t, "../" + "x" * 3 + "/manifest.json", b"[]")
    load_refused(daemon, layer(build), "points outside")
    link_out = layer(lambda t: entry(t, "manifest.json", kind=S, link="/etc/passwd"))
    load_refused(daemon, link_out, "absolute")


def test_digest_and_structure_lies_refused(daemon):
    wrong = ["sha256:" + "0" * 64]
    load_refused(daemon, docker_archive([GOOD], diff_ids=wrong), "diff id mismatch")
    load_refused(daemon, docker_archive([GOOD, GOOD], diff_ids=["sha256:" + sha(GOOD)]), "lists 1 layers")
    load_refused(daemon, docker_archive([GOOD], drop=(sha(GOOD) + ".tar",)), "missing")
    load_refused(daemon, b"", "empty")
    load_refused(daemon, b"not an archive at all" * 100, "archive")
    load_refused(daemon, layer(lambda t: entry(t, "hello.txt", b"hi")), "not an image archive")
    load_refused(daemon, docker_archive([GOOD], config_extra={"rootfs": "nope"}), "invalid image config")


def test_truncated_and_corrupt_refused(daemon, images):
    data = open(images["bb-docker.tar"], "rb").read()
    load_refused(daemon, data[: len(data) // 2], "")
    gz = gzip.compress(GOOD)
    bad_gz = gz[:20] + bytes(b ^ 0xFF for b in gz[20:40]) + gz[40:]
    load_refused(daemon, docker_archive([bad_gz], diff_ids=["sha256:" + sha(GOOD)]), "")
    oci = open(images["bb-oci.tar"], "rb").read()
    # Flip bytes inside a blob of the OCI layout: its digest no longer matches.
    i = oci.find(b"\x1f\x8b")
    flipped = oci[: i + 100] + bytes(b ^ 0x55 for b in oci[i + 100 : i + 110]) + oci[i + 110 :]
    load_refused(daemon, flipped, "")


def test_import_refuses_hostile_rootfs(daemon, outside):
    hostile = layer(lambda t: (entry(t, "link", kind=S, link=outside), entry(t, "link/pwned", b"x")))
    p = daemon.berth("import", "-", "evil:1", input=hostile, check=False)
    assert p.returncode == 1 and "link/pwned" in p.err
    assert os.listdir(outside) == []
    assert_left_nothing(daemon)
