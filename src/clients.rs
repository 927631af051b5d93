//! The clients and pub/sub view: who is connected (each console tab is a client), what
//! each one is doing, who subscribes to what, and where each PUBLISH went.
//!
//! Read from the engine's read-only views (`Engine::clients_view`, `Engine::pubsub_view`)
//! and turned into rows for people: the tab's label next to the client id, a blocked
//! client's command and how long it still waits, a transaction's queue, a subscriber's
//! channels. Reading costs one row per client and subscription (a handful), so the pane
//! reads again after every command and once a second for the idle and timeout counters.
//! Publishes come from the activity timeline's entries (`activity::Entry::deliveries`).

use std::collections::VecDeque;

use redis_emulator::observe::{BlockedView, ClientView};
use redis_emulator::{ClientId, Engine};

use crate::activity::Entry;
use crate::keys::display_key;

/// What a client is doing, for its row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientState {
    /// Connected, waiting for its next command.
    Idle,
    /// Parked by a blocking command (or held by CLIENT PAUSE / a running script).
    Blocked(Blocked),
    /// Between MULTI and EXEC; `doomed`: a watched key changed, EXEC will fail.
    Multi { queued: usize, doomed: bool },
    /// In subscribed mode.
    Subscribed {
        channels: Vec<String>,
        patterns: Vec<String>,
    },
    /// In MONITOR mode.
    Monitor,
}

/// What a blocked client waits for, for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// `list`, `stream`, `zset`, `postponed`, `script`.
    pub kind: &'static str,
    /// The command as typed: `XREADGROUP GROUP g c BLOCK 0 STREAMS orders >`.
    pub command: String,
    /// The keys it waits on.
    pub keys: Vec<String>,
    /// `forever`, or the time left: `4.2 s left`.
    pub timeout: String,
    /// For XREAD/XREADGROUP: "entries of orders after 1-1".
    pub after: Vec<String>,
    /// How long it has waited, in seconds.
    pub waited_s: i64,
    /// Commands typed meanwhile, waiting behind it.
    pub queued: usize,
}

/// One client's row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRow {
    pub id: ClientId,
    /// The console tab's label ("redis-cli 2" or the learner's name for it), or
    /// `client N` for a client that is no tab.
    pub label: String,
    /// The tab's index, when it is a console tab.
    pub tab: Option<usize>,
    /// CLIENT SETNAME's name.
    pub name: Option<String>,
    pub db: usize,
    /// The last command, as CLIENT LIST's `cmd` names it but in capitals
    /// (`CLIENT SETNAME`); empty before any.
    pub last_command: String,
    pub idle_s: i64,
    /// CLIENT LIST's flags.
    pub flags: String,
    pub state: ClientState,
    /// The keys it WATCHes (`db 0: balance`).
    pub watching: Vec<String>,
}

/// A channel, pattern or shard channel and who listens.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubRow {
    /// `channel`, `pattern` or `shard channel`.
    pub kind: &'static str,
    pub name: String,
    pub subscribers: Vec<(ClientId, String)>,
}

/// The whole view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub rows: Vec<ClientRow>,
    pub subs: Vec<SubRow>,
    /// When it was read (engine clock, ms): a publish is highlighted while recent.
    pub now_ms: i64,
}

/// Reads the view: `label` names a client and gives its tab index, if it is a tab.
pub fn snapshot(
    engine: &Engine,
    label: &dyn Fn(ClientId) -> (String, Option<usize>),
    now_ms: i64,
) -> Snapshot {
    let rows = engine
        .clients_view()
        .into_iter()
        .map(|c| row(c, label, now_ms))
        .collect();
    let view = engine.pubsub_view();
    let mut subs = Vec::new();
    for (kind, list) in [
        ("channel", &view.channels),
        ("pattern", &view.patterns),
        ("shard channel", &view.shard_channels),
    ] {
        for s in list {
            subs.push(SubRow {
                kind,
                name: display_key(&s.name),
                subscribers: s.subscribers.iter().map(|&c| (c, label(c).0)).collect(),
            });
        }
    }
    Snapshot { rows, subs, now_ms }
}

fn row(
    c: ClientView,
    label: &dyn Fn(ClientId) -> (String, Option<usize>),
    now_ms: i64,
) -> ClientRow {
    let (text, tab) = label(c.id);
    let state = if let Some(b) = &c.blocked {
        ClientState::Blocked(blocked(b, now_ms))
    } else if c.monitor {
        ClientState::Monitor
    } else if let Some(queued) = c.multi {
        ClientState::Multi {
            queued,
            doomed: c.dirty_cas,
        }
    } else if c.subscribed() {
        let names = |v: &[Vec<u8>]| v.iter().map(|n| display_key(n)).collect::<Vec<_>>();
        let mut channels = names(&c.channels);
        channels.extend(names(&c.shard_channels));
        ClientState::Subscribed {
            channels,
            patterns: names(&c.patterns),
        }
    } else {
        ClientState::Idle
    };
    let last_command = if c.last_command == "NULL" {
        String::new()
    } else {
        c.last_command.replace('|', " ").to_uppercase()
    };
    ClientRow {
        id: c.id,
        label: text,
        tab,
        name: c
            .name
            .as_deref()
            .map(|n| String::from_utf8_lossy(n).into_owned()),
        db: c.db,
        last_command,
        idle_s: c.idle_ms(now_ms) / 1000,
        flags: c.flags.clone(),
        state,
        watching: c
            .watching
            .iter()
            .map(|(db, k)| format!("db {db}: {}", display_key(k)))
            .collect(),
    }
}

fn blocked(b: &BlockedView, now_ms: i64) -> Blocked {
    let command = b
        .argv
        .iter()
        .map(|a| display_key(a))
        .collect::<Vec<_>>()
        .join(" ");
    let timeout = match b.remaining_ms(now_ms) {
        None => "forever".to_string(),
        Some(ms) => format!("{:.1} s left", ms as f64 / 1000.0),
    };
    let after = b
        .after_ids
        .iter()
        .map(|(k, id)| match &b.group {
            Some((g, _)) => format!(
                "entries of {} after {id}, the last delivered to group {}",
                display_key(k),
                display_key(g)
            ),
            None => format!("entries of {} after {id}", display_key(k)),
        })
        .collect();
    Blocked {
        kind: b.kind,
        command,
        keys: b.keys.iter().map(|k| display_key(k)).collect(),
        timeout,
        after,
        waited_s: (now_ms - b.since_ms).max(0) / 1000,
        queued: b.queued,
    }
}

/// A glob pattern that matches exactly `key` (its `*?[]\\` escaped), shown as redis-cli
/// would type it, for the key list's filter.
pub fn glob_escape(key: &[u8]) -> String {
    let mut escaped = Vec::with_capacity(key.len());
    for &b in key {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            escaped.push(b'\\');
        }
        escaped.push(b);
    }
    String::from_utf8_lossy(&escaped).into_owned()
}

/// One published message and who received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// The command's record number (new flows are highlighted once).
    pub seq: u64,
    /// When it was published (engine clock, ms).
    pub time_ms: i64,
    pub channel: String,
    pub receivers: Vec<ClientId>,
    /// `PUBLISH news hello → 2 receivers: redis-cli 2, redis-cli 3`.
    pub text: String,
}

/// How long a publish counts as just happened (its highlight is shorter).
pub const FLASH_MS: i64 = 3000;

/// How many recent publishes the pane lists.
pub const MAX_FLOWS: usize = 5;

/// The last few messages published, newest last.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flows {
    pub recent: VecDeque<Flow>,
}

impl Flows {
    /// Takes note of the publishes among `entries` (just added to the timeline): PUBLISH
    /// and SPUBLISH, reached or not, and keyspace notifications that reached someone.
    /// `label` names a client. Returns whether any was noted.
    pub fn note<'a>(
        &mut self,
        entries: impl Iterator<Item = &'a Entry>,
        label: &dyn Fn(ClientId) -> String,
    ) -> bool {
        let mut any = false;
        for e in entries {
            let publish = matches!(e.name.as_str(), "PUBLISH" | "SPUBLISH");
            let mut deliveries: Vec<(String, Vec<ClientId>)> = e
                .deliveries
                .iter()
                .map(|(c, r)| (display_key(c), r.clone()))
                .collect();
            if publish && deliveries.is_empty() {
                // Nobody listened: the message is gone (pub/sub keeps nothing).
                deliveries.push((
                    e.args.split(' ').next().unwrap_or_default().to_string(),
                    Vec::new(),
                ));
            }
            for (channel, receivers) in deliveries {
                let to = match receivers.len() {
                    0 => "no receivers: nobody was subscribed, the message is gone".to_string(),
                    n => format!(
                        "{n} receiver{}: {}",
                        if n == 1 { "" } else { "s" },
                        receivers
                            .iter()
                            .map(|&c| label(c))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                let text = if publish {
                    format!("{} → {to}", e.line())
                } else {
                    format!("{} → {channel} → {to}", e.line())
                };
                if self.recent.len() >= MAX_FLOWS {
                    self.recent.pop_front();
                }
                self.recent.push_back(Flow {
                    seq: e.seq,
                    time_ms: e.time_ms,
                    channel,
                    receivers,
                    text,
                });
                any = true;
            }
        }
        any
    }

    pub fn latest(&self) -> Option<&Flow> {
        self.recent.back()
    }

    /// The latest publish if it happened less than `FLASH_MS` before `now_ms`: what the
    /// view highlights (once: a row keyed by it is drawn again only when it changes).
    pub fn fresh(&self, now_ms: i64) -> Option<&Flow> {
        self.latest().filter(|f| now_ms - f.time_ms < FLASH_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::Timeline;
    use crate::playground::testing::{argv, playground};
    use redis_emulator::ClientInfo;

    fn tab_label(tabs: &[ClientId]) -> impl Fn(ClientId) -> (String, Option<usize>) + '_ {
        move |c| match tabs.iter().position(|&t| t == c) {
            Some(i) => (format!("redis-cli {}", i + 1), Some(i)),
            None => (format!("client {c}"), None),
        }
    }

    #[test]
    fn an_escaped_key_matches_only_itself() {
        for key in [&b"user:1"[..], b"a*b", b"what?", b"[x]", b"back\\slash"] {
            let pattern = glob_escape(key);
            assert!(
                redis_emulator::glob::glob_match(pattern.as_bytes(), key, false),
                "{pattern}"
            );
            assert!(
                !redis_emulator::glob::glob_match(pattern.as_bytes(), b"a-b", false)
                    || key == b"a-b"
            );
        }
        assert!(!redis_emulator::glob::glob_match(
            glob_escape(b"a*b").as_bytes(),
            b"axxb",
            false
        ));
    }

    #[test]
    fn rows_show_blocked_clients_with_their_command_keys_and_timeout() {
        let (mut pg, clock) = playground();
        let a = pg.client;
        let b = pg.engine.connect(ClientInfo::default());
        let c = pg.engine.connect(ClientInfo::default());
        let tabs = [a, b, c];
        pg.engine.execute(a, &argv("XREAD BLOCK 0 STREAMS s $"));
        pg.engine.execute(b, &argv("BLPOP queue 5"));
        pg.engine.execute(c, &argv("CLIENT SETNAME worker"));
        clock.advance_ms(2000);
        let snap = snapshot(&pg.engine, &tab_label(&tabs), pg.engine.now_ms());
        assert_eq!(
            snap.rows
                .iter()
                .map(|r| (r.id, r.label.as_str(), r.tab))
                .collect::<Vec<_>>(),
            vec![
                (a, "redis-cli 1", Some(0)),
                (b, "redis-cli 2", Some(1)),
                (c, "redis-cli 3", Some(2))
            ]
        );
        let ClientState::Blocked(ba) = &snap.rows[0].state else {
            panic!("a is blocked: {:?}", snap.rows[0])
        };
        assert_eq!(
            (
                ba.command.as_str(),
                ba.keys.clone(),
                ba.timeout.as_str(),
                ba.waited_s
            ),
            (
                "XREAD BLOCK 0 STREAMS s $",
                vec!["s".to_string()],
                "forever",
                2
            )
        );
        assert_eq!(ba.after, ["entries of s after 0-0"]);
        let ClientState::Blocked(bb) = &snap.rows[1].state else {
            panic!("b is blocked")
        };
        assert_eq!(
            (bb.command.as_str(), bb.timeout.as_str()),
            ("BLPOP queue 5", "3.0 s left")
        );
        assert_eq!(snap.rows[1].flags, "b");
        assert_eq!(
            (
                snap.rows[2].name.as_deref(),
                snap.rows[2].last_command.as_str()
            ),
            (Some("worker"), "CLIENT SETNAME")
        );
        assert_eq!(
            (snap.rows[2].state.clone(), snap.rows[2].idle_s),
            (ClientState::Idle, 2)
        );
        // Released: the next read says so.
        pg.engine.execute(c, &argv("XADD s * k v"));
        let snap = snapshot(&pg.engine, &tab_label(&tabs), pg.engine.now_ms());
        assert_eq!(snap.rows[0].state, ClientState::Idle);
        assert!(matches!(snap.rows[1].state, ClientState::Blocked(_)));
    }

    #[test]
    fn subscribers_transactions_and_publish_flows() {
        let (mut pg, _clock) = playground();
        pg.engine.set_command_log(true);
        let a = pg.client;
        let b = pg.engine.connect(ClientInfo::default());
        let c = pg.engine.connect(ClientInfo::default());
        let tabs = [a, b, c];
        pg.engine.execute(b, &argv("SUBSCRIBE news"));
        pg.engine.execute(c, &argv("PSUBSCRIBE n*"));
        pg.engine.execute(a, &argv("PUBLISH news hello"));
        pg.engine.execute(a, &argv("PUBLISH weather rain"));
        pg.engine.execute(a, &argv("WATCH k"));
        pg.engine.execute(a, &argv("MULTI"));
        pg.engine.execute(a, &argv("SET k v"));
        let snap = snapshot(&pg.engine, &tab_label(&tabs), pg.engine.now_ms());
        assert_eq!(
            snap.rows[0].state,
            ClientState::Multi {
                queued: 1,
                doomed: false
            }
        );
        assert_eq!(snap.rows[0].watching, ["db 0: k"]);
        pg.engine.execute(c, &argv("PUNSUBSCRIBE"));
        pg.engine.execute(c, &argv("SET k other"));
        let snap = snapshot(&pg.engine, &tab_label(&tabs), pg.engine.now_ms());
        assert_eq!(
            snap.rows[0].state,
            ClientState::Multi {
                queued: 1,
                doomed: true
            },
            "a watched key changed"
        );
        pg.engine.execute(c, &argv("PSUBSCRIBE n*"));
        let snap = snapshot(&pg.engine, &tab_label(&tabs), pg.engine.now_ms());
        assert_eq!(
            snap.rows[1].state,
            ClientState::Subscribed {
                channels: vec!["news".into()],
                patterns: vec![]
            }
        );
        assert_eq!(
            snap.rows[2].state,
            ClientState::Subscribed {
                channels: vec![],
                patterns: vec!["n*".into()]
            }
        );
        assert_eq!(
            snap.subs,
            vec![
                SubRow {
                    kind: "channel",
                    name: "news".into(),
                    subscribers: vec![(b, "redis-cli 2".into())]
                },
                SubRow {
                    kind: "pattern",
                    name: "n*".into(),
                    subscribers: vec![(c, "redis-cli 3".into())]
                },
            ]
        );
        let mut t = Timeline::default();
        let label = |id| tab_label(&tabs)(id).0;
        let before = t.len();
        t.add(pg.engine.take_commands(), label);
        let mut flows = Flows::default();
        assert!(flows.note((before..t.len()).filter_map(|i| t.get(i)), &label));
        let texts: Vec<&str> = flows.recent.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "PUBLISH news hello → 2 receivers: redis-cli 2, redis-cli 3",
                "PUBLISH weather rain → no receivers: nobody was subscribed, the message is gone",
            ]
        );
        assert_eq!(flows.latest().map(|f| f.channel.as_str()), Some("weather"));
        assert_eq!(flows.recent[0].receivers, vec![b, c]);
    }
}
