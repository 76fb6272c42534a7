#!/usr/bin/env bash
# The main job: start berthd (default root and socket unless BERTH_ROOT/BERTH_RUNROOT/BERTH_HOST
# say otherwise), load the busybox test image, list it. berthd keeps running afterwards.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${BERTH_BIN_DIR:-$top/.build/release}
root=${BERTH_ROOT:-/var/lib/berth}
runroot=${BERTH_RUNROOT:-/run/berth}
export BERTH_ROOT=$root BERTH_RUNROOT=$runroot

if ! "$bin/berth" version >/dev/null 2>&1; then
  mkdir -p "$runroot"
  echo "starting berthd (root $root, log $runroot/berthd.log)"
  nohup "$bin/berthd" >>"$runroot/berthd.log" 2>&1 &
  echo $! >"$runroot/berthd.pid"
  for _ in $(seq 100); do "$bin/berth" version >/dev/null 2>&1 && break; sleep 0.05; done
fi
"$bin/berth" version

imgs=$(mktemp -d)
trap 'rm -rf "$imgs"' EXIT
python3 "$top/scripts/make-test-images.py" --out "$imgs" >/dev/null
"$bin/berth" load -i "$imgs/bb-docker.tar"
"$bin/berth" images
echo
echo "berthd runs as pid $(cat "$runroot/berthd.pid" 2>/dev/null || echo '?'); stop it with: kill \$(cat $runroot/berthd.pid)"
