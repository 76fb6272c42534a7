#!/usr/bin/env python3
"""Fills a stopped berthd's database with a long history for bench/history.sh: CONTAINERS
containers created over DAYS days (half removed since, kept in removed_containers), RUNS runs
and EVENTS events in all, shaped as berthd writes them (create, start, die, exec, destroy).
Usage: seed_history.py DB CONTAINERS RUNS EVENTS"""
import json, random, sqlite3, sys

db, n, runs, events = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(7)
con = sqlite3.connect(db)
image = con.execute("SELECT id FROM images LIMIT 1").fetchone()[0]
day = 86_400 * 10**9
end = con.execute("SELECT coalesce(max(time_ns), 0) FROM events").fetchone()[0] or 1_760_000_000 * 10**9
start = end - 10 * day
per_run = max(1, runs // n)
per_event = max(0, -(-events // n) - 2 - 2 * per_run)
cfg = json.dumps({"Image": "busybox", "Cmd": ["true"]})
hc = json.dumps({"NetworkMode": "none"})
live, removed, run_rows, event_rows = [], [], [], []
for i in range(n):
    cid = "%08x" % (0xb0000000 + i) + "%056x" % rnd.getrandbits(224)
    name = "hist-%d" % i
    created = start + i * (9 * day // n)
    t = created
    for r in range(per_run):
        t += rnd.randint(1, 600) * 10**9
        fin = t + rnd.randint(1, 3600) * 10**9
        code = rnd.choice([0, 0, 0, 1, 137])
        run_rows.append((cid, name, "busybox", t, fin, code, "exited" if code == 0 else "crash", r, "b"))
        event_rows += [(t, "container", "start", cid, name, "{}"), (fin, "container", "die", cid, name, json.dumps({"exitCode": str(code)}))]
        for _ in range(-(-per_event // per_run)):
            event_rows.append((rnd.randint(t, fin), "container", "exec_start: true", cid, name, "{}"))
        t = fin
    event_rows.append((created, "container", "create", cid, name, json.dumps({"image": "busybox", "name": name})))
    row = (cid, name, image, "busybox", "true", created)
    if i % 2 == 0:
        removed.append(row + (t + 10**9,))
        event_rows.append((t + 10**9, "container", "destroy", cid, name, "{}"))
    else:
        live.append(row + (t,))
con.executemany(
    "INSERT INTO containers (id, name, image_id, image_ref, command, state, exit_code, created_at, started_at, finished_at, has_run, config_json, host_config_json)"
    " VALUES (?, ?, ?, ?, ?, 'exited', 0, ?, ?, ?, 1, ?, ?)",
    [r[:6] + (r[6] - 10**9, r[6], cfg, hc) for r in live])
con.executemany(
    "INSERT INTO removed_containers (id, name, image_id, image_ref, command, created_at, removed_at, config_json, host_config_json)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [r + (cfg, hc) for r in removed])
con.executemany(
    "INSERT INTO runs (container_id, container_name, image, started_at, finished_at, exit_code, end_reason, restart_count, boot_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", run_rows)
con.executemany("INSERT INTO events (time_ns, type, action, actor_id, actor_name, attributes) VALUES (?, ?, ?, ?, ?, ?)", event_rows)
con.commit()
print(len(live), len(removed), len(run_rows), len(event_rows), start + 5 * day)
