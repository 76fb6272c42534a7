"""Containers that never wait on each other: many operations at once on real runc/conmon/netavark."""
import concurrent.futures
import json
import os
import socket

from conftest import needs_root, wait_until
from test_build import context

pytestmark = needs_root


def at_once(n, fn):
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, range(n)))


def test_twenty_starts_at_once_each_get_their_own_port(bb):
    # Host ports are chosen by starts under way: two must never pick the same one.
    ids = at_once(20, lambda i: bb.berth("run", "-d", "--name", f"w{i}", "-p", "127.0.0.1::80", "busybox",
                                         "httpd", "-f", "-p", "80", "-h", "/etc").out.strip())
    assert len(set(ids)) == 20
    ports = {}
    for i in range(20):
        out = bb.berth("port", f"w{i}", "80").out.strip()
        ports[i] = int(out.rsplit(":", 1)[1])
    assert len(set(ports.values())) == 20, ports
    states = bb.rows("SELECT state, count(*) FROM containers GROUP BY state")
    assert states == [("running", 20)]
    for port in ports.values():
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.close()
    starts = bb.rows("SELECT count(*) FROM events WHERE type = 'container' AND action = 'start'")
    assert starts == [(20,)]
    at_once(20, lambda i: bb.berth("rm", "-f", f"w{i}"))
    assert bb.rows("SELECT count(*) FROM containers") == [(0,)]


def test_concurrent_starts_on_one_new_volume_copy_it_once(bb, workdir):
    ctx = context(workdir, {"Dockerfile": "FROM busybox\nRUN mkdir /seed && for i in 1 2 3 4 5 6 7 8; do echo $i > /seed/f$i; done\n"})
    bb.berth("build", "-q", "-t", "seeded", ctx)
    outs = at_once(6, lambda i: bb.berth("run", "--rm", "--network", "none", "-v", "shared:/seed", "seeded",
                                         "sh", "-c", f"echo c{i} > /seed/c{i}; cat /seed/f8").out)
    assert outs == ["8\n"] * 6
    data = os.path.join(bb.root, "volumes", "shared", "_data")
    assert sorted(os.listdir(data)) == sorted([f"f{i}" for i in range(1, 9)] + [f"c{i}" for i in range(6)])
    assert not os.path.exists(os.path.join(bb.root, "volumes", "shared", "_copyup"))


def test_operations_on_many_containers_interleave_and_stay_ordered(bb):
    # create, start, stop, start, rm on 12 containers at once: each one's order holds, and every
    # change is recorded with its event.
    def life(i):
        name = f"c{i}"
        bb.berth("create", "--network", "none", "--name", name, "busybox", "sh", "-c", "trap 'exit 3' TERM; while :; do sleep 1; done")
        bb.berth("start", name)
        bb.berth("stop", "-t", "5", name)
        bb.berth("start", name)
        bb.berth("kill", name)
        code = bb.berth("inspect", "-f", "{{.State.ExitCode}}", name).out.strip()
        bb.berth("rm", name)
        return code
    assert at_once(12, life) == ["137"] * 12
    for i in range(12):
        acts = [a for (a,) in bb.rows("SELECT action FROM events WHERE type = 'container' AND actor_name = ? ORDER BY id", f"c{i}")]
        assert acts == ["create", "start", "kill", "die", "stop", "start", "kill", "die", "destroy"], acts
    runs = bb.rows("SELECT exit_code, count(*) FROM runs GROUP BY exit_code ORDER BY exit_code")
    assert runs == [(3, 12), (137, 12)], runs
