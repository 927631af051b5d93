//! Blocked clients: what a client waits for, and how the engine wakes it.
//!
//! The model is Redis 7.0's (src/blocked.c):
//! - A blocking command that cannot be served at once parks its client: the client is
//!   appended to the FIFO list of waiters of every key it names (per database), and
//!   `execute` returns `Reply::NoReply`. Commands the client sends while it waits are
//!   queued, not run (Redis stops reading a blocked client's socket).
//! - Writes *signal* a key as ready when a client waits on it (a new key of a type that
//!   can wake someone, an XADD, a stream deleted or overwritten). After each top-level
//!   command the engine serves the waiters of every ready key, first blocked first served
//!   (`Engine::serve_ready_keys`); a served or timed-out client's reply goes to its
//!   outbox, and its queued commands run next.
//! - Deadlines are checked by `Engine::handle_timeouts`, which front ends call when the
//!   clock moves (a timer in the page, the event loop natively).
//!
//! What a command waits for is a `BlockedOp`; each data type serves its own kind.

use std::collections::VecDeque;

use crate::db::Key;
use crate::engine::{ClientId, Ctx, Engine};
use crate::reply::Reply;
use crate::types::stream::StreamId;

/// When a blocked client gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// BLOCK 0 / timeout 0: wait until served.
    Never,
    /// At this absolute time (ms), from the command's `now_ms` plus its timeout.
    At(i64),
}

/// An XREAD or XREADGROUP waiting for entries.
#[derive(Clone, Debug)]
pub struct StreamWait {
    /// Every stream key of the command, in order, with the ID to read after (`$` resolved
    /// to the stream's last ID when the client blocked). For a group this is refreshed
    /// from the group's last-delivered ID when the key is served.
    pub keys: Vec<(Vec<u8>, StreamId)>,
    /// COUNT, 0 for none.
    pub count: usize,
    pub group: Option<GroupWait>,
}

/// The consumer-group part of a blocked XREADGROUP.
#[derive(Clone, Debug)]
pub struct GroupWait {
    pub group: Vec<u8>,
    pub consumer: Vec<u8>,
    pub noack: bool,
}

/// A BLPOP, BRPOP, BLMPOP, BLMOVE or BRPOPLPUSH waiting for a list.
#[derive(Clone, Debug)]
pub struct ListWait {
    /// The command's name, for the receiver's reply shape and stats.
    pub command: &'static str,
    /// Pop from the head (LEFT) or the tail.
    pub from_left: bool,
    /// BLMPOP's COUNT (the reply is `[key, [elements]]`); None for one element.
    pub count: Option<usize>,
    /// BLMOVE/BRPOPLPUSH: the destination and whether to push on its head.
    pub target: Option<(Vec<u8>, bool)>,
}

/// A BZPOPMIN, BZPOPMAX or BZMPOP waiting for a sorted set.
#[derive(Clone, Debug)]
pub struct ZSetWait {
    pub command: &'static str,
    pub max: bool,
    /// BZMPOP's COUNT (the reply is `[key, [[member, score]...]]`); None for BZPOP*.
    pub count: Option<usize>,
}

/// What a blocked client waits for.
#[derive(Clone, Debug)]
pub enum BlockedOp {
    Stream(StreamWait),
    List(ListWait),
    ZSet(ZSetWait),
    /// A command held back by CLIENT PAUSE (or by a running script), run again when the
    /// pause ends (or the script, or busy-reply-threshold passes).
    Postponed(Vec<Vec<u8>>),
    /// EVAL or FCALL whose script is still running (`Engine::continue_script`).
    Script,
}

impl BlockedOp {
    /// The reply a client gets when its timeout passes (Redis's replyToBlockedClientTimedOut).
    /// Every kind answers a null array, BLMOVE included (7.0's addReplyNullArray).
    fn timeout_reply(&self) -> Reply {
        Reply::NilArray
    }

    /// The type of key this op waits for (for observers, and to pick who is served).
    pub fn kind(&self) -> &'static str {
        match self {
            BlockedOp::Stream(_) => "stream",
            BlockedOp::List(_) => "list",
            BlockedOp::ZSet(_) => "zset",
            BlockedOp::Postponed(_) => "postponed",
            BlockedOp::Script => "script",
        }
    }

    /// True for XREADGROUP, which a deleted or overwritten key unblocks with an error.
    fn is_group_read(&self) -> bool {
        matches!(self, BlockedOp::Stream(StreamWait { group: Some(_), .. }))
    }
}

/// A parked client.
#[derive(Clone, Debug)]
pub struct Blocked {
    /// The database the keys belong to (the client's when it blocked).
    pub db: usize,
    pub keys: Vec<Key>,
    pub timeout: Timeout,
    pub op: BlockedOp,
    /// When the client blocked, for observers ("waiting for 3 s").
    pub since_ms: i64,
    /// The command that blocked, as sent (for observers; set once it has parked).
    pub argv: Vec<Vec<u8>>,
}

/// The per-client half of blocking: its parked command, the commands it sent meanwhile,
/// and replies that reached it outside its own `execute` call.
#[derive(Clone, Debug, Default)]
pub struct ClientQueues {
    pub blocked: Option<Blocked>,
    /// Commands received while blocked, run in order once the client is released.
    pub input: VecDeque<Vec<Vec<u8>>>,
    /// Replies (and, later, push messages) for the front end to deliver, in order.
    pub outbox: VecDeque<Reply>,
}

impl Ctx<'_> {
    /// Whether the running command may park its client. Inside MULTI/EXEC or a script
    /// a blocking command behaves as if its timeout had already passed (Redis 7.0).
    pub fn may_block(&self) -> bool {
        !self.engine.nested_execution
    }

    /// Parks the running client until one of `keys` (in its database) is served or the
    /// timeout passes; returns the reply to send now, which is none.
    pub fn block(&mut self, keys: Vec<Vec<u8>>, timeout: Timeout, op: BlockedOp) -> Reply {
        let db = self.db_index();
        let client = self.client;
        let now = self.now_ms;
        self.engine.park_op(client, db, keys, timeout, op, now);
        Reply::NoReply
    }

    /// Tells the engine that `key` in the client's database may now serve waiters
    /// (Redis's signalKeyAsReady). Cheap when nobody waits on it.
    pub fn signal_key_ready(&mut self, key: &[u8]) {
        let db = self.db_index();
        self.engine.dbs[db].signal_ready(key);
    }
}

impl Engine {
    /// Registers `client` as blocked (blockForKeys): FIFO per key, each key once.
    pub(crate) fn park_op(
        &mut self,
        client: ClientId,
        db: usize,
        keys: Vec<Vec<u8>>,
        timeout: Timeout,
        op: BlockedOp,
        now_ms: i64,
    ) {
        let mut unique: Vec<Key> = Vec::with_capacity(keys.len());
        for k in keys {
            if !unique.iter().any(|u| **u == *k) {
                unique.push(Key::from(k.as_slice()));
            }
        }
        for k in &unique {
            self.dbs[db].add_waiter(k, client);
        }
        if let Timeout::At(t) = timeout {
            self.deadlines.insert((t, client));
        }
        if let Some(c) = self.clients.get_mut(&client) {
            if c.queues.blocked.is_none() {
                self.parked += 1;
            }
            c.queues.blocked = Some(Blocked {
                db,
                keys: unique,
                timeout,
                op,
                since_ms: now_ms,
                argv: Vec::new(),
            });
        }
    }

    /// Releases `client` from its blocked state (unblockClient), if it was blocked.
    /// Returns what it was waiting for.
    fn unpark(&mut self, client: ClientId) -> Option<Blocked> {
        let blocked = self.clients.get_mut(&client)?.queues.blocked.take()?;
        self.parked = self.parked.saturating_sub(1);
        if let Timeout::At(t) = blocked.timeout {
            self.deadlines.remove(&(t, client));
        }
        for k in &blocked.keys {
            self.dbs[blocked.db].remove_waiter(k, client);
        }
        Some(blocked)
    }

    /// Unblocks `client` with `reply` in its outbox, and marks it for resuming its
    /// queued input.
    pub(crate) fn release(&mut self, client: ClientId, reply: Reply) {
        self.unpark(client);
        if let Reply::Error(_) = &reply {
            self.count_error(&reply);
        }
        self.push_output(client, reply);
        self.resumable.push(client);
    }

    /// Appends `reply` to `client`'s outbox and remembers that it has output, so front
    /// ends find the clients to write to without looking at all of them.
    pub(crate) fn push_output(&mut self, client: ClientId, reply: Reply) {
        if let Some(c) = self.clients.get_mut(&client) {
            if c.queues.outbox.is_empty() {
                self.with_output.push(client);
            }
            c.queues.outbox.push_back(reply);
        }
    }

    pub fn is_blocked(&self, client: ClientId) -> bool {
        self.clients
            .get(&client)
            .is_some_and(|c| c.queues.blocked.is_some())
    }

    /// What `client` is blocked on, for CLIENT LIST and observers.
    pub fn blocked_state(&self, client: ClientId) -> Option<&Blocked> {
        self.clients
            .get(&client)
            .and_then(|c| c.queues.blocked.as_ref())
    }

    /// How many clients are blocked (INFO's blocked_clients).
    pub fn blocked_count(&self) -> usize {
        self.parked
    }

    /// Takes the replies that reached `client` outside its own `execute` calls, oldest
    /// first. Front ends deliver them after each batch of commands.
    pub fn drain_outbox(&mut self, client: ClientId) -> Vec<Reply> {
        if !self.with_output.is_empty() {
            self.with_output.retain(|&c| c != client);
        }
        match self.clients.get_mut(&client) {
            Some(c) => c.queues.outbox.drain(..).map(Reply::unshared).collect(),
            None => Vec::new(),
        }
    }

    /// Takes every non-empty outbox: (client, its replies oldest first). For front ends
    /// that serve many clients (the native server) after each batch of commands.
    pub fn take_outboxes(&mut self) -> Vec<(ClientId, Vec<Reply>)> {
        let mut out = Vec::new();
        for client in std::mem::take(&mut self.with_output) {
            if let Some(c) = self.clients.get_mut(&client) {
                if !c.queues.outbox.is_empty() {
                    out.push((client, c.queues.outbox.drain(..).collect()));
                }
            }
        }
        out
    }

    /// Whether any client has replies waiting in its outbox.
    pub fn has_output(&self) -> bool {
        self.with_output.iter().any(|id| {
            self.clients
                .get(id)
                .is_some_and(|c| !c.queues.outbox.is_empty())
        })
    }

    /// When the earliest blocked client times out (its deadline plus one ms: Redis
    /// times out strictly after the deadline), so a front end can sleep until then;
    /// `handle_timeouts` does its work once the clock reaches this time.
    pub fn next_timeout(&self) -> Option<i64> {
        if self.busy.is_some() {
            // A running script has work to do now.
            return Some(self.clock.now_ms());
        }
        let blocked = self.deadlines.first().map(|(t, _)| t.saturating_add(1));
        blocked.into_iter().chain(self.pause_end()).min()
    }

    /// Times out every blocked client whose deadline has passed (by the clock now; a
    /// deadline equal to now has not passed), in
    /// deadline order then client id, like Redis's timeout radix tree. Their replies go
    /// to their outboxes; their queued commands then run. Returns how many timed out.
    pub fn handle_timeouts(&mut self) -> usize {
        let now = self.clock.now_ms();
        // A running script does its next chunk of work; past busy-reply-threshold the
        // clients that waited run their commands (and are answered BUSY).
        if self.busy.is_some() {
            self.continue_script();
            if self.busy_threshold_passed(now) {
                self.release_postponed();
                self.after_command();
            }
        }
        // The end of a CLIENT PAUSE releases the clients it held.
        if self.pause_end().is_some_and(|end| end <= now) {
            self.unpause();
            self.after_command();
        }
        // Strictly after the deadline, as Redis's `timeout < now`; in deadline order.
        let due: Vec<(i64, ClientId)> = self.deadlines.range(..(now, 0)).copied().collect();
        for &(_, client) in &due {
            let reply = match self
                .clients
                .get(&client)
                .and_then(|c| c.queues.blocked.as_ref())
            {
                Some(b) => b.op.timeout_reply(),
                None => continue,
            };
            self.release(client, reply);
        }
        if !due.is_empty() {
            self.after_command();
        }
        due.len()
    }

    /// What runs after every top-level command (and after timeouts): serve the clients
    /// blocked on keys that became ready, then let released clients run the commands
    /// they sent while blocked, which may in turn make keys ready or block again.
    pub(crate) fn after_command(&mut self) {
        loop {
            self.serve_ready_keys();
            if self.resumable.is_empty() {
                return;
            }
            let released = std::mem::take(&mut self.resumable);
            for client in released {
                while !self.is_blocked(client) {
                    let Some(argv) = self
                        .clients
                        .get_mut(&client)
                        .and_then(|c| c.queues.input.pop_front())
                    else {
                        break;
                    };
                    let reply = self.execute_now(client, &argv);
                    if reply != Reply::NoReply {
                        self.push_output(client, reply);
                    }
                    self.serve_ready_keys();
                }
            }
        }
    }

    /// Serves the waiters of every key signalled ready, until no key is ready
    /// (handleClientsBlockedOnKeys). Serving may signal more keys (BLMOVE pushes), hence
    /// the loop.
    fn serve_ready_keys(&mut self) {
        // Keys are signalled only while someone waits on them.
        if self.parked == 0 {
            return;
        }
        loop {
            let mut any = false;
            for db in 0..self.dbs.len() {
                let ready = self.dbs[db].take_ready();
                for key in ready {
                    any = true;
                    self.serve_key(db, &key);
                }
            }
            if !any {
                return;
            }
        }
    }

    /// Serves the clients blocked on one ready key, in the order they blocked.
    fn serve_key(&mut self, db: usize, key: &Key) {
        let now = self.clock.now_ms();
        // Like lookupKeyReadWithFlags: an expired key is deleted first.
        let kind = self.dbs[db].peek(key, now).map(|e| e.value.type_name());
        let waiters = self.dbs[db].waiters(key);
        if matches!(kind, Some("list" | "zset")) {
            // serveClientsBlockedOn{List,SortedSet}Key: each waiter of this type gets
            // its elements until the key is emptied (and deleted).
            for client in waiters.iter().copied() {
                let Some(op) = self.blocked_state(client).map(|b| b.op.clone()) else {
                    continue;
                };
                if Some(op.kind()) != kind {
                    continue;
                }
                let reply = match &op {
                    BlockedOp::List(wait) => {
                        crate::cmd::lists::serve_blocked_list(self, client, key, wait, now)
                    }
                    BlockedOp::ZSet(wait) => {
                        crate::cmd::zsets::serve_blocked_zset(self, client, key, wait, now)
                    }
                    BlockedOp::Stream(_) | BlockedOp::Postponed(_) | BlockedOp::Script => continue,
                };
                self.release(client, reply);
                if self.dbs[db].peek(key, now).is_none() {
                    break;
                }
            }
        }
        if kind == Some("stream") {
            for client in waiters.iter().copied() {
                let Some(mut blocked) = self
                    .clients
                    .get_mut(&client)
                    .and_then(|c| c.queues.blocked.take())
                else {
                    continue;
                };
                let served = match &mut blocked.op {
                    BlockedOp::Stream(wait) => {
                        crate::cmd::streams::serve_blocked_stream(self, client, db, key, wait, now)
                    }
                    // A list or sorted-set waiter on a key that is now a stream waits on.
                    BlockedOp::List(_)
                    | BlockedOp::ZSet(_)
                    | BlockedOp::Postponed(_)
                    | BlockedOp::Script => None,
                };
                match served {
                    Some(reply) => {
                        // Put it back so `release` unregisters every key of the client.
                        if let Some(c) = self.clients.get_mut(&client) {
                            c.queues.blocked = Some(blocked);
                        }
                        self.release(client, reply);
                    }
                    None => {
                        if let Some(c) = self.clients.get_mut(&client) {
                            c.queues.blocked = Some(blocked);
                        }
                    }
                }
            }
        } else {
            // Missing, or replaced by another type: XREADGROUP waiters depend on the key
            // and its group, which are gone for good (unblockDeletedStreamReadgroupClients).
            for client in waiters {
                let group = self
                    .blocked_state(client)
                    .is_some_and(|b| b.op.is_group_read());
                if group {
                    self.release(
                        client,
                        Reply::error("UNBLOCKED the stream key no longer exists"),
                    );
                }
            }
        }
    }

    /// CLIENT UNBLOCK: releases a blocked client with its timeout reply, or with
    /// `-UNBLOCKED client unblocked via CLIENT UNBLOCK`. False if it was not blocked.
    pub fn unblock_client(&mut self, client: ClientId, with_error: bool) -> bool {
        let reply = match self.blocked_state(client) {
            None => return false,
            // Held by CLIENT PAUSE (or waiting for its script): only the end releases it.
            Some(b) if matches!(b.op, BlockedOp::Postponed(_) | BlockedOp::Script) => return false,
            Some(_) if with_error => Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
            Some(b) => b.op.timeout_reply(),
        };
        self.release(client, reply);
        true
    }

    /// Releases a client held by CLIENT PAUSE: its command runs again first thing.
    pub(crate) fn resume_postponed(&mut self, client: ClientId) {
        if let Some(Blocked {
            op: BlockedOp::Postponed(argv),
            ..
        }) = self.unpark(client)
        {
            if let Some(c) = self.clients.get_mut(&client) {
                c.queues.input.push_front(argv);
            }
            self.resumable.push(client);
        }
    }

    /// Forgets everything about a disconnected client's blocking.
    pub(crate) fn drop_client_queues(&mut self, client: ClientId) {
        self.unpark(client);
    }
}

/// A blocking command's timeout in seconds (getTimeoutFromObjectOrReply with
/// UNIT_SECONDS): a float read as a long double, rounded up to whole milliseconds; 0
/// waits forever. Like Redis on x86, an infinite or huge value converts to the most
/// negative integer, which is then "negative".
pub fn timeout_arg(arg: &[u8], now_ms: i64) -> Result<Timeout, crate::error::CmdError> {
    use crate::error::CmdError;
    let not_float = || CmdError::new("ERR timeout is not a float or out of range");
    let parsed = crate::ld::parse(arg).ok_or_else(not_float)?;
    let ms = match parsed {
        crate::ld::Ld::Inf { .. } => i64::MIN,
        _ => {
            let (secs, _) = crate::args::strtod(arg).ok_or_else(not_float)?;
            let ms = (secs * 1000.0).ceil();
            if ms.is_finite() && ms > -9.223_372_036_854_776e18 && ms < 9.223_372_036_854_776e18 {
                ms as i64
            } else {
                i64::MIN
            }
        }
    };
    match ms {
        ms if ms < 0 => Err(CmdError::new("ERR timeout is negative")),
        0 => Ok(Timeout::Never),
        ms => Ok(Timeout::At(now_ms.saturating_add(ms))),
    }
}

/// Queues `argv` for a blocked client (the engine's stand-in for an unread socket).
pub(crate) fn queue_input(engine: &mut Engine, client: ClientId, argv: &[Vec<u8>]) {
    if let Some(c) = engine.clients.get_mut(&client) {
        c.queues.input.push_back(argv.to_vec());
    }
}
