"""kill -9 of berthd in the middle of a load: after restart, rows and files agree."""
import os
import subprocess

import pytest

from archives import big_layer, docker_archive
from conftest import BIN, needs_root, wait_until

pytestmark = needs_root


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory):
    p = tmp_path_factory.mktemp("big") / "big.tar"
    p.write_bytes(docker_archive([big_layer(mb=96, files=600), big_layer(mb=32, files=200)], tag="big:1"))
    return str(p)


# Where to strike: while the upload is spooled, while the archive is unpacked into staging,
# while a layer is unpacked, and once the first layer has been moved into place.
PHASES = {
    "receiving": lambda d, base: any(n.startswith("upload-") for n in os.listdir(os.path.join(d.root, "tmp"))),
    "staging": lambda d, base: any(n.startswith("load-") for n in os.listdir(os.path.join(d.root, "tmp"))),
    "unpacking": lambda d, base: any(n.startswith("layer-") for n in os.listdir(os.path.join(d.root, "tmp"))),
    "layer-placed": lambda d, base: len(os.listdir(os.path.join(d.root, "layers"))) > base,
}


@pytest.mark.parametrize("phase", list(PHASES))
def test_kill9_during_load_leaves_consistent_store(make_daemon, images, big_archive, phase):
    d = make_daemon()
    d.start()
    d.berth("load", "-i", images["bb-docker.tar"])
    base = len(os.listdir(os.path.join(d.root, "layers")))
    cli = subprocess.Popen([os.path.join(BIN, "berth"), "load", "-i", big_archive], env=d.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    hit = wait_until(lambda: PHASES[phase](d, base))
    d.kill9()
    cli.communicate(timeout=60)
    assert hit, f"never saw phase {phase}"
    assert cli.returncode != 0, "the load finished before the kill"
    d.start()
    d.assert_consistent()
    assert os.listdir(os.path.join(d.root, "tmp")) == []
    tags = d.berth("images", "--format", "{{.Repository}}:{{.Tag}}").out.split()
    assert tags == ["busybox:latest"]
    assert d.rows("SELECT count(*) FROM images")[0][0] == 1
    # The store works afterwards: the same load now completes.
    assert d.berth("load", "-i", big_archive).out == "Loaded image: big:1\n"
    d.assert_consistent()
