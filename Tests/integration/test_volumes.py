"""Volumes on real runc/conmon/overlayfs: a new volume starts with the image's content (copy-up)."""
import json
import os
import stat

from conftest import needs_root
from test_build import context

pytestmark = needs_root

# A database-style image: a data folder owned by a non-root user, with files, a sub-folder,
# a symlink and a hard link; a symlink that points at the image's /etc; and a VOLUME.
DOCKERFILE = """FROM busybox
RUN mkdir -p /var/lib/db/sub && echo hello > /var/lib/db/f && echo deep > /var/lib/db/sub/g \\
 && ln -s f /var/lib/db/link && ln /var/lib/db/f /var/lib/db/hard \\
 && chown -R 1000:1001 /var/lib/db && chmod 0750 /var/lib/db && chmod 0604 /var/lib/db/sub/g \\
 && ln -s /etc /escape && mkdir -p /declared && echo seeded > /declared/s
VOLUME /declared
"""


def build(bb, workdir, tag="dbimg"):
    bb.berth("build", "-q", "-t", tag, context(workdir, {"Dockerfile": DOCKERFILE}))
    return tag


def populated(bb, name):
    return bb.rows("SELECT populated FROM volumes WHERE name = ?", name)[0][0]


def test_new_named_volume_starts_with_the_image_content(bb, workdir):
    img = build(bb, workdir)
    # A non-root server writes into its data folder at once, as a database image's does.
    r = bb.berth("run", "--rm", "-u", "1000", "-v", "dbdata:/var/lib/db", img,
                 "sh", "-c", "echo more >> /var/lib/db/f && stat -c '%u %g %a' /var/lib/db /var/lib/db/sub/g && cat /var/lib/db/link")
    assert r.out.splitlines() == ["1000 1001 750", "1000 1001 604", "hello", "more"]
    data = os.path.join(bb.root, "volumes", "dbdata", "_data")
    st = os.lstat(data)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1000, 1001, 0o750)
    assert os.readlink(os.path.join(data, "link")) == "f"
    assert os.stat(os.path.join(data, "hard")).st_ino == os.stat(os.path.join(data, "f")).st_ino
    assert open(os.path.join(data, "sub", "g")).read() == "deep\n"
    assert populated(bb, "dbdata") == 1
    assert not os.path.exists(os.path.join(bb.root, "volumes", "dbdata", "_copyup"))
    # Once: the next container sees the volume's data, not the image's again.
    r = bb.berth("run", "--rm", "-v", "dbdata:/var/lib/db", img, "cat", "/var/lib/db/f")
    assert r.out == "hello\nmore\n"
    # A volume with content is never filled, also at another path.
    r = bb.berth("run", "--rm", "-v", "dbdata:/declared", img, "ls", "/declared")
    assert "s" not in r.out.split() and "f" in r.out.split()


def test_nocopy_and_binds_are_not_filled(bb, workdir):
    img = build(bb, workdir)
    r = bb.berth("run", "--rm", "-v", "empty1:/var/lib/db:nocopy", img, "ls", "-A", "/var/lib/db")
    assert r.out == ""
    r = bb.berth("run", "--rm", "--mount", "type=volume,src=empty2,dst=/var/lib/db,volume-nocopy=true", img,
                 "ls", "-A", "/var/lib/db")
    assert r.out == ""
    insp = json.loads(bb.berth("inspect", bb.berth("create", "-v", "empty3:/var/lib/db:nocopy", img).out.strip()).out)[0]
    assert [m["Mode"] for m in insp["Mounts"] if m["Name"] == "empty3"] == ["nocopy"]
    host = os.path.join(workdir, "bind")
    os.mkdir(host)
    r = bb.berth("run", "--rm", "-v", host + ":/var/lib/db", img, "ls", "-A", "/var/lib/db")
    assert r.out == "" and os.listdir(host) == []
    assert populated(bb, "empty1") == 0 and os.listdir(os.path.join(bb.root, "volumes", "empty1", "_data")) == []
    # A volume driver other than local is refused, not ignored.
    r = bb.berth("run", "--rm", "--mount", "type=volume,src=x,dst=/x,volume-driver=flocker", img, "true", check=False)
    assert r.returncode == 125 and "volume driver" in r.err


def test_image_volumes_get_filled_anonymous_volumes(bb, workdir):
    img = build(bb, workdir)
    cid = bb.berth("run", "-d", img, "cat", "/declared/s").out.strip()
    assert bb.berth("wait", cid).out.strip() == "0"
    assert bb.berth("logs", cid).out == "seeded\n"
    mounts = json.loads(bb.berth("inspect", cid).out)[0]["Mounts"]
    assert [(m["Type"], m["Destination"]) for m in mounts] == [("volume", "/declared")]
    anon = mounts[0]["Name"]
    assert open(os.path.join(bb.root, "volumes", anon, "_data", "s")).read() == "seeded\n"
    bb.berth("rm", "-v", cid)
    assert anon not in bb.berth("volume", "ls", "-q").out.split()
    # A build from it runs its steps without volumes (as BuildKit): a RUN's change to the
    # VOLUME path is kept, and no anonymous volume is left behind.
    before = set(bb.berth("volume", "ls", "-q").out.split())
    bb.berth("build", "-q", "-t", "child", context(workdir + "/c", {"Dockerfile": f"FROM {img}\nRUN echo step > /declared/t\n"}))
    assert set(bb.berth("volume", "ls", "-q").out.split()) == before
    r = bb.berth("run", "--rm", "child", "cat", "/declared/t")
    assert r.out == "step\n"


def test_copy_resolves_inside_the_rootfs(bb, workdir):
    img = build(bb, workdir)
    # /escape is a symlink to /etc: the copy follows it inside the image, never to the host's /etc.
    bb.berth("run", "--rm", "-v", "esc:/escape", img, "true")
    data = os.path.join(bb.root, "volumes", "esc", "_data")
    copied = set(os.listdir(data))
    image_etc = set(bb.berth("run", "--rm", img, "ls", "-A", "/etc").out.split())
    assert copied and copied <= image_etc
    assert not (set(os.listdir("/etc")) - image_etc) & copied


def test_a_copy_cut_short_is_done_again(bb, workdir):
    img = build(bb, workdir)
    cid = bb.berth("create", "-v", "cut:/var/lib/db", img, "cat", "/var/lib/db/sub/g").out.strip()
    # What a kill -9 of berthd mid-copy leaves: a half-made staging folder, an empty volume,
    # and the volume not marked populated.
    staging = os.path.join(bb.root, "volumes", "cut", "_copyup")
    os.makedirs(staging + "/sub")
    open(staging + "/partial", "w").write("x")
    assert populated(bb, "cut") == 0
    bb.berth("start", cid)
    assert bb.berth("wait", cid).out.strip() == "0"
    assert bb.berth("logs", cid).out == "deep\n"
    data = os.path.join(bb.root, "volumes", "cut", "_data")
    assert sorted(os.listdir(data)) == ["f", "hard", "link", "sub"]
    assert not os.path.exists(staging) and populated(bb, "cut") == 1
