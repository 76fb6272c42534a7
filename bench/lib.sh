# Shared set-up for the benchmarks (sourced): a private berthd and a private podman (its default
# overlay storage, runc),
# both holding the busybox test image, and a cleanup that leaves nothing behind.
# Expects: top (repository root). Sets: bin, work, pm, berthd_pid.
bin=${BERTH_BIN_DIR:-$top/.build/release}
work=$(mktemp -d /tmp/berth-bench-XXXXXX)
export BERTH_ROOT=$work/berth BERTH_RUNROOT=$work/run BERTH_HOST=unix://$work/api.sock
pm=(podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver overlay --tmpdir "$work/podman-tmp"
    --network-config-dir "$work/podman-net" --cgroup-manager cgroupfs --events-backend none --runtime runc)
berthd_pid=""

bench_cleanup() {
  "$bin/berth" rm -f $("$bin/berth" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  if [ -n "$berthd_pid" ]; then kill "$berthd_pid" 2>/dev/null && wait "$berthd_pid" 2>/dev/null || true; fi
  runc --root "$work/runc" delete -f bench-floor >/dev/null 2>&1 || true
  "${pm[@]}" system reset -f >/dev/null 2>&1 || true
  # podman's monitors that outlived a simulated reboot (recovery.sh): ours, found by their
  # bundle path under $work, stopped by pid with their containers' processes.
  for p in $(pgrep -x conmon); do
    cmd=$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null) || continue
    case "$cmd" in *"$work"*)
      id=$(echo "$cmd" | grep -o -- '-c [0-9a-f]*' | cut -d' ' -f2)
      for f in /sys/fs/cgroup/*/libpod_parent/libpod-$id/cgroup.procs; do
        [ -f "$f" ] && for q in $(cat "$f"); do kill -9 "$q" 2>/dev/null; done
      done
      kill -9 "$p" 2>/dev/null;;
    esac
  done
  # netavark's chains this bench made (left empty by netavark 1.4), as the tests do.
  [ -f "$work/chains.json" ] && python3 "$top/scripts/netavark_chains.py" clean "$work/chains.json" || true
  rm -rf "$work"
}
trap bench_cleanup EXIT

bench_setup() {
  python3 "$top/scripts/netavark_chains.py" snapshot "$work/chains.json"
  python3 "$top/scripts/make-test-images.py" --out "$work/imgs" >/dev/null
  "$bin/berthd" >"$work/berthd.log" 2>&1 &
  berthd_pid=$!
  for _ in $(seq 200); do "$bin/berth" version >/dev/null 2>&1 && break; sleep 0.05; done
  "$bin/berth" load -i "$work/imgs/bb-docker.tar" >/dev/null
  "${pm[@]}" load -i "$work/imgs/bb-docker.tar" >/dev/null 2>&1
}
