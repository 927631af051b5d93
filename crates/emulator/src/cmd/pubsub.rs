//! Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, SSUBSCRIBE,
//! SUNSUBSCRIBE, SPUBLISH and PUBSUB, as Redis 7.0's pubsub.c.
//!
//! The server keeps, per channel (and per shard channel), its subscribers in the order
//! they subscribed, and per pattern likewise; each client keeps what it is subscribed to.
//! A message reaches a subscriber through its outbox (`ClientQueues::outbox`), the same
//! way a blocked client's late reply does: front ends deliver outboxes after each command.
//! Messages go to the channel's subscribers first, then to the subscribers of every
//! matching pattern (shard channels ignore patterns), as `pubsubPublishMessageInternal`.
//!
//! Where Redis iterates a hash table (a client's channels for a bare UNSUBSCRIBE, the
//! server's patterns for PUBLISH, PUBSUB CHANNELS) its order is random per process; the
//! emulator uses subscription order (PUBSUB CHANNELS: sorted), deterministic everywhere.
//!
//! A subscribing command that answers for several channels sends one reply per channel:
//! all but the last go to the client's outbox, so `Engine::execute` returns none and the
//! front end finds them all, in order, in the outbox.

use std::collections::{BTreeMap, HashMap};

use crate::engine::{ClientId, Ctx, Engine};
use crate::error::{self, CmdError, CmdResult};
use crate::glob::glob_match;
use crate::reply::{Protocol, Reply};
use crate::scan::FixedState;
use crate::table::{flag::*, CommandSpec};

const PS: CommandSpec = CommandSpec {
    group: "pubsub",
    since: "2.0.0",
    flags: PUBSUB | NOSCRIPT | LOADING | STALE,
    acl: &["pubsub", "slow"],
    ..CommandSpec::BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "subscribe",
        arity: -2,
        summary: "Listen for messages published to the given channels",
        complexity: "O(N) where N is the number of channels to subscribe to.",
        syntax: "channel [channel ...]",
        handler: Some(subscribe),
        ..PS
    },
    CommandSpec {
        name: "unsubscribe",
        arity: -1,
        summary: "Stop listening for messages posted to the given channels",
        complexity: "O(N) where N is the number of clients already subscribed to a channel.",
        syntax: "[channel [channel ...]]",
        handler: Some(unsubscribe),
        ..PS
    },
    CommandSpec {
        name: "psubscribe",
        arity: -2,
        summary: "Listen for messages published to channels matching the given patterns",
        complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
        syntax: "pattern [pattern ...]",
        handler: Some(psubscribe),
        ..PS
    },
    CommandSpec {
        name: "punsubscribe",
        arity: -1,
        summary: "Stop listening for messages posted to channels matching the given patterns",
        complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
        syntax: "[pattern [pattern ...]]",
        handler: Some(punsubscribe),
        ..PS
    },
    CommandSpec {
        name: "publish",
        arity: 3,
        flags: PUBSUB | LOADING | STALE | FAST,
        acl: &["pubsub", "fast"],
        summary: "Post a message to a channel",
        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
        syntax: "channel message",
        handler: Some(publish),
        ..PS
    },
    CommandSpec {
        name: "ssubscribe",
        arity: -2,
        first_key: 1,
        last_key: -1,
        step: 1,
        since: "7.0.0",
        summary: "Listen for messages published to the given shard channels",
        complexity: "O(N) where N is the number of shard channels to subscribe to.",
        syntax: "shardchannel [shardchannel ...]",
        handler: Some(ssubscribe),
        ..PS
    },
    CommandSpec {
        name: "sunsubscribe",
        arity: -1,
        first_key: 1,
        last_key: -1,
        step: 1,
        since: "7.0.0",
        summary: "Stop listening for messages posted to the given shard channels",
        complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
        syntax: "[shardchannel [shardchannel ...]]",
        handler: Some(sunsubscribe),
        ..PS
    },
    CommandSpec {
        name: "spublish",
        arity: 3,
        flags: PUBSUB | LOADING | STALE | FAST,
        acl: &["pubsub", "fast"],
        first_key: 1,
        last_key: 1,
        step: 1,
        since: "7.0.0",
        summary: "Post a message to a shard channel",
        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
        syntax: "shardchannel message",
        handler: Some(spublish),
        ..PS
    },
    CommandSpec {
        name: "pubsub",
        arity: -2,
        flags: 0,
        acl: &["slow"],
        since: "2.8.0",
        summary: "A container for Pub/Sub commands",
        complexity: "Depends on subcommand.",
        syntax: "subcommand [arguments]",
        subcommands: PUBSUB_SUBCOMMANDS,
        ..PS
    },
];

const PUBSUB_SUB: CommandSpec = CommandSpec {
    group: "pubsub",
    since: "2.8.0",
    flags: PUBSUB | LOADING | STALE,
    acl: &["pubsub", "slow"],
    ..CommandSpec::BASE
};

const PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "channels",
        arity: -2,
        summary: "List active channels",
        complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
        syntax: "[pattern]",
        handler: Some(pubsub_channels),
        ..PUBSUB_SUB
    },
    CommandSpec {
        name: "numsub",
        arity: -2,
        summary: "Get the count of subscribers for channels",
        complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
        syntax: "[channel [channel ...]]",
        handler: Some(pubsub_numsub),
        ..PUBSUB_SUB
    },
    CommandSpec {
        name: "numpat",
        arity: 2,
        summary: "Get the count of unique patterns pattern subscriptions",
        complexity: "O(1)",
        handler: Some(pubsub_numpat),
        ..PUBSUB_SUB
    },
    CommandSpec {
        name: "shardchannels",
        arity: -2,
        since: "7.0.0",
        summary: "List active shard channels",
        complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
        syntax: "[pattern]",
        handler: Some(pubsub_shardchannels),
        ..PUBSUB_SUB
    },
    CommandSpec {
        name: "shardnumsub",
        arity: -2,
        since: "7.0.0",
        summary: "Get the count of subscribers for shard channels",
        complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
        syntax: "[shardchannel [shardchannel ...]]",
        handler: Some(pubsub_shardnumsub),
        ..PUBSUB_SUB
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        acl: &["slow"],
        since: "6.2.0",
        summary: "Show helpful text about the different subcommands",
        complexity: "O(1)",
        handler: Some(pubsub_help),
        ..PUBSUB_SUB
    },
];

// ---------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------

/// A set that remembers insertion order (a client's channels).
#[derive(Clone, Debug, Default)]
struct OrderedSet {
    seq: u64,
    by_name: HashMap<Vec<u8>, u64, FixedState>,
    by_seq: BTreeMap<u64, Vec<u8>>,
}

impl OrderedSet {
    fn len(&self) -> usize {
        self.by_name.len()
    }
    fn insert(&mut self, name: &[u8]) -> bool {
        if self.by_name.contains_key(name) {
            return false;
        }
        self.seq += 1;
        self.by_name.insert(name.to_vec(), self.seq);
        self.by_seq.insert(self.seq, name.to_vec());
        true
    }
    fn remove(&mut self, name: &[u8]) -> bool {
        match self.by_name.remove(name) {
            Some(seq) => {
                self.by_seq.remove(&seq);
                true
            }
            None => false,
        }
    }
    fn names(&self) -> Vec<Vec<u8>> {
        self.by_seq.values().cloned().collect()
    }
}

/// What one client is subscribed to.
#[derive(Clone, Debug, Default)]
struct ClientSubs {
    channels: OrderedSet,
    /// In subscription order (Redis keeps a list).
    patterns: Vec<Vec<u8>>,
    shard: OrderedSet,
}

impl ClientSubs {
    fn is_empty(&self) -> bool {
        self.channels.len() == 0 && self.patterns.is_empty() && self.shard.len() == 0
    }
}

/// Global channels or shard channels (Redis's `pubsubtype`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Global,
    Shard,
}

impl Kind {
    fn subscribe_word(self) -> &'static str {
        match self {
            Kind::Global => "subscribe",
            Kind::Shard => "ssubscribe",
        }
    }
    fn unsubscribe_word(self) -> &'static str {
        match self {
            Kind::Global => "unsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }
    fn message_word(self) -> &'static str {
        match self {
            Kind::Global => "message",
            Kind::Shard => "smessage",
        }
    }
}

/// The server's pub/sub state.
#[derive(Clone, Debug, Default)]
pub struct PubSub {
    /// Channel -> subscribers, in the order they subscribed.
    channels: BTreeMap<Vec<u8>, Vec<ClientId>>,
    shard_channels: BTreeMap<Vec<u8>, Vec<ClientId>>,
    /// Pattern -> subscribers, patterns in the order they were first subscribed.
    patterns: Vec<(Vec<u8>, Vec<ClientId>)>,
    clients: HashMap<ClientId, ClientSubs, FixedState>,
    /// A client that the running command sent a frame to while it runs (its own
    /// subscribe replies, a message it published to itself): Redis writes those before
    /// the command's reply, so `Engine::execute` queues the reply behind them.
    pushed_to_self: Option<ClientId>,
    /// The client whose running command has, in Redis, already written its reply
    /// (`Ctx::replied`): frames it sends that client from then on wait in `after_reply`
    /// and follow the reply.
    pub(crate) late: Option<ClientId>,
    pub(crate) after_reply: Vec<(ClientId, Reply)>,
    /// Keyspace events kept for observers (see `notify`).
    pub(crate) events: crate::notify::EventLog,
}

impl PubSub {
    fn server_map(&mut self, kind: Kind) -> &mut BTreeMap<Vec<u8>, Vec<ClientId>> {
        match kind {
            Kind::Global => &mut self.channels,
            Kind::Shard => &mut self.shard_channels,
        }
    }

    /// `clientSubscriptionsCount` (channels + patterns) or the shard channel count.
    fn count(&self, client: ClientId, kind: Kind) -> i64 {
        let Some(s) = self.clients.get(&client) else {
            return 0;
        };
        match kind {
            Kind::Global => (s.channels.len() + s.patterns.len()) as i64,
            Kind::Shard => s.shard.len() as i64,
        }
    }

    /// Takes the mark left when the command `client` runs sent it a frame.
    pub(crate) fn pushed_to(&mut self, client: ClientId) -> bool {
        self.pushed_to_self.take() == Some(client)
    }

    /// Whether `client` is in subscribed mode (Redis's CLIENT_PUBSUB flag: set by a
    /// subscription, cleared when the last one goes).
    pub fn is_subscribed(&self, client: ClientId) -> bool {
        !self.clients.is_empty() && self.clients.get(&client).is_some_and(|s| !s.is_empty())
    }

    /// (channels, patterns, shard channels) `client` is subscribed to, for CLIENT LIST.
    pub fn counts(&self, client: ClientId) -> (usize, usize, usize) {
        match self.clients.get(&client) {
            Some(s) => (s.channels.len(), s.patterns.len(), s.shard.len()),
            None => (0, 0, 0),
        }
    }

    /// Channels with at least one subscriber (INFO's `pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Patterns with at least one subscriber (INFO's `pubsub_patterns`, PUBSUB NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }

    /// Each channel with its subscribers in subscription order, channels sorted.
    pub fn channel_subscribers(&self) -> impl Iterator<Item = (&[u8], &[ClientId])> {
        self.channels
            .iter()
            .map(|(c, l)| (c.as_slice(), l.as_slice()))
    }

    /// Each shard channel with its subscribers, as `channel_subscribers`.
    pub fn shard_channel_subscribers(&self) -> impl Iterator<Item = (&[u8], &[ClientId])> {
        self.shard_channels
            .iter()
            .map(|(c, l)| (c.as_slice(), l.as_slice()))
    }

    /// Each pattern with its subscribers, patterns in the order first subscribed.
    pub fn pattern_subscribers(&self) -> impl Iterator<Item = (&[u8], &[ClientId])> {
        self.patterns
            .iter()
            .map(|(p, l)| (p.as_slice(), l.as_slice()))
    }

    fn subscribe_channel(&mut self, client: ClientId, channel: &[u8], kind: Kind) {
        let subs = self.clients.entry(client).or_default();
        let set = match kind {
            Kind::Global => &mut subs.channels,
            Kind::Shard => &mut subs.shard,
        };
        if set.insert(channel) {
            self.server_map(kind)
                .entry(channel.to_vec())
                .or_default()
                .push(client);
        }
    }

    fn unsubscribe_channel(&mut self, client: ClientId, channel: &[u8], kind: Kind) -> bool {
        let Some(subs) = self.clients.get_mut(&client) else {
            return false;
        };
        let set = match kind {
            Kind::Global => &mut subs.channels,
            Kind::Shard => &mut subs.shard,
        };
        if !set.remove(channel) {
            return false;
        }
        let map = self.server_map(kind);
        if let Some(list) = map.get_mut(channel) {
            list.retain(|&c| c != client);
            if list.is_empty() {
                map.remove(channel);
            }
        }
        self.forget_if_empty(client);
        true
    }

    fn subscribe_pattern(&mut self, client: ClientId, pattern: &[u8]) {
        let subs = self.clients.entry(client).or_default();
        if subs.patterns.iter().any(|p| p == pattern) {
            return;
        }
        subs.patterns.push(pattern.to_vec());
        match self.patterns.iter_mut().find(|(p, _)| p == pattern) {
            Some((_, list)) => list.push(client),
            None => self.patterns.push((pattern.to_vec(), vec![client])),
        }
    }

    fn unsubscribe_pattern(&mut self, client: ClientId, pattern: &[u8]) -> bool {
        let Some(subs) = self.clients.get_mut(&client) else {
            return false;
        };
        let Some(at) = subs.patterns.iter().position(|p| p == pattern) else {
            return false;
        };
        subs.patterns.remove(at);
        if let Some(i) = self.patterns.iter().position(|(p, _)| p == pattern) {
            self.patterns[i].1.retain(|&c| c != client);
            if self.patterns[i].1.is_empty() {
                self.patterns.remove(i);
            }
        }
        self.forget_if_empty(client);
        true
    }

    fn forget_if_empty(&mut self, client: ClientId) {
        if self.clients.get(&client).is_some_and(ClientSubs::is_empty) {
            self.clients.remove(&client);
        }
    }

    fn channels_of(&self, client: ClientId, kind: Kind) -> Vec<Vec<u8>> {
        match (self.clients.get(&client), kind) {
            (Some(s), Kind::Global) => s.channels.names(),
            (Some(s), Kind::Shard) => s.shard.names(),
            (None, _) => Vec::new(),
        }
    }

    fn patterns_of(&self, client: ClientId) -> Vec<Vec<u8>> {
        self.clients
            .get(&client)
            .map(|s| s.patterns.clone())
            .unwrap_or_default()
    }

    /// Drops every subscription of `client` without telling it (RESET, disconnect).
    pub fn forget_client(&mut self, client: ClientId) {
        for kind in [Kind::Global, Kind::Shard] {
            for ch in self.channels_of(client, kind) {
                self.unsubscribe_channel(client, &ch, kind);
            }
        }
        for p in self.patterns_of(client) {
            self.unsubscribe_pattern(client, &p);
        }
        self.clients.remove(&client);
    }

    /// Who receives a message published on `channel`, with the frame each one gets:
    /// the channel's subscribers, then (not for shard channels) each matching pattern's.
    fn recipients(&self, channel: &[u8], message: &[u8], kind: Kind) -> Vec<(ClientId, Reply)> {
        let mut out = Vec::new();
        let map = match kind {
            Kind::Global => &self.channels,
            Kind::Shard => &self.shard_channels,
        };
        // Each frame is built once and shared by its recipients (Redis also shares one
        // message object): a fan-out to many subscribers costs a reference each.
        if let Some(list) = map.get(channel) {
            let frame = shared(push(vec![
                word(kind.message_word()),
                Reply::bulk(channel),
                Reply::bulk(message),
            ]));
            for &c in list {
                out.push((c, frame.clone()));
            }
        }
        if kind == Kind::Global {
            for (pattern, list) in &self.patterns {
                if !glob_match(pattern, channel, false) {
                    continue;
                }
                let frame = shared(push(vec![
                    word("pmessage"),
                    Reply::bulk(pattern),
                    Reply::bulk(channel),
                    Reply::bulk(message),
                ]));
                for &c in list {
                    out.push((c, frame.clone()));
                }
            }
        }
        out
    }
}

fn word(w: &str) -> Reply {
    Reply::bulk_str(w)
}

fn push(items: Vec<Reply>) -> Reply {
    Reply::Push(items)
}

fn shared(frame: Reply) -> Reply {
    Reply::Shared(std::sync::Arc::new(frame))
}

impl Engine {
    /// Publishes `message` on `channel` (PUBLISH, keyspace notifications): every
    /// recipient's frame goes to its outbox. Returns the number of receivers.
    /// `sender` is the client running the command, if any.
    pub(crate) fn publish_message(
        &mut self,
        channel: &[u8],
        message: &[u8],
        sender: Option<ClientId>,
    ) -> usize {
        self.deliver_published(channel, message, Kind::Global, sender)
    }

    fn deliver_published(
        &mut self,
        channel: &[u8],
        message: &[u8],
        kind: Kind,
        sender: Option<ClientId>,
    ) -> usize {
        if self.pubsub.clients.is_empty() {
            return 0;
        }
        let recipients = self.pubsub.recipients(channel, message, kind);
        let n = recipients.len();
        if self.command_log.is_some() {
            self.log_delivery(channel, || recipients.iter().map(|(c, _)| *c).collect());
        }
        for (client, frame) in recipients {
            if Some(client) == sender {
                if self.pubsub.late == Some(client) {
                    self.pubsub.after_reply.push((client, frame));
                    continue;
                }
                self.pubsub.pushed_to_self = Some(client);
            }
            self.push_output(client, frame);
        }
        n
    }

    /// Frames that commands sent their own clients after their replies (see `late`),
    /// into the outboxes, behind those replies.
    pub(crate) fn deliver_after_reply(&mut self) {
        if self.pubsub.after_reply.is_empty() {
            return;
        }
        for (client, frame) in std::mem::take(&mut self.pubsub.after_reply) {
            self.push_output(client, frame);
        }
    }

    /// Whether `client` is subscribed to anything (CLIENT LIST's `P` flag).
    pub fn is_subscribed(&self, client: ClientId) -> bool {
        self.pubsub.is_subscribed(client)
    }

    /// The pub/sub state, for INFO, CLIENT LIST and observers.
    pub fn pubsub(&self) -> &PubSub {
        &self.pubsub
    }

    /// The error processCommand gives a RESP2 client in subscribed mode for a command
    /// other than (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET. None when the
    /// command may run. Commands run by EXEC are not checked (Redis checks in
    /// processCommand only).
    pub(crate) fn subscribed_mode_refusal(
        &self,
        client: ClientId,
        full_name: &str,
    ) -> Option<CmdError> {
        if self.nested_execution
            || !self.pubsub.is_subscribed(client)
            || self.protocol(client) != Protocol::Resp2
        {
            return None;
        }
        let allowed = matches!(
            full_name,
            "ping"
                | "subscribe"
                | "ssubscribe"
                | "unsubscribe"
                | "sunsubscribe"
                | "psubscribe"
                | "punsubscribe"
                | "quit"
                | "reset"
        );
        if allowed {
            return None;
        }
        Some(CmdError(format!(
            "ERR Can't execute '{full_name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        )))
    }
}

// ---------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------

/// Sends several replies for one command: all but the last to the outbox (in order), the
/// last as the command's reply (which `execute` then queues behind them).
fn several(ctx: &mut Ctx, mut frames: Vec<Reply>) -> Reply {
    let last = frames.pop().unwrap_or(Reply::NoReply);
    if !frames.is_empty() {
        ctx.engine.pubsub.pushed_to_self = Some(ctx.client);
    }
    let client = ctx.client;
    for f in frames {
        ctx.engine.push_output(client, f);
    }
    last
}

fn frame(w: &str, name: Option<&[u8]>, count: i64) -> Reply {
    push(vec![
        word(w),
        name.map(Reply::bulk).unwrap_or(Reply::Nil),
        Reply::Integer(count),
    ])
}

fn subscribe_kind(ctx: &mut Ctx, argv: &[Vec<u8>], kind: Kind) -> CmdResult {
    let client = ctx.client;
    let mut frames = Vec::with_capacity(argv.len() - 1);
    for ch in &argv[1..] {
        ctx.engine.pubsub.subscribe_channel(client, ch, kind);
        frames.push(frame(
            kind.subscribe_word(),
            Some(ch),
            ctx.engine.pubsub.count(client, kind),
        ));
    }
    Ok(several(ctx, frames))
}

fn unsubscribe_kind(ctx: &mut Ctx, argv: &[Vec<u8>], kind: Kind) -> CmdResult {
    let client = ctx.client;
    let names = if argv.len() == 1 {
        ctx.engine.pubsub.channels_of(client, kind)
    } else {
        argv[1..].to_vec()
    };
    let mut frames = Vec::with_capacity(names.len().max(1));
    for ch in &names {
        ctx.engine.pubsub.unsubscribe_channel(client, ch, kind);
        frames.push(frame(
            kind.unsubscribe_word(),
            Some(ch),
            ctx.engine.pubsub.count(client, kind),
        ));
    }
    if frames.is_empty() {
        // Subscribed to nothing: still one reply.
        frames.push(frame(
            kind.unsubscribe_word(),
            None,
            ctx.engine.pubsub.count(client, kind),
        ));
    }
    Ok(several(ctx, frames))
}

/// SUBSCRIBE channel [channel ...]
fn subscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    subscribe_kind(ctx, argv, Kind::Global)
}

/// UNSUBSCRIBE [channel ...]
fn unsubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    unsubscribe_kind(ctx, argv, Kind::Global)
}

/// SSUBSCRIBE shardchannel [shardchannel ...]: refused where the client may not block
/// (inside EXEC), unlike SUBSCRIBE, which Redis lets MULTI run for compatibility.
fn ssubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if !ctx.may_block() {
        return Err(CmdError::new(
            "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client",
        ));
    }
    subscribe_kind(ctx, argv, Kind::Shard)
}

/// SUNSUBSCRIBE [shardchannel ...]
fn sunsubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    unsubscribe_kind(ctx, argv, Kind::Shard)
}

/// PSUBSCRIBE pattern [pattern ...]
fn psubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let client = ctx.client;
    let mut frames = Vec::with_capacity(argv.len() - 1);
    for p in &argv[1..] {
        ctx.engine.pubsub.subscribe_pattern(client, p);
        frames.push(frame(
            "psubscribe",
            Some(p),
            ctx.engine.pubsub.count(client, Kind::Global),
        ));
    }
    Ok(several(ctx, frames))
}

/// PUNSUBSCRIBE [pattern ...]
fn punsubscribe(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let client = ctx.client;
    let names = if argv.len() == 1 {
        ctx.engine.pubsub.patterns_of(client)
    } else {
        argv[1..].to_vec()
    };
    let mut frames = Vec::with_capacity(names.len().max(1));
    for p in &names {
        ctx.engine.pubsub.unsubscribe_pattern(client, p);
        frames.push(frame(
            "punsubscribe",
            Some(p),
            ctx.engine.pubsub.count(client, Kind::Global),
        ));
    }
    if frames.is_empty() {
        frames.push(frame(
            "punsubscribe",
            None,
            ctx.engine.pubsub.count(client, Kind::Global),
        ));
    }
    Ok(several(ctx, frames))
}

/// PUBLISH channel message: the number of clients that received it.
fn publish(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let n = ctx
        .engine
        .deliver_published(&argv[1], &argv[2], Kind::Global, Some(ctx.client));
    Ok(Reply::Integer(n as i64))
}

/// SPUBLISH shardchannel message
fn spublish(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let n = ctx
        .engine
        .deliver_published(&argv[1], &argv[2], Kind::Shard, Some(ctx.client));
    Ok(Reply::Integer(n as i64))
}

/// `addReplySubcommandSyntaxError`.
fn subcommand_syntax(argv: &[Vec<u8>]) -> CmdError {
    CmdError(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        error::truncate_lossy(&argv[1], 128),
        error::truncate_lossy(&argv[0], 128).to_ascii_uppercase()
    ))
}

fn channel_list(map: &BTreeMap<Vec<u8>, Vec<ClientId>>, argv: &[Vec<u8>]) -> CmdResult {
    if argv.len() > 3 {
        return Err(subcommand_syntax(argv));
    }
    let pattern = argv.get(2);
    Ok(Reply::Array(
        map.keys()
            .filter(|ch| pattern.is_none_or(|p| glob_match(p, ch, false)))
            .map(Reply::bulk)
            .collect(),
    ))
}

fn numsub(map: &BTreeMap<Vec<u8>, Vec<ClientId>>, argv: &[Vec<u8>]) -> Reply {
    let mut out = Vec::with_capacity((argv.len() - 2) * 2);
    for ch in &argv[2..] {
        out.push(Reply::bulk(ch));
        out.push(Reply::Integer(map.get(ch).map_or(0, |l| l.len() as i64)));
    }
    Reply::Array(out)
}

/// PUBSUB CHANNELS [pattern]
fn pubsub_channels(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    channel_list(&ctx.engine.pubsub.channels, argv)
}

/// PUBSUB SHARDCHANNELS [pattern]
fn pubsub_shardchannels(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    channel_list(&ctx.engine.pubsub.shard_channels, argv)
}

/// PUBSUB NUMSUB [channel ...]: a flat array even in RESP3, as Redis.
fn pubsub_numsub(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(numsub(&ctx.engine.pubsub.channels, argv))
}

/// PUBSUB SHARDNUMSUB [shardchannel ...]
fn pubsub_shardnumsub(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(numsub(&ctx.engine.pubsub.shard_channels, argv))
}

/// PUBSUB NUMPAT
fn pubsub_numpat(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    Ok(Reply::Integer(ctx.engine.pubsub.pattern_count() as i64))
}

/// PUBSUB HELP
fn pubsub_help(_ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    Ok(super::help_reply(
        &argv[0],
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    ))
}

/// PING's reply in subscribed mode under RESP2: `["pong", message or ""]`.
pub(crate) fn subscribed_ping(ctx: &Ctx, argv: &[Vec<u8>]) -> Option<Reply> {
    if ctx.protocol() != Protocol::Resp2 || !ctx.engine.pubsub.is_subscribed(ctx.client) {
        return None;
    }
    let message = argv.get(1).cloned().unwrap_or_default();
    Some(Reply::Array(vec![word("pong"), Reply::Bulk(message)]))
}

#[cfg(test)]
mod tests {
    use crate::clock::ManualClock;
    use crate::engine::{ClientInfo, Engine};
    use crate::reply::Reply;

    fn argv(s: &str) -> Vec<Vec<u8>> {
        s.split_whitespace()
            .map(|w| w.as_bytes().to_vec())
            .collect()
    }

    fn text(r: Reply) -> String {
        match r {
            Reply::Verbatim(_, b) | Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => format!("{other:?}"),
        }
    }

    fn field<'a>(line: &'a str, name: &str) -> &'a str {
        line.split(' ')
            .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .unwrap_or("")
    }

    #[test]
    fn client_list_shows_subscriptions_and_the_p_flag() {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        let a = e.connect(ClientInfo::default());
        let b = e.connect(ClientInfo::default());
        e.execute(b, &argv("SUBSCRIBE c1 c2"));
        e.execute(b, &argv("PSUBSCRIBE p*"));
        e.execute(b, &argv("SSUBSCRIBE s1"));
        e.drain_outbox(b);
        let list = text(e.execute(a, &argv("CLIENT LIST ID 2")));
        assert_eq!(
            (
                field(&list, "flags"),
                field(&list, "sub"),
                field(&list, "psub"),
                field(&list, "ssub")
            ),
            ("P", "2", "1", "1"),
            "{list}"
        );
        let mine = text(e.execute(a, &argv("CLIENT INFO")));
        assert_eq!((field(&mine, "flags"), field(&mine, "sub")), ("N", "0"));
        let pubsub = text(e.execute(a, &argv("CLIENT LIST TYPE pubsub")));
        assert_eq!(
            pubsub
                .lines()
                .map(|l| field(l, "id").to_string())
                .collect::<Vec<_>>(),
            ["2"]
        );
        let normal = text(e.execute(a, &argv("CLIENT LIST TYPE normal")));
        assert_eq!(
            normal
                .lines()
                .map(|l| field(l, "id").to_string())
                .collect::<Vec<_>>(),
            ["1"]
        );
        let info = text(e.execute(a, &argv("INFO stats")));
        for want in [
            "pubsub_channels:2",
            "pubsub_patterns:1",
            "pubsubshard_channels:1",
        ] {
            assert!(info.contains(want), "{want} in {info}");
        }
        // Disconnecting forgets every subscription.
        e.disconnect(b);
        assert_eq!(e.execute(a, &argv("PUBLISH c1 x")), Reply::Integer(0));
        assert_eq!(e.execute(a, &argv("PUBSUB NUMPAT")), Reply::Integer(0));
        assert_eq!(
            e.execute(a, &argv("PUBSUB SHARDCHANNELS")),
            Reply::Array(vec![])
        );
        assert!(!e.is_subscribed(b));
    }

    #[test]
    fn several_replies_of_one_command_arrive_in_order_through_the_outbox() {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        let a = e.connect(ClientInfo::default());
        assert_eq!(e.execute(a, &argv("SUBSCRIBE x y z")), Reply::NoReply);
        let got: Vec<Reply> = e.drain_outbox(a);
        let names: Vec<Reply> = got
            .into_iter()
            .map(|r| match r {
                Reply::Push(items) => items[1].clone(),
                other => other,
            })
            .collect();
        assert_eq!(
            names,
            vec![
                Reply::bulk_str("x"),
                Reply::bulk_str("y"),
                Reply::bulk_str("z")
            ]
        );
        // A bare UNSUBSCRIBE answers in subscription order, counting down.
        assert_eq!(e.execute(a, &argv("UNSUBSCRIBE")), Reply::NoReply);
        let counts: Vec<Reply> = e
            .drain_outbox(a)
            .into_iter()
            .map(|r| match r {
                Reply::Push(items) => Reply::Array(vec![items[1].clone(), items[2].clone()]),
                other => other,
            })
            .collect();
        assert_eq!(
            counts,
            vec![
                Reply::Array(vec![Reply::bulk_str("x"), Reply::Integer(2)]),
                Reply::Array(vec![Reply::bulk_str("y"), Reply::Integer(1)]),
                Reply::Array(vec![Reply::bulk_str("z"), Reply::Integer(0)]),
            ]
        );
        assert_eq!(
            e.execute(a, &argv("GET k")),
            Reply::Nil,
            "out of subscribed mode"
        );
    }

    #[test]
    fn many_subscribers_each_get_one_frame() {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        let publisher = e.connect(ClientInfo::default());
        let subs: Vec<u64> = (0..1000)
            .map(|_| e.connect(ClientInfo::default()))
            .collect();
        for &s in &subs {
            e.execute(s, &argv("SUBSCRIBE news"));
            e.drain_outbox(s);
        }
        assert_eq!(
            e.execute(publisher, &argv("PUBLISH news hi")),
            Reply::Integer(1000)
        );
        for &s in &subs {
            assert_eq!(e.drain_outbox(s).len(), 1);
        }
        assert!(!e.has_output());
    }
}
