#!/usr/bin/env bash
# `compose up -d` then `down -v` of a 5-service project (a network, a volume, a dependency
# chain), berth compose against docker-compose v1 on the same berthd, alternated by hyperfine.
# Goal: berth <= 0.5x docker-compose.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10}
. "$top/bench/lib.sh"
bench_setup
proj=$work/proj
mkdir -p "$proj"
cat > "$proj/docker-compose.yml" <<'YAML'
version: "3.7"
services:
  db:    {image: busybox, init: true, command: ["sleep", "100000"], volumes: ["data:/data"]}
  cache: {image: busybox, init: true, command: ["sleep", "100000"]}
  api:   {image: busybox, init: true, command: ["sleep", "100000"], depends_on: [db, cache]}
  web:   {image: busybox, init: true, command: ["sleep", "100000"], depends_on: [api], ports: ["127.0.0.1::80"]}
  jobs:  {image: busybox, init: true, command: ["sleep", "100000"], depends_on: [db]}
volumes:
  data: {}
YAML
export DOCKER_HOST=$BERTH_HOST PYTHONPATH=/usr/lib/python3/dist-packages COMPOSE_INTERACTIVE_NO_CLI=1
cd "$proj"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/h.json" \
  -n berth "sh -c '$bin/berth compose -p bench up -d && $bin/berth compose -p bench down -v'" \
  -n docker-compose "sh -c 'docker-compose -p bench up -d && docker-compose -p bench down -v'" >/dev/null 2>&1
python3 - "$work/h.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
print(f"compose up -d + down -v, 5 services: berth {r['berth']:.0f} ms, docker-compose v1 {r['docker-compose']:.0f} ms "
      f"({r['berth'] / r['docker-compose']:.2f}x, goal <= 0.5x)")
PY
