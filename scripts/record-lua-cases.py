#!/usr/bin/env python3
"""Record what a real redis-server 7.0 (Lua 5.1.5) answers to the Lua VM's script cases.

    python3 scripts/record-lua-cases.py                # cases.txt -> recorded.txt
    python3 scripts/record-lua-cases.py string         # string_cases.txt -> string_recorded.txt
    python3 scripts/record-lua-cases.py stdlib         # stdlib_cases.txt -> stdlib_recorded.txt
    python3 scripts/record-lua-cases.py <directory>    # e.g. crates/lua/tests/redis_libs

Reads cases.txt (or <set>_cases.txt) of the case directory (crates/lua/tests/scripts unless
a directory is given): cases separated by lines `=== <name>`, each the
text of a script. Starts its own redis-server on a free loopback port, sends each script as
`EVAL <script> 0` over a raw socket (all cases on one server, in order: state a script
leaves in the Lua interpreter, such as cjson's configuration or math.random's generator, is seen by the next ones), and
writes recorded.txt (or <set>_recorded.txt) next to the cases: per
case `=== <name>` then the reply, one item per line:
  int:<n> | bulk:<escaped> | nil | status:<escaped> | err:<escaped> | array:<count>
(array elements follow on the next lines). Escapes: \\\\, \\n, \\r, \\xHH for other bytes
outside printable ASCII. Python standard library only.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from lua_cases import read_cases

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "crates", "lua", "tests", "scripts")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def escape(b):
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif c == 0x0A:
            out.append("\\n")
        elif c == 0x0D:
            out.append("\\r")
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def send(self, args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n + 2:
            self.buf += self.sock.recv(65536)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self, out):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind == b":":
            out.append("int:" + rest.decode())
        elif kind == b"+":
            out.append("status:" + escape(rest))
        elif kind == b"-":
            out.append("err:" + escape(rest))
        elif kind == b"$":
            n = int(rest)
            out.append("nil" if n < 0 else "bulk:" + escape(self.exact(n)))
        elif kind == b"*":
            n = int(rest)
            if n < 0:
                out.append("nil")
                return
            out.append("array:%d" % n)
            for _ in range(n):
                self.reply(out)


def main():
    arg = sys.argv[1] if len(sys.argv) > 1 else ""
    if arg and os.path.isdir(arg):
        case_dir, prefix = os.path.abspath(arg), ""
    else:
        case_dir, prefix = DIR, (arg + "_" if arg else "")
    cases = read_cases(os.path.join(case_dir, prefix + "cases.txt"))
    port = free_port()
    tmp = tempfile.mkdtemp()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", tmp, "--busy-reply-threshold", "60000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                conn = Conn(port)
                break
            except OSError:
                time.sleep(0.05)
        lines = []
        for name, script in cases:
            conn.send([b"FLUSHALL"])
            conn.reply([])
            conn.send([b"EVAL", script, b"0"])
            out = []
            conn.reply(out)
            lines.append("=== " + name)
            lines.extend(out)
        with open(os.path.join(case_dir, prefix + "recorded.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        print("recorded %d cases" % len(cases))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
