#!/usr/bin/env python3
"""Records what a real redis-server 7.0 answers while a script runs past
busy-reply-threshold (BUSY, SCRIPT KILL, FUNCTION KILL, UNKILLABLE, the killed script's
error), for crates/emulator/tests/busy.rs. The golden recorder cannot do this: it stops the
server's clock, and the threshold is a time.

Each step is (client, command); the recording keeps the RESP bytes each client received
after the step. `@wait` lets busy-reply-threshold (set to 200 ms) pass.

    python3 scripts/record-busy.py   # writes crates/emulator/tests/data/busy.json
"""
import json
import os
import socket
import subprocess
import tempfile
import time

STEPS = [
    ("B", ["CONFIG", "SET", "busy-reply-threshold", "200"]),
    ("B", ["FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('spin', function() while true do end end)\nredis.register_function{function_name='spin_ro', callback=function() while true do end end, flags={'no-writes'}}"]),
    ("B", ["SCRIPT", "KILL"]),
    ("B", ["FUNCTION", "KILL"]),
    # a read-only script: killable
    ("A", ["EVAL", "local i = 0 while true do i = i + 1 end", "0"]),
    ("@wait", []),
    ("B", ["PING"]),
    ("B", ["FUNCTION", "STATS"]),
    ("B", ["GET", "x"]),
    ("B", ["NOSUCH"]),
    ("B", ["FUNCTION", "KILL"]),
    ("B", ["SCRIPT", "KILL"]),
    ("@settle", []),
    ("B", ["SCRIPT", "KILL"]),
    ("B", ["PING"]),
    # a script that wrote: unkillable (the recording ends with SHUTDOWN NOSAVE in Redis;
    # here the emulator's budget stops it, so only the refusals are compared)
    ("A", ["EVAL", "redis.call('incr', 'n') while true do end", "0"]),
    ("@wait", []),
    ("B", ["SCRIPT", "KILL"]),
    ("B", ["FUNCTION", "KILL"]),
    ("B", ["INCR", "n"]),
]

STEPS_FUNCTION = [
    ("A", ["FCALL", "spin_ro", "0"]),
    ("@wait", []),
    ("B", ["PING"]),
    ("B", ["FUNCTION", "STATS"]),
    ("B", ["SCRIPT", "KILL"]),
    ("B", ["FUNCTION", "KILL"]),
    ("@settle", []),
    ("B", ["FUNCTION", "KILL"]),
    ("B", ["GET", "n"]),
]


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


def run(port, steps):
    clients = {name: socket.create_connection(("127.0.0.1", port)) for name in "AB"}
    out = []
    for who, args in steps:
        if who == "@wait":
            time.sleep(0.3)
            out.append({"step": "@wait"})
            continue
        if who == "@settle":
            time.sleep(0.3)
            got = {n: read_all(s).decode("latin-1") for n, s in clients.items()}
            out.append({"step": "@settle", "received": got})
            continue
        clients[who].sendall(encode(args))
        got = {n: read_all(s).decode("latin-1") for n, s in clients.items()}
        out.append({"client": who, "argv": args, "received": got})
    return out, clients


def start_server(port, tmp, *extra):
    """Starts a redis-server on `port` (no persistence, files in `tmp`, `extra` options)
    and waits until it accepts connections (5 seconds at most)."""
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp, *extra],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            break
        except OSError:
            time.sleep(0.05)
    return server


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with tempfile.TemporaryDirectory() as tmp:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        server = start_server(port, tmp)
        try:
            first, clients = run(port, STEPS)
            # The unkillable script only stops with the server: record the rest on a new one.
            b = clients["B"]
            b.sendall(encode(["SHUTDOWN", "NOSAVE"]))
            time.sleep(0.3)
        finally:
            server.wait(timeout=10)
        server = start_server(port, tmp, "--busy-reply-threshold", "200")
        try:
            setup = socket.create_connection(("127.0.0.1", port))
            setup.sendall(encode(STEPS[1][1]))
            read_all(setup)
            second, _ = run(port, STEPS_FUNCTION)
        finally:
            server.kill()
            server.wait()
    path = os.path.join(root, "crates/emulator/tests/data/busy.json")
    with open(path, "w") as f:
        json.dump({"redis": subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip(),
                   "eval": first, "function": second}, f, indent=1)
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
