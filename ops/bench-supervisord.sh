#!/usr/bin/env bash
# botmaster beside supervisord: the same fleet of tiny C programs (a process that waits for a
# signal) under each, interleaved over rounds, one table of medians (min–max) and ratios
# (docs/benchmarks.md). Both count a program as running once it has been up for 1 s
# (supervisord's startsecs default, botmaster's plain-process grace).
#
#   ops/bench-supervisord.sh [programs (1000)] [rounds (3)]
#
# Installs Debian's supervisor package when missing and builds the release binaries when
# missing. Needs about 3 GB of free memory for 1000 programs under each.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
programs="${1:-1000}"
rounds="${2:-3}"

if ! command -v supervisord >/dev/null; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq supervisor
  # The package starts its own daemon; it is not the one measured.
  $sudo_cmd systemctl stop supervisor 2>/dev/null || true
fi
[ -x .build/release/botmaster ] || swift build -c release --static-swift-stdlib
botmaster="$PWD/.build/release/botmaster"
ulimit -n "$(ulimit -Hn)"  # supervisord holds three descriptors per program

work="$(mktemp -d /tmp/botmaster-vs-supervisord.XXXXXX)"
trap 'pkill -f "supervisord -c $work" 2>/dev/null || true; rm -rf "$work"' EXIT
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' > "$work/tiny.c"
gcc -O2 -o "$work/tiny" "$work/tiny.c"

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

# Polls a status command every 0.25 s until it reports $programs running; prints the seconds.
wait_all_running() {
  local started="$1"
  shift
  local deadline=$(( $(date +%s) + 300 ))
  while true; do
    local running
    running="$("$@" 2>/dev/null || true)"
    [ "$running" -ge "$programs" ] 2>/dev/null && { elapsed "$started"; return; }
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timed out: $running of $programs running" >&2; exit 1; }
    sleep 0.25
  done
}

supervisord_round() {
  local dir="$work/supervisord" conf="$work/supervisord/supervisord.conf"
  rm -rf "$dir" && mkdir -p "$dir/logs"
  {
    printf '[unix_http_server]\nfile=%s/supervisor.sock\n\n' "$dir"
    printf '[supervisord]\nlogfile=%s/supervisord.log\npidfile=%s/supervisord.pid\nchildlogdir=%s/logs\nminfds=4096\n\n' "$dir" "$dir" "$dir"
    printf '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n'
    printf '[supervisorctl]\nserverurl=unix://%s/supervisor.sock\n\n' "$dir"
    for i in $(seq 1 "$programs"); do printf '[program:p%d]\ncommand=%s/tiny\n\n' "$i" "$work"; done
  } > "$conf"
  local started
  started="$(now)"
  supervisord -c "$conf"
  start_s="$(wait_all_running "$started" sh -c "supervisorctl -c '$conf' status | grep -c RUNNING")"
  started="$(now)"
  supervisorctl -c "$conf" status > /dev/null || true
  status_s="$(elapsed "$started")"
  started="$(now)"
  supervisorctl -c "$conf" stop all > /dev/null
  stop_s="$(elapsed "$started")"
  supervisorctl -c "$conf" shutdown > /dev/null || true
  while pgrep -f "supervisord -c $conf" > /dev/null; do sleep 0.1; done
}

botmaster_round() {
  local home="$work/botmaster"
  rm -rf "$home" && mkdir -p "$home/workers"
  for i in $(seq 1 "$programs"); do
    printf 'protocol = "none"\ncommand = ["%s/tiny"]\n' "$work" > "$home/workers/p$i.toml"
  done
  export BOTMASTER_MAX_WORKERS="$programs" BOTMASTER_MAX_WORKERS_PER_CORE="$programs" STATUS_PORT=$(( 20000 + RANDOM % 20000 ))
  local started
  started="$(now)"
  "$botmaster" start --home "$home" > /dev/null
  start_s="$(wait_all_running "$started" sh -c "'$botmaster' status --json --home '$home' | python3 -c 'import json, sys; print(sum(w[\"state\"] == \"running\" for w in json.load(sys.stdin)[\"workers\"]))'")"
  started="$(now)"
  "$botmaster" status --home "$home" > /dev/null
  status_s="$(elapsed "$started")"
  started="$(now)"
  "$botmaster" stop --home "$home" > /dev/null
  stop_s="$(elapsed "$started")"
}

declare -A results
for round in $(seq 1 "$rounds"); do
  # The order swaps every round: neither always runs first on a machine whose load drifts.
  order=(supervisord botmaster)
  [ $((round % 2)) -eq 0 ] && order=(botmaster supervisord)
  for system in "${order[@]}"; do
    "${system}_round"
    results[$system.start]+="$start_s "
    results[$system.status]+="$status_s "
    results[$system.stop]+="$stop_s "
    echo "round $round $system: all running ${start_s}s, status ${status_s}s, stop all ${stop_s}s" >&2
  done
done

# "median (min–max)" of a list of seconds.
spread() { printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f s (%.2f–%.2f)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
median() { printf '%s\n' $1 | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); $(date -u +%F); supervisord $(supervisord --version)"
echo
echo "| $programs tiny C programs, $rounds rounds interleaved | supervisord | botmaster | supervisord ÷ botmaster (median) |"
echo "| --- | --- | --- | --- |"
for metric in start status stop; do
  case $metric in
    start) label="start → every program running (1 s start grace each)" ;;
    status) label="one status command" ;;
    stop) label="stop every program" ;;
  esac
  ratio="$(printf '%.2f' "$(echo "scale=4; $(median "${results[supervisord.$metric]}") / $(median "${results[botmaster.$metric]}")" | bc)")"
  echo "| $label | $(spread "${results[supervisord.$metric]}") | $(spread "${results[botmaster.$metric]}") | ${ratio}× |"
done
