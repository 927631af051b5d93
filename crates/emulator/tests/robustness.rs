//! Robustness: random inputs must never panic the emulator, and a few invariants hold
//! for any input.
//!
//! - Random argument vectors (real command and subcommand names, random case, with
//!   numbers, huge numbers, floats, option keywords, empty and binary arguments) run on
//!   an engine in sequences, across two clients and moving virtual time: every reply
//!   encodes to well-formed RESP2 (RESP2 types only) and RESP3, renders like redis-cli,
//!   and the same sequence replays to the same replies (determinism).
//!   Stream commands get their own generator as well (IDs and special IDs, stream
//!   keywords, group and consumer names, well-formed XADD / XGROUP CREATE / XREADGROUP /
//!   XREAD, blocking ones included), so that every X* command meets streams with groups,
//!   consumers and pending entries; blocked readers' replies (served or timed out as the
//!   clock moves) are checked too.
//! - Random console lines go through `cli::split_args`, `cli::hint`, `cli::complete`;
//!   arguments quoted with `cli::quote_bytes` split back to themselves.
//! - Random bytes and truncated requests go through `resp::parse_request`: it never
//!   claims more bytes than it was given, a strict prefix of a request is incomplete,
//!   and a request followed by more bytes parses the same.
//!
//! Case counts are bounded so the whole file runs in a few seconds.

use proptest::prelude::*;
use redis_emulator::resp::{
    parse_request, parse_request_into, request_ready, Parse, Parsed, Scan, DEFAULT_MAX_BULK,
};
use redis_emulator::{cli, table, ClientInfo, Engine, ManualClock, Protocol, Reply};

const T0: i64 = 1_700_000_000_000;

/// Cases per property: the given default, or `ROBUSTNESS_SCALE` times it for a longer hunt
/// (`ROBUSTNESS_SCALE=100 cargo test --release --test robustness`).
fn cases(default: u32) -> u32 {
    let scale = std::env::var("ROBUSTNESS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1u32);
    default.saturating_mul(scale.max(1))
}

// ---------------------------------------------------------------------------------------
// Generators

/// Every command name, and `container subcommand` pairs, from the command table, with
/// the arity to aim for (Redis's convention: the names count).
fn command_names() -> Vec<(Vec<Vec<u8>>, i32)> {
    let mut out = Vec::new();
    for spec in table::all() {
        out.push((vec![spec.name.as_bytes().to_vec()], spec.arity));
        for sub in spec.subcommands {
            out.push((
                vec![spec.name.as_bytes().to_vec(), sub.name.as_bytes().to_vec()],
                sub.arity,
            ));
        }
    }
    out
}

const KEYWORDS: &[&str] = &[
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "NX",
    "XX",
    "GT",
    "LT",
    "GET",
    "KEEPTTL",
    "PERSIST",
    "IDX",
    "LEN",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "MATCH",
    "COUNT",
    "TYPE",
    "LIMIT",
    "WITHSCORES",
    "REPLACE",
    "DB",
    "ASYNC",
    "SYNC",
    "ABSTTL",
    "IDLETIME",
    "FREQ",
    "CH",
    "INCR",
    "AUTH",
    "SETNAME",
    "default",
    "string",
    "list",
    "maxmemory",
    "maxmemory-policy",
    "set-max-intset-entries",
    "allkeys-random",
    "allkeys-lru",
    "volatile-ttl",
    "*",
    "k*",
    "[a-",
    "\\",
    "?",
    // Hashes.
    "WITHVALUES",
    "hash-max-listpack-entries",
    "hash-max-listpack-value",
    "hash-max-ziplist-value",
    // Sorted sets.
    "BYSCORE",
    "BYLEX",
    "REV",
    "WEIGHTS",
    "AGGREGATE",
    "SUM",
    "MIN",
    "MAX",
    "(1",
    "[a",
    "(a",
    "-",
    "+",
    "zset-max-listpack-entries",
    "zset-max-listpack-value",
    // Lists and SORT.
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "RANK",
    "MAXLEN",
    "BY",
    "ALPHA",
    "ASC",
    "DESC",
    "STORE",
    "nosort",
    "w_*",
    "#",
    "*->f",
    "k*->",
    // Streams.
    "STREAMS",
    "GROUP",
    "BLOCK",
    "NOACK",
    "MKSTREAM",
    "NOMKSTREAM",
    "MINID",
    "~",
    "=",
    "ENTRIESREAD",
    "ENTRIESADDED",
    "MAXDELETEDID",
    "IDLE",
    "TIME",
    "RETRYCOUNT",
    "FORCE",
    "JUSTID",
    "LASTID",
    "FULL",
    "CREATE",
    "SETID",
    "DESTROY",
    "CREATECONSUMER",
    "DELCONSUMER",
    "CONSUMERS",
    "GROUPS",
    "STREAM",
    "HELP",
    "$",
    ">",
    "stream-node-max-entries",
    "stream-node-max-bytes",
];

/// Stream IDs, well-formed and not, and the special ones (`*`, `$`, `>`, `-`, `+`,
/// exclusive `(` ranges, `<ms>-*`).
const STREAM_IDS: &[&str] = &[
    "0",
    "0-0",
    "0-1",
    "1",
    "1-0",
    "1-1",
    "1-2",
    "2-0",
    "5-5",
    "1700000000000-0",
    "1700000000001-3",
    "*",
    "1-*",
    "0-*",
    "$",
    ">",
    "-",
    "+",
    "(0-0",
    "(1-1",
    "(-",
    "(+",
    "(1",
    "18446744073709551615-18446744073709551615",
    "18446744073709551615-18446744073709551614",
    "18446744073709551615-*",
    "18446744073709551615",
    "18446744073709551616-0",
    "0-18446744073709551616",
    "1-18446744073709551615",
    "-1",
    "1-",
    "-1-1",
    "1--1",
    "1-1-1",
    "1- 1",
    " 1-1",
    "a-b",
    "1.5-0",
    "9223372036854775807-0",
    "9223372036854775808-1",
];

/// Group and consumer names the stream commands meet each other with.
const STREAM_GROUPS: &[&str] = &["g", "g2"];
const STREAM_CONSUMERS: &[&str] = &["c", "c2", "alice"];

const STREAM_KEYS: &[&str] = &["s", "s", "s2", "k"];

/// Commands run before the random steps in half of the cases: streams with entries,
/// groups, consumers and pending entries (some of them deleted), for the random
/// commands to work on.
const STREAM_PRELUDE: &[&[&str]] = &[
    &["XADD", "s", "1-1", "f", "v"],
    &["XADD", "s", "1-2", "f", "v", "g", "w"],
    &["XADD", "s", "*", "n", "1"],
    &["XADD", "s2", "MAXLEN", "5", "*", "f", "v"],
    &["XGROUP", "CREATE", "s", "g", "0"],
    &["XGROUP", "CREATE", "s", "g2", "$"],
    &["XGROUP", "CREATE", "s2", "g", "0"],
    &[
        "XREADGROUP",
        "GROUP",
        "g",
        "c",
        "COUNT",
        "2",
        "STREAMS",
        "s",
        ">",
    ],
    &[
        "XREADGROUP",
        "GROUP",
        "g",
        "c2",
        "STREAMS",
        "s",
        "s2",
        ">",
        ">",
    ],
    &["XADD", "s", "*", "f", "v"],
    &["XDEL", "s", "1-2"],
    &["XGROUP", "CREATECONSUMER", "s", "g2", "alice"],
];

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "10",
    "100",
    "-100",
    "15",
    "16",
    "-0",
    "01",
    "+1",
    " 1",
    "1 ",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "4294967296",
    "2147483647",
    "-2147483648",
    "1.5",
    "-1.5",
    "0.1",
    "1e308",
    "1e309",
    "-1e309",
    "1e-320",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "0x10",
    "0x1p3",
    "5.",
    ".5",
    "1e",
    "e1",
    "3.0",
    "1_000",
];

/// Key names from a small set, so commands meet each other's keys.
const KEYS: &[&str] = &["k", "k1", "k2", "counter", "s", "{k}a"];

fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(|s| s.as_bytes().to_vec()),
        3 => prop::sample::select(NUMBERS).prop_map(|s| s.as_bytes().to_vec()),
        3 => prop::sample::select(KEYWORDS).prop_map(|s| s.as_bytes().to_vec()),
        2 => any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        2 => (-20i64..200).prop_map(|n| n.to_string().into_bytes()),
        1 => any::<f64>().prop_map(|f| f.to_string().into_bytes()),
        1 => Just(Vec::new()),
        2 => prop::collection::vec(any::<u8>(), 0..24),
        1 => "[a-zA-Z0-9 :*?\\[\\]^-]{0,12}".prop_map(String::into_bytes),
    ]
}

fn random_case(b: Vec<u8>, mask: u64) -> Vec<u8> {
    b.into_iter()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn argv() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let names = command_names();
    prop_oneof![
        // A real command, in random case, mostly with a valid number of arguments (the
        // first one usually a key), sometimes with any number.
        9 => (
            prop::sample::select(names),
            any::<u64>(),
            prop::collection::vec(arg(), 0..10),
            0usize..4,
            prop::sample::select(KEYS),
            prop::bool::weighted(0.8),
        )
            .prop_map(|((name, arity), mask, pool, extra, key, fit)| {
                let fixed = arity.unsigned_abs() as usize;
                let want = fixed.saturating_sub(name.len()) + if arity < 0 { extra } else { 0 };
                let mut v: Vec<Vec<u8>> = name.into_iter().map(|n| random_case(n, mask)).collect();
                let mut args: Vec<Vec<u8>> = if fit { pool.into_iter().cycle().take(want).collect() } else { pool };
                if fit && !args.is_empty() && mask & 1 == 0 {
                    args[0] = key.as_bytes().to_vec();
                }
                v.extend(args);
                v
            }),
        // Anything at all.
        1 => prop::collection::vec(arg(), 0..5),
    ]
}

/// Arguments for the stream commands: IDs, stream keywords, group and consumer names,
/// keys, small and odd numbers.
fn stream_arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        5 => prop::sample::select(STREAM_IDS).prop_map(|s| s.as_bytes().to_vec()),
        3 => prop::sample::select(STREAM_KEYS).prop_map(|s| s.as_bytes().to_vec()),
        2 => prop::sample::select(STREAM_GROUPS).prop_map(|s| s.as_bytes().to_vec()),
        2 => prop::sample::select(STREAM_CONSUMERS).prop_map(|s| s.as_bytes().to_vec()),
        3 => prop::sample::select(KEYWORDS).prop_map(|s| s.as_bytes().to_vec()),
        3 => prop::sample::select(NUMBERS).prop_map(|s| s.as_bytes().to_vec()),
        2 => (-3i64..20).prop_map(|n| n.to_string().into_bytes()),
        1 => any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        1 => (any::<u64>(), any::<u64>()).prop_map(|(a, b)| format!("{a}-{b}").into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..12),
    ]
}

/// Every stream command and subcommand, with stream-flavoured arguments; and well-formed
/// XADD, XGROUP CREATE, XREADGROUP (sometimes blocking) and XREAD calls so that the
/// others meet streams, groups, consumers, pending entries and blocked readers.
fn stream_argv() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let names: Vec<Vec<Vec<u8>>> = command_names()
        .into_iter()
        .map(|(n, _)| n)
        .filter(|n| n[0].first() == Some(&b'x'))
        .collect();
    let key = || prop::sample::select(STREAM_KEYS).prop_map(|s| s.to_string());
    let group = || prop::sample::select(STREAM_GROUPS).prop_map(|s| s.to_string());
    let consumer = || prop::sample::select(STREAM_CONSUMERS).prop_map(|s| s.to_string());
    let id = || prop::sample::select(STREAM_IDS).prop_map(|s| s.to_string());
    let block = || {
        prop::option::weighted(
            0.25,
            prop_oneof![1 => Just(0i64), 4 => 1i64..300, 1 => Just(-1), 1 => Just(i64::MAX)],
        )
    };
    let words = |v: Vec<String>| v.into_iter().map(String::into_bytes).collect::<Vec<_>>();
    prop_oneof![
        // Any stream command with any stream-flavoured arguments.
        8 => (prop::sample::select(names), any::<u64>(), prop::collection::vec(stream_arg(), 0..12), key())
            .prop_map(|(name, mask, args, key)| {
                let mut v: Vec<Vec<u8>> = name.into_iter().map(|n| random_case(n, mask)).collect();
                let is_container = v.len() == 2;
                v.extend(args);
                // The key where the command expects it, most of the time.
                let at = if is_container { 2 } else { 1 };
                if mask & 6 != 0 && v.len() > at {
                    v[at] = key.into_bytes();
                }
                v
            }),
        // Group commands on a key and group that likely exist: key group [consumer] args.
        4 => (prop::sample::select(&["XACK", "XPENDING", "XCLAIM", "XAUTOCLAIM", "XGROUP SETID", "XGROUP CREATECONSUMER",
              "XGROUP DELCONSUMER", "XGROUP DESTROY", "XINFO CONSUMERS"][..]),
              prop_oneof![4 => Just("s".to_string()), 1 => key()], group(), consumer(),
              prop_oneof![2 => Just("0".to_string()), 3 => (0i64..5000).prop_map(|n| n.to_string()), 1 => id()],
              prop::collection::vec(prop_oneof![2 => id(), 1 => stream_arg().prop_map(|a| String::from_utf8_lossy(&a).into_owned())], 0..3),
              prop::collection::vec(prop_oneof![
                  3 => prop::sample::select(&["IDLE", "TIME", "RETRYCOUNT", "FORCE", "JUSTID", "LASTID", "COUNT", "- + 10",
                      "- + 1", "IDLE 10 - + 5", "(1-1 + 2", "COUNT 2 JUSTID", "ENTRIESREAD 3"][..])
                      .prop_map(|s| s.split(' ').map(|w| w.as_bytes().to_vec()).collect::<Vec<_>>()),
                  2 => stream_arg().prop_map(|a| vec![a]),
              ], 0..4))
            .prop_map(move |(cmd, k, g, c, n, ids, opts)| {
                let rest: Vec<Vec<u8>> =
                    ids.into_iter().map(String::into_bytes).chain(opts.into_iter().flatten()).collect();
                let mut v: Vec<Vec<u8>> = cmd.split(' ').map(|w| w.as_bytes().to_vec()).collect();
                v.extend(words(vec![k, g]));
                if matches!(cmd, "XCLAIM" | "XAUTOCLAIM" | "XGROUP CREATECONSUMER" | "XGROUP DELCONSUMER") {
                    v.push(c.into_bytes());
                }
                if matches!(cmd, "XCLAIM" | "XAUTOCLAIM") {
                    v.push(n.into_bytes());
                }
                v.extend(rest);
                v
            }),
        // XADD key [trim] id field value
        4 => (key(), prop::option::of((prop::sample::select(&["MAXLEN", "MINID"][..]), prop::sample::select(&["", "=", "~"][..]), id())),
              prop_oneof![4 => Just("*".to_string()), 1 => id()], prop::collection::vec(stream_arg(), 1..4))
            .prop_map(move |(k, trim, id, fv)| {
                let mut v = words(vec!["XADD".into(), k]);
                if let Some((how, op, n)) = trim {
                    v.push(how.as_bytes().to_vec());
                    if !op.is_empty() {
                        v.push(op.as_bytes().to_vec());
                    }
                    v.push(n.into_bytes());
                }
                v.push(id.into_bytes());
                v.extend(fv.iter().cloned());
                if fv.len() % 2 == 1 {
                    v.push(b"v".to_vec());
                }
                v
            }),
        // XGROUP CREATE key group id [MKSTREAM]
        2 => (key(), group(), prop_oneof![Just("$".to_string()), Just("0".to_string()), id()], prop::bool::weighted(0.7))
            .prop_map(move |(k, g, id, mk)| {
                let mut v = words(vec!["XGROUP".into(), "CREATE".into(), k, g, id]);
                if mk {
                    v.push(b"MKSTREAM".to_vec());
                }
                v
            }),
        // XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS keys ids
        3 => (group(), consumer(), prop::option::of(0u8..5), block(), prop::bool::weighted(0.2),
              prop::collection::vec((key(), prop_oneof![3 => Just(">".to_string()), 1 => id()]), 1..3))
            .prop_map(move |(g, c, count, block, noack, streams)| {
                let mut v = words(vec!["XREADGROUP".into(), "GROUP".into(), g, c]);
                if let Some(n) = count {
                    v.extend(words(vec!["COUNT".into(), n.to_string()]));
                }
                if let Some(ms) = block {
                    v.extend(words(vec!["BLOCK".into(), ms.to_string()]));
                }
                if noack {
                    v.push(b"NOACK".to_vec());
                }
                v.push(b"STREAMS".to_vec());
                v.extend(streams.iter().map(|(k, _)| k.clone().into_bytes()));
                v.extend(streams.into_iter().map(|(_, id)| id.into_bytes()));
                v
            }),
        // XREAD [COUNT n] [BLOCK ms] STREAMS keys ids
        1 => (prop::option::of(0u8..5), block(), prop::collection::vec((key(), prop_oneof![Just("$".to_string()), id()]), 1..3))
            .prop_map(move |(count, block, streams)| {
                let mut v = vec![b"XREAD".to_vec()];
                if let Some(n) = count {
                    v.extend(words(vec!["COUNT".into(), n.to_string()]));
                }
                if let Some(ms) = block {
                    v.extend(words(vec!["BLOCK".into(), ms.to_string()]));
                }
                v.push(b"STREAMS".to_vec());
                v.extend(streams.iter().map(|(k, _)| k.clone().into_bytes()));
                v.extend(streams.into_iter().map(|(_, id)| id.into_bytes()));
                v
            }),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Run {
        second_client: bool,
        argv: Vec<Vec<u8>>,
    },
    Advance(i64),
    ActiveExpire(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        12 => (any::<bool>(), argv()).prop_map(|(second_client, argv)| Step::Run { second_client, argv }),
        6 => (any::<bool>(), stream_argv()).prop_map(|(second_client, argv)| Step::Run { second_client, argv }),
        1 => prop_oneof![0i64..2_000, Just(100_000_000i64)].prop_map(Step::Advance),
        1 => (0usize..50).prop_map(Step::ActiveExpire),
    ]
}

// ---------------------------------------------------------------------------------------
// A RESP reader, to check what the encoder writes

/// Reads one RESP value at `pos`; returns the position after it. `resp2` admits only
/// RESP2's five types.
fn read_value(b: &[u8], pos: usize, resp2: bool) -> Result<usize, String> {
    let kind = *b.get(pos).ok_or("value expected, end of buffer")?;
    let line_end = b[pos..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .ok_or("line without CRLF")?
        + pos;
    let line = &b[pos + 1..line_end];
    let after = line_end + 2;
    let number = || -> Result<i64, String> {
        std::str::from_utf8(line)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(format!("bad length {:?}", line))
    };
    if resp2 && !matches!(kind, b'+' | b'-' | b':' | b'$' | b'*') {
        return Err(format!("RESP3 type {:?} in a RESP2 reply", kind as char));
    }
    match kind {
        b'+' | b'-' | b'(' => {
            if line.contains(&b'\r') || line.contains(&b'\n') {
                return Err("CR or LF inside a line".into());
            }
            Ok(after)
        }
        b':' => number().map(|_| after),
        b',' => {
            let s = std::str::from_utf8(line).map_err(|e| e.to_string())?;
            if !matches!(s, "inf" | "-inf" | "nan") {
                s.parse::<f64>().map_err(|e| format!("double {s:?}: {e}"))?;
            }
            Ok(after)
        }
        b'#' => match line {
            b"t" | b"f" => Ok(after),
            _ => Err("bad boolean".into()),
        },
        b'_' if line.is_empty() => Ok(after),
        b'$' | b'=' => {
            let n = number()?;
            if n == -1 && kind == b'$' {
                return Ok(after);
            }
            if n < 0 {
                return Err(format!("negative length {n}"));
            }
            let end = after + n as usize;
            if b.get(end..end + 2) != Some(&b"\r\n"[..]) {
                return Err("bulk string not followed by CRLF".into());
            }
            if kind == b'=' && (n < 4 || b[after + 3] != b':') {
                return Err("verbatim string without its format".into());
            }
            Ok(end + 2)
        }
        b'*' | b'~' | b'>' | b'%' => {
            let n = number()?;
            if n == -1 && kind == b'*' {
                return Ok(after);
            }
            if n < 0 {
                return Err(format!("negative count {n}"));
            }
            let items = if kind == b'%' { n * 2 } else { n };
            let mut p = after;
            for _ in 0..items {
                p = read_value(b, p, resp2)?;
            }
            Ok(p)
        }
        other => Err(format!("unknown type byte {:?}", other as char)),
    }
}

fn check_encoding(reply: &Reply, argv: &[Vec<u8>]) -> Result<(), TestCaseError> {
    for proto in [Protocol::Resp2, Protocol::Resp3] {
        let bytes = reply.to_resp(proto);
        if matches!(reply, Reply::NoReply) {
            prop_assert!(bytes.is_empty());
            continue;
        }
        let end = read_value(&bytes, 0, proto == Protocol::Resp2).map_err(|e| {
            TestCaseError::fail(format!(
                "{proto:?} encoding of {reply:?} for {argv:?}: {e}: {:?}",
                String::from_utf8_lossy(&bytes)
            ))
        })?;
        prop_assert_eq!(
            end,
            bytes.len(),
            "trailing bytes after the reply to {:?}",
            argv
        );
        if proto == Protocol::Resp3 {
            prop_assert!(
                !contains_resp2_null(reply, &bytes),
                "RESP2 null in a RESP3 reply to {:?}",
                argv
            );
        }
    }
    // The console renders any reply.
    let _ = cli::render_for(argv, reply);
    Ok(())
}

/// Whether a RESP3 encoding starts with a RESP2 null (nulls must be `_`).
fn contains_resp2_null(reply: &Reply, bytes: &[u8]) -> bool {
    matches!(reply, Reply::Nil | Reply::NilArray) && bytes != b"_\r\n"
}

// ---------------------------------------------------------------------------------------
// Engine

fn run_steps(steps: &[Step]) -> Result<Vec<Reply>, TestCaseError> {
    let clock = ManualClock::new(T0);
    let mut e = Engine::new(Box::new(clock.clone()), 7);
    let a = e.connect(ClientInfo::default());
    let b = e.connect(ClientInfo::default());
    let mut replies = Vec::new();
    for s in steps {
        match s {
            Step::Run {
                second_client,
                argv,
            } => {
                let c = if *second_client { b } else { a };
                let reply = e.execute(c, argv);
                if argv.is_empty() {
                    prop_assert_eq!(&reply, &Reply::NoReply);
                }
                check_encoding(&reply, argv)?;
                // The protocol a front end reads after the command is always valid.
                let _ = e.protocol(c);
                replies.push(reply);
                take_outboxes(&mut e, argv, &mut replies)?;
            }
            Step::Advance(ms) => {
                clock.advance_ms(*ms);
                // Blocked readers whose deadline passed get their (timeout) reply.
                e.handle_timeouts();
                take_outboxes(&mut e, &[], &mut replies)?;
            }
            Step::ActiveExpire(limit) => {
                let n = e.active_expire(*limit);
                prop_assert!(n <= *limit);
            }
        }
    }
    Ok(replies)
}

/// Replies that reached clients outside their own `execute` (blocked readers served or
/// timed out) encode like any other, and join the replies compared for determinism.
fn take_outboxes(
    e: &mut Engine,
    argv: &[Vec<u8>],
    replies: &mut Vec<Reply>,
) -> Result<(), TestCaseError> {
    for (_, out) in e.take_outboxes() {
        for reply in out {
            check_encoding(&reply, argv)?;
            replies.push(reply);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(300), max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_commands_never_panic_and_replies_encode(prelude in any::<bool>(), steps in prop::collection::vec(step(), 1..40)) {
        let mut steps = steps;
        if prelude {
            let setup = STREAM_PRELUDE.iter().map(|argv| Step::Run {
                second_client: false,
                argv: argv.iter().map(|a| a.as_bytes().to_vec()).collect(),
            });
            steps.splice(0..0, setup);
        }
        let first = run_steps(&steps)?;
        // Same seed, same clock, same commands: same replies.
        let second = run_steps(&steps)?;
        prop_assert_eq!(first, second);
    }
}

// ---------------------------------------------------------------------------------------
// Any reply shape, including ones no command produces yet (nested maps, sets, pushes,
// doubles, verbatim strings), encodes and renders.

fn any_reply() -> impl Strategy<Value = Reply> {
    let leaf = prop_oneof![
        "[ -~]{0,12}".prop_map(Reply::Status), // status lines never hold CR or LF
        any::<String>().prop_map(Reply::Error),
        any::<i64>().prop_map(Reply::Integer),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(Reply::Bulk),
        Just(Reply::Nil),
        Just(Reply::NilArray),
        any::<f64>()
            .prop_filter("Redis never replies NaN", |d| !d.is_nan())
            .prop_map(Reply::Double),
        prop_oneof![
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.1),
            Just(-0.0),
            Just(1e-5)
        ]
        .prop_map(Reply::Double),
        any::<bool>().prop_map(Reply::Bool),
        (
            prop::sample::select(&["txt", "mkd"][..]),
            prop::collection::vec(any::<u8>(), 0..16)
        )
            .prop_map(|(f, t)| Reply::Verbatim(f, t)),
        "-?[1-9][0-9]{0,30}".prop_map(Reply::BigNumber),
        Just(Reply::Array(vec![])),
        Just(Reply::Map(vec![])),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Reply::Array),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Reply::Set),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Reply::Push),
            prop::collection::vec((inner.clone(), inner), 0..4).prop_map(Reply::Map),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(500), ..ProptestConfig::default() })]

    #[test]
    fn any_reply_encodes_and_renders(reply in any_reply(), raw in any::<bool>()) {
        let argv: Vec<Vec<u8>> = if raw { vec![b"INFO".to_vec()] } else { vec![b"GET".to_vec(), b"k".to_vec()] };
        check_encoding(&reply, &argv)?;
    }
}

#[test]
fn nan_doubles_do_not_panic() {
    for d in [f64::NAN, -f64::NAN] {
        let reply = Reply::Array(vec![Reply::Double(d)]);
        assert!(!reply.to_resp(Protocol::Resp2).is_empty());
        assert!(!reply.to_resp(Protocol::Resp3).is_empty());
        assert!(cli::render(&reply).starts_with("1) "));
    }
}

// ---------------------------------------------------------------------------------------
// Console helpers

fn console_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        "(SET|GET|CLIENT|CONFIG|OBJECT|set|client setname|COMMAND) [ -~]{0,30}",
        "[a-zA-Z\"' \\\\x0-9]{0,30}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(500), ..ProptestConfig::default() })]

    #[test]
    fn console_helpers_never_panic(line in console_line()) {
        let _ = cli::split_args(line.as_bytes());
        let _ = cli::hint(&line);
        let _ = cli::help_text(&line);
        let lower = line.to_ascii_lowercase();
        for name in cli::complete(&line) {
            prop_assert!(name.to_ascii_lowercase().starts_with(&lower), "{name} for {line:?}");
        }
    }

    #[test]
    fn split_args_never_panics_on_bytes(line in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Some(args) = cli::split_args(&line) {
            for a in args {
                prop_assert!(a.len() <= line.len());
            }
        }
    }

    #[test]
    fn quoted_arguments_split_back(args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 0..6)) {
        let line = args.iter().map(|a| cli::quote_bytes(a)).collect::<Vec<_>>().join(" ");
        prop_assert_eq!(cli::split_args(line.as_bytes()), Some(args));
    }
}

// ---------------------------------------------------------------------------------------
// RESP request parser

fn encode_request(argv: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", argv.len()).into_bytes();
    for a in argv {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Byte soup with RESP's punctuation mixed in.
fn resp_soup() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"*".to_vec()),
        Just(b"$".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"'".to_vec()),
        (-3i64..20).prop_map(|n| n.to_string().into_bytes()),
        Just(b"2147483648".to_vec()),
        Just(b"99999999999999999999".to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

/// Leftovers of earlier requests in a reused argument pool.
fn pool() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..6), 0..4)
}

fn check_parse(buf: &[u8], max_bulk: usize, pool: &mut Vec<Vec<u8>>) -> Result<(), TestCaseError> {
    let parsed = parse_request(buf, max_bulk);
    // Parsing into a reused pool (holding an earlier request's arguments) agrees.
    match (parse_request_into(buf, max_bulk, pool), &parsed) {
        (Parsed::Command { argc, len }, Parse::Command(args, n)) => {
            prop_assert_eq!(&pool[..argc], &args[..]);
            prop_assert_eq!(len, *n);
        }
        (Parsed::Skip(a), Parse::Skip(b)) => prop_assert_eq!(a, *b),
        (Parsed::Incomplete, Parse::Incomplete) => {}
        (Parsed::Error(a), Parse::Error(b)) => prop_assert_eq!(&a, b),
        (a, b) => prop_assert!(
            false,
            "parse_request_into {:?} but parse_request {:?}",
            a,
            b
        ),
    }
    match parsed {
        Parse::Command(args, n) => {
            prop_assert!(n > 0 && n <= buf.len(), "consumed {n} of {}", buf.len());
            prop_assert!(!args.is_empty());
            let total: usize = args.iter().map(Vec::len).sum();
            prop_assert!(total <= n);
            // The request alone parses the same.
            prop_assert_eq!(parse_request(&buf[..n], max_bulk), Parse::Command(args, n));
        }
        Parse::Skip(n) => prop_assert!(n > 0 && n <= buf.len(), "skipped {n} of {}", buf.len()),
        Parse::Incomplete => {}
        Parse::Error(text) => prop_assert!(text.starts_with("Protocol error: "), "{text}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1000), ..ProptestConfig::default() })]

    #[test]
    fn parse_request_on_random_bytes(buf in prop::collection::vec(any::<u8>(), 0..200), small in any::<bool>(), pool in pool()) {
        let mut pool = pool;
        check_parse(&buf, if small { 8 } else { DEFAULT_MAX_BULK }, &mut pool)?;
    }

    #[test]
    fn parse_request_on_resp_soup(buf in resp_soup(), small in any::<bool>(), pool in pool()) {
        let mut pool = pool;
        check_parse(&buf, if small { 8 } else { DEFAULT_MAX_BULK }, &mut pool)?;
    }

    #[test]
    fn parse_request_reads_exactly_one_request(
        argv in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..6),
        tail in prop::collection::vec(any::<u8>(), 0..20),
        cut in any::<prop::sample::Index>(),
    ) {
        let req = encode_request(&argv);
        let mut buf = req.clone();
        buf.extend_from_slice(&tail);
        // Followed by anything: the same request, the same length.
        prop_assert_eq!(parse_request(&buf, DEFAULT_MAX_BULK), Parse::Command(argv.clone(), req.len()));
        // Any strict prefix: incomplete.
        let k = cut.index(req.len());
        prop_assert_eq!(parse_request(&req[..k], DEFAULT_MAX_BULK), Parse::Incomplete);
        // Pipelined: the second request starts where the first ended.
        let mut two = req.clone();
        two.extend_from_slice(&req);
        prop_assert_eq!(parse_request(&two[req.len()..], DEFAULT_MAX_BULK), Parse::Command(argv, req.len()));
    }

    #[test]
    fn big_requests_parse_whole_or_not_at_all(
        small in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..8), 0..4),
        big_len in 60_000usize..140_000,
        byte in any::<u8>(),
        cut in any::<prop::sample::Index>(),
        pool in pool(),
    ) {
        let mut argv = small;
        argv.insert(argv.len() / 2, vec![byte; big_len]);
        argv.push(b"tail".to_vec());
        let req = encode_request(&argv);
        let mut pool = pool;
        let k = cut.index(req.len());
        prop_assert_eq!(parse_request_into(&req[..k], DEFAULT_MAX_BULK, &mut pool), Parsed::Incomplete);
        prop_assert_eq!(parse_request_into(&req, DEFAULT_MAX_BULK, &mut pool), Parsed::Command { argc: argv.len(), len: req.len() });
        prop_assert_eq!(&pool[..argv.len()], &argv[..]);
    }

    #[test]
    fn request_ready_agrees_with_the_parser_as_bytes_arrive(
        buf in prop_oneof![
            resp_soup(),
            (prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 1..8), resp_soup())
                .prop_map(|(argv, tail)| [encode_request(&argv), tail].concat()),
        ],
        steps in prop::collection::vec(1usize..16, 1..40),
        small in any::<bool>(),
    ) {
        let max_bulk = if small { 8 } else { DEFAULT_MAX_BULK };
        let mut scan = Scan::default();
        let mut k = 0;
        for step in steps.into_iter().chain(std::iter::once(buf.len())) {
            k = (k + step).min(buf.len());
            let part = &buf[..k];
            let ready = request_ready(part, max_bulk, &mut scan);
            let parsed = parse_request(part, max_bulk);
            if part.first() == Some(&b'*') {
                prop_assert_eq!(ready, parsed != Parse::Incomplete, "at {} of {:?}: {:?}", k, part, parsed);
            } else if !ready {
                prop_assert_eq!(parsed, Parse::Incomplete);
            }
            if ready {
                break;
            }
        }
    }

    #[test]
    fn inline_requests_split_like_the_console(line in "[a-zA-Z0-9 \"'\\\\]{0,40}") {
        let mut buf = line.clone().into_bytes();
        buf.extend_from_slice(b"\r\n");
        match (parse_request(&buf, DEFAULT_MAX_BULK), cli::split_args(line.as_bytes())) {
            (Parse::Command(args, n), Some(split)) => {
                prop_assert_eq!(n, buf.len());
                prop_assert_eq!(args, split);
            }
            (Parse::Skip(n), Some(split)) => {
                prop_assert_eq!(n, buf.len());
                prop_assert!(split.is_empty());
            }
            (Parse::Error(_), None) => {}
            (other, split) => prop_assert!(false, "parse {:?} vs split {:?}", other, split),
        }
    }
}
