#!/usr/bin/env bash
# `berth images` vs `podman images`, both holding the same 1,000 tags of the busybox test image
# (podman on a private root, its default overlay storage). Prints medians and the ratio (goal: berth <= 0.4x podman).
# Usage: bench/images.sh [COUNT]   (needs root, hyperfine, podman; builds nothing itself)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-1000}
. "$top/bench/lib.sh"
bench_setup
names=()
for i in $(seq "$count"); do names+=("bench/img$i:v1"); done
for n in "${names[@]}"; do "$bin/berth" tag busybox "$n"; done
printf '%s\n' "${names[@]}" | xargs -n 200 "${pm[@]}" tag busybox
echo "berth: $("$bin/berth" images -q | wc -l) rows, podman: $("${pm[@]}" images --format "{{.Repository}}" | wc -l) rows"

hyperfine -N --warmup 3 --runs 30 --export-json "$work/h.json" \
  -n berth "$bin/berth images" \
  -n podman "${pm[*]} images" >/dev/null
python3 - "$work/h.json" "$count" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
b, p = r["berth"]["median"] * 1000, r["podman"]["median"] * 1000
print(f"images with {sys.argv[2]} tags: berth {b:.1f} ms, podman {p:.1f} ms, ratio {b/p:.2f}x (goal <= 0.40x)")
PY
