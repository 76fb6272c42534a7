#!/usr/bin/env bash
# Installs what berth builds and tests with, from Debian's packages (and pytest/docker-py from
# PyPI when the machine lacks them). Safe to run again: it only installs what is missing.
set -euo pipefail

PKGS=(libarchive-dev libsqlite3-dev pkg-config busybox-static skopeo umoci runc conmon
      containernetworking-plugins iptables docker-registry podman hyperfine sqlite3 curl zstd catatonit bc
      netavark aardvark-dns docker-compose openssl python3-cryptography chromium
      uidmap slirp4netns util-linux)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# podman on these hosts: its default ulimits cannot be raised (see shared BENCH.md).
if [ -d /etc/containers ] && ! grep -q '^default_ulimits' /etc/containers/containers.conf 2>/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    if grep -q '^\[containers\]' /etc/containers/containers.conf 2>/dev/null; then
      sed -i '/^\[containers\]/a default_ulimits = []' /etc/containers/containers.conf
    else
      printf '[containers]\ndefault_ulimits = []\n' >> /etc/containers/containers.conf
    fi
  fi
fi

python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest
python3 -c 'import docker' 2>/dev/null || python3 -m pip install -q docker
# Prometheus' own parser checks /metrics in the integration tests.
python3 -c 'import prometheus_client' 2>/dev/null || python3 -m pip install -q prometheus-client
# Kubernetes' own schemas check `kube generate` (1.37 among those it ships).
python3 -c 'import kubernetes_validate' 2>/dev/null || python3 -m pip install -q kubernetes-validate
command -v swift >/dev/null || { echo "swift is not installed (expected at /opt/swift)"; exit 1; }
