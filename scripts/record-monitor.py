#!/usr/bin/env python3
"""Records what a real redis-server 7.0 prints to a MONITOR client while another client
runs commands, scripts, functions and transactions, for crates/emulator/tests/monitor.rs.
The golden recorder cannot do this: MONITOR lines carry a timestamp and the client's
port. Both are masked here and in the test (`+<time> [db <client>]`); the `lua` address
of commands a script runs is kept.

    python3 scripts/record-monitor.py   # writes crates/emulator/tests/data/monitor.json
"""
import json
import os
import re
import socket
import subprocess
import tempfile
import time

STEPS = [
    ["SET", "k", "v"],
    ["GET", "k"],
    ["EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", "1", "k", "w"],
    ["EVAL", "return redis.pcall('incr', KEYS[1])", "1", "k"],
    ["SCRIPT", "LOAD", "return redis.call('strlen', KEYS[1])"],
    ["EVALSHA", "SHA", "1", "k"],
    ["FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('touch', function(keys) return redis.call('append', keys[1], 'x') end)"],
    ["FCALL", "touch", "1", "k"],
    ["MULTI"],
    ["SET", "a", "1"],
    ["INCR", "a"],
    ["EXEC"],
    ["SELECT", "2"],
    ["SET", "in two", "with space \" and quote"],
    ["EVAL", "return redis.call('dbsize')", "0"],
    ["SELECT", "0"],
    ["NOSUCHCOMMAND"],
    ["GET"],
    ["EVAL", "return redis.call('nosuch')", "0"],
]

LINE = re.compile(r"^\+\d+\.\d+ \[(\d+) ([^\]]+)\] (.*)$")


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def read_all(sock, quiet=0.15):
    sock.settimeout(quiet)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data
        if not chunk:
            return data
        data += chunk


def masked(raw):
    """MONITOR's status lines with the time and a client's address masked."""
    lines = []
    for line in raw.decode("latin-1").split("\r\n"):
        m = LINE.match(line)
        if m:
            db, addr, rest = m.groups()
            who = "lua" if addr == "lua" else "<client>"
            lines.append(f"[{db} {who}] {rest}")
    return lines


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", tmp],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port)).close()
                    break
                except OSError:
                    time.sleep(0.05)
            monitor = socket.create_connection(("127.0.0.1", port))
            monitor.sendall(encode(["MONITOR"]))
            read_all(monitor)
            client = socket.create_connection(("127.0.0.1", port))
            sha = ""
            steps = []
            for args in STEPS:
                args = [sha if a == "SHA" else a for a in args]
                client.sendall(encode(args))
                reply = read_all(client)
                if args[:2] == ["SCRIPT", "LOAD"]:
                    sha = reply.decode().split("\r\n")[1]
                steps.append({"argv": args, "monitor": masked(read_all(monitor))})
        finally:
            server.kill()
            server.wait()
    path = os.path.join(root, "crates/emulator/tests/data/monitor.json")
    with open(path, "w") as f:
        json.dump({"redis": subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip(),
                   "steps": steps}, f, indent=1)
    print(f"wrote {path}: {len(steps)} steps")


if __name__ == "__main__":
    main()
