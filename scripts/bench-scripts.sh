#!/usr/bin/env bash
# Lua scripts on the emulator's native server against a real redis-server, same run:
#  - EVAL of the first source document's producer script (SRANDMEMBER twice, XADD) with
#    redis-benchmark (requests per second, -c 1 and -c 50);
#  - a 100k-iteration `redis.call('INCR')` loop and a 10M-iteration arithmetic loop, timed
#    with redis-cli (median of ROUNDS runs, milliseconds, one round trip included).
# Prints a Markdown table and saves it to bench/scripts.md.
#
#   bash scripts/bench-scripts.sh           # ROUNDS=5 REQUESTS=20000
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
ROUNDS=${ROUNDS:-5}
REQUESTS=${REQUESTS:-20000}
log() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools >/dev/null
fi
log "building the native server (release)"
cargo build --release --locked -q -p redis-emulator-server
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
EMU_PORT=$(free_port); REDIS_PORT=$(free_port)
tmp=$(mktemp -d)
./target/release/redis-emulator-server --port "$EMU_PORT" > "$tmp/emu.log" 2>&1 &
EMU_PID=$!
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" > "$tmp/redis.log" 2>&1 &
REDIS_PID=$!
trap 'kill $EMU_PID $REDIS_PID 2>/dev/null; rm -rf "$tmp"' EXIT
for p in "$EMU_PORT" "$REDIS_PORT"; do
  for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.05; done
done

PRODUCER="local id = redis.call('SRANDMEMBER','ids'..KEYS[1]) local date = redis.call('SRANDMEMBER','dates'..KEYS[1]) redis.call('XADD','X:requests'..KEYS[1],'*','empid',id,'startDate',date, 'numDays',(id%5))"
INCR_LOOP="for i = 1, 100000 do redis.call('INCR', 'counter') end return redis.call('GET', 'counter')"
ARITH_LOOP="local x = 0 for i = 1, 10000000 do x = x + i end return tostring(x)"

setup() {
  redis-cli -p "$1" FLUSHALL >/dev/null
  redis-cli -p "$1" SADD 'dates{ot11}' 2022-12-24 2022-12-25 2022-12-26 2022-12-27 2022-12-28 2022-12-29 2022-12-30 2022-12-31 >/dev/null
  redis-cli -p "$1" SADD 'ids{ot11}' $(seq 1 20) >/dev/null
}
rps() { # port clients
  setup "$1"
  redis-benchmark -p "$1" -c "$2" -n "$REQUESTS" -q EVAL "$PRODUCER" 1 '{ot11}' | tr '\r' '\n' | grep -oE '[0-9.]+ requests per second' | tail -1 | cut -d' ' -f1
}
ms() { # port script
  local best=() t0 t1
  for _ in $(seq "$ROUNDS"); do
    redis-cli -p "$1" DEL counter >/dev/null
    t0=$(date +%s%N); redis-cli -p "$1" EVAL "$2" 0 >/dev/null; t1=$(date +%s%N)
    best+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${best[@]}" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p"
}

out="bench/scripts.md"
{
  echo "| script | redis-server 7.0 | emulator | emulator / redis |"
  echo "|---|---|---|---|"
  for c in 1 50; do
    log "producer script, -c $c"
    r=$(rps "$REDIS_PORT" "$c"); e=$(rps "$EMU_PORT" "$c")
    echo "| seed 000 producer EVAL, -c $c (requests/s) | $r | $e | $(python3 -c "print(f'{$e/$r:.2f}')") |"
  done
  for name in INCR_LOOP ARITH_LOOP; do
    log "$name"
    r=$(ms "$REDIS_PORT" "${!name}"); e=$(ms "$EMU_PORT" "${!name}")
    label=$([ "$name" = INCR_LOOP ] && echo "100k redis.call('INCR') loop (ms)" || echo "10M-iteration arithmetic loop (ms)")
    echo "| $label | $r | $e | $(python3 -c "print(f'{$e/max($r,1):.2f}')") |"
  done
} | tee "$out"
