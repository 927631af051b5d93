//! The command log: every command that runs, with what it changed, for observers (the
//! page's activity timeline).
//!
//! It is fed where MONITOR is fed (`Engine::execute_now`), so it lists what a MONITOR
//! client would see, in the same order: a command after it ran (the commands EXEC runs,
//! then EXEC), except the script commands (EVAL, EVALSHA, FCALL and their `_RO` forms),
//! which Redis 7.0 feeds before they run so that the commands of the script
//! (`redis.call`, shown with the address `lua`) follow them. Commands refused before
//! running (unknown, wrong arity, queued in MULTI, OOM, BUSY) are not listed, as MONITOR
//! does not list them. Unlike MONITOR, administrative commands (CONFIG, CLIENT, DEBUG)
//! are listed: Redis hides them from monitors for safety, the learner's own page need not.
//!
//! Each record keeps the keyspace events emitted while its command ran (the same events
//! as the event log, `notify`), and the clients each PUBLISH (or keyspace notification)
//! reached. Events emitted while blocked clients are served right after a command (an
//! LPUSH that hands its element to a BLPOP) are what that command caused: they go to its
//! record. Active expiry and timeouts belong to no command.
//!
//! The log is off unless an observer turns it on (`Engine::set_command_log`); it keeps at
//! most `MAX_LOGGED_COMMANDS` records until they are taken (`Engine::take_commands`), and
//! clips what one record can hold, so an observer that stops reading, a 64 MB value or a
//! FLUSHALL of a million keys never makes it grow without bound.

use std::collections::VecDeque;

use crate::engine::{ClientId, Engine};
use crate::notify::Event;
use crate::table::{flag, CommandSpec};

/// At most this many records wait to be taken; older ones are dropped.
pub const MAX_LOGGED_COMMANDS: usize = 10_000;
/// A record keeps at most this many arguments...
pub const MAX_ARGS: usize = 64;
/// ...each clipped to this many bytes (`CommandRecord::clipped` says when).
pub const MAX_ARG_BYTES: usize = 512;
/// A record keeps at most this many events (`events_dropped` counts the rest).
pub const MAX_EVENTS: usize = 1_000;

/// One command that ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRecord {
    /// Increasing number of the record (a parent names its children's by it).
    pub seq: u64,
    pub client: ClientId,
    /// The client's database as MONITOR shows it: after the command (SELECT 3 shows 3),
    /// before it for script commands (logged before they run).
    pub db: usize,
    /// When it ran, by the engine's clock, in microseconds (MONITOR's timestamp).
    pub time_us: i64,
    /// The arguments as sent, at most `MAX_ARGS` of `MAX_ARG_BYTES` each.
    pub argv: Vec<Vec<u8>>,
    /// How many arguments the command had.
    pub argc: usize,
    /// True when arguments were left out or shortened.
    pub clipped: bool,
    /// Run by a script (`redis.call`): MONITOR shows `lua` as its address.
    pub from_script: bool,
    /// The EXEC, EVAL or FCALL that ran this command, if any.
    pub parent: Option<u64>,
    /// The keyspace events it emitted, in order.
    pub events: Vec<Event>,
    pub events_dropped: usize,
    /// Where its messages went: PUBLISH, SPUBLISH, keyspace notifications.
    pub deliveries: Vec<Delivery>,
    /// For a script command: the commands it ran that the log had no room for.
    pub unlisted: usize,
}

impl CommandRecord {
    pub fn time_ms(&self) -> i64 {
        self.time_us.div_euclid(1000)
    }

    /// The command's name as sent (`set`, `SET`...), lossy UTF-8.
    pub fn name(&self) -> String {
        self.argv
            .first()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .unwrap_or_default()
    }
}

/// One message published while a command ran, and the clients it reached (a client
/// subscribed by channel and by pattern is listed once per subscription, as it receives
/// one frame per subscription).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub channel: Vec<u8>,
    pub receivers: Vec<ClientId>,
}

/// A command running now.
#[derive(Debug)]
struct Open {
    seq: u64,
    /// Set for script commands, whose record is already in the log (fed before running).
    early: bool,
    /// The record to log when it ends: None for a script command (already logged) and
    /// for a command a script ran that the full log has no room for (`unlisted`).
    record: Option<CommandRecord>,
}

/// The log's state inside the engine.
#[derive(Debug, Default)]
pub struct CommandLog {
    next_seq: u64,
    records: VecDeque<CommandRecord>,
    /// The commands running, innermost last (EXEC > SET; EVAL > its first commands).
    open: Vec<Open>,
    /// The script command whose `redis.call`s run now (a script runs in slices, after
    /// its EVAL's own call has returned).
    script: Option<u64>,
    /// The top-level command whose blocked clients are being served.
    serving: Option<u64>,
    /// The last top-level command closed.
    last_top: Option<u64>,
}

fn clip(argv: &[Vec<u8>]) -> (Vec<Vec<u8>>, bool) {
    let mut clipped = argv.len() > MAX_ARGS;
    let kept = argv
        .iter()
        .take(MAX_ARGS)
        .map(|a| {
            if a.len() > MAX_ARG_BYTES {
                clipped = true;
                a[..MAX_ARG_BYTES].to_vec()
            } else {
                a.clone()
            }
        })
        .collect();
    (kept, clipped)
}

impl CommandLog {
    fn push(&mut self, record: CommandRecord) {
        if self.records.len() >= MAX_LOGGED_COMMANDS {
            // A script command stays while newer records roll by: it is what its commands
            // belong to, and `take_commands` waits for it.
            let keep_front =
                self.script.is_some() && self.records.front().map(|r| r.seq) == self.script;
            if keep_front {
                self.records.remove(1);
            } else {
                self.records.pop_front();
            }
        }
        self.records.push_back(record);
    }

    /// The record that events and deliveries now belong to: the innermost running
    /// command, else the command whose blocked clients are being served.
    fn target(&mut self) -> Option<&mut CommandRecord> {
        if let Some(open) = self.open.last_mut() {
            if !open.early {
                return open.record.as_mut();
            }
            let seq = open.seq;
            return self.records.iter_mut().rev().find(|r| r.seq == seq);
        }
        let seq = self.serving?;
        self.records.iter_mut().rev().find(|r| r.seq == seq)
    }

    fn note_event(&mut self, event: &Event) {
        if let Some(r) = self.target() {
            if r.events.len() < MAX_EVENTS {
                r.events.push(event.clone());
            } else {
                r.events_dropped += 1;
            }
        }
    }

    fn note_delivery(&mut self, channel: &[u8], receivers: Vec<ClientId>) {
        if receivers.is_empty() {
            return;
        }
        if let Some(r) = self.target() {
            if r.deliveries.len() < MAX_EVENTS {
                r.deliveries.push(Delivery {
                    channel: channel.to_vec(),
                    receivers,
                });
            }
        }
    }
}

impl Engine {
    /// Starts or stops keeping the command log (it starts empty).
    pub fn set_command_log(&mut self, on: bool) {
        self.command_log = on.then(Box::default);
        // Its records carry the events of their commands (keys created, expired).
        self.update_event_recording();
    }

    /// The commands that ran since the last call, in MONITOR's order, while the log is
    /// on. A script command still running stays until it ends (its events are not all
    /// known yet), and so does what was logged after it.
    pub fn take_commands(&mut self) -> Vec<CommandRecord> {
        let script_running = self.busy.is_some();
        let Some(log) = self.command_log.as_mut() else {
            return Vec::new();
        };
        let running_script = if script_running { log.script } else { None };
        let first_open = log
            .open
            .iter()
            .filter(|o| o.early)
            .map(|o| o.seq)
            .chain(running_script)
            .min();
        let keep_from = match first_open {
            Some(seq) => log
                .records
                .iter()
                .position(|r| r.seq == seq)
                .unwrap_or(log.records.len()),
            None => log.records.len(),
        };
        log.records.drain(..keep_from).collect()
    }

    /// Before a command's handler runs: opens its record (script commands are logged now,
    /// before the commands they run, as Redis 7.0 feeds MONITOR).
    pub(crate) fn log_command_start(
        &mut self,
        client: ClientId,
        argv: &[Vec<u8>],
        spec: &CommandSpec,
    ) {
        let in_script = self.in_script;
        let db = self.clients.get(&client).map_or(0, |c| c.db);
        let time_us = self.clock.now_us();
        let Some(log) = self.command_log.as_mut() else {
            return;
        };
        let seq = log.next_seq;
        log.next_seq += 1;
        let parent = if in_script {
            log.script
        } else {
            log.open.last().map(|o| o.seq)
        };
        // The log is full of what a running script ran: the rest of its commands are
        // counted on it, not recorded (a 100k-call loop costs the log 10k records).
        if in_script && log.records.len() >= MAX_LOGGED_COMMANDS && log.script.is_some() {
            if let Some(front) = log
                .records
                .front_mut()
                .filter(|r| Some(r.seq) == log.script)
            {
                front.unlisted += 1;
                log.open.push(Open {
                    seq,
                    early: false,
                    record: None,
                });
                return;
            }
        }
        let argc = argv.len();
        let (argv, clipped) = clip(argv);
        let record = CommandRecord {
            seq,
            client,
            db,
            time_us,
            argv,
            argc,
            clipped,
            from_script: in_script,
            parent,
            events: Vec::new(),
            events_dropped: 0,
            deliveries: Vec::new(),
            unlisted: 0,
        };
        let early = spec.has(flag::SKIP_MONITOR);
        if early {
            log.script = Some(seq);
            log.push(record);
            log.open.push(Open {
                seq,
                early,
                record: None,
            });
        } else {
            log.open.push(Open {
                seq,
                early,
                record: Some(record),
            });
        }
    }

    /// After a command's handler ran: closes its record.
    pub(crate) fn log_command_end(&mut self, client: ClientId) {
        let top_level = !self.in_script;
        let db = self.clients.get(&client).map(|c| c.db);
        let Some(log) = self.command_log.as_mut() else {
            return;
        };
        let Some(open) = log.open.pop() else { return };
        if top_level && log.open.is_empty() {
            log.last_top = Some(open.seq);
        }
        let Some(mut record) = open.record else {
            return;
        };
        // MONITOR names the database the client has after the command (SELECT's new one).
        if let Some(db) = db {
            record.db = db;
        }
        log.push(record);
    }

    /// Before a front end's command: no top-level command has run for it yet (a refused
    /// one is not logged, and what follows it must not go to an older command).
    pub(crate) fn log_execute_begin(&mut self) {
        if let Some(log) = self.command_log.as_mut() {
            log.last_top = None;
        }
    }

    /// Around the serving of blocked clients after a top-level command: what it causes
    /// belongs to that command.
    pub(crate) fn log_serving(&mut self, on: bool) {
        if let Some(log) = self.command_log.as_mut() {
            log.serving = if on { log.last_top } else { None };
        }
    }

    pub(crate) fn log_event(&mut self, event: &Event) {
        if let Some(log) = self.command_log.as_mut() {
            log.note_event(event);
        }
    }

    pub(crate) fn log_delivery(
        &mut self,
        channel: &[u8],
        receivers: impl FnOnce() -> Vec<ClientId>,
    ) {
        if let Some(log) = self.command_log.as_mut() {
            log.note_delivery(channel, receivers());
        }
    }

    /// Whether the command log is on (the engine records nothing for it otherwise).
    pub fn command_log_on(&self) -> bool {
        self.command_log.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{argv, engine};

    use crate::engine::ClientInfo;
    use crate::reply::Reply;

    /// What MONITOR printed for each command, without the timestamp: `[db addr] args`.
    fn monitor_lines(e: &mut Engine, m: ClientId) -> Vec<String> {
        e.drain_outbox(m)
            .into_iter()
            .filter_map(|r| match r {
                Reply::Status(line) => line.split_once(' ').map(|(_, rest)| rest.to_string()),
                _ => None,
            })
            .collect()
    }

    /// The log's records in the same form, with the client's address or `lua`.
    fn log_lines(e: &Engine, records: &[CommandRecord]) -> Vec<String> {
        records
            .iter()
            .map(|r| {
                let addr = if r.from_script {
                    "lua".to_string()
                } else {
                    e.client(r.client)
                        .map(|c| c.info.addr.clone())
                        .unwrap_or_default()
                };
                let args: Vec<String> = r.argv.iter().map(|a| crate::cli::quote_bytes(a)).collect();
                format!("[{} {}] {}", r.db, addr, args.join(" "))
            })
            .collect()
    }

    fn events(r: &CommandRecord) -> Vec<(String, &'static str)> {
        r.events
            .iter()
            .map(|ev| (String::from_utf8_lossy(&ev.key).into_owned(), ev.name))
            .collect()
    }

    #[test]
    fn the_log_lists_what_monitor_shows_in_its_order_scripts_included() {
        let (mut e, _clock) = engine();
        let a = e.connect(ClientInfo::default());
        let m = e.connect(ClientInfo::default());
        e.execute(m, &argv("MONITOR"));
        e.set_command_log(true);
        for line in [
            "SET k v",
            "EVAL \"redis.call('set', KEYS[1], 'w'); return redis.call('get', KEYS[1])\" 1 k",
            "MULTI",
            "INCR n",
            "EXEC",
            "SELECT 3",
            "FCALL nosuch 0",
            "NOSUCHCOMMAND",
        ] {
            e.execute(a, &argv(line));
        }
        let records = e.take_commands();
        let shown = monitor_lines(&mut e, m);
        assert_eq!(log_lines(&e, &records), shown, "the log is MONITOR's feed");
        // As redis-server 7.0.15 prints it: the EVAL, then its commands with `lua`.
        let eval_at = shown
            .iter()
            .position(|l| l.contains("\"EVAL\""))
            .expect("EVAL is shown");
        assert!(
            shown[eval_at].starts_with("[0 127.0.0.1:50000] \"EVAL\""),
            "{shown:?}"
        );
        assert!(
            shown[eval_at + 1].starts_with("[0 lua] \"set\" \"k\" \"w\""),
            "{shown:?}"
        );
        assert!(
            shown[eval_at + 2].starts_with("[0 lua] \"get\" \"k\""),
            "{shown:?}"
        );
        let eval = records
            .iter()
            .find(|r| r.name() == "EVAL")
            .expect("EVAL is logged");
        let set_in_script = records
            .iter()
            .find(|r| r.from_script && r.name() == "set")
            .expect("redis.call is logged");
        assert_eq!(set_in_script.parent, Some(eval.seq));
        assert_eq!(events(set_in_script), vec![("k".to_string(), "set")]);
        let exec = records.iter().find(|r| r.name() == "EXEC").expect("EXEC");
        let incr = records.iter().find(|r| r.name() == "INCR").expect("INCR");
        assert_eq!(incr.parent, Some(exec.seq));
        assert_eq!(
            events(incr),
            vec![("n".to_string(), "new"), ("n".to_string(), "incrby")]
        );
        assert!(e.take_commands().is_empty(), "taking drains");
    }

    #[test]
    fn each_record_has_its_events_and_deliveries() {
        let (mut e, _clock) = engine();
        let a = e.connect(ClientInfo::default());
        let b = e.connect(ClientInfo::default());
        let s1 = e.connect(ClientInfo::default());
        let s2 = e.connect(ClientInfo::default());
        e.set_command_log(true);
        e.execute(s1, &argv("SUBSCRIBE news"));
        e.execute(s2, &argv("PSUBSCRIBE n*"));
        e.execute(b, &argv("BLPOP queue 0"));
        e.execute(a, &argv("RPUSH queue x y"));
        e.execute(a, &argv("PUBLISH news hello"));
        e.execute(a, &argv("PUBLISH weather hi"));
        let records = e.take_commands();
        let names: Vec<String> = records.iter().map(CommandRecord::name).collect();
        assert_eq!(
            names,
            [
                "SUBSCRIBE",
                "PSUBSCRIBE",
                "BLPOP",
                "RPUSH",
                "PUBLISH",
                "PUBLISH"
            ]
        );
        assert!(
            records[2].events.is_empty(),
            "BLPOP blocked: nothing changed yet"
        );
        // The RPUSH handed x to the blocked BLPOP: what it caused is its own.
        assert_eq!(
            events(&records[3]),
            vec![
                ("queue".to_string(), "new"),
                ("queue".to_string(), "rpush"),
                ("queue".to_string(), "lpop")
            ]
        );
        assert_eq!(
            records[4].deliveries,
            vec![Delivery {
                channel: b"news".to_vec(),
                receivers: vec![s1, s2]
            }]
        );
        assert!(
            records[5].deliveries.is_empty(),
            "no subscriber of `weather`"
        );
        assert_eq!(records[3].client, a);
        assert_eq!(records[3].time_ms(), 1_700_000_000_000);
    }

    #[test]
    fn the_log_is_bounded_and_clipped() {
        let (mut e, _clock) = engine();
        let a = e.connect(ClientInfo::default());
        e.set_command_log(true);
        for i in 0..MAX_LOGGED_COMMANDS + 5 {
            e.execute(a, &argv(&format!("SET k{i} v")));
        }
        let records = e.take_commands();
        assert_eq!(
            records.len(),
            MAX_LOGGED_COMMANDS,
            "the oldest were dropped"
        );
        assert_eq!(records[0].argv[1], b"k5".to_vec());
        let mut big = vec![b"RPUSH".to_vec(), b"l".to_vec()];
        big.extend((0..200).map(|i| vec![b'x'; if i == 0 { 5000 } else { 1 }]));
        e.execute(a, &big);
        e.execute(a, &argv("DEL l"));
        let records = e.take_commands();
        assert_eq!(
            (records[0].argc, records[0].argv.len(), records[0].clipped),
            (202, MAX_ARGS, true)
        );
        assert_eq!(records[0].argv[2].len(), MAX_ARG_BYTES);
        assert!(!records[1].clipped);
        // Off: nothing is kept.
        e.set_command_log(false);
        e.execute(a, &argv("SET k v"));
        assert!(e.take_commands().is_empty());
    }

    #[test]
    fn a_script_running_in_slices_is_taken_when_it_ends() {
        let (mut e, _clock) = engine();
        let a = e.connect(ClientInfo::default());
        e.set_command_log(true);
        e.set_script_fuel(u64::MAX);
        let script = "EVAL \"local n = 0 for i = 1, 3000000 do n = n + 1 end redis.call('set', 'done', n) return n\" 0";
        e.execute(a, &argv(script));
        let mut rounds = 0;
        let mut taken = e.take_commands();
        while e.script_running() && rounds < 100_000 {
            assert!(
                taken.is_empty(),
                "nothing is taken while the script runs: {taken:?}"
            );
            e.handle_timeouts();
            taken = e.take_commands();
            rounds += 1;
        }
        assert!(!e.script_running());
        let names: Vec<String> = taken.iter().map(CommandRecord::name).collect();
        assert_eq!(names, ["EVAL", "set"]);
        assert_eq!(taken[1].parent, Some(taken[0].seq));
        assert_eq!(
            events(&taken[1]),
            vec![("done".to_string(), "new"), ("done".to_string(), "set")]
        );

        // A script with more commands than the log keeps: its EVAL and its first ones,
        // the rest counted on it.
        e.execute(
            a,
            &argv("EVAL \"for i = 1, 30000 do redis.call('incr', 'n') end\" 0"),
        );
        while e.script_running() {
            assert!(e.take_commands().is_empty());
            e.handle_timeouts();
        }
        let taken = e.take_commands();
        assert_eq!(taken.len(), MAX_LOGGED_COMMANDS);
        assert_eq!(taken[0].name(), "EVAL");
        assert!(taken[1..]
            .iter()
            .all(|r| r.name() == "incr" && r.parent == Some(taken[0].seq)));
        assert_eq!(taken[0].unlisted, 30_000 - (MAX_LOGGED_COMMANDS - 1));
        // Records are still numbered in order after the script.
        e.execute(a, &argv("PING"));
        let after = e.take_commands();
        assert_eq!((after.len(), after[0].name().as_str()), (1, "PING"));
        assert!(after[0].seq > taken[MAX_LOGGED_COMMANDS - 1].seq);
    }
}
