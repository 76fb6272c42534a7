#!/usr/bin/env bash
# Rootless `run --rm --network none IMAGE true`: berth vs podman, both as the same throwaway
# ordinary user (subordinate ids in /etc/subuid), the same busybox image, podman with its own
# rootless defaults (storage as it picks it, runc). Alternated by hyperfine in one run; prints
# medians and the ratio. Needs root (to make the user), hyperfine, podman, uidmap, slirp4netns.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-20}
bin=${BERTH_BIN_DIR:-$top/.build/release}
work=$(mktemp -d /tmp/berth-bench-rl-XXXXXX)
chmod 755 "$work"
user=brlbench$$
start=$(awk -F: '{ e = $2 + $3; if (e > m) m = e } END { m = (m < 300000 ? 300000 : m); print int((m + 65535) / 65536) * 65536 }' /etc/subuid /etc/subgid)
range="$start-$((start + 65535))"
useradd --create-home --home-dir "$work/home" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user"
usermod --add-subuids "$range" --add-subgids "$range" "$user"
uid=$(id -u "$user")
mkdir -m 700 "$work/xdg" && chown "$user:" "$work/xdg"
mkdir "$work/bin" && cp "$bin/berth" "$bin/berthd" "$work/bin/"
as_user=(runuser -u "$user" -- env -i HOME="$work/home" XDG_RUNTIME_DIR="$work/xdg" PATH=/usr/sbin:/usr/bin:/sbin:/bin)
# Overlay, not the vfs podman falls back to here by default: never a slower podman than it can be.
pm=(podman --storage-driver overlay --cgroup-manager cgroupfs --events-backend none --runtime runc)
berthd_pid=""

cleanup() {
  "${as_user[@]}" "$work/bin/berth" rm -f $("${as_user[@]}" "$work/bin/berth" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
  [ -n "$berthd_pid" ] && kill "$berthd_pid" 2>/dev/null || true
  "${as_user[@]}" "${pm[@]}" system reset -f >/dev/null 2>&1 || true
  # What both left running for the user (pause processes, slirp4netns), by their pid files.
  for f in "$work/xdg/berth/pause.pid" "$work/xdg/berth/slirp4netns.pid" "$work/xdg/libpod/tmp/pause.pid"; do
    [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
  done
  sleep 0.5
  # Any other process of the user this script made (it has no others).
  for p in $(pgrep -u "$uid"); do kill -9 "$p" 2>/dev/null || true; done
  usermod --del-subuids "$range" --del-subgids "$range" "$user" 2>/dev/null || true
  userdel --remove "$user" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 "$top/scripts/make-test-images.py" --out "$work/imgs" >/dev/null
chmod -R a+rX "$work/imgs"
"${as_user[@]}" "$work/bin/berthd" >"$work/berthd.log" 2>&1 &
berthd_pid=$!
for _ in $(seq 200); do "${as_user[@]}" "$work/bin/berth" version >/dev/null 2>&1 && break; sleep 0.05; done
"${as_user[@]}" "$work/bin/berth" load -i "$work/imgs/bb-docker.tar" >/dev/null
"${as_user[@]}" "${pm[@]}" load -i "$work/imgs/bb-docker.tar" >/dev/null 2>&1
storage=$("${as_user[@]}" "${pm[@]}" info --format '{{.Store.GraphDriverName}}' 2>/dev/null || echo "?")

"${as_user[@]}" hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/home/h.json" \
  -n berth "$work/bin/berth run --rm --network none busybox true" \
  -n podman "${pm[*]} run --rm --network none busybox true" >/dev/null
python3 - "$work/home/h.json" "$storage" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
b, p = r["berth"], r["podman"]
print(f"rootless run --rm true: berth {b:.1f} ms, podman {p:.1f} ms (storage {sys.argv[2]}); berth/podman {b/p:.2f}x")
PY
