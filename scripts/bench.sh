#!/usr/bin/env bash
# Benchmarks the emulator's native server against a real redis-server on this machine,
# in the same run, with redis-benchmark: strings (SET, GET, INCR, MSET) and the collection
# rows (LPUSH, RPUSH, LPOP, RPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN, LRANGE_100), without
# pipelining (-P 1) and with 16 requests per pipeline (-P 16); streams: XADD `*` and
# `XRANGE key - + COUNT 10` (redis-benchmark custom commands, the stream loaded by the XADD
# row), and consumer-group throughput: 3 consumers, each its own connection and process,
# doing XREADGROUP COUNT 10 then XACK of what they got until the group has read a stream
# of GROUP_ENTRIES entries (a small C client, compiled here). Prints a Markdown table and
# saves it to bench/results.md. TESTS="set get" picks rows; STREAM_TESTS="xadd" picks
# stream rows ("" for none); GROUP=0 skips the consumer-group row.
#
# Both servers run on free loopback ports and are stopped on exit. Each measurement is
# repeated ROUNDS times, alternating servers, and medians are reported: on a small
# machine the benchmark client shares the CPU with the server, so single runs are noisy.
# PIN=0 turns off pinning servers and client to separate CPUs.
#
#   bash scripts/bench.sh                 # ROUNDS=5 REQUESTS=200000
#   ROUNDS=3 REQUESTS=100000 PIN=0 bash scripts/bench.sh
#   TESTS="lpush lrange_100" bash scripts/bench.sh
#   TESTS="" bash scripts/bench.sh       # streams only
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

ROUNDS=${ROUNDS:-5}
REQUESTS=${REQUESTS:-200000}
# (redis-benchmark fills the list itself before it measures LRANGE_100.)
read -r -a TESTS <<< "${TESTS-set get incr mset lpush rpush lrange_100 lpop rpop sadd hset spop zadd zpopmin}"
# Stream rows, redis-benchmark custom commands (see stream_command); xrange_10 reads the
# stream that the xadd row filled (REQUESTS entries per pipeline setting).
read -r -a STREAM_TESTS <<< "${STREAM_TESTS-xadd xrange_10}"
GROUP=${GROUP:-1}
GROUP_ENTRIES=${GROUP_ENTRIES:-600000}
PIPELINES=(1 16)

log() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }

# 1. Tools: redis-server and redis-benchmark from Debian's packages, if missing.
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  log "installing redis-server and redis-tools"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools >/dev/null
fi

# The consumer-group client: redis-benchmark can't XACK what it read, so a small C
# program does (one process and connection per consumer, like workers).
tmp_dir=$(mktemp -d)
consumers_bin="$tmp_dir/stream-consumers"
if [ "$GROUP" = 1 ]; then
  cat > "$tmp_dir/stream-consumers.c" <<'EOF_C'
/* N consumers of one group, one process and connection each, as workers do:
 *   XREADGROUP GROUP <group> c<i> COUNT <count> STREAMS <key> >   then   XACK <key> <group> <ids...>
 * until the group has read the whole stream. Prints: <cycles> <seconds>. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[1 << 20];
static size_t blen;
static char ids[1024][48];
static int nids;

static void die(const char *m) { perror(m); exit(1); }

static long parse_int(const char *p, const char *end, const char **after) {
    long v = 0, s = 1;
    if (*p == '-') { s = -1; p++; }
    while (p < end && *p != '\r') v = v * 10 + (*p++ - '0');
    *after = p + 2;
    return v * s;
}

/* Parses one value at p; returns the position after it, or NULL if incomplete. Records
 * the first element of each entry (depth 4: reply, [key, entries], entries, entry): IDs. */
static const char *parse(const char *p, const char *end, int depth, int index) {
    if (p >= end) return NULL;
    const char *nl = memchr(p, '\n', end - p);
    if (!nl) return NULL;
    char t = *p;
    const char *after;
    if (t == '+' || t == '-' || t == ':') return nl + 1;
    long n = parse_int(p + 1, end, &after);
    if (t == '$') {
        if (n < 0) return after;
        if (after + n + 2 > end) return NULL;
        if (depth == 4 && index == 0 && nids < 1024 && n < 48) {
            memcpy(ids[nids], after, n);
            ids[nids][n] = 0;
            nids++;
        }
        return after + n + 2;
    }
    if (t == '*') {
        if (n < 0) return after;
        const char *q = after;
        for (long i = 0; i < n; i++) {
            q = parse(q, end, depth + 1, (int)i);
            if (!q) return NULL;
        }
        return q;
    }
    fprintf(stderr, "unexpected reply %c\n", t);
    exit(1);
}

static void send_all(int fd, const char *s, size_t n) {
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) die("write");
        s += w;
        n -= w;
    }
}

/* Reads one whole reply into buf; returns 1 for a nil array. */
static int read_reply(int fd) {
    blen = 0;
    for (;;) {
        if (blen) {
            nids = 0;
            if (parse(buf, buf + blen, 0, 0)) {
                if (buf[0] == '-') { fprintf(stderr, "error: %.*s\n", (int)blen, buf); exit(1); }
                return buf[0] == '*' && buf[1] == '-';
            }
        }
        ssize_t r = read(fd, buf + blen, sizeof buf - blen);
        if (r <= 0) die("read");
        blen += r;
    }
}

static size_t encode(char *out, int argc, char **argv) {
    size_t n = sprintf(out, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++) n += sprintf(out + n, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]);
    return n;
}

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: %s port key group consumers count\n", argv[0]); return 2; }
    int port = atoi(argv[1]), consumers = atoi(argv[4]);
    char *key = argv[2], *group = argv[3], *count = argv[5];
    long *cycles = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    for (int c = 0; c < consumers; c++) {
        if (fork() == 0) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
            inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
            if (connect(fd, (struct sockaddr *)&a, sizeof a)) die("connect");
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            char name[16], out[65536], rd[512];
            sprintf(name, "c%d", c);
            char *read_argv[] = {"XREADGROUP", "GROUP", group, name, "COUNT", count, "STREAMS", key, ">"};
            size_t rdn = encode(rd, 9, read_argv);
            long done = 0;
            for (;;) {
                send_all(fd, rd, rdn);
                if (read_reply(fd) || nids == 0) break;
                char *ack[3 + 1024] = {"XACK", key, group};
                for (int i = 0; i < nids; i++) ack[3 + i] = ids[i];
                int asked = nids;
                send_all(fd, out, encode(out, 3 + nids, ack));
                read_reply(fd);
                if (buf[0] != ':' || atol(buf + 1) != asked) {
                    fprintf(stderr, "%s: XACK of %d IDs answered %.*s\n", name, asked, (int)blen, buf);
                }
                done++;
            }
            cycles[c] = done;
            _exit(0);
        }
    }
    for (int c = 0; c < consumers; c++) wait(NULL);
    gettimeofday(&t1, NULL);
    long total = 0;
    for (int c = 0; c < consumers; c++) total += cycles[c];
    printf("%ld %.6f\n", total, (t1.tv_sec - t0.tv_sec) + (t1.tv_usec - t0.tv_usec) / 1e6);
    return 0;
}
EOF_C
  cc -O2 -o "$consumers_bin" "$tmp_dir/stream-consumers.c"
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
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp_dir"; }
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
stream_command() { # stream test -> the command redis-benchmark repeats
  case "$1" in
    xadd) echo 'XADD bench:stream * field value' ;;
    xrange_10) echo 'XRANGE bench:stream - + COUNT 10' ;;
    *) echo "unknown stream test $1" >&2; return 1 ;;
  esac
}
is_stream_test() { [[ " ${STREAM_TESTS[*]} " == *" $1 "* ]]; }
row_name() {
  case "$1" in
    xadd) echo 'XADD * (stream)' ;;
    xrange_10) echo 'XRANGE - + COUNT 10' ;;
    *) echo "$1" | tr '[:lower:]' '[:upper:]' ;;
  esac
}
run_one() { # port pipeline test -> requests per second
  local what=(-t "$3")
  if is_stream_test "$3"; then
    set -f; read -r -a what <<< "$(stream_command "$3")"; set +f
  fi
  "${client_cpu[@]}" redis-benchmark -h 127.0.0.1 -p "$1" -n "$REQUESTS" -P "$2" --csv "${what[@]}" 2>/dev/null |
    awk -F'","' 'NR > 1 { print $2; exit }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # a process's user + system CPU, in clock ticks
run_group() { # port pid -> "<cycles per second> <server CPU microseconds per cycle>", 3 consumers, COUNT 10
  redis-cli -p "$1" del bench:group >/dev/null
  redis-benchmark -h 127.0.0.1 -p "$1" -n "$GROUP_ENTRIES" -P 16 XADD bench:group '*' field value >/dev/null 2>&1
  [ "$(redis-cli -p "$1" xlen bench:group)" = "$GROUP_ENTRIES" ] || { echo "bench:group not loaded on port $1" >&2; return 1; }
  redis-cli -p "$1" xgroup create bench:group g 0 >/dev/null
  local before after
  before=$(cpu_ticks "$2")
  read -r cycles secs < <("${client_cpu[@]}" "$consumers_bin" "$1" bench:group g 3 10)
  after=$(cpu_ticks "$2")
  awk -v c="$cycles" -v s="$secs" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f %.2f\n", c / s, t / hz * 1e6 / c }'
  if [ "$(redis-cli -p "$1" xpending bench:group g | head -1)" != 0 ]; then
    echo "entries left pending on port $1:" $(redis-cli -p "$1" xpending bench:group g) $(redis-cli -p "$1" xinfo groups bench:group) >&2
    return 1
  fi
  redis-cli -p "$1" del bench:group >/dev/null
}
ALL_TESTS=("${TESTS[@]}" "${STREAM_TESTS[@]}")
for round in $(seq 1 "$ROUNDS"); do
  order=(redis emulator); [ $((round % 2)) -eq 0 ] && order=(emulator redis)
  log "round $round/$ROUNDS"
  for pipeline in "${PIPELINES[@]}"; do
    for t in "${ALL_TESTS[@]}"; do
      declare -A got=()
      for server in "${order[@]}"; do
        port=$redis_port; [ "$server" = emulator ] && port=$emulator_port
        got[$server]=$(run_one "$port" "$pipeline" "$t")
        samples["$server|$pipeline|$t"]+="${got[$server]} "
      done
      ratios["$pipeline|$t"]+="$(awk -v r="${got[redis]}" -v e="${got[emulator]}" 'BEGIN { if (r > 0) print e / r; else print 0 }') "
    done
  done
  if [ "$GROUP" = 1 ]; then
    declare -A got=() cpu=()
    for server in "${order[@]}"; do
      port=$redis_port; pid=${pids[0]}
      [ "$server" = emulator ] && { port=$emulator_port; pid=${pids[1]}; }
      read -r got[$server] cpu[$server] < <(run_group "$port" "$pid")
      samples["$server|1|group"]+="${got[$server]} "
      samples["$server|1|groupcpu"]+="${cpu[$server]} "
    done
    ratios["1|group"]+="$(awk -v r="${got[redis]}" -v e="${got[emulator]}" 'BEGIN { if (r > 0) print e / r; else print 0 }') "
    # CPU per cycle: lower is better, so the ratio is redis / emulator.
    ratios["1|groupcpu"]+="$(awk -v r="${cpu[redis]}" -v e="${cpu[emulator]}" 'BEGIN { if (e > 0) print r / e; else print 0 }') "
  fi
  redis-cli -p "$redis_port" flushall >/dev/null
  redis-cli -p "$emulator_port" flushall >/dev/null
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# 5. The table.
table="| test | pipeline | redis-server ops/s | emulator ops/s | ratio |
| --- | ---: | ---: | ---: | ---: |"
worst=""
rows=()
for pipeline in "${PIPELINES[@]}"; do
  for t in "${ALL_TESTS[@]}"; do rows+=("$pipeline|$t"); done
done
[ "$GROUP" = 1 ] && rows+=("1|group" "1|groupcpu")
for row in "${rows[@]}"; do
    pipeline=${row%%|*}; t=${row#*|}
    name=$(row_name "$t")
    [ "$t" = group ] && name='XREADGROUP COUNT 10 + XACK, 3 consumers (cycles/s)'
    [ "$t" = groupcpu ] && name='the same: server CPU per cycle (µs, ratio redis/emulator)'
    r=$(echo "${samples["redis|$pipeline|$t"]:-}" | median)
    e=$(echo "${samples["emulator|$pipeline|$t"]:-}" | median)
    ratio=$(echo "${ratios["$pipeline|$t"]:-}" | median | awk '{ printf "%.2f", $1 }')
    fmt='%.0f'; [ "$t" = groupcpu ] && fmt='%.2f'
    table+=$'\n'"| $name | $pipeline | $(printf "$fmt" "$r") | $(printf "$fmt" "$e") | $ratio |"
    worst=$(awk -v w="$worst" -v x="$ratio" 'BEGIN { if (w == "" || x + 0 < w + 0) print x; else print w }')
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
  if [ ${#STREAM_TESTS[@]} -gt 0 ]; then
    echo "Stream rows are redis-benchmark custom commands: \`XADD bench:stream * field value\` and"
    echo "\`XRANGE bench:stream - + COUNT 10\` (on the stream the XADD row just filled)."
  fi
  if [ "$GROUP" = 1 ]; then
    echo "The consumer-group row: a stream of $GROUP_ENTRIES entries (\`XADD * field value\`), a group at 0,"
    echo "and 3 consumers (one process and connection each, a small C client) doing"
    echo "\`XREADGROUP GROUP g cN COUNT 10 STREAMS bench:group >\` then \`XACK\` of the 10 IDs, until the"
    echo "group has read everything: read+ack cycles per second, nothing left pending. The consumers"
    echo "wait on round trips, so the servers are not saturated there: the next row is each server's"
    echo "CPU time (user + system, /proc) over the run divided by the cycles, the cost per cycle."
  fi
  if [ ${#server_cpu[@]} -gt 0 ]; then echo "Servers pinned to CPU 1, redis-benchmark to CPU 0 (taskset)."; fi
  echo
  echo "$table"
  echo
  echo "Lowest ratio: $worst."
} > bench/results.md
echo "$table"
echo
echo "Lowest ratio: $worst (saved to bench/results.md)"
