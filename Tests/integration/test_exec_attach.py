"""exec, attach, run -i/-t, top, port, cp: conmon's exec sessions and attach sockets behind
hijacked API connections, driven through real pipes and a pseudo-terminal the test owns."""
import fcntl
import io
import json
import os
import pty
import select
import shutil
import socket
import struct
import subprocess
import tarfile
import termios
import time

import pytest

from conftest import BIN, needs_root, wait_until, mounts_under, BLOCK

pytestmark = needs_root



def events(d, cid):
    return [r[0] for r in d.rows("SELECT action FROM events WHERE actor_id = ? ORDER BY id", cid)]


class Terminal:
    """Runs berth on a pseudo-terminal of the given size; sends keystrokes, collects output."""

    def __init__(self, d, args, rows=33, cols=111):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.update(d.env)
            os.execv(os.path.join(BIN, "berth"), [os.path.join(BIN, "berth"), *args])
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.out = b""

    def read_until(self, needle, timeout=30):
        deadline = time.time() + timeout
        while needle not in self.out and time.time() < deadline:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    break
                if not data:
                    break
                self.out += data
        assert needle in self.out, f"{needle!r} not in {self.out!r}"

    def send(self, data):
        os.write(self.fd, data)

    def resize(self, rows, cols):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(self.pid, 28)  # SIGWINCH

    def wait(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                r, _, _ = select.select([self.fd], [], [], 0.2)
                if r:
                    data = os.read(self.fd, 4096)
                    self.out += data
            except OSError:
                pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        raise AssertionError(f"berth did not exit; output {self.out!r}")


def test_exec_codes_streams_and_options(bb):
    bb.berth("run", "-d", "--name", "box", "busybox", "sh", "-c", BLOCK)
    p = bb.berth("exec", "box", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert (p.returncode, p.out, p.err) == (3, "out\n", "err\n")
    p = bb.berth("exec", "-u", "1000:1001", "-w", "/tmp", "-e", "A=b", "box", "sh", "-c", "id -u; id -g; pwd; echo $A")
    assert p.out == "1000\n1001\n/tmp\nb\n"
    p = bb.berth("exec", "box", "nosuchcmd", check=False)
    assert p.returncode == 127 and "executable file not found" in p.err
    p = bb.berth("exec", "-i", "box", "sh", "-c", "tr a-z A-Z; exit 4", input=b"shout\n", check=False)
    assert (p.returncode, p.out) == (4, "SHOUT\n")
    # detached: runs on after the command returned
    assert bb.berth("exec", "-d", "box", "sh", "-c", "echo bg > /tmp/bg").out == ""
    wait_until(lambda: bb.berth("exec", "box", "cat", "/tmp/bg", check=False).out == "bg\n")
    cid = bb.berth("inspect", "-f", "{{.Id}}", "box").out.strip()
    acts = events(bb, cid)
    assert "exec_create: sh -c echo out; echo err >&2; exit 3" in acts
    assert any(a.startswith("exec_start: ") for a in acts) and "exec_die" in acts
    codes = [json.loads(r[0]).get("exitCode") for r in bb.rows(
        "SELECT attributes FROM events WHERE actor_id = ? AND action = 'exec_die' ORDER BY id", cid)]
    assert codes[:2] == ["3", "0"]
    # exec sessions leave no conmon or folder behind
    wait_until(lambda: not os.listdir(os.path.join(bb.runroot, cid, "exec")))
    bb.berth("kill", "box")
    p = bb.berth("exec", "box", "true", check=False)
    assert p.returncode == 1 and "is not running" in p.err


def test_run_interactive_pipes_stdin_and_closes_it(bb):
    p = bb.berth("run", "-i", "--rm", "busybox", "sh", "-c", "wc -l; echo done >&2; exit 5",
                 input=b"a\nb\nc\n", check=False)
    assert (p.returncode, p.out.strip(), p.err) == (5, "3", "done\n")
    # create -i, then start -a -i: the same stream
    bb.berth("create", "-i", "--name", "later", "busybox", "cat")
    p = bb.berth("start", "-a", "-i", "later", input=b"through start\n")
    assert p.out == "through start\n"
    assert bb.berth("inspect", "-f", "{{.State.Status}}", "later").out.strip() == "exited"


def test_tty_resize_detach_and_attach(bb):
    t = Terminal(bb, ["run", "-it", "--name", "tty", "busybox", "sh"])
    t.read_until(b"/ # ")
    t.send(b"stty size; tty\r")
    t.read_until(b"33 111")
    t.read_until(b"/dev/pts/0")
    t.resize(40, 120)
    time.sleep(0.5)
    t.send(b"stty size\r")
    t.read_until(b"40 120")
    t.send(b"\x10\x11")  # ctrl-p ctrl-q
    assert t.wait() == 0
    assert bb.berth("inspect", "-f", "{{.State.Running}}", "tty").out.strip() == "true"
    a = Terminal(bb, ["attach", "tty"])
    time.sleep(0.3)
    a.send(b"echo back $((20+22))\r")
    a.read_until(b"back 42")
    a.send(b"exit 9\r")
    assert a.wait() == 9
    cid = bb.berth("inspect", "-f", "{{.Id}}", "tty").out.strip()
    acts = events(bb, cid)
    assert acts.count("attach") == 2 and "detach" in acts and acts[-1] == "die"


def test_exec_tty(bb):
    bb.berth("run", "-d", "--name", "box", "busybox", "sh", "-c", BLOCK)
    t = Terminal(bb, ["exec", "-it", "box", "sh"], rows=20, cols=70)
    t.read_until(b"# ")
    t.send(b"stty size; tty\r")
    t.read_until(b"20 70")
    t.read_until(b"/dev/pts/")
    t.send(b"exit 6\r")
    assert t.wait() == 6


def test_exec_detach_keys(bb):
    bb.berth("run", "-d", "--name", "box", "busybox", "sh", "-c", BLOCK)
    # the CLI: default ctrl-p ctrl-q, and --detach-keys; the exec'd shell runs on
    t = Terminal(bb, ["exec", "-it", "box", "sh"])
    t.read_until(b"# ")
    t.send(b"\x10\x11")
    assert t.wait() == 0
    t = Terminal(bb, ["exec", "-it", "--detach-keys", "ctrl-x", "box", "sh"])
    t.read_until(b"# ")
    t.send(b"\x18")
    assert t.wait() == 0
    assert [l.split()[-1] for l in bb.berth("exec", "box", "ps", "-o", "comm").out.splitlines()[1:]].count("sh") == 2
    # the API: berthd ends the hijacked stream on the exec's DetachKeys; the process stays
    status, _, body = bb.request("POST", "/containers/box/exec", json.dumps(
        {"Cmd": ["sh"], "AttachStdin": True, "AttachStdout": True, "Tty": True, "DetachKeys": "ctrl-y"}),
        {"Content-Type": "application/json"})
    eid = json.loads(body)["Id"]
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(bb.sock)
    start = json.dumps({"Detach": False, "Tty": True}).encode()
    s.sendall(b"POST /exec/%s/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: %d\r\n\r\n%s" % (eid.encode(), len(start), start))
    got = b""
    while b"# " not in got:
        got += s.recv(4096)
    s.sendall(b"\x19")
    while s.recv(4096):
        pass  # the end of the stream, not a timeout
    s.close()
    ex = json.loads(bb.request("GET", f"/exec/{eid}/json")[2])
    assert ex["Running"] is True and ex["ExitCode"] is None


def test_top_port_and_loopback(bb):
    bb.berth("run", "-d", "--name", "box", "busybox", "sh", "-c", BLOCK)
    p = bb.berth("top", "box")
    lines = p.out.splitlines()
    assert lines[0].split()[:3] == ["UID", "PID", "PPID"]
    assert any("cat /tmp/f" in l for l in lines[1:]) and len(lines) == 2  # sh exec()s its last command
    p = bb.berth("top", "box", "-o", "pid,comm")
    assert p.out.splitlines()[0].split() == ["PID", "COMMAND"]
    assert bb.berth("port", "box").out == ""
    p = bb.berth("port", "box", "80", check=False)
    assert p.returncode == 1 and "No public port '80/tcp' published for box" in p.err
    p = bb.berth("run", "--rm", "busybox", "sh", "-c", "ip -o addr show lo; ping -c1 -W2 127.0.0.1 >/dev/null && echo reachable")
    assert "127.0.0.1/8" in p.out and "reachable" in p.out


def test_cp_both_ways(bb, workdir):
    src = os.path.join(workdir, "src")
    os.makedirs(os.path.join(src, "sub"))
    open(os.path.join(src, "sub", "f"), "w").write("deep\n")
    os.symlink("/etc/shadow", os.path.join(src, "link"))
    open(os.path.join(workdir, "one.txt"), "w").write("one\n")
    vol = os.path.join(workdir, "vol")
    os.makedirs(vol)
    bb.berth("run", "-d", "--name", "box", "-v", vol + ":/data", "busybox", "sh", "-c", BLOCK)
    bb.berth("cp", os.path.join(workdir, "one.txt"), "box:/tmp/")
    bb.berth("cp", os.path.join(workdir, "one.txt"), "box:/tmp/renamed")
    bb.berth("cp", src, "box:/data/")
    p = bb.berth("exec", "box", "sh", "-c", "cat /tmp/one.txt /tmp/renamed /data/src/sub/f; readlink /data/src/link")
    assert p.out == "one\none\ndeep\n/etc/shadow\n"
    assert open(os.path.join(vol, "src", "sub", "f")).read() == "deep\n"  # landed in the bind mount
    out = os.path.join(workdir, "out")
    os.makedirs(out)
    bb.berth("cp", "box:/data/src", out)
    assert open(os.path.join(out, "src", "sub", "f")).read() == "deep\n"
    assert os.readlink(os.path.join(out, "src", "link")) == "/etc/shadow"
    bb.berth("cp", "box:/etc/hostname", os.path.join(out, "hn"))
    cid = bb.berth("inspect", "-f", "{{.Id}}", "box").out.strip()
    assert open(os.path.join(out, "hn")).read().strip() == cid[:12]
    t = tarfile.open(fileobj=io.BytesIO(bb.berth("cp", "box:/tmp/one.txt", "-").stdout))
    assert t.getnames() == ["one.txt"]
    # symlinks resolve inside the container: /tmp/esc -> / reaches the container's own root
    bb.berth("exec", "box", "ln", "-s", "/", "/tmp/esc")
    bb.berth("cp", "box:/tmp/esc/etc/hostname", os.path.join(out, "hn2"))
    assert open(os.path.join(out, "hn2")).read().strip() == cid[:12]
    # a hostile archive is refused and nothing lands outside
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        data = b"pwned\n"
        info = tarfile.TarInfo("../../../../../../../tmp/berth-cp-escape")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    p = bb.berth("cp", "-", "box:/tmp", input=buf.getvalue(), check=False)
    assert p.returncode != 0 and not os.path.exists("/tmp/berth-cp-escape")
    p = bb.berth("cp", "box:/nope", out, check=False)
    assert p.returncode == 1 and "Could not find the file /nope" in p.err
    # a stopped container: its rootfs is mounted for the copy only
    bb.berth("kill", "box")
    bb.berth("cp", "box:/tmp/renamed", os.path.join(out, "after"))
    assert open(os.path.join(out, "after")).read() == "one\n"
    assert not [m for m in mounts_under(bb.base) if m.endswith("/rootfs")]


def test_docker_cli_exec_attach_cp(bb, workdir):
    if not shutil.which("docker"):
        pytest.skip("docker CLI not installed")
    env = dict(os.environ, DOCKER_HOST="unix://" + bb.sock, DOCKER_CONFIG=os.path.join(workdir, "dockercfg"))

    def docker(*args, input=None):
        return subprocess.run(["docker", *args], env=env, capture_output=True, timeout=60, input=input)
    p = docker("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (p.returncode, p.stdout, p.stderr) == (3, b"out\n", b"err\n")
    p = docker("run", "-i", "--rm", "busybox", "sh", "-c", "read x; echo $x-read", input=b"piped\n")
    assert (p.returncode, p.stdout) == (0, b"piped-read\n")
    assert docker("run", "-d", "--name", "dk", "busybox", "sh", "-c", BLOCK).returncode == 0
    p = docker("exec", "dk", "sh", "-c", "echo in-exec; exit 5")
    assert (p.returncode, p.stdout) == (5, b"in-exec\n")
    p = docker("exec", "-i", "dk", "cat", input=b"stdin via docker\n")
    assert p.stdout == b"stdin via docker\n"
    p = docker("top", "dk")
    assert p.returncode == 0 and b"cat /tmp/f" in p.stdout
    open(os.path.join(workdir, "x.txt"), "w").write("x\n")
    assert docker("cp", os.path.join(workdir, "x.txt"), "dk:/tmp/x.txt").returncode == 0
    assert docker("exec", "dk", "cat", "/tmp/x.txt").stdout == b"x\n"
    assert docker("cp", "dk:/tmp/x.txt", os.path.join(workdir, "back.txt")).returncode == 0
    assert open(os.path.join(workdir, "back.txt")).read() == "x\n"
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(env)
        os.execvp("docker", ["docker", "exec", "-it", "dk", "sh", "-c", "tty; exit 2"])
    out = b""
    deadline = time.time() + 30
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert b"/dev/pts/" in out and os.waitstatus_to_exitcode(status) == 2


def test_docker_py_exec_and_attach(bb):
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url="unix://" + bb.sock, version="1.45")
    c = client.containers.run("busybox", ["sh", "-c", BLOCK], detach=True, name="py")
    r = c.exec_run(["sh", "-c", "echo py-exec; exit 4"])
    assert (r.exit_code, r.output) == (4, b"py-exec\n")
    r = c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
    assert r.output == (b"o\n", b"e\n")
    sock = c.attach_socket(params={"stdin": 1, "stream": 1, "stdout": 1})
    sock._sock.close()
    out = client.containers.run("busybox", ["echo", "attached-run"], remove=True)
    assert out == b"attached-run\n"
    c.kill()
    c.remove()
    client.close()


def test_oom_kill_is_marked(bb):
    p = bb.berth("run", "--name", "oomer", "-m", "16m", "busybox", "sh", "-c",
                 'x=0123456789; while :; do x="$x$x"; done', check=False)
    assert p.returncode == 137
    assert bb.berth("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oomer").out.split() == ["true", "137"]
    acts = bb.berth("events", "--since", "1h", "--until", "0s", "-f", "container=oomer", "--format", "{{.Action}}").out.split()
    assert acts[-2:] == ["oom", "die"]
    assert bb.rows("SELECT end_reason FROM runs WHERE container_name = 'oomer'") == [("oom",)]
    # conmon wrote its `oom` file into its working directory: the bundle, never berthd's.
    assert os.listdir(bb.cwd) == []
    cid = bb.berth("inspect", "-f", "{{.Id}}", "oomer").out.strip()
    assert os.path.exists(os.path.join(bb.root, "containers", cid, "oom"))
