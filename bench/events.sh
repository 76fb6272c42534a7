#!/usr/bin/env bash
# `events --since 24h --until 0s --filter container=X` over a large history (default 1,000,000
# events). The history is grown from real ones: berth makes 200 containers (create, start,
# die, destroy, …); berthd is stopped and those rows are copied under fresh container ids and
# earlier times until the table holds E events, the same shapes berth writes. Goal <= 100 ms.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
e=${E:-1000000}; runs=${RUNS:-20}
. "$top/bench/lib.sh"
bench_setup
sock=${BERTH_HOST#unix://}
python3 "$top/bench/seed.py" "$sock" run 200 ev
"$bin/berth" rm $("$bin/berth" ps -aq) >/dev/null
kill "$berthd_pid"; wait "$berthd_pid" 2>/dev/null || true; berthd_pid=""
python3 - "$BERTH_ROOT/berth.db" "$e" <<'PY'
import sqlite3, sys, os
db, target = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(db)
base = con.execute("SELECT time_ns, type, action, actor_id, actor_name, attributes FROM events").fetchall()
n, gen = con.execute("SELECT count(*) FROM events").fetchone()[0], 0
while n < target:
    gen += 1
    shift = gen * 3_000_000_000  # each copy 3 s earlier, so 1M events span days
    rows = []
    for t, ty, ac, aid, an, at in base:
        if ty == "container":
            aid = format(gen, "08x") + aid[8:]
            an = (an or "") + f"-{gen}"
        rows.append((t - shift, ty, ac, aid, an, at))
    rows = rows[: target - n]
    con.executemany("INSERT INTO events (time_ns, type, action, actor_id, actor_name, attributes) VALUES (?,?,?,?,?,?)", rows)
    n += len(rows)
con.commit()
print(con.execute("SELECT count(*) FROM events").fetchone()[0], "events", file=sys.stderr)
PY
"$bin/berthd" >"$work/berthd.log" 2>&1 &
berthd_pid=$!
for _ in $(seq 200); do "$bin/berth" version >/dev/null 2>&1 && break; sleep 0.05; done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" \
  -n name "$bin/berth events --since 24h --until 0s --filter container=ev7" \
  -n name-old "$bin/berth events --since 24h --until 0s --filter container=ev7-500" \
  -n die "$bin/berth events --since 24h --until 0s --filter container=ev7 --filter event=die" >/dev/null
python3 - "$work/h.json" "$e" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
print(f"events --since 24h --filter container=X over {sys.argv[2]} events: {r['name']:.1f} ms "
      f"(an older container: {r['name-old']:.1f} ms; plus event=die: {r['die']:.1f} ms); goal <= 100 ms")
PY
