#!/usr/bin/env bash
# The Lua VM's micro benchmarks next to redis-server 7.0 (PUC Lua 5.1 in C) running the same
# scripts with EVAL. Starts its own redis-server on a free loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --busy-reply-threshold 60000 >/dev/null &
pid=$!
trap 'kill $pid; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
bench() {
  local name=$1 script=$2 best=999999
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s%N)
    redis-cli -p "$port" EVAL "$script" 0 >/dev/null
    t1=$(date +%s%N)
    local ms=$(( (t1 - t0) / 1000000 ))
    (( ms < best )) && best=$ms
  done
  printf '%-28s %8d ms (redis-server, includes one round trip)\n' "$name" "$best"
}
bench "numeric loop 1e7" "local x = 0 for i = 1, 10000000 do x = x + i end return x"
bench "table loop 1e6" "local t = {} for i = 1, 1000000 do t[i] = i end local s = 0 for i = 1, #t do s = s + t[i] end local h = {} for i = 1, 200000 do h['k' .. (i % 1000)] = i end return s"
bench "function calls 1e6" "local function f(a, b) return a + b end local x = 0 for i = 1, 1000000 do x = f(x, i) end return x"
bench "closures and fields 1e6" "local o = {n = 0} function o:inc(k) self.n = self.n + k end for i = 1, 1000000 do o:inc(1) end return o.n"
cargo run -q -p lua51 --release --example bench
