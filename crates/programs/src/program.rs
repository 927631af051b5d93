//! One program: its Lua state, its engine client, and where it is in its life.
//!
//! A program runs in slices of fuel. When its VM yields a request, the program either
//! answers it at once (a command the engine replies to) and goes on within the same
//! slice, or it waits: asleep until a virtual time, or blocked until the engine puts the
//! reply of its blocking command in its client's outbox (another client's XADD, a
//! timeout the engine handles). `wake` moves a waiting program back to ready, handing
//! its VM the answer.
//!
//! A program that ends for any reason (finished, interrupted, killed, crashed)
//! disconnects its client, as a process's connection closes when it exits: a blocked
//! command is released, what the program did in Redis stays (pending entries of a
//! consumer group included).

use std::collections::VecDeque;

use redis_emulator::script::{api, convert};
use redis_emulator::{ClientId, ClientInfo, Engine, Protocol, Reply};

use crate::env::{self, Env, Request};
use crate::events::{Connection, Event, Queue, Timers};
use crate::http::{self, HttpError, HttpOutcome, HttpRequest, RequestId};
use crate::journal::{Journal, LogKind};
use crate::{ProgramId, ProgramState};

/// What a command counts against a slice, in fuel units.
const COMMAND_FUEL: u64 = 100;
/// What Lua code called by a native (which cannot pause) may borrow past a slice.
const NESTED_FUEL: u64 = 50_000_000;
/// Pub/sub messages kept for `receive` (the oldest are dropped past this).
const INBOX_CAPACITY: usize = 10_000;

/// Where a live program is.
#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Ready,
    Sleeping {
        until_ms: i64,
    },
    /// Waiting for the reply of `command` (raised as an error if `raise`).
    Blocked {
        command: String,
        raise: bool,
    },
    /// In `receive`, until a pub/sub message arrives or this time passes.
    Listening {
        until_ms: Option<i64>,
    },
    /// The main chunk (or the last callback) ended and something can still call the
    /// program back (a server, a timer, an extra connection): the VM is free, waiting
    /// for events.
    EventLoop,
}

/// How an ended program ended.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum End {
    Finished,
    Interrupted,
    Crashed(String),
    Killed,
}

/// What one slice did.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Slice {
    pub fuel: u64,
    pub commands: u64,
}

pub(crate) struct Program {
    pub id: ProgramId,
    pub name: String,
    pub source: String,
    /// None once the program ended.
    live: Option<Live>,
    end: Option<End>,
    pub paused: bool,
    /// Requests answered (or failed) since the host last took them.
    answered: Vec<(RequestId, HttpOutcome)>,
}

/// What a program may ask of the world around it while it runs.
pub(crate) struct HostView<'a> {
    /// The ports other programs listen on.
    pub taken_ports: &'a [u16],
    /// Module sources by file name (`8-job.lua`), for `require('./8-job')`.
    pub modules: &'a std::collections::BTreeMap<String, String>,
}

impl HostView<'_> {
    /// The module `require(name)` means: `./8-job`, `8-job` and `8-job.lua` are the
    /// tab `8-job.lua` (a `.js` name is taken as the tab of the same name in `.lua`).
    pub fn module(&self, name: &str) -> Option<(&str, &str)> {
        let base = name.strip_prefix("./").unwrap_or(name);
        let base = base.strip_suffix(".js").unwrap_or(base);
        let file = if base.ends_with(".lua") {
            base.to_string()
        } else {
            format!("{base}.lua")
        };
        self.modules
            .get_key_value(&file)
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// What the VM runs besides the main chunk.
enum Current {
    /// A request's handler.
    Http(RequestId, HttpRequest),
    /// A timer's, reply's or message's callback.
    Callback,
}

/// A running program's state.
struct Live {
    env: Env,
    client: ClientId,
    phase: Phase,
    /// Pub/sub messages received and not yet taken by `receive`, oldest first.
    inbox: VecDeque<Reply>,
    /// The program sent QUIT: its client is gone, its commands fail.
    closed: bool,
    /// The port it listens on (after `app.listen`).
    port: Option<u16>,
    /// Events waiting for the VM (see `events.rs`).
    events: Queue,
    /// What the VM runs now, when not the main chunk.
    current: Option<Current>,
    timers: Timers,
    /// Extra connections, open until closed or the program ends.
    conns: Vec<Connection>,
}

impl Live {
    /// Whether something can still call the program back once its code has returned.
    fn keeps_running(&self) -> bool {
        self.port.is_some()
            || !self.timers.is_empty()
            || !self.conns.is_empty()
            || !self.events.is_empty()
    }

    /// Moves what arrived (due timers, replies and messages of its connections) into
    /// the event queue.
    fn gather(&mut self, engine: &mut Engine) {
        for conn in &mut self.conns {
            conn.pump(engine, &mut self.events);
        }
        for number in self.timers.take_due(engine.now_ms()) {
            self.events.push(Event::Timer(number));
        }
    }

    /// Whether an event is waiting or would be gathered now.
    fn has_event(&self, engine: &Engine) -> bool {
        !self.events.is_empty()
            || self
                .timers
                .next_due_ms()
                .is_some_and(|t| t <= engine.now_ms())
            || self.conns.iter().any(|c| c.has_news(engine))
    }
}

impl Program {
    /// Compiles `source` and connects the program's client, named after the program.
    pub fn start(
        engine: &mut Engine,
        id: ProgramId,
        name: &str,
        source: &str,
    ) -> Result<Program, String> {
        let mut env = env::build(name, source)?;
        // Node's process.pid: the program's number (Kue writes it in workerId).
        if let lua51::Value::Table(process) = env.vm.get_global("process") {
            env.vm
                .set_field(process, "pid", lua51::Value::Number(f64::from(id.0)));
        }
        let client = engine.connect(ClientInfo {
            addr: format!("127.0.0.1:{}", 40_000 + u64::from(id.0 % 20_000)),
            ..ClientInfo::default()
        });
        let setname = [
            b"CLIENT".to_vec(),
            b"SETNAME".to_vec(),
            client_name(name).into_bytes(),
        ];
        engine.execute(client, &setname);
        Ok(Program {
            id,
            name: name.to_string(),
            source: source.to_string(),
            live: Some(Live {
                env,
                client,
                phase: Phase::Ready,
                inbox: VecDeque::new(),
                closed: false,
                port: None,
                events: Queue::default(),
                current: None,
                timers: Timers::default(),
                conns: Vec::new(),
            }),
            end: None,
            paused: false,
            answered: Vec::new(),
        })
    }

    pub fn state(&self) -> ProgramState {
        match (&self.live, &self.end) {
            (Some(_), _) if self.paused => ProgramState::Paused,
            (Some(live), _) => match &live.phase {
                Phase::Ready => ProgramState::Ready,
                Phase::Sleeping { until_ms } => ProgramState::Sleeping {
                    until_ms: *until_ms,
                },
                Phase::Blocked { command, .. } => ProgramState::Blocked {
                    command: command.clone(),
                },
                Phase::Listening { until_ms } => ProgramState::Listening {
                    until_ms: *until_ms,
                },
                Phase::EventLoop => match live.port {
                    Some(port) => ProgramState::Serving { port },
                    None => ProgramState::Waiting,
                },
            },
            (None, Some(End::Finished)) | (None, None) => ProgramState::Finished,
            (None, Some(End::Interrupted)) => ProgramState::Interrupted,
            (None, Some(End::Killed)) => ProgramState::Killed,
            (None, Some(End::Crashed(message))) => ProgramState::Crashed {
                message: message.clone(),
            },
        }
    }

    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    pub fn client(&self) -> Option<ClientId> {
        self.live.as_ref().filter(|l| !l.closed).map(|l| l.client)
    }

    /// Whether the program would run now (not paused, ready or with its wait over).
    pub fn is_due(&self, engine: &Engine) -> bool {
        match &self.live {
            Some(live) if !self.paused => match &live.phase {
                Phase::Ready => true,
                Phase::Sleeping { until_ms } => engine.now_ms() >= *until_ms,
                Phase::Blocked { .. } => !engine.is_blocked(live.client),
                Phase::Listening { until_ms } => {
                    !live.inbox.is_empty()
                        || has_output(engine, live.client)
                        || until_ms.is_some_and(|t| engine.now_ms() >= t)
                }
                Phase::EventLoop => live.has_event(engine),
            },
            _ => false,
        }
    }

    /// The port the program listens on (once `app.listen` ran, while it lives).
    pub fn port(&self) -> Option<u16> {
        self.live.as_ref()?.port
    }

    /// Queues a request for the program's server; false if it has none.
    pub fn enqueue(&mut self, id: RequestId, request: HttpRequest) -> bool {
        match self.live.as_mut().filter(|l| l.port.is_some()) {
            Some(live) => {
                live.events.push(Event::Http(id, request));
                true
            }
            None => false,
        }
    }

    /// Takes the requests answered (or failed) since the last call.
    pub fn take_answered(&mut self) -> Vec<(RequestId, HttpOutcome)> {
        std::mem::take(&mut self.answered)
    }

    /// When a sleeping program wakes (for hosts that wait for it).
    pub fn wakeup_ms(&self) -> Option<i64> {
        match &self.live {
            Some(live) if !self.paused => match live.phase {
                Phase::Sleeping { until_ms } => Some(until_ms),
                Phase::Listening { until_ms } => until_ms,
                Phase::EventLoop => live.timers.next_due_ms(),
                _ => None,
            },
            _ => None,
        }
    }

    /// Makes a waiting program ready if its wait is over, answering its VM. A program
    /// whose client was closed by someone else (CLIENT KILL) ends as killed.
    pub fn wake(&mut self, engine: &mut Engine, journal: &mut Journal) {
        if self.paused {
            return;
        }
        let Some(live) = self.live.as_mut() else {
            return;
        };
        if !live.closed && engine.client(live.client).is_none() {
            self.end(
                engine,
                journal,
                End::Killed,
                "its connection was closed (CLIENT KILL)",
            );
            return;
        }
        if live.phase == Phase::EventLoop {
            live.gather(engine);
            return;
        }
        let answer = match &live.phase {
            Phase::Ready => return,
            Phase::Sleeping { until_ms } if engine.now_ms() >= *until_ms => Ok(Vec::new()),
            Phase::Blocked { raise, .. } if !engine.is_blocked(live.client) => {
                let raise = *raise;
                let reply = take_outbox(engine, live).unwrap_or(Reply::Nil);
                let protocol = engine.protocol(live.client);
                answer(&mut live.env.vm, reply, raise, protocol)
            }
            Phase::Listening { until_ms } => {
                let until_ms = *until_ms;
                take_outbox(engine, live);
                let protocol = engine.protocol(live.client);
                match live.inbox.pop_front() {
                    Some(message) => answer(&mut live.env.vm, message, false, protocol),
                    None if until_ms.is_some_and(|t| engine.now_ms() >= t) => {
                        Ok(vec![lua51::Value::Nil])
                    }
                    None => return,
                }
            }
            _ => return,
        };
        live.phase = Phase::Ready;
        if let Err(e) = live.env.vm.resume_host(answer) {
            let text = convert::error_value_text(&live.env.vm, &e);
            self.end(engine, journal, End::Crashed(text), "");
        }
    }

    /// Runs a ready program for at most `fuel` units of work (one per VM instruction,
    /// `COMMAND_FUEL` per command), until it waits, ends, or the fuel is spent. A
    /// program in its event loop takes its next event. `host`: what the other programs
    /// and the page provide (ports taken, modules).
    pub fn run_slice(
        &mut self,
        engine: &mut Engine,
        journal: &mut Journal,
        fuel: u64,
        host: &HostView,
    ) -> Slice {
        let mut slice = Slice::default();
        while !self.paused && slice.fuel < fuel {
            let Some(live) = self.live.as_mut() else {
                break;
            };
            if live.phase == Phase::EventLoop {
                live.gather(engine);
                if !self.next_event(engine, journal) {
                    break;
                }
            }
            let Some(live) = self.live.as_mut() else {
                break;
            };
            if live.phase != Phase::Ready {
                break;
            }
            let budget = fuel - slice.fuel;
            live.env.shared.borrow_mut().now_ms = engine.now_ms();
            live.env.vm.set_nested_fuel_limit(NESTED_FUEL);
            let result = live.env.vm.run(budget);
            let left = live.env.vm.fuel_available().saturating_sub(NESTED_FUEL);
            slice.fuel += budget.saturating_sub(left).max(1);
            self.flush_output(engine.now_ms(), journal);
            self.apply_timers(engine.now_ms());
            match result {
                Ok(lua51::Outcome::Paused) => break,
                Ok(lua51::Outcome::Finished(values)) => {
                    match self.live.as_mut().and_then(|l| l.current.take()) {
                        Some(Current::Http(id, request)) => {
                            self.answer_request(engine, journal, id, &request, &values);
                            self.callback_returned(engine, journal, None);
                        }
                        Some(Current::Callback) => {
                            let error = self.callback_error(&values);
                            self.callback_returned(engine, journal, error);
                        }
                        None => self.finish(engine, journal, values),
                    }
                    if self
                        .live
                        .as_ref()
                        .is_some_and(|l| l.phase == Phase::EventLoop)
                    {
                        continue;
                    }
                    break;
                }
                Ok(lua51::Outcome::Yielded(request)) => match request.downcast::<Request>() {
                    Ok(request) => {
                        if let Request::Command { .. } = *request {
                            slice.commands += 1;
                            slice.fuel += COMMAND_FUEL;
                        }
                        self.handle(engine, journal, *request, host);
                    }
                    Err(_) => {
                        let end = End::Crashed("the program made an unknown request".into());
                        self.end(engine, journal, end, "");
                    }
                },
                Err(e) => {
                    let text = self
                        .live
                        .as_ref()
                        .map_or_else(String::new, |l| convert::error_value_text(&l.env.vm, &e));
                    self.end(engine, journal, End::Crashed(text), "");
                    break;
                }
            }
        }
        slice
    }

    /// Answers a request now, or makes the program wait for its answer.
    fn handle(
        &mut self,
        engine: &mut Engine,
        journal: &mut Journal,
        request: Request,
        host: &HostView,
    ) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let answer = match request {
            Request::Listen { port } => match live.port {
                Some(current) => Err(lua51::Value::str(&format!(
                    "app.listen: this program already listens on port {current}"
                ))),
                None if host.taken_ports.contains(&port) => Err(lua51::Value::str(&format!(
                    "Error: listen EADDRINUSE: address already in use :::{port}"
                ))),
                None => {
                    live.port = Some(port);
                    journal.push(
                        self.id,
                        engine.now_ms(),
                        LogKind::Note,
                        format!("listening on port {port}"),
                    );
                    Ok(Vec::new())
                }
            },
            Request::Connect => {
                let client = engine.connect(ClientInfo {
                    addr: format!("127.0.0.1:{}", 40_000 + u64::from(self.id.0 % 20_000)),
                    ..ClientInfo::default()
                });
                let setname = [
                    b"CLIENT".to_vec(),
                    b"SETNAME".to_vec(),
                    client_name(&self.name).into_bytes(),
                ];
                engine.execute(client, &setname);
                let number = live.conns.last().map_or(1, |c| c.number + 1);
                live.conns.push(Connection::new(number, client));
                Ok(vec![lua51::Value::Number(f64::from(number))])
            }
            Request::Send { conn, argv } => {
                match live.conns.iter_mut().find(|c| c.number == conn) {
                    Some(c) => {
                        c.send(engine, argv, &mut live.events);
                        Ok(Vec::new())
                    }
                    None => Err(lua51::Value::str("the connection is closed")),
                }
            }
            Request::Close { conn } => {
                if let Some(i) = live.conns.iter().position(|c| c.number == conn) {
                    let mut c = live.conns.remove(i);
                    c.close(engine);
                }
                Ok(Vec::new())
            }
            Request::Require { name } => match host.module(&name) {
                Some((file, source)) => match live.env.vm.load(source.as_bytes(), file) {
                    Ok(chunk) => Ok(vec![chunk]),
                    Err(message) => Ok(vec![
                        lua51::Value::Nil,
                        live.env.vm.new_string(message.as_bytes()),
                    ]),
                },
                None => {
                    let message = format!(
                        "Cannot find module '{name}' (a module is a program tab: require('./8-job') runs the tab 8-job.lua)"
                    );
                    Ok(vec![
                        lua51::Value::Nil,
                        live.env.vm.new_string(message.as_bytes()),
                    ])
                }
            },
            Request::Exit => {
                self.end(engine, journal, End::Finished, "process.exit()");
                return;
            }
            Request::Sleep { ms } => {
                live.phase = Phase::Sleeping {
                    until_ms: engine.now_ms().saturating_add(ms),
                };
                return;
            }
            Request::Command { raise, .. } if live.closed => {
                let closed = Reply::error("ERR the connection is closed (the program sent QUIT)");
                answer(&mut live.env.vm, closed, raise, Protocol::Resp2)
            }
            Request::Command { argv, raise } => {
                let reply = engine.execute(live.client, &argv);
                if engine.client(live.client).is_some_and(|c| c.closing) {
                    // QUIT: the reply is sent, then the connection closes.
                    engine.disconnect(live.client);
                    live.closed = true;
                }
                if reply == Reply::NoReply && engine.is_blocked(live.client) {
                    live.phase = Phase::Blocked {
                        command: command_line(&argv),
                        raise,
                    };
                    return;
                }
                // Pub/sub messages go to the inbox; a reply queued behind them (or a
                // command's several frames, SUBSCRIBE a b) is the last frame.
                let queued = take_outbox(engine, live);
                let reply = match reply {
                    Reply::NoReply => queued.unwrap_or(Reply::Nil),
                    reply => reply,
                };
                let protocol = engine.protocol(live.client);
                answer(&mut live.env.vm, reply, raise, protocol)
            }
            Request::Receive { timeout_ms } => {
                take_outbox(engine, live);
                let protocol = engine.protocol(live.client);
                match (live.inbox.pop_front(), timeout_ms) {
                    (Some(message), _) => answer(&mut live.env.vm, message, false, protocol),
                    (None, Some(0)) => Ok(vec![lua51::Value::Nil]),
                    (None, timeout_ms) => {
                        let now = engine.now_ms();
                        live.phase = Phase::Listening {
                            until_ms: timeout_ms.map(|ms| now.saturating_add(ms)),
                        };
                        return;
                    }
                }
            }
        };
        if let Err(e) = live.env.vm.resume_host(answer) {
            let text = convert::error_value_text(&live.env.vm, &e);
            self.end(engine, journal, End::Crashed(text), "");
        }
    }

    /// A program in its event loop starts the callback of its oldest event. False if
    /// there is none (or the VM could not start it: a request fails, logged).
    fn next_event(&mut self, engine: &mut Engine, journal: &mut Journal) -> bool {
        let Some(live) = self.live.as_mut() else {
            return false;
        };
        let Some(event) = live.events.pop() else {
            return false;
        };
        let started = match event {
            Event::Http(id, request) => match live.env.start_request(&request) {
                Ok(()) => {
                    live.current = Some(Current::Http(id, request));
                    Ok(())
                }
                Err(e) => {
                    self.answered
                        .push((id, HttpOutcome::Failed(HttpError::EmptyReply)));
                    Err(e)
                }
            },
            Event::Timer(number) => {
                let args = vec![lua51::Value::Number(f64::from(number))];
                live.current = Some(Current::Callback);
                live.env.start_callback("timer", args)
            }
            Event::Reply { conn, reply }
            | Event::Message {
                conn,
                message: reply,
            } => {
                let kind = if is_message(&reply) {
                    "message"
                } else {
                    "reply"
                };
                let protocol = live
                    .conns
                    .iter()
                    .find(|c| c.number == conn)
                    .map_or(Protocol::Resp2, |c| engine.protocol(c.client));
                let value = match answer(&mut live.env.vm, reply, false, protocol) {
                    Ok(mut values) => values.pop().unwrap_or(lua51::Value::Nil),
                    Err(t) => t,
                };
                let args = vec![lua51::Value::Number(f64::from(conn)), value];
                live.current = Some(Current::Callback);
                live.env.start_callback(kind, args)
            }
        };
        match started {
            Ok(()) => {
                live.phase = Phase::Ready;
                true
            }
            Err(e) => {
                live.current = None;
                journal.push(self.id, engine.now_ms(), LogKind::Error, e);
                false
            }
        }
    }

    /// The error a callback raised (the events dispatcher returns `false, message`).
    fn callback_error(&self, values: &[lua51::Value]) -> Option<String> {
        let live = self.live.as_ref()?;
        match values {
            [lua51::Value::Bool(false), error, ..] => {
                Some(convert::error_value_text(&live.env.vm, error))
            }
            _ => None,
        }
    }

    /// A callback or a request's handler returned: an uncaught error ends the program
    /// (as in Node); else it waits for more events, or finishes when nothing can call
    /// it back any more.
    fn callback_returned(
        &mut self,
        engine: &mut Engine,
        journal: &mut Journal,
        error: Option<String>,
    ) {
        if let Some(message) = error {
            self.end(engine, journal, End::Crashed(message), "");
            return;
        }
        match self.live.as_mut() {
            Some(live) if live.keeps_running() => live.phase = Phase::EventLoop,
            Some(_) => self.end(engine, journal, End::Finished, ""),
            None => {}
        }
    }

    /// Applies the timers the program set or cleared during its last run.
    fn apply_timers(&mut self, now_ms: i64) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let ops = std::mem::take(&mut live.env.shared.borrow_mut().timer_ops);
        for op in ops {
            match op {
                env::TimerOp::Set { number, ms } => {
                    live.timers.set(number, now_ms.saturating_add(ms))
                }
                env::TimerOp::Cancel { number } => live.timers.cancel(number),
            }
        }
    }

    /// The dispatcher returned: the request's response (a handler's error is logged and
    /// answered 500, as Express's default error handler does), and the program serves
    /// on.
    fn answer_request(
        &mut self,
        engine: &mut Engine,
        journal: &mut Journal,
        id: RequestId,
        request: &HttpRequest,
        values: &[lua51::Value],
    ) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let handled = live.env.handled(values);
        let now = engine.now_ms();
        let line = format!("{} {}", request.method, request.target);
        if let Some(error) = &handled.error {
            journal.push(self.id, now, LogKind::Error, format!("{line}: {error}"));
        }
        let response = if handled.sent {
            let body = handled
                .body
                .unwrap_or_else(|| http::reason_phrase(handled.status).to_string());
            http::finish_response(handled.status, handled.headers, body, now)
        } else if let Some(error) = handled.error {
            let headers = vec![(
                "Content-Type".to_string(),
                "text/plain; charset=utf-8".to_string(),
            )];
            http::finish_response(500, headers, format!("{error}\n"), now)
        } else {
            journal.push(
                self.id,
                now,
                LogKind::Note,
                format!("{line}: the handler returned without res.send or res.json (an empty response is sent)"),
            );
            http::finish_response(handled.status, handled.headers, String::new(), now)
        };
        self.answered.push((id, HttpOutcome::Answered(response)));
    }

    /// The main chunk returned: `true, ...` when it ended normally, `false, message` when
    /// it raised an error (the error handler made the message). A program that listens
    /// goes on serving.
    fn finish(&mut self, engine: &mut Engine, journal: &mut Journal, values: Vec<lua51::Value>) {
        let end = match values.as_slice() {
            [lua51::Value::Bool(false), error, ..] => {
                let text = self
                    .live
                    .as_ref()
                    .map_or_else(String::new, |l| convert::error_value_text(&l.env.vm, error));
                End::Crashed(text)
            }
            _ => End::Finished,
        };
        if end == End::Finished {
            if let Some(live) = self.live.as_mut().filter(|l| l.keeps_running()) {
                live.phase = Phase::EventLoop;
                return;
            }
        }
        self.end(engine, journal, end, "");
    }

    /// Moves lines the program printed into its log.
    fn flush_output(&mut self, now_ms: i64, journal: &mut Journal) {
        let Some(live) = self.live.as_ref() else {
            return;
        };
        let lines = std::mem::take(&mut live.env.shared.borrow_mut().output);
        for (kind, text) in lines {
            journal.push(self.id, now_ms, kind, text);
        }
    }

    /// Ends a live program: its VM is dropped, its client disconnected, its log says
    /// why (`detail` adds to the note).
    pub fn end(&mut self, engine: &mut Engine, journal: &mut Journal, end: End, detail: &str) {
        self.flush_output(engine.now_ms(), journal);
        let Some(mut live) = self.live.take() else {
            return;
        };
        // The connections close: curl reports an empty reply.
        if let Some(Current::Http(id, _)) = live.current.take() {
            self.answered
                .push((id, HttpOutcome::Failed(HttpError::EmptyReply)));
        }
        for event in live.events.drain() {
            if let Event::Http(id, _) = event {
                self.answered
                    .push((id, HttpOutcome::Failed(HttpError::EmptyReply)));
            }
        }
        for conn in &mut live.conns {
            conn.close(engine);
        }
        if engine.client(live.client).is_some() {
            engine.disconnect(live.client);
        }
        let now = engine.now_ms();
        let note = match &end {
            End::Finished => "finished".to_string(),
            End::Interrupted => "interrupted (Ctrl+C)".to_string(),
            End::Killed => "killed".to_string(),
            End::Crashed(message) => {
                journal.push(self.id, now, LogKind::Error, message.clone());
                "crashed".to_string()
            }
        };
        let note = if detail.is_empty() {
            note
        } else {
            format!("{note}: {detail}")
        };
        journal.push(self.id, now, LogKind::Note, note);
        self.end = Some(end);
        self.paused = false;
    }
}

/// Whether the client has frames waiting in its outbox.
fn has_output(engine: &Engine, client: ClientId) -> bool {
    engine
        .client(client)
        .is_some_and(|c| !c.queues.outbox.is_empty())
}

/// Takes the client's outbox: pub/sub messages go to the program's inbox (bounded), and
/// the last other frame is returned (a command's reply).
fn take_outbox(engine: &mut Engine, live: &mut Live) -> Option<Reply> {
    let mut last = None;
    for frame in engine.drain_outbox(live.client) {
        if is_message(&frame) {
            if live.inbox.len() >= INBOX_CAPACITY {
                live.inbox.pop_front();
            }
            live.inbox.push_back(frame);
        } else {
            last = Some(frame);
        }
    }
    last
}

/// A published message (`message`, `pmessage`, `smessage` frames), as opposed to a
/// command's reply.
pub(crate) fn is_message(frame: &Reply) -> bool {
    match frame {
        Reply::Push(items) => matches!(
            items.first(),
            Some(Reply::Bulk(kind)) if [&b"message"[..], b"pmessage", b"smessage"].contains(&kind.as_slice())
        ),
        _ => false,
    }
}

/// The value a reply gives the program (EVAL's conversions, in the client's protocol),
/// or the error table `redis.call` raises.
fn answer(
    vm: &mut lua51::Vm,
    reply: Reply,
    raise: bool,
    protocol: Protocol,
) -> Result<Vec<lua51::Value>, lua51::Value> {
    let resp = if protocol == Protocol::Resp3 { 3 } else { 2 };
    // Replies are built in RESP3 shapes; a RESP2 client sees maps as flat arrays.
    let reply = reply.for_protocol(protocol);
    if let Reply::Error(text) = &reply {
        let t = convert::error_table(vm, &api::error_text(format!("-{text}").as_bytes()));
        return if raise { Err(t) } else { Ok(vec![t]) };
    }
    Ok(vec![convert::reply_to_lua(vm, reply, resp)])
}

/// The program's name as a client name: CLIENT SETNAME refuses spaces and anything
/// outside printable ASCII, so those become `_`.
pub(crate) fn client_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .collect();
    if cleaned.is_empty() {
        "program".to_string()
    } else {
        cleaned
    }
}

/// A command as a learner would type it, for the program's state (`XREADGROUP GROUP g
/// c BLOCK 0 STREAMS s >`): arguments quoted only when they need it.
fn command_line(argv: &[Vec<u8>]) -> String {
    let parts: Vec<String> = argv
        .iter()
        .map(|a| {
            let plain = !a.is_empty() && a.iter().all(|&c| c.is_ascii_graphic() && c != b'"');
            if plain {
                String::from_utf8_lossy(a).into_owned()
            } else {
                redis_emulator::cli::quote_bytes(a)
            }
        })
        .collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_names_and_command_lines() {
        assert_eq!(client_name("consumer.lua"), "consumer.lua");
        assert_eq!(client_name("my worker"), "my_worker");
        assert_eq!(client_name(""), "program");
        let argv: Vec<Vec<u8>> = vec![b"SET".to_vec(), b"k".to_vec(), b"a b".to_vec(), Vec::new()];
        assert_eq!(command_line(&argv), "SET k \"a b\" \"\"");
    }
}
