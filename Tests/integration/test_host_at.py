"""The host at past moments: `ps -a --at`, `events --diff`, `container history --summary`
and `/metrics`, on real containers that run, exit, restart, get OOM-killed, are renamed and
removed, then queried at earlier times."""
import json
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import needs_root, wait_until, BLOCK
from test_network import free_port

pytestmark = needs_root


def now():
    return "%.9f" % time.time()


def ps_at(d, at, *args, fmt="{{.Names}} {{.State}}"):
    return sorted(d.berth("ps", "-a", "--at", at, "--format", fmt, *args).out.splitlines())


def pause():
    # Moments apart by more than the clock's grain, so "before" and "after" are distinct.
    time.sleep(0.05)


@pytest.fixture
def story(bb):
    """A short life of a host, with the moment after each step."""
    d = bb
    t = {"start": now()}
    pause()
    d.berth("run", "-d", "--name", "web", "-p", "127.0.0.1::80", "-l", "tier=front", "busybox", "sh", "-c", BLOCK)
    d.berth("create", "--name", "idle", "busybox", "true")
    pause(); t["web-up"] = now(); pause()
    d.berth("pause", "web")
    pause(); t["paused"] = now(); pause()
    d.berth("unpause", "web")
    d.berth("run", "--name", "oomer", "-m", "16m", "busybox", "sh", "-c", 'x=0123456789; while :; do x="$x$x"; done',
            check=False)
    pause(); t["oom"] = now(); pause()
    d.berth("stop", "-t", "1", "web")
    pause(); t["web-stopped"] = now(); pause()
    d.berth("rename", "web", "frontend")
    pause(); t["renamed"] = now(); pause()
    d.berth("rm", "frontend")
    pause(); t["removed"] = now(); pause()
    return d, t


def test_ps_at_rebuilds_each_moment(story):
    d, t = story
    assert ps_at(d, t["start"]) == []
    up = ps_at(d, t["web-up"], fmt="{{.Names}} {{.State}} {{.Ports}}")
    assert up[0].strip() == "idle created"
    assert up[1].startswith("web running 127.0.0.1:") and up[1].endswith("->80/tcp")
    assert ps_at(d, t["paused"]) == ["idle created", "web paused"]
    assert "oomer exited" in ps_at(d, t["oom"])
    status = d.berth("ps", "-a", "--at", t["oom"], "-f", "name=oomer", "--format", "{{.Status}}").out
    assert status.startswith("Exited (137)")
    assert ps_at(d, t["web-stopped"]) == ["idle created", "oomer exited", "web exited"]
    # The name it had then, and gone once removed; today's ps knows neither.
    assert "frontend exited" in ps_at(d, t["renamed"])
    assert ps_at(d, t["removed"]) == ["idle created", "oomer exited"]
    assert "web" not in d.berth("ps", "-a").out
    # Filters and formats answer for that moment, as without --at.
    assert ps_at(d, t["web-up"], "-f", "label=tier=front") == ["web running"]
    assert ps_at(d, t["paused"], "-f", "status=paused") == ["web paused"]
    # web ignored SIGTERM (sh as pid 1), so `stop` killed it: 137 as well.
    assert ps_at(d, t["web-stopped"], "-f", "exited=137") == ["oomer exited", "web exited"]
    assert ps_at(d, t["web-up"], "-f", "exited=137") == []
    running = d.berth("ps", "--at", t["web-up"], "-q").out.split()
    assert len(running) == 1 and len(running[0]) == 12
    assert d.berth("ps", "-a", "--at", t["web-up"], "-n", "1", "--format", "{{.Names}}").out.split() == ["idle"]
    rows = [json.loads(l) for l in d.berth("ps", "-a", "--at", t["web-up"], "--format", "json").out.splitlines()]
    assert {r["Names"] for r in rows} == {"web", "idle"}
    # Bad moments: a clear refusal, nothing else.
    future = d.berth("ps", "-a", "--at", "%d" % (time.time() + 3600), check=False)
    assert future.returncode == 125 and "future" in future.err
    garbled = d.berth("ps", "-a", "--at", "yesterday-ish", check=False)
    assert garbled.returncode == 125 and "RFC 3339" in garbled.err
    # Durations mean that long ago; berthd down, the database still answers.
    assert "oomer exited" in ps_at(d, "1s")
    d.stop()
    assert ps_at(d, t["paused"]) == ["idle created", "web paused"]


def test_events_diff_names_what_changed(story):
    d, t = story
    lines = d.berth("events", "--diff", t["web-up"], t["removed"], "--format", "{{.Type}} {{.Name}} {{.Change}}").out
    got = set(lines.splitlines())
    assert "container web removed" in got or "container frontend removed" in got
    assert "container oomer created" in got
    diff = [json.loads(l) for l in d.berth("events", "--diff", t["paused"], t["oom"], "--format", "json").out.splitlines()]
    oomer = [c for c in diff if c["Name"] == "oomer"]
    assert oomer and oomer[0]["Change"] == "created" and oomer[0]["After"] == "exited (137)"
    web = [c for c in diff if c["Name"] == "web"]
    assert web and web[0]["Change"] == "unpaused"
    stop = [json.loads(l) for l in d.berth("events", "--diff", t["oom"], t["web-stopped"], "--format", "json").out.splitlines()]
    assert [(c["Name"], c["Change"], c["Before"]) for c in stop] == [("web", "stopped", "running")]
    assert "stopped by a user" in stop[0]["Detail"]
    renamed = d.berth("events", "--diff", t["web-stopped"], t["renamed"], "--format", "{{.Change}} {{.Before}} {{.After}}").out
    assert renamed.split() == ["renamed", "web", "frontend"]
    # Images and volumes between two moments come from their events.
    before = now()
    d.berth("volume", "create", "diffvol")
    d.berth("tag", "busybox", "busybox:diff")
    table = d.berth("events", "--diff", before, "now").out
    assert "volume" in table and "diffvol" in table and "tagged" in table
    assert d.berth("events", "--diff", t["removed"], t["web-up"], check=False).returncode == 125
    assert d.berth("events", "--diff", t["web-up"], check=False).returncode != 0


def test_summary_flags_a_crash_loop(bb):
    d = bb
    d.berth("run", "-d", "--name", "looper", "--restart", "on-failure:3", "busybox", "sh", "-c", "exit 2")
    d.berth("run", "--name", "fine", "busybox", "true")
    assert wait_until(lambda: d.rows("SELECT count(*) FROM runs WHERE container_name = 'looper' AND finished_at IS NOT NULL")[0][0] >= 4,
                      timeout=60)
    assert wait_until(lambda: d.berth("inspect", "-f", "{{.State.Status}}", "looper").out.strip() == "exited", timeout=30)
    rows = [json.loads(l) for l in d.berth("container", "history", "--summary", "--format", "json").out.splitlines()]
    assert rows[0]["Name"] == "looper"  # worst first
    assert rows[0]["CrashLoop"] == "yes" and rows[0]["Runs"] == "4" and rows[0]["RestartsLastHour"] == "3"
    assert rows[0]["Exits"] == "2×4" and "crash×4" in rows[0]["EndedBy"]
    fine = [r for r in rows if r["Name"] == "fine"][0]
    assert fine["CrashLoop"] == "no" and fine["Exits"] == "0×1"
    one = d.berth("container", "history", "--summary", "fine").out.splitlines()
    assert len(one) == 2 and one[1].startswith("fine")
    assert d.berth("container", "history", "--summary", "nosuch", check=False).returncode != 0
    assert d.berth("container", "history", check=False).returncode != 0


def families(text):
    return {f.name: f for f in text_string_to_metric_families(text)}


def value(fams, name, **labels):
    for s in fams[name].samples:
        if s.name in (name, name + "_total") and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise KeyError((name, labels))


def test_metrics_parse_and_agree_with_ps(make_daemon, images):
    d = make_daemon()
    port = free_port()
    d.args = ["--metrics-addr", f"127.0.0.1:{port}"]
    d.start()
    d.berth("load", "-i", images["bb-docker.tar"])
    d.berth("run", "-d", "--name", "up", "busybox", "sh", "-c", BLOCK)
    d.berth("run", "--name", "bad", "busybox", "sh", "-c", "exit 3", check=False)
    d.berth("run", "--name", "oomer", "-m", "16m", "busybox", "sh", "-c", 'x=0123456789; while :; do x="$x$x"; done',
            check=False)
    d.berth("run", "-d", "--name", "checked", "--health-cmd", "true", "--health-interval", "1s", "busybox", "sh", "-c", BLOCK)
    assert wait_until(lambda: d.berth("inspect", "-f", "{{.State.Health.Status}}", "checked").out.strip() == "healthy", 30)
    status, headers, body = d.request("GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    fams = families(body.decode())
    states = {}
    for line in d.berth("ps", "-a", "--format", "{{.State}}").out.split():
        states[line] = states.get(line, 0) + 1
    for state in ("running", "exited", "created", "paused"):
        assert value(fams, "berth_containers", state=state) == states.get(state, 0)
    assert value(fams, "berth_containers_running") == states["running"]
    assert fams["berth_oom_kills"].type == "counter" and value(fams, "berth_oom_kills") == 1
    assert value(fams, "berth_container_exits", container="bad", exit_code="3") == 1
    assert value(fams, "berth_container_exits", container="oomer", exit_code="137") == 1
    assert value(fams, "berth_container_health", container="checked", status="healthy") == 1
    assert value(fams, "berth_container_health", container="checked", status="unhealthy") == 0
    assert value(fams, "berth_images") == len(d.berth("images", "-q").out.split())
    assert value(fams, "berth_image_bytes") > 0
    assert value(fams, "berth_events") == d.rows("SELECT count(*) FROM events")[0][0]
    assert value(fams, "berth_database_bytes") > 0 and value(fams, "berth_uptime_seconds") > 0
    assert value(fams, "berth_http_requests", route="/containers/create", method="POST", code="201") >= 4
    status, _, _ = d.request("GET", "/containers/nosuch/json")
    assert status == 404
    fams = families(d.request("GET", "/metrics")[2].decode())
    assert value(fams, "berth_http_requests", route="/containers/{id}/json", method="GET", code="404") == 1
    assert fams["berth_http_request_duration_seconds"].type == "histogram"
    # The TCP listener serves /metrics and nothing else of the API.
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics")
    r = c.getresponse()
    tcp = families(r.read().decode())
    assert r.status == 200 and value(tcp, "berth_containers", state="running") == states["running"]
    for path in ("/containers/json", "/v1.43/info", "/_ping"):
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        assert r.status == 404, path
    c.request("POST", "/metrics")
    r = c.getresponse()
    r.read()
    assert r.status == 404
    c.close()


def test_metrics_addr_refuses_other_hosts(make_daemon):
    d = make_daemon()
    d.args = ["--metrics-addr", "0.0.0.0:9"]
    with pytest.raises(RuntimeError) as e:
        d.start()
    assert "loopback" in str(e.value)
