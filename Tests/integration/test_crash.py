"""kill -9 of berthd in the middle of a load: after restart, rows and files agree."""
import os
import random
import subprocess
import time

from archives import big_layer, docker_archive
from conftest import BIN, needs_root

pytestmark = needs_root


def test_kill9_during_load_leaves_consistent_store(make_daemon, workdir, images):
    big = os.path.join(workdir, "big.tar")
    with open(big, "wb") as f:
        f.write(docker_archive([big_layer(mb=96, files=600), big_layer(mb=32, files=200)], tag="big:1"))
    d = make_daemon()
    d.start()
    d.berth("load", "-i", images["bb-docker.tar"])
    rng = random.Random(7)
    outcomes = []
    for round_ in range(5):
        cli = subprocess.Popen([os.path.join(BIN, "berth"), "load", "-i", big], env=d.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Kill at a different point each round: while receiving, unpacking or recording.
        time.sleep(0.05 + rng.random() * 1.5)
        d.kill9()
        cli.wait(timeout=60)
        d.start()
        d.assert_consistent()
        assert os.listdir(os.path.join(d.root, "tmp")) == []
        tags = d.berth("images", "--format", "{{.Repository}}:{{.Tag}}").out.split()
        assert "busybox:latest" in tags
        loaded = "big:1" in tags
        outcomes.append(loaded)
        if loaded:
            # Fully there: every layer unpacked.
            rows = d.rows("SELECT l.chain_id FROM image_layers il JOIN layers l USING (chain_id) "
                          "JOIN tags t ON t.image_id = il.image_id WHERE t.name = 'docker.io/library/big:1'")
            assert len(rows) == 2
            d.berth("rmi", "big:1")
            d.assert_consistent()
    print("rounds where the load finished before the kill:", outcomes)
    assert not all(outcomes), "no round killed berthd mid-load"
    # The store works after all that.
    assert d.berth("load", "-i", big).out == "Loaded image: big:1\n"
    d.assert_consistent()
