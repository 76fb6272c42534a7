# Sourced: `registry_start DIR [PORT]` runs Debian's docker-registry on 127.0.0.1 with its
# storage in DIR — on PORT when it is free, else on a free port — sets reg_port and reg_pid,
# and waits until it answers. The caller stops it by pid (`kill "$reg_pid"`).
registry_start() {
  local dir=$1 want=${2:-0}
  reg_port=$(python3 -c '
import socket, sys
s = socket.socket()
# As the registry binds it (Go sets SO_REUSEADDR): a port left in TIME_WAIT by the last demo is free.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' "$want")
  mkdir -p "$dir/storage"
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$dir/storage" "$reg_port" >"$dir/registry.yml"
  docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
  reg_pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$reg_port/v2/" >/dev/null && return 0; sleep 0.05; done
  echo "docker-registry did not start: $(cat "$dir/registry.log")" >&2
  return 1
}
