#!/usr/bin/env python3
"""Differential fuzzing of the Lua string library: random calls of string.find, match,
gmatch, gsub, format, sub, byte, rep... run with EVAL on a real redis-server 7.0 and on the
emulator's TCP server, replies compared byte for byte.

    cargo build -p redis-emulator-server
    python3 scripts/fuzz-lua-strings.py [SEED] [COUNT]

Starts both servers on free loopback ports and stops them at the end. Prints each script
whose replies differ and exits 1 if any did. Python standard library only.

Not generated (known differences of the VM, not of the library): `-0.0` literals (Lua
5.1's compiler shares the constant 0 with -0, piccolo's does not).
"""

import os
import random
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
EMULATOR = os.path.join(TARGET, "debug", "redis-emulator-server")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, port):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit(f"could not start {argv[0]}")


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode("latin-1")
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def read_reply(f):
    line = f.readline()
    kind = line[:1]
    if kind in (b"+", b"-", b":"):
        return line
    if kind == b"$":
        n = int(line[1:-2])
        return line if n < 0 else line + f.read(n + 2)
    if kind == b"*":
        out = line
        for _ in range(max(int(line[1:-2]), 0)):
            out += read_reply(f)
        return out
    raise ValueError(f"unexpected reply {line!r}")


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")

    def eval(self, script):
        self.sock.sendall(encode(["EVAL", script, "0"]))
        return read_reply(self.file)


PATTERN_ATOMS = ["a", "b", ".", "%a", "%d", "%s", "%w", "%p", "%z", "%A", "%x", "[ab]", "[^a]", "[a-c]", "[%d_]",
                 "(", ")", "()", "%1", "%2", "%b()", "%f[%w]", "%f[%s]", "^", "$", "*", "+", "-", "?", "%", "[", "]",
                 "%.", "%%", "x", " ", "\\0", "1"]
SUBJECTS = ["", "a", "abc", "aaa", "hello world", "a(b(c)d)e", "x = 1, y = 22", "a\\0b", "  trim  ", "AbC123_!?",
            "((()))", "ab ab ab", "one two", "%d%s", "1.5e3"]
SUBJECT_BYTES = ["a", "b", "(", ")", " ", "1", "\\0", "%", ".", "x", "A", "\\n", "\\r", '"', "\\\\", "\\200"]
FORMAT_ATOMS = ["%d", "%5d", "%-5d", "%05d", "%+d", "% d", "%.3d", "%x", "%X", "%#x", "%o", "%#o", "%u", "%c", "%e",
                "%.2e", "%E", "%f", "%.1f", "%10.3f", "%g", "%.3g", "%#g", "%G", "%s", "%10s", "%-10s", "%.2s", "%q",
                "%%", "%i", "abc", " ", "|", "%+.2f", "%08.3f", "%-+8.2e", "% g", "%#.0f", "%#.0e", "%.0g"]
NUMBERS = ["999999.5", "0.5", "1.5", "2.5e-5", "9.9999995", "1e21", "1e22", "123.456", "5e-324",
           "1.7976931348623157e308", "0.1+0.2", "0", "1", "-1", "2.5", "-2.5", "0.1", "1e10", "1e-5", "123456789",
           "1e300", "-0.5", "255", "65", "3.99", "1/3", "2^53", "2^63", "-2^63", "1e15", "1e16", "'12'", "' 7 '",
           "'0x10'", "'abc'", "nil", "1/0", "-1/0", "100000", "0.00001234"]


def lua_string(s):
    return "'" + s.replace("'", "\\'") + "'"


class Generator:
    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def pattern(self):
        return "".join(self.rnd.choice(PATTERN_ATOMS) for _ in range(self.rnd.randint(0, 8)))

    def subject(self):
        if self.rnd.random() < 0.5:
            return self.rnd.choice(SUBJECTS)
        return "".join(self.rnd.choice(SUBJECT_BYTES) for _ in range(self.rnd.randint(0, 10)))

    def format_spec(self):
        r = self.rnd
        if r.random() < 0.5:
            return r.choice(FORMAT_ATOMS)
        flags = "".join(r.choice("-+ #0") for _ in range(r.randint(0, 3)))
        width = r.choice(["", "1", "5", "12", "30"])
        precision = r.choice(["", ".", ".0", ".1", ".3", ".10", ".17", ".25"])
        return "%" + flags + width + precision + r.choice("diouxXeEfgGcsq")

    def numbers(self, most):
        return ", ".join(self.rnd.choice(NUMBERS) for _ in range(self.rnd.randint(0, most)))

    def script(self):
        r = self.rnd
        s, p = lua_string(self.subject()), lua_string(self.pattern())
        kind = r.randint(0, 10)
        if kind == 0:
            return f"return {{string.find({s}, {p})}}"
        if kind == 1:
            return f"return {{string.find({s}, {p}, {r.choice(['1', '2', '-1', '-3', '10', '0', 'nil'])})}}"
        if kind == 2:
            return f"return {{string.match({s}, {p})}}"
        if kind == 3:
            return (f"local t = {{}} for a, b in string.gmatch({s}, {p}) do "
                    f"t[#t+1] = tostring(a) .. '/' .. tostring(b) end return t")
        if kind == 4:
            repl = lua_string(r.choice(["x", "%0", "%1", "<%1>", "%2", "%%", "", "%"]))
            return f"return {{string.gsub({s}, {p}, {repl})}}"
        if kind == 5:
            limit = r.choice(["nil", "1", "2", "0"])
            return f"return {{string.gsub({s}, {p}, function(a, b) return tostring(a) .. tostring(b) end, {limit})}}"
        if kind == 6:
            return f"return {{string.gsub({s}, {p}, {{a = 'A', b = false, [1] = 'one'}})}}"
        if kind in (7, 8):
            fmt = lua_string("".join(self.format_spec() for _ in range(r.randint(1, 3))))
            args = self.numbers(3)
            return f"return string.format({fmt}{', ' + args if args else ''})"
        if kind == 9:
            return f"return string.format('%q', {s})"
        f = r.choice(["sub", "byte", "rep", "len", "upper", "lower", "reverse", "char"])
        if f == "char":
            return f"return {{string.char({self.numbers(3)})}}"
        # Big repetitions would take Redis seconds (or all its memory).
        args = r.choice(["0", "1", "2", "-1", "2.5", "'3'", "nil", "'x'"]) if f == "rep" else self.numbers(2)
        return f"return {{string.{f}({s}{', ' + args if args else ''})}}"


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    if not os.path.exists(EMULATOR):
        sys.exit(f"{EMULATOR} not found: cargo build -p redis-emulator-server")
    redis_port, emulator_port = free_port(), free_port()
    servers = [
        start(["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"], redis_port),
        start([EMULATOR, "--port", str(emulator_port)], emulator_port),
    ]
    try:
        redis, emulator = Client(redis_port), Client(emulator_port)
        gen = Generator(seed)
        differences = 0
        for _ in range(count):
            script = gen.script()
            expected, actual = redis.eval(script), emulator.eval(script)
            if expected != actual:
                differences += 1
                print(repr(script))
                print("  redis:   ", expected[:300])
                print("  emulator:", actual[:300])
        print(f"{differences} differences in {count} scripts (seed {seed})")
        return 1 if differences else 0
    finally:
        for proc in servers:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
