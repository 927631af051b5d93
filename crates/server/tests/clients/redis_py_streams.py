#!/usr/bin/env python3
"""Drives the native server with a real client, redis-py, through the stream flows of the
source documents: a producer, a reader blocked in XREAD BLOCK woken from another
connection, three workers of one consumer group, recovery of a dead worker's entries
with XPENDING + XCLAIM and XAUTOCLAIM, MULTI/EXEC. RESP3 (redis-py's default since 8)
and RESP2 both.

    python3 redis_py_streams.py HOST:PORT

Exits non-zero with a message on the first difference from what Redis 7.0 replies
(the same script passes against a real redis-server 7.0: run it with its port)."""

import sys
import threading
import time

import redis


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}:\n  got  {got!r}\n  want {want!r}")


def run(host, port, protocol):
    r = redis.Redis(host=host, port=port, protocol=protocol, decode_responses=True)
    r.flushall()
    check("ping", r.ping(), True)

    # Producer and XRANGE / XREVRANGE.
    for i in range(1, 6):
        r.xadd("orders", {"item": f"book-{i}", "qty": str(i)}, id=f"{i}-0")
    check("xlen", r.xlen("orders"), 5)
    check("xrange count", r.xrange("orders", "-", "+", count=2),
          [("1-0", {"item": "book-1", "qty": "1"}), ("2-0", {"item": "book-2", "qty": "2"})])
    check("xrevrange", r.xrevrange("orders", "+", "(4-0"), [("5-0", {"item": "book-5", "qty": "5"})])

    # A reader blocked in XREAD BLOCK, woken by another connection's XADD.
    got = {}

    def reader():
        conn = redis.Redis(host=host, port=port, protocol=protocol, decode_responses=True)
        got["reply"] = conn.xread({"orders": "$"}, block=0)

    t = threading.Thread(target=reader)
    t.start()
    time.sleep(0.3)
    check("reader still blocked", t.is_alive(), True)
    r.xadd("orders", {"item": "late"}, id="6-0")
    t.join(5)
    check("reader woken", t.is_alive(), False)
    entries = [("6-0", {"item": "late"})]
    want = {"orders": [entries]} if protocol == 3 else [["orders", entries]]
    check("xread block reply", got["reply"], want)

    # A timeout returns nothing.
    start = time.monotonic()
    check("xread timeout", r.xread({"orders": "$"}, block=200), {} if protocol == 3 else [])
    waited = time.monotonic() - start
    if not 0.19 <= waited < 2:
        sys.exit(f"FAIL xread timeout took {waited:.3f}s")

    # Three workers share a group: each entry is delivered once.
    r.xgroup_create("jobs", "workers", id="$", mkstream=True)
    delivered = []
    lock = threading.Lock()

    def worker(name):
        conn = redis.Redis(host=host, port=port, protocol=protocol, decode_responses=True)
        reply = conn.xreadgroup("workers", name, {"jobs": ">"}, count=1, block=5000)
        streams = reply.items() if protocol == 3 else reply
        for _stream, msgs in streams:
            for batch in (msgs if protocol == 3 else [msgs]):
                for msg_id, _fields in batch:
                    with lock:
                        delivered.append((name, msg_id))

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for i, th in enumerate(threads):
        th.start()
        time.sleep(0.15)
    for i in range(1, 4):
        r.xadd("jobs", {"n": str(i)}, id=f"{i}-0")
    for th in threads:
        th.join(5)
    check("each job once", sorted(d[1] for d in delivered), ["1-0", "2-0", "3-0"])
    check("first blocked, first served", sorted(delivered), [("w0", "1-0"), ("w1", "2-0"), ("w2", "3-0")])

    # w1 dies without acking: XPENDING shows it, XCLAIM moves the entry to w0.
    r.xack("jobs", "workers", "1-0", "3-0")
    summary = r.xpending("jobs", "workers")
    check("xpending summary", (summary["pending"], summary["min"], summary["max"]), (1, "2-0", "2-0"))
    check("xpending consumers", summary["consumers"], [{"name": "w1", "pending": 1}])
    claimed = r.xclaim("jobs", "workers", "w0", min_idle_time=0, message_ids=["2-0"])
    check("xclaim", claimed, [("2-0", {"n": "2"})])
    detail = r.xpending_range("jobs", "workers", min="-", max="+", count=10)
    check("owner after claim", [(d["message_id"], d["consumer"], d["times_delivered"]) for d in detail],
          [("2-0", "w0", 2)])
    auto = r.xautoclaim("jobs", "workers", "w2", min_idle_time=0, start_id="0-0")
    check("xautoclaim", auto, ["0-0", [("2-0", {"n": "2"})], []])
    check("delconsumer returns pending", r.xgroup_delconsumer("jobs", "workers", "w2"), 1)

    # XINFO as redis-py parses it.
    info = r.xinfo_stream("jobs")
    check("xinfo length", (info["length"], info["groups"], info["last-generated-id"]), (3, 1, "3-0"))
    groups = r.xinfo_groups("jobs")
    check("xinfo groups", [(g["name"], g["pending"], g["last-delivered-id"]) for g in groups],
          [("workers", 0, "3-0")])

    # MULTI/EXEC through a pipeline, and WATCH.
    p = r.pipeline(transaction=True)
    p.xadd("jobs", {"n": "4"}, id="4-0")
    p.xlen("jobs")
    check("multi/exec", p.execute(), ["4-0", 4])
    r.close()


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    for protocol in (3, 2):
        run(host, int(port), protocol)
    print("redis-py", redis.__version__, "stream flows: OK (RESP3 and RESP2)")


main()
