#!/usr/bin/env bash
# The quick start: install what is missing, build in release mode, start the local Bot API
# sandbox and the example fleet in workers/ with this directory as its home, and show its status.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

ops/install-deps.sh
swift build -c release --static-swift-stdlib
bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"
mkdir -p logs
if ! curl -fsS http://127.0.0.1:8081/sandbox/bots > /dev/null 2>&1; then
    nohup "$bin/botapi-sandbox" --port 8081 >> logs/sandbox.log 2>&1 &
    for _ in $(seq 50); do curl -fsS http://127.0.0.1:8081/sandbox/bots > /dev/null 2>&1 && break; sleep 0.1; done
fi
"$bin/botmaster" start --home .
"$bin/botmaster" status --home .
echo
echo "botmaster and the Bot API sandbox (http://127.0.0.1:8081) are running in the background. Try:"
echo "  curl -d '{\"chat_id\": 42, \"text\": \"hello\"}' http://127.0.0.1:8081/sandbox/bots/1001/messages"
echo "  sleep 3; curl http://127.0.0.1:8081/sandbox/bots/1001/sent   # the echo bot's reply"
echo "  $bin/botmaster status        # the fleet"
echo "  $bin/botmaster logs echo -f  # one bot's log"
echo "  $bin/botmaster stop          # drain and stop every bot"
echo "  pkill -f botapi-sandbox       # stop the sandbox"
