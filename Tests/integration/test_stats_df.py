"""stats and system df as the docker CLI and docker-py read them; no cgroup left behind."""
import glob
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse

from conftest import BIN, BLOCK, needs_root

pytestmark = needs_root

PYENV = {"PYTHONPATH": "/usr/lib/python3/dist-packages"}


def docker_py(d, script):
    env = dict(os.environ, DOCKER_HOST="unix://" + d.sock, **PYENV)
    p = subprocess.run(["python3", "-c", "import docker, json\nc = docker.from_env()\n" + script], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_stats_api_cli_and_clients(bb, workdir):
    bb.berth("run", "-d", "--name", "idle", "-m", "64m", "busybox", "sh", "-c", BLOCK)
    bb.berth("run", "-d", "--name", "busy", "busybox", "sh", "-c", "while :; do :; done")
    bb.berth("create", "--name", "stopped", "busybox", "true")
    # stream=false: two samples a second apart, so precpu is filled and CPU % computable.
    status, _, body = bb.request("GET", "/containers/busy/stats?stream=false")
    s = json.loads(body)
    assert status == 200 and s["name"] == "/busy" and s["precpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert s["cpu_stats"]["cpu_usage"]["total_usage"] > s["precpu_stats"]["cpu_usage"]["total_usage"]
    assert s["cpu_stats"]["system_cpu_usage"] > s["precpu_stats"]["system_cpu_usage"]
    assert s["pids_stats"]["current"] == 1 and "eth0" in s["networks"]
    # one-shot: a single sample, no precpu
    s = json.loads(bb.request("GET", "/containers/idle/stats?stream=false&one-shot=true")[2])
    assert s["precpu_stats"]["cpu_usage"]["total_usage"] == 0
    assert s["memory_stats"]["limit"] == 64 * 1024 * 1024 and s["memory_stats"]["usage"] > 0
    # a container that is not running: zeros, no pids
    s = json.loads(bb.request("GET", "/containers/stopped/stats?stream=false&one-shot=true")[2])
    assert s["pids_stats"] == {} and s["memory_stats"] == {}
    status, _, _ = bb.request("GET", "/containers/nope/stats?stream=false")
    assert status == 404
    out = bb.berth("stats", "--no-stream").out.splitlines()
    assert out[0].split() == ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/", "LIMIT", "MEM", "%", "NET", "I/O",
                              "BLOCK", "I/O", "PIDS"]
    rows = {l.split()[1]: l for l in out[1:]}
    assert set(rows) == {"idle", "busy"}
    assert "/ 64MiB" in rows["idle"] and rows["idle"].split()[-1] == "1"
    assert float(rows["busy"].split()[2].rstrip("%")) > 5
    out = bb.berth("stats", "--no-stream", "-a", "--format", "{{.Name}} {{.PIDs}}").out.split("\n")
    assert sorted(filter(None, out)) == ["busy 1", "idle 1", "stopped --"]
    r = bb.berth("stats", "--no-stream", "nope", check=False)
    assert r.returncode != 0 and "No such container: nope" in r.err
    res = docker_py(bb, """
s = c.containers.get("idle").stats(stream=False)
g = c.containers.get("busy").stats(stream=True, decode=True)
first, second = next(g), next(g)
print(json.dumps({"limit": s["memory_stats"]["limit"], "pids": s["pids_stats"]["current"],
                  "pre": s["precpu_stats"]["cpu_usage"]["total_usage"], "stream": [first["name"], second["preread"] == first["read"]]}))
""")
    assert res == {"limit": 64 * 1024 * 1024, "pids": 1, "pre": res["pre"], "stream": ["/busy", True]} and res["pre"] > 0
    if shutil.which("docker"):
        env = dict(os.environ, DOCKER_HOST="unix://" + bb.sock, DOCKER_CONFIG=os.path.join(workdir, "dockercfg"))
        p = subprocess.run(["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}"], env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert any(l.startswith("idle ") and l.endswith("/ 64MiB") for l in p.stdout.splitlines())
    bb.berth("rm", "-f", "idle", "busy", "stopped")


def test_system_df(bb, workdir):
    bb.berth("run", "--name", "writer", "-v", "vol1:/data", "busybox", "sh", "-c",
             "head -c 100000 /dev/zero > /data/z; head -c 5000 /dev/zero > /big")
    bb.berth("volume", "create", "unused")
    status, _, body = bb.request("GET", "/system/df")
    du = json.loads(body)
    assert status == 200 and set(du) == {"LayersSize", "Images", "Containers", "Volumes", "BuildCache"}
    assert du["LayersSize"] == du["Images"][0]["Size"] > 0 and du["Images"][0]["Containers"] == 1
    (c,) = du["Containers"]
    assert c["Names"] == ["/writer"] and c["SizeRw"] == 5000 and c["SizeRootFs"] == 5000 + du["LayersSize"]
    assert c["Mounts"][0]["Name"] == "vol1"
    vols = {v["Name"]: v["UsageData"] for v in du["Volumes"]}
    assert vols == {"vol1": {"Size": 100000, "RefCount": 1}, "unused": {"Size": 0, "RefCount": 0}}
    out = bb.berth("system", "df").out.splitlines()
    assert out[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    assert out[2].split() == ["Containers", "1", "0", "5kB", "5kB", "(100%)"]
    assert out[3].split() == ["Local", "Volumes", "2", "1", "100kB", "0B", "(0%)"]
    verbose = bb.berth("system", "df", "-v").out
    assert "Local Volumes space usage:" in verbose and "writer" in verbose
    assert json.loads(bb.berth("system", "df", "--format", "json").out.splitlines()[0])["Type"] == "Images"
    res = docker_py(bb, "print(json.dumps(c.df()['Volumes'][0]['UsageData']['RefCount'] >= 0))")
    assert res is True
    if shutil.which("docker"):
        env = dict(os.environ, DOCKER_HOST="unix://" + bb.sock, DOCKER_CONFIG=os.path.join(workdir, "dockercfg"))
        p = subprocess.run(["docker", "system", "df"], env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and "Local Volumes" in p.stdout, p.stderr
    bb.berth("rm", "-f", "writer")


def test_no_cgroup_left_after_many_cycles(bb):
    ids = []
    for i in range(8):
        ids.append(bb.berth("run", "-d", "busybox", "sh", "-c", BLOCK).out.strip())
        bb.berth("exec", ids[-1], "true")
        bb.berth("rm", "-f", ids[-1])
    for i in range(4):
        ids.append(bb.berth("run", "--rm", "-d", "busybox", "true").out.strip())
        ids.append(bb.berth("create", "busybox", "true").out.strip())
        bb.berth("start", "-a", ids[-1])
        bb.berth("rm", ids[-1])
    res = docker_py(bb, """
ids = []
for i in range(4):
    ctr = c.containers.run("busybox", "sh -c 'mkfifo /tmp/f; cat /tmp/f'", detach=True)
    ctr.exec_run("true")
    ctr.kill()
    ctr.wait()
    ctr.remove()
    ids.append(ctr.id)
print(json.dumps(ids))
""")
    ids += res
    left = [p for i in ids for p in glob.glob(f"/sys/fs/cgroup/*/berth/{i}") + glob.glob(f"/sys/fs/cgroup/berth/{i}")]
    assert left == []


def test_info_swarm_plugins_and_cli_words(daemon, workdir):
    info = json.loads(daemon.request("GET", "/info")[2])
    for k in ("Runtimes", "SecurityOptions", "RegistryConfig", "Plugins", "Swarm", "ExperimentalBuild", "CgroupDriver",
              "CgroupVersion"):
        assert k in info, k
    assert info["Swarm"]["LocalNodeState"] == "inactive" and "runc" in info["Runtimes"]
    for path in ("/swarm", "/nodes", "/services?filters={}", "/tasks", "/secrets", "/configs", "/services/x/logs"):
        status, _, body = daemon.request("GET", path)
        assert status == 503, path
        assert json.loads(body)["message"].startswith("This node is not a swarm manager.")
    status, _, body = daemon.request("POST", "/swarm/init", body=b"{}")
    assert status == 503
    assert json.loads(daemon.request("GET", "/plugins")[2]) == []
    res = docker_py(daemon, """
try:
    c.swarm.reload()
    err = None
except docker.errors.APIError as e:
    err = e.status_code
print(json.dumps({"swarm": err, "state": c.info()["Swarm"]["LocalNodeState"]}))
""")
    assert res == {"swarm": 503, "state": "inactive"}
    if shutil.which("docker"):
        env = dict(os.environ, DOCKER_HOST="unix://" + daemon.sock, DOCKER_CONFIG=os.path.join(workdir, "dockercfg"))
        p = subprocess.run(["docker", "info"], env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and "Swarm: inactive" in p.stdout, p.stdout + p.stderr
        p = subprocess.run(["docker", "node", "ls"], env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode != 0 and "not a swarm manager" in p.stderr
    r = daemon.berth("pul", "busybox", check=False)
    assert r.returncode == 1 and r.err.startswith("berth: 'pul' is not a berth command.") and "\tpull" in r.err
    r = daemon.berth("ps", "--foo", check=False)
    assert r.returncode == 125 and r.err.startswith("unknown flag: --foo") and "See 'berth ps --help'." in r.err


def test_load_of_a_bad_archive_answers_in_the_stream(daemon):
    status, _, body = daemon.request("POST", "/images/load", body=b"this is not a tar archive" * 100)
    assert status == 200
    msg = json.loads(body.decode().strip().splitlines()[-1])
    assert msg["error"] and msg["errorDetail"]["message"] == msg["error"]
    res = docker_py(daemon, """
try:
    c.images.load(b"garbage" * 100)
    err = None
except docker.errors.ImageLoadError as e:
    err = str(e)
print(json.dumps(err))
""")
    assert res
    r = daemon.berth("load", input=b"garbage" * 100, check=False)
    assert r.returncode == 1 and r.err.strip() == msg["error"]
    assert daemon.rows("SELECT count(*) FROM images") == [(0,)]


def test_streams_end_right_and_inspect_keys(bb):
    bb.berth("run", "--name", "ex", "busybox", "sh", "-c", "echo out; echo err >&2")
    res = docker_py(bb, """
api = c.api
ctr = c.containers.run("busybox", "sh -c 'mkfifo /tmp/f; cat /tmp/f'", detach=True)
e1 = api.exec_create(ctr.id, "sh -c 'echo a; echo b >&2'", tty=True)
e2 = api.exec_create(ctr.id, "sh -c 'echo a; echo b >&2'")
e3 = api.exec_create(ctr.id, "echo t", tty=True)
out = {
    "attach": c.containers.get("ex").attach(stdout=True, stderr=True, logs=True).decode(),
    "demux": [x.decode() for x in api.attach("ex", logs=True, demux=True)],
    "nologs": api.attach("ex").decode(),
    # Framing follows the start request: a TTY exec started without Tty is multiplexed.
    "tty_create_plain_start": [x and x.decode() for x in api.exec_start(e1["Id"], tty=False, demux=True)],
    "plain": [x.decode() for x in api.exec_start(e2["Id"], demux=True)],
    "tty": api.exec_start(e3["Id"], tty=True).decode(),
    "config": sorted(api.inspect_container("ex")["Config"]),
    "host": {k: api.inspect_container("ex")["HostConfig"][k] for k in ("CpuShares", "Runtime", "MemorySwap", "Isolation",
                                                                        "UTSMode", "VolumeDriver", "DeviceCgroupRules")},
}
ctr.remove(force=True)
print(json.dumps(out))
""")
    assert res["attach"] == "out\nerr\n" and res["demux"] == ["out\n", "err\n"] and res["nologs"] == ""
    assert res["tty_create_plain_start"] == ["a\r\nb\r\n", None]
    assert res["plain"] == ["a\n", "b\n"] and res["tty"] == "t\r\n"
    assert "Tty" in res["config"] and "OpenStdin" in res["config"] and "HostConfig" not in res["config"]
    assert res["host"] == {"CpuShares": 0, "Runtime": "runc", "MemorySwap": 0, "Isolation": "", "UTSMode": "",
                           "VolumeDriver": "", "DeviceCgroupRules": None}


def test_hijacked_stream_waits_until_the_head_is_read(bb):
    # docker-py parses the head with a buffered reader and then reads the bare socket: bytes that
    # arrived with the head are lost (an empty attach(logs=True) under load). berthd sends the
    # stream only once the client has read the head, so a client that reads late gets the head alone.
    bb.berth("run", "--name", "ex", "busybox", "sh", "-c", "echo out")
    s = socket.socket(socket.AF_UNIX)
    s.connect(bb.sock)
    s.sendall(b"POST /containers/ex/attach?logs=1&stdout=1&stream=0 HTTP/1.1\r\nHost: x\r\n"
              b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
    time.sleep(0.3)
    first = s.recv(65536)
    rest = b""
    while chunk := s.recv(65536):
        rest += chunk
    s.close()
    assert first.startswith(b"HTTP/1.1 101") and first.endswith(b"\r\n\r\n"), first
    assert rest == b"\x01\x00\x00\x00\x00\x00\x00\x04out\n"


def test_list_items_and_volume_filters(bb):
    bb.berth("run", "--name", "mnt", "-v", "named:/data", "-v", "/anon", "busybox", "sh", "-c", "head -c 3000 /dev/zero > /f")
    bb.berth("volume", "create", "--label", "tier=db", "loose")
    res = docker_py(bb, """
api = c.api
items = api.containers(all=True, size=True)
vols = api.volumes()["Volumes"]
print(json.dumps({
    "mounts": sorted(m["Destination"] for m in items[0]["Mounts"]), "sizerw": items[0]["SizeRw"],
    "rootfs": items[0]["SizeRootFs"] > items[0]["SizeRw"],
    "nosize": "SizeRw" in api.containers(all=True)[0],
    "anon": sorted(v["Name"] for v in vols if "com.docker.volume.anonymous" in (v["Labels"] or {})) != [],
    "dangling": sorted(v["Name"] for v in api.volumes(filters={"dangling": True})["Volumes"]),
    "label": [v["Name"] for v in api.volumes(filters={"label": "tier=db"})["Volumes"]],
    "name": [v["Name"] for v in api.volumes(filters={"name": "nam"})["Volumes"]],
}))
""")
    assert res == {"mounts": ["/anon", "/data"], "sizerw": 3000, "rootfs": True, "nosize": False, "anon": True,
                   "dangling": ["loose"], "label": ["loose"], "name": ["named"]}
    assert bb.berth("volume", "ls", "-q", "-f", "dangling=true").out.split() == ["loose"]
    status, _, body = bb.request("GET", "/volumes?filters=" + urllib.parse.quote(json.dumps({"bogus": ["1"]})))
    assert status == 400 and b"invalid filter 'bogus'" in body
    bb.berth("rm", "mnt")
    # prune without --all takes the anonymous volume (labelled as Docker labels it), not the named ones
    status, _, body = bb.request("POST", "/volumes/prune")
    assert status == 200 and len(json.loads(body)["VolumesDeleted"]) == 1
    assert sorted(bb.berth("volume", "ls", "-q").out.split()) == ["loose", "named"]


def test_shell_completion_reads_names_from_the_store(bb):
    bb.berth("create", "--name", "web1", "busybox", "true")
    bb.berth("create", "--name", "web2", "busybox", "true")
    env = dict(bb.env, PATH=os.path.dirname(os.path.join(BIN, "berth")) + ":" + os.environ["PATH"])
    script = """
source <(berth completion bash)
complete_line() { COMPREPLY=(); COMP_LINE="$1"; read -ra COMP_WORDS <<< "$1"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1));
                  COMP_POINT=${#COMP_LINE}; _berth; printf '%s\\n' "${COMPREPLY[@]}"; echo --; }
complete_line "berth rm we"
complete_line "berth stop web2"
complete_line "berth rmi bu"
"""
    p = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    groups = [g.split() for g in p.stdout.split("--\n")]
    assert groups[0] == ["web1", "web2"] and groups[1] == ["web2"] and "busybox:latest" in groups[2]
    for shell in ("zsh", "fish"):
        assert "berth" in bb.berth("completion", shell).out
    r = bb.berth("completion", "tcsh", check=False)
    assert r.returncode == 1 and "use bash, zsh or fish" in r.err
    bb.berth("rm", "web1", "web2")
