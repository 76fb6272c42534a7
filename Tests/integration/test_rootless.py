"""Rootless berthd: an ordinary user (made for the test, with subordinate ids), no root anywhere.

The user's berthd makes its own user namespace through newuidmap/newgidmap, mounts overlayfs
there, keeps its bridges in a network namespace of its own and publishes ports through its
proxy. Everything it started (pause process, slirp4netns, conmon, aardvark-dns) is stopped by
pid at the end, and the test checks that no process of the user is left.
"""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

from conftest import BIN, BLOCK, Daemon, needs_root, next_network, wait_until

pytestmark = needs_root

COUNT = 65536


def _free_subordinate_start():
    """A start above every range /etc/subuid and /etc/subgid hand out already."""
    top = 300000
    for f in ("/etc/subuid", "/etc/subgid"):
        try:
            for line in open(f):
                parts = line.strip().split(":")
                if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
                    top = max(top, int(parts[1]) + int(parts[2]))
        except OSError:
            pass
    return (top + COUNT - 1) // COUNT * COUNT


class User:
    """A throwaway user with a range of subordinate ids; removed with its home at the end."""

    def __init__(self, base, subordinate=True):
        self.name = f"brl{os.getpid() % 100000}x{int(time.time() * 1000) % 10000}"
        self.home = os.path.join(base, "home")
        subprocess.run(["useradd", "--create-home", "--home-dir", self.home, "--shell", "/bin/sh",
                        "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", self.name], check=True, capture_output=True)
        pw = pwd.getpwnam(self.name)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.sub = _free_subordinate_start()
        rng = f"{self.sub}-{self.sub + COUNT - 1}"
        if subordinate:
            subprocess.run(["usermod", "--add-subuids", rng, "--add-subgids", rng, self.name], check=True, capture_output=True)
        self.runtime = os.path.join(base, "xdg-run")
        os.makedirs(self.runtime, mode=0o700)
        os.chown(self.runtime, self.uid, self.gid)

    def processes(self):
        return subprocess.run(["pgrep", "-u", str(self.uid)], capture_output=True, text=True).stdout.split()

    def remove(self):
        rng = f"{self.sub}-{self.sub + COUNT - 1}"
        subprocess.run(["usermod", "--del-subuids", rng, "--del-subgids", rng, self.name], capture_output=True)
        subprocess.run(["userdel", "--remove", self.name], capture_output=True)


class RootlessDaemon(Daemon):
    """berthd as `user`, on the user's default root and runroot (XDG folders)."""

    def __init__(self, base, user, bindir):
        super().__init__(base)
        self.user, self.bindir = user, bindir
        self.root = os.path.join(user.home, ".local", "share", "berth")
        self.runroot = os.path.join(user.runtime, "berth")
        self.sock = os.path.join(self.runroot, "berth.sock")

    @property
    def env(self):
        # Nothing of root's: the CLI and berthd find their folders from HOME and XDG_RUNTIME_DIR.
        return {"HOME": self.user.home, "XDG_RUNTIME_DIR": self.user.runtime, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                "USER": self.user.name, "LOGNAME": self.user.name, **self.extra_env}

    def _as_user(self):
        return dict(user=self.user.uid, group=self.user.gid, extra_groups=[])

    def start(self, wait=True):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([os.path.join(self.bindir, "berthd"), "--bridge-name", self.bridge,
                                      "--default-subnet", self.subnet], env=self.env, stdout=logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.user.home, **self._as_user())
        logf.close()
        ok = wait_until(lambda: self.proc.poll() is not None or os.path.exists(self.sock) and self._pings(), 30)
        if not ok or self.proc.poll() is not None:
            raise RuntimeError("rootless berthd did not start: " + self.read_log())
        return self

    def _pings(self):
        try:
            return self.request("GET", "/_ping")[0] == 200
        except OSError:
            return False

    def berth(self, *args, input=None, check=True, timeout=120):
        p = subprocess.run([os.path.join(self.bindir, "berth"), *args], env=self.env, input=input,
                           capture_output=True, timeout=timeout, cwd=self.user.home, **self._as_user())
        p.out = p.stdout.decode(errors="replace")
        p.err = p.stderr.decode(errors="replace")
        if check and p.returncode != 0:
            raise AssertionError(f"berth {' '.join(args)} exited {p.returncode}\nstdout: {p.out}\nstderr: {p.err}")
        return p

    def _pid_from(self, path, comm):
        try:
            pid = int(open(path).read().strip())
            if open(f"/proc/{pid}/comm").read().strip().startswith(comm):
                return pid
        except (OSError, ValueError):
            pass
        return None

    def helpers(self):
        """(pid file, process name) of everything this daemon starts beside its containers."""
        files = [(os.path.join(self.runroot, e, "conmon.pid"), "conmon") for e in
                 (os.listdir(self.runroot) if os.path.isdir(self.runroot) else [])]
        return files + [(os.path.join(self.runroot, "netavark", "aardvark-dns", "aardvark.pid"), "aardvark"),
                        (os.path.join(self.runroot, "slirp4netns.pid"), "slirp4netns"),
                        (os.path.join(self.runroot, "pause.pid"), "berth-pause")]

    def kill_helpers(self):
        for path, comm in self.helpers():
            pid = self._pid_from(path, comm)
            if pid:
                os.kill(pid, signal.SIGKILL)

    def cleanup(self):
        """Containers removed, then every helper this daemon started stopped by its pid file."""
        if self.proc and self.proc.poll() is None:
            ids = self.berth("ps", "-aq", "--no-trunc", check=False).out.split()
            if ids:
                self.berth("rm", "-f", *ids, check=False, timeout=120)
        self.stop()
        self.kill_helpers()


@pytest.fixture
def rootless(images, registry):
    """A rootless berthd of a new user, holding the busybox image; `registry` serves 127.0.0.1."""
    base = tempfile.mkdtemp(prefix="berth-rl-")
    os.chmod(base, 0o755)
    # The binaries and the image where the user can read them (the build folder may be root's).
    bindir = os.path.join(base, "bin")
    os.makedirs(bindir)
    for b in ("berth", "berthd"):
        shutil.copy2(os.path.join(BIN, b), bindir)
    user = User(base)
    d = None
    try:
        d = RootlessDaemon(os.path.join(base, "d"), user, bindir)
        os.makedirs(d.base)
        os.chmod(d.base, 0o755)
        archive = os.path.join(base, "bb-docker.tar")
        shutil.copy(images["bb-docker.tar"], archive)
        os.chmod(archive, 0o644)
        d.start()
        d.berth("load", "-i", archive)
        yield d
    finally:
        if d:
            d.cleanup()
        left = wait_until(lambda: user.processes() == [], 10)
        leftover = user.processes()
        for pid in leftover:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        user.remove()
        shutil.rmtree(base, ignore_errors=True)
        assert left, f"processes of the rootless user left behind: {leftover}"


def host_uid(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Uid:"):
            return int(line.split()[1])


def test_root_inside_is_the_user_and_other_ids_are_subordinate(rootless):
    d, u = rootless, rootless.user
    assert d.berth("run", "--rm", "--network", "none", "busybox", "id", "-u").out.strip() == "0"
    as_root = d.berth("run", "-d", "--network", "none", "busybox", "sh", "-c", BLOCK).out.strip()
    as_1000 = d.berth("run", "-d", "--network", "none", "--user", "1000:1000", "busybox", "sh", "-c", BLOCK).out.strip()
    pids = {c: json.loads(d.berth("inspect", c).out)[0]["State"]["Pid"] for c in (as_root, as_1000)}
    assert host_uid(pids[as_root]) == u.uid
    assert host_uid(pids[as_1000]) == u.sub + 999
    info = json.loads(d.berth("info", "--format", "json").out)
    assert "name=rootless" in info["SecurityOptions"]
    assert info["Rootless"]["UIDMap"] == [{"inside": 0, "outside": u.uid, "count": 1},
                                          {"inside": 1, "outside": u.sub, "count": COUNT}]
    text = d.berth("info").out
    assert "Rootless: true" in text and "resource limits are refused" in text
    # The host's namespaces: its /sys and /proc bound in (a user namespace may not mount them).
    assert d.berth("run", "--rm", "--network", "host", "busybox", "sh", "-c", "test -d /sys/class/net/lo && echo yes").out == "yes\n"
    seen = d.berth("run", "--rm", "--network", "none", "--pid", "host", "busybox", "sh", "-c", "ls /proc | grep -c '^[0-9]'").out
    assert int(seen) > 5


def test_published_port_and_names_on_a_user_network(rootless):
    d = rootless
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    d.berth("network", "create", "rlnet")
    d.berth("run", "-d", "--name", "web", "--network", "rlnet", "-p", f"127.0.0.1:{port}:80",
            "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")

    def served():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/passwd", timeout=2).read()
        except OSError:
            return b""
    assert wait_until(lambda: b"root:x:0:0" in served(), 20)
    # The other container finds web by name through aardvark-dns in the rootless namespace.
    out = d.berth("run", "--rm", "--network", "rlnet", "busybox", "wget", "-q", "-O", "-", "http://web/hostname").out
    assert out.strip() == json.loads(d.berth("inspect", "web").out)[0]["Config"]["Hostname"]
    # berthd's restart joins the same namespaces: the container is re-adopted, its port served.
    d.stop()
    d.start()
    assert "Up" in d.berth("ps", "-f", "name=web").out
    assert wait_until(lambda: b"root:x:0:0" in served(), 20)


def test_pull_build_and_volume_ownership(rootless, registry):
    d, u = rootless, rootless.user
    registry.push(os.path.join(os.path.dirname(d.bindir), "bb-docker.tar"), "rl/bb:1")
    d.berth("pull", f"{registry.addr}/rl/bb:1")
    ctx = os.path.join(u.home, "ctx")
    os.makedirs(ctx)
    with open(os.path.join(ctx, "Dockerfile"), "w") as f:
        f.write(f"FROM {registry.addr}/rl/bb:1\nRUN mkdir -p /data && echo hi > /data/f && chown -R 1000:1000 /data\n")
    subprocess.run(["chown", "-R", f"{u.uid}:{u.gid}", ctx], check=True)
    d.berth("build", "-t", "rlimg", ctx)
    d.berth("run", "--rm", "-v", "rlvol:/data", "rlimg", "touch", "/data/by-root")
    data = os.path.join(d.root, "volumes", "rlvol", "_data")
    # Copied up from the image: owned by uid 1000 inside, the subordinate id outside.
    assert os.stat(os.path.join(data, "f")).st_uid == u.sub + 999
    assert os.stat(os.path.join(data, "by-root")).st_uid == u.uid
    assert d.berth("run", "--rm", "-v", "rlvol:/data", "rlimg", "cat", "/data/f").out == "hi\n"


def test_limits_are_refused_and_state_is_private(rootless):
    d = rootless
    r = d.berth("run", "--rm", "-m", "64m", "busybox", "true", check=False)
    assert r.returncode != 0 and "cannot apply --memory" in r.err
    assert d.berth("ps", "-aq").out.strip() == ""
    # A port below the kernel's unprivileged floor (1024 by default) is refused with the reason.
    low = d.berth("run", "-d", "-p", "127.0.0.1:81:80", "busybox", "httpd", "-f", "-p", "80", check=False)
    assert low.returncode != 0 and "ip_unprivileged_port_start" in low.err
    assert d.berth("ps", "-q").out.strip() == ""
    r = d.berth("pause", d.berth("run", "-d", "--network", "none", "busybox", "sh", "-c", BLOCK).out.strip(), check=False)
    assert r.returncode != 0 and "cgroup" in r.err
    for path, mode in ((d.root, 0o700), (d.runroot, 0o700), (os.path.join(d.root, "berth.db"), 0o600), (d.sock, 0o600)):
        st = os.stat(path)
        assert (st.st_uid, st.st_mode & 0o777) == (d.user.uid, mode), path
    # Another ordinary user reads nothing of it.
    other = subprocess.run(["runuser", "-u", "nobody", "--", "cat", os.path.join(d.root, "berth.db")],
                           capture_output=True, text=True)
    assert other.returncode != 0 and "Permission denied" in other.stderr


def test_logs_exec_and_attach_as_the_user(rootless):
    d = rootless
    c = d.berth("run", "-d", "--network", "none", "busybox", "sh", "-c", "echo started; " + BLOCK).out.strip()
    assert wait_until(lambda: d.berth("logs", c).out == "started\n", 20)
    assert d.berth("exec", c, "sh", "-c", "echo $((6*7)) > /tmp/answer").returncode == 0
    assert d.berth("exec", c, "cat", "/tmp/answer").out == "42\n"
    # top without a cgroup: the processes of the container's pid namespace (sh exec'd its last
    # command, cat), none of the host's.
    top = d.berth("top", c).out
    assert "cat /tmp/f" in top and len(top.strip().splitlines()) == 2, top
    # stats without a cgroup: summed from /proc over the same processes.
    status, _, body = d.request("GET", f"/containers/{c}/stats?stream=false")
    st = json.loads(body)
    assert status == 200 and st["pids_stats"]["current"] == 1 and st["memory_stats"]["usage"] > 0, st
    assert st["memory_stats"]["limit"] > 0
    out = d.berth("run", "--rm", "-i", "--network", "none", "busybox", "sed", "s/r/R/g", input=b"rootless\n").out
    assert out == "Rootless\n"
    d.berth("rm", "-f", c)
    assert d.berth("ps", "-aq").out.strip() == ""


def test_a_reboot_brings_restart_always_back(rootless):
    """A reboot, as the user's berthd meets it: every process of the user gone (pause process,
    slirp4netns, conmon, the containers), the runtime folder emptied, a new boot id."""
    d, u = rootless, rootless.user
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    d.berth("run", "-d", "--name", "keep", "--restart", "always", "-p", f"127.0.0.1:{port}:80",
            "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
    d.berth("run", "-d", "--name", "gone", "--network", "none", "busybox", "sh", "-c", BLOCK)
    pids = [json.loads(d.berth("inspect", c).out)[0]["State"]["Pid"] for c in ("keep", "gone")]
    d.stop()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    d.kill_helpers()
    assert wait_until(lambda: u.processes() == [], 10), u.processes()
    shutil.rmtree(d.runroot)
    boot = os.path.join(d.base, "boot_id")
    open(boot, "w").write(os.urandom(16).hex() + "\n")
    d.extra_env["BERTH_BOOT_ID_FILE"] = boot
    d.start()
    assert wait_until(lambda: "Up" in d.berth("ps", "-f", "name=keep").out, 30)
    assert "Exited" in d.berth("ps", "-a", "-f", "name=gone").out

    def served():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/passwd", timeout=2).read()
        except OSError:
            return b""
    assert wait_until(lambda: b"root:x:0:0" in served(), 20)


def test_compose_project_as_the_user(rootless):
    """berth compose is berthd's client: a two-service project, one waiting on the other's
    health, reachable by name and on a published port, then removed whole by down."""
    d, u = rootless, rootless.user
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    proj = os.path.join(u.home, "proj")
    os.makedirs(proj)
    with open(os.path.join(proj, "compose.yaml"), "w") as f:
        f.write(f"""services:
  db:
    image: busybox
    command: ["httpd", "-f", "-p", "80", "-h", "/etc"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/hostname"]
      interval: 1s
  web:
    image: busybox
    command: ["sh", "-c", "wget -q -O - http://db/passwd > /tmp/got && httpd -f -p 80 -h /tmp"]
    ports: ["127.0.0.1:{port}:80"]
    depends_on:
      db:
        condition: service_healthy
""")
    subprocess.run(["chown", "-R", f"{u.uid}:{u.gid}", proj], check=True)
    d.berth("compose", "--project-directory", proj, "-f", os.path.join(proj, "compose.yaml"), "up", "-d", timeout=180)

    def served():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/got", timeout=2).read()
        except OSError:
            return b""
    assert wait_until(lambda: b"root:x:0:0" in served(), 30)
    assert len(d.berth("ps", "-q", "-f", "label=com.docker.compose.project=proj").out.split()) == 2
    d.berth("compose", "--project-directory", proj, "-f", os.path.join(proj, "compose.yaml"), "down")
    assert d.berth("ps", "-aq").out.strip() == ""
    assert "proj_default" not in d.berth("network", "ls").out


def test_a_user_without_subordinate_ids_is_told_what_to_do():
    base = tempfile.mkdtemp(prefix="berth-rl-")
    os.chmod(base, 0o755)
    user = User(base, subordinate=False)
    try:
        bindir = os.path.join(base, "bin")
        os.makedirs(bindir)
        shutil.copy2(os.path.join(BIN, "berthd"), bindir)
        env = {"HOME": user.home, "XDG_RUNTIME_DIR": user.runtime, "PATH": "/usr/bin:/bin"}
        p = subprocess.run([os.path.join(bindir, "berthd")], env=env, capture_output=True, text=True, timeout=30,
                           user=user.uid, group=user.gid, extra_groups=[], cwd=user.home)
        assert p.returncode != 0
        assert "/etc/subuid" in p.stderr and "usermod --add-subuids" in p.stderr, p.stderr
        assert user.processes() == []
    finally:
        user.remove()
        shutil.rmtree(base, ignore_errors=True)
