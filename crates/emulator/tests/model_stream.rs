//! Streams and consumer groups against a model: random sequences of XADD (explicit IDs,
//! `<ms>-*` and `*` under a moving `ManualClock`), XREADGROUP (`>` and history reads,
//! COUNT, NOACK, several consumers), XACK, XCLAIM (IDLE, RETRYCOUNT, FORCE, JUSTID),
//! XAUTOCLAIM (COUNT, JUSTID, cursors), XDEL, XTRIM MAXLEN =, XGROUP CREATECONSUMER /
//! DELCONSUMER / SETID (with ENTRIESREAD) / DESTROY + CREATE run on the engine and on a
//! plain model: a `Vec` of entries, and per group its last delivered ID, read counter,
//! a PEL map `id -> (consumer, delivery count, delivery time)` and the consumers with
//! their seen time. Every reply is compared with the model's prediction, and after every
//! step the whole state as the commands show it: XRANGE, XLEN, XINFO STREAM, XINFO GROUPS
//! (entries-read and lag by Redis 7.0's rules), XINFO CONSUMERS (idle), XPENDING (summary,
//! extended, per consumer, IDLE).
//!
//! The model's rules are Redis 7.0's (t_stream.c); where it was in doubt it was settled
//! against a real redis-server 7.0.15.
//!
//! Bounded: 300 sequences of up to 60 commands and three runs of 1,500 (about 2 s in a
//! debug build). A longer hunt: `PROPTEST_CASES=20000 cargo test --release --test model_stream`.

use std::collections::BTreeMap;

use proptest::prelude::*;
use redis_emulator::{ClientInfo, Engine, ManualClock, Reply};

const T0: i64 = 1_700_000_000_000;
const KEY: &str = "s";
const GROUPS: &[&str] = &["g1", "g2"];
const CONSUMERS: &[&str] = &["alice", "bob", "carol"];
const FIELDS: &[(&str, &str)] = &[
    ("f", "v"),
    ("name", "x"),
    ("n", "12345"),
    ("", ""),
    ("a-much-longer-field", "and value"),
];

type Id = (u64, u64);

fn fmt(id: Id) -> String {
    format!("{}-{}", id.0, id.1)
}

fn id_reply(id: Id) -> Reply {
    Reply::bulk(fmt(id))
}

fn incr(id: Id) -> Id {
    if id.1 == u64::MAX {
        (id.0 + 1, 0)
    } else {
        (id.0, id.1 + 1)
    }
}

#[derive(Clone, Debug)]
struct Nack {
    consumer: &'static str,
    count: u64,
    time: i64,
}

#[derive(Clone, Debug)]
struct MGroup {
    last_id: Id,
    /// None: invalid (SCG_INVALID_ENTRIES_READ).
    entries_read: Option<i64>,
    pel: BTreeMap<Id, Nack>,
    /// name -> seen time
    consumers: BTreeMap<&'static str, i64>,
}

impl MGroup {
    fn new(last_id: Id, entries_read: Option<i64>) -> Self {
        MGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }
    fn consumer_pel(&self, c: &str) -> Vec<Id> {
        self.pel
            .iter()
            .filter(|(_, n)| n.consumer == c)
            .map(|(id, _)| *id)
            .collect()
    }
    /// streamLookupConsumer (refreshing) or streamCreateConsumer: both set seen time.
    fn touch(&mut self, c: &'static str, now: i64) {
        self.consumers.insert(c, now);
    }
}

#[derive(Clone, Debug, Default)]
struct Model {
    entries: Vec<(Id, &'static str, &'static str)>,
    last_id: Id,
    max_deleted: Id,
    entries_added: u64,
    groups: BTreeMap<&'static str, MGroup>,
    /// Every ID ever added, for picking IDs (deleted ones included).
    ever: Vec<Id>,
}

impl Model {
    fn first_id(&self) -> Id {
        self.entries.first().map_or((0, 0), |e| e.0)
    }
    fn contains(&self, id: Id) -> bool {
        self.entries.binary_search_by(|e| e.0.cmp(&id)).is_ok()
    }
    fn entry(&self, id: Id) -> Option<Reply> {
        let i = self.entries.binary_search_by(|e| e.0.cmp(&id)).ok()?;
        let (id, f, v) = self.entries[i];
        Some(entry_reply(id, f, v))
    }
    /// streamRangeHasTombstones.
    fn has_tombstones(&self, start: Id) -> bool {
        if self.entries.is_empty() || self.max_deleted == (0, 0) {
            return false;
        }
        if self.first_id() > self.max_deleted {
            return false;
        }
        start <= self.max_deleted
    }
    /// streamEstimateDistanceFromFirstEverEntry.
    fn estimate(&self, id: Id) -> Option<i64> {
        let added = self.entries_added as i64;
        let len = self.entries.len() as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if len == 0 && id <= self.last_id {
            return Some(added);
        }
        if id == self.last_id {
            return Some(added);
        }
        if id > self.last_id {
            return None;
        }
        let first = self.first_id();
        if self.max_deleted == (0, 0) || self.max_deleted < first {
            if id < first {
                return Some(added - len);
            }
            if id == first {
                return Some(added - len + 1);
            }
        }
        None
    }
    fn lag(&self, g: &MGroup) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if let Some(read) = g.entries_read {
            if !self.has_tombstones(g.last_id) {
                return Some(self.entries_added as i64 - read);
            }
        }
        self.estimate(g.last_id)
            .map(|read| self.entries_added as i64 - read)
    }
    /// What delivering `id` to a group does to its position.
    fn advance(&mut self, group: &str, id: Id) {
        let g = &self.groups[group];
        if id <= g.last_id {
            return;
        }
        let read = if g.entries_read.is_some() && !self.has_tombstones(id) {
            g.entries_read.map(|r| r + 1)
        } else if self.entries_added > 0 {
            self.estimate(id)
        } else {
            g.entries_read
        };
        let g = self.groups.get_mut(group).unwrap();
        g.entries_read = read;
        g.last_id = id;
    }
}

fn entry_reply(id: Id, f: &str, v: &str) -> Reply {
    Reply::Array(vec![
        id_reply(id),
        Reply::Array(vec![Reply::bulk(f), Reply::bulk(v)]),
    ])
}

// ---------------------------------------------------------------------------------------
// Operations

/// An ID argument: one of the IDs ever added (by index, deleted ones included), or one
/// that never existed.
#[derive(Clone, Debug)]
enum Pick {
    Ever(prop::sample::Index),
    Zero,
    Far,
}

impl Pick {
    fn resolve(&self, m: &Model) -> Id {
        match self {
            Pick::Ever(i) if !m.ever.is_empty() => m.ever[i.index(m.ever.len())],
            Pick::Ever(_) | Pick::Zero => (0, 1),
            Pick::Far => (u64::MAX / 2, 7),
        }
    }
}

#[derive(Clone, Debug)]
enum AddId {
    /// Same millisecond as the top item, next sequence.
    NextSeq,
    /// A later millisecond, sequence 0.
    LaterMs(u64),
    /// `<top ms + d>-*`.
    MsStar(u64),
    /// The top item's ID again: an error.
    Same,
    /// `*`.
    Auto,
}

#[derive(Clone, Debug)]
enum Op {
    Add(AddId, usize),
    Advance(i64),
    ReadNew {
        g: &'static str,
        c: &'static str,
        count: Option<u8>,
        noack: bool,
    },
    ReadHistory {
        g: &'static str,
        c: &'static str,
        count: Option<u8>,
        from: Option<Pick>,
    },
    Ack {
        g: &'static str,
        ids: Vec<Pick>,
    },
    Claim {
        g: &'static str,
        c: &'static str,
        min_idle: i64,
        ids: Vec<Pick>,
        idle: Option<i64>,
        retry: Option<u8>,
        force: bool,
        justid: bool,
    },
    Autoclaim {
        g: &'static str,
        c: &'static str,
        min_idle: i64,
        start: Option<Pick>,
        count: Option<u8>,
        justid: bool,
    },
    Del(Vec<Pick>),
    Trim(usize),
    CreateConsumer(&'static str, &'static str),
    DelConsumer(&'static str, &'static str),
    SetId {
        g: &'static str,
        to: SetTo,
        entries_read: Option<u8>,
    },
    Recreate {
        g: &'static str,
        to: SetTo,
        entries_read: Option<u8>,
    },
}

#[derive(Clone, Debug)]
enum SetTo {
    Dollar,
    Zero,
    Id(Pick),
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        8 => any::<prop::sample::Index>().prop_map(Pick::Ever),
        1 => Just(Pick::Zero),
        1 => Just(Pick::Far),
    ]
}
fn picks() -> impl Strategy<Value = Vec<Pick>> {
    prop::collection::vec(pick(), 1..4)
}
fn group() -> impl Strategy<Value = &'static str> {
    prop::sample::select(GROUPS)
}
fn consumer() -> impl Strategy<Value = &'static str> {
    prop::sample::select(CONSUMERS)
}
fn set_to() -> impl Strategy<Value = SetTo> {
    prop_oneof![
        Just(SetTo::Dollar),
        Just(SetTo::Zero),
        pick().prop_map(SetTo::Id)
    ]
}
fn idle() -> impl Strategy<Value = i64> {
    prop_oneof![Just(0i64), 1i64..3000]
}

fn op() -> impl Strategy<Value = Op> {
    let add_id = prop_oneof![
        3 => Just(AddId::NextSeq),
        2 => (1u64..2000).prop_map(AddId::LaterMs),
        1 => (0u64..3).prop_map(AddId::MsStar),
        1 => Just(AddId::Same),
        6 => Just(AddId::Auto),
    ];
    prop_oneof![
        12 => (add_id, 0..FIELDS.len()).prop_map(|(id, f)| Op::Add(id, f)),
        4 => prop_oneof![0i64..3, 1i64..500, Just(5_000i64)].prop_map(Op::Advance),
        8 => (group(), consumer(), prop::option::of(1u8..4), prop::bool::weighted(0.2))
            .prop_map(|(g, c, count, noack)| Op::ReadNew { g, c, count, noack }),
        3 => (group(), consumer(), prop::option::of(1u8..4), prop::option::of(pick()))
            .prop_map(|(g, c, count, from)| Op::ReadHistory { g, c, count, from }),
        5 => (group(), picks()).prop_map(|(g, ids)| Op::Ack { g, ids }),
        4 => (group(), consumer(), idle(), picks(), prop::option::of(idle()), prop::option::of(0u8..5), prop::bool::weighted(0.3), any::<bool>())
            .prop_map(|(g, c, min_idle, ids, idle, retry, force, justid)| Op::Claim { g, c, min_idle, ids, idle, retry, force, justid }),
        3 => (group(), consumer(), idle(), prop::option::of(pick()), prop::option::of(1u8..4), any::<bool>())
            .prop_map(|(g, c, min_idle, start, count, justid)| Op::Autoclaim { g, c, min_idle, start, count, justid }),
        2 => picks().prop_map(Op::Del),
        1 => (0usize..6).prop_map(Op::Trim),
        1 => (group(), consumer()).prop_map(|(g, c)| Op::CreateConsumer(g, c)),
        1 => (group(), consumer()).prop_map(|(g, c)| Op::DelConsumer(g, c)),
        1 => (group(), set_to(), prop::option::of(0u8..8)).prop_map(|(g, to, entries_read)| Op::SetId { g, to, entries_read }),
        1 => (group(), set_to(), prop::option::of(0u8..8)).prop_map(|(g, to, entries_read)| Op::Recreate { g, to, entries_read }),
    ]
}

// ---------------------------------------------------------------------------------------
// The harness

struct Harness {
    e: Engine,
    c: u64,
    clock: ManualClock,
    now: i64,
    m: Model,
}

impl Harness {
    fn new() -> Self {
        let clock = ManualClock::new(T0);
        let mut e = Engine::new(Box::new(clock.clone()), 7);
        let c = e.connect(ClientInfo::default());
        let mut h = Harness {
            e,
            c,
            clock,
            now: T0,
            m: Model::default(),
        };
        for g in GROUPS {
            assert_eq!(
                h.cmd(&["XGROUP", "CREATE", KEY, g, "$", "MKSTREAM"]),
                Reply::ok()
            );
            h.m.groups.insert(g, MGroup::new((0, 0), None));
        }
        h
    }
    fn cmd(&mut self, argv: &[&str]) -> Reply {
        let argv: Vec<Vec<u8>> = argv.iter().map(|s| s.as_bytes().to_vec()).collect();
        self.e.execute(self.c, &argv)
    }
    fn cmd_s(&mut self, argv: &[String]) -> Reply {
        let argv: Vec<Vec<u8>> = argv.iter().map(|s| s.as_bytes().to_vec()).collect();
        self.e.execute(self.c, &argv)
    }
}

fn strings(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

fn step(h: &mut Harness, op: &Op) -> Result<(), TestCaseError> {
    let now = h.now;
    match op {
        Op::Advance(ms) => {
            h.clock.advance_ms(*ms);
            h.now += ms;
        }
        Op::Add(how, f) => {
            let (field, value) = FIELDS[*f];
            let top = h.m.last_id;
            let (arg, id) = match how {
                AddId::NextSeq => (None, Some(incr(top))),
                AddId::LaterMs(d) => (None, Some((top.0 + d, 0))),
                AddId::MsStar(d) => {
                    let ms = top.0 + d;
                    let id = if ms == top.0 { incr(top) } else { (ms, 0) };
                    (Some(format!("{ms}-*")), Some(id))
                }
                AddId::Same => (None, None),
                AddId::Auto => {
                    let id = if now as u64 > top.0 {
                        (now as u64, 0)
                    } else {
                        incr(top)
                    };
                    (Some("*".to_string()), Some(id))
                }
            };
            let arg = arg.unwrap_or_else(|| fmt(id.unwrap_or(top)));
            let reply = h.cmd(&["XADD", KEY, &arg, field, value]);
            match id {
                None => {
                    let want = if top == (0, 0) {
                        "ERR The ID specified in XADD must be greater than 0-0"
                    } else {
                        "ERR The ID specified in XADD is equal or smaller than the target stream top item"
                    };
                    prop_assert_eq!(reply, Reply::error(want));
                }
                Some(id) => {
                    prop_assert_eq!(reply, id_reply(id), "XADD {}", arg);
                    h.m.entries.push((id, field, value));
                    h.m.ever.push(id);
                    h.m.last_id = id;
                    h.m.entries_added += 1;
                }
            }
        }
        Op::ReadNew { g, c, count, noack } => {
            let mut argv = strings(&["XREADGROUP", "GROUP", g, c]);
            if let Some(n) = count {
                argv.extend(["COUNT".to_string(), n.to_string()]);
            }
            if *noack {
                argv.push("NOACK".into());
            }
            argv.extend(strings(&["STREAMS", KEY, ">"]));
            let reply = h.cmd_s(&argv);
            let last = h.m.groups[g].last_id;
            let serve = h.m.entries.last().is_some_and(|e| e.0 > last);
            if !serve {
                prop_assert_eq!(reply, Reply::NilArray, "{:?}", argv);
                return Ok(());
            }
            let limit = count.map_or(usize::MAX, |n| n as usize);
            let new: Vec<(Id, &str, &str)> =
                h.m.entries
                    .iter()
                    .filter(|e| e.0 > last)
                    .take(limit)
                    .copied()
                    .collect();
            h.m.groups.get_mut(g).unwrap().touch(c, now);
            for &(id, _, _) in &new {
                h.m.advance(g, id);
                if !noack {
                    // A new NACK, or an existing one reassigned with its count reset.
                    h.m.groups.get_mut(g).unwrap().pel.insert(
                        id,
                        Nack {
                            consumer: c,
                            count: 1,
                            time: now,
                        },
                    );
                }
            }
            let entries = new
                .iter()
                .map(|&(id, f, v)| entry_reply(id, f, v))
                .collect();
            let want = Reply::Array(vec![Reply::Array(vec![
                Reply::bulk(KEY),
                Reply::Array(entries),
            ])]);
            prop_assert_eq!(reply, want, "{:?}", argv);
        }
        Op::ReadHistory { g, c, count, from } => {
            let from_id = from.as_ref().map_or((0, 0), |p| p.resolve(&h.m));
            let mut argv = strings(&["XREADGROUP", "GROUP", g, c]);
            if let Some(n) = count {
                argv.extend(["COUNT".to_string(), n.to_string()]);
            }
            argv.extend(strings(&["STREAMS", KEY]));
            argv.push(if from.is_none() {
                "0".into()
            } else {
                fmt(from_id)
            });
            let reply = h.cmd_s(&argv);
            let limit = count.map_or(usize::MAX, |n| n as usize);
            let mut out = Vec::new();
            let grp = h.m.groups.get_mut(g).unwrap();
            grp.touch(c, now);
            let ids: Vec<Id> = grp
                .consumer_pel(c)
                .into_iter()
                .filter(|id| *id > from_id)
                .take(limit)
                .collect();
            for id in ids {
                match h.m.entry(id) {
                    Some(entry) => {
                        out.push(entry);
                        let n = h.m.groups.get_mut(g).unwrap().pel.get_mut(&id).unwrap();
                        n.time = now;
                        n.count += 1;
                    }
                    None => out.push(Reply::Array(vec![id_reply(id), Reply::NilArray])),
                }
            }
            let want = Reply::Array(vec![Reply::Array(vec![
                Reply::bulk(KEY),
                Reply::Array(out),
            ])]);
            prop_assert_eq!(reply, want, "{:?}", argv);
        }
        Op::Ack { g, ids } => {
            let ids: Vec<Id> = ids.iter().map(|p| p.resolve(&h.m)).collect();
            let mut argv = strings(&["XACK", KEY, g]);
            argv.extend(ids.iter().map(|&id| fmt(id)));
            let grp = h.m.groups.get_mut(g).unwrap();
            let n = ids.iter().filter(|id| grp.pel.remove(id).is_some()).count();
            prop_assert_eq!(h.cmd_s(&argv), Reply::Integer(n as i64), "{:?}", argv);
        }
        Op::Claim {
            g,
            c,
            min_idle,
            ids,
            idle,
            retry,
            force,
            justid,
        } => {
            let ids: Vec<Id> = ids.iter().map(|p| p.resolve(&h.m)).collect();
            let mut argv = strings(&["XCLAIM", KEY, g, c]);
            argv.push(min_idle.to_string());
            argv.extend(ids.iter().map(|&id| fmt(id)));
            if let Some(i) = idle {
                argv.extend(["IDLE".to_string(), i.to_string()]);
            }
            if let Some(r) = retry {
                argv.extend(["RETRYCOUNT".to_string(), r.to_string()]);
            }
            if *force {
                argv.push("FORCE".into());
            }
            if *justid {
                argv.push("JUSTID".into());
            }
            let reply = h.cmd_s(&argv);
            let delivery_time = match idle {
                Some(i) if now - i >= 0 && now - i <= now => now - i,
                _ => now,
            };
            let mut out = Vec::new();
            for id in ids {
                let exists = h.m.contains(id);
                let entry = h.m.entry(id);
                let grp = h.m.groups.get_mut(g).unwrap();
                if !exists {
                    grp.pel.remove(&id);
                    continue;
                }
                let fresh = match grp.pel.get(&id) {
                    Some(n) => {
                        if *min_idle != 0 && now - n.time < *min_idle {
                            continue;
                        }
                        false
                    }
                    None if *force => true,
                    None => continue,
                };
                grp.touch(c, now);
                let n = grp.pel.entry(id).or_insert(Nack {
                    consumer: c,
                    count: 1,
                    time: now,
                });
                let _ = fresh;
                n.consumer = c;
                n.time = delivery_time;
                if let Some(r) = retry {
                    n.count = *r as u64;
                } else if !justid {
                    n.count += 1;
                }
                out.push(if *justid {
                    id_reply(id)
                } else {
                    entry.unwrap()
                });
            }
            prop_assert_eq!(reply, Reply::Array(out), "{:?}", argv);
        }
        Op::Autoclaim {
            g,
            c,
            min_idle,
            start,
            count,
            justid,
        } => {
            let start_id = start.as_ref().map_or((0, 0), |p| p.resolve(&h.m));
            let mut argv = strings(&["XAUTOCLAIM", KEY, g, c]);
            argv.push(min_idle.to_string());
            argv.push(if start.is_none() {
                "0".into()
            } else {
                fmt(start_id)
            });
            if let Some(n) = count {
                argv.extend(["COUNT".to_string(), n.to_string()]);
            }
            if *justid {
                argv.push("JUSTID".into());
            }
            let reply = h.cmd_s(&argv);
            let mut left = count.map_or(100, |n| n as u64);
            let mut attempts = left * 10;
            let mut claimed = Vec::new();
            let mut deleted = Vec::new();
            let mut cursor = Some(start_id);
            while attempts > 0 && left > 0 {
                attempts -= 1;
                let Some(from) = cursor else { break };
                let Some((&id, n)) = h.m.groups[g].pel.range(from..).next() else {
                    cursor = None;
                    break;
                };
                let n = n.clone();
                cursor = Some(incr(id));
                let entry = h.m.entry(id);
                let grp = h.m.groups.get_mut(g).unwrap();
                let Some(entry) = entry else {
                    grp.pel.remove(&id);
                    deleted.push(id_reply(id));
                    left -= 1;
                    continue;
                };
                if *min_idle != 0 && now - n.time < *min_idle {
                    continue;
                }
                grp.touch(c, now);
                let n = grp.pel.get_mut(&id).unwrap();
                n.consumer = c;
                n.time = now;
                if !justid {
                    n.count += 1;
                }
                claimed.push(if *justid { id_reply(id) } else { entry });
                left -= 1;
            }
            let next = cursor
                .and_then(|from| h.m.groups[g].pel.range(from..).next().map(|(id, _)| *id))
                .unwrap_or((0, 0));
            let want = Reply::Array(vec![
                id_reply(next),
                Reply::Array(claimed),
                Reply::Array(deleted),
            ]);
            prop_assert_eq!(reply, want, "{:?}", argv);
        }
        Op::Del(ids) => {
            let ids: Vec<Id> = ids.iter().map(|p| p.resolve(&h.m)).collect();
            let mut argv = strings(&["XDEL", KEY]);
            argv.extend(ids.iter().map(|&id| fmt(id)));
            let mut n = 0;
            for &id in &ids {
                if let Ok(i) = h.m.entries.binary_search_by(|e| e.0.cmp(&id)) {
                    h.m.entries.remove(i);
                    h.m.max_deleted = h.m.max_deleted.max(id);
                    n += 1;
                }
            }
            prop_assert_eq!(h.cmd_s(&argv), Reply::Integer(n), "{:?}", argv);
        }
        Op::Trim(len) => {
            let n = h.m.entries.len().saturating_sub(*len);
            h.m.entries.drain(..n);
            prop_assert_eq!(
                h.cmd(&["XTRIM", KEY, "MAXLEN", "=", &len.to_string()]),
                Reply::Integer(n as i64)
            );
        }
        Op::CreateConsumer(g, c) => {
            let grp = h.m.groups.get_mut(g).unwrap();
            let created = !grp.consumers.contains_key(c);
            if created {
                grp.touch(c, now);
            }
            prop_assert_eq!(
                h.cmd(&["XGROUP", "CREATECONSUMER", KEY, g, c]),
                Reply::Integer(created as i64)
            );
        }
        Op::DelConsumer(g, c) => {
            let grp = h.m.groups.get_mut(g).unwrap();
            let pending = grp.consumer_pel(c).len();
            grp.pel.retain(|_, n| n.consumer != *c);
            grp.consumers.remove(c);
            prop_assert_eq!(
                h.cmd(&["XGROUP", "DELCONSUMER", KEY, g, c]),
                Reply::Integer(pending as i64)
            );
        }
        Op::SetId {
            g,
            to,
            entries_read,
        }
        | Op::Recreate {
            g,
            to,
            entries_read,
        } => {
            let recreate = matches!(op, Op::Recreate { .. });
            let (arg, id) = match to {
                SetTo::Dollar => ("$".to_string(), h.m.last_id),
                SetTo::Zero => ("0".to_string(), (0, 0)),
                SetTo::Id(p) => {
                    let id = p.resolve(&h.m);
                    (fmt(id), id)
                }
            };
            let mut argv = strings(&["XGROUP", if recreate { "CREATE" } else { "SETID" }, KEY, g]);
            argv.push(arg);
            if let Some(n) = entries_read {
                argv.extend(["ENTRIESREAD".to_string(), n.to_string()]);
            }
            let read = entries_read.map(|n| n as i64);
            if recreate {
                prop_assert_eq!(h.cmd(&["XGROUP", "DESTROY", KEY, g]), Reply::Integer(1));
                h.m.groups.insert(g, MGroup::new(id, read));
            } else {
                let grp = h.m.groups.get_mut(g).unwrap();
                grp.last_id = id;
                grp.entries_read = read;
            }
            prop_assert_eq!(h.cmd_s(&argv), Reply::ok(), "{:?}", argv);
        }
    }
    Ok(())
}

/// A field of a map reply.
fn field<'a>(r: &'a Reply, name: &str) -> Option<&'a Reply> {
    match r {
        Reply::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| *k == Reply::bulk(name))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn map(pairs: Vec<(&str, Reply)>) -> Reply {
    Reply::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Reply::bulk_str(k), v))
            .collect(),
    )
}

fn opt_int(v: Option<i64>) -> Reply {
    v.map_or(Reply::Nil, Reply::Integer)
}

fn check_state(h: &mut Harness) -> Result<(), TestCaseError> {
    let m = h.m.clone();
    let now = h.now;
    // The entries.
    let all: Vec<Reply> = m
        .entries
        .iter()
        .map(|&(id, f, v)| entry_reply(id, f, v))
        .collect();
    prop_assert_eq!(
        h.cmd(&["XRANGE", KEY, "-", "+"]),
        Reply::Array(all.clone()),
        "XRANGE"
    );
    prop_assert_eq!(
        h.cmd(&["XLEN", KEY]),
        Reply::Integer(m.entries.len() as i64)
    );
    // XINFO STREAM, without the radix tree's shape.
    let info = h.cmd(&["XINFO", "STREAM", KEY]);
    let want = [
        ("length", Reply::Integer(m.entries.len() as i64)),
        ("last-generated-id", id_reply(m.last_id)),
        ("max-deleted-entry-id", id_reply(m.max_deleted)),
        ("entries-added", Reply::Integer(m.entries_added as i64)),
        ("recorded-first-entry-id", id_reply(m.first_id())),
        ("groups", Reply::Integer(m.groups.len() as i64)),
        ("first-entry", all.first().cloned().unwrap_or(Reply::Nil)),
        ("last-entry", all.last().cloned().unwrap_or(Reply::Nil)),
    ];
    for (name, v) in want {
        prop_assert_eq!(field(&info, name), Some(&v), "XINFO STREAM {}", name);
    }
    // XINFO GROUPS.
    let groups: Vec<Reply> = m
        .groups
        .iter()
        .map(|(name, g)| {
            map(vec![
                ("name", Reply::bulk(name)),
                ("consumers", Reply::Integer(g.consumers.len() as i64)),
                ("pending", Reply::Integer(g.pel.len() as i64)),
                ("last-delivered-id", id_reply(g.last_id)),
                ("entries-read", opt_int(g.entries_read)),
                ("lag", opt_int(m.lag(g))),
            ])
        })
        .collect();
    prop_assert_eq!(
        h.cmd(&["XINFO", "GROUPS", KEY]),
        Reply::Array(groups),
        "XINFO GROUPS"
    );
    for (name, g) in &m.groups {
        // XINFO CONSUMERS.
        let consumers: Vec<Reply> = g
            .consumers
            .iter()
            .map(|(c, seen)| {
                map(vec![
                    ("name", Reply::bulk(c)),
                    ("pending", Reply::Integer(g.consumer_pel(c).len() as i64)),
                    ("idle", Reply::Integer((now - seen).max(0))),
                ])
            })
            .collect();
        prop_assert_eq!(
            h.cmd(&["XINFO", "CONSUMERS", KEY, name]),
            Reply::Array(consumers),
            "XINFO CONSUMERS {}",
            name
        );
        // XPENDING summary.
        let summary = if g.pel.is_empty() {
            Reply::Array(vec![
                Reply::Integer(0),
                Reply::Nil,
                Reply::Nil,
                Reply::NilArray,
            ])
        } else {
            let mut per: BTreeMap<&str, usize> = BTreeMap::new();
            for n in g.pel.values() {
                *per.entry(n.consumer).or_default() += 1;
            }
            Reply::Array(vec![
                Reply::Integer(g.pel.len() as i64),
                id_reply(*g.pel.keys().next().unwrap()),
                id_reply(*g.pel.keys().next_back().unwrap()),
                Reply::Array(
                    per.into_iter()
                        .map(|(c, n)| {
                            Reply::Array(vec![Reply::bulk(c), Reply::bulk(n.to_string())])
                        })
                        .collect(),
                ),
            ])
        };
        prop_assert_eq!(
            h.cmd(&["XPENDING", KEY, name]),
            summary,
            "XPENDING {}",
            name
        );
        // XPENDING extended: all, per consumer, with IDLE.
        let row = |id: &Id, n: &Nack| {
            Reply::Array(vec![
                id_reply(*id),
                Reply::bulk(n.consumer),
                Reply::Integer((now - n.time).max(0)),
                Reply::Integer(n.count as i64),
            ])
        };
        let rows: Vec<Reply> = g.pel.iter().map(|(id, n)| row(id, n)).collect();
        prop_assert_eq!(
            h.cmd(&["XPENDING", KEY, name, "-", "+", "1000"]),
            Reply::Array(rows),
            "XPENDING {} - +",
            name
        );
        let rows: Vec<Reply> = g.pel.iter().take(2).map(|(id, n)| row(id, n)).collect();
        prop_assert_eq!(
            h.cmd(&["XPENDING", KEY, name, "-", "+", "2"]),
            Reply::Array(rows)
        );
        for c in CONSUMERS {
            let rows: Vec<Reply> = g
                .pel
                .iter()
                .filter(|(_, n)| n.consumer == *c)
                .map(|(id, n)| row(id, n))
                .collect();
            prop_assert_eq!(
                h.cmd(&["XPENDING", KEY, name, "-", "+", "1000", c]),
                Reply::Array(rows),
                "XPENDING {} {}",
                name,
                c
            );
        }
        let rows: Vec<Reply> = g
            .pel
            .iter()
            .filter(|(_, n)| now - n.time >= 500)
            .map(|(id, n)| row(id, n))
            .collect();
        prop_assert_eq!(
            h.cmd(&["XPENDING", KEY, name, "IDLE", "500", "-", "+", "1000"]),
            Reply::Array(rows),
            "XPENDING IDLE"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn consumer_groups_behave_like_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let mut h = Harness::new();
        check_state(&mut h)?;
        for op in &ops {
            step(&mut h, op)?;
            check_state(&mut h)?;
        }
    }
}

/// Long runs: many entries and deliveries, so the PELs, the cursors and the stream's
/// node boundaries (listpacks of 100 entries by default) are exercised beyond toy sizes.
#[test]
fn long_sequences_agree_with_the_model() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    for _ in 0..3 {
        let ops = prop::collection::vec(op(), 1500)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut h = Harness::new();
        for (i, op) in ops.iter().enumerate() {
            if let Err(e) = step(&mut h, op) {
                panic!("step {i} {op:?}: {e}");
            }
            if i % 50 == 0 {
                if let Err(e) = check_state(&mut h) {
                    panic!("after step {i} {op:?}: {e}");
                }
            }
        }
        check_state(&mut h).unwrap();
    }
}
