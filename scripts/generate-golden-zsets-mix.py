#!/usr/bin/env python3
"""Writes crates/emulator/tests/golden/cases/zsets-mix.txt: a seeded random mix of
sorted-set commands over a few keys (valid and invalid arguments, both encodings), for
the golden test to compare with a real Redis. Only commands whose reply does not depend
on randomness or hash order are generated (no ZRANDMEMBER with a choice, no ZSCAN of a
skiplist, no lex range over mixed scores: a skiplist answers those by its random levels).
Usage: python3 scripts/generate-golden-zsets-mix.py; then record the case."""
import os, random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates/emulator/tests/golden/cases/zsets-mix.txt")

rng = random.Random(20261123)
KEYS = ["z1", "z2", "z3", "s1", "str"]
MEMBERS = ["a", "b", "c", "d", "e", "f", "aa", "ab", "b1", '""', '"x y"', "10", "-1", '"\\xff"']
SCORES = ["0", "1", "-1", "2", "2.5", "-0.5", "0.1", "3", "10", "1e3", "-inf", "+inf", "(1", "(2.5", "x", "nan", "1e400", "0x10", '""']
INTS = ["0", "1", "-1", "2", "3", "-2", "5", "100", "-100", "x", "1.5", "9223372036854775807"]
LEX = ["-", "+", "[a", "(a", "[b", "(b", "[c", "(d", "[e", "[aa", "(ab", "a", '""', "[", "("]


def pick(xs):
    return rng.choice(xs)


def score():
    return pick(SCORES[:12]) if rng.random() < 0.85 else pick(SCORES)


def cmd():
    k = pick(KEYS[:3]) if rng.random() < 0.9 else pick(KEYS)
    r = rng.random()
    choices = [
        lambda: "ZADD %s %s%s" % (k, " ".join(rng.sample(["NX", "XX", "GT", "LT", "CH", "INCR"], rng.choice([0, 0, 0, 1, 1, 2]))) + " " if rng.random() < 0.4 else "",
                                 " ".join("%s %s" % (score(), pick(MEMBERS)) for _ in range(rng.randint(1, 3)))),
        lambda: "ZINCRBY %s %s %s" % (k, score(), pick(MEMBERS)),
        lambda: "ZREM %s %s" % (k, " ".join(pick(MEMBERS) for _ in range(rng.randint(1, 3)))),
        lambda: "ZSCORE %s %s" % (k, pick(MEMBERS)),
        lambda: "ZMSCORE %s %s %s" % (k, pick(MEMBERS), pick(MEMBERS)),
        lambda: "ZCARD %s" % k,
        lambda: "ZRANK %s %s" % (k, pick(MEMBERS)),
        lambda: "ZREVRANK %s %s" % (k, pick(MEMBERS)),
        lambda: "ZCOUNT %s %s %s" % (k, pick(SCORES), pick(SCORES)),
        lambda: "ZLEXCOUNT lx %s %s" % (pick(LEX), pick(LEX)),
        lambda: "ZADD lx %s" % " ".join("0 %s" % pick(MEMBERS) for _ in range(rng.randint(1, 3))),
        lambda: "ZREM lx %s" % pick(MEMBERS),
        lambda: "ZRANGE %s %s %s%s%s" % (k, pick(INTS), pick(INTS), " REV" if rng.random() < 0.3 else "", " WITHSCORES" if rng.random() < 0.5 else ""),
        lambda: "ZRANGE %s %s %s BYSCORE%s%s%s" % (k, pick(SCORES), pick(SCORES), " REV" if rng.random() < 0.3 else "",
                                                 " LIMIT %s %s" % (pick(INTS), pick(INTS)) if rng.random() < 0.4 else "", " WITHSCORES" if rng.random() < 0.5 else ""),
        lambda: "ZRANGE lx %s %s BYLEX%s%s" % (pick(LEX), pick(LEX), " REV" if rng.random() < 0.3 else "",
                                             " LIMIT %s %s" % (pick(INTS), pick(INTS)) if rng.random() < 0.4 else ""),
        lambda: "ZREVRANGEBYSCORE %s %s %s%s" % (k, pick(SCORES), pick(SCORES), " WITHSCORES" if rng.random() < 0.5 else ""),
        lambda: "ZRANGEBYLEX lx %s %s" % (pick(LEX), pick(LEX)),
        lambda: "ZREVRANGEBYLEX lx %s %s" % (pick(LEX), pick(LEX)),
        lambda: "ZREMRANGEBYRANK %s %s %s" % (k, pick(INTS), pick(INTS)),
        lambda: "ZREMRANGEBYSCORE %s %s %s" % (k, pick(SCORES), pick(SCORES)),
        lambda: "ZREMRANGEBYLEX lx %s %s" % (pick(LEX), pick(LEX)),
        lambda: "ZPOPMIN %s%s" % (k, " " + pick(INTS[:8]) if rng.random() < 0.5 else ""),
        lambda: "ZPOPMAX %s%s" % (k, " " + pick(INTS[:8]) if rng.random() < 0.5 else ""),
        lambda: "ZMPOP 2 %s %s %s%s" % (k, pick(KEYS), pick(["MIN", "MAX", "min", "FOO"]), " COUNT %s" % pick(INTS[:8]) if rng.random() < 0.5 else ""),
        lambda: "%s %d %s%s%s" % (pick(["ZUNION", "ZINTER"]), 2, " ".join(rng.sample(KEYS[:4], 2)),
                                  " WEIGHTS %s %s" % (pick(INTS[:6]), pick(["1", "0.5", "-1", "2"])) if rng.random() < 0.4 else "",
                                  " AGGREGATE %s" % pick(["SUM", "MIN", "MAX"]) + " WITHSCORES"),
        lambda: "ZDIFF 2 %s WITHSCORES" % " ".join(rng.sample(KEYS[:4], 2)),
        lambda: "%s %s 2 %s" % (pick(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), pick(KEYS[:3]), " ".join(rng.sample(KEYS[:4], 2))),
        lambda: "ZINTERCARD 2 %s%s" % (" ".join(rng.sample(KEYS[:4], 2)), " LIMIT %s" % pick(INTS[:6]) if rng.random() < 0.5 else ""),
        lambda: "ZRANGESTORE %s %s %s %s" % (pick(KEYS[:3]), k, pick(INTS[:8]), pick(INTS[:8])),
        lambda: "ZRANDMEMBER %s %s WITHSCORES" % (k, pick(["0", "100", "-0"])),
        lambda: "OBJECT ENCODING %s" % k,
        lambda: "CONFIG SET zset-max-listpack-entries %s" % pick(["0", "2", "4", "128"]),
    ]
    weights = [10, 3, 4, 2, 1, 1, 2, 1, 2, 1, 3, 1, 4, 4, 2, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 1, 2, 1, 1, 1, 2, 1]
    return rng.choices(choices, weights)[0]()


lines = ["# Generated by scripts/generate-golden-zsets-mix.py (seeded): a random mix of sorted-set",
         "# commands over a few keys, both encodings, valid and invalid arguments.",
         "SADD s1 a c e 10", "SET str x"]
for _ in range(1500):
    lines.append(cmd())
lines.append("CONFIG SET zset-max-listpack-entries 128")
for k in KEYS[:3] + ["lx"]:
    lines.append("ZRANGE %s 0 -1 WITHSCORES" % k)
open(OUT, "w").write("\n".join(lines) + "\n")
print("wrote", OUT, len(lines), "lines")
