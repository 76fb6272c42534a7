#!/usr/bin/env bash
# The main job: start berthd (default root and socket unless BERTH_ROOT/BERTH_RUNROOT/BERTH_HOST
# say otherwise), load the busybox test image, then the seed's walk-through with what berth has
# today: `run -d -p 127.0.0.1:PORT:80` a web server, reach it from the host, show it in ps/port/
# history, remove it. berthd keeps running afterwards. (Pulling from a registry comes next.)
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

port=${DEMO_PORT:-18080}
"$bin/berth" rm -f demo-web >/dev/null 2>&1 || true
echo "+ berth run -d -p 127.0.0.1:$port:80 --name demo-web busybox httpd -f -p 80 -h /etc"
"$bin/berth" run -d -p "127.0.0.1:$port:80" --name demo-web busybox httpd -f -p 80 -h /etc
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/hostname" >/dev/null 2>&1 && break; sleep 0.05; done
echo "+ curl http://127.0.0.1:$port/hostname"
curl -fsS "http://127.0.0.1:$port/hostname"
"$bin/berth" ps
"$bin/berth" port demo-web
"$bin/berth" rm -f demo-web >/dev/null
"$bin/berth" container history --format '{{.Run}} {{.StartedAt}} {{.Addresses}} {{.Ports}} {{.EndedBy}}' demo-web
echo
echo "berthd runs as pid $(cat "$runroot/berthd.pid" 2>/dev/null || echo '?'); stop it with: kill \$(cat $runroot/berthd.pid)"
