//! Random interleavings of several clients: pushes, blocking pops and moves, stream
//! appends and blocking reads, transactions, CLIENT UNBLOCK, disconnections and the
//! clock moving. Whatever the order, the engine never panics and nothing is lost or
//! duplicated: every element a client was told it pushed is, at the end, either still in
//! a list or was handed to exactly one client by a pop; every stream entry a blocked
//! XREAD received exists; a client that got its reply is no longer blocked; and replies
//! of a client come in the order of its commands.

use std::collections::BTreeMap;

use proptest::prelude::*;
use redis_emulator::{ClientInfo, Engine, ManualClock, Reply};

const CLIENTS: usize = 4;
const LISTS: &[&str] = &["la", "lb", "lc"];

#[derive(Clone, Debug)]
enum Op {
    /// LPUSH or RPUSH of fresh, unique elements.
    Push {
        client: usize,
        list: usize,
        left: bool,
        n: usize,
    },
    /// BLPOP / BRPOP over some lists with a timeout in ms (0: forever).
    BlockingPop {
        client: usize,
        lists: Vec<usize>,
        left: bool,
        timeout_ms: u64,
    },
    /// BLMOVE src dst.
    BlockingMove {
        client: usize,
        src: usize,
        dst: usize,
        timeout_ms: u64,
    },
    /// LPOP key.
    Pop { client: usize, list: usize },
    /// MULTI, pushes and a pop, EXEC.
    Transaction {
        client: usize,
        list: usize,
        n: usize,
    },
    /// XADD s * f v.
    StreamAdd { client: usize },
    /// XREAD BLOCK t STREAMS s $.
    StreamRead { client: usize, timeout_ms: u64 },
    /// CLIENT UNBLOCK of another client.
    Unblock {
        client: usize,
        target: usize,
        error: bool,
    },
    /// The client's connection closes (a new one takes its place).
    Reconnect { client: usize },
    /// Time passes; timeouts fire.
    Advance { ms: i64 },
}

fn timeout() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), 1u64..200]
}

fn op() -> impl Strategy<Value = Op> {
    let client = 0..CLIENTS;
    let list = 0..LISTS.len();
    prop_oneof![
        4 => (client.clone(), list.clone(), any::<bool>(), 1usize..4).prop_map(|(client, list, left, n)| Op::Push { client, list, left, n }),
        4 => (client.clone(), prop::collection::vec(list.clone(), 1..3), any::<bool>(), timeout())
            .prop_map(|(client, lists, left, timeout_ms)| Op::BlockingPop { client, lists, left, timeout_ms }),
        2 => (client.clone(), list.clone(), list.clone(), timeout())
            .prop_map(|(client, src, dst, timeout_ms)| Op::BlockingMove { client, src, dst, timeout_ms }),
        1 => (client.clone(), list.clone()).prop_map(|(client, list)| Op::Pop { client, list }),
        1 => (client.clone(), list.clone(), 1usize..3).prop_map(|(client, list, n)| Op::Transaction { client, list, n }),
        2 => client.clone().prop_map(|client| Op::StreamAdd { client }),
        2 => (client.clone(), timeout()).prop_map(|(client, timeout_ms)| Op::StreamRead { client, timeout_ms }),
        1 => (client.clone(), client.clone(), any::<bool>()).prop_map(|(client, target, error)| Op::Unblock { client, target, error }),
        1 => client.clone().prop_map(|client| Op::Reconnect { client }),
        3 => (0i64..150).prop_map(|ms| Op::Advance { ms }),
    ]
}

fn argv(words: &[String]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

/// What each client sent and has not been answered for yet, oldest first.
#[derive(Default)]
struct Pending {
    kinds: Vec<Kind>,
}

/// How to account for a reply when it arrives.
#[derive(Clone, Debug)]
enum Kind {
    /// A push of these elements: counted once its integer reply arrives.
    Push(Vec<String>),
    /// A pop-like reply: `[key, element]`, a bulk element, or nil.
    Pop,
    /// A move: the element stays in a list, nothing is consumed.
    Move,
    /// EXEC of pushes then one LPOP.
    Exec(Vec<String>),
    /// XREAD: entries read are checked to exist.
    StreamRead,
    /// Anything else (XADD, CLIENT UNBLOCK).
    Other,
}

struct World {
    engine: Engine,
    clock: ManualClock,
    ids: Vec<u64>,
    pending: Vec<Pending>,
    next_element: usize,
    /// Elements the engine confirmed as pushed.
    pushed: BTreeMap<String, usize>,
    /// Elements handed to clients by pops.
    popped: BTreeMap<String, usize>,
    stream_ids: Vec<Vec<u8>>,
    /// A client of the test's own, for looking at the data.
    probe: u64,
}

impl World {
    fn new() -> World {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut engine = Engine::new(Box::new(clock.clone()), 9);
        let ids = (0..CLIENTS)
            .map(|_| engine.connect(ClientInfo::default()))
            .collect();
        let probe = engine.connect(ClientInfo::default());
        World {
            engine,
            clock,
            ids,
            pending: (0..CLIENTS).map(|_| Pending::default()).collect(),
            next_element: 0,
            pushed: BTreeMap::new(),
            popped: BTreeMap::new(),
            stream_ids: Vec::new(),
            probe,
        }
    }

    fn send(&mut self, client: usize, words: &[String], kind: Kind) {
        self.pending[client].kinds.push(kind);
        let reply = self.engine.execute(self.ids[client], &argv(words));
        if reply != Reply::NoReply {
            self.receive(client, reply);
        }
    }

    /// Accounts for the oldest unanswered command of `client`.
    fn receive(&mut self, client: usize, reply: Reply) {
        assert!(
            !self.pending[client].kinds.is_empty(),
            "client {client} got a reply it did not ask for: {reply:?}"
        );
        let kind = self.pending[client].kinds.remove(0);
        match (kind, reply) {
            (Kind::Push(elems), Reply::Integer(_)) => {
                for e in elems {
                    *self.pushed.entry(e).or_default() += 1;
                }
            }
            (Kind::Pop, reply) => self.take_popped(&reply),
            (Kind::Exec(elems), Reply::Array(replies)) => {
                let n = elems.len();
                assert_eq!(replies.len(), n + 1, "{replies:?}");
                for e in elems {
                    *self.pushed.entry(e).or_default() += 1;
                }
                self.take_popped(&replies[n]);
            }
            (Kind::StreamRead, Reply::Array(streams)) => {
                for s in streams {
                    let Reply::Array(kv) = s else { panic!("{s:?}") };
                    let Reply::Array(entries) = &kv[1] else {
                        panic!("{kv:?}")
                    };
                    for e in entries {
                        let Reply::Array(pair) = e else {
                            panic!("{e:?}")
                        };
                        let Reply::Bulk(id) = &pair[0] else {
                            panic!("{pair:?}")
                        };
                        assert!(
                            self.stream_ids.contains(id),
                            "XREAD returned an unknown entry"
                        );
                    }
                }
            }
            (Kind::Move | Kind::Other | Kind::StreamRead, _) => {}
            (kind, reply) => {
                // Errors are fine (UNBLOCKED by CLIENT UNBLOCK ERROR), nothing else.
                assert!(
                    reply.is_error() || reply == Reply::NilArray || reply == Reply::Nil,
                    "{kind:?} got {reply:?}"
                );
            }
        }
    }

    fn take_popped(&mut self, reply: &Reply) {
        let element = match reply {
            Reply::Array(kv) if kv.len() == 2 => &kv[1],
            Reply::Bulk(_) => reply,
            Reply::Nil | Reply::NilArray => return,
            Reply::Error(_) => return,
            other => panic!("unexpected pop reply {other:?}"),
        };
        if let Reply::Bulk(b) = element {
            *self
                .popped
                .entry(String::from_utf8(b.clone()).unwrap())
                .or_default() += 1;
        }
    }

    /// Delivers every outbox, as front ends do after each batch.
    fn deliver(&mut self) {
        self.learn_stream_ids();
        for client in 0..CLIENTS {
            for reply in self.engine.drain_outbox(self.ids[client]) {
                self.receive(client, reply);
            }
        }
    }

    fn fresh(&mut self, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| {
                self.next_element += 1;
                format!("e{}", self.next_element)
            })
            .collect()
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Push {
                client,
                list,
                left,
                n,
            } => {
                let elems = self.fresh(*n);
                let mut words = vec![
                    if *left { "LPUSH" } else { "RPUSH" }.to_string(),
                    LISTS[*list].to_string(),
                ];
                words.extend(elems.iter().cloned());
                self.send(*client, &words, Kind::Push(elems));
            }
            Op::BlockingPop {
                client,
                lists,
                left,
                timeout_ms,
            } => {
                let mut words = vec![if *left { "BLPOP" } else { "BRPOP" }.to_string()];
                words.extend(lists.iter().map(|l| LISTS[*l].to_string()));
                words.push(format!("{}", *timeout_ms as f64 / 1000.0));
                self.send(*client, &words, Kind::Pop);
            }
            Op::BlockingMove {
                client,
                src,
                dst,
                timeout_ms,
            } => {
                let words: Vec<String> = [
                    "BLMOVE",
                    LISTS[*src],
                    LISTS[*dst],
                    "LEFT",
                    "RIGHT",
                    &format!("{}", *timeout_ms as f64 / 1000.0),
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                self.send(*client, &words, Kind::Move);
            }
            Op::Pop { client, list } => {
                self.send(
                    *client,
                    &["LPOP".to_string(), LISTS[*list].to_string()],
                    Kind::Pop,
                );
            }
            Op::Transaction { client, list, n } => {
                let elems = self.fresh(*n);
                self.send(*client, &["MULTI".to_string()], Kind::Other);
                for e in &elems {
                    self.send(
                        *client,
                        &["RPUSH".to_string(), LISTS[*list].to_string(), e.clone()],
                        Kind::Other,
                    );
                }
                self.send(
                    *client,
                    &["LPOP".to_string(), LISTS[*list].to_string()],
                    Kind::Other,
                );
                self.send(*client, &["EXEC".to_string()], Kind::Exec(elems));
            }
            Op::StreamAdd { client } => {
                let words: Vec<String> = ["XADD", "s", "*", "f", "v"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
                self.send(*client, &words, Kind::Other);
                self.learn_stream_ids();
            }
            Op::StreamRead { client, timeout_ms } => {
                let words: Vec<String> = [
                    "XREAD",
                    "BLOCK",
                    &timeout_ms.to_string(),
                    "STREAMS",
                    "s",
                    "$",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                self.send(*client, &words, Kind::StreamRead);
            }
            Op::Unblock {
                client,
                target,
                error,
            } => {
                let mut words = vec![
                    "CLIENT".to_string(),
                    "UNBLOCK".to_string(),
                    self.ids[*target].to_string(),
                ];
                if *error {
                    words.push("ERROR".to_string());
                }
                self.send(*client, &words, Kind::Other);
            }
            Op::Reconnect { client } => {
                // Replies were all delivered; whatever it had queued is dropped unrun.
                self.engine.disconnect(self.ids[*client]);
                self.ids[*client] = self.engine.connect(ClientInfo::default());
                self.pending[*client] = Pending::default();
            }
            Op::Advance { ms } => {
                self.clock.advance_ms(*ms);
                self.engine.handle_timeouts();
            }
        }
        self.deliver();
        self.learn_stream_ids();
        for client in 0..CLIENTS {
            let blocked = self.engine.is_blocked(self.ids[client]);
            if !blocked {
                assert!(
                    self.engine.drain_outbox(self.ids[client]).is_empty(),
                    "an unblocked client keeps no undelivered reply"
                );
            }
        }
    }

    /// The IDs in the stream now (XADDs queued behind a blocked command run later).
    fn learn_stream_ids(&mut self) {
        let words: Vec<String> = ["XRANGE", "s", "-", "+"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Reply::Array(entries) = self.engine.execute(self.probe, &argv(&words)) {
            for e in entries {
                let Reply::Array(pair) = e else { continue };
                if let Some(Reply::Bulk(id)) = pair.first() {
                    if !self.stream_ids.contains(id) {
                        self.stream_ids.push(id.clone());
                    }
                }
            }
        }
    }

    /// Everything pushed is either in a list or was popped exactly once.
    fn check_conservation(&mut self) {
        let mut remaining: BTreeMap<String, usize> = BTreeMap::new();
        let probe = self.probe;
        for l in LISTS {
            if let Reply::Array(items) = self.engine.execute(
                probe,
                &argv(&["LRANGE".into(), l.to_string(), "0".into(), "-1".into()]),
            ) {
                for i in items {
                    if let Reply::Bulk(b) = i {
                        *remaining.entry(String::from_utf8(b).unwrap()).or_default() += 1;
                    }
                }
            }
        }
        let mut accounted = remaining.clone();
        for (e, n) in &self.popped {
            *accounted.entry(e.clone()).or_default() += n;
        }
        // A push dropped unrun (its client disconnected while it waited) never appears;
        // one that ran was confirmed, since replies are delivered after every step.
        for (e, n) in &accounted {
            assert_eq!(
                *n,
                1,
                "{e} is held {n} times (remaining {:?}, popped {:?})",
                remaining.get(e),
                self.popped.get(e)
            );
            assert!(
                self.pushed.contains_key(e),
                "{e} is held but its push was never confirmed"
            );
        }
        for e in self.pushed.keys() {
            assert_eq!(
                accounted.get(e),
                Some(&1),
                "{e} was pushed and is neither in a list nor popped once"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn interleaved_clients_lose_and_duplicate_nothing(ops in prop::collection::vec(op(), 1..60)) {
        let mut w = World::new();
        for op in &ops {
            w.apply(op);
        }
        // Let every timeout fire, then account.
        w.clock.advance_ms(1_000);
        w.engine.handle_timeouts();
        w.deliver();
        w.check_conservation();
    }
}
