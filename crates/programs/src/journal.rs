//! The programs' logs: what each program printed, its errors, and notes about its life
//! (started, interrupted, killed), each line stamped with the virtual time.
//!
//! A page shows them as terminals: it reads a program's whole log when it opens one
//! (`log`), and afterwards only what is new (`take_new`), in the order lines were
//! written across all programs. Both are bounded so a chatty program cannot exhaust
//! the tab's memory: old lines are dropped first.

use std::collections::{BTreeMap, VecDeque};

use crate::ProgramId;

/// Lines kept per program.
pub const LOG_CAPACITY: usize = 1000;
/// New lines kept for `take_new` between two calls (all programs together).
const FRESH_CAPACITY: usize = 10_000;
/// The longest line kept, in bytes; longer ones are cut (at a character boundary).
const MAX_LINE_BYTES: usize = 8192;

/// What a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    /// Written by the program (`print`, `log`).
    Output,
    /// The error that ended the program, or a request handler's error.
    Error,
    /// Said by the host about the program (started, finished, interrupted...).
    Note,
}

/// One line of a program's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Virtual milliseconds since the epoch when it was written.
    pub at_ms: i64,
    pub kind: LogKind,
    pub text: String,
}

/// Every program's log, and the lines not yet taken by the host.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    logs: BTreeMap<ProgramId, VecDeque<LogLine>>,
    fresh: VecDeque<(ProgramId, LogLine)>,
}

impl Journal {
    pub fn push(&mut self, id: ProgramId, at_ms: i64, kind: LogKind, text: String) {
        let line = LogLine {
            at_ms,
            kind,
            text: clip(text),
        };
        let log = self.logs.entry(id).or_default();
        if log.len() >= LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(line.clone());
        if self.fresh.len() >= FRESH_CAPACITY {
            self.fresh.pop_front();
        }
        self.fresh.push_back((id, line));
    }

    pub fn log(&self, id: ProgramId) -> Vec<LogLine> {
        self.logs
            .get(&id)
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn take_new(&mut self) -> Vec<(ProgramId, LogLine)> {
        self.fresh.drain(..).collect()
    }

    /// Forgets a removed program's lines (its new lines included).
    pub fn forget(&mut self, id: ProgramId) {
        self.logs.remove(&id);
        self.fresh.retain(|(p, _)| *p != id);
    }
}

/// `text` cut to `MAX_LINE_BYTES`, marked with an ellipsis when cut.
fn clip(mut text: String) -> String {
    if text.len() <= MAX_LINE_BYTES {
        return text;
    }
    let mut end = MAX_LINE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push('…');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_bounded_and_new_lines_taken_once() {
        let mut j = Journal::default();
        let (a, b) = (ProgramId(1), ProgramId(2));
        for i in 0..LOG_CAPACITY + 5 {
            j.push(a, i as i64, LogKind::Output, format!("line {i}"));
        }
        j.push(b, 7, LogKind::Note, "started".into());
        let log = j.log(a);
        assert_eq!(log.len(), LOG_CAPACITY);
        assert_eq!(log[0].text, "line 5");
        let fresh = j.take_new();
        assert_eq!(fresh.len(), LOG_CAPACITY + 6);
        assert_eq!(fresh.last().map(|(p, _)| *p), Some(b));
        assert!(j.take_new().is_empty());
        j.forget(a);
        assert!(j.log(a).is_empty());
    }

    #[test]
    fn long_lines_are_cut_at_a_character_boundary() {
        let text = "é".repeat(MAX_LINE_BYTES);
        let cut = clip(text);
        assert!(cut.len() <= MAX_LINE_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
    }
}
