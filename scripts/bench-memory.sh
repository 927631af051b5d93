#!/usr/bin/env bash
# Memory per element: the emulator (crates/emulator/examples/memory.rs, a counting
# allocator around Engine::execute) against a real redis-server 7.0 (used_memory from
# INFO memory before and after loading the same data). Same data on both sides:
#   hash: one key, 1M fields "field:N" -> "value:N"
#   set:  one key, 1M members "member:N" (hashtable encoding)
#   zset: one key, 1M members "member:N" with score N (skiplist encoding)
#   stream: one key, 1M entries "XADD stream:key <1700000000000+N>-0 field value:N", one
#           command per entry (crates/emulator/examples/stream-memory.rs on the emulator)
# Prints a Markdown table and saves it to bench/memory.md.
#
# Usage: scripts/bench-memory.sh [port]   (default: a free loopback port from 7390 up)
set -euo pipefail

cd "$(dirname "$0")/.."
N=1000000
BATCH=1000
OUT=bench/memory.md
TMP=$(mktemp -d)
REDIS_PID=""
EMU_PID=""
cleanup() {
    if [[ -n "$REDIS_PID" ]]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
    if [[ -n "$EMU_PID" ]]; then kill "$EMU_PID" 2>/dev/null || true; wait "$EMU_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

command -v redis-server >/dev/null || { echo "redis-server not found" >&2; exit 1; }
command -v redis-cli >/dev/null || { echo "redis-cli not found" >&2; exit 1; }

# --- the emulator -------------------------------------------------------------------
echo "emulator: loading 1M elements per type (release build)..." >&2
cargo run --quiet --release -p redis-emulator --example memory > "$TMP/emu.txt"
echo "emulator: loading 1M stream entries (release build)..." >&2
cargo run --quiet --release -p redis-emulator --example stream-memory | grep -v '^#' >> "$TMP/emu.txt"
cat "$TMP/emu.txt" >&2

# --- redis-server -------------------------------------------------------------------
PORT=${1:-}
if [[ -z "$PORT" ]]; then
    PORT=7390
    while redis-cli -h 127.0.0.1 -p "$PORT" PING >/dev/null 2>&1 || \
          (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
        PORT=$((PORT + 1))
    done
fi
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$TMP" --daemonize no --loglevel warning > "$TMP/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p "$PORT" PING >/dev/null 2>&1 && break
    sleep 0.1
done
CLI=(redis-cli -h 127.0.0.1 -p "$PORT")
echo "redis-server $("${CLI[@]}" INFO server | tr -d '\r' | sed -n 's/^redis_version://p') on port $PORT" >&2

used_memory() {
    "${CLI[@]}" INFO memory | tr -d '\r' | sed -n 's/^used_memory://p'
}

# RESP commands for one type, batches of $BATCH elements per command.
gen_resp() {
    python3 - "$1" "$N" "$BATCH" <<'EOF'
import sys
kind, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cmd = {"hash": b"HSET", "set": b"SADD", "zset": b"ZADD", "stream": b"XADD"}[kind]
key = kind.encode() + b":key"
out = sys.stdout.buffer
def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)
if kind == "stream":
    first_ms = 1700000000000
    for i in range(n):
        args = [cmd, key, b"%d-0" % (first_ms + i), b"field", b"value:%d" % i]
        out.write(b"*5\r\n" + b"".join(bulk(a) for a in args))
    sys.exit(0)
for start in range(0, n, batch):
    args = [cmd, key]
    for i in range(start, min(start + batch, n)):
        if kind == "hash":
            args += [b"field:%d" % i, b"value:%d" % i]
        elif kind == "set":
            args.append(b"member:%d" % i)
        else:
            args += [b"%d" % i, b"member:%d" % i]
    out.write(b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args))
EOF
}

declare -A REDIS_BPE EMU_BPE REDIS_ENC EMU_ENC
KINDS=(hash set zset stream)
for kind in "${KINDS[@]}"; do
    gen_resp "$kind" > "$TMP/$kind.resp"
    before=$(used_memory)
    "${CLI[@]}" --pipe < "$TMP/$kind.resp" > "$TMP/$kind.pipe.txt"
    grep -q "errors: 0" "$TMP/$kind.pipe.txt" || { cat "$TMP/$kind.pipe.txt" >&2; exit 1; }
    after=$(used_memory)
    len_cmd=$(case $kind in hash) echo HLEN;; set) echo SCARD;; zset) echo ZCARD;; stream) echo XLEN;; esac)
    len=$("${CLI[@]}" "$len_cmd" "$kind:key")
    [[ "$len" == "$N" ]] || { echo "$kind: $len_cmd = $len, expected $N" >&2; exit 1; }
    REDIS_ENC[$kind]=$("${CLI[@]}" OBJECT ENCODING "$kind:key")
    REDIS_BPE[$kind]=$(awk -v a="$after" -v b="$before" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / n }')
    echo "redis $kind: $((after - before)) bytes, ${REDIS_BPE[$kind]} per element (${REDIS_ENC[$kind]})" >&2
    read -r _ _ _ bpe enc < <(grep "^$kind " "$TMP/emu.txt")
    EMU_BPE[$kind]=$bpe
    EMU_ENC[$kind]=$enc
done

# --- the emulator's own estimate (INFO used_memory) through the native server -------
# The same commands through redis-emulator-server: what INFO memory / maxmemory see.
echo "emulator server: the same loads, INFO used_memory (release build)..." >&2
cargo build --quiet --release -p redis-emulator-server
EMU_BIN="${CARGO_TARGET_DIR:-target}/release/redis-emulator-server"
EPORT=$((PORT + 1))
while redis-cli -h 127.0.0.1 -p "$EPORT" PING >/dev/null 2>&1 || (exec 3<>"/dev/tcp/127.0.0.1/$EPORT") 2>/dev/null; do
    EPORT=$((EPORT + 1))
done
"$EMU_BIN" --bind 127.0.0.1 --port "$EPORT" > "$TMP/emu-server.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 50); do
    redis-cli -h 127.0.0.1 -p "$EPORT" PING >/dev/null 2>&1 && break
    sleep 0.1
done
ECLI=(redis-cli -h 127.0.0.1 -p "$EPORT")
declare -A EST_BPE
for kind in "${KINDS[@]}"; do
    before=$("${ECLI[@]}" INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')
    "${ECLI[@]}" --pipe < "$TMP/$kind.resp" > "$TMP/$kind.epipe.txt"
    grep -q "errors: 0" "$TMP/$kind.epipe.txt" || { cat "$TMP/$kind.epipe.txt" >&2; exit 1; }
    after=$("${ECLI[@]}" INFO memory | tr -d '\r' | sed -n 's/^used_memory://p')
    EST_BPE[$kind]=$(awk -v a="$after" -v b="$before" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / n }')
    echo "emulator INFO used_memory $kind: $((after - before)) bytes, ${EST_BPE[$kind]} per element" >&2
done

{
    echo "# Memory per element: emulator vs redis-server"
    echo
    echo "1M elements in one key per type, loaded through commands in batches of $BATCH (streams:"
    echo "one XADD per entry, \`<ms>-0 field value:N\` with consecutive milliseconds)."
    echo "Emulator: live heap bytes (counting global allocator, \`crates/emulator/examples/memory.rs\`"
    echo "and \`stream-memory.rs\`)."
    echo "Redis: \`used_memory\` delta from INFO memory (jemalloc, allocation-size-class rounded)."
    echo "Generated by \`scripts/bench-memory.sh\` on $(date -u +%Y-%m-%d) with $(redis-server --version | cut -d' ' -f1-3)."
    echo
    echo "| type | data | emulator bytes/element | redis bytes/element | ratio |"
    echo "|---|---|---:|---:|---:|"
    for kind in "${KINDS[@]}"; do
        data=$(case $kind in
            hash) echo "field:N -> value:N";;
            set) echo "member:N";;
            zset) echo "member:N, score N";;
            stream) echo "entry <ms>-0: field -> value:N";;
        esac)
        ratio=$(awk -v e="${EMU_BPE[$kind]}" -v r="${REDIS_BPE[$kind]}" 'BEGIN { printf "%.2fx", e / r }')
        echo "| $kind (${EMU_ENC[$kind]} / ${REDIS_ENC[$kind]}) | $data | ${EMU_BPE[$kind]} | ${REDIS_BPE[$kind]} | $ratio |"
    done
    echo
    echo "The emulator's own figure, INFO \`used_memory\` (an estimate of Redis's, what maxmemory"
    echo "enforces), after the same commands through \`redis-emulator-server\`:"
    echo
    echo "| type | emulator INFO used_memory bytes/element | redis bytes/element | ratio |"
    echo "|---|---:|---:|---:|"
    for kind in "${KINDS[@]}"; do
        ratio=$(awk -v e="${EST_BPE[$kind]}" -v r="${REDIS_BPE[$kind]}" 'BEGIN { printf "%.2fx", e / r }')
        echo "| $kind | ${EST_BPE[$kind]} | ${REDIS_BPE[$kind]} | $ratio |"
    done
} > "$OUT"
cat "$OUT"
