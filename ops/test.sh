#!/usr/bin/env bash
# The whole test suite: unit tests, the fuzz-style decoder tests, and the end-to-end tests that
# run the real binaries (which is why everything is built first).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
main_log="$(mktemp)"
heavy_log="$(mktemp)"
runtime_log="$(mktemp)"
cluster_log="$(mktemp)"
broadcast_log="$(mktemp)"
chaos_log="$(mktemp)"
trap 'rm -f "$main_log" "$heavy_log" "$runtime_log" "$cluster_log" "$broadcast_log" "$chaos_log"' EXIT
status=0
# Suites that load both cores run after the rest, so the other end-to-end tests keep their
# timing margins: headless Chromium, a pip install of the bot frameworks (the first run of a
# build directory), the install guide copying the binaries; then the cluster masters (on one
# machine, and on several hosts in network namespaces), whose self-fencing is timed against a
# 6 s lease and would fence a master starved by the rest, with the Sentinel failover (five
# Redis processes and a timed election); then the broadcasts (thousands of
# sends a test, one test at a time); and on its own, last, the chaos test (workers killed every
# second under traffic).
heavy='BotFrameworksEndToEndTests|DashboardEndToEndTests|InstallGuideEndToEndTests'
cluster='ClusterEndToEndTests|MultiHostEndToEndTests|SentinelEndToEndTests'
# The bot runtime's tests time quiet windows and retry delays in seconds; in the parallel phase
# a test process whose threads other tests hold in blocking calls looked too late (a 15 s
# window flushed before its first status poll), so they run on their own.
runtime='BotRuntimeEndToEndTests'
swift test --skip-build --skip ChaosEndToEndTests --skip BroadcastEndToEndTests --skip "$heavy" --skip "$cluster" --skip "$runtime" 2>&1 | tee "$main_log" || status=$?
swift test --skip-build --filter "$runtime" 2>&1 | tee "$runtime_log" || status=$?
swift test --skip-build --filter "$heavy" 2>&1 | tee "$heavy_log" || status=$?
swift test --skip-build --filter "$cluster" 2>&1 | tee "$cluster_log" || status=$?
swift test --skip-build --filter BroadcastEndToEndTests 2>&1 | tee "$broadcast_log" || status=$?
swift test --skip-build --filter ChaosEndToEndTests 2>&1 | tee "$chaos_log" || status=$?
# One plain summary line last: Swift Testing's own summary is followed by XCTest's
# "Executed 0 tests" (this suite has no XCTest cases), which reads like an empty run.
total=0
failed=0
for log in "$main_log" "$runtime_log" "$heavy_log" "$cluster_log" "$broadcast_log" "$chaos_log"; do
  count=$(sed -nE 's/.*Test run with ([0-9]+) tests? in .*/\1/p' "$log" | tail -n 1)
  if [ -z "$count" ]; then  # no summary at all: the runner crashed
    count=0
    [ "$status" -ne 0 ] || status=1
  fi
  total=$((total + count))
  failed=$((failed + $(grep -cE '^✘ Test [^r].* failed after' "$log" || true)))
done
echo "swift-testing: $((total - failed)) passed, ${failed} failed"
exit "$status"
