"""Integration fixtures: real berthd processes on private roots, real archives.

Each test gets its own --root, --runroot and socket under a fresh temp folder; the daemon is
stopped (by pid) and the folder removed when the test ends, pass or fail.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import itertools
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("BERTH_BIN_DIR", os.path.join(TOP, ".build", "debug"))
sys.path.insert(0, os.path.join(TOP, "scripts"))
from netavark_chains import chains as netavark_chain_list, remove_made as remove_made_chains  # noqa: E402

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="integration tests run as root")

# Every daemon gets its own bridge and default subnet (10.2xx.N.0/24, never Docker's or
# podman's), so tests neither meet each other's containers nor a bridge a failed test left.
_net_ids = itertools.count()
_NET_BASE = 200 + os.getpid() % 50


def next_network():
    n = next(_net_ids)
    return f"bt{os.getpid() % 10000}x{n}", f"10.{_NET_BASE}.{n % 250}.0/24"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


class Daemon:
    """One berthd on its own root, plus helpers to drive it."""

    def __init__(self, base):
        self.base = base
        self.root = os.path.join(base, "root")
        self.runroot = os.path.join(base, "run")
        self.sock = os.path.join(base, "api.sock")
        self.log = os.path.join(base, "berthd.log")
        self.proc = None
        self.args = []  # extra berthd flags
        self.bridge, self.subnet = next_network()
        self.extra_env = {}  # extra environment for berthd (BERTH_BOOT_ID_FILE, …)

    @property
    def env(self):
        e = dict(os.environ)
        e.update(BERTH_ROOT=self.root, BERTH_RUNROOT=self.runroot, BERTH_HOST="unix://" + self.sock)
        e.update(self.extra_env)
        return e

    def start(self, wait=True):
        logf = open(self.log, "ab")
        net = ["--bridge-name", self.bridge, "--default-subnet", self.subnet]
        # Started from a folder of the test's own: nothing berthd or its children do may leave
        # files there (conmon wrote `oom` into its working directory).
        self.cwd = os.path.join(self.base, "cwd")
        os.makedirs(self.cwd, exist_ok=True)
        self.proc = subprocess.Popen([os.path.join(BIN, "berthd"), *net, *self.args], env=self.env, stdout=logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.cwd)
        logf.close()
        if wait:
            deadline = time.time() + 20
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("berthd exited: " + self.read_log())
                try:
                    if self.request("GET", "/_ping")[0] == 200:
                        return self
                except OSError:
                    pass
                time.sleep(0.02)
            raise RuntimeError("berthd did not answer: " + self.read_log())
        return self

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        """Leaves nothing running or mounted: containers, conmon, runc state, mounts."""
        if self.proc and self.proc.poll() is None:
            ids = self.berth("ps", "-aq", "--no-trunc", check=False).out.split()
            if ids:
                self.berth("rm", "-f", *ids, check=False, timeout=120)
        runc_root = os.path.join(self.runroot, "runc")
        if os.path.isdir(runc_root):
            listed = subprocess.run(["runc", "--root", runc_root, "list", "-q"], capture_output=True, text=True)
            for cid in listed.stdout.split():
                subprocess.run(["runc", "--root", runc_root, "kill", "--all", cid, "KILL"], capture_output=True)
                subprocess.run(["runc", "--root", runc_root, "delete", "--force", cid], capture_output=True)
        # conmon processes this test started, by the pid files berth gave them.
        if os.path.isdir(self.runroot):
            for entry in os.listdir(self.runroot):
                pidfile = os.path.join(self.runroot, entry, "conmon.pid")
                try:
                    pid = int(open(pidfile).read().strip())
                    if "conmon" in open(f"/proc/{pid}/comm").read():
                        os.kill(pid, signal.SIGKILL)
                except (OSError, ValueError):
                    pass
        # Network state a crashed daemon left: netavark's teardown from the input berthd wrote,
        # then this daemon's own bridge (never another).
        netns = os.path.join(self.runroot, "netns")
        if os.path.isdir(netns) and (self.proc is None or self.proc.poll() is not None):
            for entry in os.listdir(netns):
                if entry.endswith(".json"):
                    ns = os.path.join(netns, entry[:-5])
                    subprocess.run(["/usr/lib/podman/netavark", "--config", os.path.join(self.runroot, "netavark"),
                                    "-f", os.path.join(netns, entry), "teardown", ns], capture_output=True)
        running = self.proc is not None and self.proc.poll() is None
        # A running berthd's bridge keepers are its own (it tears them down when it stops).
        for mnt in mounts_under(self.base, keepers=not running):
            subprocess.run(["umount", "-l", mnt], capture_output=True)
        if self.proc is None or self.proc.poll() is not None:
            subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
            # aardvark-dns, started by netavark for this daemon's DNS networks, by its pid file.
            try:
                pid = int(open(os.path.join(self.runroot, "netavark", "aardvark-dns", "aardvark.pid")).read().strip())
                if open(f"/proc/{pid}/comm").read().strip().startswith("aardvark"):
                    os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass

    def read_log(self):
        try:
            return open(self.log, errors="replace").read()
        except OSError:
            return ""

    def request(self, method, path, body=None, headers=None, timeout=60):
        c = UnixHTTPConnection(self.sock, timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            c.close()

    def berth(self, *args, input=None, check=True, timeout=120):
        p = subprocess.run([os.path.join(BIN, "berth"), *args], env=self.env, input=input,
                           capture_output=True, timeout=timeout)
        p.out = p.stdout.decode(errors="replace")
        p.err = p.stderr.decode(errors="replace")
        if check and p.returncode != 0:
            raise AssertionError(f"berth {' '.join(args)} exited {p.returncode}\nstdout: {p.out}\nstderr: {p.err}")
        return p

    def db(self):
        return sqlite3.connect(f"file:{os.path.join(self.root, 'berth.db')}?mode=ro", uri=True)

    def rows(self, sql, *args):
        con = self.db()
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def assert_consistent(self):
        """Rows and files agree: every recorded blob and layer exists, nothing unrecorded lies around."""
        con = self.db()
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert con.execute("PRAGMA foreign_key_check").fetchall() == []
            blobs = {r[0][7:] for r in con.execute("SELECT digest FROM blobs")}
            layers = {r[0][7:] for r in con.execute("SELECT chain_id FROM layers")}
            used = {r[0][7:] for r in con.execute("SELECT chain_id FROM image_layers")}
        finally:
            con.close()
        on_disk_blobs = set(os.listdir(os.path.join(self.root, "blobs", "sha256")))
        on_disk_layers = set(os.listdir(os.path.join(self.root, "layers")))
        assert on_disk_blobs == blobs, (on_disk_blobs ^ blobs)
        assert on_disk_layers == layers, (on_disk_layers ^ layers)
        assert used <= layers
        for l in layers:
            assert os.path.isdir(os.path.join(self.root, "layers", l, "diff"))


def wait_until(pred, timeout=60):
    """Polls `pred` until true or `timeout` seconds (monotonic) pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.002)
    return False


def mounts_under(base, keepers=False):
    """Mount points below `base`, deepest first; without `keepers`, not the namespaces a running
    berthd holds its bridges with (RUNROOT/netns/keep-*, gone when it stops)."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4]
            if mp.startswith(base.rstrip("/") + "/") and (keepers or "/netns/keep-" not in mp):
                out.append(mp)
    return sorted(out, key=len, reverse=True)


@pytest.fixture(scope="session")
def images():
    """The busybox test images, built once from the host's busybox-static."""
    out = tempfile.mkdtemp(prefix="berth-images-")
    p = subprocess.run([sys.executable, os.path.join(TOP, "scripts", "make-test-images.py"), "--out", out],
                       capture_output=True, check=True)
    info = json.loads(p.stdout)
    info["dir"] = out
    for k in ("bb-oci", "bb-oci.tar", "bb-docker.tar", "rootfs.tar"):
        info[k] = os.path.join(out, k)
    yield info
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="berth-it-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def network_leaks(d):
    """iptables rules naming the daemon's default subnet, and its bridge, once it has stopped."""
    rules = subprocess.run(["iptables-save"], capture_output=True, text=True).stdout.splitlines()
    left = [r for r in rules if d.subnet in r]
    if subprocess.run(["ip", "link", "show", d.bridge], capture_output=True).returncode == 0:
        left.append("bridge " + d.bridge)
    return left


@pytest.fixture
def daemon(workdir):
    """A running berthd on a private root; stopped by pid at the end."""
    d = Daemon(workdir)
    d.start()
    yield d
    d.cleanup()
    d.stop()
    d.cleanup()
    assert network_leaks(d) == []


@pytest.fixture
def make_daemon(workdir):
    """For tests that start, kill and restart daemons themselves."""
    made = []

    def make(name="d"):
        d = Daemon(os.path.join(workdir, name))
        os.makedirs(d.base, exist_ok=True)
        made.append(d)
        return d

    yield make
    for d in made:
        d.cleanup()
        d.stop()
        d.cleanup()
    for d in made:
        assert network_leaks(d) == []


# A container that runs until its FIFO is written (this machine fast-forwards idle time, so
# long-running test containers block instead of sleeping; sh as pid 1 ignores SIGTERM).
BLOCK = "mkfifo /tmp/f 2>/dev/null; cat /tmp/f"


@pytest.fixture
def bb(daemon, images):
    """A berthd holding the busybox test image."""
    daemon.berth("load", "-i", images["bb-docker.tar"])
    return daemon


class Registry:
    """A docker-registry on 127.0.0.1 with its own storage, stopped by pid."""

    def __init__(self, base, users=None, tls=None, auth=""):
        """tls: (certificate, key, client CA or None) to serve HTTPS; auth: an `auth:` section."""
        self.base = base
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.addr = f"127.0.0.1:{self.port}"
        self.storage = os.path.join(base, "storage")
        os.makedirs(self.storage, exist_ok=True)
        cfg = os.path.join(base, "config.yml")
        if users:
            # htpasswd with bcrypt, which docker-registry requires (glibc's crypt makes $2b$).
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                import crypt
            htpasswd = os.path.join(base, "htpasswd")
            with open(htpasswd, "w") as f:
                for u, p in users.items():
                    f.write(f"{u}:{crypt.crypt(p, crypt.mksalt(crypt.METHOD_BLOWFISH))}\n")
            auth = f"auth:\n  htpasswd:\n    realm: berth-test\n    path: {htpasswd}\n"
        self.tls = tls
        served = ""
        if tls:
            served = f"  tls:\n    certificate: {tls[0]}\n    key: {tls[1]}\n"
            if tls[2]:
                served += f"    clientcas:\n      - {tls[2]}\n"
        with open(cfg, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {self.storage}\n"
                    f"  delete:\n    enabled: true\nhttp:\n  addr: {self.addr}\n" + served + auth)
        self.users = users or {}
        self.log = open(os.path.join(base, "registry.log"), "ab")
        self.proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        ok = wait_until(lambda: self._up(), 20)
        if not ok:
            self.stop()
            raise RuntimeError("docker-registry did not start")

    def _up(self):
        if self.tls:
            # HTTPS, maybe wanting a client certificate: listening is enough.
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            c.request("GET", "/v2/")
            return c.getresponse().status in (200, 401)
        except OSError:
            return False

    def push(self, archive, name, creds=None, cert_dir=None):
        """Copies a docker-archive into the registry as NAME:TAG (skopeo; plain HTTP, or HTTPS
        with the CA and client certificate in `cert_dir`)."""
        if self.users and not creds:
            creds = next(iter(self.users.items()))
        creds = ["--dest-creds", f"{creds[0]}:{creds[1]}"] if creds else []
        tls = ["--dest-cert-dir", cert_dir] if cert_dir else ["--dest-tls-verify=false"]
        p = subprocess.run(["skopeo", "copy", "-q", *tls, *creds, f"docker-archive:{archive}",
                            f"docker://{self.addr}/{name}"], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def registry(workdir):
    base = os.path.join(workdir, "registry")
    os.makedirs(base)
    r = Registry(base)
    yield r
    r.stop()


@pytest.fixture
def private_registry(workdir):
    """A registry that wants Basic credentials (htpasswd): user `tester`, password `s3cret-pw`."""
    base = os.path.join(workdir, "private-registry")
    os.makedirs(base)
    r = Registry(base, users={"tester": "s3cret-pw"})
    yield r
    r.stop()


@pytest.fixture(scope="session", autouse=True)
def netavark_chains():
    """The netavark chains this session made go at the end (scripts/netavark_chains.py)."""
    before = netavark_chain_list()
    yield
    remove_made_chains(before)
