#!/usr/bin/env python3
"""Record what PUC Lua 5.1.5 itself (Debian's `lua5.1`, the code Redis 7.0 embeds) prints
for the Lua VM's plain cases: scripts that need a global namespace without Redis's
protection (so that `attempt to call global 'f' (a nil value)` can happen).

    python3 scripts/record-lua51-plain.py

Reads crates/lua/tests/scripts/plain_cases.txt (cases separated by `=== <name>` lines),
loads each as chunk `@user_script`, runs it under pcall, and writes
crates/lua/tests/scripts/plain_recorded.txt: per case `=== <name>`, then `ok` and one
`tostring` line per result, or `error` and the message (escaped: \\\\, \\n, \\xHH).
"""

import os
import subprocess
import sys

from lua_cases import read_cases

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "crates", "lua", "tests", "scripts")

DRIVER = r"""
local src = io.read('*a')
local function escape(s)
  local out = {}
  for i = 1, #s do
    local c = s:sub(i, i)
    local b = c:byte()
    if c == '\\' then out[#out + 1] = '\\\\'
    elseif c == '\n' then out[#out + 1] = '\\n'
    elseif b < 32 or b > 126 then out[#out + 1] = string.format('\\x%02x', b)
    else out[#out + 1] = c end
  end
  return table.concat(out)
end
local f, e = loadstring(src, '@user_script')
if not f then print('error') print(escape(e)) return end
local r = {pcall(f)}
if not r[1] then print('error') print(escape(tostring(r[2]))) return end
print('ok')
for i = 2, table.maxn(r) do print(escape(tostring(r[i]))) end
"""


def main():
    cases = read_cases(os.path.join(DIR, "plain_cases.txt"))
    lines = []
    for name, src in cases:
        out = subprocess.run(["lua5.1", "-e", DRIVER], input=src, capture_output=True, check=True).stdout
        lines.append("=== " + name)
        lines.extend(out.decode().rstrip("\n").split("\n"))
    with open(os.path.join(DIR, "plain_recorded.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("recorded %d cases" % len(cases))


if __name__ == "__main__":
    sys.exit(main())
