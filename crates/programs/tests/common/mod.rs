//! A playground for the tests: an engine on a virtual clock, its programs, and a console
//! client, with virtual time moved by the test.

#![allow(dead_code)]

use redis_emulator::{ClientId, ClientInfo, Engine, Reply};
use redis_programs::{drive, LogKind, ProgramId, ProgramState, Programs, VirtualClock};

/// The fuel of one slice in the tests (what the page gives per frame).
pub const FUEL: u64 = 100_000;
/// 2023-11-14T22:13:20Z, as the golden cases start.
pub const START_MS: i64 = 1_700_000_000_000;

pub struct World {
    pub clock: VirtualClock,
    pub engine: Engine,
    pub programs: Programs,
    pub console: ClientId,
}

impl World {
    pub fn new() -> World {
        let clock = VirtualClock::new(START_MS);
        let mut engine = Engine::new(Box::new(clock.clone()), 7);
        let console = engine.connect(ClientInfo::default());
        World {
            clock,
            engine,
            programs: Programs::new(),
            console,
        }
    }

    pub fn start(&mut self, name: &str, source: &str) -> ProgramId {
        match self.programs.start(&mut self.engine, name, source) {
            Ok(id) => id,
            Err(e) => panic!("{name} did not compile: {e}"),
        }
    }

    /// Moves virtual time by `ms`, running the programs at every wakeup.
    pub fn forward(&mut self, ms: i64) {
        drive::fast_forward(&mut self.programs, &mut self.engine, &self.clock, ms, FUEL);
    }

    /// Runs the programs without moving time.
    pub fn settle(&mut self) {
        drive::settle(&mut self.programs, &mut self.engine, FUEL);
    }

    /// A command typed in the console (words split on spaces).
    pub fn cmd(&mut self, line: &str) -> Reply {
        let argv: Vec<Vec<u8>> = line
            .split_whitespace()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        self.engine.execute(self.console, &argv)
    }

    /// What the console shows for a command, as redis-cli renders it.
    pub fn show(&mut self, line: &str) -> String {
        let reply = self
            .cmd(line)
            .for_protocol(self.engine.protocol(self.console));
        redis_emulator::cli::render(&reply)
            .trim_end_matches('\n')
            .to_string()
    }

    /// The program's printed lines (output only), with their time in seconds since START.
    pub fn output(&self, id: ProgramId) -> Vec<String> {
        self.programs
            .log(id)
            .into_iter()
            .filter(|l| l.kind == LogKind::Output)
            .map(|l| l.text)
            .collect()
    }

    /// Every line of the program's log as `+seconds kind text`.
    pub fn transcript(&self, id: ProgramId) -> Vec<String> {
        self.programs
            .log(id)
            .into_iter()
            .map(|l| {
                let kind = match l.kind {
                    LogKind::Output => "out",
                    LogKind::Error => "err",
                    LogKind::Note => "note",
                };
                format!(
                    "+{:.3} {kind} {}",
                    (l.at_ms - START_MS) as f64 / 1000.0,
                    l.text
                )
            })
            .collect()
    }

    pub fn state(&self, id: ProgramId) -> ProgramState {
        match self.programs.state(id) {
            Some(s) => s,
            None => panic!("no program {id:?}"),
        }
    }

    pub fn elapsed_ms(&self) -> i64 {
        self.clock.now_ms() - START_MS
    }
}
