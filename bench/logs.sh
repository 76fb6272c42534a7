#!/usr/bin/env bash
# berthd's memory and time for `logs` of a big log (LOG_MB, default 500) and for `logs --tail 5`,
# side by side with podman's `logs` of the same output (k8s-file, both written by conmon).
# Goal: berthd's peak RSS < 50 MB for the whole log, --tail 5 < 50 ms. Needs root, podman.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mb=${LOG_MB:-500}
. "$top/bench/lib.sh"
bench_setup
line=0123456789012345678901234567890123456789012345678901234567890123456789
gen="yes $line | head -c $((mb * 1000000))"
# No size cap for this log (OLD_BERTH=1: a berth from before --log-opt, to measure it too).
cap=(--log-opt max-size=0); [ -n "${OLD_BERTH:-}" ] && cap=()
"$bin/berth" run -d --name big --network none "${cap[@]}" busybox sh -c "$gen" >/dev/null
"$bin/berth" wait big >/dev/null
"${pm[@]}" run -d --name big --network none --log-driver k8s-file busybox sh -c "$gen" >/dev/null
"${pm[@]}" wait big >/dev/null

# Peak RSS counted from a fresh berthd: restart it so VmHWM holds this run only.
kill "$berthd_pid"; wait "$berthd_pid" 2>/dev/null || true
"$bin/berthd" >>"$work/berthd.log" 2>&1 &
berthd_pid=$!
for _ in $(seq 200); do "$bin/berth" version >/dev/null 2>&1 && break; sleep 0.05; done
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' /proc/$berthd_pid/status; }
base=$(hwm)
tail_ms=$(python3 - "$bin/berth" <<'PY'
import subprocess, sys, time
runs = []
for _ in range(10):
    t = time.perf_counter(); subprocess.run([sys.argv[1], "logs", "--tail", "5", "big"], capture_output=True, check=True)
    runs.append((time.perf_counter() - t) * 1000)
print(f"{sorted(runs)[len(runs) // 2]:.1f}")
PY
)
tail_rss=$(hwm)
start=$(date +%s.%N)
bytes=$("$bin/berth" logs big | wc -c)
full_s=$(echo "$(date +%s.%N) - $start" | bc)
full_rss=$(hwm)
pstart=$(date +%s.%N)
pbytes=$("${pm[@]}" logs big | wc -c)
pfull_s=$(echo "$(date +%s.%N) - $pstart" | bc)
ptail_ms=$(python3 - "${pm[@]}" <<'PY'
import subprocess, sys, time
runs = []
for _ in range(5):
    t = time.perf_counter(); subprocess.run(sys.argv[1:] + ["logs", "--tail", "5", "big"], capture_output=True, check=True)
    runs.append((time.perf_counter() - t) * 1000)
print(f"{sorted(runs)[len(runs) // 2]:.1f}")
PY
)
echo "log of ${mb} MB: berthd peak RSS ${base} MB idle, ${tail_rss} MB after logs --tail 5, ${full_rss} MB after the whole log (goal < 50 MB)"
echo "logs --tail 5: berth ${tail_ms} ms (goal < 50 ms), podman ${ptail_ms} ms"
echo "whole log: berth ${bytes} bytes in ${full_s} s, podman ${pbytes} bytes in ${pfull_s} s"

# logs -f of a fast writer (FOLLOW_LINES, default 3,000,000 lines from seq, as fast as it writes),
# followed from the moment it starts (podman's logs -f of a created container ends at once, so
# each is started, then followed from its first line), under each one's default cap and under a
# 1 MB cap (berth keeps 3 files; podman's k8s-file keeps one): lines received, and seconds.
n=${FOLLOW_LINES:-3000000}
follow() {  # follow NAME CLI... -- RUNARGS...: prints "received seconds"
    local name=$1; shift
    local cli=() run=()
    while [ "$1" != "--" ]; do cli+=("$1"); shift; done; shift
    run=("$@")
    "${cli[@]}" create --name "$name" --network none "${run[@]}" busybox seq 1 "$n" >/dev/null
    local t0 got
    t0=$(date +%s.%N)
    "${cli[@]}" start "$name" >/dev/null
    "${cli[@]}" logs -f "$name" 2>/dev/null >"$work/follow-$name" &
    local reader=$!
    "${cli[@]}" wait "$name" >/dev/null
    # A follower that does not end by itself at the exit (podman's, with --events-backend none,
    # never does) is stopped by pid once its output has not grown for 1 s; its time is that of
    # its last output.
    local t1 size last=-1 still=0
    t1=$(date +%s.%N)
    while kill -0 "$reader" 2>/dev/null; do
        size=$(stat -c %s "$work/follow-$name")
        if [ "$size" = "$last" ]; then
            still=$((still + 1))
            [ "$still" -ge 10 ] && { kill "$reader"; wait "$reader" 2>/dev/null; break; }
        else
            still=0; last=$size; t1=$(date +%s.%N)
        fi
        sleep 0.1
    done
    kill -0 "$reader" 2>/dev/null || [ "$still" -ge 10 ] || t1=$(date +%s.%N)
    got=$(wc -l <"$work/follow-$name")
    echo "$got $(echo "$t1 - $t0" | bc)"
    "${cli[@]}" rm -f "$name" >/dev/null
}
for cap in default 1m; do
    bargs=(); pargs=(--log-driver k8s-file)
    if [ "$cap" = 1m ]; then bargs=(--log-opt max-size=1m --log-opt max-file=3); pargs+=(--log-opt max-size=1m); fi
    read -r b_got b_s < <(follow "fb-$cap" "$bin/berth" -- "${bargs[@]}")
    read -r p_got p_s < <(follow "fp-$cap" "${pm[@]}" -- "${pargs[@]}")
    echo "logs -f of seq 1 $n (cap $cap): berth $b_got lines in ${b_s} s, podman $p_got lines in ${p_s} s"
done
