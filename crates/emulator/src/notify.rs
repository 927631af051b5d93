//! Keyspace events: what changed in the dataset, as a stream of `Event`s.
//!
//! Commands report each change through one helper, `Ctx::notify`, where Redis 7.0 calls
//! `notifyKeyspaceEvent` (same class, same event name, same order); the databases report
//! keys that expired lazily and keys that were created (`dbAdd`'s "new"); the engine
//! reports active expiry and eviction. Each event then
//! - becomes keyspace notifications when `notify-keyspace-events` enables its class:
//!   `__keyspace@<db>__:<key>` with the event name as message, then
//!   `__keyevent@<db>__:<event>` with the key as message (notify.c), published like
//!   PUBLISH to channel and pattern subscribers;
//! - is kept for observers (the visualisation pane) while an event log is on
//!   (`Engine::set_event_log`, `Engine::take_events`).

use std::collections::VecDeque;

use crate::db::DbEvent;
use crate::engine::{ClientId, Ctx, Engine};

/// The class of an event (`notify-keyspace-events` letters; Redis's NOTIFY_* flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventClass {
    /// `g`: DEL, EXPIRE, RENAME...
    Generic,
    /// `$`
    String,
    /// `l`
    List,
    /// `s`
    Set,
    /// `h`
    Hash,
    /// `z`
    Zset,
    /// `x`: a key deleted because its TTL passed.
    Expired,
    /// `e`: a key deleted by maxmemory eviction.
    Evicted,
    /// `t`
    Stream,
    /// `n`: a key created (not part of `A`).
    New,
    /// `m`: a read of a missing key (not part of `A`).
    KeyMiss,
}

/// Redis's NOTIFY_* bits.
pub mod flag {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const KEYEVENT: u32 = 1 << 1;
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const EVICTED: u32 = 1 << 9;
    pub const STREAM: u32 = 1 << 10;
    pub const KEY_MISS: u32 = 1 << 11;
    pub const MODULE: u32 = 1 << 13;
    pub const NEW: u32 = 1 << 14;
    /// `A`: every class but key misses and new keys.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

impl EventClass {
    pub fn flag(self) -> u32 {
        match self {
            EventClass::Generic => flag::GENERIC,
            EventClass::String => flag::STRING,
            EventClass::List => flag::LIST,
            EventClass::Set => flag::SET,
            EventClass::Hash => flag::HASH,
            EventClass::Zset => flag::ZSET,
            EventClass::Expired => flag::EXPIRED,
            EventClass::Evicted => flag::EVICTED,
            EventClass::Stream => flag::STREAM,
            EventClass::New => flag::NEW,
            EventClass::KeyMiss => flag::KEY_MISS,
        }
    }
}

/// One change: in database `db`, `key` saw the event `name` (Redis's event names:
/// `set`, `lpush`, `del`, `expired`...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub db: usize,
    pub key: Vec<u8>,
    pub kind: EventClass,
    pub name: &'static str,
}

/// `keyspaceEventsStringToFlags`: None if a character names no class.
pub fn parse_flags(classes: &str) -> Option<u32> {
    let mut flags = 0;
    for c in classes.chars() {
        flags |= match c {
            'A' => flag::ALL,
            'g' => flag::GENERIC,
            '$' => flag::STRING,
            'l' => flag::LIST,
            's' => flag::SET,
            'h' => flag::HASH,
            'z' => flag::ZSET,
            'x' => flag::EXPIRED,
            'e' => flag::EVICTED,
            'K' => flag::KEYSPACE,
            'E' => flag::KEYEVENT,
            't' => flag::STREAM,
            'm' => flag::KEY_MISS,
            'd' => flag::MODULE,
            'n' => flag::NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// The engine's event state: the optional log for observers.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    log: Option<VecDeque<Event>>,
}

/// At most this many events wait in the log; older ones are dropped (an observer that
/// stopped reading must not grow memory without bound).
pub const MAX_LOGGED_EVENTS: usize = 100_000;

impl Ctx<'_> {
    /// A read lookup of `key` (lookupKeyRead): counts the keyspace hit or miss, and a miss
    /// is a `keymiss` event.
    pub fn hit_key(&mut self, key: &[u8], found: bool) {
        self.hit(found);
        if !found {
            self.notify(EventClass::KeyMiss, "keymiss", key);
        }
    }

    /// Marks the point where Redis has written the running command's reply: events the
    /// command reports from here on reach its own client (subscribed to them, RESP3)
    /// after the reply, as in Redis (LPUSH, HSET, ZADD, XADD, EXPIRE... reply first).
    pub fn replied(&mut self) {
        let client = self.client;
        self.engine.flush_db_events(Some(client));
        self.engine.pubsub.late = Some(client);
    }

    /// Reports that the running command changed `key` (in the client's database): Redis's
    /// `notifyKeyspaceEvent(class, name, key, db)`, called where Redis calls it.
    pub fn notify(&mut self, kind: EventClass, name: &'static str, key: &[u8]) {
        let db = self.db_index();
        let client = self.client;
        self.engine.record_event(db, kind, name, key, Some(client));
    }

    /// `notify` for a key of another database (MOVE, COPY ... DB).
    pub fn notify_in(&mut self, db: usize, kind: EventClass, name: &'static str, key: &[u8]) {
        let client = self.client;
        self.engine.record_event(db, kind, name, key, Some(client));
    }
}

impl Engine {
    /// Starts or stops keeping events for `take_events` (the log starts empty).
    pub fn set_event_log(&mut self, on: bool) {
        self.pubsub.events.log = if on { Some(VecDeque::new()) } else { None };
        self.update_event_recording();
    }

    /// The events since the last call (oldest first), while the event log is on.
    pub fn take_events(&mut self) -> Vec<Event> {
        self.flush_db_events(None);
        match self.pubsub.events.log.as_mut() {
            Some(log) => log.drain(..).collect(),
            None => Vec::new(),
        }
    }

    /// Whether anyone wants events: notifications configured, or the log on.
    fn events_wanted(&self) -> bool {
        self.config.notify_flags() != 0
            || self.pubsub.events.log.is_some()
            || self.command_log.is_some()
    }

    /// Databases record lazily expired and new keys only while someone wants them.
    pub(crate) fn update_event_recording(&mut self) {
        let wanted = self.events_wanted();
        if self
            .dbs
            .first()
            .is_some_and(|d| d.records_events() != wanted)
        {
            for db in self.dbs.iter_mut() {
                db.set_event_recording(wanted);
            }
        }
    }

    /// Turns what the databases recorded (keys expired lazily, keys created) into events,
    /// in the order they happened per database. Called before each event a command
    /// reports (so they precede it, as in Redis) and after each command.
    pub(crate) fn flush_db_events(&mut self, sender: Option<ClientId>) {
        self.update_event_recording();
        if !self.dbs.first().is_some_and(|d| d.records_events()) {
            // Nobody wants events: the databases record nothing.
            return;
        }
        for db in 0..self.dbs.len() {
            if !self.dbs[db].has_events() {
                continue;
            }
            for (what, key) in self.dbs[db].take_events() {
                let (kind, name) = match what {
                    DbEvent::Expired => (EventClass::Expired, "expired"),
                    DbEvent::New => (EventClass::New, "new"),
                };
                self.emit_event(db, kind, name, &key, sender);
            }
        }
    }

    /// Before a command runs: its events come before its reply until it says otherwise.
    pub(crate) fn begin_command_events(&mut self) {
        self.pubsub.late = None;
    }

    /// After a command: what the databases recorded during it (keys it expired or
    /// created, before its reply in Redis) becomes events.
    pub(crate) fn end_command_events(&mut self, client: ClientId) {
        self.pubsub.late = None;
        self.flush_db_events(Some(client));
    }

    /// Records one event: first what the databases recorded before it, then the event.
    pub(crate) fn record_event(
        &mut self,
        db: usize,
        kind: EventClass,
        name: &'static str,
        key: &[u8],
        sender: Option<ClientId>,
    ) {
        // What `Engine::inspect` runs is invisible (its reads report key misses only).
        if self.inspecting {
            return;
        }
        self.flush_db_events(sender);
        self.emit_event(db, kind, name, key, sender);
    }

    /// Logs the event and publishes its notifications (notifyKeyspaceEvent).
    fn emit_event(
        &mut self,
        db: usize,
        kind: EventClass,
        name: &'static str,
        key: &[u8],
        sender: Option<ClientId>,
    ) {
        if let Some(log) = self.pubsub.events.log.as_mut() {
            if log.len() >= MAX_LOGGED_EVENTS {
                log.pop_front();
            }
            log.push_back(Event {
                db,
                key: key.to_vec(),
                kind,
                name,
            });
        }
        if self.command_log.is_some() {
            self.log_event(&Event {
                db,
                key: key.to_vec(),
                kind,
                name,
            });
        }
        let flags = self.config.notify_flags();
        if flags & kind.flag() == 0 {
            return;
        }
        if flags & flag::KEYSPACE != 0 {
            let mut channel = format!("__keyspace@{db}__:").into_bytes();
            channel.extend_from_slice(key);
            self.publish_message(&channel, name.as_bytes(), sender);
        }
        if flags & flag::KEYEVENT != 0 {
            let channel = format!("__keyevent@{db}__:{name}").into_bytes();
            self.publish_message(&channel, key, sender);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::engine::ClientInfo;
    use crate::reply::Reply;

    fn argv(s: &str) -> Vec<Vec<u8>> {
        s.split_whitespace()
            .map(|w| w.as_bytes().to_vec())
            .collect()
    }

    /// An engine with notifications `flags`, a client A and a client B that PSUBSCRIBEs
    /// to every keyspace channel.
    fn setup(flags: &str) -> (Engine, ManualClock, u64, u64) {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::new(Box::new(clock.clone()), 1);
        let a = e.connect(ClientInfo::default());
        let b = e.connect(ClientInfo::default());
        e.execute(
            a,
            &[
                b"CONFIG".to_vec(),
                b"SET".to_vec(),
                b"notify-keyspace-events".to_vec(),
                flags.as_bytes().to_vec(),
            ],
        );
        e.execute(b, &argv("PSUBSCRIBE __key*__:*"));
        e.drain_outbox(b);
        (e, clock, a, b)
    }

    /// What B received: (channel, message) of each pmessage.
    fn received(e: &mut Engine, b: u64) -> Vec<(String, String)> {
        e.drain_outbox(b)
            .into_iter()
            .filter_map(|r| match r {
                Reply::Push(items) if items.len() == 4 => match (&items[2], &items[3]) {
                    (Reply::Bulk(c), Reply::Bulk(m)) => Some((
                        String::from_utf8_lossy(c).into_owned(),
                        String::from_utf8_lossy(m).into_owned(),
                    )),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(c, m)| (c.to_string(), m.to_string()))
            .collect()
    }

    #[test]
    fn lazy_expiry_publishes_expired_before_the_commands_own_events() {
        let (mut e, clock, a, b) = setup("KEA");
        e.execute(a, &argv("SET k v PX 100"));
        received(&mut e, b);
        clock.advance_ms(101);
        assert_eq!(e.execute(a, &argv("GET k")), Reply::Nil);
        assert_eq!(
            received(&mut e, b),
            pairs(&[
                ("__keyspace@0__:k", "expired"),
                ("__keyevent@0__:expired", "k")
            ])
        );
        // SET on a key that expired meanwhile: expired, then set.
        e.execute(a, &argv("SET k v PX 100"));
        received(&mut e, b);
        clock.advance_ms(101);
        e.execute(a, &argv("SET k w"));
        assert_eq!(
            received(&mut e, b),
            pairs(&[
                ("__keyspace@0__:k", "expired"),
                ("__keyevent@0__:expired", "k"),
                ("__keyspace@0__:k", "set"),
                ("__keyevent@0__:set", "k"),
            ])
        );
    }

    #[test]
    fn active_expiry_publishes_expired() {
        let (mut e, clock, a, b) = setup("Ex");
        e.execute(a, &argv("SELECT 2"));
        e.execute(a, &argv("SET k v PX 10"));
        assert_eq!(received(&mut e, b), vec![], "only expired events are on");
        clock.advance_ms(11);
        assert_eq!(e.active_expire(100), 1);
        assert_eq!(
            received(&mut e, b),
            pairs(&[("__keyevent@2__:expired", "k")])
        );
    }

    #[test]
    fn eviction_publishes_evicted() {
        let (mut e, _clock, a, b) = setup("KEe");
        e.execute(a, &argv("SET k1 v"));
        e.execute(a, &argv("CONFIG SET maxmemory-policy allkeys-lru"));
        e.execute(a, &argv("CONFIG SET maxmemory 1"));
        // Every command first evicts what the policy allows.
        e.execute(a, &argv("PING"));
        assert_eq!(
            received(&mut e, b),
            pairs(&[
                ("__keyspace@0__:k1", "evicted"),
                ("__keyevent@0__:evicted", "k1")
            ])
        );
    }

    #[test]
    fn new_keys_only_with_n() {
        let (mut e, _clock, a, b) = setup("En");
        e.execute(a, &argv("SET k v"));
        e.execute(a, &argv("SET k w"));
        e.execute(a, &argv("RPUSH l a"));
        e.execute(a, &argv("RPUSH l b"));
        assert_eq!(
            received(&mut e, b),
            pairs(&[("__keyevent@0__:new", "k"), ("__keyevent@0__:new", "l")])
        );
        // `A` does not include `n`; `An` keeps it though CONFIG GET prints `A`.
        e.execute(a, &argv("CONFIG SET notify-keyspace-events AK"));
        e.execute(a, &argv("SET k2 v"));
        assert_eq!(received(&mut e, b), pairs(&[("__keyspace@0__:k2", "set")]));
        e.execute(a, &argv("CONFIG SET notify-keyspace-events AKn"));
        let shown = e.execute(a, &argv("CONFIG GET notify-keyspace-events"));
        assert_eq!(
            shown,
            Reply::Map(vec![(
                Reply::bulk_str("notify-keyspace-events"),
                Reply::bulk_str("AK")
            )])
        );
        e.execute(a, &argv("SET k3 v"));
        assert_eq!(
            received(&mut e, b),
            pairs(&[("__keyspace@0__:k3", "new"), ("__keyspace@0__:k3", "set")])
        );
    }

    #[test]
    fn the_event_log_sees_every_change_without_notifications() {
        let clock = ManualClock::new(1_700_000_000_000);
        let mut e = Engine::new(Box::new(clock.clone()), 1);
        let a = e.connect(ClientInfo::default());
        assert!(e.take_events().is_empty(), "off by default");
        e.set_event_log(true);
        for cmd in [
            "SET k v",
            "LPUSH l a b",
            "LPOP l 2",
            "SADD s x",
            "EXPIRE k 100",
            "DEL k nosuch",
            "GET nosuch",
        ] {
            e.execute(a, &argv(cmd));
        }
        let got: Vec<(usize, String, EventClass, &str)> = e
            .take_events()
            .into_iter()
            .map(|ev| {
                (
                    ev.db,
                    String::from_utf8_lossy(&ev.key).into_owned(),
                    ev.kind,
                    ev.name,
                )
            })
            .collect();
        let expect = |db, k: &str, kind, name| (db, k.to_string(), kind, name);
        assert_eq!(
            got,
            vec![
                expect(0, "k", EventClass::New, "new"),
                expect(0, "k", EventClass::String, "set"),
                expect(0, "l", EventClass::New, "new"),
                expect(0, "l", EventClass::List, "lpush"),
                expect(0, "l", EventClass::List, "lpop"),
                expect(0, "l", EventClass::Generic, "del"),
                expect(0, "s", EventClass::New, "new"),
                expect(0, "s", EventClass::Set, "sadd"),
                expect(0, "k", EventClass::Generic, "expire"),
                expect(0, "k", EventClass::Generic, "del"),
                expect(0, "nosuch", EventClass::KeyMiss, "keymiss"),
            ]
        );
        assert!(e.take_events().is_empty());
        // Nobody subscribed: nothing published, no outbox grows.
        assert!(!e.has_output());
        e.set_event_log(false);
        e.execute(a, &argv("SET k v"));
        assert!(e.take_events().is_empty());
    }

    #[test]
    fn flags_like_redis() {
        assert_eq!(parse_flags(""), Some(0));
        assert_eq!(
            parse_flags("KEA"),
            Some(flag::KEYSPACE | flag::KEYEVENT | flag::ALL)
        );
        assert_eq!(parse_flags("Ex"), Some(flag::KEYEVENT | flag::EXPIRED));
        assert_eq!(parse_flags("An"), Some(flag::ALL | flag::NEW));
        assert_eq!(parse_flags("Kq"), None);
    }
}
