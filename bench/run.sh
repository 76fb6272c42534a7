#!/usr/bin/env bash
# `berth run --rm --network none IMAGE true` vs `podman run --rm --network none` (same busybox image, podman on a
# private root, overlay storage, runc) vs bare `runc run` of a prepared bundle (the floor).
# Prints medians and ratios (goal: berth <= 0.4x podman). Needs root, hyperfine, podman, runc.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-20}
. "$top/bench/lib.sh"
bench_setup

# The floor: a prepared bundle run by runc alone.
mkdir -p "$work/bundle/rootfs"
tar xf "$work/imgs/rootfs.tar" -C "$work/bundle/rootfs"
(cd "$work/bundle" && runc spec && python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["terminal"] = False
c["process"]["args"] = ["true"]
json.dump(c, open("config.json", "w"))
PY
)

hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/h.json" \
  -n berth "$bin/berth run --rm --network none busybox true" \
  -n podman "${pm[*]} run --rm --network none busybox true" \
  -n runc "runc --root $work/runc run -b $work/bundle bench-floor" >/dev/null
python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
b, p, f = r["berth"], r["podman"], r["runc"]
print(f"run --rm true: berth {b:.1f} ms, podman {p:.1f} ms, bare runc {f:.1f} ms; "
      f"berth/podman {b/p:.2f}x (goal <= 0.40x), berth/runc {b/f:.1f}x")
PY
