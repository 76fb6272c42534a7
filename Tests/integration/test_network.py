"""Bridge networking and published ports on real netavark, iptables and veths.

Containers are reached only through ports published on 127.0.0.1. Each daemon has its own
bridge and subnet (conftest); every test checks that what it made is gone afterwards.
"""
import fcntl
import json
import os
import shutil
import socket
import subprocess
import urllib.request

import pytest

from conftest import BIN, BLOCK, needs_root, next_network, wait_until

pytestmark = needs_root


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fetch(port, path="/hostname", timeout=2):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read().decode()


def reachable(port, path="/hostname"):
    try:
        return fetch(port, path)
    except OSError:
        return None


def netns_files(d, keepers=False):
    """Container namespaces and netavark inputs; with keepers, also the bridges' holders."""
    p = os.path.join(d.runroot, "netns")
    names = sorted(os.listdir(p)) if os.path.isdir(p) else []
    return names if keepers else [n for n in names if not n.startswith("keep-")]


def iptables_mentions(text):
    out = ""
    for table in ("nat", "filter"):
        out += subprocess.run(["iptables-save", "-t", table], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if text in l]


def bridge_exists(name):
    return subprocess.run(["ip", "link", "show", name], capture_output=True).returncode == 0


def httpd(d, name, *publish):
    """busybox httpd serving the container's /etc (GET /hostname answers its hostname)."""
    args = []
    for p in publish:
        args += ["-p", p]
    return d.berth("run", "-d", "--name", name, *args, "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").out.strip()


def assert_no_network_left(d, ip=None):
    """Nothing of the containers' networking is left. The bridges stay while berthd runs (as
    Docker's docker0), held by berth's keeper endpoints; they go when berthd stops."""
    assert netns_files(d) == []
    netns = os.path.join(d.runroot, "netns")
    assert not [m for m in open("/proc/self/mountinfo").read().splitlines() if netns in m and "/keep-" not in m]
    if ip:
        assert iptables_mentions(ip + "/") == [] and iptables_mentions(ip + ":") == []


def test_published_port_reaches_httpd_and_everything_goes_with_rm(bb):
    port = free_port()
    cid = httpd(bb, "web", f"127.0.0.1:{port}:80")
    assert wait_until(lambda: reachable(port) is not None, 20), bb.read_log()
    assert fetch(port).strip() == cid[:12]
    info = json.loads(bb.berth("inspect", "web").out)[0]
    ns = info["NetworkSettings"]
    ip = ns["IPAddress"]
    assert ip.startswith(bb.subnet.rsplit(".", 2)[0]) and ns["Networks"]["bridge"]["IPAddress"] == ip
    assert ns["Gateway"] == bb.subnet.rsplit(".", 1)[0] + ".1" and ns["IPPrefixLen"] == 24
    assert ns["Ports"] == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
    assert info["HostConfig"]["NetworkMode"] == "bridge"
    assert bb.berth("port", "web").out == f"80/tcp -> 127.0.0.1:{port}\n"
    assert f"127.0.0.1:{port}->80/tcp" in bb.berth("ps").out
    assert bb.berth("ps", "-q", "-f", f"publish={port}").out.strip() == cid[:12]
    rows = json.loads(bb.berth("sql", "--format", "json", "SELECT container_name, host_ip, host_port, container_port, protocol FROM ports").out)
    assert rows == [{"container_name": "web", "host_ip": "127.0.0.1", "host_port": port, "container_port": 80, "protocol": "tcp"}]
    assert bridge_exists(bb.bridge) and netns_files(bb) == [cid, cid + ".json"]
    assert iptables_mentions(ip)
    bb.berth("rm", "-f", "web")
    assert reachable(port) is None
    assert_no_network_left(bb, ip)
    # History keeps where the run was reachable, after the container is gone.
    runs = json.loads(bb.berth("sql", "--format", "json", "SELECT container_name, addresses, ports FROM runs").out)
    assert runs == [{"container_name": "web", "addresses": f"bridge={ip}", "ports": f"127.0.0.1:{port}->80/tcp"}]
    assert bb.berth("container", "history", "--format", "{{.Addresses}} {{.Ports}}", "web").out == f"bridge={ip} 127.0.0.1:{port}->80/tcp\n"


def test_the_container_sees_its_address_hostname_and_loopback(bb):
    out = bb.berth("run", "--rm", "--hostname", "box", "busybox", "sh", "-c",
                   "ip -4 -o addr show eth0; grep box /etc/hosts; ping -c1 -W2 127.0.0.1 >/dev/null && echo lo-ok").out
    prefix = bb.subnet.rsplit(".", 1)[0] + "."
    lines = out.splitlines()
    assert prefix in lines[0] and "/24" in lines[0]
    ip = lines[0].split()[3].split("/")[0]
    assert lines[1].split() == [ip, "box"] and lines[2] == "lo-ok"
    assert_no_network_left(bb, ip)


def test_ephemeral_publish_all_and_ranges(bb):
    cid = httpd(bb, "web", "127.0.0.1::80")
    line = bb.berth("port", "web", "80").out.strip()
    host, port = line.rsplit(":", 1)
    lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    assert host == "127.0.0.1" and lo <= int(port) <= hi
    assert wait_until(lambda: reachable(int(port)) is not None, 20)
    bb.berth("rm", "-f", "web")
    # -P publishes --expose'd ports; a range maps port by port.
    bb.berth("run", "-d", "--name", "all", "-P", "--expose", "7000-7001", "busybox", "sh", "-c", BLOCK)
    ports = bb.berth("port", "all").out.splitlines()
    assert [p.split(" -> ")[0] for p in ports] == ["7000/tcp", "7001/tcp"]
    assert all(p.split(" -> ")[1].startswith("0.0.0.0:") for p in ports)
    a, b = free_port(), free_port()
    if b != a + 1:
        b = a + 1
    bb.berth("run", "-d", "--name", "rng", "-p", f"127.0.0.1:{a}-{b}:5000-5001/udp", "busybox", "sh", "-c", BLOCK)
    assert bb.berth("port", "rng").out.splitlines() == [f"5000/udp -> 127.0.0.1:{a}", f"5001/udp -> 127.0.0.1:{b}"]
    rows = bb.rows("SELECT container_port, protocol, host_port FROM port_mappings WHERE container_id ="
                   " (SELECT id FROM containers WHERE name = 'rng') ORDER BY container_port")
    assert rows == [(5000, "udp", a), (5001, "udp", b)]
    # Stopped: the chosen ports go back; fixed ones stay recorded. ps shows nothing for them.
    bb.berth("rm", "-f", "all", "rng")
    assert netns_files(bb) == []


def test_port_conflicts_are_refused_before_start(bb):
    port = free_port()
    httpd(bb, "first", f"127.0.0.1:{port}:80")
    r = bb.berth("run", "-d", "--name", "second", "-p", f"127.0.0.1:{port}:80", "busybox", "true", check=False)
    assert r.returncode == 125
    assert f"Bind for 127.0.0.1:{port} failed: port is already allocated" in r.err
    # A binding on all addresses collides with one on 127.0.0.1.
    r = bb.berth("run", "-d", "--name", "third", "-p", f"{port}:80", "busybox", "true", check=False)
    assert r.returncode == 125 and f"Bind for 0.0.0.0:{port} failed" in r.err
    # A host process holding a port is seen too.
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    taken = holder.getsockname()[1]
    try:
        r = bb.berth("run", "-d", "--name", "fourth", "-p", f"127.0.0.1:{taken}:80", "busybox", "true", check=False)
        assert r.returncode == 125 and f"Bind for 127.0.0.1:{taken} failed: port is already allocated" in r.err
    finally:
        holder.close()
    # The refused ones left no namespace behind; the first still answers.
    first = bb.berth("inspect", "-f", "{{.Id}}", "first").out.strip()
    assert netns_files(bb) == [first, first + ".json"]
    assert wait_until(lambda: reachable(port) is not None, 20)
    states = dict(bb.rows("SELECT name, state FROM containers"))
    assert states == {"first": "running", "second": "created", "third": "created", "fourth": "created"}
    # ps shows a port only on the container that holds it (as Docker: none on a Created one).
    shown = dict(l.split("|") for l in bb.berth("ps", "-a", "--format", "{{.Names}}|{{.Ports}}").out.splitlines())
    assert shown == {"first": f"127.0.0.1:{port}->80/tcp", "second": "", "third": "", "fourth": ""}, shown
    bb.berth("rm", "-f", "first", "second", "third", "fourth")
    assert_no_network_left(bb)


@pytest.mark.parametrize("spec,message", [
    ("http", "invalid containerPort: http"),
    ("80/icmp", "invalid proto: icmp"),
    ("1.2.3:80:80", "invalid IP address: 1.2.3"),
    ("8080-8081:80-90", "invalid ranges specified for container and host Ports"),
])
def test_bad_publish_specs(bb, spec, message):
    r = bb.berth("run", "--rm", "-p", spec, "busybox", "true", check=False)
    assert r.returncode == 125 and f'invalid argument "{spec}" for "-p, --publish" flag: {message}' in r.err
    assert bb.rows("SELECT count(*) FROM containers") == [(0,)]


def test_none_and_host_modes_stay_as_they_were(bb):
    out = bb.berth("run", "--rm", "--network", "none", "busybox", "sh", "-c", "ip -o link | wc -l").out.strip()
    assert out == "1"
    assert netns_files(bb) == [] and not bridge_exists(bb.bridge)
    r = bb.berth("run", "--rm", "--network", "nosuch", "busybox", "true", check=False)
    assert r.returncode == 125 and "network nosuch not found" in r.err
    r = bb.berth("run", "--rm", "--network", "host", "-p", "8080:80", "busybox", "true")
    assert "WARNING: Published ports are discarded when using host network mode" in r.err
    assert bb.rows("SELECT count(*) FROM port_mappings") == [(0,)]


def test_exit_while_berthd_is_down_is_torn_down_at_restart(bb):
    port = free_port()
    httpd(bb, "web", f"127.0.0.1:{port}:80")
    ip = json.loads(bb.berth("inspect", "web").out)[0]["NetworkSettings"]["IPAddress"]
    assert wait_until(lambda: reachable(port) is not None, 20)
    bb.kill9()
    runc_root = os.path.join(bb.runroot, "runc")
    cid = bb.rows("SELECT id FROM containers WHERE name = 'web'")[0][0]
    subprocess.run(["runc", "--root", runc_root, "kill", cid, "KILL"], check=True)
    assert wait_until(lambda: os.path.exists(os.path.join(bb.runroot, "exits", cid)), 20)
    bb.start()
    assert bb.rows("SELECT state FROM containers WHERE id = ?", cid) == [("exited",)]
    assert reachable(port) is None
    assert_no_network_left(bb, ip)
    # It starts again on the same address and port.
    bb.berth("start", "web")
    assert wait_until(lambda: reachable(port) is not None, 20)
    assert json.loads(bb.berth("inspect", "web").out)[0]["NetworkSettings"]["IPAddress"] == ip
    bb.berth("rm", "-f", "web")
    assert_no_network_left(bb, ip)


def test_kill_9_mid_start_leaves_no_network_behind(bb):
    first = bb.berth("run", "-d", "--name", "first", "busybox", "sh", "-c", BLOCK).out.strip()
    assert wait_until(lambda: [n for n in netns_files(bb, keepers=True) if n.startswith("keep-")] != [], 10)
    port = free_port()
    # Holding netavark's host-wide lock stops the next start inside its network setup: the
    # namespace, its input file and the address exist, runc has created the container.
    lock = os.open("/run/containers/networks/netavark.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        p = subprocess.Popen([os.path.join(BIN, "berth"), "run", "-d", "--name", "second", "-p", f"127.0.0.1:{port}:80",
                              "busybox", "httpd", "-f", "-p", "80", "-h", "/etc"], env=bb.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_until(lambda: len(netns_files(bb)) == 4, 20)
        ip = bb.rows("SELECT a.ip FROM network_attachments a JOIN containers c ON c.id = a.container_id WHERE c.name = 'second'")[0][0]
        assert ip
        bb.kill9()
    finally:
        os.close(lock)
    p.wait(timeout=30)
    bb.start()
    second = bb.rows("SELECT id, state FROM containers WHERE name = 'second'")[0]
    assert second[1] in ("created", "exited")
    assert netns_files(bb) == [first, first + ".json"]
    assert bb.rows("SELECT ip FROM network_attachments WHERE container_id = ?", second[0]) == [(None,)]
    assert iptables_mentions(ip + "/") == [] and iptables_mentions(ip + ":") == [] and reachable(port) is None
    assert bb.berth("inspect", "-f", "{{.State.Running}}", "first").out.strip() == "true"
    # and it starts cleanly afterwards
    bb.berth("start", "second")
    assert wait_until(lambda: reachable(port) is not None, 20)
    bb.berth("rm", "-f", "first", "second")
    assert_no_network_left(bb, ip)


FETCH_BY_NAME = ("ip=$(nslookup {name} 2>/dev/null | awk '/^Address: /{{print $2}}' | tail -1); "
                 "[ -n \"$ip\" ] && printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 5 $ip 80 | tail -1")


def aardvark_pid(d):
    p = os.path.join(d.runroot, "netavark", "aardvark-dns", "aardvark.pid")
    try:
        return int(open(p).read().strip())
    except (OSError, ValueError):
        return None


def test_user_network_resolves_names_and_the_default_bridge_does_not(bb):
    subnet = next_network()[1].replace(".0/24", ".128/25")
    out = bb.berth("network", "create", "--subnet", subnet, "--label", "app=t", "appnet").out.strip()
    assert len(out) == 64
    assert "appnet" in bb.berth("network", "ls").out and bb.berth("network", "ls", "-q", "-f", "label=app=t").out.strip() == out[:12]
    net = json.loads(bb.berth("network", "inspect", "appnet").out)[0]
    assert net["IPAM"]["Config"] == [{"Subnet": subnet, "Gateway": subnet.rsplit(".", 1)[0] + ".129"}]
    assert net["Labels"] == {"app": "t"} and net["Driver"] == "bridge"
    assert bb.berth("network", "inspect", "-f", "{{.Driver}} {{.Name}}", "appnet").out == "bridge appnet\n"
    port = free_port()
    cid = bb.berth("run", "-d", "--name", "web", "--network", "appnet", "-p", f"127.0.0.1:{port}:80", "busybox",
                   "httpd", "-f", "-p", "80", "-h", "/etc").out.strip()
    assert wait_until(lambda: reachable(port) is not None, 20)
    # By name and by short id, from a second container on the same network. (busybox-static's
    # wget crashes on any lookup: static glibc has no NSS; nslookup asks DNS itself, nc fetches.)
    for name in ("web", cid[:12]):
        got = bb.berth("run", "--rm", "--network", "appnet", "busybox", "sh", "-c", FETCH_BY_NAME.format(name=name)).out
        assert got.strip() == cid[:12]
    # Not from the default bridge (no DNS there, as Docker).
    r = bb.berth("run", "--rm", "busybox", "sh", "-c", FETCH_BY_NAME.format(name="web"), check=False)
    assert r.returncode != 0
    endpoints = json.loads(bb.berth("network", "inspect", "appnet").out)[0]["Containers"]
    assert [e["Name"] for e in endpoints.values()] == ["web"]
    assert aardvark_pid(bb) is not None
    # In use: Docker's refusal; the pre-defined bridge cannot go either.
    r = bb.berth("network", "rm", "appnet", check=False)
    assert r.returncode == 1 and "has active endpoints" in r.err
    r = bb.berth("network", "rm", "bridge", check=False)
    assert r.returncode == 1 and "pre-defined network" in r.err
    bb.berth("rm", "-f", "web")
    assert bb.berth("network", "rm", "appnet").out.strip() == "appnet"
    assert bb.rows("SELECT name FROM networks") == [("bridge",)]
    assert_no_network_left(bb)
    assert not bridge_exists("br-" + out[:12])
    assert wait_until(lambda: aardvark_pid(bb) is None or not os.path.exists(f"/proc/{aardvark_pid(bb)}"), 10)
    # Docker's endpoint events: connect as each run joins, disconnect as it leaves.
    actions = [a for (a,) in bb.rows("SELECT action FROM events WHERE type = 'network' AND actor_id = ? ORDER BY id", out)]
    assert actions[0] == "create" and actions[-1] == "destroy"
    assert actions[1:-1] == ["connect", "connect", "disconnect", "connect", "disconnect", "disconnect"], actions
    attrs = bb.rows("SELECT attributes FROM events WHERE type = 'network' AND action = 'connect' AND actor_id = ? LIMIT 1", out)
    assert json.loads(attrs[0][0]) == {"name": "appnet", "type": "bridge", "container": cid}


def test_network_create_refusals(bb):
    bb.berth("network", "create", "one")
    for args, message in [
        (["one"], "network with name one already exists"),
        (["--subnet", "10.1.2.3/24", "x2"], "invalid subnet 10.1.2.3/24"),
        (["--subnet", bb.subnet, "x3"], "Pool overlaps with other one"),
        (["-d", "macvlan", "x4"], 'plugin "macvlan" not found'),
        (["bad/name"], "invalid network name"),
        # Networks no container could ever use are refused at create, not at the first run.
        (["n" * 300], "at most 128 are allowed"),
        (["--subnet", "127.0.0.0/24", "x5"], "loopback range"),
        (["--subnet", "224.0.0.0/24", "x6"], "multicast range"),
        (["--subnet", "169.254.10.0/24", "x7"], "link-local range"),
        (["--subnet", "0.0.0.0/24", "x8"], "0.0.0.0/8"),
    ]:
        r = bb.berth("network", "create", *args, check=False)
        assert r.returncode == 1 and message in r.err, (args, r.err)
    assert bb.rows("SELECT count(*) FROM networks") == [(2,)]
    assert bb.berth("network", "prune", "-f").out == "Deleted Networks:\none\n"
    assert bb.rows("SELECT name FROM networks") == [("bridge",)]


def test_network_names_with_spaces_and_long_container_names(bb):
    subnet = next_network()[1]
    bb.berth("network", "create", "--subnet", subnet, "my net")
    long = "c" * 64
    r = bb.berth("run", "--rm", "--name", long, "--network", "my net", "busybox", "hostname")
    assert "DNS names are at most 63" in r.err
    assert bb.berth("network", "inspect", "-f", "{{.Name}}", "my net").out == "my net\n"
    bb.berth("network", "rm", "my net")
    assert_no_network_left(bb)


def test_docker_cli_publishes_and_manages_networks(bb, workdir):
    import shutil
    if not shutil.which("docker"):
        pytest.skip("docker CLI not installed")
    env = dict(os.environ, DOCKER_HOST="unix://" + bb.sock, DOCKER_CONFIG=os.path.join(workdir, "dockercfg"))

    def docker(*args):
        p = subprocess.run(["docker", *args], env=env, capture_output=True, timeout=60, text=True)
        return p
    port = free_port()
    p = docker("run", "-d", "--name", "dweb", "-p", f"127.0.0.1:{port}:80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
    assert p.returncode == 0, p.stderr
    assert wait_until(lambda: reachable(port) is not None, 20)
    assert docker("port", "dweb").stdout.strip() == f"80/tcp -> 127.0.0.1:{port}"
    assert f"127.0.0.1:{port}->80/tcp" in docker("ps", "--format", "{{.Ports}}").stdout
    subnet = next_network()[1]
    p = docker("network", "create", "--subnet", subnet, "dnet")
    assert p.returncode == 0, p.stderr
    assert "dnet" in docker("network", "ls", "--format", "{{.Name}}").stdout.split()
    assert json.loads(docker("network", "inspect", "dnet").stdout)[0]["IPAM"]["Config"][0]["Subnet"] == subnet
    p = docker("network", "rm", "dnet")
    assert p.returncode == 0, p.stderr
    assert docker("rm", "-f", "dweb").returncode == 0
    assert_no_network_left(bb)


def test_docker_py_runs_with_ports_and_networks(bb):
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url="unix://" + bb.sock)
    try:
        net = client.networks.create("pynet", ipam=docker.types.IPAMConfig(
            pool_configs=[docker.types.IPAMPool(subnet=next_network()[1])]))
        port = free_port()
        c = client.containers.run("busybox", ["httpd", "-f", "-p", "80", "-h", "/etc"], detach=True, name="pyweb",
                                  ports={"80/tcp": ("127.0.0.1", port)}, network="pynet")
        assert wait_until(lambda: reachable(port) is not None, 20)
        c.reload()
        assert c.ports == {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
        assert c.attrs["NetworkSettings"]["Networks"]["pynet"]["IPAddress"]
        assert [n.name for n in client.networks.list(names=["pynet"])] == ["pynet"]
        c.remove(force=True)
        net.remove()
        assert [n.name for n in client.networks.list()] == ["bridge"]
    finally:
        client.close()
    assert_no_network_left(bb)


def test_links_add_host_dns_and_aliases(bb):
    bb.berth("run", "-d", "--name", "db", "--expose", "3306", "-e", "MYSQL_PASS=s3cret", "busybox", "sh", "-c", BLOCK)
    db_ip = json.loads(bb.berth("inspect", "db").out)[0]["NetworkSettings"]["IPAddress"]
    out = bb.berth("run", "--rm", "--name", "app", "--link", "db:mysql", "--add-host", "extra.example:192.0.2.7",
                   "--add-host", "gw:host-gateway", "--dns", "192.0.2.53", "--dns-search", "corp.example",
                   "busybox", "sh", "-c", "cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; env | sort").out
    hosts, resolv, env = out.split("---\n")
    assert f"{db_ip}\tmysql db" in hosts
    assert "192.0.2.7\textra.example" in hosts
    assert bb.subnet.rsplit(".", 1)[0] + ".1\tgw" in hosts
    assert resolv.splitlines() == ["nameserver 192.0.2.53", "search corp.example"]
    env = env.splitlines()
    for want in [f"MYSQL_PORT=tcp://{db_ip}:3306", f"MYSQL_PORT_3306_TCP=tcp://{db_ip}:3306", f"MYSQL_PORT_3306_TCP_ADDR={db_ip}",
                 "MYSQL_PORT_3306_TCP_PORT=3306", "MYSQL_PORT_3306_TCP_PROTO=tcp", "MYSQL_NAME=/app/mysql",
                 "MYSQL_ENV_MYSQL_PASS=s3cret"]:
        assert want in env, (want, env)
    # Refusals: a link to nothing, a stopped one, a bad add-host, an alias on the default bridge.
    r = bb.berth("run", "--rm", "--link", "nosuch:x", "busybox", "true", check=False)
    assert r.returncode == 125 and "could not get container for nosuch" in r.err
    bb.berth("create", "--name", "stopped", "busybox", "true")
    r = bb.berth("run", "--rm", "--link", "stopped:s", "busybox", "true", check=False)
    assert r.returncode == 125 and "Cannot link to a non running container: /stopped AS" in r.err
    r = bb.berth("run", "--rm", "--add-host", "x:notanip", "busybox", "true", check=False)
    assert r.returncode == 125 and "invalid IP address in add-host" in r.err
    r = bb.berth("run", "--rm", "--network-alias", "a", "busybox", "true", check=False)
    assert r.returncode == 125 and "network-scoped aliases are supported only for containers in user defined networks" in r.err
    # An alias on a user network resolves.
    bb.berth("network", "create", "--subnet", next_network()[1], "anet")
    cid = bb.berth("run", "-d", "--name", "aliased", "--network", "anet", "--network-alias", "api", "busybox", "httpd", "-f",
                   "-p", "80", "-h", "/etc").out.strip()
    got = bb.berth("run", "--rm", "--network", "anet", "busybox", "sh", "-c", FETCH_BY_NAME.format(name="api")).out
    assert got.strip() == cid[:12]
    bb.berth("rm", "-f", "db", "stopped", "aliased")
    bb.berth("network", "rm", "anet")
    assert_no_network_left(bb)


def test_connect_and_disconnect_a_running_container(bb):
    bb.berth("network", "create", "--subnet", next_network()[1], "backend")
    cid = bb.berth("run", "-d", "--name", "api", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").out.strip()
    # Not on backend yet: a client there cannot find it.
    r = bb.berth("run", "--rm", "--network", "backend", "busybox", "sh", "-c", FETCH_BY_NAME.format(name="api"), check=False)
    assert r.returncode != 0
    bb.berth("network", "connect", "--alias", "svc", "backend", "api")
    ifaces = bb.berth("exec", "api", "ls", "/sys/class/net").out.split()
    assert ifaces == ["eth0", "eth1", "lo"]
    nets = json.loads(bb.berth("inspect", "api").out)[0]["NetworkSettings"]["Networks"]
    assert sorted(nets) == ["backend", "bridge"] and nets["backend"]["IPAddress"] and nets["backend"]["Aliases"] == ["svc"]
    for name in ("api", "svc"):
        got = bb.berth("run", "--rm", "--network", "backend", "busybox", "sh", "-c", FETCH_BY_NAME.format(name=name)).out
        assert got.strip() == cid[:12]
    r = bb.berth("network", "connect", "backend", "api", check=False)
    assert r.returncode == 1 and "already exists in network backend" in r.err
    bb.berth("network", "disconnect", "backend", "api")
    assert bb.berth("exec", "api", "ls", "/sys/class/net").out.split() == ["eth0", "lo"]
    r = bb.berth("run", "--rm", "--network", "backend", "busybox", "sh", "-c", FETCH_BY_NAME.format(name="api"), check=False)
    assert r.returncode != 0
    actions = [a for (a,) in bb.rows("SELECT action FROM events WHERE type = 'network' ORDER BY id")]
    assert actions[-2:] == ["connect", "disconnect"]
    # Connected while stopped: joins at the next start.
    bb.berth("stop", "-t", "0", "api")
    bb.berth("network", "connect", "backend", "api")
    bb.berth("start", "api")
    assert bb.berth("exec", "api", "ls", "/sys/class/net").out.split() == ["eth0", "eth1", "lo"]
    bb.berth("rm", "-f", "api")
    bb.berth("network", "rm", "backend")
    assert_no_network_left(bb)


COMPOSE = """\
version: "2.4"
services:
  web:
    image: busybox
    command: ["httpd", "-f", "-p", "80", "-h", "/etc"]
    ports: ["127.0.0.1:{port}:80"]
    stop_signal: SIGKILL
  probe:
    image: busybox
    depends_on: [web]
    stop_signal: SIGKILL
    entrypoint: ["sh", "-c"]
    command:
      - |
        for i in $$(seq 100); do out=$$({fetch}) && [ -n "$$out" ] && break; sleep 0.1; done
        echo got=$$out
        {block}
"""


def test_docker_compose_project_finds_services_by_name(bb, workdir):
    import shutil
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose not installed")
    port = free_port()
    proj = os.path.join(workdir, "proj")
    os.makedirs(proj)
    fetch = FETCH_BY_NAME.format(name="web").replace("$", "$$")
    with open(os.path.join(proj, "docker-compose.yml"), "w") as f:
        f.write(COMPOSE.format(port=port, fetch=fetch, block=BLOCK))
    # Debian's compose 1.29 needs its own docker-py 5, not a newer one pip may have installed.
    env = dict(os.environ, DOCKER_HOST="unix://" + bb.sock, PYTHONPATH="/usr/lib/python3/dist-packages",
               COMPOSE_INTERACTIVE_NO_CLI="1")

    def compose(*args, check=True):
        p = subprocess.run(["docker-compose", "-p", "demo", *args], cwd=proj, env=env, capture_output=True, text=True, timeout=120)
        assert not check or p.returncode == 0, (args, p.stdout, p.stderr, bb.read_log()[-3000:])
        return p
    compose("up", "-d")
    assert wait_until(lambda: reachable(port) is not None, 20)
    web_id = bb.berth("inspect", "-f", "{{.Id}}", "demo_web_1").out.strip()
    assert wait_until(lambda: "got=" in compose("logs", "probe").stdout, 30)
    assert f"got={web_id[:12]}" in compose("logs", "probe").stdout
    ps = compose("ps").stdout
    assert "demo_web_1" in ps and "demo_probe_1" in ps and f"127.0.0.1:{port}->80/tcp" in ps
    assert "demo_default" in bb.berth("network", "ls", "--format", "{{.Name}}").out.split()
    compose("down")
    assert bb.rows("SELECT count(*) FROM containers") == [(0,)]
    assert bb.rows("SELECT name FROM networks") == [("bridge",)]
    assert_no_network_left(bb)


def test_fixed_ip_and_mac_address(bb):
    subnet = next_network()[1]
    base = subnet.rsplit(".", 1)[0]
    ip, mac = base + ".77", "02:42:ac:11:00:77"
    bb.berth("network", "create", "--subnet", subnet, "fixnet")
    bb.berth("run", "-d", "--name", "fixed", "--network", "fixnet", "--ip", ip, "--mac-address", mac.upper(),
             "busybox", "sh", "-c", BLOCK)
    out = bb.berth("exec", "fixed", "sh", "-c", "ip addr show eth0").out
    assert f"inet {ip}/24" in out and f"link/ether {mac}" in out
    net = json.loads(bb.berth("inspect", "fixed").out)[0]["NetworkSettings"]["Networks"]["fixnet"]
    assert (net["IPAddress"], net["MacAddress"]) == (ip, mac)
    # Kept across runs, and handed to nobody else while the container is stopped.
    bb.berth("stop", "-t", "0", "fixed")
    bb.berth("run", "-d", "--name", "dyn", "--network", "fixnet", "busybox", "sh", "-c", BLOCK)
    assert bb.berth("inspect", "-f", "{{.NetworkSettings.Networks.fixnet.IPAddress}}", "dyn").out.strip() == base + ".2"
    bb.berth("start", "fixed")
    assert f"inet {ip}/24" in bb.berth("exec", "fixed", "sh", "-c", "ip addr show eth0").out
    # A second container asking for the same address is created, and its start refused.
    r = bb.berth("run", "-d", "--name", "twin", "--network", "fixnet", "--ip", ip, "busybox", "true", check=False)
    assert r.returncode != 0 and "Address already in use" in r.err
    assert bb.berth("inspect", "-f", "{{.State.Status}}", "twin").out.strip() == "created"
    for args, message in [
        (["--ip", ip], "user specified IP address is supported on user defined networks only"),
        (["--network", "fixnet", "--ip", "192.0.2.5"], "does not belong to any of this network's subnets"),
        (["--network", "fixnet", "--ip", base + ".1"], "is the gateway of network fixnet"),
        (["--network", "fixnet", "--ip", base + ".254"], "is held by berth for the bridge of network fixnet"),
        (["--network", "fixnet", "--ip", "300.1.1.1"], "invalid IPv4 address"),
        (["--mac-address", "zz:42:ac:11:00:01"], "invalid MAC address"),
        (["--network", "none", "--mac-address", mac], "conflicting options: mac-address and the network mode"),
    ]:
        r = bb.berth("create", *args, "busybox", "true", check=False)
        assert r.returncode == 125 and message in r.err, (args, r.err)
    # connect --ip on a running container
    bb.berth("run", "-d", "--name", "late", "busybox", "sh", "-c", BLOCK)
    bb.berth("network", "connect", "--ip", base + ".99", "fixnet", "late")
    assert f"inet {base}.99/24" in bb.berth("exec", "late", "sh", "-c", "ip addr show eth1").out
    r = bb.berth("network", "connect", "--ip", base + ".98", "bridge", "twin", check=False)
    assert r.returncode == 1 and "user defined networks only" in r.err
    names = ["fixed", "dyn", "twin", "late"]
    if shutil.which("docker"):
        env = dict(os.environ, DOCKER_HOST="unix://" + bb.sock)
        p = subprocess.run(["docker", "run", "-d", "--name", "dk", "--network", "fixnet", "--ip", base + ".50",
                            "--mac-address", "02:42:ac:11:00:50", "busybox", "sh", "-c", BLOCK],
                           env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        names.append("dk")
        out = bb.berth("exec", "dk", "sh", "-c", "ip addr show eth0").out
        assert f"inet {base}.50/24" in out and "link/ether 02:42:ac:11:00:50" in out
    bb.berth("rm", "-f", *names)
    bb.berth("network", "rm", "fixnet")
    assert_no_network_left(bb, ip)


def test_bridge_stays_while_berthd_runs_and_goes_with_it(bb):
    # The first container builds the bridge; it stays for the next ones (no rebuild per run).
    bb.berth("run", "--rm", "busybox", "true")
    assert wait_until(lambda: [n for n in netns_files(bb, keepers=True) if n.startswith("keep-")] != [], 10)
    assert bridge_exists(bb.bridge)
    ip = bb.berth("run", "--rm", "busybox", "sh", "-c", "ip -4 -o addr show eth0").out.split()[3].split("/")[0]
    assert bridge_exists(bb.bridge) and ip.endswith(".2")
    # berthd stopping takes the bridge, its rules and the keeper with it.
    subnet = bb.subnet
    assert bb.stop() == 0
    assert not bridge_exists(bb.bridge)
    assert netns_files(bb, keepers=True) == []
    assert not [m for m in open("/proc/self/mountinfo").read().splitlines() if os.path.join(bb.runroot, "netns") in m]
    assert iptables_mentions(subnet) == []


def test_ipv6_network(bb):
    r = os.urandom(5)
    v4, v6 = next_network()[1], f"fd{r[0]:02x}:{0x1000 + (r[1] * 256 + r[2]) % 0xf000:x}:{0x1000 + (r[3] * 256 + r[4]) % 0xf000:x}:1::/64"
    prefix6 = v6.split("::")[0] + "::"
    bb.berth("network", "create", "--ipv6", "--subnet", v4, "--subnet", v6, "six")
    net = json.loads(bb.berth("network", "inspect", "six").out)[0]
    assert net["EnableIPv6"] is True
    assert [c["Subnet"] for c in net["IPAM"]["Config"]] == [v4, v6] and net["IPAM"]["Config"][1]["Gateway"] == prefix6 + "1"
    assert "six true" in bb.berth("network", "ls", "--format", "{{.Name}} {{.IPv6}}").out
    port = free_port()
    cid = bb.berth("run", "-d", "--name", "web6", "--network", "six", "-p", f"[::]:{port}:80",
                   "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").out.strip()
    ep = json.loads(bb.berth("inspect", "web6").out)[0]["NetworkSettings"]["Networks"]["six"]
    assert (ep["GlobalIPv6Address"], ep["GlobalIPv6PrefixLen"], ep["IPv6Gateway"]) == (prefix6 + "2", 64, prefix6 + "1")
    assert f"{prefix6}2\t{cid[:12]}" in bb.berth("exec", "web6", "cat", "/etc/hosts").out
    # Published on IPv6: ip6tables forwards the port to the container's IPv6 address.
    rules6 = subprocess.run(["ip6tables-save", "-t", "nat"], capture_output=True, text=True).stdout
    assert [l for l in rules6.splitlines() if f"--dport {port} " in l and f"--to-destination [{prefix6}2]:80" in l]
    # Another container on the network reaches it over IPv6 (a namespace berth made), by
    # address and by name (aardvark answers AAAA).
    fetch = "printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {addr} 80 | tail -1"
    got = bb.berth("run", "--rm", "--network", "six", "busybox", "sh", "-c", fetch.format(addr=prefix6 + "2")).out
    assert got.strip() == cid[:12]
    looked = bb.berth("run", "--rm", "--network", "six", "busybox", "sh", "-c", "nslookup -type=AAAA web6").out
    assert prefix6 + "2" in looked
    # IPv6 publishing on a network without IPv6 is refused (the IPv6 loopback is not: a
    # userland proxy serves it, below).
    r = bb.berth("run", "--rm", "-p", f"[::]:{port}:80", "busybox", "true", check=False)
    assert r.returncode == 125 and "IPv6 is not enabled on network bridge" in r.err
    r = bb.berth("network", "create", "--ipv6", "--subnet", "fd00:1:2:3::1/64", "bad6", check=False)
    assert r.returncode == 1 and "invalid subnet" in r.err
    bb.berth("network", "create", "--ipv6", "auto6")
    auto = json.loads(bb.berth("network", "inspect", "auto6").out)[0]["IPAM"]["Config"]
    assert len(auto) == 2 and auto[1]["Subnet"].startswith("fd") and auto[1]["Subnet"].endswith("::/64")
    bb.berth("rm", "-f", "web6")
    bb.berth("network", "rm", "six", "auto6")
    assert_no_network_left(bb)
    rules6 = subprocess.run(["ip6tables-save"], capture_output=True, text=True).stdout
    assert prefix6 not in rules6 and f"--dport {port} " not in rules6


def fetch6(port, path="/hostname"):
    """GET over the IPv6 loopback (never another address)."""
    try:
        with socket.create_connection(("::1", port), timeout=3) as s:
            s.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return data.decode(errors="replace").split("\r\n\r\n", 1)[-1] or None
    except OSError:
        return None


def udp_no_ports(d, name):
    """Datagrams the container's kernel got for a port nobody listens on (/proc/net/snmp)."""
    lines = [l.split() for l in d.berth("exec", name, "cat", "/proc/net/snmp").out.splitlines() if l.startswith("Udp:")]
    return int(lines[1][lines[0].index("NoPorts")])


def test_ipv6_loopback_is_served_by_a_userland_proxy(bb):
    # The kernel forwards nothing from ::1, so berthd relays it itself (Docker's docker-proxy),
    # here on the default bridge, which has no IPv6: the proxy reaches the IPv4 address.
    port, uport = free_port(), free_port()
    cid = bb.berth("run", "-d", "--name", "lo6", "-p", f"[::1]:{port}:80", "-p", f"[::1]:{uport}:5353/udp",
                   "busybox", "httpd", "-f", "-p", "80", "-h", "/etc").out.strip()
    assert wait_until(lambda: fetch6(port) is not None, 20)
    assert fetch6(port).strip() == cid[:12]
    assert fetch6(port, "/hosts") == bb.berth("exec", "lo6", "cat", "/etc/hosts").out
    assert sorted(bb.berth("port", "lo6").out.splitlines()) == sorted([f"80/tcp -> [::1]:{port}", f"5353/udp -> [::1]:{uport}"])
    assert f"[::1]:{port}->80/tcp" in bb.berth("ps", "--format", "{{.Ports}}").out
    # netavark was given no rule for it.
    rules6 = subprocess.run(["ip6tables-save"], capture_output=True, text=True).stdout
    assert f"--dport {port} " not in rules6
    # UDP: a datagram to [::1] arrives in the container (nothing listens there: its kernel counts it).
    before = udp_no_ports(bb, "lo6")
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as u:
        u.sendto(b"ping", ("::1", uport))
    assert wait_until(lambda: udp_no_ports(bb, "lo6") > before, 10)
    # The port is held: another container, and a host listener, are refused.
    r = bb.berth("run", "--rm", "-p", f"[::1]:{port}:80", "busybox", "true", check=False)
    assert r.returncode == 125 and f"Bind for [::1]:{port} failed: port is already allocated" in r.err
    # Its first network changing (connect one, leave the bridge) moves the proxy to the new address.
    bb.berth("network", "create", "lonet")
    bb.berth("network", "connect", "lonet", "lo6")
    bb.berth("network", "disconnect", "bridge", "lo6")
    assert wait_until(lambda: (fetch6(port) or "").strip() == cid[:12], 10)
    # berthd restarting (a crash) brings the proxy back for the container it re-adopts.
    bb.kill9()
    assert fetch6(port) is None
    bb.start()
    assert wait_until(lambda: fetch6(port) is not None, 20)
    bb.berth("stop", "-t", "1", "lo6")
    assert fetch6(port) is None
    bb.berth("start", "lo6")
    assert wait_until(lambda: fetch6(port) is not None, 20)
    bb.berth("rm", "-f", "lo6")
    assert fetch6(port) is None
    with socket.socket(socket.AF_INET6) as s:
        # Relayed connections may wait in TIME_WAIT; a listener left behind would still fail this.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::1", port))
        s.listen()
        r = bb.berth("run", "--rm", "-p", f"[::1]:{port}:80", "busybox", "true", check=False)
        assert r.returncode == 125 and "port is already allocated" in r.err
    bb.berth("network", "rm", "lonet")
    assert_no_network_left(bb)


def test_docker_py_network_ipam_options_and_refusals(bb):
    docker = pytest.importorskip("docker")
    bridge, subnet = next_network()
    base = subnet.rsplit(".", 1)[0]
    c = docker.DockerClient(base_url="unix://" + bb.sock, version="1.43")
    api = c.api
    ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
        subnet=subnet, gateway=f"{base}.254", iprange=f"{base}.128/25", aux_addresses={"router": f"{base}.128"})])
    api.create_network("ipamnet", ipam=ipam, attachable=True,
                       options={"com.docker.network.bridge.name": bridge, "com.docker.network.driver.mtu": "1400", "x.other": "kept"})
    try:
        n = api.inspect_network("ipamnet")
        assert n["Attachable"] is True and n["Scope"] == "local"
        assert n["IPAM"]["Config"] == [{"Subnet": subnet, "Gateway": f"{base}.254", "IPRange": f"{base}.128/25",
                                        "AuxiliaryAddresses": {"router": f"{base}.128"}}]
        assert n["Options"]["x.other"] == "kept" and n["Options"]["com.docker.network.driver.mtu"] == "1400"
        # Addresses come from the range, past the auxiliary one; the MTU and the bridge name are applied.
        out = c.containers.run("busybox", "sh -c 'ip -4 -o addr show eth0; cat /sys/class/net/eth0/mtu'",
                               network="ipamnet", remove=True).decode()
        assert f"inet {base}.129/24" in out and out.split()[-1] == "1400", out
        ctr = c.containers.run("busybox", ["sh", "-c", BLOCK], network="ipamnet", detach=True)
        try:
            assert bridge_exists(bridge)
        finally:
            ctr.remove(force=True)
    finally:
        api.remove_network("ipamnet")
    assert wait_until(lambda: not bridge_exists(bridge), 10)
    # What a single host cannot be: refused in Docker's words, nothing created.
    with pytest.raises(docker.errors.APIError) as e:
        api.create_network("ing", ingress=True)
    assert "not a swarm manager" in str(e.value)
    for opts, msg in [({"com.docker.network.bridge.enable_icc": "false"}, "cannot apply"),
                      ({"com.docker.network.driver.mtu": "9"}, "invalid MTU"),
                      ({"com.docker.network.bridge.name": "x" * 16}, "invalid bridge name")]:
        with pytest.raises(docker.errors.APIError) as e:
            api.create_network("bad", options=opts)
        assert msg in str(e.value), (opts, str(e.value))
    with pytest.raises(docker.errors.APIError) as e:
        api.create_network("bad", ipam=docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(
            subnet=subnet, iprange="10.254.0.0/25")]))
    assert "invalid ip range" in str(e.value)
    assert [r for (r,) in bb.rows("SELECT name FROM networks")] == ["bridge"]


def test_network_container_mode_shares_the_namespace(bb):
    d = bb
    d.berth("run", "-d", "--name", "owner", "busybox", "httpd", "-f", "-p", "8080", "-h", "/etc")
    # The joiner reaches the owner's server on its loopback and has its address and names.
    out = d.berth("run", "--rm", "--network", "container:owner", "busybox", "sh", "-c",
                  "wget -q -O - http://127.0.0.1:8080/hostname; cat /etc/hosts").out
    owner_id = d.berth("inspect", "-f", "{{.Id}}", "owner").out.strip()
    ip = d.berth("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "owner").out.strip()
    assert out.splitlines()[0] == owner_id[:12] and f"{ip}\t{owner_id[:12]}" in out
    mode = json.loads(d.berth("inspect", d.berth("create", "--network", "container:owner", "busybox", "true").out.strip()).out)[0]
    assert mode["HostConfig"]["NetworkMode"] == "container:" + owner_id
    for args, words in ((["-p", "80"], "port publishing"), (["-h", "x"], "hostname"), (["--dns", "1.1.1.1"], "dns")):
        r = d.berth("run", "--rm", "--network", "container:owner", *args, "busybox", "true", check=False)
        assert r.returncode == 125 and words in r.err, r.err
    r = d.berth("run", "--rm", "--network", "container:nosuch", "busybox", "true", check=False)
    assert r.returncode == 125 and "No such container: nosuch" in r.err
    d.berth("create", "--name", "late", "--network", "container:owner", "busybox", "true")
    d.berth("network", "create", "--subnet", next_network()[1], "other")
    r = d.berth("network", "connect", "other", "late", check=False)
    assert r.returncode != 0 and "sharing network namespace" in r.err
    d.berth("kill", "owner")
    r = d.berth("start", "late", check=False)
    assert r.returncode != 0 and "non running container" in r.err
    d.berth("rm", "-f", "late", "owner")
    d.berth("network", "rm", "other")
    assert_no_network_left(d)
