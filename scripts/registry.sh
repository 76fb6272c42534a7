# Sourced: `registry_start DIR` runs Debian's docker-registry on a free port of 127.0.0.1 with
# its storage in DIR, sets reg_port and reg_pid, and waits until it answers. The caller stops
# it by pid (`kill "$reg_pid"`).
registry_start() {
  local dir=$1
  reg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$dir/storage"
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$dir/storage" "$reg_port" >"$dir/registry.yml"
  docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
  reg_pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$reg_port/v2/" >/dev/null && return 0; sleep 0.05; done
  echo "docker-registry did not start: $(cat "$dir/registry.log")" >&2
  return 1
}
