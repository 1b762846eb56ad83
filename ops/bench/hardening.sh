#!/usr/bin/env bash
# The hardening figures of docs/benchmarks.md: the master under a flood of idle webhook connections
# while a worker keeps crashing, and the master while a bot prints flat out.
#
#   swift build -c release --static-swift-stdlib && bash ops/bench/hardening.sh [CONNECTIONS] [SECONDS]
#
# Prints a Markdown table. Needs python3 and root (to raise the client's open-file limit).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/release}
CONNECTIONS=${1:-20000}
SECONDS_MEASURED=${2:-10}
HOME_DIR=$(mktemp -d /tmp/botmaster-hardening.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
WEBHOOK_PORT=$(free_port)
STATUS_PORT=$(free_port)
SANDBOX_PORT=$(free_port)
cleanup() {
    [[ -n "${MASTER:-}" ]] && kill "$MASTER" 2>/dev/null && wait "$MASTER" 2>/dev/null || true
    [[ -n "${SANDBOX:-}" ]] && kill "$SANDBOX" 2>/dev/null || true
    pkill -f "test_worker.py chatty" 2>/dev/null || true
    rm -rf "$HOME_DIR"
}
trap cleanup EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Master CPU over SECONDS_MEASURED seconds, in % of one core.
measure_cpu() {
    local before after
    before=$(cpu_ticks "$MASTER")
    sleep "$SECONDS_MEASURED"
    after=$(cpu_ticks "$MASTER")
    echo $(((after - before) * 100 / (SECONDS_MEASURED * $(getconf CLK_TCK))))
}
status_field() { curl -s "http://127.0.0.1:$STATUS_PORT/api/workers/status" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
health_ms() { curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$STATUS_PORT/health" | awk '{printf "%.0f", $1 * 1000}'; }

mkdir -p "$HOME_DIR/workers"
"$BIN/botapi-sandbox" --port "$SANDBOX_PORT" >/dev/null 2>&1 &
SANDBOX=$!
cat >"$HOME_DIR/workers/hook.toml" <<EOF
token_env = "HOOK_TOKEN"
mode = "webhook"
api_base = "http://127.0.0.1:$SANDBOX_PORT"
[limits]
heartbeat_interval = "1s"
EOF
cat >"$HOME_DIR/workers/crasher.toml" <<EOF
command = ["python3", "$PWD/Tests/Fixtures/test_worker.py", "crash"]
[limits]
restart_cooldown = "0s"
max_restarts_per_hour = 100000
EOF
HOOK_TOKEN=77:hardening WEBHOOK_SECRET=hardening WEBHOOK_PORT=$WEBHOOK_PORT WEBHOOK_HOST=http://127.0.0.1:$WEBHOOK_PORT \
    STATUS_PORT=$STATUS_PORT "$BIN/botmaster" start --foreground --home "$HOME_DIR" >/dev/null 2>&1 &
MASTER=$!
sleep 3

crasher_restarts() { status_field "[w['restarts'] for w in d['workers'] if w['id']=='crasher'][0]"; }
restarts_idle_start=$(crasher_restarts)
idle_cpu=$(measure_cpu)
restarts_idle=$(($(crasher_restarts) - restarts_idle_start))
fds_idle=$(ls "/proc/$MASTER/fd" | wc -l)

# The flood: CONNECTIONS idle connections from loopback addresses (250 per /24), held open by
# clients of at most 8,000 connections each (a process's open-file limit may be 20,000).
FLOODERS=()
for ((first = 0; first < CONNECTIONS; first += 8000)); do
    python3 - "$WEBHOOK_PORT" "$first" "$((first + 8000 < CONNECTIONS ? first + 8000 : CONNECTIONS))" "$SECONDS_MEASURED" <<'EOF' &
import resource, socket, sys, time
port, first, last, seconds = (int(value) for value in sys.argv[1:])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for i in range(first, last):
    s = socket.socket()
    s.setblocking(False)
    s.bind((f"127.0.{1 + i // 250 % 200}.{2 + i % 250}", 0))
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    held.append(s)
time.sleep(seconds * 2 + 10)
EOF
    FLOODERS+=($!)
done
sleep 5
open_conns=$(curl -s "http://127.0.0.1:$STATUS_PORT/api/webhook/stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['connections']['open'])")
fds_flood=$(ls "/proc/$MASTER/fd" | wc -l)
restarts_before=$(crasher_restarts)
flood_cpu=$(measure_cpu)
restarts_after=$(crasher_restarts)
health_flood=$(health_ms)
kill "${FLOODERS[@]}" 2>/dev/null || true
wait "${FLOODERS[@]}" 2>/dev/null || true

# One bot printing flat out (default log_rate 1MB/s).
cat >"$HOME_DIR/workers/chatty.toml" <<EOF
command = ["python3", "$PWD/Tests/Fixtures/test_worker.py", "chatty"]
[limits]
heartbeat_interval = "1s"
EOF
rm -f "$HOME_DIR/workers/crasher.toml"
"$BIN/botmaster" reload --home "$HOME_DIR" >/dev/null
sleep 2
log_before=$(du -sb "$HOME_DIR/logs" | cut -f1)
chatty_cpu=$(measure_cpu)
log_after=$(du -sb "$HOME_DIR/logs" | cut -f1)

echo "| measurement ($(date -u +%F), $(nproc) cores, release build) | value |"
echo "| --- | --- |"
echo "| master CPU, idle fleet | ${idle_cpu} % of a core |"
echo "| idle connections offered / held by the master 5 s in (cap 1024; the idle timeout closes each after 15 s) | $CONNECTIONS / $open_conns |"
echo "| master descriptors idle → under the flood | $fds_idle → $fds_flood |"
echo "| master CPU under the flood | ${flood_cpu} % of a core |"
echo "| restarts of a worker that crashes at once, ${SECONDS_MEASURED}s idle / ${SECONDS_MEASURED}s under the flood | $restarts_idle / $((restarts_after - restarts_before)) |"
echo "| \`/health\` under the flood | ${health_flood} ms |"
echo "| master CPU while one bot prints flat out | ${chatty_cpu} % of a core |"
echo "| its log grew | $(((log_after - log_before) / 1024 / SECONDS_MEASURED)) KB/s (log_rate 1MB/s + timestamps) |"
