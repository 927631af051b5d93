//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis 7.0's multi.c).
//!
//! Queueing happens in `Engine::execute_now`, before a command would run: in MULTI,
//! every command except EXEC, DISCARD, MULTI, WATCH, QUIT and RESET is checked (name,
//! arity, NO_MULTI, memory) and queued with `+QUEUED`; a failed check marks the
//! transaction so EXEC aborts with EXECABORT. WATCHed keys are "touched" by writes
//! (see `Db::touch`), which makes the client's next EXEC return a null array.

use crate::db::Key;
use crate::engine::{ClientId, Ctx, Engine};
use crate::error::{CmdError, CmdResult};
use crate::reply::Reply;
use crate::table::{flag::*, CommandSpec};

const TX: CommandSpec = CommandSpec {
    group: "transactions",
    acl: &["fast", "transaction"],
    since: "1.2.0",
    flags: NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
    ..CommandSpec::BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "multi",
        arity: 1,
        summary: "Mark the start of a transaction block",
        handler: Some(multi),
        ..TX
    },
    CommandSpec {
        name: "exec",
        arity: 1,
        flags: NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        acl: &["slow", "transaction"],
        summary: "Execute all commands issued after MULTI",
        complexity: "Depends on commands in the transaction",
        handler: Some(exec),
        ..TX
    },
    CommandSpec {
        name: "discard",
        arity: 1,
        since: "2.0.0",
        summary: "Discard all commands issued after MULTI",
        complexity: "O(N), when N is the number of queued commands",
        handler: Some(discard),
        ..TX
    },
    CommandSpec {
        name: "watch",
        arity: -2,
        first_key: 1,
        last_key: -1,
        step: 1,
        since: "2.2.0",
        summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
        complexity: "O(1) for every key.",
        syntax: "key [key ...]",
        handler: Some(watch),
        ..TX
    },
    CommandSpec {
        name: "unwatch",
        arity: 1,
        since: "2.2.0",
        summary: "Forget about all watched keys",
        handler: Some(unwatch),
        ..TX
    },
];

/// The commands that run at once even inside MULTI (processCommand's exception list).
pub(crate) fn runs_inside_multi(name: &str) -> bool {
    matches!(
        name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// A client's transaction: the commands queued since MULTI.
#[derive(Clone, Debug, Default)]
pub struct MultiState {
    pub queued: Vec<Vec<Vec<u8>>>,
    /// A command failed its checks while queueing (CLIENT_DIRTY_EXEC): EXEC aborts.
    pub dirty_exec: bool,
}

/// A key a client watches: Redis's `watchedKey`.
#[derive(Clone, Debug)]
pub struct Watched {
    pub db: usize,
    pub key: Key,
}

/// MULTI
fn multi(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    let c = ctx.client_mut();
    if c.multi.is_some() {
        return Err(CmdError::new("ERR MULTI calls can not be nested"));
    }
    c.multi = Some(MultiState::default());
    Ok(Reply::ok())
}

/// DISCARD
fn discard(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    if ctx.client().multi.is_none() {
        return Err(CmdError::new("ERR DISCARD without MULTI"));
    }
    let client = ctx.client;
    ctx.engine.discard_transaction(client);
    Ok(Reply::ok())
}

/// EXEC: runs the queued commands one after the other, nothing else in between, and
/// replies with the array of their replies. Aborts with EXECABORT after a queueing
/// error, or with a null array when a watched key was touched (or has expired since).
fn exec(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    let client = ctx.client;
    let Some(state) = ctx.client().multi.clone() else {
        return Err(CmdError::new("ERR EXEC without MULTI"));
    };
    let now = ctx.now_ms;
    if ctx.engine.watched_key_expired(client, now) {
        ctx.client_mut().dirty_cas = true;
    }
    if state.dirty_exec || ctx.client().dirty_cas {
        ctx.engine.discard_transaction(client);
        if state.dirty_exec {
            return Err(CmdError::new(
                "EXECABORT Transaction discarded because of previous errors.",
            ));
        }
        return Ok(Reply::NilArray);
    }
    ctx.engine.discard_transaction(client);
    // Nothing blocks inside EXEC (CLIENT_DENY_BLOCKING); nested execution also tells
    // blocking commands to answer as if timed out.
    let outer = std::mem::replace(&mut ctx.engine.nested_execution, true);
    let mut replies = Vec::with_capacity(state.queued.len());
    for argv in &state.queued {
        replies.push(ctx.engine.execute_now(client, argv));
    }
    ctx.engine.nested_execution = outer;
    Ok(Reply::Array(replies))
}

/// WATCH key [key ...]
fn watch(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if ctx.client().multi.is_some() {
        return Err(CmdError::new("ERR WATCH inside MULTI is not allowed"));
    }
    // No point in watching once the transaction is known to fail.
    if ctx.client().dirty_cas {
        return Ok(Reply::ok());
    }
    let db = ctx.db_index();
    let client = ctx.client;
    let now = ctx.now_ms;
    for key in &argv[1..] {
        ctx.engine.watch_key(client, db, key, now);
    }
    Ok(Reply::ok())
}

/// UNWATCH
fn unwatch(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    let client = ctx.client;
    ctx.engine.unwatch_all(client);
    ctx.client_mut().dirty_cas = false;
    Ok(Reply::ok())
}

impl Engine {
    /// Leaves MULTI: drops the queued commands, the flags and every watched key
    /// (discardTransaction).
    pub(crate) fn discard_transaction(&mut self, client: ClientId) {
        if let Some(c) = self.clients.get_mut(&client) {
            c.multi = None;
            c.dirty_cas = false;
        }
        self.unwatch_all(client);
    }

    /// Starts watching `key` in `db` (watchForKey), remembering whether it had already
    /// expired: such a key's deletion is no change.
    fn watch_key(&mut self, client: ClientId, db: usize, key: &[u8], now_ms: i64) {
        let Some(c) = self.clients.get_mut(&client) else {
            return;
        };
        if c.watched.iter().any(|w| w.db == db && *w.key == *key) {
            return;
        }
        let key: Key = Key::from(key);
        c.watched.push(Watched {
            db,
            key: key.clone(),
        });
        self.watched_keys += 1;
        let expired = self.dbs[db]
            .entry(&key)
            .is_some_and(|e| e.expire_at.is_some_and(|t| t < now_ms));
        self.dbs[db].add_watcher(&key, client, expired);
    }

    /// Stops watching every key (unwatchAllKeys).
    pub(crate) fn unwatch_all(&mut self, client: ClientId) {
        let Some(c) = self.clients.get_mut(&client) else {
            return;
        };
        let watched = std::mem::take(&mut c.watched);
        self.watched_keys = self.watched_keys.saturating_sub(watched.len());
        for w in watched {
            self.dbs[w.db].remove_watcher(&w.key, client);
        }
    }

    /// Whether a watched key that was alive when watched has expired (isWatchedKeyExpired).
    fn watched_key_expired(&self, client: ClientId, now_ms: i64) -> bool {
        let Some(c) = self.clients.get(&client) else {
            return false;
        };
        c.watched.iter().any(|w| {
            !self.dbs[w.db].watcher_saw_expired(&w.key, client)
                && self.dbs[w.db]
                    .entry(&w.key)
                    .is_some_and(|e| e.expire_at.is_some_and(|t| t < now_ms))
        })
    }

    /// Marks the clients whose watched keys were touched (CLIENT_DIRTY_CAS), and
    /// unwatches them: once dirty, further touches change nothing.
    pub(crate) fn apply_touches(&mut self) {
        for db in 0..self.dbs.len() {
            for client in self.dbs[db].take_touched() {
                if let Some(c) = self.clients.get_mut(&client) {
                    c.dirty_cas = true;
                }
                self.unwatch_all(client);
            }
        }
    }
}
