#!/usr/bin/env bash
# N (default 20) `run -d --network none` issued at once, berth vs podman (same busybox image,
# podman on its default overlay storage, runc), alternated ROUNDS times (default 5); the wall
# time from the first command to the last answer, median over rounds, and the ratio
# (goal: berth <= 0.25x podman). Each round's containers are removed before the next.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-20}; rounds=${ROUNDS:-5}
. "$top/bench/lib.sh"
bench_setup
block='mkfifo /tmp/f 2>/dev/null; cat /tmp/f'
ms() { python3 -c 'import time; print(time.time()*1000)'; }
burst() {  # $@: the engine's command; prints the wall time in ms
  local t0 t1 pids=()
  t0=$(ms)
  for i in $(seq "$n"); do "$@" run -d --network none busybox sh -c "$block" >/dev/null & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
  t1=$(ms)
  python3 -c "print($t1 - $t0)"
}
b=(); p=()
for r in $(seq "$rounds"); do
  b+=("$(burst "$bin/berth")")
  "$bin/berth" rm -f $("$bin/berth" ps -aq) >/dev/null
  p+=("$(burst "${pm[@]}")")
  "${pm[@]}" rm -f -t 0 -a >/dev/null 2>&1
done
python3 - "$n" "${b[*]}" "${p[*]}" <<'PY'
import statistics, sys
n, b, p = int(sys.argv[1]), [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
mb, mp = statistics.median(b), statistics.median(p)
print(f"{n} x run -d at once: berth {mb:.0f} ms, podman {mp:.0f} ms (medians of {len(b)}); ratio {mb/mp:.2f}x (goal <= 0.25x)")
PY
