#!/usr/bin/env python3
"""Drives the native server with a real client, redis-py, through the pub/sub flow of the
source documents (seed 003: a subscriber on `holberton school channel` that stops on
`KILL_SERVER`, a publisher sending messages with delays), then pattern subscriptions and
keyspace notifications. RESP3 (redis-py's default since 8) and RESP2 both.

    python3 redis_py_pubsub.py HOST:PORT

Exits non-zero with a message on the first difference from what Redis 7.0 replies
(the same script passes against a real redis-server 7.0: run it with its port)."""

import sys
import threading
import time

import redis

CHANNEL = "holberton school channel"


def check(what, got, want):
    if got != want:
        sys.exit(f"FAIL {what}:\n  got  {got!r}\n  want {want!r}")


def seed_flow(host, port, protocol):
    """5-subscriber.js and 5-publisher.js, in Python."""
    sub = redis.Redis(host=host, port=port, protocol=protocol, decode_responses=True)
    pub = redis.Redis(host=host, port=port, protocol=protocol, decode_responses=True)
    pubsub = sub.pubsub()
    pubsub.subscribe(CHANNEL)
    first = pubsub.get_message(timeout=2)
    check("subscribe confirmation", (first or {}).get("type"), "subscribe")
    received = []

    def subscriber():
        while True:
            m = pubsub.get_message(timeout=3)
            if m is None:
                received.append("<timeout>")
                return
            if m["type"] != "message":
                continue
            received.append(m["data"])
            if m["data"] == "KILL_SERVER":
                pubsub.unsubscribe(CHANNEL)
                pubsub.close()
                return

    t = threading.Thread(target=subscriber)
    t.start()
    counts = []

    def publish_message(message, delay_ms):
        time.sleep(delay_ms / 1000)
        counts.append((message, pub.publish(CHANNEL, message)))

    timers = [
        threading.Thread(target=publish_message, args=args)
        for args in [
            ("Holberton Student #1 starts course", 100),
            ("Holberton Student #2 starts course", 200),
            ("KILL_SERVER", 300),
            ("Holberton Student #3 starts course", 400),
        ]
    ]
    for timer in timers:
        timer.start()
    for timer in timers:
        timer.join()
    t.join()
    check(
        "messages the subscriber logged",
        received,
        ["Holberton Student #1 starts course", "Holberton Student #2 starts course", "KILL_SERVER"],
    )
    # Three messages reached one subscriber; the fourth came after it left.
    check("receivers per PUBLISH", [n for _, n in counts], [1, 1, 1, 0])
    check("numsub after", pub.pubsub_numsub(CHANNEL), [(CHANNEL, 0)])


def patterns_and_notifications(host, port, protocol):
    r = redis.Redis(host=host, port=port, protocol=protocol, decode_responses=True)
    r.flushall()
    p = r.pubsub()
    p.psubscribe("news.*")
    check("psubscribe", p.get_message(timeout=2)["type"], "psubscribe")
    check("publish to pattern", r.publish("news.tech", "rust"), 1)
    m = p.get_message(timeout=2)
    check("pmessage", (m["type"], m["pattern"], m["channel"], m["data"]), ("pmessage", "news.*", "news.tech", "rust"))
    check("numpat", r.pubsub_numpat(), 1)
    p.punsubscribe()
    check("punsubscribe", p.get_message(timeout=2)["type"], "punsubscribe")

    r.config_set("notify-keyspace-events", "KEA")
    check("config get", r.config_get("notify-keyspace-events"), {"notify-keyspace-events": "AKE"})
    p.psubscribe("__key*__:*")
    p.get_message(timeout=2)
    r.set("k", "v")
    r.lpush("l", "a")
    r.delete("k")
    got = []
    for _ in range(6):
        m = p.get_message(timeout=2)
        got.append((m["channel"], m["data"]))
    check(
        "keyspace notifications",
        got,
        [
            ("__keyspace@0__:k", "set"),
            ("__keyevent@0__:set", "k"),
            ("__keyspace@0__:l", "lpush"),
            ("__keyevent@0__:lpush", "l"),
            ("__keyspace@0__:k", "del"),
            ("__keyevent@0__:del", "k"),
        ],
    )
    r.config_set("notify-keyspace-events", "")
    p.close()


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    port = int(port)
    for protocol in (3, 2):
        seed_flow(host, port, protocol)
        patterns_and_notifications(host, port, protocol)
    print("redis-py pub/sub flows: ok")


if __name__ == "__main__":
    main()
