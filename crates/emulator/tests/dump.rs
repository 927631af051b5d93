//! DUMP / RESTORE beyond the golden cases: the engine API the page uses
//! (`Engine::dump_value`, `Engine::restore_value`) against the commands, round trips of
//! every encoding, and hostile payloads (random bytes, mutations of valid payloads) that
//! must never panic nor leave a value the commands trip over.

use proptest::prelude::*;
use redis_emulator::{cli, ClientInfo, Engine, ManualClock, Reply};

fn argv(line: &str) -> Vec<Vec<u8>> {
    cli::split_args(line.as_bytes()).expect("a valid line")
}

fn engine() -> (Engine, u64) {
    let clock = ManualClock::new(1_700_000_000_000);
    let mut e = Engine::new(Box::new(clock), 7);
    let c = e.connect(ClientInfo::default());
    (e, c)
}

fn run(e: &mut Engine, c: u64, line: &str) -> Reply {
    e.execute(c, &argv(line))
}

fn run_args(e: &mut Engine, c: u64, args: &[&[u8]]) -> Reply {
    let v: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
    e.execute(c, &v)
}

/// Keys of every type and encoding (small and large forms).
const DATASET: &[&str] = &[
    "SET s1 12",
    "SET s2 hello",
    "SET s3 12345678901234",
    "EVAL \"redis.call('set', KEYS[1], string.rep('abc', 100)) return 1\" 1 s4",
    "RPUSH l1 a 1 -70000 b",
    "EVAL \"for i=1,2000 do redis.call('rpush', KEYS[1], 'item' .. i) end return 1\" 1 l2",
    "SADD set1 1 2 3",
    "SADD set2 a b c",
    "HSET h1 f v g 1",
    "EVAL \"for i=1,600 do redis.call('hset', KEYS[1], 'f' .. i, i) end return 1\" 1 h2",
    "ZADD z1 1 a 2.5 b",
    "EVAL \"for i=1,300 do redis.call('zadd', KEYS[1], i / 3, 'm' .. i) end return 1\" 1 z2",
    "XADD st 1-0 a 1",
    "XADD st 2-0 a 2 b 3",
    "XADD st 3-0 a 4",
    "XDEL st 2-0",
    "XGROUP CREATE st g 0",
    "XREADGROUP GROUP g alice COUNT 1 STREAMS st >",
    "XGROUP CREATECONSUMER st g bob",
];

const KEYS: &[&str] = &[
    "s1", "s2", "s3", "s4", "l1", "l2", "set1", "set2", "h1", "h2", "z1", "z2", "st",
];

/// What a key holds, read in a way that does not depend on hashtable order.
fn contents(e: &mut Engine, c: u64, key: &str) -> String {
    let kind = cli::render(&run(e, c, &format!("TYPE {key}")));
    let read = match kind.trim().trim_matches('"') {
        "string" => format!("GET {key}"),
        "list" => format!("LRANGE {key} 0 -1"),
        "set" => format!("SORT {key} ALPHA"),
        "zset" => format!("ZRANGE {key} 0 -1 WITHSCORES"),
        "hash" => format!("HLEN {key}"),
        "stream" => format!("XINFO STREAM {key} FULL"),
        _ => return kind,
    };
    let kind_is_hash = kind.trim() == "hash";
    let mut out = kind;
    out += &cli::render(&run(e, c, &read));
    out += &cli::render(&run(e, c, &format!("OBJECT ENCODING {key}")));
    if kind_is_hash {
        let mut pairs: Vec<String> = Vec::new();
        let fields = run(e, c, &format!("HKEYS {key}"));
        if let Reply::Array(items) = fields {
            for f in items {
                if let Reply::Bulk(f) = f {
                    let v = run_args(e, c, &[b"HGET", key.as_bytes(), &f]);
                    pairs.push(format!(
                        "{}={}",
                        String::from_utf8_lossy(&f),
                        cli::render(&v)
                    ));
                }
            }
        }
        pairs.sort();
        out += &pairs.join(",");
    }
    out
}

#[test]
fn the_api_is_what_the_commands_do() {
    let (mut e, c) = engine();
    for line in DATASET {
        assert!(!run(&mut e, c, line).is_error(), "{line}");
    }
    for key in KEYS {
        let payload = e.dump_value(0, key.as_bytes()).expect("the key exists");
        assert_eq!(
            run(&mut e, c, &format!("DUMP {key}")),
            Reply::Bulk(payload.clone()),
            "{key}"
        );
        // Into another database through the API, then back with the command.
        e.restore_value(3, key.as_bytes(), &payload, None)
            .expect("a valid payload");
        let before = contents(&mut e, c, key);
        run(&mut e, c, &format!("DEL {key}"));
        let restored = e.dump_value(3, key.as_bytes()).expect("restored");
        // The same bytes again, but for the order of a hashtable's entries (which
        // depends on the table's history, in Redis too).
        if !before.contains("hashtable") {
            assert_eq!(
                restored, payload,
                "{key}: the same bytes after a round trip"
            );
        }
        let reply = run_args(&mut e, c, &[b"RESTORE", key.as_bytes(), b"0", &payload]);
        assert_eq!(reply, Reply::ok(), "{key}");
        assert_eq!(contents(&mut e, c, key), before, "{key}");
    }
    assert_eq!(e.dump_value(0, b"nosuch"), None);
    assert_eq!(e.dump_value(99, b"s1"), None);
}

#[test]
fn the_api_sets_expiry_and_reports_errors() {
    let (mut e, c) = engine();
    run(&mut e, c, "SET k v");
    let payload = e.dump_value(0, b"k").expect("exists");
    let now = 1_700_000_000_000;
    e.restore_value(0, b"k2", &payload, Some(now + 5000))
        .expect("valid");
    assert_eq!(run(&mut e, c, "PTTL k2"), Reply::Integer(5000));
    // A time already past: no key, even where one was.
    e.restore_value(0, b"k2", &payload, Some(now))
        .expect("valid");
    assert_eq!(run(&mut e, c, "EXISTS k2"), Reply::Integer(0));
    let mut bad = payload.clone();
    bad[1] ^= 1;
    assert_eq!(
        e.restore_value(0, b"k3", &bad, None),
        Err("ERR DUMP payload version or checksum are wrong".to_string())
    );
    assert!(e.restore_value(99, b"k3", &payload, None).is_err());
    // The API counts no command.
    let calls = cli::render(&run(&mut e, c, "INFO commandstats"));
    assert!(!calls.contains("cmdstat_restore"), "{calls}");
}

/// Appends a valid footer (RDB version 10 and the CRC64 of everything before it).
fn with_footer(mut body: Vec<u8>) -> Vec<u8> {
    body.extend_from_slice(&10u16.to_le_bytes());
    let crc = redis_emulator::rdb::crc64(0, &body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

/// The payloads of DATASET, to mutate.
fn valid_payloads() -> Vec<Vec<u8>> {
    let (mut e, c) = engine();
    for line in DATASET {
        run(&mut e, c, line);
    }
    KEYS.iter()
        .map(|k| e.dump_value(0, k.as_bytes()).expect("exists"))
        .collect()
}

/// Restores `payload` (with a fixed footer) and, if it loads, uses the value: reads,
/// writes, DUMP and a reload of that DUMP, which must give the same bytes again.
fn exercise(payload: &[u8]) {
    let (mut e, c) = engine();
    let body = payload[..payload.len().saturating_sub(10)].to_vec();
    for candidate in [payload.to_vec(), with_footer(body)] {
        if e.restore_value(0, b"k", &candidate, None).is_err() {
            continue;
        }
        for line in [
            "TYPE k",
            "OBJECT ENCODING k",
            "DUMP k",
            "GET k",
            "APPEND k x",
            "LRANGE k 0 -1",
            "LPUSH k x",
            "RPOP k",
            "SMEMBERS k",
            "SADD k x 1",
            "SPOP k",
            "HGETALL k",
            "HSET k x y",
            "ZRANGE k 0 -1 WITHSCORES",
            "ZADD k 1 x",
            "ZPOPMIN k",
            "XRANGE k - +",
            "XINFO STREAM k FULL",
            "XADD k * f v",
            "XTRIM k MAXLEN 1",
            "XAUTOCLAIM k g c 0 0",
        ] {
            run(&mut e, c, line);
        }
        // Whatever the commands made of it, its DUMP loads back to the same contents
        // (the encoding may differ, as in Redis: a hashtable of a few integers reloads
        // as an intset, an appended string as an embstr).
        if let Some(again) = e.dump_value(0, b"k") {
            e.restore_value(0, b"k2", &again, None)
                .expect("our own DUMP loads");
            let strip = |s: String| {
                let mut s = s;
                for encoding in [
                    "hashtable",
                    "intset",
                    "skiplist",
                    "listpack",
                    "embstr",
                    "raw",
                    "int",
                ] {
                    s = s.replace(encoding, "");
                }
                s
            };
            assert_eq!(
                strip(contents(&mut e, c, "k")),
                strip(contents(&mut e, c, "k2"))
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_payloads_never_panic(
        which in 0usize..KEYS.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut payload = valid_payloads()[which].clone();
        for (at, byte, kind) in edits {
            if payload.is_empty() {
                break;
            }
            let at = at % payload.len();
            match kind {
                0 => payload[at] = byte,
                1 => payload.truncate(at),
                _ => payload.insert(at, byte),
            }
        }
        exercise(&payload);
    }
}
