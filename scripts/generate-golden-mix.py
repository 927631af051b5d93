#!/usr/bin/env python3
"""Write two generated golden cases:

* crates/emulator/tests/golden/cases/mix.txt: a long, seeded, random mix of string and key
  commands over a small keyspace, so that commands meet each other's results (types,
  encodings, TTLs, databases) in ways hand-written cases do not;
* crates/emulator/tests/golden/cases/mix-args.txt: commands with random argument lists
  (keywords, numbers, keys in any order and case), for the order in which Redis checks
  arity, options and values, and which error wins.

Only the commands are generated; what they reply is recorded from a real Redis like every
other case (python3 scripts/record-goldens.py mix). The mix avoids what is not the same
on every run: PTTL and EXPIRETIME of relative TTLs, RANDOMKEY, OBJECT IDLETIME/FREQ, SCAN
cursors, unordered KEYS, absolute expiry times in the future (TTL would depend on the clock),
and EXPIRE GT/LT between equal times (every relative time used is distinct, so comparisons
never depend on the milliseconds elapsed).

    python3 scripts/generate-golden-mix.py [seed] [count]    # mix.txt; mix-args.txt uses seed+1

The argument fuzz leaves out what reveals a TTL (a relative or far absolute expiry would
make it depend on the clock) and numbers that would expire a key within the run.
"""

import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "crates", "emulator", "tests", "golden", "cases")
OUT = os.path.join(CASES, "mix.txt")
OUT_ARGS = os.path.join(CASES, "mix-args.txt")

# Commands for the argument fuzz (subcommands written out). Left out: what varies by run
# or by the size of Redis's tables (TTL/PTTL/EXPIRETIME, RANDOMKEY, INFO, TIME, CLIENT
# LIST/INFO, SCAN (which keys a page holds depends on Redis's hash seed once there are more
# than a few keys), COMMAND without arguments or with LIST/INFO/DOCS/COUNT, OBJECT IDLETIME/FREQ),
# QUIT (closes the connection) and CONFIG SET (could reconfigure the real server).
FUZZ_COMMANDS = [
    "GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "MGET", "MSET", "MSETNX",
    "INCR", "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT", "APPEND", "STRLEN", "GETRANGE", "SUBSTR",
    "SETRANGE", "LCS", "DEL", "UNLINK", "EXISTS", "TOUCH", "TYPE", "KEYS", "RENAME",
    "RENAMENX", "COPY", "MOVE", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST",
    "OBJECT ENCODING", "OBJECT REFCOUNT", "OBJECT HELP", "OBJECT", "PING", "ECHO", "SELECT", "AUTH",
    "HELLO", "CLIENT ID", "CLIENT GETNAME", "CLIENT SETNAME", "CLIENT HELP", "CLIENT", "DBSIZE",
    "FLUSHDB", "SWAPDB", "CONFIG GET", "CONFIG HELP", "CONFIG RESETSTAT", "CONFIG", "COMMAND GETKEYS",
    "COMMAND HELP", "RESET",
]
# Numbers that are safe as expiry times: none expires a key during the run, none makes an
# absolute time in the future.
FUZZ_TOKENS = [
    "NX", "XX", "GT", "LT", "EX", "PX", "EXAT", "PXAT", "KEEPTTL", "GET", "PERSIST", "IDX", "LEN",
    "MINMATCHLEN", "WITHMATCHLEN", "DB", "REPLACE", "MATCH", "COUNT", "TYPE", "ASYNC", "SYNC",
    "AUTH", "SETNAME", "default", "maxmemory", "string",
    "0", "-1", "-5", "100000", "1.5", "abc", '""', "9223372036854775807", "-9223372036854775808",
    "2147483648", "1e3", "k0", "k1", "k2", "k1", "k0",
]

KEYS = ["k0", "k1", "k2", "k3", "num", "f"]
VALUES = ['1', '-5', '10', '9999', '10000', '9223372036854775807', '-9223372036854775808', '3.5',
          '0.1', '1e3', 'abc', '""', '"\\x00\\xff"', 'h\xe9llo', '"two words"', '0', '00', '" 1"',
          'a' * 45, 'b' * 44, '-0', '+1', '5.0']


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    rnd = random.Random(seed)
    serial = iter(range(1000, 10 ** 9, 17))  # distinct relative times

    def k():
        return rnd.choice(KEYS)

    def v():
        return rnd.choice(VALUES)

    def n(lo=-20, hi=60):
        return str(rnd.randint(lo, hi))

    def secs():
        return str(next(serial))

    def ms():
        # whole seconds plus 200 ms: TTL rounds the same way whatever the elapsed ms
        return str(next(serial) * 1000 + 200)

    templates = [
        lambda: f"GET {k()}",
        lambda: f"SET {k()} {v()}",
        lambda: f"SET {k()} {v()} {rnd.choice(['NX', 'XX', 'GET', 'NX GET', 'XX GET', 'KEEPTTL', 'GET KEEPTTL'])}",
        lambda: f"SET {k()} {v()} EX {secs()}",
        lambda: f"SET {k()} {v()} PX {ms()} {rnd.choice(['', 'NX', 'XX', 'GET'])}",
        lambda: f"SETNX {k()} {v()}",
        lambda: f"SETEX {k()} {secs()} {v()}",
        lambda: f"PSETEX {k()} {ms()} {v()}",
        lambda: f"GETSET {k()} {v()}",
        lambda: f"GETDEL {k()}",
        lambda: f"GETEX {k()} {rnd.choice(['', 'PERSIST', 'EX ' + secs(), 'PX ' + ms(), 'EXAT 1'])}",
        lambda: f"MGET {k()} {k()} {k()}",
        lambda: f"MSET {k()} {v()} {k()} {v()}",
        lambda: f"MSETNX {k()} {v()} {k()} {v()}",
        lambda: f"INCR {k()}",
        lambda: f"DECR {k()}",
        lambda: f"INCRBY {k()} {n(-100, 100)}",
        lambda: f"DECRBY {k()} {n(-100, 100)}",
        lambda: f"INCRBYFLOAT {k()} {rnd.choice(['0.1', '-1.5', '2.0e2', '1', '-0.25', '3', '1e-3', 'abc'])}",
        lambda: f"APPEND {k()} {v()}",
        lambda: f"STRLEN {k()}",
        lambda: f"GETRANGE {k()} {n()} {n()}",
        lambda: f"SUBSTR {k()} {n()} {n()}",
        lambda: f"SETRANGE {k()} {n(0, 50)} {v()}",
        lambda: f"LCS {k()} {k()} {rnd.choice(['', 'LEN', 'IDX', 'IDX WITHMATCHLEN', 'IDX MINMATCHLEN 2'])}",
        lambda: f"DEL {k()} {k()}",
        lambda: f"UNLINK {k()}",
        lambda: f"EXISTS {k()} {k()}",
        lambda: f"TOUCH {k()}",
        lambda: f"TYPE {k()}",
        lambda: f"RENAME {k()} {k()}",
        lambda: f"RENAMENX {k()} {k()}",
        lambda: f"COPY {k()} {k()} {rnd.choice(['', 'REPLACE', 'DB 1', 'DB 1 REPLACE'])}",
        lambda: f"MOVE {k()} {rnd.choice(['0', '1', '2'])}",
        lambda: f"EXPIRE {k()} {secs()} {rnd.choice(['', '', 'NX', 'XX', 'GT', 'LT'])}",
        lambda: f"EXPIRE {k()} {rnd.choice(['0', '-1'])}",
        lambda: f"PEXPIRE {k()} {ms()} {rnd.choice(['', 'NX', 'XX', 'GT', 'LT'])}",
        # absolute times in the past only: a future one would make TTL depend on the clock
        lambda: f"EXPIREAT {k()} {rnd.choice(['1', '1000000000'])} {rnd.choice(['', 'NX', 'XX', 'GT', 'LT'])}",
        lambda: f"TTL {k()}",
        lambda: f"TTL {k()}",
        lambda: f"PERSIST {k()}",
        lambda: f"OBJECT ENCODING {k()}",
        lambda: f"OBJECT REFCOUNT {k()}",
        lambda: f"SELECT {rnd.choice(['0', '0', '0', '1', '2'])}",
        lambda: "DBSIZE",
        lambda: f"SWAPDB {rnd.choice(['0', '1'])} {rnd.choice(['1', '2'])}",
        # settings that change how values are stored (shared integers) and replies (RESP3)
        lambda: f"CONFIG SET maxmemory {rnd.choice(['0', '100mb'])}",
        lambda: f"CONFIG SET maxmemory-policy {rnd.choice(['noeviction', 'allkeys-lru', 'volatile-lfu', 'volatile-ttl'])}",
        lambda: f"HELLO {rnd.choice(['2', '3'])}",
    ]
    lines = [
        "# Generated by scripts/generate-golden-mix.py (seed %d): a random mix of string and key" % seed,
        "# commands over a few keys. The replies are recorded from Redis like any other case.",
    ]
    for _ in range(count):
        lines.append(" ".join(rnd.choice(templates)().split()))
    lines += ["SELECT 0", "@sort", "KEYS *", "SELECT 1", "@sort", "KEYS *", "SELECT 2", "@sort", "KEYS *"]
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {OUT}: {count} commands")


def main_args(seed, count):
    rnd = random.Random(seed)
    lines = [
        "# Generated by scripts/generate-golden-mix.py (seed %d): commands with random arguments." % seed,
        "# The replies are recorded from Redis like any other case.",
        "MSET k0 10 k1 hello k2 3.5",
    ]
    for _ in range(count):
        cmd = rnd.choice(FUZZ_COMMANDS)
        words = cmd.split()
        words[0] = rnd.choice([words[0], words[0].lower()])
        for _ in range(rnd.choice([0, 1, 1, 2, 2, 3, 3, 4, 5])):
            t = rnd.choice(FUZZ_TOKENS)
            words.append(rnd.choice([t, t.lower()]) if t.isalpha() else t)
        if cmd == "KEYS":
            lines.append("@sort")
        lines.append(" ".join(words))
        # keep a few keys around for the options to act on
        if rnd.random() < 0.1:
            lines.append("MSET k0 10 k1 hello k2 3.5")
    with open(OUT_ARGS, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {OUT_ARGS}: {count} commands")


if __name__ == "__main__":
    main()
    main_args((int(sys.argv[1]) if len(sys.argv) > 1 else 7) + 1, 600)
