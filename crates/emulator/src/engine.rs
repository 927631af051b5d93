//! The engine: databases, clients, configuration, and the one entry point that runs a
//! command, `Engine::execute`. Front ends (the page's console, the native RESP server,
//! tests) own an `Engine`, connect clients, and feed it argument vectors.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::blocking::{self, ClientQueues};
use crate::clock::Clock;
use crate::cmd::clients::{Pause, ReplyMode};
use crate::cmd::transactions::{self, MultiState, Watched};
use crate::config::Config;
use crate::db::Db;
use crate::error::{self, CmdError};
use crate::reply::{Protocol, Reply};
use crate::rng::Rng;
use crate::table::{self, flag, CommandSpec};

pub type ClientId = u64;

/// Redis 7.0's number of databases.
pub const DATABASES: usize = 16;
/// The version this emulator reproduces.
pub const REDIS_VERSION: &str = "7.0.15";
/// What an empty Redis 7.0 reports as used memory, roughly: the baseline our estimate
/// starts from, so `maxmemory` limits behave in the same order of magnitude.
const BASELINE_MEMORY: usize = 870_000;

/// What a front end tells the engine about a new connection.
#[derive(Clone, Debug)]
pub struct ClientInfo {
    /// `ip:port` of the peer, as CLIENT LIST shows it.
    pub addr: String,
    /// `ip:port` of the local side.
    pub laddr: String,
}

impl Default for ClientInfo {
    fn default() -> Self {
        ClientInfo {
            addr: "127.0.0.1:50000".into(),
            laddr: "127.0.0.1:6379".into(),
        }
    }
}

/// One connection's state.
#[derive(Clone, Debug)]
pub struct Client {
    pub id: ClientId,
    pub info: ClientInfo,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    pub db: usize,
    pub protocol: Protocol,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    /// The last command's full name (`client|setname`), for CLIENT LIST.
    pub last_command: String,
    /// Set by QUIT: the front end sends the reply, then closes the connection.
    pub closing: bool,
    /// Blocked state, commands queued while blocked, replies waiting for delivery.
    pub queues: ClientQueues,
    /// In MULTI: the queued commands (see `cmd::transactions`).
    pub multi: Option<MultiState>,
    /// A watched key was touched: the next EXEC fails (CLIENT_DIRTY_CAS).
    pub dirty_cas: bool,
    /// The keys this client WATCHes.
    pub watched: Vec<Watched>,
    /// CLIENT REPLY ON|OFF|SKIP.
    pub reply_mode: ReplyMode,
    /// CLIENT NO-EVICT (shown by CLIENT LIST; clients are never evicted here).
    pub no_evict: bool,
}

impl Client {
    /// A client as it starts: RESP2, database 0, connected at `now_ms`.
    pub(crate) fn new(id: ClientId, info: ClientInfo, now_ms: i64) -> Self {
        Client {
            id,
            info,
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            protocol: Protocol::Resp2,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_command: "NULL".into(),
            closing: false,
            queues: ClientQueues::default(),
            multi: None,
            dirty_cas: false,
            watched: Vec::new(),
            reply_mode: ReplyMode::On,
            no_evict: false,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub commands_processed: u64,
    pub connections_received: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    pub error_replies: u64,
    pub rejected_calls: u64,
    /// Calls per command full name, for INFO commandstats.
    pub calls: BTreeMap<String, (u64, u64)>,
    /// Error replies per error code (`ERR`, `WRONGTYPE`...), for INFO errorstats.
    pub errors: BTreeMap<String, u64>,
}

pub struct Engine {
    pub(crate) dbs: Vec<Db>,
    pub(crate) clients: BTreeMap<ClientId, Client>,
    next_client_id: ClientId,
    pub(crate) config: Config,
    pub(crate) clock: Box<dyn Clock>,
    pub(crate) rng: Rng,
    pub(crate) stats: Stats,
    pub(crate) start_ms: i64,
    pub(crate) run_id: String,
    /// Bumped by every write: a cheap "did anything change" for observers.
    dirty: u64,
    /// Clients released from blocking whose queued commands have yet to run.
    pub(crate) resumable: Vec<ClientId>,
    /// True while commands run inside EXEC or a script, where nothing may block.
    pub(crate) nested_execution: bool,
    /// The server acts as a read-only replica (an embedded playground in read-only
    /// mode): write commands get Redis's READONLY error, as on `replica-read-only yes`.
    pub(crate) read_only_replica: bool,
    /// Clients in MONITOR mode, in the order they started (see `cmd::server::monitor`).
    pub(crate) monitors: Vec<ClientId>,
    /// How many clients are parked, and how many keys are WATCHed: when zero, the
    /// per-command work for blocked clients and WATCH is skipped (it loops over the
    /// databases).
    pub(crate) parked: usize,
    pub(crate) watched_keys: usize,
    /// Clients whose outbox got replies since front ends last took them.
    pub(crate) with_output: Vec<ClientId>,
    /// Blocked clients with a deadline, earliest first (Redis's timeout radix tree).
    pub(crate) deadlines: std::collections::BTreeSet<(i64, ClientId)>,
    /// CLIENT PAUSE in force (see `cmd::clients`).
    pub(crate) pause: Option<Pause>,
    /// Clients killed by CLIENT KILL that front ends have not closed yet.
    pub(crate) killed: Vec<ClientId>,
    /// Channels, patterns and who subscribes to them (see `cmd::pubsub`).
    pub(crate) pubsub: crate::cmd::pubsub::PubSub,
    /// The Lua state and script cache, created by the first script (see `script`).
    pub(crate) scripting: Option<Box<crate::script::Scripting>>,
    /// The script running between chunks of its work, if any (others wait, then get BUSY).
    pub(crate) busy: Option<crate::script::Busy>,
    /// How much work one script may do, in fuel units (`set_script_fuel`).
    pub(crate) script_fuel: u64,
    /// True while a script's commands run (Redis's CLIENT_SCRIPT).
    pub(crate) in_script: bool,
    /// True while a function flagged `allow-oom` runs: its commands ignore maxmemory.
    pub(crate) script_allow_oom: bool,
    /// The command log for observers, while on (see `cmdlog`).
    pub(crate) command_log: Option<Box<crate::cmdlog::CommandLog>>,
    /// True while `inspect` runs a command: it counts no keyspace hit or miss and
    /// reports no keyspace event.
    pub(crate) inspecting: bool,
}

/// What a handler sees: the engine and the client that sent the command.
pub struct Ctx<'a> {
    pub engine: &'a mut Engine,
    pub client: ClientId,
    /// The command's time, read once: Redis also freezes "now" for a command's duration.
    pub now_ms: i64,
    /// The command being run (for error texts that name it).
    pub spec: &'static CommandSpec,
}

impl Ctx<'_> {
    /// The client's selected database.
    pub fn db(&mut self) -> &mut Db {
        let index = self.client().db;
        &mut self.engine.dbs[index]
    }
    pub fn db_index(&self) -> usize {
        self.engine
            .clients
            .get(&self.client)
            .map(|c| c.db)
            .unwrap_or(0)
    }
    pub fn client(&self) -> &Client {
        self.engine
            .clients
            .get(&self.client)
            .expect("the running client exists")
    }
    pub fn client_mut(&mut self) -> &mut Client {
        self.engine
            .clients
            .get_mut(&self.client)
            .expect("the running client exists")
    }
    pub fn protocol(&self) -> Protocol {
        self.client().protocol
    }
    /// Marks the dataset changed (the `dirty` counter) by `n` writes.
    pub fn dirty(&mut self, n: u64) {
        self.engine.dirty += n;
    }
    pub fn hit(&mut self, found: bool) {
        if self.engine.inspecting {
            return;
        }
        if found {
            self.engine.stats.keyspace_hits += 1;
        } else {
            self.engine.stats.keyspace_misses += 1;
        }
    }
}

impl Engine {
    /// A fresh server: 16 empty databases, default configuration, the given clock and a
    /// random source seeded with `seed` (the same seed replays the same choices).
    pub fn new(clock: Box<dyn Clock>, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let run_id = rng.hex_id();
        let start_ms = clock.now_ms();
        Engine {
            dbs: (0..DATABASES).map(|_| Db::default()).collect(),
            clients: BTreeMap::new(),
            next_client_id: 1,
            config: Config::default(),
            clock,
            rng,
            stats: Stats::default(),
            start_ms,
            run_id,
            dirty: 0,
            resumable: Vec::new(),
            nested_execution: false,
            read_only_replica: false,
            monitors: Vec::new(),
            pause: None,
            with_output: Vec::new(),
            parked: 0,
            watched_keys: 0,
            deadlines: std::collections::BTreeSet::new(),
            killed: Vec::new(),
            pubsub: Default::default(),
            scripting: None,
            script_fuel: crate::script::DEFAULT_FUEL_BUDGET,
            busy: None,
            in_script: false,
            script_allow_oom: false,
            command_log: None,
            inspecting: false,
        }
    }

    /// Registers a new connection (RESP2, database 0) and returns its id.
    pub fn connect(&mut self, info: ClientInfo) -> ClientId {
        let id = self.next_client_id;
        self.next_client_id += 1;
        let now = self.clock.now_ms();
        self.stats.connections_received += 1;
        self.clients.insert(id, Client::new(id, info, now));
        id
    }

    pub fn disconnect(&mut self, id: ClientId) {
        self.monitors.retain(|&m| m != id);
        self.drop_client_queues(id);
        self.unwatch_all(id);
        self.pubsub.forget_client(id);
        self.clients.remove(&id);
    }

    pub fn client(&self, id: ClientId) -> Option<&Client> {
        self.clients.get(&id)
    }

    pub fn clients(&self) -> impl Iterator<Item = &Client> {
        self.clients.values()
    }

    pub fn protocol(&self, id: ClientId) -> Protocol {
        self.clients
            .get(&id)
            .map(|c| c.protocol)
            .unwrap_or(Protocol::Resp2)
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Sets a parameter as redis.conf would at startup, immutable ones included: for a
    /// front end to report what it owns (the native server's real `port` and `bind`),
    /// which CONFIG GET and INFO then show.
    pub fn configure_at_startup(&mut self, name: &str, value: &str) -> Result<(), String> {
        let param =
            crate::config::find(name).ok_or_else(|| format!("unknown parameter '{name}'"))?;
        self.config.set_at_startup(param, value)
    }

    /// Read access to a database for observers (the key browser). Index 0..16.
    pub fn db(&self, index: usize) -> Option<&Db> {
        self.dbs.get(index)
    }

    /// The number of writes so far; changes whenever the dataset may have changed.
    pub fn dirty_count(&self) -> u64 {
        self.dirty
    }

    /// Estimated memory in use, as INFO's `used_memory` and maxmemory see it.
    pub fn used_memory(&self) -> usize {
        BASELINE_MEMORY
            + self.clients.len() * 20_000
            + self.dbs.iter().map(|d| d.memory()).sum::<usize>()
    }

    /// Runs one command for `client` and returns its reply.
    ///
    /// Never panics on any input: unknown names, wrong arity, bad values all become
    /// Redis's error replies. An empty argument vector gets no reply (Redis ignores it).
    ///
    /// Several clients: a command that blocks returns `Reply::NoReply`, and so does any
    /// command sent while its client is blocked (it is queued and runs once the client
    /// is released). Replies that arrive later go to the client's outbox
    /// (`drain_outbox`). So that a client's replies never overtake each other, a reply
    /// is also put in the outbox (and `NoReply` returned) while the outbox is not empty.
    pub fn execute(&mut self, client: ClientId, argv: &[Vec<u8>]) -> Reply {
        if argv.is_empty() {
            return Reply::NoReply;
        }
        let Some(c) = self.clients.get(&client) else {
            return Reply::error("ERR unknown client");
        };
        if c.queues.blocked.is_some() {
            blocking::queue_input(self, client, argv);
            return Reply::NoReply;
        }
        // While a script runs, Redis reads nothing else until busy-reply-threshold has
        // passed (then it answers BUSY): the command waits.
        let now_ms = self.clock.now_ms();
        if self.busy.as_ref().is_some_and(|b| b.client != client)
            && !self.nested_execution
            && !self.busy_threshold_passed(now_ms)
        {
            return self.postpone(client, argv, now_ms);
        }
        // Only what was waiting before this command goes first: what the command itself
        // adds (a MONITOR line of this very command) comes after its reply.
        let had_output = !c.queues.outbox.is_empty();
        let skip = c.reply_mode == ReplyMode::SkipNext;
        self.log_execute_begin();
        let mut reply = self.execute_now(client, argv);
        // CLIENT REPLY: OFF drops every reply, SKIP the next command's only.
        if let Some(c) = self.clients.get_mut(&client) {
            if skip && c.reply_mode == ReplyMode::SkipNext {
                c.reply_mode = ReplyMode::On;
                reply = Reply::NoReply;
            } else if c.reply_mode == ReplyMode::Off {
                reply = Reply::NoReply;
            }
        }
        // Pub/sub frames the command sent its own client come before its reply.
        let had_output = had_output || self.pubsub.pushed_to(client);
        self.log_serving(true);
        self.after_command();
        self.log_serving(false);
        let reply = match self.clients.get_mut(&client) {
            Some(_) if had_output && reply != Reply::NoReply => {
                self.push_output(client, reply);
                Reply::NoReply
            }
            _ => reply,
        };
        // Frames Redis writes after a command's reply follow it.
        self.deliver_after_reply();
        reply
    }

    /// The DUMP payload of `key` in database `db` (Redis's serialization of its value,
    /// byte for byte what DUMP replies), or None if there is no such key. As no client:
    /// no LRU/LFU touch, no keyspace hit, no command counted (like `inspect`). A key
    /// found expired is removed, as any read would.
    pub fn dump_value(&mut self, db: usize, key: &[u8]) -> Option<Vec<u8>> {
        let limits = crate::dump::Limits::from_config(&self.config);
        let now = self.now_ms();
        let entry = self.dbs.get_mut(db)?.peek(key, now)?;
        Some(crate::dump::dump(&entry.value, &limits))
    }

    /// Stores the value of a DUMP payload at `key` in database `db`, replacing any value
    /// there, with the absolute expiry time `expire_at_ms` (None: no TTL). As no client:
    /// no keyspace notification, no command counted; WATCHers of the key see it change,
    /// and clients blocked on it are served at the next command. A payload Redis would
    /// refuse gets RESTORE's error text; an expiry time already past leaves no key.
    pub fn restore_value(
        &mut self,
        db: usize,
        key: &[u8],
        payload: &[u8],
        expire_at_ms: Option<i64>,
    ) -> Result<(), String> {
        let limits = crate::dump::Limits::from_config(&self.config);
        let now = self.now_ms();
        let access = self.config.access_mode();
        let Some(target) = self.dbs.get_mut(db) else {
            return Err("ERR DB index is out of range".to_string());
        };
        let value = crate::dump::load(payload, &limits).map_err(|e| e.message().to_string())?;
        target.set_access_mode(access);
        target.remove(key);
        if expire_at_ms.is_some_and(|at| at <= now) {
            return Ok(());
        }
        target.set_with_expire(key, value, expire_at_ms, now);
        Ok(())
    }

    /// Runs one command now, without serving blocked clients afterwards.
    pub(crate) fn execute_now(&mut self, client: ClientId, argv: &[Vec<u8>]) -> Reply {
        if argv.is_empty() || !self.clients.contains_key(&client) {
            return Reply::NoReply;
        }
        let now_ms = self.clock.now_ms();
        if let Some(c) = self.clients.get_mut(&client) {
            c.last_interaction_ms = now_ms;
        }
        // How key accesses are recorded follows maxmemory-policy (LRU clock or LFU counter).
        // All databases share one mode; pass it on only when CONFIG SET changed it.
        let mode = self.config.access_mode();
        if self.dbs[0].access_mode() != mode {
            for db in self.dbs.iter_mut() {
                db.set_access_mode(mode);
            }
        }
        let in_multi = self.clients.get(&client).is_some_and(|c| c.multi.is_some());
        let reply = match self.resolve(argv) {
            Ok((spec, full_name)) => {
                if let Some(c) = self.clients.get_mut(&client) {
                    // Reuses the client's string: no allocation per command.
                    if c.last_command != *full_name {
                        c.last_command.clear();
                        c.last_command.push_str(&full_name);
                    }
                }
                // A RESP2 client in subscribed mode may only (un)subscribe, PING, QUIT, RESET.
                if let Some(e) = self.subscribed_mode_refusal(client, &full_name) {
                    let e = self.check_memory(spec).err().unwrap_or(e);
                    self.stats.rejected_calls += 1;
                    if in_multi {
                        self.flag_transaction(client);
                    }
                    let reply = if full_name == "exec" {
                        // execCommandAbort: the transaction ends with the reason.
                        self.discard_transaction(client);
                        let reason = e.0.strip_prefix("ERR ").unwrap_or(&e.0);
                        Reply::Error(format!(
                            "EXECABORT Transaction discarded because of: {reason}"
                        ))
                    } else {
                        e.into_reply()
                    };
                    self.stats.commands_processed += 1;
                    self.count_error(&reply);
                    return reply;
                }
                // A MONITOR client is a replica to Redis: it may not touch keys.
                if !self.monitors.is_empty()
                    && self.monitors.contains(&client)
                    && spec.has(flag::WRITE | flag::READONLY | flag::MAY_REPLICATE)
                {
                    let reply = Reply::error("ERR Replica can't interact with the keyspace");
                    self.stats.rejected_calls += 1;
                    self.stats.commands_processed += 1;
                    self.count_error(&reply);
                    return reply;
                }
                // A script is running: only commands flagged allow-busy run.
                if let Some(busy) = &self.busy {
                    if busy.client != client
                        && !self.nested_execution
                        && !spec.has(flag::ALLOW_BUSY)
                    {
                        let reply = Reply::error(if busy.is_eval {
                            crate::script::BUSY_EVAL
                        } else {
                            crate::script::BUSY_FUNCTION
                        });
                        self.stats.rejected_calls += 1;
                        self.stats.commands_processed += 1;
                        self.count_error(&reply);
                        return reply;
                    }
                }
                // CLIENT PAUSE holds the command back until the pause ends.
                if self.pause.is_some() && !self.nested_execution && self.paused_for(spec, now_ms) {
                    return self.postpone(client, argv, now_ms);
                }
                if in_multi && !transactions::runs_inside_multi(&full_name) {
                    return self.queue_in_multi(client, spec, argv);
                }
                match self
                    .check_memory(spec)
                    .and_then(|()| self.check_writable(spec))
                {
                    Err(e) => {
                        self.stats.rejected_calls += 1;
                        e.into_reply()
                    }
                    Ok(()) => {
                        let handler = spec.handler.expect("resolve returns runnable commands");
                        let dirty_before = self.dirty;
                        // Script commands are shown before the commands they run (Redis
                        // 7.0's evalCommand and fcallCommand feed MONITOR themselves).
                        if !self.monitors.is_empty()
                            && spec.has(flag::SKIP_MONITOR)
                            && !spec.has(flag::ADMIN)
                        {
                            crate::cmd::server::feed_monitors(self, client, argv);
                        }
                        if self.command_log.is_some() {
                            self.log_command_start(client, argv, spec);
                        }
                        self.begin_command_events();
                        let mut ctx = Ctx {
                            engine: self,
                            client,
                            now_ms,
                            spec,
                        };
                        let result = handler(&mut ctx, argv);
                        // Keys the command expired or created, as keyspace events.
                        self.end_command_events(client);
                        self.settle_watches(self.dirty != dirty_before);
                        if self.command_log.is_some() {
                            self.log_command_end(client);
                        }
                        if !self.monitors.is_empty() && !spec.has(flag::SKIP_MONITOR | flag::ADMIN)
                        {
                            crate::cmd::server::feed_monitors(self, client, argv);
                        }
                        // A command that parked its client keeps its arguments, for
                        // observers (what a blocked client waits for).
                        if let Some(b) = self
                            .clients
                            .get_mut(&client)
                            .and_then(|c| c.queues.blocked.as_mut())
                        {
                            if b.argv.is_empty() {
                                b.argv = argv.to_vec();
                            }
                        }
                        let entry = match self.stats.calls.get_mut(&*full_name) {
                            Some(entry) => entry,
                            None => self.stats.calls.entry(full_name.into_owned()).or_default(),
                        };
                        entry.0 += 1;
                        match result {
                            Ok(r) => r,
                            Err(e) => {
                                entry.1 += 1;
                                e.into_reply()
                            }
                        }
                    }
                }
            }
            Err(e) => {
                self.stats.rejected_calls += 1;
                // An unknown command or a wrong arity makes the transaction fail.
                if in_multi {
                    self.flag_transaction(client);
                }
                e.into_reply()
            }
        };
        self.stats.commands_processed += 1;
        if let Reply::Error(text) = &reply {
            self.count_error(&reply);
            // Redis replaces CR and LF in error texts with spaces (an error reply is one
            // line); doing it here makes every front end show the text the client gets.
            return Reply::Error(text.replace(['\r', '\n'], " "));
        }
        reply
    }

    /// In MULTI: checks a command as processCommand would before running it and queues
    /// it (`+QUEUED`), or replies with the error and marks the transaction failed.
    fn queue_in_multi(
        &mut self,
        client: ClientId,
        spec: &'static CommandSpec,
        argv: &[Vec<u8>],
    ) -> Reply {
        let refused = if spec.has(flag::NO_MULTI) {
            Some(Reply::error("ERR Command not allowed inside a transaction"))
        } else {
            self.check_memory(spec)
                .and_then(|()| self.check_writable(spec))
                .err()
                .map(CmdError::into_reply)
        };
        if let Some(reply) = refused {
            self.stats.rejected_calls += 1;
            self.flag_transaction(client);
            self.count_error(&reply);
            return reply;
        }
        if let Some(state) = self.clients.get_mut(&client).and_then(|c| c.multi.as_mut()) {
            state.queued.push(argv.to_vec());
        }
        Reply::status("QUEUED")
    }

    /// flagTransaction: EXEC will abort with EXECABORT.
    fn flag_transaction(&mut self, client: ClientId) {
        if let Some(state) = self.clients.get_mut(&client).and_then(|c| c.multi.as_mut()) {
            state.dirty_exec = true;
        }
    }

    /// After a command: keys it changed in place count as touched for WATCH if it
    /// changed the dataset; clients whose watched keys were touched are marked.
    fn settle_watches(&mut self, changed: bool) {
        if self.watched_keys == 0 {
            return;
        }
        for db in self.dbs.iter_mut() {
            db.settle_updates(changed);
        }
        self.apply_touches();
    }

    /// Counts an error reply in INFO's stats: the code is what precedes the first space
    /// within 32 bytes, else ERR (Redis's afterErrorReply).
    pub(crate) fn count_error(&mut self, reply: &Reply) {
        let Reply::Error(text) = reply else { return };
        self.stats.error_replies += 1;
        let head = &text.as_bytes()[..text.len().min(32)];
        let code = match head.iter().position(|&b| b == b' ') {
            Some(end) => String::from_utf8_lossy(&head[..end]).into_owned(),
            None => "ERR".to_string(),
        };
        *self.stats.errors.entry(code).or_default() += 1;
    }

    /// Finds the spec that runs `argv` (descending into subcommands) and checks arity.
    /// Returns the spec and its full name (`config|get`).
    pub(crate) fn resolve(
        &self,
        argv: &[Vec<u8>],
    ) -> Result<(&'static CommandSpec, Cow<'static, str>), CmdError> {
        let spec = table::lookup(&argv[0]).ok_or_else(|| error::unknown_command(argv))?;
        if !spec.arity_ok(argv.len()) {
            return Err(error::wrong_arity(spec.name));
        }
        // A container runs its own handler only when called bare (`COMMAND`).
        if spec.subcommands.is_empty() || (argv.len() == 1 && spec.handler.is_some()) {
            return Ok((spec, Cow::Borrowed(spec.name)));
        }
        let sub = spec
            .find_subcommand(&argv[1])
            .ok_or_else(|| error::unknown_subcommand(&argv[1], spec.name))?;
        let full = format!("{}|{}", spec.name, sub.name);
        if !sub.arity_ok(argv.len()) {
            return Err(error::wrong_arity(&full));
        }
        Ok((sub, Cow::Owned(full)))
    }

    /// Like Redis's processCommand when `maxmemory` is set: evicts what the policy allows
    /// before every command (even one that cannot grow memory: `EXPIRE k 100` then
    /// `PERSIST k` finds k evicted under volatile-lru), then refuses commands that may grow
    /// memory while still over the limit, with Redis's OOM error.
    fn check_memory(&mut self, spec: &CommandSpec) -> Result<(), CmdError> {
        let max = self.config.maxmemory();
        if max <= 0 || (self.in_script && self.script_allow_oom) {
            return Ok(());
        }
        self.evict_to(max as usize);
        if spec.has(flag::DENYOOM) && self.used_memory() > max as usize {
            return Err(CmdError::new(error::OOM));
        }
        Ok(())
    }

    /// processCommand on a read-only replica: write commands are refused.
    fn check_writable(&self, spec: &CommandSpec) -> Result<(), CmdError> {
        if self.read_only_replica && spec.has(flag::WRITE) {
            return Err(CmdError::new(error::READONLY_REPLICA));
        }
        Ok(())
    }

    /// Makes the server a read-only replica (true) or a writable server again. Writes
    /// from any client, and `redis.call` of a write command in a script, get Redis's
    /// `READONLY You can't write against a read only replica.`; reads, EVAL_RO and
    /// everything else run as before. For an embedded playground in read-only mode.
    pub fn set_read_only_replica(&mut self, on: bool) {
        self.read_only_replica = on;
    }

    /// Evicts keys by the configured policy until memory is at most `limit`, or nothing
    /// more can be evicted. LRU/LFU policies use the last access time (exact, not
    /// sampled: deterministic); random ones use the engine's seeded generator.
    fn evict_to(&mut self, limit: usize) {
        let policy = self.config.get("maxmemory-policy").to_string();
        if policy == "noeviction" {
            return;
        }
        let volatile = policy.starts_with("volatile");
        while self.used_memory() > limit {
            let mut best: Option<(usize, crate::db::Key, i64)> = None;
            let mut candidates: Vec<(usize, crate::db::Key)> = Vec::new();
            for (i, db) in self.dbs.iter().enumerate() {
                for (k, e) in db.iter() {
                    if volatile && e.expire_at.is_none() {
                        continue;
                    }
                    if policy.ends_with("random") {
                        candidates.push((i, k.clone()));
                        continue;
                    }
                    // Smaller score is evicted first.
                    let score = if policy == "volatile-ttl" {
                        e.expire_at.unwrap_or(i64::MAX)
                    } else {
                        e.last_access_ms
                    };
                    if best.as_ref().is_none_or(|b| score < b.2) {
                        best = Some((i, k.clone(), score));
                    }
                }
            }
            let victim = if policy.ends_with("random") {
                if candidates.is_empty() {
                    None
                } else {
                    let n = self.rng.below(candidates.len() as u64) as usize;
                    Some(candidates.swap_remove(n))
                }
            } else {
                best.map(|(i, k, _)| (i, k))
            };
            let Some((i, k)) = victim else { return };
            self.dbs[i].remove(&k);
            self.record_event(i, crate::notify::EventClass::Evicted, "evicted", &k, None);
            self.stats.evicted_keys += 1;
        }
    }

    /// Active expiry: deletes keys whose TTL has passed, at most `limit` per call.
    /// Front ends call it periodically (Redis does it 10 times a second); lazy expiry on
    /// access makes the result correct even if they never do.
    pub fn active_expire(&mut self, limit: usize) -> usize {
        let now = self.clock.now_ms();
        let mut removed = 0;
        for db in self.dbs.iter_mut() {
            if removed >= limit {
                break;
            }
            removed += db.expire_due(now, limit - removed).len();
        }
        self.stats.expired_keys += removed as u64;
        self.flush_db_events(None);
        removed
    }

    /// The random source, for commands that pick at random.
    pub(crate) fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    pub(crate) fn stats_expired(&mut self, n: u64) {
        self.stats.expired_keys += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn argv(s: &str) -> Vec<Vec<u8>> {
        s.split_whitespace()
            .map(|w| w.as_bytes().to_vec())
            .collect()
    }

    #[test]
    fn unknown_and_arity_errors() {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        let c = e.connect(ClientInfo::default());
        assert_eq!(
            e.execute(c, &argv("FOO a")),
            Reply::error("ERR unknown command 'FOO', with args beginning with: 'a' ")
        );
        assert_eq!(
            e.execute(c, &argv("get")),
            Reply::error("ERR wrong number of arguments for 'get' command")
        );
        assert_eq!(e.execute(c, &[]), Reply::NoReply);
    }
}
