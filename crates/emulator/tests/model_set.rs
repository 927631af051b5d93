//! Sets against a model: random sequences of set commands run on the engine and on a
//! `BTreeSet` per key, comparing every reply and, after every step, the whole state
//! (members of every key, which keys exist, and that the reported encoding is one Redis
//! could report). Random commands (SPOP, SRANDMEMBER) are checked by their properties:
//! sizes, membership, distinctness, and what they remove.
//!
//! Bounded: a few hundred sequences of a few dozen commands (well under 3 s).

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use redis_emulator::{ClientInfo, Engine, ManualClock, Reply};

const KEYS: &[&str] = &["s1", "s2", "s3"];
/// Integers (intset material) and strings, so encodings convert both ways of arriving.
const MEMBERS: &[&str] = &[
    "1", "2", "3", "10", "-5", "0", "a", "b", "c", "01", "", "x y",
];

type Model = BTreeMap<&'static str, BTreeSet<Vec<u8>>>;

#[derive(Debug, Clone)]
enum Op {
    Sadd(&'static str, Vec<&'static str>),
    Srem(&'static str, Vec<&'static str>),
    Sismember(&'static str, &'static str),
    Smismember(&'static str, Vec<&'static str>),
    Scard(&'static str),
    Smove(&'static str, &'static str, &'static str),
    Spop(&'static str, Option<u8>),
    Srandmember(&'static str, Option<i8>),
    Inter(Vec<&'static str>, Option<&'static str>),
    Union(Vec<&'static str>, Option<&'static str>),
    Diff(Vec<&'static str>, Option<&'static str>),
    Intercard(Vec<&'static str>, u8),
    Sscan(&'static str, u8),
    IntsetLimit(u8),
}

fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(KEYS)
}
fn member() -> impl Strategy<Value = &'static str> {
    prop::sample::select(MEMBERS)
}
fn members() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(member(), 1..6)
}
fn keys() -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(key(), 1..4)
}
fn dst() -> impl Strategy<Value = Option<&'static str>> {
    prop::option::of(key())
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (key(), members()).prop_map(|(k, m)| Op::Sadd(k, m)),
        3 => (key(), members()).prop_map(|(k, m)| Op::Srem(k, m)),
        1 => (key(), member()).prop_map(|(k, m)| Op::Sismember(k, m)),
        1 => (key(), members()).prop_map(|(k, m)| Op::Smismember(k, m)),
        1 => key().prop_map(Op::Scard),
        2 => (key(), key(), member()).prop_map(|(a, b, m)| Op::Smove(a, b, m)),
        2 => (key(), prop::option::of(0u8..15)).prop_map(|(k, c)| Op::Spop(k, c)),
        2 => (key(), prop::option::of(-15i8..15)).prop_map(|(k, c)| Op::Srandmember(k, c)),
        2 => (keys(), dst()).prop_map(|(k, d)| Op::Inter(k, d)),
        2 => (keys(), dst()).prop_map(|(k, d)| Op::Union(k, d)),
        2 => (keys(), dst()).prop_map(|(k, d)| Op::Diff(k, d)),
        1 => (keys(), 0u8..6).prop_map(|(k, l)| Op::Intercard(k, l)),
        1 => (key(), 1u8..6).prop_map(|(k, c)| Op::Sscan(k, c)),
        1 => prop::sample::select(&[0u8, 1, 3, 5, 200][..]).prop_map(Op::IntsetLimit),
    ]
}

struct Harness {
    e: Engine,
    c: u64,
    model: Model,
}

impl Harness {
    fn new() -> Self {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 11);
        let c = e.connect(ClientInfo::default());
        Harness {
            e,
            c,
            model: Model::new(),
        }
    }

    fn run(&mut self, args: &[&[u8]]) -> Reply {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        self.e.execute(self.c, &argv)
    }

    fn cmd(&mut self, name: &str, rest: &[&str]) -> Reply {
        let mut args: Vec<&[u8]> = vec![name.as_bytes()];
        args.extend(rest.iter().map(|s| s.as_bytes()));
        self.run(&args)
    }

    fn get(&self, k: &str) -> BTreeSet<Vec<u8>> {
        self.model.get(k).cloned().unwrap_or_default()
    }

    /// Stores `s` at `k` (removing the key when empty, as Redis does).
    fn put(&mut self, k: &'static str, s: BTreeSet<Vec<u8>>) {
        if s.is_empty() {
            self.model.remove(k);
        } else {
            self.model.insert(k, s);
        }
    }
}

fn int(r: &Reply) -> i64 {
    match r {
        Reply::Integer(n) => *n,
        other => panic!("integer expected, got {other:?}"),
    }
}

fn bulks(r: &Reply) -> Vec<Vec<u8>> {
    match r {
        Reply::Array(items) | Reply::Set(items) => items
            .iter()
            .map(|i| match i {
                Reply::Bulk(b) => b.clone(),
                other => panic!("bulk expected, got {other:?}"),
            })
            .collect(),
        other => panic!("array expected, got {other:?}"),
    }
}

fn sorted(v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut v = v;
    v.sort();
    v
}

fn as_vec(s: &BTreeSet<Vec<u8>>) -> Vec<Vec<u8>> {
    s.iter().cloned().collect()
}

fn is_int(m: &[u8]) -> bool {
    let s = std::str::from_utf8(m).unwrap_or("");
    s.parse::<i64>().is_ok_and(|n| n.to_string() == s)
}

fn step(h: &mut Harness, op: &Op) -> Result<(), TestCaseError> {
    match op {
        Op::Sadd(k, ms) => {
            let r = h.cmd("SADD", &[&[*k], &ms[..]].concat());
            let mut s = h.get(k);
            let added = ms
                .iter()
                .filter(|m| s.insert(m.as_bytes().to_vec()))
                .count();
            h.put(k, s);
            prop_assert_eq!(int(&r), added as i64);
        }
        Op::Srem(k, ms) => {
            let r = h.cmd("SREM", &[&[*k], &ms[..]].concat());
            let mut s = h.get(k);
            let removed = ms.iter().filter(|m| s.remove(m.as_bytes())).count();
            h.put(k, s);
            prop_assert_eq!(int(&r), removed as i64);
        }
        Op::Sismember(k, m) => {
            let r = h.cmd("SISMEMBER", &[k, m]);
            prop_assert_eq!(int(&r), h.get(k).contains(m.as_bytes()) as i64);
        }
        Op::Smismember(k, ms) => {
            let r = h.cmd("SMISMEMBER", &[&[*k], &ms[..]].concat());
            let s = h.get(k);
            let want: Vec<Reply> = ms
                .iter()
                .map(|m| Reply::Integer(s.contains(m.as_bytes()) as i64))
                .collect();
            prop_assert_eq!(r, Reply::Array(want));
        }
        Op::Scard(k) => {
            let r = h.cmd("SCARD", &[k]);
            prop_assert_eq!(int(&r), h.get(k).len() as i64);
        }
        Op::Smove(a, b, m) => {
            let r = h.cmd("SMOVE", &[a, b, m]);
            let m = m.as_bytes().to_vec();
            let mut src = h.get(a);
            let moved = src.contains(&m);
            if moved && a != b {
                src.remove(&m);
                h.put(a, src);
                let mut d = h.get(b);
                d.insert(m);
                h.put(b, d);
            }
            prop_assert_eq!(int(&r), moved as i64);
        }
        Op::Spop(k, None) => {
            let r = h.cmd("SPOP", &[k]);
            let mut s = h.get(k);
            match r {
                Reply::Nil => prop_assert!(s.is_empty()),
                Reply::Bulk(m) => {
                    prop_assert!(s.remove(&m), "popped a non-member");
                    h.put(k, s);
                }
                other => prop_assert!(false, "SPOP replied {:?}", other),
            }
        }
        Op::Spop(k, Some(count)) => {
            let r = h.cmd("SPOP", &[k, &count.to_string()]);
            prop_assert!(
                matches!(r, Reply::Set(_)),
                "SPOP with a count replies a set: {:?}",
                r
            );
            let popped = bulks(&r);
            let mut s = h.get(k);
            prop_assert_eq!(popped.len(), (*count as usize).min(s.len()));
            for m in &popped {
                prop_assert!(s.remove(m), "popped a non-member or twice");
            }
            h.put(k, s);
        }
        Op::Srandmember(k, None) => {
            let r = h.cmd("SRANDMEMBER", &[k]);
            let s = h.get(k);
            match r {
                Reply::Nil => prop_assert!(s.is_empty()),
                Reply::Bulk(m) => prop_assert!(s.contains(&m)),
                other => prop_assert!(false, "SRANDMEMBER replied {:?}", other),
            }
        }
        Op::Srandmember(k, Some(count)) => {
            let r = h.cmd("SRANDMEMBER", &[k, &count.to_string()]);
            prop_assert!(
                matches!(r, Reply::Array(_)),
                "SRANDMEMBER with a count replies an array: {:?}",
                r
            );
            let picked = bulks(&r);
            let s = h.get(k);
            for m in &picked {
                prop_assert!(s.contains(m));
            }
            if s.is_empty() || *count == 0 {
                prop_assert!(picked.is_empty());
            } else if *count > 0 {
                prop_assert_eq!(picked.len(), (*count as usize).min(s.len()));
                let distinct: BTreeSet<_> = picked.iter().collect();
                prop_assert_eq!(
                    distinct.len(),
                    picked.len(),
                    "repeated members with a positive count"
                );
            } else {
                prop_assert_eq!(picked.len(), count.unsigned_abs() as usize);
            }
        }
        Op::Inter(ks, d) | Op::Union(ks, d) | Op::Diff(ks, d) => {
            let sets: Vec<BTreeSet<Vec<u8>>> = ks.iter().map(|k| h.get(k)).collect();
            let result: BTreeSet<Vec<u8>> = match op {
                Op::Inter(..) => {
                    let mut acc = sets[0].clone();
                    for s in &sets[1..] {
                        acc = acc.intersection(s).cloned().collect();
                    }
                    acc
                }
                Op::Union(..) => sets.iter().flatten().cloned().collect(),
                _ => {
                    let mut acc = sets[0].clone();
                    for s in &sets[1..] {
                        acc = acc.difference(s).cloned().collect();
                    }
                    acc
                }
            };
            let name = match op {
                Op::Inter(..) => "SINTER",
                Op::Union(..) => "SUNION",
                _ => "SDIFF",
            };
            match d {
                None => {
                    let r = h.cmd(name, ks);
                    prop_assert!(
                        matches!(r, Reply::Set(_)),
                        "{} replies a set: {:?}",
                        name,
                        r
                    );
                    prop_assert_eq!(sorted(bulks(&r)), as_vec(&result));
                }
                Some(d) => {
                    let r = h.cmd(&format!("{name}STORE"), &[&[*d], &ks[..]].concat());
                    prop_assert_eq!(int(&r), result.len() as i64);
                    h.put(d, result);
                }
            }
        }
        Op::Intercard(ks, limit) => {
            let mut acc = h.get(ks[0]);
            for k in &ks[1..] {
                acc = acc.intersection(&h.get(k)).cloned().collect();
            }
            let n = ks.len().to_string();
            let l = limit.to_string();
            let r = h.cmd(
                "SINTERCARD",
                &[&[n.as_str()], &ks[..], &["LIMIT", l.as_str()]].concat(),
            );
            let want = if *limit == 0 {
                acc.len()
            } else {
                acc.len().min(*limit as usize)
            };
            prop_assert_eq!(int(&r), want as i64);
        }
        Op::Sscan(k, count) => {
            // A whole iteration with no changes in between returns every member, and
            // never one twice.
            let mut cursor = "0".to_string();
            let mut seen = Vec::new();
            for _ in 0..1000 {
                let r = h.cmd("SSCAN", &[k, &cursor, "COUNT", &count.to_string()]);
                let Reply::Array(parts) = r else {
                    return Err(TestCaseError::fail("SSCAN reply"));
                };
                let Reply::Bulk(next) = &parts[0] else {
                    return Err(TestCaseError::fail("SSCAN cursor"));
                };
                seen.extend(bulks(&parts[1]));
                cursor = String::from_utf8(next.clone()).unwrap();
                if cursor == "0" {
                    break;
                }
            }
            prop_assert_eq!(&cursor, "0");
            let distinct: BTreeSet<_> = seen.iter().cloned().collect();
            prop_assert_eq!(distinct.len(), seen.len(), "SSCAN returned a member twice");
            prop_assert_eq!(distinct, h.get(k));
        }
        Op::IntsetLimit(n) => {
            let r = h.cmd("CONFIG", &["SET", "set-max-intset-entries", &n.to_string()]);
            prop_assert_eq!(r, Reply::ok());
        }
    }
    Ok(())
}

/// After every step: the engine holds exactly the model, and each set's encoding is one
/// Redis could have (an intset holds only canonical integers; a set with another member
/// is a hashtable).
fn check_state(h: &mut Harness) -> Result<(), TestCaseError> {
    for k in KEYS {
        let s = h.get(k);
        let members = h.cmd("SMEMBERS", &[k]);
        prop_assert_eq!(sorted(bulks(&members)), as_vec(&s), "members of {}", k);
        prop_assert_eq!(int(&h.cmd("EXISTS", &[k])), !s.is_empty() as i64);
        if s.is_empty() {
            continue;
        }
        let enc = h.cmd("OBJECT", &["ENCODING", k]);
        let all_ints = s.iter().all(|m| is_int(m));
        match enc {
            Reply::Bulk(e) if e == b"intset" => {
                prop_assert!(all_ints, "intset {} holds a non-integer", k);
                // Members come in numeric order.
                let nums: Vec<i64> = bulks(&members)
                    .iter()
                    .map(|m| std::str::from_utf8(m).unwrap().parse().unwrap())
                    .collect();
                prop_assert!(
                    nums.windows(2).all(|w| w[0] < w[1]),
                    "intset order {:?}",
                    nums
                );
            }
            Reply::Bulk(e) if e == b"hashtable" => {}
            other => prop_assert!(false, "encoding of {}: {:?}", k, other),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, max_shrink_iters: 1000, ..ProptestConfig::default() })]

    #[test]
    fn set_commands_behave_like_a_btreeset(ops in prop::collection::vec(op(), 1..40)) {
        let mut h = Harness::new();
        for op in &ops {
            step(&mut h, op)?;
            check_state(&mut h)?;
        }
    }
}

/// SADD alone decides the encoding exactly: intset while every member is an integer and
/// the size is within the limit at each addition; a hashtable from then on, for good.
#[test]
fn sadd_encodings_follow_redis_rules() {
    let mut h = Harness::new();
    for (limit, adds, want) in [
        (512usize, vec![vec!["1", "2"]], "intset"),
        (2, vec![vec!["1", "2"], vec!["3"]], "hashtable"),
        (2, vec![vec!["1", "2", "3"]], "hashtable"),
        (512, vec![vec!["1"], vec!["a"]], "hashtable"),
        (0, vec![vec!["1"]], "hashtable"),
        (1, vec![vec!["1"]], "intset"),
    ] {
        h.cmd("DEL", &["k"]);
        h.cmd(
            "CONFIG",
            &["SET", "set-max-intset-entries", &limit.to_string()],
        );
        for a in &adds {
            h.cmd("SADD", &[&["k"], &a[..]].concat());
        }
        assert_eq!(
            h.cmd("OBJECT", &["ENCODING", "k"]),
            Reply::bulk(want),
            "{limit} {adds:?}"
        );
    }
    // Removing members never converts back.
    h.cmd("DEL", &["k"]);
    h.cmd("CONFIG", &["SET", "set-max-intset-entries", "2"]);
    h.cmd("SADD", &["k", "1", "2", "3"]);
    h.cmd("SREM", &["k", "3", "2"]);
    h.cmd("CONFIG", &["SET", "set-max-intset-entries", "512"]);
    h.cmd("SADD", &["k", "6"]);
    assert_eq!(
        h.cmd("OBJECT", &["ENCODING", "k"]),
        Reply::bulk("hashtable")
    );
}

/// SPOP's third strategy (few members left) rebuilds the set from what stays: a
/// hashtable of integers becomes an intset again, as in Redis.
#[test]
fn spop_leaving_few_members_rebuilds_the_set() {
    let mut h = Harness::new();
    h.cmd("CONFIG", &["SET", "set-max-intset-entries", "2"]);
    h.cmd("SADD", &["k", "1", "2", "3", "4", "5", "6"]);
    assert_eq!(
        h.cmd("OBJECT", &["ENCODING", "k"]),
        Reply::bulk("hashtable")
    );
    h.cmd("CONFIG", &["SET", "set-max-intset-entries", "512"]);
    h.cmd("EXPIRE", &["k", "100"]);
    let r = h.cmd("SPOP", &["k", "5"]);
    assert_eq!(bulks(&r).len(), 5);
    assert_eq!(int(&h.cmd("SCARD", &["k"])), 1);
    assert_eq!(h.cmd("OBJECT", &["ENCODING", "k"]), Reply::bulk("intset"));
    assert_eq!(int(&h.cmd("TTL", &["k"])), 100);
    // The second strategy (many left) pops in place: the encoding stays.
    h.cmd("DEL", &["k"]);
    h.cmd("CONFIG", &["SET", "set-max-intset-entries", "2"]);
    h.cmd("SADD", &["k", "1", "2", "3", "4", "5", "6"]);
    h.cmd("CONFIG", &["SET", "set-max-intset-entries", "512"]);
    h.cmd("SPOP", &["k", "2"]);
    assert_eq!(
        h.cmd("OBJECT", &["ENCODING", "k"]),
        Reply::bulk("hashtable")
    );
    // The third strategy replies with what goes in the old set's order: numeric for an
    // intset.
    h.cmd("DEL", &["n"]);
    h.cmd(
        "SADD",
        &["n", "9", "8", "7", "6", "5", "4", "3", "2", "1", "0"],
    );
    let popped: Vec<i64> = bulks(&h.cmd("SPOP", &["n", "9"]))
        .iter()
        .map(|m| std::str::from_utf8(m).unwrap().parse().unwrap())
        .collect();
    assert!(popped.windows(2).all(|w| w[0] < w[1]), "{popped:?}");
}

/// The same seed picks the same members: random commands replay.
#[test]
fn random_picks_replay_with_the_same_seed() {
    let run = || {
        let mut h = Harness::new();
        h.cmd("SADD", &["k", "a", "b", "c", "d", "e", "f", "g", "h"]);
        let mut out = Vec::new();
        for line in [
            ["SRANDMEMBER", "k", "3"],
            ["SRANDMEMBER", "k", "-5"],
            ["SPOP", "k", "2"],
            ["SRANDMEMBER", "k", "7"],
        ] {
            out.push(h.cmd(line[0], &line[1..]));
        }
        out.push(h.cmd("SPOP", &["k"]));
        out
    };
    assert_eq!(run(), run());
}

/// A negative count asks for that many picks: the emulator refuses absurd sizes with an
/// error instead of running out of memory (Redis would try).
#[test]
fn huge_negative_srandmember_counts_are_refused() {
    let mut h = Harness::new();
    h.cmd("SADD", &["k", "a"]);
    let r = h.cmd("SRANDMEMBER", &["k", "-9223372036854775807"]);
    assert!(
        matches!(r, Reply::Error(ref e) if e.starts_with("ERR ")),
        "{r:?}"
    );
    assert_eq!(bulks(&h.cmd("SRANDMEMBER", &["k", "-1000"])).len(), 1000);
}

/// Picks are spread over the members (uniform within a loose bound), for intsets and
/// hashtables alike.
#[test]
fn random_picks_are_spread() {
    for members in [vec!["1", "2", "3", "4"], vec!["a", "b", "c", "d"]] {
        let mut h = Harness::new();
        h.cmd("SADD", &[&["k"], &members[..]].concat());
        let picks = bulks(&h.cmd("SRANDMEMBER", &["k", "-4000"]));
        for m in &members {
            let n = picks
                .iter()
                .filter(|p| p.as_slice() == m.as_bytes())
                .count();
            assert!((800..1200).contains(&n), "{m}: {n} of 4000");
        }
    }
}

/// SSCAN's guarantee on a hashtable: a member present from the first call to the last
/// is returned, even when members come and go between calls (and the cursor stays
/// valid while the set grows and shrinks).
#[test]
fn sscan_returns_members_present_throughout_despite_changes() {
    let mut h = Harness::new();
    let stable: Vec<String> = (0..200).map(|i| format!("m{i}")).collect();
    let stable_refs: Vec<&str> = stable.iter().map(String::as_str).collect();
    h.cmd("SADD", &[&["k"], &stable_refs[..]].concat());
    let mut cursor = "0".to_string();
    let mut seen = BTreeSet::new();
    let mut round = 0;
    loop {
        let r = h.cmd("SSCAN", &["k", &cursor, "COUNT", "10"]);
        let Reply::Array(parts) = r else {
            panic!("SSCAN reply")
        };
        let Reply::Bulk(next) = &parts[0] else {
            panic!("SSCAN cursor")
        };
        seen.extend(bulks(&parts[1]));
        cursor = String::from_utf8(next.clone()).unwrap();
        if cursor == "0" {
            break;
        }
        // Grow a lot, then shrink, between calls.
        let extra: Vec<String> = (0..50).map(|i| format!("t{round}-{i}")).collect();
        let extra_refs: Vec<&str> = extra.iter().map(String::as_str).collect();
        h.cmd("SADD", &[&["k"], &extra_refs[..]].concat());
        if round % 2 == 1 {
            let prev: Vec<String> = (0..50).map(|i| format!("t{}-{i}", round - 1)).collect();
            let prev_refs: Vec<&str> = prev.iter().map(String::as_str).collect();
            h.cmd("SREM", &[&["k"], &prev_refs[..]].concat());
        }
        round += 1;
        assert!(round < 10_000, "SSCAN never finished");
    }
    for m in &stable {
        assert!(seen.contains(m.as_bytes()), "{m} was never returned");
    }
}
