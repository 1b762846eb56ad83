#!/usr/bin/env bash
# The whole test suite: unit tests, the fuzz-style decoder tests, and the end-to-end tests that
# run the real binaries (which is why everything is built first).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
swift test --skip-build 2>&1 | tee "$log" || status=$?
# One plain summary line last: Swift Testing's own summary is followed by XCTest's
# "Executed 0 tests" (this suite has no XCTest cases), which reads like an empty run.
total=$(sed -nE 's/.*Test run with ([0-9]+) tests? in .*/\1/p' "$log" | tail -n 1)
failed=$(grep -cE '^✘ Test [^r].* failed after' "$log" || true)
if [ -z "$total" ]; then  # no summary at all: the runner crashed
  total=0
  [ "$status" -ne 0 ] || status=1
fi
echo "swift-testing: $((total - failed)) passed, ${failed} failed"
exit "$status"
