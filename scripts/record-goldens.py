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

The format of the case files and of the recordings is described in
crates/emulator/tests/golden/README.md. Python standard library only.
"""

import json
import os
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


def parse_case(path):
    """The steps of a case file: commands (with their directives) and sleeps."""
    steps = []
    pending = {}
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
            elif word in ("sort", "skip-cli"):
                pending[word] = True
            elif word == "known-diff":
                if not rest:
                    sys.exit(f"{path}:{number}: @known-diff needs a reason")
                pending[word] = rest
            else:
                sys.exit(f"{path}:{number}: unknown directive @{word}")
            continue
        step = {"line": number, "cmd": text}
        step.update(pending)
        pending = {}
        steps.append(step)
    if pending:
        sys.exit(f"{path}: directives at the end of the file apply to no command")
    return steps


# ---------------------------------------------------------------------------------------
# A redis-server of our own
# ---------------------------------------------------------------------------------------


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="golden-redis-")
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--daemonize", "no",
             "--logfile", os.path.join(self.dir, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Conn:
    """A raw RESP connection that returns each reply's exact bytes."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed by the server")
        self.buf += data

    def _line(self, pos):
        while True:
            end = self.buf.find(b"\r\n", pos)
            if end >= 0:
                return end
            self._fill()

    def _need(self, n):
        while len(self.buf) < n:
            self._fill()

    def _reply_end(self, pos):
        """The offset just past the reply starting at `pos` (reading more as needed)."""
        end = self._line(pos)
        kind = self.buf[pos:pos + 1]
        head = self.buf[pos + 1:end]
        after = end + 2
        if kind in (b"+", b"-", b":", b",", b"#", b"_", b"("):
            return after
        if kind in (b"$", b"=", b"!"):
            n = int(head)
            if n < 0:
                return after
            self._need(after + n + 2)
            return after + n + 2
        if kind in (b"*", b"~", b">", b"%", b"|"):
            n = int(head)
            if n < 0:
                return after
            if kind in (b"%", b"|"):
                n *= 2
            for _ in range(n):
                after = self._reply_end(after)
            if kind == b"|":  # an attribute precedes the real reply
                after = self._reply_end(after)
            return after
        raise ValueError(f"unexpected RESP type byte {kind!r}")

    def call(self, argv):
        msg = b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in argv)
        self.sock.sendall(msg)
        end = self._reply_end(0)
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply

    def close(self):
        self.sock.close()


def field(b):
    """Bytes as a JSON string: each byte becomes the character with the same code."""
    return b.decode("latin-1")


def record_resp(steps, resp3):
    server = Server()
    try:
        conn = Conn(server.port)
        if resp3:
            conn.call([b"HELLO", b"3"])
        client_id = int(conn.call([b"CLIENT", b"ID"])[1:-2])
        start_ms = int(time.time() * 1000)
        out = []
        closed = False
        for step in steps:
            if "sleep" in step:
                time.sleep(step["sleep"] / 1000)
                continue
            argv = split_args(step["cmd"].encode("utf-8"))
            if argv is None or not argv:
                out.append(None)
                continue
            if closed:
                sys.exit(f"line {step['line']}: a command after QUIT")
            out.append(field(conn.call(argv)))
            if argv[0].lower() == b"quit":
                closed = True
        conn.close()
        return out, client_id, start_ms
    finally:
        server.stop()


def record_cli(steps):
    """Drive `redis-cli --no-raw` line by line; after each line an `ECHO` of a marker
    shows where its output ends."""
    server = Server()
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
        start_ms = int(time.time() * 1000)
        out = []
        for step in steps:
            if "sleep" in step:
                time.sleep(step["sleep"] / 1000)
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
    steps = parse_case(path)
    resp2, id2, start2 = record_resp(steps, resp3=False)
    resp3, id3, start3 = record_resp(steps, resp3=True)
    cli, id_cli, start_cli = record_cli(steps)
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
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
        "started_at_ms": {"resp2": start2, "resp3": start3, "cli": start_cli},
        "client_id": {"resp2": id2, "resp3": id3, "cli": id_cli},
        "steps": entries,
    }
    os.makedirs(RECORDED, exist_ok=True)
    with open(os.path.join(RECORDED, case + ".json"), "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=True)
        f.write("\n")
    return count


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
