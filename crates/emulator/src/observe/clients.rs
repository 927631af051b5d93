//! The clients view and the pub/sub view: who is connected, what each client is doing
//! (blocked and on what, in MULTI, subscribed, monitoring), and who subscribes to what.
//!
//! Built from the engine's own client table, blocking state and pub/sub registry, the
//! same state CLIENT LIST and PUBSUB report: nothing runs, nothing is counted, no
//! client's idle time moves. The cost is one row per client and subscription.

use crate::blocking::{BlockedOp, GroupWait, Timeout};
use crate::engine::{ClientId, Engine};
use crate::reply::Protocol;
use crate::types::stream::StreamId;
use crate::value::Value;

/// What a blocked client waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedView {
    /// `stream`, `list`, `zset`; `postponed` (held by CLIENT PAUSE or a running script)
    /// or `script` (its own EVAL still running).
    pub kind: &'static str,
    /// The command that blocked, as sent.
    pub argv: Vec<Vec<u8>>,
    /// The database its keys belong to.
    pub db: usize,
    /// The keys it waits on, each once, in the command's order.
    pub keys: Vec<Vec<u8>>,
    /// When it blocked (engine clock, ms).
    pub since_ms: i64,
    /// When it gives up (engine clock, ms); None waits until served.
    pub deadline_ms: Option<i64>,
    /// For XREAD/XREADGROUP: each stream with the ID it reads after (`$` resolved; for
    /// XREADGROUP `>`, the group's last delivered ID).
    pub after_ids: Vec<(Vec<u8>, String)>,
    /// For XREADGROUP: the group and the consumer.
    pub group: Option<(Vec<u8>, Vec<u8>)>,
    /// Commands it sent while blocked, waiting to run.
    pub queued: usize,
}

impl BlockedView {
    /// Milliseconds left before the timeout at `now_ms` (never negative); None: forever.
    pub fn remaining_ms(&self, now_ms: i64) -> Option<i64> {
        self.deadline_ms.map(|d| (d - now_ms).max(0))
    }
}

/// One connected client, as CLIENT LIST sees it, with its state spelled out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientView {
    pub id: ClientId,
    pub addr: String,
    /// CLIENT SETNAME's name.
    pub name: Option<Vec<u8>>,
    pub db: usize,
    /// 2 or 3 (HELLO).
    pub resp: u8,
    pub created_ms: i64,
    /// When it last sent a command (engine clock, ms): CLIENT LIST's idle counts from it.
    pub last_interaction_ms: i64,
    /// The last command's full name (`client|setname`), `NULL` before any.
    pub last_command: String,
    /// CLIENT LIST's flags (`N`, `P`, `x`, `b`...).
    pub flags: String,
    pub blocked: Option<BlockedView>,
    /// In MULTI: how many commands are queued.
    pub multi: Option<usize>,
    /// A watched key changed: its EXEC will fail.
    pub dirty_cas: bool,
    /// Keys it WATCHes: (db, key).
    pub watching: Vec<(usize, Vec<u8>)>,
    /// Channels, patterns and shard channels it subscribes to, in subscription order.
    pub channels: Vec<Vec<u8>>,
    pub patterns: Vec<Vec<u8>>,
    pub shard_channels: Vec<Vec<u8>>,
    pub monitor: bool,
}

impl ClientView {
    /// Whether it is in subscribed mode (only (un)subscribe, PING, QUIT, RESET in RESP2).
    pub fn subscribed(&self) -> bool {
        !(self.channels.is_empty() && self.patterns.is_empty() && self.shard_channels.is_empty())
    }

    /// Milliseconds since its last command, at `now_ms`.
    pub fn idle_ms(&self, now_ms: i64) -> i64 {
        (now_ms - self.last_interaction_ms).max(0)
    }
}

/// A channel (or shard channel, or pattern) and its subscribers in subscription order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionView {
    pub name: Vec<u8>,
    pub subscribers: Vec<ClientId>,
}

/// Every channel, pattern and shard channel with a subscriber.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PubSubView {
    /// Sorted by name.
    pub channels: Vec<SubscriptionView>,
    /// In the order first subscribed (the order PUBLISH delivers pmessages in).
    pub patterns: Vec<SubscriptionView>,
    pub shard_channels: Vec<SubscriptionView>,
}

fn subscriptions<'a>(
    it: impl Iterator<Item = (&'a [u8], &'a [ClientId])>,
) -> Vec<SubscriptionView> {
    it.map(|(name, subs)| SubscriptionView {
        name: name.to_vec(),
        subscribers: subs.to_vec(),
    })
    .collect()
}

impl Engine {
    /// Every connected client, by id.
    pub fn clients_view(&self) -> Vec<ClientView> {
        self.clients
            .values()
            .map(|c| self.client_view_of(c))
            .collect()
    }

    /// One client, if connected.
    pub fn client_view(&self, id: ClientId) -> Option<ClientView> {
        self.clients.get(&id).map(|c| self.client_view_of(c))
    }

    fn client_view_of(&self, c: &crate::engine::Client) -> ClientView {
        let ps = &self.pubsub;
        let subscribed = ps.counts(c.id) != (0, 0, 0);
        let of = |it: &mut dyn Iterator<Item = (&[u8], &[ClientId])>| -> Vec<Vec<u8>> {
            it.filter(|(_, subs)| subs.contains(&c.id))
                .map(|(n, _)| n.to_vec())
                .collect()
        };
        let (channels, patterns, shard_channels) = if subscribed {
            (
                of(&mut ps.channel_subscribers()),
                of(&mut ps.pattern_subscribers()),
                of(&mut ps.shard_channel_subscribers()),
            )
        } else {
            (Vec::new(), Vec::new(), Vec::new())
        };
        ClientView {
            id: c.id,
            addr: c.info.addr.clone(),
            name: c.name.clone(),
            db: c.db,
            resp: if c.protocol == Protocol::Resp3 { 3 } else { 2 },
            created_ms: c.created_ms,
            last_interaction_ms: c.last_interaction_ms,
            last_command: c.last_command.clone(),
            flags: crate::cmd::connection::client_flags(c, subscribed),
            blocked: c.queues.blocked.as_ref().map(|b| {
                let (after_ids, group) = match &b.op {
                    BlockedOp::Stream(w) => (
                        w.keys
                            .iter()
                            .map(|(k, id)| {
                                (
                                    k.clone(),
                                    self.read_after(b.db, k, *id, w.group.as_ref()).to_string(),
                                )
                            })
                            .collect(),
                        w.group
                            .as_ref()
                            .map(|g| (g.group.clone(), g.consumer.clone())),
                    ),
                    _ => (Vec::new(), None),
                };
                BlockedView {
                    kind: b.op.kind(),
                    argv: match &b.op {
                        BlockedOp::Postponed(argv) => argv.clone(),
                        _ => b.argv.clone(),
                    },
                    db: b.db,
                    keys: b.keys.iter().map(|k| k.to_vec()).collect(),
                    since_ms: b.since_ms,
                    deadline_ms: match b.timeout {
                        Timeout::Never => None,
                        Timeout::At(t) => Some(t),
                    },
                    after_ids,
                    group,
                    queued: c.queues.input.len(),
                }
            }),
            multi: c.multi.as_ref().map(|m| m.queued.len()),
            dirty_cas: c.dirty_cas,
            watching: c.watched.iter().map(|w| (w.db, w.key.to_vec())).collect(),
            channels,
            patterns,
            shard_channels,
            monitor: self.monitors.contains(&c.id),
        }
    }

    /// The ID a blocked stream reader reads after: its own for XREAD; for XREADGROUP
    /// `>`, the group's last delivered ID (what serving it will read after).
    fn read_after(
        &self,
        db: usize,
        key: &[u8],
        own: StreamId,
        group: Option<&GroupWait>,
    ) -> StreamId {
        let Some(g) = group else { return own };
        match self
            .dbs
            .get(db)
            .and_then(|d| d.entry(key))
            .map(|e| &e.value)
        {
            Some(Value::Stream(s)) => s.groups.get(&g.group).map_or(own, |grp| grp.last_id),
            _ => own,
        }
    }

    /// Every channel, pattern and shard channel with its subscribers.
    pub fn pubsub_view(&self) -> PubSubView {
        PubSubView {
            channels: subscriptions(self.pubsub.channel_subscribers()),
            patterns: subscriptions(self.pubsub.pattern_subscribers()),
            shard_channels: subscriptions(self.pubsub.shard_channel_subscribers()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{argv, engine};

    use crate::engine::ClientInfo;
    use crate::reply::Reply;

    fn strs(v: &[Vec<u8>]) -> Vec<String> {
        v.iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    /// The CLIENT LIST line of `id`'s fields named `field`, read through a command.
    fn client_list_field(e: &mut Engine, asker: ClientId, id: ClientId, field: &str) -> String {
        let reply = e.execute(asker, &argv(&format!("CLIENT LIST ID {id}")));
        let text = match reply {
            Reply::Verbatim(_, b) | Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => panic!("CLIENT LIST replied {other:?}"),
        };
        text.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{field}=")).map(str::to_string))
            .unwrap_or_default()
    }

    #[test]
    fn blocked_readers_show_their_command_keys_and_deadline() {
        let (mut e, clock) = engine();
        let a = e.connect(ClientInfo::default());
        let b = e.connect(ClientInfo::default());
        let c = e.connect(ClientInfo::default());
        let w = e.connect(ClientInfo::default());
        e.execute(w, &argv("XADD orders 1-1 item pen"));
        e.execute(w, &argv("XGROUP CREATE orders g $"));
        assert_eq!(
            e.execute(a, &argv("XREADGROUP GROUP g c1 BLOCK 0 STREAMS orders >")),
            Reply::NoReply
        );
        assert_eq!(e.execute(b, &argv("BLPOP queue other 5")), Reply::NoReply);
        assert_eq!(
            e.execute(c, &argv("XREAD BLOCK 2000 STREAMS s orders $ $")),
            Reply::NoReply
        );
        e.execute(b, &argv("GET queued-behind"));
        clock.advance_ms(1500);

        let views = e.clients_view();
        assert_eq!(
            views.iter().map(|v| v.id).collect::<Vec<_>>(),
            vec![a, b, c, w]
        );
        let va = e.client_view(a).expect("a is connected");
        let blocked = va.blocked.as_ref().expect("a is blocked");
        assert_eq!(
            strs(&blocked.argv),
            [
                "XREADGROUP",
                "GROUP",
                "g",
                "c1",
                "BLOCK",
                "0",
                "STREAMS",
                "orders",
                ">"
            ]
        );
        assert_eq!(
            (blocked.kind, strs(&blocked.keys)),
            ("stream", vec!["orders".to_string()])
        );
        assert_eq!(blocked.group, Some((b"g".to_vec(), b"c1".to_vec())));
        assert_eq!(
            blocked.after_ids,
            vec![(b"orders".to_vec(), "1-1".to_string())],
            "the group's last delivered ID"
        );
        assert_eq!(
            blocked.remaining_ms(e.now_ms()),
            None,
            "BLOCK 0 waits forever"
        );
        // The flags are CLIENT LIST's.
        assert_eq!(va.flags, client_list_field(&mut e, w, a, "flags"));
        assert_eq!(va.last_command, client_list_field(&mut e, w, a, "cmd"));

        let vb = e.client_view(b).expect("b");
        let blocked = vb.blocked.as_ref().expect("b is blocked");
        assert_eq!(
            (blocked.kind, strs(&blocked.keys)),
            ("list", vec!["queue".to_string(), "other".to_string()])
        );
        assert_eq!(blocked.remaining_ms(e.now_ms()), Some(3500));
        assert_eq!(blocked.queued, 1, "GET waits behind the BLPOP");

        let vc = e.client_view(c).expect("c");
        let blocked = vc.blocked.as_ref().expect("c is blocked");
        assert_eq!(strs(&blocked.keys), ["s", "orders"]);
        assert_eq!(
            blocked.after_ids,
            vec![
                (b"s".to_vec(), "0-0".to_string()),
                (b"orders".to_vec(), "1-1".to_string())
            ],
            "$ resolved to each stream's last ID"
        );
        assert_eq!(blocked.remaining_ms(e.now_ms()), Some(500));
        assert_eq!(vc.idle_ms(e.now_ms()), 1500);

        // Served: the view says so at once; nothing was touched by reading.
        let dirty = e.dirty_count();
        e.clients_view();
        assert_eq!(e.dirty_count(), dirty);
        e.execute(w, &argv("XADD orders 2-1 item ink"));
        assert!(e.client_view(a).and_then(|v| v.blocked).is_none());
        assert!(e.client_view(c).and_then(|v| v.blocked).is_none());
        assert!(e.client_view(b).and_then(|v| v.blocked).is_some());
    }

    #[test]
    fn multi_watch_names_and_monitor_are_shown() {
        let (mut e, _clock) = engine();
        let a = e.connect(ClientInfo::default());
        let m = e.connect(ClientInfo::default());
        e.execute(a, &argv("CLIENT SETNAME worker-1"));
        e.execute(a, &argv("SELECT 2"));
        e.execute(a, &argv("WATCH k"));
        e.execute(a, &argv("MULTI"));
        e.execute(a, &argv("SET k v"));
        e.execute(a, &argv("INCR n"));
        e.execute(m, &argv("MONITOR"));
        let va = e.client_view(a).expect("a");
        assert_eq!(va.name.as_deref(), Some(&b"worker-1"[..]));
        assert_eq!((va.db, va.multi, va.dirty_cas), (2, Some(2), false));
        assert_eq!(va.watching, vec![(2, b"k".to_vec())]);
        assert_eq!(va.flags, "x");
        assert!(e.client_view(m).is_some_and(|v| v.monitor));
        assert!(!va.monitor);
    }

    #[test]
    fn subscriptions_and_patterns_are_listed_with_their_subscribers() {
        let (mut e, _clock) = engine();
        let a = e.connect(ClientInfo::default());
        let b = e.connect(ClientInfo::default());
        e.execute(a, &argv("SUBSCRIBE news sport"));
        e.execute(b, &argv("SUBSCRIBE news"));
        e.execute(b, &argv("PSUBSCRIBE n* s*"));
        e.execute(a, &argv("PSUBSCRIBE s*"));
        e.execute(b, &argv("SSUBSCRIBE shard1"));
        let view = e.pubsub_view();
        let names = |v: &[SubscriptionView]| {
            v.iter()
                .map(|s| {
                    (
                        String::from_utf8_lossy(&s.name).into_owned(),
                        s.subscribers.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(&view.channels),
            vec![
                ("news".to_string(), vec![a, b]),
                ("sport".to_string(), vec![a])
            ]
        );
        assert_eq!(
            names(&view.patterns),
            vec![("n*".to_string(), vec![b]), ("s*".to_string(), vec![b, a])]
        );
        assert_eq!(
            names(&view.shard_channels),
            vec![("shard1".to_string(), vec![b])]
        );
        let vb = e.client_view(b).expect("b");
        assert!(vb.subscribed());
        assert_eq!(
            (
                strs(&vb.channels),
                strs(&vb.patterns),
                strs(&vb.shard_channels)
            ),
            (
                vec!["news".into()],
                vec!["n*".into(), "s*".into()],
                vec!["shard1".into()]
            )
        );
        assert_eq!(vb.flags, "P");
        // PUBSUB agrees.
        let c = e.connect(ClientInfo::default());
        assert_eq!(
            e.execute(c, &argv("PUBSUB NUMPAT")),
            Reply::Integer(view.patterns.len() as i64)
        );
        e.execute(a, &argv("UNSUBSCRIBE"));
        e.execute(a, &argv("PUNSUBSCRIBE"));
        assert!(!e.client_view(a).expect("a").subscribed());
        e.disconnect(b);
        assert_eq!(e.pubsub_view(), PubSubView::default());
    }
}
