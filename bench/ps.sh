#!/usr/bin/env bash
# `ps -a` and `ps -aq -f status=exited` with many containers (default 10,000 in berth, of which
# 500 exited), against podman with PODMAN_N (default 300, as in the issue) containers.
# Containers are seeded through the API (create, start, wait), as `berth run` makes them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-10000}; exited=${EXITED:-500}; pn=${PODMAN_N:-300}; runs=${RUNS:-20}
. "$top/bench/lib.sh"
bench_setup
sock=${BERTH_HOST#unix://}
python3 "$top/bench/seed.py" "$sock" run "$exited" x
python3 "$top/bench/seed.py" "$sock" create $((n - exited)) c
for i in $(seq "$pn"); do "${pm[@]}" create --network none busybox true >/dev/null; done
for i in $(seq 20); do "${pm[@]}" run --network none busybox true >/dev/null; done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" \
  -n berth-ps "$bin/berth ps -a" \
  -n berth-exited "$bin/berth ps -aq -f status=exited" \
  -n podman-ps "${pm[*]} ps -a" \
  -n podman-exited "${pm[*]} ps -aq -f status=exited" >/dev/null
python3 - "$work/h.json" "$n" "$pn" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
n, pn = sys.argv[2], sys.argv[3]
print(f"ps -a: berth {r['berth-ps']:.1f} ms with {n} containers (goal <= 50 ms); podman {r['podman-ps']:.1f} ms with {pn}")
print(f"ps -aq -f status=exited: berth {r['berth-exited']:.1f} ms with {n}; podman {r['podman-exited']:.1f} ms with {pn}")
PY
