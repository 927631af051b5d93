#!/usr/bin/env python3
"""Record the golden replies of a real redis-server 7.0 for the emulator's golden tests.

    python3 scripts/record-goldens.py            # every case file
    python3 scripts/record-goldens.py strings    # one case (crates/emulator/tests/golden/cases/strings.txt)

For each case file it starts a fresh redis-server of its own on a free loopback port
(one per pass, so configuration changes and client ids never leak between cases), and
records, per command line:

  * the exact RESP2 reply bytes (raw socket, the line tokenized like redis-cli does);
  * the exact RESP3 reply bytes (a second server, `HELLO 3` sent first, not recorded);
  * what `redis-cli --no-raw` prints for the line (a third server, driven line by line).

A case file may stop the server's clock (`@clock <epoch-ms>`: redis-server runs with a small
LD_PRELOAD shim whose wall clock only moves when `@sleep` moves it) and may speak through
several connections at once (`[B] XREAD BLOCK 0 STREAMS s $`): then each step records what
every connection received while it ran, and the redis-cli pass is skipped.

The format of the case files and of the recordings is described in
crates/emulator/tests/golden/README.md. Python standard library only.
"""

import atexit
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(ROOT, "crates", "emulator", "tests", "golden")
CASES = os.path.join(GOLDEN, "cases")
RECORDED = os.path.join(GOLDEN, "recorded")
SEPARATOR = "__GOLDEN_SEP__"
SEPARATOR_LINE = b'"' + SEPARATOR.encode() + b'"'

# ---------------------------------------------------------------------------------------
# redis-cli's tokenizer (sdssplitargs), written from its documented behaviour
# ---------------------------------------------------------------------------------------

SPACES = b" \t\n\r\x0b\x0c"
HEX = b"0123456789abcdefABCDEF"
ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}


def split_args(line):
    """Split `line` (bytes) into arguments like redis-cli; None for unbalanced quotes."""
    out = []
    p = 0
    n = len(line)
    while True:
        while p < n and line[p] in SPACES:
            p += 1
        if p >= n:
            return out
        cur = bytearray()
        in_dq = in_sq = False
        while True:
            c = line[p] if p < n else None
            if in_dq:
                if c is None:
                    return None
                if c == ord("\\") and p + 3 < n and line[p + 1] == ord("x") \
                        and line[p + 2] in HEX and line[p + 3] in HEX:
                    cur.append(int(line[p + 2:p + 4], 16))
                    p += 3
                elif c == ord("\\") and p + 1 < n:
                    p += 1
                    cur.append(ESCAPES.get(line[p], line[p]))
                elif c == ord('"'):
                    if p + 1 < n and line[p + 1] not in SPACES:
                        return None
                    p += 1
                    break
                else:
                    cur.append(c)
            elif in_sq:
                if c is None:
                    return None
                if c == ord("\\") and p + 1 < n and line[p + 1] == ord("'"):
                    p += 1
                    cur.append(ord("'"))
                elif c == ord("'"):
                    if p + 1 < n and line[p + 1] not in SPACES:
                        return None
                    p += 1
                    break
                else:
                    cur.append(c)
            else:
                if c is None or c in SPACES:
                    break
                if c == ord('"'):
                    in_dq = True
                elif c == ord("'"):
                    in_sq = True
                else:
                    cur.append(c)
            p += 1
        out.append(bytes(cur))


# ---------------------------------------------------------------------------------------
# Case files
# ---------------------------------------------------------------------------------------


CLIENT_PREFIX = re.compile(r"^\[([A-Za-z0-9_]+)\] ")


def parse_case(path):
    """The steps of a case file (commands with their directives, and sleeps) and its
    file-level settings: `clock` (the `@clock` time in ms, or None) and `clients` (the
    connection names in order of first use; just ["A"] unless a line names a client)."""
    steps = []
    pending = {}
    clock = None
    clients = ["A"]
    multi = False
    replica = False
    with open(path, "rb") as f:
        raw = f.read()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        sys.exit(f"{path}: case files must be UTF-8 (write other bytes as \\xHH escapes)")
    for number, line in enumerate(raw.split(b"\n"), start=1):
        line = line.rstrip(b"\r")
        text = line.decode("utf-8")
        if not text.strip() or text.startswith("#"):
            continue
        if text.startswith("@"):
            word, _, rest = text[1:].partition(" ")
            rest = rest.strip()
            if word == "sleep":
                if pending:
                    sys.exit(f"{path}:{number}: @sleep cannot follow a command directive")
                steps.append({"line": number, "sleep": int(rest)})
            elif word == "clock":
                if steps or pending or clock is not None:
                    sys.exit(f"{path}:{number}: @clock comes once, before any command or @sleep")
                if not re.fullmatch(r"[0-9]+", rest):
                    sys.exit(f"{path}:{number}: @clock needs a time in milliseconds since the epoch")
                clock = int(rest)
            elif word == "replica":
                # The server is a read-only replica (of a master that never answers).
                if steps or pending:
                    sys.exit(f"{path}:{number}: @replica comes before any command")
                replica = True
            elif word == "close":
                if pending:
                    sys.exit(f"{path}:{number}: @close cannot follow a command directive")
                if rest not in clients:
                    sys.exit(f"{path}:{number}: @close {rest}: a client closes after it sent something")
                steps.append({"line": number, "close": rest})
            elif word in ("sort", "skip-cli"):
                pending[word] = True
            elif word == "known-diff":
                if not rest:
                    sys.exit(f"{path}:{number}: @known-diff needs a reason")
                pending[word] = rest
            else:
                sys.exit(f"{path}:{number}: unknown directive @{word}")
            continue
        step = {"line": number}
        m = CLIENT_PREFIX.match(text)
        if m:
            multi = True
            step["client"] = m.group(1)
            if m.group(1) not in clients:
                clients.append(m.group(1))
            text = text[m.end():]
        step["cmd"] = text
        step.update(pending)
        pending = {}
        steps.append(step)
    if pending:
        sys.exit(f"{path}: directives at the end of the file apply to no command")
    return steps, {"clock": clock, "clients": clients, "multi": multi, "replica": replica}


# ---------------------------------------------------------------------------------------
# A redis-server of our own
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# A stopped clock (`@clock`)
# ---------------------------------------------------------------------------------------

# An LD_PRELOAD shim for redis-server: its wall clock reads a file the recorder writes.
# Why not libfaketime: Debian's libfaketime 0.9.10 deadlocks in redis-server 7.0.15 at
# start-up. Its initialisation calls dlsym("__ftime"), which fails on glibc 2.36; the failure
# message is malloc'ed by the shared libjemalloc, whose own initialisation calls
# clock_gettime, which re-enters libfaketime's initialisation (seen with gdb). This shim calls
# neither dlsym nor malloc.
FAKE_CLOCK_C = r"""
/* The wall clock of the golden recorder's redis-server. FAKE_CLOCK_FILE holds one number,
 * microseconds since the epoch, read afresh on every call (the recorder replaces the file
 * with rename): gettimeofday(), time(), clock_gettime(CLOCK_REALTIME*) and timespec_get()
 * return it, so the clock stands still until the recorder moves it. CLOCK_MONOTONIC stays
 * real: the event loop keeps turning (serverCron every 100 ms, beforeSleep after every
 * wake-up), while everything a case can see (stream IDs, idle times, blocking timeouts,
 * expiry) is measured with the wall clock. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int fake_now_us(long long *out) {
    const char *path = getenv("FAKE_CLOCK_FILE");
    if (path == NULL) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    long long v = 0;
    for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) v = v * 10 + (buf[i] - '0');
    *out = v;
    return 1;
}

int clock_gettime(clockid_t id, struct timespec *tp) {
    long long us;
    if ((id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) && fake_now_us(&us)) {
        tp->tv_sec = (time_t)(us / 1000000);
        tp->tv_nsec = (long)(us % 1000000) * 1000;
        return 0;
    }
    return (int)syscall(SYS_clock_gettime, id, tp);
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    struct timespec ts;
    (void)tz;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (tv != NULL) {
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return 0;
}

time_t time(time_t *t) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (t != NULL) *t = ts.tv_sec;
    return ts.tv_sec;
}

int timespec_get(struct timespec *ts, int base) {
    if (base != TIME_UTC) return 0;
    clock_gettime(CLOCK_REALTIME, ts);
    return base;
}
"""

_shim_dir = None


def fake_clock_shim():
    """Builds the shim once per run (needs a C compiler); returns the .so path."""
    global _shim_dir
    if _shim_dir is None:
        if shutil.which("cc") is None:
            sys.exit("cc not found: @clock cases need a C compiler (apt-get install gcc libc6-dev)")
        _shim_dir = tempfile.mkdtemp(prefix="golden-clock-")
        atexit.register(shutil.rmtree, _shim_dir, True)
        with open(os.path.join(_shim_dir, "fake-clock.c"), "w") as f:
            f.write(FAKE_CLOCK_C)
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o",
                        os.path.join(_shim_dir, "fake-clock.so"),
                        os.path.join(_shim_dir, "fake-clock.c")], check=True)
    return os.path.join(_shim_dir, "fake-clock.so")


class FakeClock:
    """The file the shim reads: the server's time, moved only by `advance_ms`."""

    def __init__(self, path, start_ms):
        self.path = path
        self.us = start_ms * 1000
        self._write()

    def _write(self):
        with open(self.path + ".new", "w") as f:
            f.write(str(self.us))
        os.replace(self.path + ".new", self.path)

    def advance_ms(self, ms):
        self.us += ms * 1000
        self._write()


# ---------------------------------------------------------------------------------------
# A redis-server of our own
# ---------------------------------------------------------------------------------------


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# Extra redis-server arguments of the case being recorded (`@replica`: `--replicaof`).
SERVER_ARGS = []


class Server:
    """A fresh redis-server; with `clock_ms`, its wall clock stands still at that time
    until `sleep` moves it."""

    def __init__(self, clock_ms=None):
        self.dir = tempfile.mkdtemp(prefix="golden-redis-")
        self.port = free_port()
        self.clock = None
        env = None
        if clock_ms is not None:
            self.clock = FakeClock(os.path.join(self.dir, "clock"), clock_ms)
            env = dict(os.environ, LD_PRELOAD=fake_clock_shim(), FAKE_CLOCK_FILE=self.clock.path, TZ="UTC")
        log = os.path.join(self.dir, "redis.log")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--daemonize", "no",
             "--logfile", log, *SERVER_ARGS],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.stop()
                    sys.exit("redis-server did not start")
                time.sleep(0.02)
        if clock_ms is not None:
            # The server's log lines carry its time: check that the shim took effect.
            stamp = time.strftime("%d %b %Y %H:%M:%S", time.gmtime(clock_ms // 1000)) + ".%03d" % (clock_ms % 1000)
            with open(log) as f:
                if stamp not in f.read():
                    self.stop()
                    sys.exit(f"redis-server ignored the fake clock (no {stamp!r} in its log)")

    def sleep(self, ms):
        """`@sleep`: move the stopped clock, or really sleep."""
        if self.clock is not None:
            self.clock.advance_ms(ms)
        elif ms < 0:
            sys.exit("a negative @sleep needs a stopped clock (@clock)")
        else:
            time.sleep(ms / 1000)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def resp_end(buf, pos):
    """The offset just past the complete reply starting at `pos`, or None if `buf` does not
    hold all of it yet."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None
    kind = buf[pos:pos + 1]
    head = buf[pos + 1:end]
    after = end + 2
    if kind in (b"+", b"-", b":", b",", b"#", b"_", b"("):
        return after
    if kind in (b"$", b"=", b"!"):
        n = int(head)
        if n < 0:
            return after
        return after + n + 2 if len(buf) >= after + n + 2 else None
    if kind in (b"*", b"~", b">", b"%", b"|"):
        n = int(head)
        if n < 0:
            return after
        if kind in (b"%", b"|"):
            n *= 2
        for _ in range(n):
            after = resp_end(buf, after)
            if after is None:
                return None
        if kind == b"|":  # an attribute precedes the real reply
            after = resp_end(buf, after)
        return after
    raise ValueError(f"unexpected RESP type byte {kind!r}")


class Conn:
    """A raw RESP connection that returns each reply's exact bytes."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        # Multi-client cases: commands sent whose reply has not come yet (a blocked client
        # has one), and the complete replies received during the current step.
        self.outstanding = 0
        self.got = b""
        # The server closed the connection (QUIT).
        self.eof = False

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed by the server")
        self.buf += data

    @staticmethod
    def _frame(argv):
        return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv)

    def call(self, argv):
        self.sock.sendall(self._frame(argv))
        while True:
            end = resp_end(self.buf, 0) if self.buf else None
            if end is not None:
                break
            self._fill()
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply

    # Multi-client cases: send without waiting, collect complete replies as they come.

    def send(self, argv):
        self.sock.sendall(self._frame(argv))
        self.outstanding += 1

    def read_available(self):
        """Reads what the socket has (the caller saw it readable) and moves the complete
        replies to `got`."""
        data = self.sock.recv(65536)
        if not data:
            self.outstanding = 0
            self.eof = True
            return
        self.buf += data
        while self.buf:
            end = resp_end(self.buf, 0)
            if end is None:
                break
            self.got += self.buf[:end]
            self.buf = self.buf[end:]
            self.outstanding = max(0, self.outstanding - 1)

    def take(self):
        got, self.got = self.got, b""
        return got

    def close(self):
        self.sock.close()


def field(b):
    """Bytes as a JSON string: each byte becomes the character with the same code."""
    return b.decode("latin-1")


def record_resp(steps, resp3, clock=None):
    server = Server(clock)
    try:
        conn = Conn(server.port)
        if resp3:
            conn.call([b"HELLO", b"3"])
        client_id = int(conn.call([b"CLIENT", b"ID"])[1:-2])
        start_ms = clock if clock is not None else int(time.time() * 1000)
        out = []
        closed = False
        for step in steps:
            if "sleep" in step:
                server.sleep(step["sleep"])
                continue
            argv = split_args(step["cmd"].encode("utf-8"))
            if argv is None or not argv:
                out.append(None)
                continue
            if closed:
                sys.exit(f"line {step['line']}: a command after QUIT")
            try:
                out.append(field(conn.call(argv)))
            except socket.timeout:
                sys.exit(f"line {step['line']}: no reply in 10 s (a command that blocks needs "
                         "a multi-client case: another client, `[B] ...`, to serve it)")
            if argv[0].lower() == b"quit":
                closed = True
        conn.close()
        return out, client_id, start_ms
    finally:
        server.stop()


# How long a multi-client step waits, in real time, for replies that may still come (a
# blocked client served by this step's command, or timed out by this @sleep). The server
# handles timeouts and writes replies within one turn of its event loop (at most 100 ms).
SETTLE_S = 0.2
DRAIN_S = 0.02


def settle(conns, sender=None):
    """Collects replies until no connection waits for one (with `sender`: until the
    sender has its reply), or SETTLE_S has passed. A command's step waits for its own
    reply only: clients blocked since earlier steps (a job queue's workers in BLPOP 0)
    would otherwise make every step wait SETTLE_S; what the command served them is
    written in the same event-loop turn as its reply, and the drain below collects it."""
    deadline = time.time() + SETTLE_S
    waiting = [conns[sender]] if sender is not None else list(conns.values())
    while any(c.outstanding for c in waiting):
        left = deadline - time.time()
        if left <= 0:
            break
        readable, _, _ = select.select([c.sock for c in conns.values()], [], [], left)
        for c in conns.values():
            if c.sock in readable:
                c.read_available()
    # What the step sent to connections that wait for no reply (pub/sub messages, keyspace
    # notifications) is written in the same event-loop turn as the last reply: collect it
    # too, until the sockets stay quiet for DRAIN_S.
    while True:
        open_socks = [c.sock for c in conns.values() if c.sock.fileno() >= 0 and not c.eof]
        readable, _, _ = select.select(open_socks, [], [], DRAIN_S)
        if not readable:
            break
        for c in conns.values():
            if c.sock in readable:
                c.read_available()
    for name, c in conns.items():
        if c.buf:
            sys.exit(f"client {name}: an incomplete reply after {SETTLE_S} s: {c.buf[:200]!r}")
    return {name: c.take() for name, c in conns.items()}


def record_multi(steps, meta, resp3):
    """Replays a multi-client case: every connection first (in order of first use, `HELLO 3`
    on each for RESP3), then each step: the sender's command (without waiting for its reply:
    it may block) or the sleep, then whatever each connection received until the step
    settled. Returns, per step, (what the sender received, what the others received)."""
    server = Server(meta["clock"])
    try:
        conns = {}
        ids = {}
        for name in meta["clients"]:
            conn = Conn(server.port)
            if resp3:
                conn.call([b"HELLO", b"3"])
            ids[name] = int(conn.call([b"CLIENT", b"ID"])[1:-2])
            conns[name] = conn
        start_ms = meta["clock"] if meta["clock"] is not None else int(time.time() * 1000)
        out = []
        for step in steps:
            if "sleep" in step:
                server.sleep(step["sleep"])
                got = settle(conns)
                out.append((None, {k: field(v) for k, v in got.items() if v}))
                continue
            if "close" in step:
                # A killed program: its connection closes; the server forgets the client
                # (a blocked read is cancelled) in its next event-loop turn.
                conns.pop(step["close"]).close()
                time.sleep(0.05)
                out.append((None, {}))
                continue
            argv = split_args(step["cmd"].encode("utf-8"))
            sender = step.get("client", "A")
            if argv is None or not argv:
                out.append((None, {}))
                continue
            if sender not in conns:
                sys.exit(f"line {step['line']}: client {sender} was closed (@close)")
            if conns[sender].outstanding:
                sys.exit(f"line {step['line']}: client {sender} is blocked (Redis would queue its "
                         "command until it is served): send from another client")
            conns[sender].send(argv)
            got = settle(conns, sender)
            mine = got.pop(sender)
            out.append((field(mine), {k: field(v) for k, v in got.items() if v}))
        for conn in conns.values():
            conn.close()
        return out, ids, start_ms
    finally:
        server.stop()


def record_cli(steps, clock=None):
    """Drive `redis-cli --no-raw` line by line; after each line an `ECHO` of a marker
    shows where its output ends."""
    server = Server(clock)
    try:
        proc = subprocess.Popen(
            ["stdbuf", "-o0", "redis-cli", "--no-raw", "-p", str(server.port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        def run(line):
            proc.stdin.write(line + b"\nECHO " + SEPARATOR.encode() + b"\n")
            proc.stdin.flush()
            lines = []
            while True:
                got = proc.stdout.readline()
                if not got:
                    sys.exit(f"redis-cli exited while running {line!r}: {b''.join(lines)!r}")
                if got.rstrip(b"\n") == SEPARATOR_LINE:
                    return b"".join(lines)
                lines.append(got)

        client_id = int(run(b"CLIENT ID").split()[-1])
        start_ms = clock if clock is not None else int(time.time() * 1000)
        out = []
        for step in steps:
            if "sleep" in step:
                server.sleep(step["sleep"])
                continue
            if step.get("skip-cli"):
                out.append(None)
                continue
            out.append(field(run(step["cmd"].encode("utf-8"))))
        proc.stdin.close()
        proc.wait(timeout=10)
        return out, client_id, start_ms
    finally:
        server.stop()


def record(case):
    path = os.path.join(CASES, case + ".txt")
    steps, meta = parse_case(path)
    SERVER_ARGS[:] = ["--replicaof", "127.0.0.1", "9"] if meta["replica"] else []
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    if meta["multi"]:
        return record_multi_case(case, steps, meta, version)
    clock = meta["clock"]
    resp2, id2, start2 = record_resp(steps, resp3=False, clock=clock)
    resp3, id3, start3 = record_resp(steps, resp3=True, clock=clock)
    cli, id_cli, start_cli = record_cli(steps, clock=clock)
    entries = []
    commands = iter(zip(resp2, resp3, cli))
    count = 0
    for step in steps:
        if "sleep" in step:
            entries.append(step)
            continue
        r2, r3, c = next(commands)
        argv = split_args(step["cmd"].encode("utf-8"))
        entry = dict(step)
        entry["argv"] = None if argv is None else [field(a) for a in argv]
        entry["resp2"] = r2
        entry["resp3"] = r3
        entry["cli"] = c
        entries.append(entry)
        count += 1
    doc = {
        "case": case,
        "redis_version": version.removeprefix("v="),
        "recorded_at_ms": start2,
    }
    if clock is not None:
        doc["clock_ms"] = clock
    doc.update({
        "started_at_ms": {"resp2": start2, "resp3": start3, "cli": start_cli},
        "client_id": {"resp2": id2, "resp3": id3, "cli": id_cli},
        "steps": entries,
    })
    write_recording(case, doc)
    return count


def record_multi_case(case, steps, meta, version):
    resp2, ids2, start2 = record_multi(steps, meta, resp3=False)
    resp3, ids3, start3 = record_multi(steps, meta, resp3=True)
    entries = []
    count = 0
    for step, (mine2, others2), (mine3, others3) in zip(steps, resp2, resp3):
        entry = dict(step)
        if "sleep" not in step and "close" not in step:
            argv = split_args(step["cmd"].encode("utf-8"))
            entry["argv"] = None if argv is None else [field(a) for a in argv]
            entry["resp2"] = mine2
            entry["resp3"] = mine3
            entry["cli"] = None
            count += 1
        entry["others"] = {"resp2": others2, "resp3": others3}
        entries.append(entry)
    doc = {
        "case": case,
        "redis_version": version.removeprefix("v="),
        "recorded_at_ms": start2,
    }
    if meta["clock"] is not None:
        doc["clock_ms"] = meta["clock"]
    doc.update({
        "started_at_ms": {"resp2": start2, "resp3": start3, "cli": None},
        "client_id": {"resp2": ids2["A"], "resp3": ids3["A"], "cli": None},
        "clients": meta["clients"],
        "client_ids": {"resp2": ids2, "resp3": ids3},
        "steps": entries,
    })
    write_recording(case, doc)
    return count


def write_recording(case, doc):
    os.makedirs(RECORDED, exist_ok=True)
    with open(os.path.join(RECORDED, case + ".json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=True)
        f.write("\n")


def main():
    for tool in ("redis-server", "redis-cli", "stdbuf"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: install Redis 7.0 with `apt-get install redis-server redis-tools`")
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout
    if " v=7.0." not in version:
        print(f"warning: the goldens are meant to come from Redis 7.0, found: {version.strip()}", file=sys.stderr)
    names = sys.argv[1:] or sorted(f[:-4] for f in os.listdir(CASES) if f.endswith(".txt"))
    total = 0
    for name in names:
        name = name.removesuffix(".txt")
        n = record(name)
        total += n
        print(f"{name}: {n} commands")
    print(f"recorded {total} commands")


if __name__ == "__main__":
    main()
