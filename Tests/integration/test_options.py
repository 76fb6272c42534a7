"""Create options are applied (seen inside the container or its cgroup) or refused, never dropped."""
import json
import os
import subprocess

import pytest

from conftest import BLOCK, needs_root

pytestmark = needs_root


def cgroup_file(controller, cid, name):
    v1 = f"/sys/fs/cgroup/{controller}/berth/{cid}/{name}"
    return open(v1).read().strip() if os.path.exists(v1) else None


def test_process_options_are_applied(bb, workdir):
    profile = os.path.join(workdir, "no-mkdir.json")
    with open(profile, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}, f)
    out = bb.berth("run", "--rm", "--shm-size", "16m", "--group-add", "1234", "--group-add", "nogroup",
                   "--sysctl", "kernel.shmmax=123456789", "--sysctl", "net.ipv4.ip_forward=1",
                   "--ulimit", "nofile=1000:2000", "--security-opt", "no-new-privileges", "busybox", "sh", "-c",
                   "df -k /dev/shm | tail -1 | awk '{print $2}'; id -G; cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward;"
                   " ulimit -n; ulimit -Hn; grep NoNewPrivs /proc/self/status").out.split("\n")
    assert out[:7] == ["16384", "0 1234 65534", "123456789", "1", "1000", "2000", "NoNewPrivs:\t1"]
    assert "Seccomp:\t0" in bb.berth("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "cat",
                                     "/proc/self/status").out
    r = bb.berth("run", "--rm", "--security-opt", f"seccomp={profile}", "busybox", "mkdir", "/tmp/x", check=False)
    assert r.returncode != 0 and "Operation not permitted" in r.err
    assert bb.berth("run", "--rm", "busybox", "mkdir", "/tmp/x").returncode == 0
    # Host namespaces, and another container's IPC namespace.
    out = bb.berth("run", "--rm", "--pid", "host", "--uts", "host", "busybox", "sh", "-c", "cat /proc/1/comm; hostname").out
    assert out.split("\n")[1] == os.uname().nodename and out.split("\n")[0] != "sh"
    bb.berth("run", "-d", "--name", "ipcowner", "busybox", "sh", "-c", BLOCK)
    pid = bb.berth("inspect", "-f", "{{.State.Pid}}", "ipcowner").out.strip()
    ns = bb.berth("run", "--rm", "--ipc", "container:ipcowner", "busybox", "readlink", "/proc/self/ns/ipc").out.strip()
    assert ns == os.readlink(f"/proc/{pid}/ns/ipc")
    bb.berth("rm", "-f", "ipcowner")
    r = bb.berth("run", "--rm", "--ipc", "container:ipcowner", "busybox", "true", check=False)
    assert r.returncode != 0


def test_resource_options_reach_the_cgroup(bb):
    cid = bb.berth("run", "-d", "-c", "512", "--cpuset-cpus", "0", "-m", "64m", "--memory-swap", "128m",
                   "--memory-reservation", "32m", "--oom-kill-disable", "busybox", "sh", "-c", BLOCK).out.strip()
    try:
        hc = json.loads(bb.berth("inspect", cid).out)[0]["HostConfig"]
        assert (hc["CpuShares"], hc["CpusetCpus"], hc["MemorySwap"], hc["MemoryReservation"], hc["OomKillDisable"]) == \
            (512, "0", 128 << 20, 32 << 20, True)
        if os.path.isdir("/sys/fs/cgroup/cpu"):
            assert cgroup_file("cpu", cid, "cpu.shares") == "512"
            assert cgroup_file("cpuset", cid, "cpuset.cpus") == "0"
            assert cgroup_file("memory", cid, "memory.soft_limit_in_bytes") == str(32 << 20)
            assert "oom_kill_disable 1" in cgroup_file("memory", cid, "memory.oom_control")
            swap = cgroup_file("memory", cid, "memory.memsw.limit_in_bytes")
            assert swap is None or swap == str(128 << 20)
        else:
            base = f"/sys/fs/cgroup/berth/{cid}"
            assert open(f"{base}/cpuset.cpus").read().strip() == "0"
            assert open(f"{base}/memory.low").read().strip() == str(32 << 20)
    finally:
        bb.berth("rm", "-f", cid)


@pytest.mark.parametrize("args,message", [
    (["--sysctl", "vm.swappiness=1"], "sysctl 'vm.swappiness' is not whitelisted"),
    (["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"], "not allowed in host network namespace"),
    (["--ulimit", "nofile=5:1"], "ulimit soft limit must be less than or equal to hard limit"),
    (["--ulimit", "bogus=1"], "invalid ulimit type: bogus"),
    (["--shm-size=-1"], "invalid size"),
    (["--security-opt", "seccomp=/nonexistent"], "opening seccomp profile"),
    (["--security-opt", "bogus"], "invalid --security-opt"),
    (["--security-opt", "apparmor=myprofile"], "AppArmor is not enabled"),
    (["--pid", "weird"], "invalid PID mode"),
    (["--ipc", "container:nope"], "No such container"),
    (["--uts", "container:x"], "invalid UTS mode"),
    (["--cpuset-cpus", "0-999"], "Requested CPUs are not available"),
    (["--memory-swap", "64m"], "You should always set the Memory limit when using Memoryswap limit"),
    (["-m", "64m", "--memory-swap", "32m"], "Minimum memoryswap limit should be larger than memory limit"),
    (["-m", "64m", "--memory-reservation", "128m"], "Minimum memory limit can not be less than memory reservation limit"),
    (["--group-add", "no-such-group"], "Unable to find group no-such-group"),
    (["--pull", "sometimes"], "invalid pull option"),
])
def test_bad_options_are_refused(bb, args, message):
    r = bb.berth("run", "--rm", *args, "busybox", "true", check=False)
    assert r.returncode == 125, r.out
    assert message in r.err
    assert bb.berth("ps", "-aq").out == ""


def test_api_refuses_what_berth_cannot_apply(bb):
    def create(host):
        body = json.dumps({"Image": "busybox", "Cmd": ["true"], "HostConfig": host}).encode()
        return bb.request("POST", "/containers/create", body=body, headers={"Content-Type": "application/json"})
    # zero values, as the docker CLI sends them, are fine
    status, _, body = create({"CpuQuota": 0, "Devices": [], "VolumesFrom": None, "Runtime": "runc", "MemorySwappiness": -1,
                              "Isolation": "", "CgroupParent": ""})
    assert status == 201, body
    bb.berth("rm", json.loads(body)["Id"])
    for key, value in (("DeviceRequests", [{"Count": 1}]), ("CpuQuota", 50000), ("Runtime", "kata"), ("OomScoreAdj", 500), ("BlkioWeight", 300)):
        status, _, body = create({key: value})
        assert status == 400 and f"berth does not support HostConfig.{key}" in json.loads(body)["message"], (key, body)
    assert bb.berth("ps", "-aq").out == ""
    env = dict(os.environ, DOCKER_HOST="unix://" + bb.sock, PYTHONPATH="/usr/lib/python3/dist-packages")
    script = """
import docker, json
c = docker.from_env()
out = c.containers.run("busybox", "sh -c 'cat /proc/sys/kernel/shmmax; ulimit -n; id -G'", remove=True,
                       sysctls={"kernel.shmmax": "7654321"}, shm_size="8m", group_add=[4321],
                       ulimits=[docker.types.Ulimit(name="nofile", soft=300, hard=400)], security_opt=["no-new-privileges"])
try:
    c.containers.run("busybox", "true", cpu_quota=50000, remove=True)
    refused = None
except docker.errors.APIError as e:
    refused = e.status_code
print(json.dumps({"out": out.decode(), "refused": refused}))
"""
    p = subprocess.run(["python3", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res == {"out": "7654321\n300\n0 4321\n", "refused": 400}


def test_update_changes_a_running_container(bb):
    cid = bb.berth("run", "-d", "-m", "64m", "busybox", "sh", "-c", BLOCK).out.strip()
    try:
        bb.berth("update", "-m", "128m", "--cpus", "0.5", "--pids-limit", "50", "-c", "300", "--memory-reservation", "20m", cid)
        hc = json.loads(bb.berth("inspect", cid).out)[0]["HostConfig"]
        assert (hc["Memory"], hc["NanoCpus"], hc["PidsLimit"], hc["CpuShares"], hc["MemoryReservation"]) == \
            (128 << 20, 500_000_000, 50, 300, 20 << 20)
        if os.path.isdir("/sys/fs/cgroup/memory"):
            assert cgroup_file("memory", cid, "memory.limit_in_bytes") == str(128 << 20)
            assert cgroup_file("cpu", cid, "cpu.cfs_quota_us") == "50000"
            assert cgroup_file("pids", cid, "pids.max") == "50"
            assert cgroup_file("cpu", cid, "cpu.shares") == "300"
        else:
            base = f"/sys/fs/cgroup/berth/{cid}"
            assert open(f"{base}/memory.max").read().strip() == str(128 << 20)
            assert open(f"{base}/pids.max").read().strip() == "50"
        # kept for the next start
        bb.berth("restart", "-t", "0", cid)
        if os.path.isdir("/sys/fs/cgroup/memory"):
            assert cgroup_file("memory", cid, "memory.limit_in_bytes") == str(128 << 20)
        r = bb.berth("update", "-m", "1k", cid, check=False)
        assert r.returncode == 1 and "Minimum memory limit allowed is 6MB" in r.err
        r = bb.berth("update", cid, check=False)
        assert r.returncode == 1 and "you must provide one or more flags" in r.err
        status, _, body = bb.request("POST", f"/containers/{cid}/update", body=b'{"CpuQuota": 5000}')
        assert status == 400 and b"berth cannot update CpuQuota" in body
        status, _, body = bb.request("POST", f"/containers/{cid}/update", body=b'not json')
        assert status == 400
        env = dict(os.environ, DOCKER_HOST="unix://" + bb.sock, PYTHONPATH="/usr/lib/python3/dist-packages")
        script = f"import docker; c = docker.from_env().containers.get({cid!r}); c.update(mem_limit='96m', cpu_shares=400); print(c.attrs and 'ok')"
        p = subprocess.run(["python3", "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        hc = json.loads(bb.berth("inspect", cid).out)[0]["HostConfig"]
        assert (hc["Memory"], hc["CpuShares"]) == (96 << 20, 400)
    finally:
        bb.berth("rm", "-f", cid)


def test_volumes_from_and_cgroupns(bb, workdir):
    hostdir = os.path.join(workdir, "shared")
    os.makedirs(hostdir)
    with open(os.path.join(hostdir, "f"), "w") as f:
        f.write("from host")
    bb.berth("run", "--name", "owner", "-v", "data:/data", "-v", f"{hostdir}:/host:ro", "--tmpfs", "/scratch",
             "busybox", "sh", "-c", "echo kept > /data/x")
    out = bb.berth("run", "--rm", "--volumes-from", "owner", "busybox", "sh", "-c",
                   "cat /data/x /host/f; echo; echo more >> /data/x && echo wrote; touch /host/g 2>&1 | grep -c Read-only;"
                   " mount | grep -c ' /scratch ' || true").out.split("\n")
    assert out[:5] == ["kept", "from host", "wrote", "1", "0"]
    r = bb.berth("run", "--rm", "--volumes-from", "owner:ro", "busybox", "sh", "-c", "echo x >> /data/x", check=False)
    assert r.returncode != 0
    # the container's own mount at a destination wins
    other = os.path.join(workdir, "other")
    os.makedirs(other)
    out = bb.berth("run", "--rm", "--volumes-from", "owner", "-v", f"{other}:/data", "busybox", "ls", "/data").out
    assert out == ""
    r = bb.berth("run", "--rm", "--volumes-from", "nobody", "busybox", "true", check=False)
    assert r.returncode == 125 and "No such container" in r.err
    r = bb.berth("run", "--rm", "--volumes-from", "owner:rx", "busybox", "true", check=False)
    assert r.returncode == 125 and "invalid mode for volumes-from" in r.err
    # cgroupns private: the container's own cgroup is its root
    private = bb.berth("run", "--rm", "--cgroupns", "private", "busybox", "cat", "/proc/self/cgroup").out
    host = bb.berth("run", "--rm", "--cgroupns", "host", "busybox", "cat", "/proc/self/cgroup").out
    assert "/berth/" in host and "/berth/" not in private
    r = bb.berth("run", "--rm", "--cgroupns", "shared", "busybox", "true", check=False)
    assert r.returncode == 125 and "invalid cgroup namespace mode" in r.err
    bb.berth("rm", "-v", "owner")


def test_devices(bb, workdir):
    out = bb.berth("run", "--rm", "--device", "/dev/null:/dev/mynull", "--device", "/dev/zero:/dev/z:r", "busybox", "sh", "-c",
                   "echo hi > /dev/mynull && echo wrote; ls -l /dev/mynull | cut -c1; head -c 3 /dev/z | wc -c").out.split("\n")
    assert out[:3] == ["wrote", "c", "3"]
    if os.path.isdir("/sys/fs/cgroup/devices") and os.path.exists("/dev/kmsg"):
        # the rule as asked, in the container's device cgroup (a device runc does not allow anyway)
        cid = bb.berth("run", "-d", "--device", "/dev/kmsg:/dev/k:r", "busybox", "sh", "-c", BLOCK).out.strip()
        try:
            assert "c 1:11 r" in cgroup_file("devices", cid, "devices.list").split("\n")
            r = bb.berth("exec", cid, "sh", "-c", "echo x > /dev/k", check=False)
            assert r.returncode != 0 and "not permitted" in r.err
        finally:
            bb.berth("rm", "-f", cid)
        # --device-cgroup-rule (HostConfig.DeviceCgroupRules): the rule in the device cgroup.
        cid = bb.berth("run", "-d", "--device-cgroup-rule", "c 42:* rm", "busybox", "sh", "-c", BLOCK).out.strip()
        try:
            assert "c 42:* rm" in cgroup_file("devices", cid, "devices.list").split("\n")
        finally:
            bb.berth("rm", "-f", cid)
    r = bb.berth("run", "--rm", "--device-cgroup-rule", "c 1:3 rwx", "busybox", "true", check=False)
    assert r.returncode == 125 and "invalid device cgroup rule format" in r.err
    plain = os.path.join(workdir, "plain")
    open(plain, "w").close()
    r = bb.berth("run", "--rm", "--device", plain, "busybox", "true", check=False)
    assert r.returncode == 125 and "not a device node" in r.err
    r = bb.berth("run", "--rm", "--device", "/dev/null:/dev/n:rwx", "busybox", "true", check=False)
    assert r.returncode == 125 and "invalid device cgroup permissions" in r.err


def test_volume_drivers_berth_lacks_are_refused(bb):
    r = bb.berth("volume", "create", "-d", "nfsplug", "v1", check=False)
    assert r.returncode == 1 and 'error looking up volume plugin nfsplug: plugin "nfsplug" not found' in r.err
    r = bb.berth("volume", "create", "-o", "type=tmpfs", "v2", check=False)
    assert r.returncode == 1 and "volume option 'type' is not supported" in r.err
    status, _, _ = bb.request("POST", "/volumes/create", json.dumps({"Name": "v3", "Driver": "flocker"}),
                              {"Content-Type": "application/json"})
    assert status == 404
    assert bb.berth("volume", "create", "-d", "local", "v4").out.strip() == "v4"
    assert bb.berth("volume", "ls", "-q").out.split() == ["v4"]
    r = bb.berth("run", "--rm", "--volume-driver", "flocker", "-v", "vx:/x", "busybox", "true", check=False)
    assert r.returncode == 125 and "HostConfig.VolumeDriver" in r.err, r.err
    assert bb.berth("run", "--rm", "--volume-driver", "local", "-v", "vx:/x", "busybox", "true").returncode == 0
