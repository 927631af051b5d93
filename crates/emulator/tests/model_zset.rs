//! Sorted sets against a model: random sequences of sorted-set commands run on the engine
//! and on a `BTreeMap<member, score>` per key, comparing every reply and, after every
//! step, the whole state (every key's members and scores in rank order, which keys exist,
//! and that the reported encoding is one Redis could report). ZRANDMEMBER is checked by
//! its properties (sizes, membership, distinctness).
//!
//! Scores are small halves so sums are exact in any order; lex commands work on a key
//! whose scores are all 0 (where Redis defines them). Bounded: well under 3 s.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use proptest::prelude::*;
use redis_emulator::{ClientInfo, Engine, ManualClock, Reply};

const KEYS: &[&str] = &["z1", "z2", "z3"];
const LEX: &str = "lx";
const MEMBERS: &[&str] = &["a", "b", "c", "d", "e", "aa", "", "x y", "10", "\u{e9}"];
const SCORES: &[f64] = &[-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 10.0];

type Model = BTreeMap<&'static str, BTreeMap<Vec<u8>, f64>>;

#[derive(Debug, Clone)]
enum Op {
    /// nx, xx, gt, lt, ch, incr and the pairs.
    Zadd(&'static str, [bool; 6], Vec<(f64, &'static str)>),
    Zincrby(&'static str, f64, &'static str),
    Zrem(&'static str, Vec<&'static str>),
    Zscore(&'static str, &'static str),
    Zmscore(&'static str, Vec<&'static str>),
    Zrank(&'static str, &'static str, bool),
    Zcard(&'static str),
    Zrange(&'static str, i64, i64, bool, bool),
    ZrangeByScore(
        &'static str,
        (f64, bool),
        (f64, bool),
        bool,
        Option<(i64, i64)>,
        bool,
    ),
    Zcount(&'static str, (f64, bool), (f64, bool)),
    Zpop(&'static str, bool, Option<u8>),
    ZremRangeByRank(&'static str, i64, i64),
    ZremRangeByScore(&'static str, (f64, bool), (f64, bool)),
    Combine(u8, Vec<&'static str>, Vec<i8>, u8, Option<&'static str>),
    Zrandmember(&'static str, i8),
    Zscan(&'static str, u8),
    LexAdd(Vec<&'static str>),
    LexRange(&'static str, &'static str, bool, Option<(i64, i64)>),
    LexCount(&'static str, &'static str),
    LexRem(&'static str, &'static str),
    Limit(u8),
}

fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(KEYS)
}
fn member() -> impl Strategy<Value = &'static str> {
    prop::sample::select(MEMBERS)
}
fn members() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(member(), 1..5)
}
fn score() -> impl Strategy<Value = f64> {
    prop::sample::select(SCORES)
}
fn bound() -> impl Strategy<Value = (f64, bool)> {
    (
        prop_oneof![4 => score(), 1 => Just(f64::INFINITY), 1 => Just(f64::NEG_INFINITY)],
        any::<bool>(),
    )
}
fn lex_bound() -> impl Strategy<Value = &'static str> {
    prop::sample::select(
        &[
            "-", "+", "[a", "(a", "[b", "(c", "[d", "(e", "[", "(aa", "[x",
        ][..],
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (key(), prop::array::uniform6(prop::bool::weighted(0.15)), prop::collection::vec((score(), member()), 1..4))
            .prop_map(|(k, f, p)| Op::Zadd(k, f, p)),
        2 => (key(), score(), member()).prop_map(|(k, s, m)| Op::Zincrby(k, s, m)),
        3 => (key(), members()).prop_map(|(k, m)| Op::Zrem(k, m)),
        1 => (key(), member()).prop_map(|(k, m)| Op::Zscore(k, m)),
        1 => (key(), members()).prop_map(|(k, m)| Op::Zmscore(k, m)),
        2 => (key(), member(), any::<bool>()).prop_map(|(k, m, r)| Op::Zrank(k, m, r)),
        1 => key().prop_map(Op::Zcard),
        3 => (key(), -6i64..6, -6i64..6, any::<bool>(), any::<bool>()).prop_map(|(k, a, b, r, w)| Op::Zrange(k, a, b, r, w)),
        3 => (key(), bound(), bound(), any::<bool>(), prop::option::of((-1i64..4, -1i64..4)), any::<bool>())
            .prop_map(|(k, a, b, r, l, w)| Op::ZrangeByScore(k, a, b, r, l, w)),
        1 => (key(), bound(), bound()).prop_map(|(k, a, b)| Op::Zcount(k, a, b)),
        2 => (key(), any::<bool>(), prop::option::of(0u8..5)).prop_map(|(k, m, c)| Op::Zpop(k, m, c)),
        1 => (key(), -5i64..5, -5i64..5).prop_map(|(k, a, b)| Op::ZremRangeByRank(k, a, b)),
        1 => (key(), bound(), bound()).prop_map(|(k, a, b)| Op::ZremRangeByScore(k, a, b)),
        3 => (0u8..3, prop::collection::vec(key(), 1..4), prop::collection::vec(-2i8..3, 3), 0u8..3, prop::option::of(key()))
            .prop_map(|(o, k, w, a, d)| Op::Combine(o, k, w, a, d)),
        1 => (key(), -6i8..6).prop_map(|(k, c)| Op::Zrandmember(k, c)),
        1 => (key(), 1u8..5).prop_map(|(k, c)| Op::Zscan(k, c)),
        2 => members().prop_map(Op::LexAdd),
        2 => (lex_bound(), lex_bound(), any::<bool>(), prop::option::of((-1i64..4, -1i64..4)))
            .prop_map(|(a, b, r, l)| Op::LexRange(a, b, r, l)),
        1 => (lex_bound(), lex_bound()).prop_map(|(a, b)| Op::LexCount(a, b)),
        1 => (lex_bound(), lex_bound()).prop_map(|(a, b)| Op::LexRem(a, b)),
        1 => prop::sample::select(&[0u8, 1, 3, 128][..]).prop_map(Op::Limit),
    ]
}

struct Harness {
    e: Engine,
    c: u64,
    model: Model,
}

fn fmt(s: f64) -> String {
    if s == f64::INFINITY {
        "+inf".into()
    } else if s == f64::NEG_INFINITY {
        "-inf".into()
    } else {
        format!("{s}")
    }
}

fn bound_arg((v, ex): (f64, bool)) -> String {
    format!("{}{}", if ex { "(" } else { "" }, fmt(v))
}

impl Harness {
    fn new() -> Self {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 5);
        let c = e.connect(ClientInfo::default());
        Harness {
            e,
            c,
            model: Model::new(),
        }
    }
    fn cmd(&mut self, args: &[String]) -> Reply {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        self.e.execute(self.c, &argv)
    }
    fn get(&self, k: &str) -> BTreeMap<Vec<u8>, f64> {
        self.model.get(k).cloned().unwrap_or_default()
    }
    fn put(&mut self, k: &'static str, z: BTreeMap<Vec<u8>, f64>) {
        if z.is_empty() {
            self.model.remove(k);
        } else {
            self.model.insert(k, z);
        }
    }
}

fn args(parts: &[&dyn ToString]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

/// The model's members in rank order.
fn ordered(z: &BTreeMap<Vec<u8>, f64>) -> Vec<(Vec<u8>, f64)> {
    let mut v: Vec<(Vec<u8>, f64)> = z.iter().map(|(m, s)| (m.clone(), *s)).collect();
    v.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    v
}

fn scored(items: &[(Vec<u8>, f64)], withscores: bool) -> Reply {
    let mut out = Vec::new();
    for (m, s) in items {
        out.push(Reply::Bulk(m.clone()));
        if withscores {
            out.push(Reply::Double(*s));
        }
    }
    Reply::Array(out)
}

fn in_min(s: f64, (v, ex): (f64, bool)) -> bool {
    if ex {
        s > v
    } else {
        s >= v
    }
}
fn in_max(s: f64, (v, ex): (f64, bool)) -> bool {
    if ex {
        s < v
    } else {
        s <= v
    }
}

/// Redis's rank sanitising: the inclusive range, or None when empty.
fn rank_range(len: usize, start: i64, stop: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut s = if start < 0 { len + start } else { start };
    let mut e = if stop < 0 { len + stop } else { stop };
    if s < 0 {
        s = 0;
    }
    if s > e || s >= len {
        return None;
    }
    if e >= len {
        e = len - 1;
    }
    Some((s as usize, e as usize))
}

fn apply_limit<T: Clone>(v: Vec<T>, limit: Option<(i64, i64)>) -> Vec<T> {
    match limit {
        None => v,
        Some((off, _)) if off < 0 => Vec::new(),
        Some((off, cnt)) => {
            let it = v.into_iter().skip(off as usize);
            if cnt < 0 {
                it.collect()
            } else {
                it.take(cnt as usize).collect()
            }
        }
    }
}

/// A lex bound as (kind, string): -1 min, 1 max, 0 a string.
fn lex_in(m: &[u8], b: &str, is_min: bool) -> bool {
    match b {
        "-" => is_min,
        "+" => !is_min,
        _ => {
            let (ex, s) = (b.starts_with('('), &b.as_bytes()[1..]);
            match (is_min, ex) {
                (true, true) => m > s,
                (true, false) => m >= s,
                (false, true) => m < s,
                (false, false) => m <= s,
            }
        }
    }
}

fn step(h: &mut Harness, op: &Op) -> Result<(), TestCaseError> {
    match op.clone() {
        Op::Zadd(k, [nx, xx, gt, lt, ch, incr], pairs) => {
            let mut a = vec!["ZADD".to_string(), k.to_string()];
            for (on, name) in [
                (nx, "NX"),
                (xx, "XX"),
                (gt, "GT"),
                (lt, "LT"),
                (ch, "CH"),
                (incr, "INCR"),
            ] {
                if on {
                    a.push(name.into());
                }
            }
            for (s, m) in &pairs {
                a.push(fmt(*s));
                a.push(m.to_string());
            }
            let r = h.cmd(&a);
            if nx && xx {
                prop_assert_eq!(
                    r,
                    Reply::error("ERR XX and NX options at the same time are not compatible")
                );
                return Ok(());
            }
            if (nx && (gt || lt)) || (gt && lt) {
                prop_assert_eq!(
                    r,
                    Reply::error(
                        "ERR GT, LT, and/or NX options at the same time are not compatible"
                    )
                );
                return Ok(());
            }
            if incr && pairs.len() > 1 {
                prop_assert_eq!(
                    r,
                    Reply::error("ERR INCR option supports a single increment-element pair")
                );
                return Ok(());
            }
            let mut z = h.get(k);
            let (mut added, mut updated, mut processed, mut last) = (0, 0, 0, 0.0);
            for (s, m) in pairs {
                let m = m.as_bytes().to_vec();
                match z.get(&m).copied() {
                    Some(cur) => {
                        if nx {
                            continue;
                        }
                        let s = if incr { s + cur } else { s };
                        if (lt && s >= cur) || (gt && s <= cur) {
                            continue;
                        }
                        last = s;
                        processed += 1;
                        if s != cur {
                            z.insert(m, s);
                            updated += 1;
                        }
                    }
                    None => {
                        if xx {
                            continue;
                        }
                        z.insert(m, s);
                        last = s;
                        added += 1;
                        processed += 1;
                    }
                }
            }
            h.put(k, z);
            let want = if incr {
                if processed > 0 {
                    Reply::Double(last)
                } else {
                    Reply::Nil
                }
            } else {
                Reply::Integer(if ch { added + updated } else { added })
            };
            prop_assert_eq!(r, want);
        }
        Op::Zincrby(k, inc, m) => {
            let r = h.cmd(&args(&[&"ZINCRBY", &k, &fmt(inc), &m]));
            let mut z = h.get(k);
            let s = z.get(m.as_bytes()).copied().unwrap_or(0.0) + inc;
            z.insert(m.as_bytes().to_vec(), s);
            h.put(k, z);
            prop_assert_eq!(r, Reply::Double(s));
        }
        Op::Zrem(k, ms) => {
            let mut a = args(&[&"ZREM", &k]);
            a.extend(ms.iter().map(|m| m.to_string()));
            let r = h.cmd(&a);
            let mut z = h.get(k);
            let n = ms
                .iter()
                .filter(|m| z.remove(m.as_bytes()).is_some())
                .count();
            h.put(k, z);
            prop_assert_eq!(r, Reply::Integer(n as i64));
        }
        Op::Zscore(k, m) => {
            let r = h.cmd(&args(&[&"ZSCORE", &k, &m]));
            let want = h
                .get(k)
                .get(m.as_bytes())
                .map_or(Reply::Nil, |s| Reply::Double(*s));
            prop_assert_eq!(r, want);
        }
        Op::Zmscore(k, ms) => {
            let mut a = args(&[&"ZMSCORE", &k]);
            a.extend(ms.iter().map(|m| m.to_string()));
            let r = h.cmd(&a);
            let z = h.get(k);
            let want = ms
                .iter()
                .map(|m| {
                    z.get(m.as_bytes())
                        .map_or(Reply::Nil, |s| Reply::Double(*s))
                })
                .collect();
            prop_assert_eq!(r, Reply::Array(want));
        }
        Op::Zrank(k, m, rev) => {
            let r = h.cmd(&args(&[&if rev { "ZREVRANK" } else { "ZRANK" }, &k, &m]));
            let o = ordered(&h.get(k));
            let want = match o.iter().position(|(x, _)| x == m.as_bytes()) {
                Some(i) => Reply::Integer(if rev {
                    (o.len() - 1 - i) as i64
                } else {
                    i as i64
                }),
                None => Reply::Nil,
            };
            prop_assert_eq!(r, want);
        }
        Op::Zcard(k) => {
            let r = h.cmd(&args(&[&"ZCARD", &k]));
            prop_assert_eq!(r, Reply::Integer(h.get(k).len() as i64));
        }
        Op::Zrange(k, a, b, rev, ws) => {
            let mut v = args(&[&"ZRANGE", &k, &a, &b]);
            if rev {
                v.push("REV".into());
            }
            if ws {
                v.push("WITHSCORES".into());
            }
            let r = h.cmd(&v);
            let mut o = ordered(&h.get(k));
            if rev {
                o.reverse();
            }
            let sel: Vec<_> = match rank_range(o.len(), a, b) {
                Some((s, e)) => o[s..=e].to_vec(),
                None => Vec::new(),
            };
            prop_assert_eq!(r, scored(&sel, ws));
        }
        Op::ZrangeByScore(k, min, max, rev, limit, ws) => {
            let (first, second) = if rev { (max, min) } else { (min, max) };
            let mut v = args(&[
                &if rev {
                    "ZREVRANGEBYSCORE"
                } else {
                    "ZRANGEBYSCORE"
                },
                &k,
                &bound_arg(first),
                &bound_arg(second),
            ]);
            if ws {
                v.push("WITHSCORES".into());
            }
            if let Some((o, c)) = limit {
                v.extend(args(&[&"LIMIT", &o, &c]));
            }
            let r = h.cmd(&v);
            let mut o: Vec<_> = ordered(&h.get(k))
                .into_iter()
                .filter(|(_, s)| in_min(*s, min) && in_max(*s, max))
                .collect();
            if rev {
                o.reverse();
            }
            prop_assert_eq!(r, scored(&apply_limit(o, limit), ws));
        }
        Op::Zcount(k, min, max) => {
            let r = h.cmd(&args(&[&"ZCOUNT", &k, &bound_arg(min), &bound_arg(max)]));
            let n = h
                .get(k)
                .values()
                .filter(|s| in_min(**s, min) && in_max(**s, max))
                .count();
            prop_assert_eq!(r, Reply::Integer(n as i64));
        }
        Op::Zpop(k, max, count) => {
            let mut v = args(&[&if max { "ZPOPMAX" } else { "ZPOPMIN" }, &k]);
            if let Some(c) = count {
                v.push(c.to_string());
            }
            let r = h.cmd(&v);
            let mut o = ordered(&h.get(k));
            if max {
                o.reverse();
            }
            let n = (count.unwrap_or(1) as usize).min(o.len());
            let popped = o[..n].to_vec();
            let mut z = h.get(k);
            for (m, _) in &popped {
                z.remove(m);
            }
            h.put(k, z);
            prop_assert_eq!(r, scored(&popped, true));
        }
        Op::ZremRangeByRank(k, a, b) => {
            let r = h.cmd(&args(&[&"ZREMRANGEBYRANK", &k, &a, &b]));
            let o = ordered(&h.get(k));
            let mut z = h.get(k);
            let mut n = 0;
            if let Some((s, e)) = rank_range(o.len(), a, b) {
                for (m, _) in &o[s..=e] {
                    z.remove(m);
                    n += 1;
                }
            }
            h.put(k, z);
            prop_assert_eq!(r, Reply::Integer(n));
        }
        Op::ZremRangeByScore(k, min, max) => {
            let r = h.cmd(&args(&[
                &"ZREMRANGEBYSCORE",
                &k,
                &bound_arg(min),
                &bound_arg(max),
            ]));
            let mut z = h.get(k);
            let before = z.len();
            z.retain(|_, s| !(in_min(*s, min) && in_max(*s, max)));
            let n = before - z.len();
            h.put(k, z);
            prop_assert_eq!(r, Reply::Integer(n as i64));
        }
        Op::Combine(which, keys, weights, agg, dst) => {
            let name = ["ZUNION", "ZINTER", "ZDIFF"][which as usize];
            let mut v: Vec<String> = Vec::new();
            match dst {
                Some(d) => {
                    v.push(format!("{name}STORE"));
                    v.push(d.to_string());
                }
                None => v.push(name.to_string()),
            }
            v.push(keys.len().to_string());
            v.extend(keys.iter().map(|k| k.to_string()));
            let diff = which == 2;
            let w: Vec<f64> = weights
                .iter()
                .take(keys.len())
                .map(|w| *w as f64)
                .chain(std::iter::repeat(1.0))
                .take(keys.len())
                .collect();
            if !diff {
                v.push("WEIGHTS".into());
                v.extend(w.iter().map(|x| fmt(*x)));
                v.push("AGGREGATE".into());
                v.push(["SUM", "MIN", "MAX"][agg as usize].into());
            }
            if dst.is_none() {
                v.push("WITHSCORES".into());
            }
            let r = h.cmd(&v);
            let sets: Vec<BTreeMap<Vec<u8>, f64>> = keys.iter().map(|k| h.get(k)).collect();
            let combine = |a: f64, b: f64| -> f64 {
                match agg {
                    0 => {
                        let s = a + b;
                        if s.is_nan() {
                            0.0
                        } else {
                            s
                        }
                    }
                    1 => a.min(b),
                    _ => a.max(b),
                }
            };
            let weigh = |s: f64, w: f64| if (s * w).is_nan() { 0.0 } else { s * w };
            let mut out: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
            match which {
                0 => {
                    for (set, w) in sets.iter().zip(&w) {
                        for (m, s) in set {
                            let x = weigh(*s, *w);
                            let e = out.get(m).map_or(x, |cur| combine(*cur, x));
                            out.insert(m.clone(), e);
                        }
                    }
                }
                1 => {
                    for m in sets[0].keys() {
                        if sets.iter().all(|s| s.contains_key(m)) {
                            let mut acc: Option<f64> = None;
                            for (set, w) in sets.iter().zip(&w) {
                                let x = weigh(set[m], *w);
                                acc = Some(acc.map_or(x, |a| combine(a, x)));
                            }
                            out.insert(m.clone(), acc.unwrap_or(0.0));
                        }
                    }
                }
                _ => {
                    for (m, s) in &sets[0] {
                        if sets[1..].iter().all(|o| !o.contains_key(m)) {
                            out.insert(m.clone(), *s);
                        }
                    }
                    if keys[1..].contains(&keys[0]) {
                        out.clear();
                    }
                }
            }
            match dst {
                Some(d) => {
                    let n = out.len() as i64;
                    h.put(d, out);
                    prop_assert_eq!(r, Reply::Integer(n));
                }
                None => prop_assert_eq!(r, scored(&ordered(&out), true)),
            }
        }
        Op::Zrandmember(k, c) => {
            let r = h.cmd(&args(&[&"ZRANDMEMBER", &k, &c, &"WITHSCORES"]));
            let z = h.get(k);
            let Reply::Array(items) = r else {
                return Err(TestCaseError::fail("array expected"));
            };
            let pairs: Vec<(Vec<u8>, f64)> = items
                .chunks(2)
                .map(|p| match p {
                    [Reply::Bulk(m), Reply::Double(s)] => (m.clone(), *s),
                    other => panic!("pair expected: {other:?}"),
                })
                .collect();
            for (m, s) in &pairs {
                prop_assert_eq!(z.get(m), Some(s));
            }
            let want = if z.is_empty() {
                0
            } else if c < 0 {
                c.unsigned_abs() as usize
            } else {
                (c as usize).min(z.len())
            };
            prop_assert_eq!(pairs.len(), want);
            if c > 0 {
                let distinct: std::collections::BTreeSet<_> =
                    pairs.iter().map(|p| p.0.clone()).collect();
                prop_assert_eq!(distinct.len(), pairs.len());
            }
        }
        Op::Zscan(k, count) => {
            let mut cursor = "0".to_string();
            let mut seen: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
            loop {
                let r = h.cmd(&args(&[&"ZSCAN", &k, &cursor, &"COUNT", &count]));
                let Reply::Array(parts) = r else {
                    return Err(TestCaseError::fail("array expected"));
                };
                let (Reply::Bulk(next), Reply::Array(items)) = (&parts[0], &parts[1]) else {
                    return Err(TestCaseError::fail("bad ZSCAN reply"));
                };
                for p in items.chunks(2) {
                    if let [Reply::Bulk(m), Reply::Bulk(s)] = p {
                        seen.insert(m.clone(), s.clone());
                    }
                }
                cursor = String::from_utf8_lossy(next).into_owned();
                if cursor == "0" {
                    break;
                }
            }
            let z = h.get(k);
            prop_assert_eq!(
                seen.keys().cloned().collect::<Vec<_>>(),
                z.keys().cloned().collect::<Vec<_>>()
            );
            for (m, s) in &seen {
                let parsed: f64 = String::from_utf8_lossy(s).parse().unwrap();
                prop_assert_eq!(parsed, z[m]);
            }
        }
        Op::LexAdd(ms) => {
            let mut a = args(&[&"ZADD", &LEX]);
            for m in &ms {
                a.push("0".into());
                a.push(m.to_string());
            }
            let r = h.cmd(&a);
            let mut z = h.get(LEX);
            let n = ms
                .iter()
                .filter(|m| z.insert(m.as_bytes().to_vec(), 0.0).is_none())
                .count();
            h.put(LEX, z);
            prop_assert_eq!(r, Reply::Integer(n as i64));
        }
        Op::LexRange(min, max, rev, limit) => {
            let (first, second) = if rev { (max, min) } else { (min, max) };
            let mut v = args(&[
                &if rev { "ZREVRANGEBYLEX" } else { "ZRANGEBYLEX" },
                &LEX,
                &first,
                &second,
            ]);
            if let Some((o, c)) = limit {
                v.extend(args(&[&"LIMIT", &o, &c]));
            }
            let r = h.cmd(&v);
            let mut o: Vec<_> = ordered(&h.get(LEX))
                .into_iter()
                .filter(|(m, _)| lex_in(m, min, true) && lex_in(m, max, false))
                .collect();
            if rev {
                o.reverse();
            }
            prop_assert_eq!(r, scored(&apply_limit(o, limit), false));
        }
        Op::LexCount(min, max) => {
            let r = h.cmd(&args(&[&"ZLEXCOUNT", &LEX, &min, &max]));
            let n = h
                .get(LEX)
                .keys()
                .filter(|m| lex_in(m, min, true) && lex_in(m, max, false))
                .count();
            prop_assert_eq!(r, Reply::Integer(n as i64));
        }
        Op::LexRem(min, max) => {
            let r = h.cmd(&args(&[&"ZREMRANGEBYLEX", &LEX, &min, &max]));
            let mut z = h.get(LEX);
            let before = z.len();
            z.retain(|m, _| !(lex_in(m, min, true) && lex_in(m, max, false)));
            let n = before - z.len();
            h.put(LEX, z);
            prop_assert_eq!(r, Reply::Integer(n as i64));
        }
        Op::Limit(n) => {
            let r = h.cmd(&args(&[
                &"CONFIG",
                &"SET",
                &"zset-max-listpack-entries",
                &n,
            ]));
            prop_assert_eq!(r, Reply::ok());
        }
    }
    Ok(())
}

/// Every key's contents, existence, type and encoding against the model.
fn check_state(h: &mut Harness) -> Result<(), TestCaseError> {
    for k in KEYS.iter().chain([LEX].iter()) {
        let r = h.cmd(&args(&[&"ZRANGE", k, &0, &-1, &"WITHSCORES"]));
        prop_assert_eq!(r, scored(&ordered(&h.get(k)), true), "contents of {}", k);
        let exists = h.cmd(&args(&[&"EXISTS", k]));
        prop_assert_eq!(exists, Reply::Integer(h.model.contains_key(k) as i64));
        if h.model.contains_key(k) {
            let enc = h.cmd(&args(&[&"OBJECT", &"ENCODING", k]));
            prop_assert!(
                enc == Reply::bulk("listpack") || enc == Reply::bulk("skiplist"),
                "encoding {:?}",
                enc
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn zset_commands_match_the_model(ops in prop::collection::vec(op(), 1..40)) {
        let mut h = Harness::new();
        for op in &ops {
            step(&mut h, op)?;
            check_state(&mut h)?;
        }
    }
}

#[test]
fn a_big_set_keeps_ranks_and_ranges_exact() {
    let mut h = Harness::new();
    let mut model = BTreeMap::new();
    for i in 0..3000u64 {
        let m = format!("m{}", (i * 7919) % 2000);
        let s = ((i * 31) % 97) as f64 / 2.0;
        h.cmd(&args(&[&"ZADD", &"big", &fmt(s), &m]));
        model.insert(m.into_bytes(), s);
        if i % 5 == 0 {
            let gone = format!("m{}", (i * 13) % 2000);
            h.cmd(&args(&[&"ZREM", &"big", &gone]));
            model.remove(gone.as_bytes());
        }
    }
    let o = ordered(&model);
    assert_eq!(
        h.cmd(&args(&[&"OBJECT", &"ENCODING", &"big"])),
        Reply::bulk("skiplist")
    );
    assert_eq!(
        h.cmd(&args(&[&"ZRANGE", &"big", &0, &-1, &"WITHSCORES"])),
        scored(&o, true)
    );
    for i in (0..o.len()).step_by(37) {
        let m = String::from_utf8(o[i].0.clone()).unwrap();
        assert_eq!(
            h.cmd(&args(&[&"ZRANK", &"big", &m])),
            Reply::Integer(i as i64)
        );
        assert_eq!(
            h.cmd(&args(&[&"ZRANGE", &"big", &i, &(i + 5)])),
            scored(&o[i..(i + 6).min(o.len())], false)
        );
    }
}
