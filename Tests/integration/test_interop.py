"""Archives from and for the neighbours: skopeo, podman, the docker CLI and docker-py."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import needs_root

pytestmark = needs_root


def have(cmd):
    return shutil.which(cmd) is not None


@pytest.mark.skipif(not have("skopeo"), reason="skopeo not installed")
def test_archives_made_by_skopeo(daemon, images, workdir):
    src = "oci:" + images["bb-oci"] + ":busybox:latest"
    dockerarch = os.path.join(workdir, "skopeo-docker.tar")
    ociarch = os.path.join(workdir, "skopeo-oci.tar")
    subprocess.run(["skopeo", "copy", "-q", src, "docker-archive:" + dockerarch + ":sk/docker:1"], check=True)
    subprocess.run(["skopeo", "copy", "-q", src, "oci-archive:" + ociarch + ":sk/oci:1"], check=True)
    assert daemon.berth("load", "-i", dockerarch).out == "Loaded image: sk/docker:1\n"
    assert daemon.berth("load", "-i", ociarch).out == "Loaded image: sk/oci:1\n"
    ids = set(daemon.berth("images", "-q", "--no-trunc").out.split())
    assert ids == {images["id"]}
    # And skopeo reads what berth saves.
    saved = os.path.join(workdir, "saved.tar")
    daemon.berth("save", "-o", saved, "sk/docker:1")
    info = json.loads(subprocess.run(["skopeo", "inspect", "--config", "docker-archive:" + saved],
                                     capture_output=True, check=True).stdout)
    assert info["rootfs"]["diff_ids"] == images["diff_ids"]
    daemon.assert_consistent()


@pytest.fixture
def podman(workdir):
    if not have("podman"):
        pytest.skip("podman not installed")
    root = os.path.join(workdir, "podman")
    # vfs: no mounts to leak; private root, runroot and tmp.
    base = ["podman", "--root", root + "/root", "--runroot", root + "/run", "--storage-driver", "vfs",
            "--tmpdir", root + "/tmp", "--cgroup-manager", "cgroupfs", "--events-backend", "none"]

    def run(*args):
        return subprocess.run(base + list(args), capture_output=True, check=True, timeout=120)
    yield run
    subprocess.run(base + ["system", "reset", "-f"], capture_output=True, timeout=120)
    shutil.rmtree(root, ignore_errors=True)


def test_podman_save_loads_into_berth_and_back(daemon, images, workdir, podman):
    podman("load", "-i", images["bb-docker.tar"])
    # podman names short names localhost/…; its OCI export rewrites the config (another id).
    for fmt in ("docker-archive", "oci-archive"):
        out = os.path.join(workdir, f"podman-{fmt}.tar")
        podman("save", "--format", fmt, "-o", out, "busybox:latest")
        assert daemon.berth("load", "-i", out).out == "Loaded image: localhost/busybox:latest\n"
    assert images["id"] in daemon.berth("images", "-q", "--no-trunc").out
    assert len(daemon.berth("images", "-q", "--no-trunc").out.split()) == 2
    daemon.assert_consistent()
    # berth save → podman load.
    daemon.berth("tag", images["id"], "roundtrip:1")
    saved = os.path.join(workdir, "berth-saved.tar")
    daemon.berth("save", "-o", saved, "roundtrip:1")
    podman("load", "-i", saved)
    listed = podman("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").stdout.decode()
    assert "roundtrip:1 " + images["id"][7:19] in listed


@pytest.mark.skipif(not have("docker"), reason="docker CLI not installed")
def test_docker_cli_against_berthd(daemon, images, workdir):
    env = dict(os.environ, DOCKER_HOST="unix://" + daemon.sock, DOCKER_CONFIG=os.path.join(workdir, "dockercfg"))

    def docker(*args, **kw):
        return subprocess.run(["docker", *args], env=env, capture_output=True, timeout=60, **kw)

    v = docker("version", "--format", "{{.Server.APIVersion}}")
    assert v.returncode == 0, v.stderr
    assert v.stdout.decode().strip() >= "1.44"
    p = docker("load", "-i", images["bb-docker.tar"])
    assert p.returncode == 0 and b"Loaded image: busybox:latest" in p.stdout, p.stderr
    assert docker("tag", "busybox", "viadocker:1").returncode == 0
    lines = docker("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").stdout.decode().splitlines()
    assert sorted(lines) == sorted([f"busybox:latest {images['id'][7:19]}", f"viadocker:1 {images['id'][7:19]}"])
    insp = json.loads(docker("image", "inspect", "viadocker:1").stdout)
    assert insp[0]["Id"] == images["id"] and insp[0]["RootFS"]["Layers"] == images["diff_ids"]
    out = os.path.join(workdir, "docker-saved.tar")
    assert docker("save", "-o", out, "viadocker:1").returncode == 0
    assert os.path.getsize(out) > 1_000_000
    rm = docker("rmi", "viadocker:1")
    assert rm.returncode == 0 and b"Untagged: viadocker:1" in rm.stdout
    missing = docker("rmi", "nope:1")
    assert missing.returncode != 0 and b"No such image" in missing.stderr
    imp = docker("import", "--change", "CMD sh", images["rootfs.tar"], "dimport:1")
    assert imp.returncode == 0 and imp.stdout.startswith(b"sha256:"), imp.stderr
    pr = docker("image", "prune", "-a", "-f")
    assert pr.returncode == 0 and b"Total reclaimed space" in pr.stdout
    assert docker("images", "-q").stdout == b""


def test_docker_py_against_berthd(daemon, images):
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url="unix://" + daemon.sock, version="auto")
    try:
        assert client.ping()
        assert client.version()["ApiVersion"] >= "1.44"
        with open(images["bb-docker.tar"], "rb") as f:
            loaded = client.images.load(f.read())
        assert [i.id for i in loaded] == [images["id"]]
        img = client.images.get("busybox:latest")
        assert img.tags == ["busybox:latest"] and img.labels == {"org.berth.test": "busybox"}
        assert img.tag("pyimg", "v1")
        assert sorted(t for i in client.images.list() for t in i.tags) == ["busybox:latest", "pyimg:v1"]
        assert b"".join(img.save()) [:100].strip(b"\0")
        client.images.remove("pyimg:v1")
        with pytest.raises(docker.errors.ImageNotFound):
            client.images.get("pyimg:v1")
        assert client.images.prune(filters={"dangling": False})["ImagesDeleted"]
        assert client.images.list() == []
    finally:
        client.close()
