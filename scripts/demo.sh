#!/usr/bin/env bash
# The main job, the seed's walk-through: start berthd (default root and socket unless
# BERTH_ROOT/BERTH_RUNROOT/BERTH_HOST say otherwise), pull the busybox test image from a local
# registry (docker-registry on 127.0.0.1, fed with skopeo), `run -d -p 127.0.0.1:PORT:80` a web
# server from it, reach it from the host, show it in ps/port/history, remove it. The registry
# stops at the end; berthd keeps running.
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
reg_pid=""
cleanup() {
  if [ -n "$reg_pid" ]; then kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null || true; fi
  rm -rf "$imgs"
}
trap cleanup EXIT
python3 "$top/scripts/make-test-images.py" --out "$imgs" >/dev/null

# A registry of our own on 127.0.0.1 (Debian's docker-registry), holding the busybox test image.
. "$top/scripts/registry.sh"
# One port every time (DEMO_REGISTRY_PORT), so demo after demo names the same image; the tags
# an earlier demo left on another port (it was taken) go first.
registry_start "$imgs/registry" "${DEMO_REGISTRY_PORT:-15000}"
for old in $("$bin/berth" images --format '{{.Repository}}:{{.Tag}}' | grep -E '^127\.0\.0\.1:[0-9]+/busybox:demo$' || true); do
  [ "$old" = "127.0.0.1:$reg_port/busybox:demo" ] || "$bin/berth" rmi "$old" >/dev/null 2>&1 || true
done
skopeo copy -q --dest-tls-verify=false "docker-archive:$imgs/bb-docker.tar" "docker://127.0.0.1:$reg_port/busybox:demo"
image=127.0.0.1:$reg_port/busybox:demo

port=${DEMO_PORT:-18080}
"$bin/berth" rm -f web >/dev/null 2>&1 || true
"$bin/berth" rmi "$image" >/dev/null 2>&1 || true
echo "+ berth run -d -p 127.0.0.1:$port:80 --name web $image httpd -f -p 80 -h /etc"
"$bin/berth" run -d -p "127.0.0.1:$port:80" --name web "$image" httpd -f -p 80 -h /etc
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/hostname" >/dev/null 2>&1 && break; sleep 0.05; done
echo "+ curl http://127.0.0.1:$port/hostname"
curl -fsS "http://127.0.0.1:$port/hostname"
echo "+ berth ps -a"
"$bin/berth" ps -a
echo "+ berth port web"
"$bin/berth" port web
"$bin/berth" kill web >/dev/null
echo "+ berth container history web"
"$bin/berth" container history web
echo "+ berth rm -v \$(berth ps -a -q -f status=exited)"
"$bin/berth" rm -v $("$bin/berth" ps -a -q -f status=exited)
"$bin/berth" images --digests
echo
echo "berthd runs as pid $(cat "$runroot/berthd.pid" 2>/dev/null || echo '?'); stop it with: kill \$(cat $runroot/berthd.pid)"
