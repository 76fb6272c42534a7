#!/usr/bin/env bash
# `berth pull` vs `podman pull` of a 7-layer image (host directories, ~430 MB unpacked) from a
# local docker-registry on 127.0.0.1, each from an empty store; plus skopeo's copy to `dir:`
# (download and verify only) as the floor. Prints medians, the ratio (goal: berth <= 0.5x podman)
# and berthd's peak RSS during the pulls. Needs root, hyperfine, podman, skopeo, docker-registry.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
. "$top/bench/lib.sh"
bench_setup

# The registry, on a free port of 127.0.0.1, stopped by pid with the rest.
. "$top/scripts/registry.sh"
reg_pid=""
trap 'if [ -n "$reg_pid" ]; then kill "$reg_pid" 2>/dev/null || true; wait "$reg_pid" 2>/dev/null || true; fi; bench_cleanup' EXIT
registry_start "$work/registry"
port=$reg_port

# The image: one layer per host directory, built and pushed by berth, then gone from its store.
ctx=$work/ctx
mkdir -p "$ctx"
dirs=(/usr/share/doc /usr/lib/python3.11 /usr/share/i18n /usr/share/perl /usr/share/zoneinfo /usr/lib/gcc /usr/share/man)
printf 'FROM scratch\n' >"$ctx/Dockerfile"
i=0
for d in "${dirs[@]}"; do
  i=$((i + 1))
  mkdir -p "$ctx/l$i"
  cp -a "$d" "$ctx/l$i/" 2>/dev/null || true
  printf 'COPY l%s /\n' "$i" >>"$ctx/Dockerfile"
done
name=127.0.0.1:$port/bench/big:1
"$bin/berth" build -q -t "$name" "$ctx" >/dev/null
"$bin/berth" push "$name" >/dev/null
"$bin/berth" rmi "$name" >/dev/null
rm -rf "$ctx"
echo "image: ${#dirs[@]} layers, $(du -sh "$work/registry/storage" | cut -f1) in the registry"

echo 5 >"/proc/$berthd_pid/clear_refs" 2>/dev/null || true  # reset the peak RSS
hyperfine -N --runs "$runs" --export-json "$work/h.json" \
  --prepare "sh -c '$bin/berth rmi $name >/dev/null 2>&1; ${pm[*]} rmi -a -f >/dev/null 2>&1; rm -rf $work/dir; true'" \
  -n berth "$bin/berth pull -q $name" \
  -n podman "${pm[*]} pull -q --tls-verify=false $name" \
  -n skopeo "skopeo copy -q --src-tls-verify=false docker://$name dir:$work/dir" >/dev/null
rss=$(awk '/VmHWM/ {print $2}' "/proc/$berthd_pid/status")
python3 - "$work/h.json" "$rss" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
b, p, s = r["berth"], r["podman"], r["skopeo"]
print(f"pull 7 layers: berth {b:.2f} s, podman {p:.2f} s, skopeo to dir {s:.2f} s; "
      f"berth/podman {b/p:.2f}x (goal <= 0.50x); berthd peak RSS {int(sys.argv[2]) // 1024} MB")
PY
