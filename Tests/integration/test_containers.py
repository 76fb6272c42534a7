"""Containers under real conmon and runc: run, stop, kill, rm, wait, logs, inspect, and exits
that are never lost, even while berthd is down. (This machine fast-forwards idle time, so
long-running test containers block on a FIFO rather than sleep.)"""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import needs_root, wait_until, BLOCK

pytestmark = needs_root



def conmon_alive(d, cid):
    try:
        pid = int(open(os.path.join(d.runroot, cid, "conmon.pid")).read())
        return "conmon" in open(f"/proc/{pid}/comm").read()
    except OSError:
        return False


def test_foreground_run_streams_and_exits_with_code(bb):
    p = bb.berth("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 7", check=False)
    assert p.returncode == 7
    assert p.out == "out\n" and p.err == "err\n"
    assert bb.berth("ps", "-aq").out == ""
    p = bb.berth("run", "--name", "keep", "busybox", "echo", "kept")
    assert p.out == "kept\n"
    assert "Exited (0)" in bb.berth("ps", "-a").out
    assert bb.berth("logs", "keep").out == "kept\n"


def test_command_errors_use_docker_codes(bb):
    p = bb.berth("run", "--rm", "busybox", "nosuchcmd", check=False)
    assert p.returncode == 127 and "executable file not found" in p.err
    p = bb.berth("run", "--rm", "busybox", "/etc/passwd", check=False)
    assert p.returncode == 126
    p = bb.berth("run", "nosuchimage", check=False)
    assert p.returncode == 125 and "Unable to find image 'nosuchimage' locally" in p.err
    assert bb.berth("ps", "-aq").out == ""
    p = bb.berth("run", "-v", "relative:dir:x:y", "busybox", check=False)
    assert p.returncode == 125 and "invalid volume specification" in p.err
    p = bb.berth("run", "--name", "bad name", "busybox", check=False)
    assert p.returncode == 125 and "Invalid container name" in p.err


def test_config_is_honoured(bb, workdir):
    host = os.path.join(workdir, "hostdir")
    os.makedirs(host)
    out = bb.berth("run", "--rm", "-e", "FOO=bar", "-w", "/work", "-u", "nobody", "-h", "boxy",
                   "-v", host + ":/data:ro", "--tmpfs", "/scratch", "-l", "team=infra", "busybox",
                   "sh", "-c", "id -u; pwd; echo $FOO; hostname; cat /etc/hostname; touch /data/x 2>/dev/null || echo ro;"
                   "touch /scratch/y && echo tmpfs-ok; echo $PATH").out.splitlines()
    assert out[0] == "65534" and out[1] == "/work" and out[2] == "bar"
    assert out[3] == "boxy" and out[4] == "boxy"
    assert out[-3].endswith("ro") and out[-2] == "tmpfs-ok" and out[-1].startswith("/usr/local/sbin")
    # Read-only rootfs, dropped capabilities, the image's env and the default network.
    p = bb.berth("run", "--rm", "--read-only", "busybox", "touch", "/x", check=False)
    assert p.returncode != 0 and "Read-only file system" in p.err
    p = bb.berth("run", "--rm", "--cap-drop", "CHOWN", "busybox", "chown", "65534", "/etc/motd", check=False)
    assert p.returncode != 0
    assert bb.berth("run", "--rm", "busybox", "chown", "65534", "/etc/motd").returncode == 0
    out = bb.berth("run", "--rm", "busybox", "sh", "-c", "ls /sys/class/net; cat /proc/1/status | grep CapEff").out
    assert out.split()[:2] == ["eth0", "lo"] and "CapEff:\t00000000a80425fb" in out
    out = bb.berth("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net").out
    assert out.split() == ["lo"]


def test_named_volume_persists(bb):
    bb.berth("run", "--rm", "-v", "vol1:/v", "busybox", "sh", "-c", "echo saved > /v/file")
    assert bb.berth("run", "--rm", "-v", "vol1:/v", "busybox", "cat", "/v/file").out == "saved\n"
    assert os.path.isfile(os.path.join(bb.root, "volumes", "vol1", "_data", "file"))


def test_detached_stop_kill_rm_and_events(bb):
    cid = bb.berth("run", "-d", "--name", "web", "busybox", "sh", "-c", BLOCK).out.strip()
    assert len(cid) == 64
    assert "web" in bb.berth("ps").out
    insp = json.loads(bb.berth("inspect", "web").out)[0]
    assert insp["State"]["Running"] and insp["State"]["Pid"] > 0 and insp["Name"] == "/web"
    assert conmon_alive(bb, cid)
    p = bb.berth("rm", "web", check=False)
    assert p.returncode == 1
    assert 'cannot remove container "web": container is running: stop the container before removing or force remove' in p.err
    # sh as pid 1 ignores SIGTERM: stop waits, then kills.
    assert bb.berth("stop", "-t", "1", "web").out == "web\n"
    insp = json.loads(bb.berth("inspect", "web").out)[0]
    assert insp["State"]["Status"] == "exited" and insp["State"]["ExitCode"] == 137
    assert bb.berth("stop", "web").out == "web\n"  # already stopped: fine, as docker
    assert bb.berth("wait", "web").out == "137\n"
    actions = [r[0] for r in bb.rows("SELECT action FROM events WHERE actor_id = ? ORDER BY id", cid)]
    assert actions == ["create", "start", "kill", "kill", "die", "stop"]
    assert not conmon_alive(bb, cid)
    assert not any(cid in m for m in open("/proc/self/mountinfo").read().splitlines())
    bb.berth("start", "web")
    assert "Up " in bb.berth("ps", "--format", "{{.Status}}").out
    bb.berth("kill", "web")
    assert bb.berth("wait", "web").out == "137\n"
    bb.berth("rm", "web")
    assert bb.berth("ps", "-aq").out == ""
    assert not os.path.exists(os.path.join(bb.root, "containers", cid))
    assert bb.rows("SELECT action FROM events WHERE actor_id = ? ORDER BY id DESC LIMIT 1", cid) == [("destroy",)]
    runs = bb.rows("SELECT exit_code, end_reason FROM runs WHERE container_id = ? ORDER BY id", cid)
    assert runs == [(137, "user-stop"), (137, "user-stop")]


def test_rm_force_running(bb):
    cid = bb.berth("run", "-d", "busybox", "sh", "-c", BLOCK).out.strip()
    bb.berth("rm", "-f", cid[:12])
    assert bb.berth("ps", "-aq").out == ""
    assert not conmon_alive(bb, cid)


def test_logs_options(bb):
    bb.berth("run", "--name", "chatty", "busybox", "sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done; echo oops >&2")
    assert bb.berth("logs", "chatty").out == "line1\nline2\nline3\nline4\nline5\n"
    assert bb.berth("logs", "chatty").err == "oops\n"
    assert bb.berth("logs", "--tail", "2", "chatty").out == "line5\n"
    stamped = bb.berth("logs", "-t", "chatty").out.splitlines()
    assert stamped[0].endswith(" line1") and stamped[0][:4].isdigit() and "T" in stamped[0].split()[0]
    assert bb.berth("logs", "--since", "1h", "chatty").out.count("line") == 5
    p = bb.berth("logs", "nope", check=False)
    assert p.returncode == 1 and "No such container: nope" in p.err


def test_exit_while_berthd_is_down_is_recorded(bb, workdir):
    flag = os.path.join(workdir, "flag")
    os.makedirs(flag)
    script = "while [ ! -e /flag/go ]; do sleep 0.05; done; exit 42"
    cid = bb.berth("run", "-d", "-v", flag + ":/flag", "busybox", "sh", "-c", script).out.strip()
    bb.kill9()
    assert conmon_alive(bb, cid)  # the container outlives berthd
    open(os.path.join(flag, "go"), "w").close()
    assert wait_until(lambda: os.path.exists(os.path.join(bb.runroot, "exits", cid)))
    bb.start()
    insp = json.loads(bb.berth("inspect", cid).out)[0]
    assert insp["State"]["Status"] == "exited" and insp["State"]["ExitCode"] == 42
    assert bb.rows("SELECT count(*) FROM events WHERE actor_id = ? AND action = 'die'", cid) == [(1,)]
    # Restarting again applies nothing twice.
    bb.stop()
    bb.start()
    assert bb.rows("SELECT count(*) FROM events WHERE actor_id = ? AND action = 'die'", cid) == [(1,)]


def test_running_container_is_readopted(bb, workdir):
    flag = os.path.join(workdir, "flag")
    os.makedirs(flag)
    script = "while [ ! -e /flag/go ]; do sleep 0.05; done; exit 3"
    cid = bb.berth("run", "-d", "-v", flag + ":/flag", "busybox", "sh", "-c", script).out.strip()
    bb.kill9()
    bb.start()
    assert json.loads(bb.berth("inspect", cid).out)[0]["State"]["Running"]
    open(os.path.join(flag, "go"), "w").close()
    assert bb.berth("wait", cid).out == "3\n"
    assert json.loads(bb.berth("inspect", cid).out)[0]["State"]["ExitCode"] == 3


def test_lost_monitor_is_detected(bb):
    cid = bb.berth("run", "-d", "busybox", "sh", "-c", BLOCK).out.strip()
    bb.kill9()
    pid = int(open(os.path.join(bb.runroot, cid, "conmon.pid")).read())
    os.kill(pid, signal.SIGKILL)
    subprocess.run(["runc", "--root", os.path.join(bb.runroot, "runc"), "kill", "--all", cid, "KILL"], capture_output=True)
    time.sleep(0.2)
    bb.start()
    insp = json.loads(bb.berth("inspect", cid).out)[0]
    assert insp["State"]["Status"] == "exited"
    assert "monitor" in insp["State"]["Error"]


def test_docker_cli_runs_containers(bb, workdir):
    import shutil
    if not shutil.which("docker"):
        pytest.skip("docker CLI not installed")
    env = dict(os.environ, DOCKER_HOST="unix://" + bb.sock, DOCKER_CONFIG=os.path.join(workdir, "dockercfg"))

    def docker(*args):
        return subprocess.run(["docker", *args], env=env, capture_output=True, timeout=60)
    p = docker("create", "--name", "dk", "busybox", "sh", "-c", "echo from-docker")
    assert p.returncode == 0, p.stderr
    assert docker("start", "dk").returncode == 0
    assert docker("wait", "dk").stdout == b"0\n"
    assert docker("logs", "dk").stdout == b"from-docker\n"
    assert b"dk" in docker("ps", "-a", "--format", "{{.Names}} {{.Status}}").stdout
    insp = json.loads(docker("inspect", "dk").stdout)
    assert insp[0]["State"]["ExitCode"] == 0
    assert docker("rm", "dk").returncode == 0


def test_pause_unpause_rename(bb):
    cid = bb.berth("run", "-d", "--name", "p1", "busybox", "sh", "-c", BLOCK).out.strip()
    assert bb.berth("pause", "p1").out == "p1\n"
    assert "(Paused)" in bb.berth("ps", "--format", "{{.Status}}").out
    state = open(f"/sys/fs/cgroup/freezer/berth/{cid}/freezer.state").read().strip()
    assert state == "FROZEN"
    p = bb.berth("pause", "p1", check=False)
    assert p.returncode == 1 and "already paused" in p.err
    bb.berth("unpause", "p1")
    assert json.loads(bb.berth("inspect", "p1").out)[0]["State"]["Status"] == "running"
    bb.berth("rename", "p1", "p2")
    assert json.loads(bb.berth("inspect", cid).out)[0]["Name"] == "/p2"
    p = bb.berth("rename", "p2", "bad name", check=False)
    assert p.returncode == 1 and "Invalid container name" in p.err
    bb.berth("create", "--name", "other", "busybox", "true")
    p = bb.berth("rename", "p2", "other", check=False)
    assert p.returncode == 1 and 'The container name "/other" is already in use' in p.err
    # A paused container still stops: it is thawed for the signal.
    bb.berth("pause", "p2")
    bb.berth("stop", "-t", "1", "p2")
    assert json.loads(bb.berth("inspect", cid).out)[0]["State"]["Status"] == "exited"
    events = [(r[0], r[1]) for r in bb.rows("SELECT action, attributes FROM events WHERE actor_id = ? ORDER BY id", cid)]
    actions = [a for a, _ in events]
    assert actions[:6] == ["create", "start", "pause", "unpause", "rename", "pause"]
    assert json.loads(dict(events)["rename"])["oldName"] == "/p1"


def test_volume_commands(bb):
    assert bb.berth("volume", "create", "--label", "k=v", "data1").out == "data1\n"
    bb.berth("run", "--rm", "-v", "data1:/d", "busybox", "sh", "-c", "echo kept > /d/f")
    assert bb.berth("volume", "ls", "-q").out == "data1\n"
    assert bb.berth("volume", "ls").out.splitlines()[0].split() == ["DRIVER", "VOLUME", "NAME"]
    insp = json.loads(bb.berth("volume", "inspect", "data1").out)[0]
    assert insp["Labels"] == {"k": "v"} and insp["Mountpoint"].endswith("/volumes/data1/_data")
    cid = bb.berth("create", "-v", "data1:/d", "-v", "/anon", "busybox", "true").out.strip()
    p = bb.berth("volume", "rm", "data1", check=False)
    assert p.returncode == 1 and "volume is in use" in p.err and cid in p.err
    anon = [n for n in bb.berth("volume", "ls", "-q").out.split() if n != "data1"]
    assert len(anon) == 1 and len(anon[0]) == 64
    bb.berth("rm", "-v", cid)
    assert bb.berth("volume", "ls", "-q").out == "data1\n"  # -v removed the anonymous one only
    out = bb.berth("volume", "prune", "-f").out
    assert "data1" not in out  # named volumes survive a plain prune
    out = bb.berth("volume", "prune", "-a", "-f").out
    assert "Deleted Volumes:\ndata1\n" in out and "Total reclaimed space: 5B" in out
    assert bb.berth("volume", "ls", "-q").out == ""
    assert not os.path.exists(os.path.join(bb.root, "volumes", "data1"))


def test_init_forwards_stop_signal(bb):
    # Without --init, sh as pid 1 ignores SIGTERM (137 after the timeout); with it, TERM ends it.
    out = bb.berth("run", "--rm", "--init", "busybox", "cat", "/proc/1/cmdline").stdout
    assert out.split(b"\0")[:3] == [b"/dev/init", b"--", b"cat"]
    bb.berth("run", "-d", "--init", "--name", "ini", "busybox", "sh", "-c", BLOCK)
    bb.berth("stop", "-t", "30", "ini")
    assert json.loads(bb.berth("inspect", "ini").out)[0]["State"]["ExitCode"] == 143
