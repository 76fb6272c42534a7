"""Hardening: a lost or damaged database never costs the host its containers, a full disk
still lets berth free space, a dead monitor is noticed, --rebuild-db (items 4 and 6)."""
import json
import os
import pwd
import shutil
import socket
import sqlite3
import subprocess
import urllib.request
import pytest
from conftest import needs_root, wait_until, BLOCK

pytestmark = needs_root


def alive(d):
    return d.proc.poll() is None and d.request("GET", "/_ping")[0] == 200


# ---- 4. A lost or damaged database ----

def populated(d):
    d.berth("run", "-d", "--name", "keepme", "busybox", "sh", "-c", BLOCK)
    d.berth("run", "--name", "done", "busybox", "true")
    return d.berth("ps", "-aq", "--no-trunc").out.split()


def test_lost_wal_moves_things_aside_and_kills_nothing(make_daemon, images):
    d = make_daemon().start()
    d.berth("load", "-i", images["bb-docker.tar"])
    ids = populated(d)
    d.kill9()
    # Everything berthd wrote since the last checkpoint is gone with the WAL.
    for f in ("berth.db-wal", "berth.db-shm"):
        try:
            os.unlink(os.path.join(d.root, f))
        except FileNotFoundError:
            pass
    os.unlink(os.path.join(d.root, "berth.db"))
    d.start()
    log = d.read_log()
    assert "lost+found" in log and "nothing was deleted" in log
    lf = os.path.join(d.root, "lost+found")
    kept = [os.path.join(r, x) for r, dirs, _ in os.walk(lf) for x in dirs if len(x) == 64]
    for cid in ids:
        assert any(k.endswith(cid) for k in kept), cid
    assert any("/blobs" in k or "/layers" in k for k in kept) or any(
        os.listdir(os.path.join(lf, t, "blobs")) for t in os.listdir(lf) if os.path.isdir(os.path.join(lf, t, "blobs")))
    # The running container's monitor was left alone.
    running = ids[-1] if len(ids) > 1 else ids[0]
    pids = []
    for cid in ids:
        try:
            pids.append(int(open(os.path.join(d.runroot, cid, "conmon.pid")).read()))
        except OSError:
            pass
    assert any(os.path.exists(f"/proc/{p}") for p in pids)
    # Clean up what the test started: those containers are unknown to this berthd now.
    runc_root = os.path.join(d.runroot, "runc")
    for cid in ids:
        subprocess.run(["runc", "--root", runc_root, "kill", cid, "KILL"], capture_output=True)
        subprocess.run(["runc", "--root", runc_root, "delete", "--force", cid], capture_output=True)


def test_damaged_database_is_refused(make_daemon, images):
    d = make_daemon().start()
    d.berth("load", "-i", images["bb-docker.tar"])
    for i in range(30):
        d.berth("run", "--name", f"c{i}", "-l", "x=" + "y" * 500, "busybox", "true")
    d.stop()
    db = os.path.join(d.root, "berth.db")
    size = os.path.getsize(db)
    with open(db, "r+b") as f:
        for off in range(4096 * 2, size, 4096 * 3):
            f.seek(off + 100)
            f.write(os.urandom(400))
    p = subprocess.run([os.path.join(os.environ.get("BERTH_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug")), "berthd")],
                       env=d.env, capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "is damaged" in p.stderr and "berth system backup" in p.stderr and db in p.stderr, p.stderr
    assert len(os.listdir(os.path.join(d.root, "containers"))) == 30


def test_backup_is_consistent_while_berthd_runs(bb, workdir):
    bb.berth("run", "--name", "b1", "busybox", "true")
    out = os.path.join(workdir, "copy.db")
    bb.berth("system", "backup", out)
    assert os.stat(out).st_mode & 0o777 == 0o600
    con = sqlite3.connect(out)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT name FROM containers").fetchall() == [("b1",)]
    finally:
        con.close()


def test_clean_shutdown_checkpoints_the_wal(bb):
    bb.berth("run", "--name", "w1", "busybox", "true")
    bb.stop()
    wal = os.path.join(bb.root, "berth.db-wal")
    assert not os.path.exists(wal) or os.path.getsize(wal) == 0
    bb.start()


# ---- 6. A full disk and a dead monitor ----

def test_dead_monitor_is_noticed_while_berthd_runs(bb):
    import signal as _signal
    import time as _t
    cid = bb.berth("run", "-d", "--name", "mon", "busybox", "sh", "-c", BLOCK).out.strip()
    pid = int(open(os.path.join(bb.runroot, cid, "conmon.pid")).read())
    # An attached client and a waiter must both end when the monitor goes.
    attached = subprocess.Popen([os.path.join(os.environ.get("BERTH_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug")), "berth"),
                                 "attach", "mon"], env=bb.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    _t.sleep(0.5)
    os.kill(pid, _signal.SIGKILL)
    assert wait_until(lambda: bb.rows("SELECT state FROM containers WHERE id = ?", cid)[0][0] == "exited", 20)
    assert attached.wait(20) is not None
    err = bb.rows("SELECT error FROM containers WHERE id = ?", cid)[0][0] or ""
    assert "monitor" in err or bb.rows("SELECT exit_code FROM containers WHERE id = ?", cid)[0][0] != 0
    bb.berth("rm", "mon")


def test_full_disk_still_lets_containers_be_stopped_and_removed(make_daemon, images):
    d = make_daemon()
    os.makedirs(d.root)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", d.root], check=True)
    try:
        d.start()
        d.berth("load", "-i", images["bb-docker.tar"])
        assert os.path.getsize(os.path.join(d.root, "reserve")) == 16 << 20
        d.berth("run", "-d", "--name", "filler", "busybox", "sh", "-c",
                "dd if=/dev/zero of=/fill bs=1M count=100; echo > /dev/shm/filled; " + BLOCK)
        assert wait_until(lambda: d.berth("exec", "filler", "cat", "/dev/shm/filled", check=False).returncode == 0, 60)
        # Full: either nothing is left, or a write already found it full and freed the reserve.
        st = os.statvfs(d.root)
        reserve = os.path.join(d.root, "reserve")
        assert st.f_bavail * st.f_frsize < 1 << 20 or not os.path.exists(reserve), "the disk is not full"
        for i in range(3):
            d.berth("run", "--name", f"x{i}", "busybox", "true", check=False)
        p = d.berth("rm", "-f", "filler", check=False)
        assert p.returncode == 0, p.err
        assert d.berth("ps", "-aq", "-f", "name=filler").out == ""
        assert "released" in d.read_log() or not os.path.exists(os.path.join(d.root, "reserve"))
        assert os.statvfs(d.root).f_bavail > 1000
        d.berth("run", "--rm", "busybox", "true")
    finally:
        d.cleanup()
        d.stop()
        d.cleanup()
        subprocess.run(["umount", "-l", d.root], capture_output=True)


def test_rebuild_db_restores_images_containers_and_volumes(make_daemon, images):
    d = make_daemon().start()
    d.berth("load", "-i", images["bb-docker.tar"])
    d.berth("tag", "busybox", "example.com/team/bb:v1")
    d.berth("volume", "create", "keepvol")
    d.berth("run", "-d", "--name", "live", "-l", "role=web", "-v", "keepvol:/data", "busybox", "sh", "-c",
            "echo hi > /data/x; " + BLOCK)
    d.berth("run", "--name", "done", "busybox", "sh", "-c", "exit 3", check=False)
    d.berth("create", "--name", "fresh", "busybox", "true")
    d.berth("rename", "fresh", "renamed")
    # Networks and ports come back too: a user network with a published web server on it, and
    # one no container is on.
    d.berth("network", "create", "keepnet")
    d.berth("network", "create", "spare")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    d.berth("run", "-d", "--name", "web", "--network", "keepnet", "-p", f"127.0.0.1:{port}:80", "busybox",
            "httpd", "-f", "-p", "80", "-h", "/etc")
    d.berth("network", "connect", "keepnet", "live")
    addrs = {r[0]: r[1] for r in d.rows("SELECT c.name || '/' || n.name, a.ip FROM network_attachments a "
                                         "JOIN containers c ON c.id = a.container_id JOIN networks n ON n.id = a.network_id")}
    nets = sorted(r[0] for r in d.rows("SELECT id || ' ' || name || ' ' || subnet FROM networks"))
    before = {r[0]: r[1] for r in d.rows("SELECT name, state FROM containers")}
    d.kill9()
    for f in ("berth.db", "berth.db-wal", "berth.db-shm"):
        try:
            os.unlink(os.path.join(d.root, f))
        except FileNotFoundError:
            pass
    d.args = ["--rebuild-db"]
    d.start()
    d.args = []
    assert "rebuild: 1 images, 4 containers" in d.read_log(), d.read_log()
    assert sorted(r[0] for r in d.rows("SELECT id || ' ' || name || ' ' || subnet FROM networks")) == nets
    assert {r[0]: r[1] for r in d.rows("SELECT c.name || '/' || n.name, a.ip FROM network_attachments a JOIN containers c "
                                        "ON c.id = a.container_id JOIN networks n ON n.id = a.network_id")} == addrs
    assert d.berth("port", "web").out.strip() == f"80/tcp -> 127.0.0.1:{port}"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/hostname", timeout=5) as r:
        assert r.status == 200
    after = {r[0]: r[1] for r in d.rows("SELECT name, state FROM containers")}
    assert after == before, (before, after)
    assert d.rows("SELECT exit_code FROM containers WHERE name = 'done'")[0][0] == 3
    tags = {r[0] for r in d.rows("SELECT name FROM tags")}
    assert tags == {"docker.io/library/busybox:latest", "example.com/team/bb:v1"}, tags
    assert d.rows("SELECT name FROM volumes") == [("keepvol",)]
    assert d.rows("SELECT value FROM container_labels WHERE key = 'role'") == [("web",)]
    # The running container was re-adopted: exec works, its volume is there.
    assert d.berth("exec", "live", "cat", "/data/x").out == "hi\n"
    assert not os.path.exists(os.path.join(d.root, "lost+found"))
    d.assert_consistent()
    d.berth("start", "-a", "renamed")
    d.berth("restart", "-t", "0", "web")
    assert d.berth("port", "web").out.strip() == f"80/tcp -> 127.0.0.1:{port}"
    d.berth("rm", "-f", "live", "done", "renamed", "web")
    d.berth("network", "rm", "keepnet", "spare")
