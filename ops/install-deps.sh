#!/usr/bin/env bash
# Installs the Debian packages botmaster builds, tests and runs with, when any is missing.
# Swift itself is expected at /opt/swift or on PATH (swift.org toolchain).
set -euo pipefail

packages=(pkg-config libsystemd-dev libhiredis-dev libsqlite3-dev zlib1g-dev redis-server python3 python3-venv procps chromium wrk curl openssl systemd prometheus iproute2)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || [ -x /opt/swift/usr/bin/swift ] || {
  echo "swift is not installed: get a Swift 6 toolchain from swift.org" >&2
  exit 1
}
