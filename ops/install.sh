#!/usr/bin/env bash
# Installs botmaster as a systemd service on a Debian server (run as root), as docs/install.md
# explains step by step:
#   binaries and man page in /usr/local, a `botmaster` system user, its home /srv/botmaster,
#   /etc/botmaster.env (kept when it exists: it holds your tokens), the hardened unit and the
#   logrotate rule; then the unit is enabled (started by you once a bot is defined).
#
# Usage: ops/install.sh [--root DIR] [--bin DIR]
#   --root DIR  install into DIR as if it were / (an image, a container's root, the test suite);
#               the user goes into DIR/etc/passwd and nothing is started
#   --bin DIR   take botmaster and botworker from DIR instead of building them (release,
#               static Swift runtime)
set -euo pipefail

root=""
bin=""
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2%/}"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root (it creates a user and writes /etc)" >&2; exit 1; }
repo=$(cd "$(dirname "$0")/.." && pwd)
home=/srv/botmaster

echo "1. binaries and man page in $root/usr/local"
if [ -z "$bin" ]; then
  "$repo/ops/install-deps.sh"
  swift=$(command -v swift || echo /opt/swift/usr/bin/swift)
  (cd "$repo" && "$swift" build -c release --static-swift-stdlib)
  bin=$(cd "$repo" && "$swift" build -c release --static-swift-stdlib --show-bin-path)
fi
install -d "$root/usr/local/bin" "$root/usr/local/share/man/man1"
install -m 755 "$bin/botmaster" "$bin/botworker" "$root/usr/local/bin/"
install -m 644 "$repo/docs/man/botmaster.1" "$root/usr/local/share/man/man1/"

echo "2. the botmaster system user (no shell) and its home $root$home"
if [ -n "$root" ]; then
  # useradd --prefix edits DIR/etc's files, which must exist.
  install -d "$root/etc"
  for file in passwd group; do [ -e "$root/etc/$file" ] || install -m 644 /dev/null "$root/etc/$file"; done
  for file in shadow gshadow; do [ -e "$root/etc/$file" ] || install -m 640 /dev/null "$root/etc/$file"; done
fi
if ! grep -q '^botmaster:' "$root/etc/passwd"; then
  useradd ${root:+--prefix "$root"} --system --user-group --home-dir "$home" --shell /usr/sbin/nologin botmaster
fi
# Numbers, not names: under --root the host does not know the user.
uid=$(awk -F: '$1 == "botmaster" { print $3 }' "$root/etc/passwd")
gid=$(awk -F: '$1 == "botmaster" { print $4 }' "$root/etc/passwd")
# logs/ and run/ are made by the master.
install -d -o "$uid" -g "$gid" -m 0750 "$root$home" "$root$home/workers"

echo "3. the environment $root/etc/botmaster.env, readable by root and the unit only"
if [ -e "$root/etc/botmaster.env" ]; then
  echo "   kept as it is (it may hold tokens); the shipped one is ops/systemd/botmaster.env"
else
  install -m 0640 -o 0 -g "$gid" "$repo/ops/systemd/botmaster.env" "$root/etc/botmaster.env"
fi

echo "4. the unit and the logrotate rule"
install -D -m 644 "$repo/ops/systemd/botmaster.service" "$root/etc/systemd/system/botmaster.service"
install -D -m 644 "$repo/ops/logrotate/botmaster" "$root/etc/logrotate.d/botmaster"

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable botmaster
  echo "5. enabled; define a bot (docs/install.md step 5), then: systemctl start botmaster"
else
  echo "5. not started (no running systemd here, or --root): systemctl enable --now botmaster on the server"
fi
