#!/usr/bin/env bash
# `build` side by side with podman (buildah inside): a 10-step Dockerfile on the busybox image
# (ARG, ENV, WORKDIR, COPY of a ~1 MB context, two RUNs, EXPOSE, LABEL, HEALTHCHECK, CMD).
# First build (cache pruned before each run), fully cached rebuild, and --no-cache. Prints
# medians and ratios (goal: berth <= 0.5x). Needs root, hyperfine, podman.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10}
. "$top/bench/lib.sh"
bench_setup
ctx=$work/ctx
mkdir -p "$ctx/data"
head -c 1048576 /dev/urandom > "$ctx/data/blob.bin"
for i in $(seq 20); do echo "file $i" > "$ctx/data/f$i.txt"; done
cat > "$ctx/Dockerfile" <<'DF'
FROM busybox
ARG VERSION=1.0
ENV APP_HOME=/srv/app
WORKDIR /srv/app
COPY data/ ./data/
RUN echo "version $VERSION" > version.txt && ls data | wc -l > count.txt
RUN mkdir -p /var/cache/app && cp data/f1.txt /var/cache/app/
EXPOSE 8080
LABEL org.example.bench=build
HEALTHCHECK --interval=30s CMD test -f /srv/app/version.txt
CMD ["cat", "/srv/app/version.txt"]
DF
prune_berth="$bin/berth rmi -f bench-b >/dev/null 2>&1; $bin/berth builder prune -f >/dev/null"
prune_podman="${pm[*]} rmi -f bench-p >/dev/null 2>&1; ${pm[*]} image prune -f >/dev/null 2>&1; ${pm[*]} builder prune -f >/dev/null 2>&1 || true"
hyperfine --warmup 1 --runs "$runs" --export-json "$work/first.json" \
  --prepare "$prune_berth" -n berth "$bin/berth build -q -t bench-b $ctx" \
  --prepare "$prune_podman" -n podman "${pm[*]} build -q --layers -t bench-p $ctx" >/dev/null
"$bin/berth" build -q -t bench-b "$ctx" >/dev/null
"${pm[@]}" build -q --layers -t bench-p "$ctx" >/dev/null
hyperfine --warmup 2 --runs "$runs" --export-json "$work/cached.json" \
  -n berth "$bin/berth build -q -t bench-b $ctx" \
  -n podman "${pm[*]} build -q --layers -t bench-p $ctx" >/dev/null
hyperfine --warmup 1 --runs "$runs" --export-json "$work/nocache.json" \
  -n berth "$bin/berth build -q --no-cache -t bench-b $ctx" \
  -n podman "${pm[*]} build -q --layers --no-cache -t bench-p $ctx" >/dev/null
python3 - "$work" <<'PY'
import json, sys
for name, what in (("first", "first build"), ("cached", "cached rebuild"), ("nocache", "--no-cache")):
    r = {x["command"]: x["median"] * 1000 for x in json.load(open(f"{sys.argv[1]}/{name}.json"))["results"]}
    b, p = r["berth"], r["podman"]
    print(f"build, {what}: berth {b:.0f} ms, podman {p:.0f} ms, ratio {b/p:.2f}x (goal <= 0.50x)")
PY
