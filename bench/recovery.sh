#!/usr/bin/env bash
# Recovery after a simulated reboot: N containers (default 200), half with --restart=always.
# The reboot: berthd stopped, every container process and conmon killed, overlays unmounted,
# the runroot emptied, a new boot id. Measures the time until berthd answers /_ping and until
# all the `always` containers run again; podman's boot path after the same simulation is
# `podman start --all --filter restart-policy=always`. Goal: berth <= 0.5x podman, /_ping < 1 s.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-200}; half=$((n / 2))
. "$top/bench/lib.sh"
export BERTH_BOOT_ID_FILE=$work/boot_id
echo first > "$BERTH_BOOT_ID_FILE"
# berthd from bench_setup does not know the boot id file yet: restart it with it.
bench_setup
kill "$berthd_pid"; wait "$berthd_pid" 2>/dev/null || true
"$bin/berthd" >"$work/berthd.log" 2>&1 & berthd_pid=$!
for _ in $(seq 200); do "$bin/berth" version >/dev/null 2>&1 && break; sleep 0.05; done
block='mkfifo /tmp/f 2>/dev/null; cat /tmp/f'
for i in $(seq "$half"); do
  "$bin/berth" run -d --name a$i --network none --restart always busybox sh -c "$block" >/dev/null
  "$bin/berth" run -d --name n$i --network none busybox sh -c "$block" >/dev/null
  "${pm[@]}" run -d --name a$i --network none --restart always busybox sh -c "$block" >/dev/null
  "${pm[@]}" run -d --name n$i --network none busybox sh -c "$block" >/dev/null
done
ms() { python3 -c 'import time; print(time.time()*1000)'; }

# --- berth's reboot
kill "$berthd_pid"; wait "$berthd_pid" 2>/dev/null || true; berthd_pid=""
for c in $(runc --root "$BERTH_RUNROOT/runc" list -q); do runc --root "$BERTH_RUNROOT/runc" kill --all "$c" KILL 2>/dev/null || true; done
for f in "$BERTH_RUNROOT"/*/conmon.pid; do kill -9 "$(cat "$f")" 2>/dev/null || true; done
sleep 0.5
for c in $(runc --root "$BERTH_RUNROOT/runc" list -q); do runc --root "$BERTH_RUNROOT/runc" delete -f "$c" 2>/dev/null || true; done
grep -o "$BERTH_ROOT/containers/[0-9a-f]*/rootfs" /proc/self/mounts | sort -u | xargs -r -n1 umount -l
rm -rf "$BERTH_RUNROOT"; echo second > "$BERTH_BOOT_ID_FILE"
t0=$(ms)
"$bin/berthd" >>"$work/berthd.log" 2>&1 & berthd_pid=$!
sock=${BERTH_HOST#unix://}
until curl -sf --unix-socket "$sock" http://x/_ping >/dev/null 2>&1; do sleep 0.005; done
t1=$(ms)
until [ "$("$bin/berth" ps -q 2>/dev/null | wc -l)" -ge "$half" ]; do sleep 0.02; done
t2=$(ms)

# --- podman's reboot
for id in $("${pm[@]}" ps -q --no-trunc); do
  read -r pid cpid < <("${pm[@]}" inspect --format '{{.State.Pid}} {{.State.ConmonPid}}' "$id")
  kill -9 "$pid" "$cpid" 2>/dev/null || true
done
sleep 0.5
for r in /run/runc "$work/podman-run/runc"; do
  [ -d "$r" ] || continue
  for c in $(runc --root "$r" list -q 2>/dev/null); do
    "${pm[@]}" container exists "$c" 2>/dev/null && runc --root "$r" delete -f "$c" 2>/dev/null || true
  done
done
rm -rf "$work/podman-run" "$work/podman-tmp"   # podman sees the reboot by its tmpdir's alive file
t3=$(ms)
"${pm[@]}" start --all --filter restart-policy=always >/dev/null
t4=$(ms)
running=$("${pm[@]}" ps -q | wc -l)
python3 - "$t0" "$t1" "$t2" "$t3" "$t4" "$half" "$running" <<'PY'
import sys
t0, t1, t2, t3, t4 = map(float, sys.argv[1:6]); half, running = sys.argv[6], sys.argv[7]
b, p = t2 - t0, t4 - t3
print(f"reboot recovery, {half} of {2*int(half)} containers to restart: berthd answered /_ping after {t1-t0:.0f} ms, "
      f"all running after {b:.0f} ms; podman start --all --filter restart-policy=always {p:.0f} ms ({running} running); "
      f"ratio {b/p:.2f}x (goal <= 0.5x)")
PY
