#!/usr/bin/env bash
# Real clients against the native server: redis-py (RESP3 and RESP2) through the stream
# flows of the source documents, and redis-cli processes blocking and waking each other.
# Assumes scripts/install-tools.sh ran (redis-cli, redis-py) and `cargo test` built the
# server. Prints "N passed" / "M failed" lines for the summary of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

target=${CARGO_TARGET_DIR:-target}
cargo build --locked -q -p redis-emulator-server
server="$target/debug/redis-emulator-server"

log=$(mktemp)
"$server" --bind 127.0.0.1 --port 0 > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
addr=""
for _ in $(seq 100); do
  addr=$(sed -n 's/.*Ready to accept connections tcp on \(.*\)$/\1/p' "$log" | head -n 1)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "the server did not start:"; cat "$log"; exit 1; }
port=${addr##*:}
passed=0
failed=0
ok() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAILED: $1"; failed=$((failed + 1)); }

# 1. redis-py.
if python3 crates/server/tests/clients/redis_py_streams.py "$addr"; then ok "redis-py stream flows"; else fail "redis-py stream flows"; fi

if python3 crates/server/tests/clients/redis_py_pubsub.py "$addr"; then ok "redis-py pub/sub flows"; else fail "redis-py pub/sub flows"; fi

# 2. redis-cli: one process blocks in XREAD BLOCK 0, another's XADD wakes it; what the
#    first prints (raw mode: not a terminal) is what redis-cli prints against Redis 7.0.
cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
cli FLUSHALL > /dev/null
out=$(mktemp)
cli XREAD BLOCK 0 STREAMS s '$' > "$out" &
reader=$!
sleep 0.3
cli XADD s 1-1 item book > /dev/null
if wait "$reader" && [ "$(cat "$out")" = "$(printf 's\n1-1\nitem\nbook')" ]; then
  ok "redis-cli XREAD BLOCK woken by another redis-cli"
else
  fail "redis-cli XREAD BLOCK woken by another redis-cli: got $(cat "$out")"
fi
cli XGROUP CREATE s g '$' > /dev/null
cli XREADGROUP GROUP g alice BLOCK 100 STREAMS s '>' > "$out"
if [ "$(cat "$out")" = "" ]; then ok "redis-cli XREADGROUP BLOCK timeout"; else fail "redis-cli XREADGROUP BLOCK timeout: got $(cat "$out")"; fi
printf 'MULTI\nXADD s 2-0 a 1\nXLEN s\nEXEC\n' | cli > "$out"
if [ "$(cat "$out")" = "$(printf 'OK\nQUEUED\nQUEUED\n2-0\n2')" ]; then ok "redis-cli MULTI/EXEC"; else fail "redis-cli MULTI/EXEC: got $(cat "$out")"; fi
# redis-cli SUBSCRIBE (raw mode: not a terminal) prints each frame as it arrives; it
# never exits by itself, so `timeout` stops it as Ctrl+C would.
timeout 1.5 redis-cli -h 127.0.0.1 -p "$port" SUBSCRIBE "holberton school channel" > "$out" 2>&1 &
subscriber=$!
sleep 0.4
cli PUBLISH "holberton school channel" "Holberton Student #1 starts course" > /dev/null
cli PUBLISH "holberton school channel" KILL_SERVER > /dev/null
wait "$subscriber" || true
want=$(printf 'subscribe\nholberton school channel\n1\nmessage\nholberton school channel\nHolberton Student #1 starts course\nmessage\nholberton school channel\nKILL_SERVER')
if [ "$(cat "$out")" = "$want" ]; then ok "redis-cli SUBSCRIBE receives another redis-cli's PUBLISH"; else fail "redis-cli SUBSCRIBE: got $(cat "$out")"; fi
rm -f "$out"

echo "clients: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
