//! Hashes against a model: random sequences of hash commands run on the engine and on a
//! `Vec<(field, value)>` per key kept in listpack order (insertion order, updates in
//! place, deletions closing the gap), with the encoding Redis would report derived from
//! its rules (`hash-max-listpack-entries` / `-value`, converted for good). Every reply is
//! compared, and after every step the whole state: which keys exist, OBJECT ENCODING,
//! and HGETALL (in exact order for a listpack, as a set for a hashtable). HRANDFIELD is
//! checked by its properties, HSCAN by a full iteration.
//!
//! Bounded: a few hundred sequences of a few dozen commands (well under 3 s).

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use redis_emulator::args::parse_i64;
use redis_emulator::{ClientInfo, Engine, ManualClock, Reply};

const KEYS: &[&str] = &["h1", "h2"];
const FIELDS: &[&str] = &[
    "a",
    "b",
    "c",
    "d",
    "e",
    "n",
    "",
    "x y",
    "a-much-longer-field",
];
const VALUES: &[&str] = &[
    "1",
    "2",
    "-3",
    "10",
    "0",
    "abc",
    "",
    "1.5",
    "9223372036854775807",
    "a-much-longer-value",
];

#[derive(Clone, Debug, Default)]
struct ModelHash {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
    table: bool,
}

impl ModelHash {
    fn get(&self, f: &[u8]) -> Option<&Vec<u8>> {
        self.pairs.iter().find(|(k, _)| k == f).map(|(_, v)| v)
    }
    /// hashTypeSet: returns true if new.
    fn set(&mut self, f: &[u8], v: &[u8], limits: (usize, usize)) -> bool {
        if f.len() > limits.1 || v.len() > limits.1 {
            self.table = true;
        }
        let new = match self.pairs.iter_mut().find(|(k, _)| k == f) {
            Some((_, old)) => {
                *old = v.to_vec();
                false
            }
            None => {
                self.pairs.push((f.to_vec(), v.to_vec()));
                true
            }
        };
        if self.pairs.len() > limits.0 {
            self.table = true;
        }
        new
    }
}

#[derive(Debug, Clone)]
enum Op {
    Hset(&'static str, Vec<(&'static str, &'static str)>),
    Hsetnx(&'static str, &'static str, &'static str),
    Hdel(&'static str, Vec<&'static str>),
    Hget(&'static str, &'static str),
    Hmget(&'static str, Vec<&'static str>),
    Hexists(&'static str, &'static str),
    Hlen(&'static str),
    Hstrlen(&'static str, &'static str),
    Hkeys(&'static str),
    Hvals(&'static str),
    Hincrby(&'static str, &'static str, i64),
    Hincrbyfloat(&'static str, &'static str, &'static str),
    Hrandfield(&'static str, Option<(i8, bool)>),
    Hscan(&'static str, u8, Option<&'static str>),
    Limits(usize, usize),
}

fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(KEYS)
}
fn field() -> impl Strategy<Value = &'static str> {
    prop::sample::select(FIELDS)
}
fn value() -> impl Strategy<Value = &'static str> {
    prop::sample::select(VALUES)
}
fn fields() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(field(), 1..5)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (key(), prop::collection::vec((field(), value()), 1..4)).prop_map(|(k, p)| Op::Hset(k, p)),
        2 => (key(), field(), value()).prop_map(|(k, f, v)| Op::Hsetnx(k, f, v)),
        4 => (key(), fields()).prop_map(|(k, f)| Op::Hdel(k, f)),
        1 => (key(), field()).prop_map(|(k, f)| Op::Hget(k, f)),
        1 => (key(), fields()).prop_map(|(k, f)| Op::Hmget(k, f)),
        1 => (key(), field()).prop_map(|(k, f)| Op::Hexists(k, f)),
        1 => key().prop_map(Op::Hlen),
        1 => (key(), field()).prop_map(|(k, f)| Op::Hstrlen(k, f)),
        1 => key().prop_map(Op::Hkeys),
        1 => key().prop_map(Op::Hvals),
        2 => (key(), field(), prop::sample::select(&[1i64, -1, 5, i64::MAX, i64::MIN][..]))
            .prop_map(|(k, f, n)| Op::Hincrby(k, f, n)),
        2 => (key(), field(), prop::sample::select(&["1", "0.5", "-2.25", "1e3", "abc", "inf"][..]))
            .prop_map(|(k, f, n)| Op::Hincrbyfloat(k, f, n)),
        2 => (key(), prop::option::of((-8i8..8, any::<bool>()))).prop_map(|(k, c)| Op::Hrandfield(k, c)),
        1 => (key(), 1u8..5, prop::option::of(prop::sample::select(&["a*", "?", "*y", "[a-c]"][..])))
            .prop_map(|(k, c, m)| Op::Hscan(k, c, m)),
        1 => (prop::sample::select(&[0usize, 1, 3, 128][..]), prop::sample::select(&[0usize, 2, 5, 64][..]))
            .prop_map(|(e, v)| Op::Limits(e, v)),
    ]
}

struct Harness {
    e: Engine,
    c: u64,
    model: BTreeMap<&'static str, ModelHash>,
    limits: (usize, usize),
}

impl Harness {
    fn new() -> Self {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 7);
        let c = e.connect(ClientInfo::default());
        Harness {
            e,
            c,
            model: BTreeMap::new(),
            limits: (128, 64),
        }
    }
    fn cmd(&mut self, name: &str, rest: &[&str]) -> Reply {
        let mut argv = vec![name.as_bytes().to_vec()];
        argv.extend(rest.iter().map(|s| s.as_bytes().to_vec()));
        self.e.execute(self.c, &argv)
    }
    fn hash(&self, k: &str) -> ModelHash {
        self.model.get(k).cloned().unwrap_or_default()
    }
    fn put(&mut self, k: &'static str, h: ModelHash) {
        if h.pairs.is_empty() {
            self.model.remove(k);
        } else {
            self.model.insert(k, h);
        }
    }
}

fn bulk_or_nil(v: Option<&Vec<u8>>) -> Reply {
    v.map(Reply::bulk).unwrap_or(Reply::Nil)
}

fn items(r: &Reply) -> Vec<Vec<u8>> {
    match r {
        Reply::Array(items) => items
            .iter()
            .map(|i| match i {
                Reply::Bulk(b) => b.clone(),
                other => panic!("bulk expected, got {other:?}"),
            })
            .collect(),
        other => panic!("array expected, got {other:?}"),
    }
}

fn step(h: &mut Harness, op: &Op) -> Result<(), TestCaseError> {
    let limits = h.limits;
    match op {
        Op::Hset(k, pairs) => {
            let mut m = h.hash(k);
            if m.pairs.is_empty() {
                m.table = false;
            }
            if pairs
                .iter()
                .any(|(f, v)| f.len() > limits.1 || v.len() > limits.1)
            {
                m.table = true;
            }
            let created = pairs
                .iter()
                .filter(|(f, v)| m.set(f.as_bytes(), v.as_bytes(), limits))
                .count();
            let args: Vec<&str> = std::iter::once(*k)
                .chain(pairs.iter().flat_map(|(f, v)| [*f, *v]))
                .collect();
            prop_assert_eq!(h.cmd("HSET", &args), Reply::Integer(created as i64));
            h.put(k, m);
        }
        Op::Hsetnx(k, f, v) => {
            let mut m = h.hash(k);
            if m.pairs.is_empty() {
                m.table = false;
            }
            let set = m.get(f.as_bytes()).is_none();
            if set {
                m.set(f.as_bytes(), v.as_bytes(), limits);
            }
            prop_assert_eq!(h.cmd("HSETNX", &[k, f, v]), Reply::Integer(set as i64));
            h.put(k, m);
        }
        Op::Hdel(k, fields) => {
            let mut m = h.hash(k);
            let mut n = 0;
            for f in fields {
                if let Some(i) = m.pairs.iter().position(|(x, _)| x == f.as_bytes()) {
                    m.pairs.remove(i);
                    n += 1;
                }
            }
            let args: Vec<&str> = std::iter::once(*k).chain(fields.iter().copied()).collect();
            prop_assert_eq!(h.cmd("HDEL", &args), Reply::Integer(n));
            h.put(k, m);
        }
        Op::Hget(k, f) => {
            let want = bulk_or_nil(h.hash(k).get(f.as_bytes()));
            prop_assert_eq!(h.cmd("HGET", &[k, f]), want);
        }
        Op::Hmget(k, fields) => {
            let m = h.hash(k);
            let want = Reply::Array(
                fields
                    .iter()
                    .map(|f| bulk_or_nil(m.get(f.as_bytes())))
                    .collect(),
            );
            let args: Vec<&str> = std::iter::once(*k).chain(fields.iter().copied()).collect();
            prop_assert_eq!(h.cmd("HMGET", &args), want);
        }
        Op::Hexists(k, f) => {
            let want = h.hash(k).get(f.as_bytes()).is_some() as i64;
            prop_assert_eq!(h.cmd("HEXISTS", &[k, f]), Reply::Integer(want));
        }
        Op::Hlen(k) => {
            let want = h.hash(k).pairs.len() as i64;
            prop_assert_eq!(h.cmd("HLEN", &[k]), Reply::Integer(want));
        }
        Op::Hstrlen(k, f) => {
            let want = h.hash(k).get(f.as_bytes()).map_or(0, |v| v.len() as i64);
            prop_assert_eq!(h.cmd("HSTRLEN", &[k, f]), Reply::Integer(want));
        }
        Op::Hkeys(k) | Op::Hvals(k) => {
            let keys = matches!(op, Op::Hkeys(_));
            let m = h.hash(k);
            let mut want: Vec<Vec<u8>> = m
                .pairs
                .iter()
                .map(|(f, v)| if keys { f.clone() } else { v.clone() })
                .collect();
            let mut got = items(&h.cmd(if keys { "HKEYS" } else { "HVALS" }, &[k]));
            if m.table {
                want.sort();
                got.sort();
            }
            prop_assert_eq!(got, want);
        }
        Op::Hincrby(k, f, n) => {
            let mut m = h.hash(k);
            if m.pairs.is_empty() {
                m.table = false;
            }
            let old = m.get(f.as_bytes()).map(|v| parse_i64(v));
            let reply = h.cmd("HINCRBY", &[k, f, &n.to_string()]);
            match old {
                Some(None) => {
                    prop_assert_eq!(reply, Reply::error("ERR hash value is not an integer"))
                }
                Some(Some(o)) if o.checked_add(*n).is_none() => {
                    prop_assert_eq!(
                        reply,
                        Reply::error("ERR increment or decrement would overflow")
                    )
                }
                _ => {
                    let new = old.flatten().unwrap_or(0) + n;
                    prop_assert_eq!(reply, Reply::Integer(new));
                    m.set(f.as_bytes(), new.to_string().as_bytes(), limits);
                    h.put(k, m);
                }
            }
        }
        Op::Hincrbyfloat(k, f, n) => {
            let mut m = h.hash(k);
            if m.pairs.is_empty() {
                m.table = false;
            }
            let reply = h.cmd("HINCRBYFLOAT", &[k, f, n]);
            let old_ok = m
                .get(f.as_bytes())
                .is_none_or(|v| redis_emulator::ld::parse(v).is_some());
            if *n == "abc" {
                prop_assert_eq!(reply, Reply::error("ERR value is not a valid float"));
            } else if *n == "inf" {
                prop_assert_eq!(reply, Reply::error("ERR value is NaN or Infinity"));
            } else if !old_ok {
                prop_assert_eq!(reply, Reply::error("ERR hash value is not a float"));
            } else {
                let Reply::Bulk(text) = reply else {
                    return Err(TestCaseError::fail(format!("{reply:?}")));
                };
                let old = m.get(f.as_bytes()).cloned();
                let want = redis_emulator::ld::incr_by_float(old.as_deref(), n.as_bytes())
                    .map(String::into_bytes);
                prop_assert_eq!(Ok(text.clone()), want);
                m.set(f.as_bytes(), &text, limits);
                h.put(k, m);
            }
        }
        Op::Hrandfield(k, arg) => {
            let m = h.hash(k);
            match arg {
                None => {
                    let r = h.cmd("HRANDFIELD", &[k]);
                    if m.pairs.is_empty() {
                        prop_assert_eq!(r, Reply::Nil);
                    } else {
                        let Reply::Bulk(f) = r else {
                            return Err(TestCaseError::fail(format!("{r:?}")));
                        };
                        prop_assert!(m.get(&f).is_some());
                    }
                }
                Some((count, withvalues)) => {
                    let c = count.to_string();
                    let args: Vec<&str> = if *withvalues {
                        vec![k, &c, "WITHVALUES"]
                    } else {
                        vec![k, &c]
                    };
                    let got = items(&h.cmd("HRANDFIELD", &args));
                    let per = if *withvalues { 2 } else { 1 };
                    let picked: Vec<&[Vec<u8>]> = got.chunks(per).collect();
                    let n = count.unsigned_abs() as usize;
                    let want_len = if m.pairs.is_empty() {
                        0
                    } else if *count < 0 {
                        n
                    } else {
                        n.min(m.pairs.len())
                    };
                    prop_assert_eq!(picked.len(), want_len);
                    for p in &picked {
                        let v = m.get(&p[0]);
                        prop_assert!(v.is_some(), "picked a field that is not there");
                        if *withvalues {
                            prop_assert_eq!(v, Some(&p[1]));
                        }
                    }
                    if *count > 0 {
                        let distinct: BTreeSet<&Vec<u8>> = picked.iter().map(|p| &p[0]).collect();
                        prop_assert_eq!(
                            distinct.len(),
                            picked.len(),
                            "positive count repeats a field"
                        );
                    }
                    // The whole hash (count >= size) comes in HGETALL order.
                    if *count > 0 && n >= m.pairs.len() && !m.table {
                        let order: Vec<&Vec<u8>> = m.pairs.iter().map(|(f, _)| f).collect();
                        let got_order: Vec<&Vec<u8>> = picked.iter().map(|p| &p[0]).collect();
                        prop_assert_eq!(got_order, order);
                    }
                }
            }
        }
        Op::Hscan(k, count, pattern) => {
            let m = h.hash(k);
            let mut cursor = "0".to_string();
            let mut seen: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            let mut calls = 0;
            loop {
                let c = count.to_string();
                let mut args = vec![*k, cursor.as_str(), "COUNT", c.as_str()];
                if let Some(p) = pattern {
                    args.extend(["MATCH", p]);
                }
                let r = h.cmd("HSCAN", &args);
                let Reply::Array(parts) = r else {
                    return Err(TestCaseError::fail(format!("{r:?}")));
                };
                let Reply::Bulk(next) = &parts[0] else {
                    return Err(TestCaseError::fail("cursor"));
                };
                let flat = items(&parts[1]);
                for pair in flat.chunks(2) {
                    seen.insert(pair[0].clone(), pair[1].clone());
                }
                cursor = String::from_utf8_lossy(next).into_owned();
                calls += 1;
                if !m.table {
                    prop_assert_eq!(cursor.as_str(), "0", "a listpack answers in one call");
                }
                if cursor == "0" || calls > 100 {
                    break;
                }
            }
            prop_assert_eq!(cursor.as_str(), "0");
            let want: BTreeMap<Vec<u8>, Vec<u8>> = m
                .pairs
                .iter()
                .filter(|(f, _)| {
                    pattern.is_none_or(|p| redis_emulator::glob::glob_match(p.as_bytes(), f, false))
                })
                .cloned()
                .collect();
            prop_assert_eq!(seen, want);
        }
        Op::Limits(entries, value) => {
            let (e, v) = (entries.to_string(), value.to_string());
            prop_assert_eq!(
                h.cmd("CONFIG", &["SET", "hash-max-listpack-entries", &e]),
                Reply::ok()
            );
            prop_assert_eq!(
                h.cmd("CONFIG", &["SET", "hash-max-ziplist-value", &v]),
                Reply::ok()
            );
            h.limits = (*entries, *value);
        }
    }
    Ok(())
}

fn check_state(h: &mut Harness) -> Result<(), TestCaseError> {
    for k in KEYS {
        let m = h.model.get(k).cloned();
        let exists = h.cmd("EXISTS", &[k]);
        prop_assert_eq!(
            exists,
            Reply::Integer(m.is_some() as i64),
            "{} existence",
            k
        );
        let Some(m) = m else { continue };
        let enc = if m.table { "hashtable" } else { "listpack" };
        prop_assert_eq!(
            h.cmd("OBJECT", &["ENCODING", k]),
            Reply::bulk(enc),
            "{} encoding",
            k
        );
        let Reply::Map(pairs) = h.cmd("HGETALL", &[k]) else {
            return Err(TestCaseError::fail("HGETALL map"));
        };
        let mut got: Vec<(Vec<u8>, Vec<u8>)> = pairs
            .into_iter()
            .map(|(f, v)| match (f, v) {
                (Reply::Bulk(f), Reply::Bulk(v)) => (f, v),
                other => panic!("bulk pair expected, got {other:?}"),
            })
            .collect();
        let mut want = m.pairs.clone();
        if m.table {
            got.sort();
            want.sort();
        }
        prop_assert_eq!(got, want, "{} contents", k);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, max_shrink_iters: 1000, ..ProptestConfig::default() })]

    #[test]
    fn hash_commands_behave_like_an_ordered_pair_list(ops in prop::collection::vec(op(), 1..40)) {
        let mut h = Harness::new();
        for op in &ops {
            step(&mut h, op)?;
            check_state(&mut h)?;
        }
    }
}

/// The conversion rules alone, one by one.
#[test]
fn hash_encodings_follow_redis_rules() {
    let mut h = Harness::new();
    for (entries, value, sets, want) in [
        ("128", "64", vec![vec!["a", "1", "b", "2"]], "listpack"),
        (
            "2",
            "64",
            vec![vec!["a", "1", "b", "2"], vec!["a", "3"]],
            "listpack",
        ),
        (
            "2",
            "64",
            vec![vec!["a", "1", "b", "2"], vec!["c", "3"]],
            "hashtable",
        ),
        (
            "2",
            "64",
            vec![vec!["a", "1", "b", "2", "c", "3"]],
            "hashtable",
        ),
        ("128", "3", vec![vec!["abc", "def"]], "listpack"),
        ("128", "3", vec![vec!["abcd", "1"]], "hashtable"),
        (
            "128",
            "3",
            vec![vec!["a", "1"], vec!["a", "1234"]],
            "hashtable",
        ),
        ("0", "64", vec![vec!["a", "1"]], "hashtable"),
    ] {
        h.cmd("DEL", &["k"]);
        h.cmd("CONFIG", &["SET", "hash-max-listpack-entries", entries]);
        h.cmd("CONFIG", &["SET", "hash-max-listpack-value", value]);
        for s in &sets {
            h.cmd("HSET", &[&["k"], &s[..]].concat());
        }
        assert_eq!(
            h.cmd("OBJECT", &["ENCODING", "k"]),
            Reply::bulk(want),
            "{entries} {value} {sets:?}"
        );
    }
}

/// HRANDFIELD with a huge negative count is refused instead of exhausting memory.
#[test]
fn hrandfield_huge_negative_count_is_bounded() {
    let mut h = Harness::new();
    h.cmd("HSET", &["k", "a", "1"]);
    assert!(matches!(
        h.cmd("HRANDFIELD", &["k", "-9223372036854775807"]),
        Reply::Error(_)
    ));
    assert_eq!(items(&h.cmd("HRANDFIELD", &["k", "-3"])).len(), 3);
}
