"""Hardening: secrets are root's, and no number from outside crashes berthd or the CLI;
capabilities and smaller checks (items 2, 3, 8, 9)."""
import json
import os
import pwd
import shutil
import sqlite3
import subprocess
import pytest
from conftest import needs_root, wait_until, BLOCK

pytestmark = needs_root


def alive(d):
    return d.proc.poll() is None and d.request("GET", "/_ping")[0] == 200


# ---- 2. Secrets are root's ----

def test_database_and_root_are_not_readable_by_others(bb):
    bb.berth("run", "--name", "sec", "-e", "DB_PASSWORD=hunter2", "busybox", "true")
    for f in ("berth.db", "berth.db-wal", "berth.db-shm"):
        p = os.path.join(bb.root, f)
        if os.path.exists(p):
            assert os.stat(p).st_mode & 0o077 == 0, f
    for name in os.listdir(bb.root):
        st = os.lstat(os.path.join(bb.root, name))
        assert st.st_mode & 0o007 == 0, name


def test_modes_of_an_existing_root_are_fixed_at_start(make_daemon):
    d = make_daemon().start()
    d.stop()
    db = os.path.join(d.root, "berth.db")
    os.chmod(db, 0o644)
    os.chmod(os.path.join(d.root, "containers"), 0o755)
    d.start()
    assert os.stat(db).st_mode & 0o777 == 0o600
    assert os.stat(os.path.join(d.root, "containers")).st_mode & 0o777 == 0o700


def test_non_root_user_is_told_permission_denied(bb):
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no nobody user")
    bin_copy = os.path.join(bb.base, "bin")
    os.makedirs(bin_copy)
    exe = shutil.copy(os.path.join(os.environ.get("BERTH_BIN_DIR", ""), "berth") if os.environ.get("BERTH_BIN_DIR") else
                      os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "berth"), bin_copy)
    os.chmod(bin_copy, 0o755)
    os.chmod(bb.base, 0o755)
    for args in (["ps"], ["sql", "SELECT 1"], ["rm", "x"]):
        p = subprocess.run([exe, *args], env=bb.env, capture_output=True, text=True,
                           preexec_fn=lambda: (os.setgid(nobody.pw_gid), os.setuid(nobody.pw_uid)))
        assert p.returncode != 0
        assert "permission denied" in p.stderr and "join group" in p.stderr, (args, p.stderr)
        assert "not running" not in p.stderr


def test_sql_reads_only_the_documented_views(bb):
    bb.berth("run", "--name", "sq", "-e", "DB_PASSWORD=hunter2", "busybox", "true")
    assert bb.berth("sql", "SELECT name FROM containers").out.split()[-1] == "sq"
    for q in ("SELECT config_json FROM main.containers",
              "SELECT * FROM main.containers",
              "WITH containers AS (SELECT config_json FROM main.containers) SELECT * FROM containers",
              "SELECT * FROM (SELECT host_config_json FROM main.containers)",
              "SELECT sql FROM sqlite_master"):
        p = bb.berth("sql", q, check=False)
        assert p.returncode != 0, q
        assert "hunter2" not in p.out
        assert "prohibited" in p.err or "not authorized" in p.err, (q, p.err)
    # What the views show stays reachable, also through a CTE.
    p = bb.berth("sql", "WITH x AS (SELECT name FROM containers) SELECT count(*) FROM x")
    assert p.out.split()[-1] == "1"


# ---- 3. No input crashes berthd or the CLI ----

def create(d, **body):
    body.setdefault("Image", "busybox")
    body.setdefault("Cmd", ["true"])
    return d.request("POST", "/containers/create", json.dumps(body).encode(), {"Content-Type": "application/json"})


@pytest.mark.parametrize("body,needle", [
    ({"HostConfig": {"NanoCpus": 100000 * 10**9}}, "Range of CPUs"),
    ({"HostConfig": {"NanoCpus": -1}}, "Range of CPUs"),
    ({"HostConfig": {"Memory": 1}}, "Minimum memory limit"),
    ({"HostConfig": {"Memory": -5}}, "memory"),
    ({"Env": ["A=b\u0000c"]}, "NUL"),
    ({"Env": ["=x"]}, "environment"),
    ({"WorkingDir": "relative/dir"}, "absolute path"),
    ({"Volumes": {"rel/path": {}}}, "must be absolute"),
    ({"Healthcheck": {"Test": ["CMD", "true"], "Interval": 1}}, "less than 1ms"),
    ({"Healthcheck": {"Test": ["CMD", "true"], "Retries": -1}}, "negative"),
    ({"HostConfig": {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": -2}}}, "negative"),
    ({"StopSignal": "SIGNOPE"}, "signal"),
])
def test_create_refuses_bad_numbers_with_400(bb, body, needle):
    status, _, data = create(bb, **body)
    assert status == 400, (status, data)
    assert needle in json.loads(data)["message"]
    assert alive(bb)
    assert bb.berth("ps", "-aq").out == ""


def test_extreme_values_never_crash_berthd(bb):
    bb.berth("load", "-i", "/dev/null", check=False)
    status, _, data = create(bb, StopTimeout=2**63 - 1, Cmd=["sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done"])
    assert status == 201, data
    cid = json.loads(data)["Id"]
    assert bb.request("POST", f"/containers/{cid}/start")[0] == 204
    assert bb.request("POST", f"/containers/{cid}/stop")[0] == 204
    assert bb.request("POST", f"/containers/{cid}/start")[0] == 204
    assert bb.request("POST", f"/containers/{cid}/stop?t=99999999999")[0] == 204
    for q in ("since=9223372036854775807", "until=-9223372036854775808", "since=-9223372036854775808&until=9223372036854775807",
              "since=99999999999999999999"):
        status, _, _ = bb.request("GET", f"/containers/{cid}/logs?stdout=1&{q}")
        assert status in (200, 400)
        status, _, _ = bb.request("GET", f"/events?{q}&until=0" if "until" not in q else f"/events?{q}")
        assert status in (200, 400)
        assert alive(bb)
    for f in ('{"label":["="]}', '{"label":["=x"]}', '{"label!":["="]}'):
        assert bb.request("POST", "/containers/prune?filters=" + f.replace('"', "%22"))[0] == 400
        assert bb.request("GET", "/containers/json?all=1&filters=" + f.replace('"', "%22"))[0] in (200, 400)
    assert bb.request("POST", "/volumes/create", json.dumps({"Name": "v" * 300}).encode(),
                      {"Content-Type": "application/json"})[0] == 400
    assert alive(bb)


@pytest.mark.parametrize("args", [
    ["run", "--rm", "--cpus", "100000", "busybox", "true"],
    ["run", "--rm", "--cpus", "1e30", "busybox", "true"],
    ["run", "--rm", "--cpus", "nan", "busybox", "true"],
    ["run", "--rm", "-m", "99999999999999999999g", "busybox", "true"],
    ["run", "--rm", "-m", "1", "busybox", "true"],
    ["run", "--rm", "--health-interval", "999999999999h", "--health-cmd", "true", "busybox", "true"],
    ["run", "--rm", "--health-interval", "1ns", "--health-cmd", "true", "busybox", "true"],
    ["ps", "-f", "label=="],
    ["events", "-f", "label==", "--until", "0s"],
    ["events", "--since", "99999999999h", "--until", "0s"],
    ["logs", "--since", "99999999999h", "x"],
    ["container", "prune", "-f", "--filter", "label=="],
])
def test_cli_refuses_extreme_values(bb, args):
    p = bb.berth(*args, check=False)
    assert p.returncode in (1, 125), (p.returncode, p.err)
    assert p.returncode != 132 and "Fatal error" not in p.err
    assert alive(bb)
    assert bb.berth("ps", "-aq").out == ""


# ---- 8, 9. Capabilities and smaller ----

def test_privileged_runs_with_the_hosts_bounding_set(bb):
    assert bb.berth("run", "--rm", "--privileged", "busybox", "true").returncode == 0
    assert bb.berth("run", "--rm", "--cap-add", "ALL", "busybox", "true").returncode == 0
    bb.berth("run", "-d", "--name", "px", "busybox", "sh", "-c", BLOCK)
    assert bb.berth("exec", "--privileged", "px", "true").returncode == 0


def test_kill9_during_bulk_rm_f_is_finished_by_recovery(make_daemon, images):
    d = make_daemon().start()
    d.berth("load", "-i", images["bb-docker.tar"])
    for i in range(6):
        d.berth("run", "-d", "--name", f"k{i}", "--restart", "always", "busybox", "sh", "-c", BLOCK)
    ids = d.berth("ps", "-q", "--no-trunc").out.split()
    assert len(ids) == 6
    proc = subprocess.Popen([os.path.join(os.environ.get("BERTH_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug")), "berth"),
                             "rm", "-f", *ids], env=d.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill berthd once the intent is recorded, before the removals commit.
    assert wait_until(lambda: d.rows("SELECT count(*) FROM containers WHERE remove_pending > 0")[0][0] > 0
                      or d.rows("SELECT count(*) FROM containers")[0][0] == 0, 30)
    d.kill9()
    proc.wait(30)
    d.start()
    assert wait_until(lambda: d.rows("SELECT count(*) FROM containers")[0][0] == 0, 30), d.rows("SELECT name, state, remove_pending FROM containers")
    assert d.berth("ps", "-aq").out == ""
