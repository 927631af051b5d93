#!/usr/bin/env bash
# Many clients against the native server and a real redis-server, in the same run:
#   1. redis-benchmark -c 1000 (1,000 parallel connections) for SET and GET;
#   2. PUBLISH fan-out: SUBSCRIBERS connections subscribed to one channel (a small
#      Python client that reads everything), redis-benchmark PUBLISH from 50 clients;
#      every message is delivered to every subscriber, which the script checks.
# Medians of ROUNDS runs, alternating servers. Writes bench/clients.md.
#
#   bash scripts/bench-clients.sh                      # ROUNDS=3 REQUESTS=100000 SUBSCRIBERS=100
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-100000}
SUBSCRIBERS=${SUBSCRIBERS:-100}
PUBLISHES=${PUBLISHES:-20000}

command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || WANT_REDIS=1 bash scripts/install-tools.sh
ulimit -n 20000 2>/dev/null || true

cargo build --release --locked -q -p redis-emulator-server
target=${CARGO_TARGET_DIR:-target}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(free_port)
emu_port=$(free_port)
redis-server --port "$redis_port" --save '' --appendonly no --maxclients 10000 > "$tmp/redis.log" 2>&1 &
"$target/release/redis-emulator-server" --port "$emu_port" > "$tmp/emu.log" 2>&1 &
for port in "$redis_port" "$emu_port"; do
  for _ in $(seq 100); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
done

# Subscribers: one process holding N connections, counting messages; prints the total
# when it has seen `expect` messages per connection or after a timeout.
cat > "$tmp/subscribers.py" <<'EOF_PY'
import selectors, socket, sys, time
port, n, expect = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sel = selectors.DefaultSelector()
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"SUBSCRIBE bench\r\n")
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    socks.append(s)
print("ready", flush=True)
counts = {s: 0 for s in socks}
deadline = time.time() + 600
while time.time() < deadline and min(counts.values()) < expect:
    for key, _ in sel.select(timeout=1):
        data = key.fileobj.recv(1 << 20)
        counts[key.fileobj] += data.count(b"$7\r\nmessage\r\n")
print(sum(counts.values()), flush=True)
EOF_PY

rps() { sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -n 1; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A results
for round in $(seq "$ROUNDS"); do
  for which in redis emu; do
    port=$redis_port; [ "$which" = emu ] && port=$emu_port
    for t in set get; do
      v=$(redis-benchmark -p "$port" -c 1000 -n "$REQUESTS" -t "$t" -q 2>/dev/null | tr '\r' '\n' | rps)
      results[$which-c1000-$t]+="$v "
    done
    coproc SUBS { python3 "$tmp/subscribers.py" "$port" "$SUBSCRIBERS" "$PUBLISHES"; }
    read -r ready <&"${SUBS[0]}"
    v=$(redis-benchmark -p "$port" -c 50 -n "$PUBLISHES" -q PUBLISH bench hello 2>/dev/null | tr '\r' '\n' | rps)
    read -r delivered <&"${SUBS[0]}"
    wait "$SUBS_PID" 2>/dev/null || true
    want=$((SUBSCRIBERS * PUBLISHES))
    if [ "$delivered" != "$want" ]; then echo "PUBLISH on $which: $delivered of $want messages delivered" >&2; exit 1; fi
    results[$which-publish]+="$v "
  done
done

row() {
  local name=$1 key=$2
  local r e
  r=$(echo "${results[redis-$key]}" | tr ' ' '\n' | grep . | median)
  e=$(echo "${results[emu-$key]}" | tr ' ' '\n' | grep . | median)
  printf '| %s | %.0f | %.0f | %.2f |\n' "$name" "$r" "$e" "$(echo "$e / $r" | bc -l)"
}
{
  echo "Many clients: redis-server $(redis-server --version | sed -n 's/.*v=\([0-9.]*\).*/\1/p') vs the emulator's native server, same machine, same run ($(nproc) cores), median of $ROUNDS rounds, requests per second."
  echo
  echo "| benchmark | redis-server | emulator | ratio |"
  echo "|---|---|---|---|"
  row "SET, 1,000 connections (-c 1000)" c1000-set
  row "GET, 1,000 connections (-c 1000)" c1000-get
  row "PUBLISH to $SUBSCRIBERS subscribers (-c 50)" publish
} | tee bench/clients.md
