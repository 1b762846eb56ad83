#!/usr/bin/env bash
# Where a webhook update's CPU goes: one webhook bot (echo handler, quiet 0) under a master,
# `wrk` posting unique updates to the master for a few seconds, then waiting until every
# accepted update is answered; CPU time per answered update of the master, the worker and the
# Bot API stand-in (`botapi-sandbox`), read from /proc, and replies per second from the first
# request to the last reply (the time the sandbox recorded for it). Given several build
# directories it runs them interleaved (the order swapped every round), so two builds compare
# in the same run on a noisy machine.
#
#   ops/bench-webhook-cpu.sh [rounds (3)] [store: sqlite|memory (sqlite)] [build dir ...]
#   BOTS=100 ops/bench-webhook-cpu.sh ...   # the updates spread over 100 bots (the worker
#                                            # column is then the sum over their processes)
#
# Build dirs default to .build/release; each must hold botmaster and botworker, and may hold a
# botapi-sandbox of its own (else this checkout's runs, so only botmaster differs). Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/bench/interleave.sh
rounds="${1:-3}"
bots="${BOTS:-1}"
store="${2:-sqlite}"
shift $(( $# > 2 ? 2 : $# ))
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=("$PWD/.build/release")
sandbox_bin="$PWD/.build/release/botapi-sandbox"
command -v wrk >/dev/null || { echo "install wrk" >&2; exit 1; }
[ -x "$sandbox_bin" ] || { echo "build the release binaries first: swift build -c release --static-swift-stdlib" >&2; exit 1; }

work="$(mktemp -d /tmp/botmaster-webhook-cpu.XXXXXX)"
master_pid="" sandbox_pid=""
stop_all() {
  [ -n "$master_pid" ] && kill "$master_pid" 2>/dev/null && wait "$master_pid" 2>/dev/null || true
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null || true
  master_pid="" sandbox_pid=""
}
trap 'stop_all; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sent_total() { curl -s "http://127.0.0.1:$1/sandbox/bots" | python3 -c 'import json, sys; print(sum(b["sent_total"] for b in json.load(sys.stdin)))'; }
# When the last reply reached the sandbox, in seconds since the epoch (its record's `at_us`): the
# end of the run to the microsecond, where the polling below only knows it to half a second.
last_reply_at() {
  python3 - "$1" <<'PY'
import json, sys, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}/sandbox/bots"
last = 0
for bot in json.load(urllib.request.urlopen(base)):
    if bot["sent_total"]:
        records = json.load(urllib.request.urlopen(f"{base}/{bot['bot_id']}/sent?after={bot['sent_total'] - 1}"))
        last = max([last] + [record["at_us"] for record in records])
print(f"{last / 1e6:.6f}")
PY
}
# CPU ticks of the processes named, summed.
cpu_ticks() { local pid total=0; for pid in "$@"; do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done; echo "$total"; }

# One run of one build: prints "replies/s master_us worker_us sandbox_us".
run_once() {
  local build="$1" home="$work/home" api webhook status
  rm -rf "$home" && mkdir -p "$home/workers"
  api="$(free_port)" webhook="$(free_port)" status="$(free_port)"
  local sandbox="$sandbox_bin"
  [ -x "$build/botapi-sandbox" ] && sandbox="$build/botapi-sandbox"
  "$sandbox" --port "$api" > /dev/null 2>&1 &
  sandbox_pid=$!
  local index
  for index in $(seq 0 $((bots - 1))); do
    cat > "$home/workers/bot$index.toml" <<TOML
token_env = "BENCH_TOKEN"
mode = "webhook"
store = "$store"
api_base = "http://127.0.0.1:$api"
[env]
BENCH_TOKEN = "$((index + 1)):bench"
[batch]
quiet = "0s"
[rate]
per_second = 1000000
per_chat_per_second = 1000000
[handler]
concurrency = 64
[limits]
heartbeat_interval = "1s"
TOML
  done
  BOTMASTER_MAX_WORKERS="$bots" BOTMASTER_MAX_WORKERS_PER_CORE="$bots" STATUS_PORT="$status" WEBHOOK_SECRET=bench WEBHOOK_PORT="$webhook" WEBHOOK_BIND=127.0.0.1 \
    WEBHOOK_HOST="http://127.0.0.1:$webhook" "$build/botmaster" start --foreground --home "$home" > /dev/null 2>&1 &
  master_pid=$!
  # Ready once every bot takes webhooks (its heartbeat says so).
  local ready="" taking
  for _ in $(seq 1 300); do
    taking="$("$build/botmaster" status --json --home "$home" 2>/dev/null | grep -Ec '"source" *: *"webhook"' || true)"
    if [ "$taking" = "$bots" ]; then ready=1; break; fi
    sleep 0.1
  done
  if [ -z "$ready" ]; then
    echo "$build: not every bot took webhooks within 30 s; the logs:" >&2
    tail -n 20 "$home"/logs/*.log >&2 || true
    stop_all  # this runs in a subshell, whose processes the EXIT trap does not know
    exit 1
  fi
  local worker_pids
  worker_pids="$(pgrep -P "$master_pid" -x botworker | tr '\n' ' ')"
  cat > "$work/post.lua" <<'LUA'
local counter = tonumber(os.getenv("FIRST_UPDATE"))
local bots = tonumber(os.getenv("BOTS"))
request = function()
  counter = counter + 1
  local body = string.format('{"update_id":%d,"message":{"message_id":%d,"date":0,"chat":{"id":%d,"type":"private"},"text":"x"}}', counter, counter, 1 + counter % 997)
  return wrk.format("POST", "/webhook/bot" .. (counter % bots), {["Content-Type"] = "application/json", ["X-Telegram-Bot-Api-Secret-Token"] = "bench"}, body)
end
LUA
  local m0 w0 s0 sent0 started
  m0="$(cpu_ticks "$master_pid")" w0="$(cpu_ticks $worker_pids)" s0="$(cpu_ticks "$sandbox_pid")"
  sent0="$(sent_total "$api")" started="$(date +%s.%N)"
  FIRST_UPDATE=1000 BOTS="$bots" wrk -t1 -c64 -d5s -s "$work/post.lua" "http://127.0.0.1:$webhook" > /dev/null
  # Until the backlog is answered: the sent count stops moving.
  local previous=-1 sent ended
  while true; do
    sent="$(sent_total "$api")"
    [ "$sent" = "$previous" ] && break
    previous="$sent"
    sleep 0.5
  done
  local m1 w1 s1
  m1="$(cpu_ticks "$master_pid")" w1="$(cpu_ticks $worker_pids)" s1="$(cpu_ticks "$sandbox_pid")"
  ended="$(last_reply_at "$api")"
  stop_all
  python3 - "$((sent - sent0))" "$started" "$ended" "$((m1 - m0))" "$((w1 - w0))" "$((s1 - s0))" "$(getconf CLK_TCK)" <<'PY'
import sys
replies, started, ended = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
master, worker, sandbox, hz = (int(v) for v in sys.argv[4:8])
per = lambda ticks: ticks / hz / max(replies, 1) * 1e6
rate = replies / (ended - started) if ended > started else 0  # no reply at all: 0
print(f"{rate:.0f} {per(master):.0f} {per(worker):.0f} {per(sandbox):.0f}")
PY
}

declare -A results
interleave "$rounds" "replies/s, master / worker / sandbox µs per update:" run_once "${builds[@]}"
echo "Machine: $(nproc) cores, $(uname -sr); $(date -u +%F); $bots bot(s), store $store; $rounds rounds"
echo
echo "| build | replies/s | master µs/update | worker µs/update | sandbox µs/update |"
echo "| --- | --- | --- | --- | --- |"
for build in "${builds[@]}"; do
  echo "| $build | $(spread "${results[$build]}" 1) | $(spread "${results[$build]}" 2) | $(spread "${results[$build]}" 3) | $(spread "${results[$build]}" 4) |"
done
