#!/usr/bin/env bash
# The master's CPU with an idle fleet: N reference workers (protocol only, no bot) beating every
# second — 45 times the default interval, so the figure is for a busy protocol — measured from
# /proc over a window after the fleet has settled, as a percentage of one core. Given several
# build directories it runs them interleaved (the order swapped every round), so two builds
# compare in the same run on a noisy machine.
#
#   ops/bench-idle-master.sh [rounds (3)] [workers (1000)] [seconds (40)] [build dir ...]
#
# Build dirs default to .build/release; each must hold botmaster and botworker. HEARTBEAT=45s
# measures the default interval instead; extra master settings pass through the environment
# (for example BOTMASTER_MEMORY_CHECK_INTERVAL=10s).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/bench/interleave.sh
rounds="${1:-3}"
workers="${2:-1000}"
seconds="${3:-40}"
heartbeat="${HEARTBEAT:-1s}"
shift $(( $# > 3 ? 3 : $# ))
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=("$PWD/.build/release")
for build in "${builds[@]}"; do
  [ -x "$build/botmaster" ] || { echo "no $build/botmaster: swift build -c release --static-swift-stdlib" >&2; exit 1; }
done

work="$(mktemp -d /tmp/botmaster-idle.XXXXXX)"
master_pid=""
stop_master() {
  [ -n "$master_pid" ] && kill "$master_pid" 2>/dev/null && wait "$master_pid" 2>/dev/null || true
  master_pid=""
}
trap 'stop_master; rm -rf "$work"' EXIT

mkdir -p "$work/workers"
for i in $(seq 0 $((workers - 1))); do
  printf '[limits]\nheartbeat_interval = "%s"\n' "$heartbeat" > "$work/workers/bot$i.toml"
done
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# One run of one build: prints the master's CPU as a percentage of one core.
run_once() {
  local build="$1" home="$work/home"
  rm -rf "$home" && mkdir -p "$home" && cp -r "$work/workers" "$home/"
  BOTMASTER_MAX_WORKERS="$workers" BOTMASTER_MAX_WORKERS_PER_CORE="$workers" STATUS_PORT="$(free_port)" \
    "$build/botmaster" start --foreground --home "$home" > /dev/null 2>&1 &
  master_pid=$!
  local running="" status
  for _ in $(seq 1 600); do
    # Read whole first: with pipefail, a reader that stops early fails the pipeline.
    status="$("$build/botmaster" status --home "$home" 2>/dev/null || true)"
    if grep -q " $workers/$workers running" <<< "${status%%$'\n'*}"; then running=1; break; fi
    sleep 0.1
  done
  if [ -z "$running" ]; then
    echo "$build: the fleet was not running within 60 s; see its master log:" >&2
    tail -n 20 "$home/logs/master.log" >&2 || true
    stop_master  # this runs in a subshell, whose master the EXIT trap does not know
    exit 1
  fi
  # Settled: the start's one-off work (metrics registration, first samples) is over.
  sleep 15
  local before after started ended
  before="$(cpu_ticks "$master_pid")" started="$(date +%s.%N)"
  sleep "$seconds"
  after="$(cpu_ticks "$master_pid")" ended="$(date +%s.%N)"
  stop_master
  python3 -c "import sys; print(f'{($after - $before) / $(getconf CLK_TCK) / ($ended - $started) * 100:.2f}')"
}

declare -A results
interleave "$rounds" "master CPU, % of one core:" run_once "${builds[@]}"

echo "Machine: $(nproc) cores, $(uname -sr); $(date -u +%F); $workers workers, heartbeats every $heartbeat, $seconds s windows, $rounds rounds"
echo
echo "| build | master CPU, % of one core: median (min–max) |"
echo "| --- | --- |"
for build in "${builds[@]}"; do
  echo "| $build | $(spread "${results[$build]}" 1) |"
done
