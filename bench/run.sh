#!/usr/bin/env bash
# `berth run --rm IMAGE true` vs `podman run --rm --network none` (same busybox image, podman on a
# private vfs root with runc) vs bare `runc run` of a prepared bundle (the floor).
# Prints medians and ratios (goal: berth <= 0.4x podman). Needs root, hyperfine, podman, runc.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${BERTH_BIN_DIR:-$top/.build/release}
runs=${RUNS:-20}
work=$(mktemp -d /tmp/berth-bench-run-XXXXXX)
export BERTH_ROOT=$work/berth BERTH_RUNROOT=$work/run BERTH_HOST=unix://$work/api.sock
pm=(podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver vfs --tmpdir "$work/podman-tmp"
    --cgroup-manager cgroupfs --events-backend none --runtime runc)
berthd_pid=""
cleanup() {
  "$bin/berth" rm -f $("$bin/berth" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  [ -n "$berthd_pid" ] && kill "$berthd_pid" 2>/dev/null && wait "$berthd_pid" 2>/dev/null || true
  runc --root "$work/runc" delete -f bench-floor >/dev/null 2>&1 || true
  "${pm[@]}" system reset -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 "$top/scripts/make-test-images.py" --out "$work/imgs" >/dev/null
"$bin/berthd" >"$work/berthd.log" 2>&1 &
berthd_pid=$!
for _ in $(seq 200); do "$bin/berth" version >/dev/null 2>&1 && break; sleep 0.05; done
"$bin/berth" load -i "$work/imgs/bb-docker.tar" >/dev/null
"${pm[@]}" load -i "$work/imgs/bb-docker.tar" >/dev/null 2>&1

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
  -n berth "$bin/berth run --rm busybox true" \
  -n podman "${pm[*]} run --rm --network none busybox true" \
  -n runc "runc --root $work/runc run -b $work/bundle bench-floor" >/dev/null
python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
b, p, f = r["berth"], r["podman"], r["runc"]
print(f"run --rm true: berth {b:.1f} ms, podman {p:.1f} ms, bare runc {f:.1f} ms; "
      f"berth/podman {b/p:.2f}x (goal <= 0.40x), berth/runc {b/f:.1f}x")
PY
