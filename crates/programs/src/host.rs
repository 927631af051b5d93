//! The programs of a playground, run in turn by the host's timer.
//!
//! `Programs` owns every program and its log; the engine stays the host's (the console
//! and the views use it between runs). Each `run` lets every program that can run have
//! one bounded slice, in the order they were started, so a runaway loop costs at most
//! its slice per call and never freezes the page; `next_wakeup_ms` says when the next
//! program or engine timeout is due, so the host can sleep (or fast-forward virtual time)
//! exactly until then.
//!
//! A program's replies reach it through its client's outbox (a blocking command served
//! later, pub/sub messages): the host drains only its own clients' outboxes
//! (`Engine::drain_outbox(console)`), never all of them (`take_outboxes`), and lets
//! `Programs::run` call `Engine::handle_timeouts`.

use std::collections::BTreeMap;

use redis_emulator::{ClientId, Engine};

use crate::http::{HttpError, HttpOutcome, HttpRequest, RequestId};
use crate::journal::{Journal, LogKind, LogLine};
use crate::program::{End, HostView, Program};
use crate::{ProgramId, ProgramState};

/// What a call of [`Programs::run`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Programs that got a slice.
    pub ran: usize,
    /// Fuel spent by all of them (about one unit per Lua instruction).
    pub fuel: u64,
    /// Commands they sent.
    pub commands: u64,
    /// Programs that can run right away (a runaway loop, a program woken by another's
    /// command): the host should call `run` again soon.
    pub still_ready: usize,
}

/// What the host shows of a program in a list.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramInfo {
    pub id: ProgramId,
    pub name: String,
    pub state: ProgramState,
    /// Its engine client while it runs (as CLIENT LIST shows it).
    pub client: Option<ClientId>,
}

/// Every program of a playground.
#[derive(Default)]
pub struct Programs {
    programs: BTreeMap<ProgramId, Program>,
    journal: Journal,
    next_id: u32,
    /// What became of each HTTP request not yet taken by the host.
    requests: BTreeMap<RequestId, HttpOutcome>,
    next_request: u64,
    /// Sources `require` can load, by file name (the page's program tabs).
    modules: BTreeMap<String, String>,
}

impl Programs {
    pub fn new() -> Programs {
        Programs::default()
    }

    /// Compiles `source` as a program named `name` (the chunk name of its error
    /// messages and its client's name) and makes it ready to run. The error is Lua's
    /// compile message: `consumer.lua:3: '=' expected near 'x'`.
    pub fn start(
        &mut self,
        engine: &mut Engine,
        name: &str,
        source: &str,
    ) -> Result<ProgramId, String> {
        self.next_id = self.next_id.wrapping_add(1);
        let id = ProgramId(self.next_id);
        let program = Program::start(engine, id, name, source)?;
        self.journal.push(
            id,
            engine.now_ms(),
            LogKind::Note,
            format!("started {name}"),
        );
        self.programs.insert(id, program);
        Ok(id)
    }

    /// Gives every program that can run one slice of at most `fuel` units (about one per
    /// Lua instruction, 100 per command), after the engine has handled its timeouts (a
    /// `BLOCK 2000` that ran out). A program woken by a command of a program that runs
    /// after it in the same call has its turn at the next call.
    pub fn run(&mut self, engine: &mut Engine, fuel: u64) -> RunReport {
        engine.handle_timeouts();
        let mut report = RunReport::default();
        let ids: Vec<ProgramId> = self.programs.keys().copied().collect();
        for id in ids {
            let taken: Vec<u16> = self
                .programs
                .values()
                .filter(|p| p.id != id)
                .filter_map(Program::port)
                .collect();
            let Some(program) = self.programs.get_mut(&id) else {
                continue;
            };
            program.wake(engine, &mut self.journal);
            if !program.is_due(engine) {
                continue;
            }
            let host = HostView {
                taken_ports: &taken,
                modules: &self.modules,
            };
            let slice = program.run_slice(engine, &mut self.journal, fuel, &host);
            report.ran += 1;
            report.fuel += slice.fuel;
            report.commands += slice.commands;
        }
        self.collect_answers();
        report.still_ready = self.programs.values().filter(|p| p.is_due(engine)).count();
        report
    }

    /// Makes a source loadable with `require` under a file name (`8-job.lua` for
    /// `require('./8-job')`): the page gives every program tab. A program that already
    /// loaded it keeps what it loaded, as Node caches a module.
    pub fn set_module(&mut self, file: &str, source: &str) {
        if self.modules.get(file).map(String::as_str) != Some(source) {
            self.modules.insert(file.to_string(), source.to_string());
        }
    }

    /// Forgets every module (before the page gives its tabs again).
    pub fn clear_modules(&mut self) {
        self.modules.clear();
    }

    /// Sends an HTTP request to the program listening on its port. It is queued behind
    /// the program's earlier requests and handled by the next `run`s (a handler that
    /// needs no virtual time answers within a `drive::settle`); with no program on the
    /// port it fails at once as refused. Read the outcome with [`Programs::response`].
    pub fn request(&mut self, request: HttpRequest) -> RequestId {
        self.next_request += 1;
        let id = RequestId(self.next_request);
        let port = request.port;
        let server = self.programs.values_mut().find(|p| p.port() == Some(port));
        let queued = server.is_some_and(|program| program.enqueue(id, request));
        let outcome = if queued {
            HttpOutcome::Pending
        } else {
            HttpOutcome::Failed(HttpError::Refused { port })
        };
        self.requests.insert(id, outcome);
        id
    }

    /// Where a request is (`Pending` until answered; None for an unknown or taken one).
    pub fn response(&self, id: RequestId) -> Option<&HttpOutcome> {
        self.requests.get(&id)
    }

    /// Takes a finished request's outcome (None while it is pending, or unknown).
    pub fn take_response(&mut self, id: RequestId) -> Option<HttpOutcome> {
        match self.requests.get(&id) {
            Some(HttpOutcome::Pending) | None => None,
            Some(_) => self.requests.remove(&id),
        }
    }

    /// The port a program listens on (once `app.listen` ran, while it lives).
    pub fn port(&self, id: ProgramId) -> Option<u16> {
        self.programs.get(&id).and_then(Program::port)
    }

    /// Moves the programs' answered requests into `requests`.
    fn collect_answers(&mut self) {
        for program in self.programs.values_mut() {
            for (id, outcome) in program.take_answered() {
                self.requests.insert(id, outcome);
            }
        }
    }

    /// When something is next due, in virtual ms: now if a program can run, else the
    /// earliest sleeper's wakeup or the engine's next timeout (a blocked command's
    /// deadline). None: nothing will happen until someone acts.
    pub fn next_wakeup_ms(&self, engine: &Engine) -> Option<i64> {
        let now = engine.now_ms();
        if self.programs.values().any(|p| p.is_due(engine)) {
            return Some(now);
        }
        self.next_timed_wakeup_ms(engine)
    }

    /// The earliest sleeper's wakeup or engine timeout after now, ignoring programs that
    /// can run now (a runaway loop must not keep time from moving to the next one).
    pub fn next_timed_wakeup_ms(&self, engine: &Engine) -> Option<i64> {
        let now = engine.now_ms();
        self.programs
            .values()
            .filter_map(Program::wakeup_ms)
            .chain(engine.next_timeout())
            .filter(|&t| t > now)
            .min()
    }

    /// Pauses a live program where it is (its client stays connected; a reply that
    /// arrives meanwhile waits). False if it is not live.
    pub fn pause(&mut self, id: ProgramId) -> bool {
        match self.programs.get_mut(&id) {
            Some(p) if p.is_live() && !p.paused => {
                p.paused = true;
                true
            }
            _ => false,
        }
    }

    pub fn resume(&mut self, id: ProgramId) -> bool {
        match self.programs.get_mut(&id) {
            Some(p) if p.paused => {
                p.paused = false;
                true
            }
            _ => false,
        }
    }

    /// Ctrl+C: the program ends as interrupted and its client disconnects (releasing a
    /// blocked command); what it left in Redis stays. False if it was not live.
    pub fn stop(&mut self, engine: &mut Engine, id: ProgramId) -> bool {
        self.end(engine, id, End::Interrupted)
    }

    /// A crash from outside (`kill -9`): as `stop`, marked killed.
    pub fn kill(&mut self, engine: &mut Engine, id: ProgramId) -> bool {
        self.end(engine, id, End::Killed)
    }

    fn end(&mut self, engine: &mut Engine, id: ProgramId, end: End) -> bool {
        match self.programs.get_mut(&id) {
            Some(p) if p.is_live() => {
                p.end(engine, &mut self.journal, end, "");
                self.collect_answers();
                true
            }
            _ => false,
        }
    }

    /// Forgets a program and its log (stopping it first if it runs).
    pub fn remove(&mut self, engine: &mut Engine, id: ProgramId) -> bool {
        self.stop(engine, id);
        self.journal.forget(id);
        self.programs.remove(&id).is_some()
    }

    /// Starts the program again from the top, with a new client (stopping it first if it
    /// runs). Its log goes on.
    pub fn restart(&mut self, engine: &mut Engine, id: ProgramId) -> Result<(), String> {
        let source = match self.programs.get(&id) {
            Some(p) => p.source.clone(),
            None => return Err(format!("no program {}", id.0)),
        };
        self.restart_with_source(engine, id, &source)
    }

    /// `restart` with a new source (the learner edited it). On a compile error the
    /// program is left as it was and the error returned.
    pub fn restart_with_source(
        &mut self,
        engine: &mut Engine,
        id: ProgramId,
        source: &str,
    ) -> Result<(), String> {
        let name = match self.programs.get(&id) {
            Some(p) => p.name.clone(),
            None => return Err(format!("no program {}", id.0)),
        };
        // Compile before stopping anything: a typo must not stop a running program.
        crate::env::build(&name, source)?;
        self.stop(engine, id);
        let program = Program::start(engine, id, &name, source)?;
        self.journal.push(
            id,
            engine.now_ms(),
            LogKind::Note,
            format!("restarted {name}"),
        );
        self.programs.insert(id, program);
        Ok(())
    }

    pub fn state(&self, id: ProgramId) -> Option<ProgramState> {
        self.programs.get(&id).map(Program::state)
    }

    /// The program's log, oldest first (the last `journal::LOG_CAPACITY` lines).
    pub fn log(&self, id: ProgramId) -> Vec<LogLine> {
        self.journal.log(id)
    }

    /// Lines written since the last call, by any program, in the order written.
    pub fn take_new_log_lines(&mut self) -> Vec<(ProgramId, LogLine)> {
        self.journal.take_new()
    }

    /// Every program, in the order they were started.
    pub fn list(&self) -> Vec<ProgramInfo> {
        self.programs
            .values()
            .map(|p| ProgramInfo {
                id: p.id,
                name: p.name.clone(),
                state: p.state(),
                client: p.client(),
            })
            .collect()
    }

    pub fn name(&self, id: ProgramId) -> Option<&str> {
        self.programs.get(&id).map(|p| p.name.as_str())
    }

    pub fn source(&self, id: ProgramId) -> Option<&str> {
        self.programs.get(&id).map(|p| p.source.as_str())
    }

    /// The program's engine client while it runs.
    pub fn client(&self, id: ProgramId) -> Option<ClientId> {
        self.programs.get(&id).and_then(Program::client)
    }
}
