//! The console's command history: what Up and Down walk through, kept across reloads.
//!
//! Like redis-cli's linenoise history: every non-empty line is added unless it repeats
//! the previous one, the oldest entries fall off past a cap, and walking up first saves
//! the line being typed (the "draft") so walking back down past the newest entry gives
//! it back. The saved form is plain text with a version line; anything that does not
//! parse is ignored, so a corrupt or foreign value in storage only costs the history.

/// How many entries are kept (and saved).
pub const HISTORY_CAP: usize = 100;
/// Longer lines are still run, but not saved: storage stays small.
pub const MAX_SAVED_LINE: usize = 1000;
/// The first line of the saved form.
const HEADER: &str = "redis-playground-history v1";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    entries: Vec<String>,
    /// The entry shown while walking (index into `entries`), None when not walking.
    cursor: Option<usize>,
    /// The line that was being typed when the walk began.
    draft: String,
}

impl History {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a submitted line and ends any walk.
    pub fn add(&mut self, line: &str) {
        self.cursor = None;
        self.draft.clear();
        if line.trim().is_empty() || line.contains('\n') {
            return;
        }
        if self.entries.last().map(String::as_str) == Some(line) {
            return;
        }
        self.entries.push(line.to_string());
        if self.entries.len() > HISTORY_CAP {
            let extra = self.entries.len() - HISTORY_CAP;
            self.entries.drain(..extra);
        }
    }

    /// Up: the previous (older) entry, or None when there is nothing older.
    /// `current` is what the input holds now; it is kept as the draft on the first step.
    pub fn up(&mut self, current: &str) -> Option<String> {
        if self.entries.is_empty() {
            return None;
        }
        let next = match self.cursor {
            None => {
                self.draft = current.to_string();
                self.entries.len() - 1
            }
            Some(0) => return None,
            Some(i) => i - 1,
        };
        self.cursor = Some(next);
        Some(self.entries[next].clone())
    }

    /// Down: the next (newer) entry, or the draft after the newest; None when not walking.
    pub fn down(&mut self) -> Option<String> {
        let i = self.cursor?;
        if i + 1 < self.entries.len() {
            self.cursor = Some(i + 1);
            Some(self.entries[i + 1].clone())
        } else {
            self.cursor = None;
            Some(std::mem::take(&mut self.draft))
        }
    }

    /// Whether Up/Down are in the middle of a walk.
    pub fn walking(&self) -> bool {
        self.cursor.is_some()
    }

    /// The saved form: a version line, then one entry per line.
    pub fn serialize(&self) -> String {
        let mut out = String::from(HEADER);
        for e in self.entries.iter().filter(|e| e.len() <= MAX_SAVED_LINE) {
            out.push('\n');
            out.push_str(e);
        }
        out
    }

    /// Reads a saved form. Anything unexpected (another version, garbage, a huge value)
    /// gives an empty or trimmed history, never an error.
    pub fn parse(saved: &str) -> History {
        let mut lines = saved.split('\n');
        if lines.next() != Some(HEADER) {
            return History::new();
        }
        let mut h = History::new();
        for line in lines {
            let line = line.trim_end_matches('\r');
            if line.len() <= MAX_SAVED_LINE {
                h.add(line);
            }
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(lines: &[&str]) -> History {
        let mut h = History::new();
        for l in lines {
            h.add(l);
        }
        h
    }

    #[test]
    fn history_skips_blank_lines_and_repeats_of_the_last_entry() {
        let h = with(&["SET a 1", "SET a 1", "   ", "", "GET a", "SET a 1"]);
        assert_eq!(h.entries(), ["SET a 1", "GET a", "SET a 1"]);
    }

    #[test]
    fn history_up_and_down_walk_and_restore_the_draft() {
        let mut h = with(&["one", "two", "three"]);
        assert_eq!(h.down(), None, "down without a walk does nothing");
        assert_eq!(h.up("typing").as_deref(), Some("three"));
        assert_eq!(h.up("three").as_deref(), Some("two"));
        assert_eq!(h.up("two").as_deref(), Some("one"));
        assert_eq!(h.up("one"), None, "nothing older than the oldest");
        assert_eq!(h.down().as_deref(), Some("two"));
        assert_eq!(h.down().as_deref(), Some("three"));
        assert_eq!(
            h.down().as_deref(),
            Some("typing"),
            "past the newest: the draft"
        );
        assert!(!h.walking());
        assert_eq!(h.down(), None);
    }

    #[test]
    fn history_up_on_empty_history_does_nothing() {
        let mut h = History::new();
        assert_eq!(h.up("x"), None);
        assert!(!h.walking());
    }

    #[test]
    fn history_add_ends_the_walk() {
        let mut h = with(&["one", "two"]);
        h.up("");
        h.add("three");
        assert_eq!(h.up("").as_deref(), Some("three"));
    }

    #[test]
    fn history_is_capped_dropping_the_oldest() {
        let mut h = History::new();
        for i in 0..(HISTORY_CAP + 25) {
            h.add(&format!("INCR n{i}"));
        }
        assert_eq!(h.len(), HISTORY_CAP);
        assert_eq!(h.entries()[0], "INCR n25");
    }

    #[test]
    fn history_round_trips_through_its_saved_form() {
        let h = with(&["SET k \"a b\"", "GET k", "ECHO 'é'"]);
        let back = History::parse(&h.serialize());
        assert_eq!(back.entries(), h.entries());
    }

    #[test]
    fn history_parse_ignores_corrupt_or_foreign_values() {
        assert!(History::parse("").is_empty());
        assert!(History::parse("[\"json\", \"array\"]").is_empty());
        assert!(History::parse("redis-playground-history v0\nGET a").is_empty());
        let huge = format!("{HEADER}\n{}\nGET a", "x".repeat(MAX_SAVED_LINE + 1));
        assert_eq!(History::parse(&huge).entries(), ["GET a"]);
        let many: String = std::iter::once(HEADER.to_string())
            .chain((0..500).map(|i| format!("L{i}")))
            .collect::<Vec<_>>()
            .join("\n");
        let h = History::parse(&many);
        assert_eq!(h.len(), HISTORY_CAP);
        assert_eq!(h.entries().last().map(String::as_str), Some("L499"));
    }

    #[test]
    fn history_does_not_save_overlong_lines() {
        let long = "x".repeat(MAX_SAVED_LINE + 1);
        let h = with(&["GET a", &long]);
        assert_eq!(History::parse(&h.serialize()).entries(), ["GET a"]);
    }
}
