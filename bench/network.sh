#!/usr/bin/env bash
# Networking side by side with podman (netavark both): `run -d -p 127.0.0.1:PORT:80 httpd` then
# `rm -f` (podman: `rm -f -t 0`, the kill berth's rm -f does), `run --rm --network bridge true`,
# and `run --rm` on a user network (DNS: aardvark-dns reloads at each start and exit). Prints
# medians and ratios (goal: berth <= 0.4x).
# Needs root, hyperfine, podman, netavark.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-20}
. "$top/bench/lib.sh"
bench_setup
bport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/berth-p.sh" <<SH
id=\$("$bin/berth" run -d -p 127.0.0.1:$bport:80 busybox httpd -f -p 80) && "$bin/berth" rm -f "\$id" >/dev/null
SH
cat >"$work/podman-p.sh" <<SH
id=\$(${pm[*]} run -d -p 127.0.0.1:$pport:80 busybox httpd -f -p 80) && ${pm[*]} rm -f -t 0 "\$id" >/dev/null
SH
hyperfine --warmup 2 --runs "$runs" --export-json "$work/p.json" \
  -n berth "bash $work/berth-p.sh" -n podman "bash $work/podman-p.sh" >/dev/null
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/b.json" \
  -n berth "$bin/berth run --rm --network bridge busybox true" \
  -n podman "${pm[*]} run --rm --network bridge busybox true" >/dev/null
# Two free /24s for the user networks: not on any route of the host.
read -r bnet pnet < <(python3 - <<'PY'
import ipaddress, subprocess
used = [ipaddress.ip_network(l.split()[0]) for l in subprocess.run(["ip", "-4", "route"], capture_output=True,
        text=True).stdout.splitlines() if l.split() and "/" in l.split()[0]]
free = [n for n in (ipaddress.ip_network(f"10.{a}.{b}.0/24") for a in range(240, 250) for b in range(250, 200, -1))
        if not any(n.overlaps(u) for u in used)]
print(free[0], free[1])
PY
)
"$bin/berth" network create --subnet "$bnet" benchdns >/dev/null
"${pm[@]}" network create --subnet "$pnet" benchdns >/dev/null
hyperfine -N --warmup 3 --runs "$runs" --export-json "$work/d.json" \
  -n berth "$bin/berth run --rm --network benchdns busybox true" \
  -n podman "${pm[*]} run --rm --network benchdns busybox true" >/dev/null
"$bin/berth" network rm benchdns >/dev/null
"${pm[@]}" network rm benchdns >/dev/null
python3 - "$work/p.json" "$work/b.json" "$work/d.json" <<'PY'
import json, sys
for path, what in ((sys.argv[1], "run -d -p … httpd; rm -f"), (sys.argv[2], "run --rm --network bridge true"),
                   (sys.argv[3], "run --rm --network USERNET true (DNS)")):
    r = {x["command"]: x["median"] * 1000 for x in json.load(open(path))["results"]}
    b, p = r["berth"], r["podman"]
    print(f"{what}: berth {b:.1f} ms, podman {p:.1f} ms, ratio {b/p:.2f}x (goal <= 0.40x)")
PY
