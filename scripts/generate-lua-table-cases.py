#!/usr/bin/env python3
"""Generate random table-workout cases for the Lua VM (fixed seed, reproducible) into
crates/lua/tests/scripts/cases.txt, replacing earlier `table_random_*` cases. Each script
inserts and deletes random string, integer, float and boolean keys, then returns the
`pairs` order, `#t` and a few lookups, so that recording them on redis-server
(scripts/record-lua-cases.py) pins the table layout of Lua 5.1.5 down.

    python3 scripts/generate-lua-table-cases.py && python3 scripts/record-lua-cases.py
"""

import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "crates", "lua", "tests", "scripts", "cases.txt")
COUNT = 40


def key(rng):
    kind = rng.random()
    if kind < 0.45:
        return "'%s%d'" % (rng.choice("abkxyz"), rng.randrange(60))
    if kind < 0.85:
        return str(rng.randrange(-3, 80))
    if kind < 0.95:
        return "%d.5" % rng.randrange(20)
    return rng.choice(["true", "false"])


def script(rng):
    lines = ["local t = {%s}" % ", ".join(str(rng.randrange(100)) for _ in range(rng.randrange(6)))]
    for _ in range(rng.randrange(5, 90)):
        r = rng.random()
        if r < 0.7:
            lines.append("t[%s] = %d" % (key(rng), rng.randrange(1000)))
        elif r < 0.9:
            lines.append("t[%s] = nil" % key(rng))
        else:
            lines.append("t[#t + 1] = 'tail'")
    lines.append("local o = {#t}")
    lines.append("for k, v in pairs(t) do o[#o + 1] = tostring(k) .. '=' .. tostring(v) end")
    lines.append("return o")
    return "\n".join(lines)


def main():
    with open(CASES) as f:
        text = f.read()
    kept = []
    for block in text.split("\n=== "):
        if block.startswith("table_random_") or block.startswith("=== table_random_"):
            continue
        kept.append(block)
    text = "\n=== ".join(kept).rstrip("\n") + "\n"
    rng = random.Random(5151)
    for i in range(COUNT):
        text += "=== table_random_%d\n%s\n" % (i, script(rng))
    with open(CASES, "w") as f:
        f.write(text)
    print("wrote %d table cases" % COUNT)


if __name__ == "__main__":
    main()
