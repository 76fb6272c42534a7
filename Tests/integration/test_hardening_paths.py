"""Hardening: paths berthd resolves inside a container's root stay inside it, and each rootfs
mount has one owner (issue: security and data-safety defects, items 1 and 5)."""
import json
import os
import pwd
import shutil
import sqlite3
import subprocess
import pytest
from conftest import needs_root, wait_until, BLOCK

pytestmark = needs_root


def alive(d):
    return d.proc.poll() is None and d.request("GET", "/_ping")[0] == 200


# ---- 1. Paths inside the container's root stay inside it ----

def test_workdir_traversal_stays_in_the_rootfs(bb, workdir):
    probe = os.path.join(workdir, "probe")
    p = bb.berth("run", "--rm", "-w", "/../../../../../.." + probe + "/sub", "busybox", "pwd")
    assert p.out.strip() == probe + "/sub"
    assert not os.path.exists(probe), "a working directory was created on the host"


def test_symlink_swap_across_restarts_stays_in_the_rootfs(bb, workdir):
    target = os.path.join(workdir, "hostdir")
    os.makedirs(target)
    # The first run replaces /link (made by the working dir) with a symlink to a host path;
    # the next start must create the working dir inside the rootfs, not on the host.
    bb.berth("create", "--name", "swap", "-w", "/link/x", "busybox", "sh", "-c",
             f"cd /; rm -rf /link; ln -s {target} /link; echo swapped")
    assert bb.berth("start", "-a", "swap").out == "swapped\n"
    assert bb.berth("start", "-a", "swap").out == "swapped\n"
    assert os.listdir(target) == [], "the restart created directories on the host"


def test_symlinked_passwd_is_read_inside_the_rootfs(bb, workdir):
    host_passwd = os.path.join(workdir, "passwd")
    with open(host_passwd, "w") as f:
        f.write("hostonly:x:4242:4242::/:/bin/sh\n")
    bb.berth("run", "-d", "--name", "pw", "busybox", "sh", "-c", f"ln -sf {host_passwd} /etc/passwd; {BLOCK}")
    assert wait_until(lambda: bb.berth("exec", "pw", "readlink", "/etc/passwd", check=False).out.strip() == host_passwd)
    p = bb.berth("exec", "-u", "hostonly", "pw", "id", "-u", check=False)
    assert p.returncode != 0 and "unable to find user hostonly" in p.err, (p.out, p.err)
    # Numeric users need no lookup and still work.
    assert bb.berth("exec", "-u", "4242", "pw", "id", "-u").out.strip() == "4242"


def test_mount_point_through_a_symlink_stays_in_the_rootfs(bb, workdir):
    target = os.path.join(workdir, "mnt-target")
    src = os.path.join(workdir, "src")
    os.makedirs(target)
    os.makedirs(src)
    bb.berth("create", "--name", "mp", "-v", src + ":/data/link/x", "busybox", "sh", "-c",
             f"cd /; umount /data/link/x 2>/dev/null; rm -rf /data/link; ln -s {target} /data/link; true")
    bb.berth("start", "-a", "mp")
    bb.berth("start", "-a", "mp", check=False)
    assert os.listdir(target) == [], "a mount point was created on the host"


def test_cp_from_a_swapped_directory_stays_in_the_rootfs(bb, workdir):
    secret = os.path.join(workdir, "secret")
    os.makedirs(secret)
    with open(os.path.join(secret, "key"), "w") as f:
        f.write("host-secret")
    bb.berth("run", "-d", "--name", "cpx", "busybox", "sh", "-c", f"mkdir -p /d; ln -s {secret} /d/s; {BLOCK}")
    out = os.path.join(workdir, "out")
    os.makedirs(out)
    bb.berth("cp", "cpx:/d/s/key", out, check=False)
    assert not os.path.exists(os.path.join(out, "key")) or "host-secret" not in open(os.path.join(out, "key")).read()


# ---- 5. One owner of each rootfs mount ----

def rootfs_mounts(d, cid):
    target = os.path.join(d.root, "containers", cid, "rootfs")
    return sum(1 for line in open("/proc/self/mountinfo") if line.split()[4] == target)


def test_cp_racing_start_never_doubles_the_mount(bb, workdir):
    src = os.path.join(workdir, "f.txt")
    with open(src, "w") as f:
        f.write("copied")
    cid = bb.berth("create", "--name", "race", "busybox", "sh", "-c", BLOCK).out.strip()
    procs = [subprocess.Popen([os.path.join(os.environ.get("BERTH_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug")), "berth"),
                               "cp", src, f"race:/tmp/f{i}.txt"], env=bb.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for i in range(6)]
    bb.berth("start", "race")
    for p in procs:
        p.wait(60)
    assert rootfs_mounts(bb, cid) == 1
    bb.berth("cp", src, "race:/tmp/after.txt")
    assert bb.berth("exec", "race", "cat", "/tmp/after.txt").out == "copied"
    assert rootfs_mounts(bb, cid) == 1
    # Writes from inside land in the same mount cp sees.
    bb.berth("exec", "race", "sh", "-c", "echo inside > /tmp/in.txt")
    out = os.path.join(workdir, "in.txt")
    bb.berth("cp", "race:/tmp/in.txt", out)
    assert open(out).read() == "inside\n"
    bb.berth("rm", "-f", "race")
    assert rootfs_mounts(bb, cid) == 0


def test_cp_after_berthd_restart_uses_the_running_mount(bb, workdir):
    src = os.path.join(workdir, "g.txt")
    with open(src, "w") as f:
        f.write("again")
    cid = bb.berth("run", "-d", "--name", "adopt", "busybox", "sh", "-c", BLOCK).out.strip()
    bb.kill9()
    bb.start()
    bb.berth("cp", src, "adopt:/tmp/g.txt")
    assert rootfs_mounts(bb, cid) == 1
    assert bb.berth("exec", "adopt", "cat", "/tmp/g.txt").out == "again"
    bb.berth("stop", "-t", "0", "adopt")
    assert rootfs_mounts(bb, cid) == 0
    # A stopped container: cp mounts for itself and leaves nothing mounted.
    bb.berth("cp", src, "adopt:/tmp/h.txt")
    assert rootfs_mounts(bb, cid) == 0
    bb.berth("start", "adopt")
    assert bb.berth("exec", "adopt", "cat", "/tmp/h.txt").out == "again"
    assert rootfs_mounts(bb, cid) == 1
