"""The image store through berth's CLI and the API: load, import, tag, rmi, save, prune, inspect."""
import json
import os
import stat
import subprocess

import pytest

from conftest import needs_root

pytestmark = needs_root


def layer_dirs(d):
    return sorted(os.listdir(os.path.join(d.root, "layers")))


def test_load_docker_archive_and_overlay_layout(daemon, images):
    out = daemon.berth("load", "-i", images["bb-docker.tar"]).out
    assert out == "Loaded image: busybox:latest\n"
    lines = daemon.berth("images").out.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    assert lines[1].split()[:3] == ["busybox", "latest", images["id"][7:19]]
    assert "ago" in lines[1]
    # Layer 2: whiteout as a 0/0 char device, opaque dir, hardlink kept.
    chains = daemon.rows("SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY position", images["id"])
    l1 = os.path.join(daemon.root, "layers", chains[0][0][7:], "diff")
    l2 = os.path.join(daemon.root, "layers", chains[1][0][7:], "diff")
    st = os.lstat(os.path.join(l2, "tmp", "gone.txt"))
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == 0
    assert os.getxattr(os.path.join(l2, "opt", "old"), "trusted.overlay.opaque") == b"y"
    assert os.listdir(os.path.join(l2, "opt", "old")) == ["b.txt"]
    assert os.stat(os.path.join(l2, "etc", "motd")).st_ino == os.stat(os.path.join(l2, "etc", "motd.link")).st_ino
    assert os.readlink(os.path.join(l1, "bin", "sh")) == "busybox"
    assert os.stat(os.path.join(l1, "tmp")).st_mode & 0o7777 == 0o1777
    assert os.access(os.path.join(l1, "bin", "busybox"), os.X_OK)
    events = daemon.rows("SELECT type, action, actor_name FROM events WHERE type = 'image' ORDER BY id")
    assert events == [("image", "load", "busybox:latest"), ("image", "tag", "busybox:latest")]
    daemon.assert_consistent()


def test_overlay_mount_of_loaded_layers_shows_the_merged_tree(daemon, images, workdir):
    daemon.berth("load", "-i", images["bb-docker.tar"])
    insp = json.loads(daemon.berth("image", "inspect", "busybox").out)[0]
    lower = insp["GraphDriver"]["Data"]["LowerDir"]
    upper = insp["GraphDriver"]["Data"]["UpperDir"]
    mnt = os.path.join(workdir, "mnt")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"ro,lowerdir={upper}:{lower}", mnt], check=True)
    try:
        assert not os.path.exists(os.path.join(mnt, "tmp", "gone.txt"))
        assert sorted(os.listdir(os.path.join(mnt, "opt", "old"))) == ["b.txt"]
        assert open(os.path.join(mnt, "etc", "motd.link")).read().startswith("welcome")
        out = subprocess.run(["chroot", mnt, "/bin/sh", "-c", "echo hi from $(cat /etc/motd | wc -w) words"],
                             capture_output=True, check=True).stdout
        assert out == b"hi from 6 words\n"
    finally:
        subprocess.run(["umount", mnt], check=True)


def test_load_oci_layout_shares_layers(daemon, images):
    daemon.berth("load", "-i", images["bb-docker.tar"])
    before = layer_dirs(daemon)
    # The OCI copy has gzip layers (other blobs) but the same diff ids: same unpacked layers.
    out = daemon.berth("load", "-i", images["bb-oci.tar"]).out
    assert out == "Loaded image: busybox:latest\n"
    assert layer_dirs(daemon) == before
    assert len(os.listdir(os.path.join(daemon.root, "blobs", "sha256"))) == 4
    # stdin works too.
    with open(images["bb-oci.tar"], "rb") as f:
        assert daemon.berth("load", input=f.read()).out == "Loaded image: busybox:latest\n"
    assert len(daemon.berth("images", "-q").out.split()) == 1
    daemon.assert_consistent()


def test_import_with_changes(daemon, images):
    out = daemon.berth("import", "-c", 'CMD ["sh"]', "-c", "ENV A=b", "-c", "EXPOSE 80", "-m", "hello",
                       images["rootfs.tar"], "flat:1").out.strip()
    assert out.startswith("sha256:") and len(out) == 71
    insp = json.loads(daemon.berth("image", "inspect", "flat:1").out)[0]
    assert insp["Id"] == out
    assert insp["Config"]["Cmd"] == ["sh"] and insp["Config"]["Env"] == ["A=b"]
    assert insp["Config"]["ExposedPorts"] == {"80/tcp": {}}
    assert insp["Comment"] == "hello" and insp["RepoTags"] == ["flat:1"]
    assert len(insp["RootFS"]["Layers"]) == 1
    # gzip'd input gives the same layer.
    gz = subprocess.run(["gzip", "-c", images["rootfs.tar"]], capture_output=True, check=True).stdout
    out2 = daemon.berth("import", "-", "flat:gz", input=gz).out.strip()
    insp2 = json.loads(daemon.berth("image", "inspect", out2).out)[0]
    assert insp2["RootFS"]["Layers"] == insp["RootFS"]["Layers"]
    bad = daemon.berth("import", "-c", "RUN make", images["rootfs.tar"], check=False)
    assert bad.returncode == 1 and "RUN is not a valid change command" in bad.err
    daemon.assert_consistent()


def test_tag_rmi_and_layer_refcounts(daemon, images):
    daemon.berth("load", "-i", images["bb-docker.tar"])
    daemon.berth("import", images["rootfs.tar"], "flat:1")
    daemon.berth("tag", "busybox", "me/bb:v1")
    daemon.berth("tag", images["id"][7:19], "localhost:5000/bb")
    tags = daemon.berth("images", "--format", "{{.Repository}}:{{.Tag}}").out.split()
    assert sorted(tags) == ["busybox:latest", "flat:1", "localhost:5000/bb:latest", "me/bb:v1"]
    n_layers = len(layer_dirs(daemon))
    assert n_layers == 3
    # By id with several names: refused without -f.
    p = daemon.berth("rmi", images["id"][7:19], check=False)
    assert p.returncode == 1
    assert f"unable to delete {images['id'][7:19]} (must be forced) - image is referenced in multiple repositories" in p.err
    assert daemon.berth("rmi", "me/bb:v1").out == "Untagged: me/bb:v1\n"
    assert daemon.berth("rmi", "localhost:5000/bb").out == "Untagged: localhost:5000/bb:latest\n"
    assert len(layer_dirs(daemon)) == n_layers
    out = daemon.berth("rmi", "busybox").out.splitlines()
    assert out[0] == "Untagged: busybox:latest"
    assert out[1] == "Deleted: " + images["id"]
    assert len(out) == 4  # and its two layers
    assert len(layer_dirs(daemon)) == 1
    p = daemon.berth("rmi", "nope", check=False)
    assert p.returncode == 1 and "No such image: nope" in p.err
    # -f by id with several tags removes them all.
    daemon.berth("tag", "flat:1", "flat:2")
    out = daemon.berth("rmi", "-f", "flat:1", "flat:2").out
    assert out == "Untagged: flat:1\nUntagged: flat:2\n" + "".join(
        l + "\n" for l in out.splitlines()[2:])
    assert daemon.berth("images", "-q").out == ""
    assert layer_dirs(daemon) == []
    assert os.listdir(os.path.join(daemon.root, "blobs", "sha256")) == []
    actions = [r[0] for r in daemon.rows("SELECT action FROM events WHERE type = 'image' ORDER BY id")]
    assert actions.count("untag") == 5 and actions.count("delete") == 2
    daemon.assert_consistent()


def test_dangling_filters_and_prune(daemon, images):
    daemon.berth("load", "-i", images["bb-docker.tar"])
    first = daemon.berth("import", images["rootfs.tar"], "app:1").out.strip()
    second = daemon.berth("import", "-c", "ENV X=1", images["rootfs.tar"], "app:1").out.strip()
    assert first != second
    dangling = daemon.berth("images", "-q", "--no-trunc", "-f", "dangling=true").out.split()
    assert dangling == [first]
    assert daemon.berth("images", "-f", "dangling=false", "--format", "{{.ID}}").out.split() == \
        sorted({second[7:19], images["id"][7:19]}, key=lambda x: x != second[7:19])
    assert daemon.berth("images", "--format", "{{.Repository}}", "-f", "reference=bu*").out == "busybox\n"
    assert daemon.berth("images", "--format", "{{.Repository}}", "busybox").out == "busybox\n"
    assert daemon.berth("images", "-q", "-f", "label=org.berth.test=busybox").out.strip() == images["id"][7:19]
    assert daemon.berth("images", "-q", "-f", "before=app:1", "-f", "dangling=false").out.strip() == images["id"][7:19]
    assert daemon.berth("images", "-q", "-f", "since=busybox").out.split() == [second[7:19], first[7:19]]
    p = daemon.berth("images", "-f", "bogus=1", check=False)
    assert p.returncode != 0 and "invalid filter 'bogus'" in p.err
    out = daemon.berth("image", "prune", "-f").out
    assert out.startswith("Deleted Images:\ndeleted: " + first)
    assert "Total reclaimed space: " in out
    assert daemon.berth("images", "-q", "-f", "dangling=true").out == ""
    # -a removes every image no container uses.
    out = daemon.berth("image", "prune", "-a", "-f").out
    assert "untagged: busybox:latest" in out and "untagged: app:1" in out
    assert daemon.berth("images", "-q").out == ""
    daemon.assert_consistent()
    assert daemon.berth("image", "prune", "-f").out == "Total reclaimed space: 0B\n"


def test_prune_asks_first(daemon, images):
    daemon.berth("import", images["rootfs.tar"], "app:1")
    daemon.berth("import", "-c", "ENV X=1", images["rootfs.tar"], "app:1")
    p = daemon.berth("image", "prune", input=b"n\n")
    assert "WARNING! This will remove all dangling images." in p.out
    assert "Are you sure you want to continue? [y/N]" in p.out
    assert len(daemon.berth("images", "-q").out.split()) == 2
    daemon.berth("image", "prune", input=b"y\n")
    assert len(daemon.berth("images", "-q").out.split()) == 1


def test_formats(daemon, images):
    daemon.berth("load", "-i", images["bb-docker.tar"])
    line = json.loads(daemon.berth("images", "--format", "json").out)
    assert line["Repository"] == "busybox" and line["Tag"] == "latest" and line["ID"] == images["id"][7:19]
    assert line["Size"].endswith("MB") and line["CreatedSince"].endswith("ago")
    table = daemon.berth("images", "--format", "table {{.Repository}}\t{{.ID}}").out.splitlines()
    assert table[0].split() == ["REPOSITORY", "IMAGE", "ID"]
    assert daemon.berth("images", "--no-trunc", "-q").out.strip() == images["id"]
    assert daemon.berth("images", "--format", '{{.Label "org.berth.test"}}').out == "busybox\n"
    digests = daemon.berth("images", "--digests").out.splitlines()[0].split()
    assert digests[:3] == ["REPOSITORY", "TAG", "DIGEST"]
    assert daemon.berth("inspect", "--format", "{{.Id}} {{.Os}}", "busybox").out == images["id"] + " linux\n"
    p = daemon.berth("images", "--format", "{{.Nope}}", check=False)
    assert p.returncode != 0 and "can't evaluate field Nope" in p.err
    p = daemon.berth("inspect", "nothing", check=False)
    assert p.returncode == 1 and "No such object: nothing" in p.err


def test_save_round_trip(daemon, images, workdir):
    daemon.berth("load", "-i", images["bb-oci.tar"])
    daemon.berth("import", images["rootfs.tar"], "flat:1")
    out = os.path.join(workdir, "saved.tar")
    daemon.berth("save", "-o", out, "busybox", "flat:1")
    listing = subprocess.run(["tar", "tf", out], capture_output=True, check=True).stdout.decode().split()
    assert "manifest.json" in listing
    manifest = json.loads(subprocess.run(["tar", "xOf", out, "manifest.json"], capture_output=True).stdout)
    assert [m["RepoTags"] for m in manifest] == [["busybox:latest"], ["flat:1"]]
    # Loads back into a fresh root with the same ids and diff ids.
    for line in daemon.berth("images", "-q", "--no-trunc").out.split():
        daemon.berth("rmi", "-f", line)
    assert daemon.berth("load", "-i", out).out == "Loaded image: busybox:latest\nLoaded image: flat:1\n"
    assert images["id"] in daemon.berth("images", "-q", "--no-trunc").out
    # To stdout when it is not a terminal.
    p = daemon.berth("save", "busybox")
    assert p.stdout[:512].count(b"\0") > 0 and len(p.stdout) > 1_000_000
    p = daemon.berth("save", "-o", os.path.join(workdir, "x.tar"), "nope", check=False)
    assert p.returncode == 1 and "No such image: nope" in p.err
    assert not os.path.exists(os.path.join(workdir, "x.tar"))
    assert os.listdir(os.path.join(daemon.root, "tmp")) == []
