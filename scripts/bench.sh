#!/usr/bin/env bash
# Benchmarks the emulator's native server against a real redis-server on this machine,
# in the same run, with redis-benchmark: strings (SET, GET, INCR, MSET) and the collection
# rows (LPUSH, RPUSH, LPOP, RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN, LRANGE_100), without
# pipelining (-P 1) and with 16 requests per pipeline (-P 16). Prints a Markdown table and
# saves it to bench/results.md. TESTS="set get" picks rows.
#
# Both servers run on free loopback ports and are stopped on exit. Each measurement is
# repeated ROUNDS times, alternating servers, and medians are reported: on a small
# machine the benchmark client shares the CPU with the server, so single runs are noisy.
# PIN=0 turns off pinning servers and client to separate CPUs.
#
#   bash scripts/bench.sh                 # ROUNDS=5 REQUESTS=200000
#   ROUNDS=3 REQUESTS=100000 PIN=0 bash scripts/bench.sh
#   TESTS="lpush lrange_100" bash scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

ROUNDS=${ROUNDS:-5}
REQUESTS=${REQUESTS:-200000}
# (redis-benchmark fills the list itself before it measures LRANGE_100.)
read -r -a TESTS <<< "${TESTS:-set get incr mset lpush rpush lrange_100 lpop rpop sadd hset spop zadd zpopmin}"
PIPELINES=(1 16)

log() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }

# 1. Tools: redis-server and redis-benchmark from Debian's packages, if missing.
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  log "installing redis-server and redis-tools"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools >/dev/null
fi

# 2. The emulator's server, optimised.
log "cargo build --release -p redis-emulator-server"
cargo build --release -p redis-emulator-server
target_dir=${CARGO_TARGET_DIR:-target}
emulator_bin="$target_dir/release/redis-emulator-server"

# 3. Two free loopback ports.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if port_free "$p" && [ "$p" != "${1:-}" ]; then echo "$p"; return 0; fi
  done
  echo "no free port found" >&2; return 1
}
redis_port=$(pick_port)
emulator_port=$(pick_port "$redis_port")

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# On a machine with 2+ CPUs, servers run on CPU 1 and the benchmark client on CPU 0, so
# the two don't fight for one core and both servers get the same conditions.
server_cpu=(); client_cpu=()
if [ "${PIN:-1}" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(taskset -c 1); client_cpu=(taskset -c 0)
fi

log "redis-server on 127.0.0.1:$redis_port, emulator on 127.0.0.1:$emulator_port"
"${server_cpu[@]}" redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --daemonize no \
  --logfile /dev/null &
pids+=($!)
"${server_cpu[@]}" "$emulator_bin" --bind 127.0.0.1 --port "$emulator_port" >/dev/null &
pids+=($!)

wait_ready() {
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$1" ping 2>/dev/null)" = "PONG" ] && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2; return 1
}
wait_ready "$redis_port"
wait_ready "$emulator_port"

# 4. Measurements. Each (test, pipeline) runs once per server per round, back to back,
# with the order swapped every round; the ratio is taken per pair and the median of
# the pairs reported, so load from other processes hits both sides alike.
declare -A samples ratios
run_one() { # port pipeline test -> requests per second
  "${client_cpu[@]}" redis-benchmark -h 127.0.0.1 -p "$1" -t "$3" -n "$REQUESTS" -P "$2" --csv 2>/dev/null |
    awk -F'","' 'NR > 1 { print $2; exit }'
}
for round in $(seq 1 "$ROUNDS"); do
  order=(redis emulator); [ $((round % 2)) -eq 0 ] && order=(emulator redis)
  log "round $round/$ROUNDS"
  for pipeline in "${PIPELINES[@]}"; do
    for t in "${TESTS[@]}"; do
      declare -A got=()
      for server in "${order[@]}"; do
        port=$redis_port; [ "$server" = emulator ] && port=$emulator_port
        got[$server]=$(run_one "$port" "$pipeline" "$t")
        samples["$server|$pipeline|$t"]+="${got[$server]} "
      done
      ratios["$pipeline|$t"]+="$(awk -v r="${got[redis]}" -v e="${got[emulator]}" 'BEGIN { if (r > 0) print e / r; else print 0 }') "
    done
  done
  redis-cli -p "$redis_port" flushall >/dev/null
  redis-cli -p "$emulator_port" flushall >/dev/null
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# 5. The table.
table="| test | pipeline | redis-server ops/s | emulator ops/s | ratio |
| --- | ---: | ---: | ---: | ---: |"
worst=""
for pipeline in "${PIPELINES[@]}"; do
  for t in "${TESTS[@]}"; do
    name=$(echo "$t" | tr '[:lower:]' '[:upper:]')
    r=$(echo "${samples["redis|$pipeline|$t"]:-}" | median)
    e=$(echo "${samples["emulator|$pipeline|$t"]:-}" | median)
    ratio=$(echo "${ratios["$pipeline|$t"]:-}" | median | awk '{ printf "%.2f", $1 }')
    table+=$'\n'"| $name | $pipeline | $(printf '%.0f' "$r") | $(printf '%.0f' "$e") | $ratio |"
    worst=$(awk -v w="$worst" -v x="$ratio" 'BEGIN { if (w == "" || x + 0 < w + 0) print x; else print w }')
  done
done

redis_version=$(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/')
cpus=$(nproc)
cpu_model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
mkdir -p bench
{
  echo "# Benchmark: emulator server vs redis-server"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`scripts/bench.sh\` on $cpus CPU(s) ($cpu_model):"
  echo "redis-server $redis_version (\`--save '' --appendonly no\`) and the emulator's"
  echo "\`redis-emulator-server\` (release build), both on loopback, measured in the same run with"
  echo "\`redis-benchmark -t <test> -n $REQUESTS -P <pipeline>\` (50 clients). ops/s are medians of"
  echo "$ROUNDS runs; ratio (emulator / redis-server, higher is better) is the median of the $ROUNDS"
  echo "per-round ratios, each from two runs back to back (order swapped every round)."
  if [ ${#server_cpu[@]} -gt 0 ]; then echo "Servers pinned to CPU 1, redis-benchmark to CPU 0 (taskset)."; fi
  echo
  echo "$table"
  echo
  echo "Lowest ratio: $worst."
} > bench/results.md
echo "$table"
echo
echo "Lowest ratio: $worst (saved to bench/results.md)"
