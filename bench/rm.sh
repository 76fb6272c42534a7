#!/usr/bin/env bash
# Removing many exited containers: `rm $(ps -aq -f status=exited)` and `container prune -f`,
# per container, berth (N, default 1000) against podman (PODMAN_N, default 200).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-1000}; pn=${PODMAN_N:-200}
. "$top/bench/lib.sh"
bench_setup
sock=${BERTH_HOST#unix://}
ms() { python3 -c 'import sys,time; print(time.time()*1000)'; }
python3 "$top/bench/seed.py" "$sock" run "$n" a
t0=$(ms); "$bin/berth" rm $("$bin/berth" ps -aq -f status=exited) >/dev/null; t1=$(ms)
python3 "$top/bench/seed.py" "$sock" run "$n" b
t2=$(ms); "$bin/berth" container prune -f >/dev/null; t3=$(ms)
for i in $(seq "$pn"); do "${pm[@]}" run --network none busybox true >/dev/null; done
t4=$(ms); "${pm[@]}" rm $("${pm[@]}" ps -aq -f status=exited) >/dev/null; t5=$(ms)
for i in $(seq "$pn"); do "${pm[@]}" run --network none busybox true >/dev/null; done
t6=$(ms); "${pm[@]}" container prune -f >/dev/null; t7=$(ms)
python3 - "$n" "$pn" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" "$t7" <<'PY'
import sys
n, pn = int(sys.argv[1]), int(sys.argv[2])
t = [float(x) for x in sys.argv[3:]]
brm, bpr, prm, ppr = (t[1]-t[0])/n, (t[3]-t[2])/n, (t[5]-t[4])/pn, (t[7]-t[6])/pn
print(f"rm $(ps -aq -f status=exited): berth {brm:.2f} ms/container ({n}), podman {prm:.2f} ms/container ({pn}); ratio {brm/prm:.3f}x (goal <= 0.1x)")
print(f"container prune -f: berth {bpr:.2f} ms/container ({n}), podman {ppr:.2f} ms/container ({pn}); ratio {bpr/ppr:.3f}x (goal <= 0.1x)")
PY
