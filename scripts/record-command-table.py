#!/usr/bin/env python3
"""Records what a real redis-server 7.0 says about the commands the emulator implements
(COMMAND INFO and COMMAND DOCS), so a test can check the emulator's declarative command
table against it: arity, flags, key positions, ACL categories, summary, since, group,
complexity. Usage: python3 scripts/record-command-table.py  (needs redis-server; starts
and stops its own on a free loopback port)."""
import importlib.util
import json
import os
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates/emulator/tests/data/command-table.json")

# The golden recorder's redis-server of our own (free loopback port, temporary dir).
_spec = importlib.util.spec_from_file_location("record_goldens", os.path.join(ROOT, "scripts", "record-goldens.py"))
record_goldens = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(record_goldens)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+",):
            return rest.decode()
        if kind == b"-":
            return {"error": rest.decode()}
        if kind == b":":
            return int(rest)
        if kind in (b"$", b"="):
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data[4:].decode() if kind == b"=" else data.decode()
        if kind in (b"*", b"~"):
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        if kind == b"%":
            n = int(rest)
            return {self.read(): self.read() for _ in range(n)}
        if kind == b"_":
            return None
        raise ValueError(line)


def main():
    names = sys.argv[1:]
    if not names:
        # The emulator's own command names, from its table (one per line).
        names = subprocess.run(
            ["cargo", "run", "-q", "-p", "redis-emulator", "--example", "command-names"],
            cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    server = record_goldens.Server()
    try:
        c = Conn(server.port)
        c.send("HELLO", "3")
        version = c.send("INFO", "server").split("redis_version:")[1].split("\r\n")[0]
        info = c.send("COMMAND", "INFO", *names)
        docs = c.send("COMMAND", "DOCS", *names)
        record = {"redis_version": version, "info": {}, "docs": docs}
        for name, entry in zip(names, info):
            record["info"][name] = entry
        with open(OUT, "w") as f:
            json.dump(record, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"recorded {len(names)} commands from redis {version} into {os.path.relpath(OUT, ROOT)}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
