#!/usr/bin/env bash
# `ps -a --at T` over a long history (default 20,000 containers of which half removed since,
# 100,000 runs, 1,000,000 events), beside plain `ps -a` over the same database. No peer can
# answer `--at`, so the ratio is to berth's own `ps -a` (goal: --at <= 50 ms).
# History is seeded by berthd for real (one run, one removal), then grown in SQLite by
# bench/seed_history.py while berthd is stopped, in the shape berthd writes it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-20000}; nruns=${NRUNS:-100000}; nevents=${NEVENTS:-1000000}; runs=${RUNS:-20}
. "$top/bench/lib.sh"
bench_setup
"$bin/berth" run --name seeded --network none busybox true >/dev/null
"$bin/berth" rm seeded >/dev/null
kill "$berthd_pid"; wait "$berthd_pid" 2>/dev/null || true; berthd_pid=""
read -r live removed nr ne mid < <(python3 "$top/bench/seed_history.py" "$BERTH_ROOT/berth.db" "$n" "$nruns" "$nevents")
at=$(python3 -c "print('%d.%09d' % divmod($mid, 10**9))")
shown=$("$bin/berth" ps -aq --at "$at" 2>/dev/null | wc -l)
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" \
  -n ps "$bin/berth ps -a" \
  -n at "$bin/berth ps -a --at $at" \
  -n at-exited "$bin/berth ps -aq --at $at -f status=exited" >/dev/null 2>&1
python3 - "$work/h.json" "$live" "$removed" "$nr" "$ne" "$shown" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
live, removed, nr, ne, shown = sys.argv[2:7]
print(f"history: {live} containers, {removed} removed, {nr} runs, {ne} events; --at shows {shown}")
print(f"ps -a: {r['ps']:.1f} ms; ps -a --at: {r['at']:.1f} ms ({r['at'] / r['ps']:.2f}x ps -a, goal <= 50 ms); "
      f"ps -aq --at -f status=exited: {r['at-exited']:.1f} ms")
PY
