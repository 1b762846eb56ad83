#!/usr/bin/env bash
# The quick start: install what is missing, build in release mode, start the example fleet in
# workers/ with this directory as its home, and show its status.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

ops/install-deps.sh
swift build -c release --static-swift-stdlib
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"
"$bin/botmaster" start --home .
"$bin/botmaster" status --home .
echo
echo "botmaster is running in the background. Try:"
echo "  $bin/botmaster status        # the fleet"
echo "  $bin/botmaster logs echo -f  # one bot's log"
echo "  $bin/botmaster stop          # drain and stop everything"
