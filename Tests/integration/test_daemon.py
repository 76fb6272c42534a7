"""berthd itself: the API basics, the root lock, signals, schema guard, start-up cleaning."""
import json
import os
import signal
import sqlite3
import subprocess
import time

from conftest import BIN, TOP, Daemon, needs_root

pytestmark = needs_root


def test_ping_version_info(daemon):
    for method in ("GET", "HEAD"):
        status, headers, body = daemon.request(method, "/_ping")
        assert status == 200
        assert headers["api-version"] >= "1.44"
        assert headers["ostype"] == "linux"
        assert body == (b"OK" if method == "GET" else b"")
    status, _, body = daemon.request("GET", "/v1.44/version")
    v = json.loads(body)
    assert status == 200 and v["ApiVersion"] >= "1.44" and v["Os"] == "linux"
    status, _, body = daemon.request("GET", "/info")
    info = json.loads(body)
    assert info["Images"] == 0 and info["DockerRootDir"] == daemon.root
    assert daemon.request("GET", "/v1.45/nope")[0] == 404
    mode = os.stat(daemon.sock).st_mode & 0o777
    assert mode == 0o660
    out = daemon.berth("version").out
    assert "Server: berth" in out
    assert "Images: 0" in daemon.berth("info").out


def test_second_daemon_on_same_root_refused(daemon):
    other = Daemon(daemon.base)
    other.sock = daemon.sock + "2"
    p = subprocess.run([os.path.join(BIN, "berthd")], env=other.env, capture_output=True, timeout=20)
    assert p.returncode != 0
    assert b"another berthd is already running" in p.stderr
    assert str(daemon.proc.pid).encode() in p.stderr
    # The first one is untouched.
    assert daemon.request("GET", "/_ping")[0] == 200


def test_sigterm_exits_zero_and_removes_socket(make_daemon):
    d = make_daemon().start()
    assert d.stop(signal.SIGTERM) == 0
    assert not os.path.exists(d.sock)
    # And it starts again on the same root, lock released.
    d.start()
    assert d.request("GET", "/_ping")[0] == 200


def test_cli_without_daemon(make_daemon, images):
    d = make_daemon().start()
    d.berth("load", "-i", images["bb-docker.tar"])
    d.stop()
    p = d.berth("tag", "busybox", "x:y", check=False)
    assert p.returncode == 1
    assert "Cannot connect to berthd" in p.err and "Start it with: berthd" in p.err
    assert len(p.err.strip().splitlines()) == 1
    # Queries answer from the database while berthd is down.
    assert "busybox" in d.berth("images").out


def test_no_database_yet(workdir):
    d = Daemon(workdir)
    p = d.berth("images", check=False)
    assert p.returncode == 1 and "start berthd" in p.err


def test_newer_schema_refused(make_daemon):
    d = make_daemon().start()
    d.stop()
    con = sqlite3.connect(os.path.join(d.root, "berth.db"))
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    p = subprocess.run([os.path.join(BIN, "berthd")], env=d.env, capture_output=True, timeout=20)
    assert p.returncode == 1
    # The newest version this berth knows: one migration file per version.
    latest = len([f for f in os.listdir(os.path.join(TOP, "Migrations")) if f.endswith(".sql")])
    assert b"version 99" in p.stderr and f"up to version {latest}".encode() in p.stderr
    q = d.berth("images", check=False)
    assert q.returncode == 1 and "newer berth" in q.err


def test_start_removes_partial_files(make_daemon, images):
    d = make_daemon().start()
    d.berth("load", "-i", images["bb-docker.tar"])
    d.stop()
    junk = [os.path.join(d.root, "tmp", "load-deadbeef"), os.path.join(d.root, "layers", "f" * 64),
            os.path.join(d.root, "blobs", "sha256", "e" * 64)]
    os.makedirs(junk[0] + "/x")
    os.makedirs(junk[1] + "/diff")
    open(junk[2], "w").write("orphan")
    d.start()
    for j in junk:
        assert not os.path.exists(j), j
    d.assert_consistent()
    assert "busybox" in d.berth("images").out


def test_sigterm_finishes_in_flight_load(make_daemon, workdir):
    from archives import big_layer, docker_archive
    big = os.path.join(workdir, "big.tar")
    with open(big, "wb") as f:
        f.write(docker_archive([big_layer(mb=64, files=300)], tag="big:1"))
    d = make_daemon().start()
    cli = subprocess.Popen([os.path.join(BIN, "berth"), "load", "-i", big], env=d.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tmp = os.path.join(d.root, "tmp")
    deadline = time.time() + 30
    while time.time() < deadline and not any(n.startswith("load-") for n in os.listdir(tmp)):
        time.sleep(0.005)
    assert any(n.startswith("load-") for n in os.listdir(tmp)), "the load never started"
    d.proc.send_signal(signal.SIGTERM)
    out, err = cli.communicate(timeout=60)
    assert cli.returncode == 0, err
    assert out == b"Loaded image: big:1\n"
    assert d.proc.wait(60) == 0
    d.proc = None
    d.start()
    assert "big" in d.berth("images").out
    d.assert_consistent()
