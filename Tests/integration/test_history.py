"""What containers did: ps filters, bulk removal (also across a crash), persisted events,
container history after removal, and read-only SQL."""
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest

from conftest import BIN, needs_root, wait_until, mounts_under, BLOCK

pytestmark = needs_root



def names(d, *args):
    return set(d.berth("ps", "--format", "{{.Names}}", *args).out.split())


@pytest.fixture
def population(bb):
    """A hand-built population: states, exit codes, labels, volumes, networks."""
    d = bb
    d.berth("run", "--name", "ok", "-l", "tier=web", "-l", "team=a", "busybox", "true")
    d.berth("run", "--name", "bad", "-l", "tier=db", "busybox", "sh", "-c", "exit 3", check=False)
    d.berth("run", "--name", "bad2", "-l", "tier=web", "busybox", "sh", "-c", "exit 3", check=False)
    d.berth("create", "--name", "fresh", "-v", "data:/data", "busybox", "true")
    d.berth("run", "-d", "--name", "up", "-l", "tier=web", "--network", "host", "busybox", "sh", "-c", BLOCK)
    d.berth("run", "-d", "--name", "frozen", "busybox", "sh", "-c", BLOCK)
    d.berth("pause", "frozen")
    return d


def test_ps_filters_match_hand_built_expectations(population):
    d = population
    assert names(d) == {"up", "frozen"}
    assert names(d, "-a") == {"ok", "bad", "bad2", "fresh", "up", "frozen"}
    assert names(d, "-f", "status=exited") == {"ok", "bad", "bad2"}  # status implies -a, as docker
    assert names(d, "-f", "status=exited", "-f", "status=created") == {"ok", "bad", "bad2", "fresh"}  # one key: OR
    assert names(d, "-f", "status=paused") == {"frozen"}
    assert names(d, "-a", "-f", "exited=3") == {"bad", "bad2"}
    assert names(d, "-a", "-f", "exited=0") == {"ok"}
    assert names(d, "-a", "-f", "label=tier=web") == {"ok", "bad2", "up"}
    assert names(d, "-a", "-f", "label=tier=web", "-f", "exited=3") == {"bad2"}  # keys: AND
    assert names(d, "-a", "-f", "label=tier=web", "-f", "label=team=a") == {"ok"}  # labels: all must hold
    assert names(d, "-a", "-f", "label=team") == {"ok"}
    assert names(d, "-a", "-f", "name=bad") == {"bad", "bad2"}
    assert names(d, "-a", "-f", "name=^bad$") == {"bad"}
    assert names(d, "-a", "-f", "volume=data") == {"fresh"}
    assert names(d, "-a", "-f", "volume=/data") == {"fresh"}
    assert names(d, "-a", "-f", "network=host") == {"up"}
    assert names(d, "-a", "-f", "ancestor=busybox") == names(d, "-a")
    assert names(d, "-a", "-f", "ancestor=nosuchimage") == set()
    assert names(d, "-f", "since=fresh") == {"up", "frozen"}
    assert names(d, "-f", "before=fresh") == {"ok", "bad", "bad2"}
    assert names(d, "-a", "-f", "health=none") == names(d, "-a")
    up_id = d.berth("inspect", "-f", "{{.Id}}", "up").out.strip()
    assert names(d, "-a", "-f", "id=" + up_id[:10]) == {"up"}
    assert d.berth("ps", "-aq", "--no-trunc", "-f", "name=^up$").out.strip() == up_id
    assert names(d, "-n", "2") == {"up", "frozen"}
    assert names(d, "-l") == {"frozen"}
    for bad in (["-f", "bogus=1"], ["-f", "status=sleeping"], ["-f", "exited=x"], ["-f", "noequals"]):
        p = d.berth("ps", *bad, check=False)
        assert p.returncode != 0 and p.err
    # the API answers the same
    q = json.dumps({"status": ["exited"], "label": ["tier=web"]})
    st, _, body = d.request("GET", "/containers/json?all=1&filters=" + q.replace(" ", ""))
    assert st == 200 and {c["Names"][0] for c in json.loads(body)} == {"/ok", "/bad2"}


def test_ps_formats(population):
    d = population
    lines = d.berth("ps", "-a", "--no-trunc").out.splitlines()
    assert lines[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    row = [l for l in lines if l.endswith(" bad")][0]
    assert "Exited (3)" in row and '"sh -c \'exit 3\'"' in row
    assert "Up " in [l for l in lines if l.endswith(" frozen")][0] and "(Paused)" in [l for l in lines if l.endswith(" frozen")][0]
    out = d.berth("ps", "-a", "-f", "name=^ok$", "--format",
                  '{{.ID}}|{{.Image}}|{{.Command}}|{{.State}}|{{.Names}}|{{.Labels}}|{{.Label "tier"}}|{{.Networks}}').out.strip()
    parts = out.split("|")
    assert len(parts[0]) == 12 and parts[1:] == ["busybox", '"true"', "exited", "ok",
                                                 "org.berth.test=busybox,team=a,tier=web", "web", "bridge"]
    j = json.loads(d.berth("ps", "-a", "-f", "name=^fresh$", "--format", "json").out)
    assert j["Names"] == "fresh" and j["State"] == "created" and j["Mounts"] == "data"
    t = d.berth("ps", "-a", "-f", "name=^up$", "--format", "table {{.Names}}\t{{.Status}}").out.splitlines()
    assert t[0].split() == ["NAMES", "STATUS"] and t[1].startswith("up")
    assert "(virtual " in d.berth("ps", "-s", "-f", "name=^up$").out


def test_bulk_rm_and_prune(bb):
    d = bb
    ids = []
    for i in range(40):
        ids.append(d.berth("create", "--name", f"c{i}", "-l", "batch=" + ("keep" if i % 4 == 0 else "go"),
                           "busybox", "true").out.strip())
    d.berth("run", "-d", "--name", "live", "busybox", "sh", "-c", BLOCK)
    p = d.berth("rm", "c1", "c2", "live", "nosuch", check=False)
    assert p.returncode == 1
    assert p.out.split() == ["c1", "c2"]
    assert "container is running" in p.err and "No such container: nosuch" in p.err
    p = d.berth("rm", "-f", "c3", "live")
    assert p.out.split() == ["c3", "live"]
    assert not os.path.exists(os.path.join(d.root, "containers", ids[1]))
    # prune keeps what the filters spare
    p = d.berth("container", "prune", "-f", "--filter", "label!=batch=keep")
    deleted = [l for l in p.out.splitlines() if len(l) == 64]
    assert len(deleted) == 27 and "Total reclaimed space:" in p.out
    assert names(d, "-a") == {f"c{i}" for i in range(0, 40, 4)}
    p = d.berth("container", "prune", "-f", "--filter", "until=1h")  # created within the hour: spared
    assert names(d, "-a") == {f"c{i}" for i in range(0, 40, 4)}
    d.berth("container", "prune", "-f")
    assert d.berth("ps", "-aq").out == ""
    assert os.listdir(os.path.join(d.root, "containers")) == []
    destroyed = d.rows("SELECT count(*) FROM events WHERE type = 'container' AND action = 'destroy'")[0][0]
    assert destroyed == 41
    assert d.rows("SELECT count(*) FROM events WHERE action = 'prune'")[0][0] == 3


def consistent_containers(d):
    rows = {r[0] for r in d.rows("SELECT id FROM containers")}
    dirs = set(os.listdir(os.path.join(d.root, "containers")))
    assert rows == dirs, rows ^ dirs
    assert d.rows("SELECT count(*) FROM containers WHERE state = 'removing'")[0][0] == 0
    assert d.rows("PRAGMA integrity_check")[0][0] == "ok"
    # no mount is left behind by a container that is gone
    for m in mounts_under(d.base):
        if "/containers/" in m:
            assert m.split("/containers/")[1].split("/")[0] in rows, m


def test_crash_in_the_middle_of_a_big_prune(make_daemon, images):
    d = make_daemon("crash").start()
    d.berth("load", "-i", images["bb-docker.tar"])
    # 1,000 containers through the API (the CLI path, minus process start-ups)
    for i in range(1000):
        st, _, body = d.request("POST", f"/containers/create?name=p{i}",
                                body=json.dumps({"Image": "busybox", "Cmd": ["true"]}),
                                headers={"Content-Type": "application/json"})
        assert st == 201, body
    d.berth("run", "-d", "--name", "survivor", "busybox", "sh", "-c", BLOCK)
    # mount a few rootfs (started and stopped containers keep theirs until removed)
    for i in range(5):
        d.berth("start", f"p{i}")
    wait_until(lambda: d.rows("SELECT count(*) FROM containers WHERE state = 'exited'")[0][0] == 5)

    def prune():
        try:
            d.request("POST", "/containers/prune", timeout=60)
        except Exception:
            pass
    t = threading.Thread(target=prune)
    t.start()
    # kill -9 while the prune is under way (rows marked, folders going)
    wait_until(lambda: d.rows("SELECT count(*) FROM containers WHERE state = 'removing'")[0][0] > 0
               or d.rows("SELECT count(*) FROM containers")[0][0] < 1001, timeout=30)
    d.kill9()
    t.join()
    d.start()
    consistent_containers(d)
    left = {r[0] for r in d.rows("SELECT name FROM containers")}
    assert "survivor" in left
    # every container is either fully there (row, folder, config) or fully gone
    for cid, in d.rows("SELECT id FROM containers"):
        assert os.path.isdir(os.path.join(d.root, "containers", cid))
    d.berth("container", "prune", "-f")
    assert {r[0] for r in d.rows("SELECT name FROM containers")} == {"survivor"}
    consistent_containers(d)
    d.cleanup()
    d.stop()


def test_events_history_filters_and_follow(bb):
    d = bb
    t0 = time.time()
    d.berth("run", "--name", "gone", "-l", "app=x", "busybox", "sh", "-c", "exit 2", check=False)
    cid = d.berth("inspect", "-f", "{{.Id}}", "gone").out.strip()
    d.berth("rm", "gone")
    out = d.berth("events", "--since", "1h", "--until", "0s", "-f", "container=gone").out.splitlines()
    acts = [l.split()[2] for l in out]
    # As docker run: the attached client's attach comes before the start.
    assert acts == ["create", "attach", "start", "die", "destroy"], out
    assert f"container die {cid} (" in out[3] and "exitCode=2" in out[3] and "name=gone" in out[3]
    # by id prefix, event verb, label, type; json format
    assert len(d.berth("events", "--since", "1h", "--until", "0s", "-f", "container=" + cid[:8]).out.splitlines()) == 5
    j = [json.loads(l) for l in d.berth("events", "--since", "1h", "--until", "0s", "-f", "event=die",
                                           "-f", "label=app=x", "--format", "json").out.splitlines()]
    assert len(j) == 1 and j[0]["Action"] == "die" and j[0]["Actor"]["Attributes"]["exitCode"] == "2"
    assert j[0]["status"] == "die" and j[0]["from"] == "busybox" and j[0]["timeNano"] > t0 * 1e9 - 5e9
    types = {l.split()[1] for l in d.berth("events", "--since", "1h", "--until", "0s", "-f", "type=image").out.splitlines()}
    assert types == {"image"}
    assert d.berth("events", "--since", "1h", "--until", "0s", "-f", "nope=1", check=False).returncode != 0
    # --since in the future: nothing; --until before everything: nothing
    assert d.berth("events", "--since", "2000-01-01T00:00:00Z", "--until", "2000-01-02T00:00:00Z").out == ""
    # following: new events arrive as they happen, on the CLI and on GET /events
    f = subprocess.Popen([os.path.join(BIN, "berth"), "events", "-f", "event=create", "--format", "{{.Actor.Attributes.name}}"],
                         env=d.env, stdout=subprocess.PIPE)
    try:
        time.sleep(0.3)
        d.berth("create", "--name", "later", "busybox", "true")
        line = f.stdout.readline().decode().strip()
        assert line == "later"
    finally:
        f.kill()
        f.wait()
    st, _, body = d.request("GET", "/events?since=0&until=" + str(int(time.time()) + 1) + "&filters=" +
                            json.dumps({"container": ["later"]}).replace(" ", ""))
    msgs = [json.loads(l) for l in body.decode().splitlines()]
    assert st == 200 and [m["Action"] for m in msgs] == ["create"]


def test_history_outlives_the_container(bb):
    d = bb
    d.berth("run", "-d", "--name", "svc", "busybox", "sh", "-c", BLOCK + "; exit 5")
    d.berth("stop", "-t", "1", "svc")
    d.berth("start", "svc")
    d.berth("exec", "svc", "sh", "-c", "echo go > /tmp/f")  # the container ends by itself, code 5
    wait_until(lambda: d.berth("inspect", "-f", "{{.State.Status}}", "svc").out.strip() == "exited")
    d.berth("rm", "svc")
    out = d.berth("container", "history", "svc").out.splitlines()
    assert out[0].split() == ["RUN", "STARTED", "FINISHED", "EXIT", "CODE", "RAN", "FOR", "ENDED", "BY"]
    assert len(out) == 3
    assert out[1].split()[-1] == "user-stop" and " 137 " in out[1]
    assert out[2].split()[-1] == "crash" and " 5 " in out[2]
    j = [json.loads(l) for l in d.berth("container", "history", "--format", "json", "svc").out.splitlines()]
    assert [r["EndedBy"] for r in j] == ["user-stop", "crash"] and j[0]["Name"] == "svc"
    assert d.berth("container", "history", "never-was", check=False).returncode == 1


def test_sql_views_read_only(population):
    d = population
    p = d.berth("sql", "SELECT name, state, exit_code FROM containers ORDER BY name")
    lines = p.out.splitlines()
    assert lines[0].split() == ["NAME", "STATE", "EXIT_CODE"] and len(lines) == 7
    j = json.loads(d.berth("sql", "--format", "json", "SELECT name, labels FROM containers WHERE name = 'ok'").out)
    assert json.loads(j[0]["labels"])["tier"] == "web"
    csv = d.berth("sql", "--format", "csv", "SELECT container_name, exit_code, ended_by FROM runs WHERE container_name = 'bad'").out
    assert csv.splitlines() == ["container_name,exit_code,ended_by", "bad,3,crash"]
    for view in ("events", "images", "layers", "ports", "mounts"):
        assert d.berth("sql", f"SELECT * FROM {view} LIMIT 1").returncode == 0
    before = d.rows("SELECT count(*) FROM events")[0][0]
    for write in ("DELETE FROM events", "DELETE FROM main.events", "UPDATE main.containers SET state = 'dead'",
                  "INSERT INTO main.events(time_ns, type, action, actor_id) VALUES (1, 'x', 'y', 'z')",
                  "DROP TABLE main.runs", "PRAGMA query_only = 0", "ATTACH DATABASE '/tmp/berth-sql-x.db' AS x"):
        p = d.berth("sql", write, check=False)
        assert p.returncode == 1 and p.err.startswith("Error: "), write
    assert d.rows("SELECT count(*) FROM events")[0][0] == before
    assert not os.path.exists("/tmp/berth-sql-x.db")
    p = d.berth("sql", "SELECT nope FROM containers", check=False)
    assert p.returncode == 1 and "no such column: nope" in p.err


def test_docker_cli_ps_events_prune(population, workdir):
    if not shutil.which("docker"):
        pytest.skip("docker CLI not installed")
    d = population
    env = dict(os.environ, DOCKER_HOST="unix://" + d.sock, DOCKER_CONFIG=os.path.join(workdir, "dockercfg"))

    def docker(*args):
        return subprocess.run(["docker", *args], env=env, capture_output=True, timeout=60)
    p = docker("ps", "-a", "--filter", "status=exited", "--filter", "label=tier=web", "--format", "{{.Names}}")
    assert set(p.stdout.decode().split()) == {"ok", "bad2"}
    time.sleep(1.1)  # docker sends --until in whole seconds: let the population's second pass
    p = docker("events", "--since", "1h", "--until", "0s", "--filter", "container=bad", "--format", "{{.Action}}")
    assert p.stdout.decode().split() == ["create", "attach", "start", "die"] or p.stdout.decode().split() == ["create", "start", "die"]
    p = docker("container", "prune", "-f")
    assert p.returncode == 0 and b"Total reclaimed space" in p.stdout
    assert set(docker("ps", "-a", "--format", "{{.Names}}").stdout.decode().split()) == {"up", "frozen"}


def test_retention_prunes_history_in_the_background(make_daemon, images):
    d = make_daemon("ret")
    d.args = ["--events-max-count", "12", "--runs-max-count", "2", "--retention-interval", "50ms"]
    d.start()
    d.berth("load", "-i", images["bb-docker.tar"])
    for i in range(4):
        d.berth("run", "--rm", "busybox", "true")
    assert wait_until(lambda: d.rows("SELECT count(*) FROM events")[0][0] <= 12, timeout=30)
    assert wait_until(lambda: d.rows("SELECT count(*) FROM runs")[0][0] <= 2, timeout=30)
    # the newest are the ones kept, and queries answer all along
    newest = d.rows("SELECT action FROM events ORDER BY id DESC LIMIT 1")[0][0]
    assert newest == "destroy"
    assert d.berth("events", "--since", "1h", "--until", "0s").out.count("\n") <= 12
    p = make_daemon("bad")
    p.args = ["--events-max-age", "forever"]
    with pytest.raises(RuntimeError):
        p.start()
    assert "invalid --events-max-age" in p.read_log()
    d.cleanup()
    d.stop()
