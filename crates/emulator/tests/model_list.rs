//! Model-based test of the list commands: random operation sequences run on the engine
//! and on a plain `VecDeque` model that states Redis 7.0's list semantics directly (index
//! arithmetic, pops with counts, LPOS's rank/count/maxlen, LMOVE between and within keys,
//! LMPOP, emptied lists disappearing). After each operation the replies must be equal,
//! and so must every key's full contents.

use std::collections::{BTreeMap, VecDeque};

use proptest::prelude::*;
use redis_emulator::{ClientInfo, Engine, ManualClock, Reply};

const KEYS: &[&str] = &["a", "b"];
const ELEMS: &[&str] = &["x", "y", "z", "1", ""];

#[derive(Clone, Debug)]
enum Op {
    Push {
        key: usize,
        left: bool,
        only_if_exists: bool,
        elems: Vec<usize>,
    },
    Pop {
        key: usize,
        left: bool,
        count: Option<usize>,
    },
    Len {
        key: usize,
    },
    Range {
        key: usize,
        start: i64,
        stop: i64,
    },
    Index {
        key: usize,
        index: i64,
    },
    Set {
        key: usize,
        index: i64,
        elem: usize,
    },
    Insert {
        key: usize,
        after: bool,
        pivot: usize,
        elem: usize,
    },
    Rem {
        key: usize,
        count: i64,
        elem: usize,
    },
    Trim {
        key: usize,
        start: i64,
        stop: i64,
    },
    Pos {
        key: usize,
        elem: usize,
        rank: Option<i64>,
        count: Option<i64>,
        maxlen: Option<i64>,
    },
    Move {
        src: usize,
        dst: usize,
        from_left: bool,
        to_left: bool,
    },
    MPop {
        keys: Vec<usize>,
        left: bool,
        count: Option<usize>,
    },
}

fn index() -> impl Strategy<Value = i64> {
    prop_oneof![4 => -8i64..8, 1 => Just(i64::MIN), 1 => Just(i64::MAX)]
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0..KEYS.len();
    let elem = 0..ELEMS.len();
    prop_oneof![
        4 => (key.clone(), any::<bool>(), prop::bool::weighted(0.2), prop::collection::vec(elem.clone(), 1..4))
            .prop_map(|(key, left, only_if_exists, elems)| Op::Push { key, left, only_if_exists, elems }),
        2 => (key.clone(), any::<bool>(), prop::option::of(0usize..5))
            .prop_map(|(key, left, count)| Op::Pop { key, left, count }),
        1 => key.clone().prop_map(|key| Op::Len { key }),
        2 => (key.clone(), index(), index()).prop_map(|(key, start, stop)| Op::Range { key, start, stop }),
        1 => (key.clone(), index()).prop_map(|(key, index)| Op::Index { key, index }),
        1 => (key.clone(), index(), elem.clone()).prop_map(|(key, index, elem)| Op::Set { key, index, elem }),
        1 => (key.clone(), any::<bool>(), elem.clone(), elem.clone())
            .prop_map(|(key, after, pivot, elem)| Op::Insert { key, after, pivot, elem }),
        1 => (key.clone(), -3i64..4, elem.clone()).prop_map(|(key, count, elem)| Op::Rem { key, count, elem }),
        1 => (key.clone(), index(), index()).prop_map(|(key, start, stop)| Op::Trim { key, start, stop }),
        2 => (
            key.clone(),
            elem.clone(),
            prop::option::of(prop_oneof![-3i64..0, 1i64..4]),
            prop::option::of(0i64..3),
            prop::option::of(0i64..5)
        )
            .prop_map(|(key, elem, rank, count, maxlen)| Op::Pos { key, elem, rank, count, maxlen }),
        2 => (key.clone(), key.clone(), any::<bool>(), any::<bool>())
            .prop_map(|(src, dst, from_left, to_left)| Op::Move { src, dst, from_left, to_left }),
        1 => (prop::collection::vec(key, 1..3), any::<bool>(), prop::option::of(1usize..4))
            .prop_map(|(keys, left, count)| Op::MPop { keys, left, count }),
    ]
}

type Model = BTreeMap<usize, VecDeque<Vec<u8>>>;

fn bulk(v: &[u8]) -> Reply {
    Reply::Bulk(v.to_vec())
}

fn e(i: usize) -> Vec<u8> {
    ELEMS[i].as_bytes().to_vec()
}

/// An index as LINDEX reads it.
fn at(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 {
        len as i128 + index as i128
    } else {
        index as i128
    };
    (0..len as i128).contains(&i).then_some(i as usize)
}

/// An inclusive range as LRANGE/LTRIM read it.
fn range(start: i64, stop: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i128;
    let s = if start < 0 {
        (len + start as i128).max(0)
    } else {
        start as i128
    };
    let mut t = if stop < 0 {
        len + stop as i128
    } else {
        stop as i128
    };
    if s > t || s >= len {
        return None;
    }
    t = t.min(len - 1);
    Some((s as usize, t as usize))
}

fn pop_end(l: &mut VecDeque<Vec<u8>>, left: bool) -> Option<Vec<u8>> {
    if left {
        l.pop_front()
    } else {
        l.pop_back()
    }
}

/// Applies `op` to the model and returns the reply Redis gives, with the argv to send.
fn apply(m: &mut Model, op: &Op) -> (Vec<Vec<u8>>, Reply) {
    let k = |i: usize| KEYS[i].as_bytes().to_vec();
    let s = |x: &str| x.as_bytes().to_vec();
    let n = |x: i64| x.to_string().into_bytes();
    let (argv, reply) = match op {
        Op::Push {
            key,
            left,
            only_if_exists,
            elems,
        } => {
            let name = match (left, only_if_exists) {
                (true, false) => "LPUSH",
                (false, false) => "RPUSH",
                (true, true) => "LPUSHX",
                (false, true) => "RPUSHX",
            };
            let mut argv = vec![s(name), k(*key)];
            argv.extend(elems.iter().map(|&i| e(i)));
            let reply = if *only_if_exists && !m.contains_key(key) {
                Reply::Integer(0)
            } else {
                let l = m.entry(*key).or_default();
                for &i in elems {
                    if *left {
                        l.push_front(e(i));
                    } else {
                        l.push_back(e(i));
                    }
                }
                Reply::Integer(l.len() as i64)
            };
            (argv, reply)
        }
        Op::Pop { key, left, count } => {
            let mut argv = vec![s(if *left { "LPOP" } else { "RPOP" }), k(*key)];
            let reply = match (count, m.get_mut(key)) {
                (None, None) => Reply::Nil,
                (None, Some(l)) => bulk(&pop_end(l, *left).unwrap()),
                (Some(_), None) => Reply::NilArray,
                (Some(c), Some(l)) => Reply::Array(
                    (0..*c)
                        .filter_map(|_| pop_end(l, *left))
                        .map(|v| bulk(&v))
                        .collect(),
                ),
            };
            if let Some(c) = count {
                argv.push(n(*c as i64));
            }
            (argv, reply)
        }
        Op::Len { key } => (
            vec![s("LLEN"), k(*key)],
            Reply::Integer(m.get(key).map_or(0, |l| l.len()) as i64),
        ),
        Op::Range { key, start, stop } => {
            let items = match m.get(key) {
                Some(l) => match range(*start, *stop, l.len()) {
                    Some((a, b)) => l.range(a..=b).map(|v| bulk(v)).collect(),
                    None => vec![],
                },
                None => vec![],
            };
            (
                vec![s("LRANGE"), k(*key), n(*start), n(*stop)],
                Reply::Array(items),
            )
        }
        Op::Index { key, index } => {
            let r = m
                .get(key)
                .and_then(|l| at(*index, l.len()).map(|i| bulk(&l[i])))
                .unwrap_or(Reply::Nil);
            (vec![s("LINDEX"), k(*key), n(*index)], r)
        }
        Op::Set { key, index, elem } => {
            let r = match m.get_mut(key) {
                None => Reply::Error("ERR no such key".into()),
                Some(l) => match at(*index, l.len()) {
                    Some(i) => {
                        l[i] = e(*elem);
                        Reply::Status("OK".into())
                    }
                    None => Reply::Error("ERR index out of range".into()),
                },
            };
            (vec![s("LSET"), k(*key), n(*index), e(*elem)], r)
        }
        Op::Insert {
            key,
            after,
            pivot,
            elem,
        } => {
            let r = match m.get_mut(key) {
                None => Reply::Integer(0),
                Some(l) => match l.iter().position(|v| *v == e(*pivot)) {
                    None => Reply::Integer(-1),
                    Some(p) => {
                        l.insert(if *after { p + 1 } else { p }, e(*elem));
                        Reply::Integer(l.len() as i64)
                    }
                },
            };
            (
                vec![
                    s("LINSERT"),
                    k(*key),
                    s(if *after { "AFTER" } else { "BEFORE" }),
                    e(*pivot),
                    e(*elem),
                ],
                r,
            )
        }
        Op::Rem { key, count, elem } => {
            let target = e(*elem);
            let mut removed = 0;
            if let Some(l) = m.get_mut(key) {
                let limit = count.unsigned_abs() as usize;
                let mut items: Vec<Vec<u8>> = l.drain(..).collect();
                if *count < 0 {
                    items.reverse();
                }
                let mut kept = Vec::new();
                for v in items {
                    if v == target && (limit == 0 || removed < limit) {
                        removed += 1;
                    } else {
                        kept.push(v);
                    }
                }
                if *count < 0 {
                    kept.reverse();
                }
                l.extend(kept);
            }
            (
                vec![s("LREM"), k(*key), n(*count), e(*elem)],
                Reply::Integer(removed as i64),
            )
        }
        Op::Trim { key, start, stop } => {
            if let Some(l) = m.get_mut(key) {
                let kept: VecDeque<Vec<u8>> = match range(*start, *stop, l.len()) {
                    Some((a, b)) => l.range(a..=b).cloned().collect(),
                    None => VecDeque::new(),
                };
                *l = kept;
            }
            (
                vec![s("LTRIM"), k(*key), n(*start), n(*stop)],
                Reply::Status("OK".into()),
            )
        }
        Op::Pos {
            key,
            elem,
            rank,
            count,
            maxlen,
        } => {
            let mut argv = vec![s("LPOS"), k(*key), e(*elem)];
            if let Some(r) = rank {
                argv.extend([s("RANK"), n(*r)]);
            }
            if let Some(c) = count {
                argv.extend([s("COUNT"), n(*c)]);
            }
            if let Some(ml) = maxlen {
                argv.extend([s("MAXLEN"), n(*ml)]);
            }
            let rank = rank.unwrap_or(1);
            let target = e(*elem);
            let r = match m.get(key) {
                None => {
                    if count.is_some() {
                        Reply::Array(vec![])
                    } else {
                        Reply::Nil
                    }
                }
                Some(l) => {
                    // Positions of matches in scan order, within MAXLEN scanned elements.
                    let len = l.len();
                    let order: Vec<usize> = if rank > 0 {
                        (0..len).collect()
                    } else {
                        (0..len).rev().collect()
                    };
                    let scanned = match maxlen {
                        Some(ml) if *ml > 0 => (*ml as usize).min(len),
                        _ => len,
                    };
                    let hits: Vec<usize> = order[..scanned]
                        .iter()
                        .copied()
                        .filter(|&i| l[i] == target)
                        .skip(rank.unsigned_abs() as usize - 1)
                        .collect();
                    match count {
                        None => hits
                            .first()
                            .map_or(Reply::Nil, |&i| Reply::Integer(i as i64)),
                        Some(0) => {
                            Reply::Array(hits.iter().map(|&i| Reply::Integer(i as i64)).collect())
                        }
                        Some(c) => Reply::Array(
                            hits.iter()
                                .take(*c as usize)
                                .map(|&i| Reply::Integer(i as i64))
                                .collect(),
                        ),
                    }
                }
            };
            (argv, r)
        }
        Op::Move {
            src,
            dst,
            from_left,
            to_left,
        } => {
            let argv = vec![
                s("LMOVE"),
                k(*src),
                k(*dst),
                s(if *from_left { "LEFT" } else { "RIGHT" }),
                s(if *to_left { "LEFT" } else { "RIGHT" }),
            ];
            let r = match m.get_mut(src).and_then(|l| pop_end(l, *from_left)) {
                None => Reply::Nil,
                Some(v) => {
                    let l = m.entry(*dst).or_default();
                    if *to_left {
                        l.push_front(v.clone());
                    } else {
                        l.push_back(v.clone());
                    }
                    bulk(&v)
                }
            };
            (argv, r)
        }
        Op::MPop { keys, left, count } => {
            let mut argv = vec![s("LMPOP"), n(keys.len() as i64)];
            argv.extend(keys.iter().map(|&i| k(i)));
            argv.push(s(if *left { "LEFT" } else { "RIGHT" }));
            if let Some(c) = count {
                argv.extend([s("COUNT"), n(*c as i64)]);
            }
            let mut r = Reply::NilArray;
            for &key in keys {
                if let Some(l) = m.get_mut(&key) {
                    if l.is_empty() {
                        continue;
                    }
                    let items = (0..count.unwrap_or(1))
                        .filter_map(|_| pop_end(l, *left))
                        .map(|v| bulk(&v))
                        .collect();
                    r = Reply::Array(vec![bulk(KEYS[key].as_bytes()), Reply::Array(items)]);
                    break;
                }
            }
            (argv, r)
        }
    };
    // Redis never keeps an empty list.
    m.retain(|_, l| !l.is_empty());
    (argv, reply)
}

fn check(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut engine = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 7);
    let c = engine.connect(ClientInfo::default());
    let mut model = Model::new();
    for (step, op) in ops.iter().enumerate() {
        let (argv, expected) = apply(&mut model, op);
        let actual = engine.execute(c, &argv);
        prop_assert_eq!(&actual, &expected, "step {}: {:?}", step, op);
        for (i, name) in KEYS.iter().enumerate() {
            let all = engine.execute(
                c,
                &[
                    b"LRANGE".to_vec(),
                    name.as_bytes().to_vec(),
                    b"0".to_vec(),
                    b"-1".to_vec(),
                ],
            );
            let want = Reply::Array(
                model
                    .get(&i)
                    .map_or(vec![], |l| l.iter().map(|v| bulk(v)).collect()),
            );
            prop_assert_eq!(
                &all,
                &want,
                "contents of {} after step {}: {:?}",
                name,
                step,
                op
            );
            let exists = engine.execute(c, &[b"EXISTS".to_vec(), name.as_bytes().to_vec()]);
            prop_assert_eq!(exists, Reply::Integer(model.contains_key(&i) as i64));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn lists_behave_like_the_model(ops in prop::collection::vec(op(), 1..40)) {
        check(&ops)?;
    }
}

#[test]
fn model_agrees_on_a_known_sequence() {
    let ops = vec![
        Op::Push {
            key: 0,
            left: false,
            only_if_exists: false,
            elems: vec![0, 1, 0, 2],
        },
        Op::Pos {
            key: 0,
            elem: 0,
            rank: Some(-1),
            count: Some(0),
            maxlen: None,
        },
        Op::Rem {
            key: 0,
            count: -1,
            elem: 0,
        },
        Op::Move {
            src: 0,
            dst: 0,
            from_left: true,
            to_left: false,
        },
        Op::MPop {
            keys: vec![1, 0],
            left: false,
            count: Some(5),
        },
        Op::Pop {
            key: 0,
            left: true,
            count: Some(0),
        },
    ];
    check(&ops).unwrap();
}
