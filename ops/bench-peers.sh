#!/usr/bin/env bash
# botworker beside aiogram 3 and python-telegram-bot: polling echo bots of each on the same
# botapi-sandbox and the same load — one bot, then 100 (a worker each under botmaster, one process
# of all of them for each peer) — interleaved over rounds, one table (docs/benchmarks.md).
#
#   ops/bench-peers.sh [botmaster-bench options, e.g. --peer-rounds 5 --peer-messages 20000
#                       --peer-fleet-bots 100 --peer-fleet-messages 200 --peer-fleet-chats 20]
#
# Installs the frameworks from PyPI into .build/bench-python (the versions the test suite pins,
# Tests/Fixtures/frameworks/requirements.txt) and builds the release binaries when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

requirements=Tests/Fixtures/frameworks/requirements.txt
venv=.build/bench-python
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --retries 10 -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi
[ -x .build/release/botmaster-bench ] || swift build -c release --static-swift-stdlib
exec .build/release/botmaster-bench --peers-only --peers-python "$venv/bin/python" --peers-scripts ops/bench/peers "$@"
