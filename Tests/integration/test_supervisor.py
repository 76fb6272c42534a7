"""The supervisor: restart policies with Docker's back-off, user stops that cancel them,
restarts that resume across a berthd crash, and recovery after a simulated host reboot."""
import json
import os
import signal
import socket
import shutil
import subprocess
import time

import pytest

from conftest import needs_root, wait_until, mounts_under, BLOCK

pytestmark = needs_root



def state(d, name):
    return d.berth("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", name).out.split()


def actions(d, name):
    return [(int(t), a) for t, a in (l.split(" ", 1) for l in d.berth(
        "events", "--since", "1h", "--until", "0s", "-f", "container=" + name, "--format", "{{.TimeNano}} {{.Action}}").out.splitlines())]


def test_on_failure_backs_off_and_stops_at_its_count(bb):
    # No network: the gaps measure the back-off, not netavark's setup time under load.
    bb.berth("run", "-d", "--name", "fails", "--network", "none", "--restart", "on-failure:4", "busybox", "sh", "-c", "exit 4")
    assert wait_until(lambda: state(bb, "fails") == ["exited", "4"], timeout=30)
    time.sleep(2)
    assert state(bb, "fails") == ["exited", "4"]  # no fifth run
    ev = actions(bb, "fails")
    assert [a for _, a in ev] == ["create", "start"] + ["die", "start"] * 4 + ["die"]
    # back-off measured from the events: 100 ms, then doubling (plus the start itself)
    dies = [t for t, a in ev if a == "die"]
    starts = [t for t, a in ev if a == "start"][1:]
    gaps = [(s - d) / 1e6 for d, s in zip(dies, starts)]
    for i, g in enumerate(gaps):
        assert 100 * 2 ** i <= g < 100 * 2 ** i + 400, gaps
    runs = bb.rows("SELECT exit_code, end_reason FROM runs WHERE container_name = 'fails' ORDER BY id")
    assert runs == [(4, "crash")] * 5


def test_always_restarts_and_a_user_stop_cancels(bb):
    bb.berth("run", "-d", "--name", "al", "--restart", "always", "busybox", "sh", "-c", "exit 0")
    assert wait_until(lambda: int(state(bb, "al")[1]) >= 3, timeout=30)
    # while waiting for its next run: "Restarting (0) …" (catch one)
    seen = wait_until(lambda: "Restarting (0)" in bb.berth("ps", "-a", "-f", "name=al").out, timeout=30)
    assert seen
    bb.berth("stop", "al")
    st, count = state(bb, "al")
    time.sleep(1.5)
    assert state(bb, "al") == ["exited", count]
    assert bb.rows("SELECT stopped_by_user, restart_at FROM containers WHERE name = 'al'") == [(1, None)]
    # a restarting container can also be removed at once
    bb.berth("run", "-d", "--name", "bl", "--restart", "always", "busybox", "sh", "-c", "exit 1")
    assert wait_until(lambda: int(state(bb, "bl")[1]) >= 1, timeout=30)
    bb.berth("rm", "-f", "bl")
    time.sleep(1)
    assert bb.berth("ps", "-aq", "-f", "name=^bl$").out == ""


def test_no_policy_and_rm_conflict_and_update(bb):
    bb.berth("run", "--name", "nn", "busybox", "sh", "-c", "exit 2", check=False)
    time.sleep(0.5)
    assert state(bb, "nn") == ["exited", "0"]
    p = bb.berth("run", "--rm", "--restart", "always", "busybox", "true", check=False)
    assert p.returncode == 125 and "conflicting options" in p.err.lower()
    assert bb.berth("ps", "-aq").out.count("\n") == 1
    bb.berth("update", "--restart", "on-failure:2", "nn")
    assert bb.berth("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", "nn").out.split() == ["on-failure", "2"]
    bb.berth("start", "nn")
    assert wait_until(lambda: state(bb, "nn") == ["exited", "2"], timeout=30)
    p = bb.berth("update", "--restart", "sometimes", "nn", check=False)
    assert p.returncode == 125


def test_pending_restart_resumes_after_berthd_crash(bb):
    bb.berth("run", "-d", "--name", "pp", "--restart", "on-failure:6", "busybox", "sh", "-c", "exit 3")
    # wait until it is between runs with a longer delay, then kill berthd
    assert wait_until(lambda: int(state(bb, "pp")[1]) >= 3 and state(bb, "pp")[0] == "restarting", timeout=30)
    bb.kill9()
    time.sleep(0.5)
    bb.start()
    assert wait_until(lambda: state(bb, "pp") == ["exited", "6"], timeout=60)
    assert bb.rows("PRAGMA integrity_check") == [("ok",)]
    assert "restarts resumed" in bb.read_log()


def simulate_reboot(d, workdir):
    """Stop berthd, kill every container process and conmon, unmount what berth mounted,
    empty the runroot, and give the host a new boot id."""
    d.stop()
    runc_root = os.path.join(d.runroot, "runc")
    listed = subprocess.run(["runc", "--root", runc_root, "list", "-q"], capture_output=True, text=True).stdout.split()
    for cid in listed:
        subprocess.run(["runc", "--root", runc_root, "kill", "--all", cid, "KILL"], capture_output=True)
    for entry in os.listdir(d.runroot):
        try:
            pid = int(open(os.path.join(d.runroot, entry, "conmon.pid")).read())
            if "conmon" in open(f"/proc/{pid}/comm").read():
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
    time.sleep(0.3)
    for cid in listed:
        subprocess.run(["runc", "--root", runc_root, "delete", "--force", cid], capture_output=True)
    for m in mounts_under(d.base):
        subprocess.run(["umount", "-l", m], capture_output=True)
    subprocess.run(["rm", "-rf", d.runroot])
    boot = os.path.join(workdir, "boot_id")
    open(boot, "w").write(os.urandom(16).hex() + "\n")
    d.extra_env["BERTH_BOOT_ID_FILE"] = boot


def test_reboot_recovery_by_policy(make_daemon, images, workdir):
    d = make_daemon("host")
    boot = os.path.join(workdir, "boot_id")
    open(boot, "w").write("first-boot\n")
    d.extra_env["BERTH_BOOT_ID_FILE"] = boot
    d.start()
    d.berth("load", "-i", images["bb-docker.tar"])
    vol = os.path.join(workdir, "vol")
    os.makedirs(vol)
    run = lambda name, *flags: d.berth("run", "-d", "--name", name, *flags, "busybox", "sh", "-c", BLOCK)
    run("always", "--restart", "always", "-v", vol + ":/data")
    run("unless", "--restart", "unless-stopped")
    run("unless-stopped-by-user", "--restart", "unless-stopped")
    run("always-stopped-by-user", "--restart", "always")
    run("onfail", "--restart", "on-failure")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    run("plain", "-p", f"127.0.0.1:{port}:80")
    run("gone", "--rm")
    d.berth("stop", "-t", "1", "unless-stopped-by-user", "always-stopped-by-user")
    d.berth("create", "--name", "never-started", "--restart", "always", "busybox", "true")
    simulate_reboot(d, workdir)
    t0 = time.time()
    d.start()
    answered = time.time() - t0
    want_running = {"always", "unless", "always-stopped-by-user", "onfail"}
    assert wait_until(lambda: set(d.berth("ps", "--format", "{{.Names}}").out.split()) == want_running, timeout=60)
    everything = set(d.berth("ps", "-a", "--format", "{{.Names}}").out.split())
    assert everything == want_running | {"unless-stopped-by-user", "plain", "never-started"}  # "gone" removed
    # the containers that died with the host: exit 255, a die event naming the reboot
    for name in ("always", "unless", "onfail", "plain"):
        die = d.rows("SELECT attributes FROM events WHERE actor_name = ? AND action = 'die' ORDER BY id DESC LIMIT 1", name)
        a = json.loads(die[0][0])
        assert a["exitCode"] == "255" and "reboot" in a["reason"], (name, a)
    assert d.rows("SELECT end_reason FROM runs WHERE container_name = 'plain'") == [("reboot",)]
    assert d.berth("inspect", "-f", "{{.State.ExitCode}}", "plain").out.strip() == "255"
    # its port forwarding went too, though the emptied runroot took netavark's input with it
    rules = subprocess.run(["iptables-save", "-t", "nat"], capture_output=True, text=True).stdout
    assert f"--dport {port} " not in rules
    assert not [f for f in os.listdir(os.path.join(d.runroot, "netns")) if not f.startswith("keep-")
                and f[:64] not in d.berth("ps", "-q", "--no-trunc").out]
    # volumes come back with the container
    d.berth("exec", "always", "sh", "-c", "echo ok > /data/x")
    assert open(os.path.join(vol, "x")).read() == "ok\n"
    log = d.read_log()
    assert "recovered " in log and "4 restarted" in log and "1 removed" in log, log
    rec = d.rows("SELECT attributes FROM events WHERE type = 'daemon' AND action = 'recover'")
    assert rec and json.loads(rec[-1][0])["restarted"] == "4"
    assert answered < 5
    d.cleanup()
    d.stop()


def test_health_checks(bb):
    bb.berth("run", "-d", "--name", "hc", "--health-cmd", "test -e /tmp/ok && echo fine", "--health-interval", "200ms",
             "--health-retries", "2", "busybox", "sh", "-c", BLOCK)
    assert bb.berth("inspect", "-f", "{{.State.Health.Status}}", "hc").out.strip() == "starting"
    assert wait_until(lambda: "(unhealthy)" in bb.berth("ps", "-f", "name=hc").out, timeout=30)
    assert bb.berth("ps", "-q", "-f", "health=unhealthy").out.strip() != ""
    bb.berth("exec", "hc", "touch", "/tmp/ok")
    assert wait_until(lambda: "(healthy)" in bb.berth("ps", "-f", "name=hc").out, timeout=30)
    h = json.loads(bb.berth("inspect", "-f", "{{json .State.Health}}", "hc").out)
    assert h["Status"] == "healthy" and h["FailingStreak"] == 0
    assert h["Log"][-1]["ExitCode"] == 0 and h["Log"][-1]["Output"] == "fine\n" and len(h["Log"]) <= 5
    acts = [a for _, a in actions(bb, "hc")]
    assert "health_status: unhealthy" in acts and acts[-1] == "health_status: healthy"
    # health does not restart anything (as Docker), and probes stop with the container
    assert state(bb, "hc") == ["running", "0"]
    bb.berth("kill", "hc")
    n = len(actions(bb, "hc"))
    time.sleep(1)
    assert len(actions(bb, "hc")) == n
    assert not [d for d in os.listdir(os.path.join(bb.runroot)) if d.startswith("health")]
    # a probe that overruns its timeout fails; --no-healthcheck turns an image's check off
    bb.berth("run", "-d", "--name", "slow", "--health-cmd", "sleep 5", "--health-interval", "200ms",
             "--health-timeout", "100ms", "--health-retries", "1", "busybox", "sh", "-c", BLOCK)
    assert wait_until(lambda: "(unhealthy)" in bb.berth("ps", "-f", "name=slow").out, timeout=30)
    out = json.loads(bb.berth("inspect", "-f", "{{json .State.Health}}", "slow").out)["Log"][-1]["Output"]
    assert "exceeded timeout" in out
    bb.berth("run", "-d", "--name", "none", "--no-healthcheck", "busybox", "sh", "-c", BLOCK)
    assert bb.berth("inspect", "-f", "{{json .State.Health}}", "none").out.strip() in ("null", "")
    p = bb.berth("run", "--health-interval", "soon", "busybox", "true", check=False)
    assert p.returncode == 125


def test_systemd_unit_and_install(workdir):
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    unit = open(os.path.join(top, "contrib", "berthd.service")).read()
    assert "KillMode=process" in unit and "Restart=on-failure" in unit and "ExecStart=/usr/local/bin/berthd" in unit
    p = subprocess.run(["make", "-n", "install", "DESTDIR=" + workdir], cwd=top, capture_output=True, text=True)
    assert p.returncode == 0
    assert "berthd.service" in p.stdout and "/bin/berth" in p.stdout and "/bin/berthd" in p.stdout
    if shutil.which("systemd-analyze"):
        v = subprocess.run(["systemd-analyze", "verify", os.path.join(top, "contrib", "berthd.service")],
                           capture_output=True, text=True)
        assert "Unknown key" not in v.stderr and "Invalid" not in v.stderr, v.stderr


def test_rm_container_that_exited_while_berthd_was_down_is_reaped(bb, workdir):
    flag = os.path.join(workdir, "flag")
    os.makedirs(flag)
    cid = bb.berth("run", "-d", "--rm", "-v", flag + ":/flag", "busybox", "sh", "-c",
                   "while [ ! -e /flag/go ]; do sleep 0.05; done; exit 3").out.strip()
    bb.kill9()
    open(os.path.join(flag, "go"), "w").close()
    assert wait_until(lambda: os.path.exists(os.path.join(bb.runroot, "exits", cid)))
    bb.start()
    assert bb.berth("ps", "-aq").out == ""
    assert not os.path.exists(os.path.join(bb.root, "containers", cid))
    assert bb.rows("SELECT action FROM events WHERE actor_id = ? ORDER BY id", cid)[-2:] == [("die",), ("destroy",)]


def reality_matches(d):
    """Every row tells the truth: running rows have a live conmon, others have none; rows and
    folders agree; the database is whole."""
    assert d.rows("PRAGMA integrity_check") == [("ok",)]
    rows = d.rows("SELECT id, state, conmon_pid FROM containers")
    for cid, st, pid in rows:
        alive = pid is not None and os.path.exists(f"/proc/{pid}") and "conmon" in open(f"/proc/{pid}/comm").read()
        assert (st in ("running", "paused")) == alive, (cid, st, pid)
        assert st not in ("removing",), cid
    assert {r[0] for r in rows} == set(os.listdir(os.path.join(d.root, "containers")))


@pytest.mark.parametrize("op", ["start", "stop", "rm", "prune"])
def test_kill9_during_lifecycle_operations(make_daemon, images, op):
    d = make_daemon(op).start()
    d.berth("load", "-i", images["bb-docker.tar"])
    names = [f"k{i}" for i in range(12)]
    for n in names:
        d.berth("create", "--name", n, "busybox", "sh", "-c", BLOCK)
    if op in ("stop", "rm"):
        d.berth("start", *names)
    import threading
    args = {"start": ["start", *names], "stop": ["stop", "-t", "1", *names],
            "rm": ["rm", "-f", *names], "prune": ["container", "prune", "-f"]}[op]
    t = threading.Thread(target=lambda: d.berth(*args, check=False))
    t.start()
    time.sleep(0.15)
    d.kill9()
    t.join()
    d.start()
    # berthd settles what was under way; then every row matches what runs
    time.sleep(0.5)
    reality_matches(d)
    d.cleanup()
    d.stop()
