#!/usr/bin/env bash
# The chaos test at soak scale: 10 bots × 10,000 messages each (CHAOS_BOTS, CHAOS_MESSAGES to
# change), for SQLite and Redis, polling and webhook; a random worker killed with SIGKILL every
# second and the master once. Prints one line per run: messages, kills, lost, answered twice,
# and how many of those a kill's in-flight window explains. Takes several minutes per run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
export CHAOS_BOTS="${CHAOS_BOTS:-10}" CHAOS_MESSAGES="${CHAOS_MESSAGES:-10000}"
swift build --build-tests >/dev/null
swift test --skip-build --filter ChaosEndToEndTests 2>&1 | grep --line-buffered -E '^chaos:|✘|Test run with'
