//! The value view's logic: which key is open and which page of it is shown, when to read
//! it again (an event names the key, its database was replaced, or the learner moved),
//! and the commands its buttons type into the console (they prefill, never run).
//! Reads go through `Engine::value_view`, one page at a time, so a 100k-element value
//! costs a page per read.

use redis_emulator::notify::Event;
use redis_emulator::observe::{ValueView, ValueWindow};
use redis_emulator::Engine;

use crate::keys::display_key;
use crate::streams::Reason;

/// Rows per page of a list, hash, set or sorted set.
pub const PAGE_ROWS: usize = 100;
/// Bytes of a string shown before "show all".
pub const STRING_PREVIEW: usize = 1024;
/// Bytes "show all" shows at most (the page's max bulk is 64 MB; a tab can't show that).
pub const STRING_MAX: usize = 1 << 20;

/// The open key and the page shown.
#[derive(Clone, Debug, Default)]
pub struct ValueWatch {
    open: Option<(usize, Vec<u8>)>,
    offset: usize,
    show_all: bool,
    /// The database's generation at the last read (FLUSHDB/SWAPDB report no event).
    generation: u64,
    /// The length at the last read, to clamp paging.
    length: usize,
    read_once: bool,
}

/// What the pane shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueShown {
    pub db: usize,
    pub key: Vec<u8>,
    /// None: the key no longer exists (deleted, expired, flushed).
    pub view: Option<ValueView>,
    /// A string is shown whole (up to `STRING_MAX`), not its first `STRING_PREVIEW` bytes.
    pub show_all: bool,
}

impl ValueWatch {
    pub fn open(&mut self, db: usize, key: &[u8]) {
        *self = ValueWatch {
            open: Some((db, key.to_vec())),
            ..ValueWatch::default()
        };
    }

    pub fn close(&mut self) {
        *self = ValueWatch::default();
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    pub fn next_page(&mut self) {
        if self.offset + PAGE_ROWS < self.length {
            self.offset += PAGE_ROWS;
        }
    }

    pub fn prev_page(&mut self) {
        self.offset = self.offset.saturating_sub(PAGE_ROWS);
    }

    pub fn first_page(&mut self) {
        self.offset = 0;
    }

    pub fn last_page(&mut self) {
        self.offset = self.length.saturating_sub(1) / PAGE_ROWS * PAGE_ROWS;
    }

    pub fn toggle_show_all(&mut self) {
        self.show_all = !self.show_all;
    }

    fn window(&self, type_is_string: bool) -> ValueWindow {
        match (type_is_string, self.show_all) {
            (true, true) => ValueWindow {
                offset: 0,
                count: STRING_MAX,
            },
            (true, false) => ValueWindow {
                offset: 0,
                count: STRING_PREVIEW,
            },
            (false, _) => ValueWindow {
                offset: self.offset,
                count: PAGE_ROWS,
            },
        }
    }

    /// Whether the open key must be read again: the learner moved, an event names it, or
    /// its database was replaced wholesale. Time alone changes nothing: the TTL counts
    /// down from the expiry time the view holds, and expiry is an event.
    pub fn needs_read(&self, engine: &Engine, events: &[Event], reason: Reason) -> bool {
        let Some((db, key)) = &self.open else {
            return false;
        };
        let generation = engine.db(*db).map_or(0, |d| d.generation());
        reason == Reason::Navigate
            || !self.read_once
            || generation != self.generation
            || events
                .iter()
                .any(|e| e.db == *db && e.key == *key && e.name != "keymiss")
    }

    /// Reads the open key's page; None if no key is open.
    pub fn read(&mut self, engine: &Engine) -> Option<ValueShown> {
        let (db, key) = self.open.clone()?;
        let is_string = engine
            .db(db)
            .and_then(|d| d.entry(&key))
            .is_some_and(|e| e.value.type_name() == "string");
        let mut view = engine.value_view(db, &key, self.window(is_string));
        // The value shrank under the page shown: show its last page.
        if let Some(v) = &view {
            if !is_string && v.offset > 0 && v.row_count() == 0 {
                self.offset = v.length.saturating_sub(1) / PAGE_ROWS * PAGE_ROWS;
                view = engine.value_view(db, &key, self.window(false));
            }
        }
        self.offset = view.as_ref().map_or(0, |v| v.offset);
        self.length = view.as_ref().map_or(0, |v| v.length);
        self.generation = engine.db(db).map_or(0, |d| d.generation());
        self.read_once = true;
        Some(ValueShown {
            db,
            key,
            view,
            show_all: self.show_all,
        })
    }
}

/// The buttons of the view's header: (label, command typed into the console).
pub fn header_commands(type_name: &str, key: &[u8]) -> Vec<(&'static str, String)> {
    let k = display_key(key);
    let mut out = match type_name {
        "string" => vec![
            ("GET", format!("GET {k}")),
            ("STRLEN", format!("STRLEN {k}")),
        ],
        "list" => vec![
            ("LRANGE", format!("LRANGE {k} 0 -1")),
            ("LLEN", format!("LLEN {k}")),
        ],
        "hash" => vec![
            ("HGETALL", format!("HGETALL {k}")),
            ("HLEN", format!("HLEN {k}")),
        ],
        "set" => vec![
            ("SMEMBERS", format!("SMEMBERS {k}")),
            ("SCARD", format!("SCARD {k}")),
        ],
        "zset" => vec![
            ("ZRANGE", format!("ZRANGE {k} 0 -1 WITHSCORES")),
            ("ZCARD", format!("ZCARD {k}")),
        ],
        _ => vec![("TYPE", format!("TYPE {k}"))],
    };
    out.push(("TTL", format!("TTL {k}")));
    out.push(("OBJECT ENCODING", format!("OBJECT ENCODING {k}")));
    out
}

/// The command a row's button types: the read of that one element.
pub fn row_command(type_name: &str, key: &[u8], index: usize, element: &[u8]) -> String {
    let k = display_key(key);
    let e = display_key(element);
    match type_name {
        "list" => format!("LINDEX {k} {index}"),
        "hash" => format!("HGET {k} {e}"),
        "set" => format!("SISMEMBER {k} {e}"),
        "zset" => format!("ZSCORE {k} {e}"),
        _ => format!("GET {k}"),
    }
}

/// Where `score` sits between `min` and `max`, in 0..=1, for the sorted set's score bar.
/// Equal bounds fill the bar; infinities sit at the ends.
pub fn score_fraction(score: f64, min: f64, max: f64) -> f64 {
    if score == f64::NEG_INFINITY {
        return 0.0;
    }
    if score == f64::INFINITY {
        return 1.0;
    }
    let span = max - min;
    if !span.is_finite() || span <= 0.0 {
        return if span.is_nan() || span <= 0.0 {
            1.0
        } else {
            0.5
        };
    }
    ((score - min) / span).clamp(0.0, 1.0)
}

/// A note on the order rows are shown in, where it is not the order the type's reading
/// command prints: a hashtable is paged in its storage order (see `observe::value`).
pub fn order_note(type_name: &str, encoding: &str) -> Option<&'static str> {
    match (type_name, encoding) {
        ("hash", "hashtable") => {
            Some("Fields in storage order; HGETALL may list them in another order.")
        }
        ("set", "hashtable") => {
            Some("Members in storage order; SMEMBERS may list them in another order.")
        }
        _ => None,
    }
}

/// A score as redis-cli prints it (`1.5`, `inf`, `-inf`).
pub fn format_score(score: f64) -> String {
    redis_emulator::fmt::fmt_double_reply(score)
}

/// A string value as redis-cli would print it: quoted, with escapes.
pub fn quoted(bytes: &[u8]) -> String {
    redis_emulator::cli::quote_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::testing::{argv, playground as setup};
    use crate::playground::Playground;
    use redis_emulator::observe::ValueRows;

    fn run(pg: &mut Playground, s: &str) {
        let r = pg.engine.execute(pg.client, &argv(s));
        assert!(!r.is_error(), "{s}: {r:?}");
        while pg.engine.continue_script() {}
    }

    #[test]
    fn values_page_through_a_big_list_and_follow_its_events() {
        let (mut pg, _) = setup();
        pg.engine.set_event_log(true);
        run(
            &mut pg,
            "EVAL \"for i=0,249 do redis.call('RPUSH','l',i) end\" 0",
        );
        pg.engine.take_events();
        let mut w = ValueWatch::default();
        assert!(
            !w.needs_read(&pg.engine, &[], Reason::Command),
            "nothing open"
        );
        w.open(0, b"l");
        assert!(w.needs_read(&pg.engine, &[], Reason::Command), "first read");
        let s = w.read(&pg.engine).expect("open");
        let v = s.view.expect("a list");
        assert_eq!((v.offset, v.row_count(), v.length), (0, PAGE_ROWS, 250));
        w.next_page();
        w.next_page();
        w.next_page();
        let v = w.read(&pg.engine).and_then(|s| s.view).expect("a list");
        assert_eq!((v.offset, v.row_count()), (200, 50), "the last page stays");
        w.first_page();
        assert_eq!(
            w.read(&pg.engine).and_then(|s| s.view).map(|v| v.offset),
            Some(0)
        );
        w.last_page();
        assert_eq!(
            w.read(&pg.engine).and_then(|s| s.view).map(|v| v.offset),
            Some(200)
        );
        assert!(!w.needs_read(&pg.engine, &[], Reason::Tick));
        run(&mut pg, "SET other x");
        let events = pg.engine.take_events();
        assert!(
            !w.needs_read(&pg.engine, &events, Reason::Command),
            "another key"
        );
        run(&mut pg, "LTRIM l 0 9");
        let events = pg.engine.take_events();
        assert!(w.needs_read(&pg.engine, &events, Reason::Command));
        let v = w.read(&pg.engine).and_then(|s| s.view).expect("a list");
        assert_eq!(
            (v.offset, v.row_count()),
            (0, 10),
            "shrunk: back to its last page"
        );
        run(&mut pg, "FLUSHDB");
        let events = pg.engine.take_events();
        assert!(
            w.needs_read(&pg.engine, &events, Reason::Command),
            "flushed"
        );
        assert_eq!(w.read(&pg.engine).map(|s| s.view), Some(None), "gone");
    }

    #[test]
    fn values_strings_show_a_preview_then_all() {
        let (mut pg, _) = setup();
        run(&mut pg, &format!("SET big {}", "x".repeat(5000)));
        let mut w = ValueWatch::default();
        w.open(0, b"big");
        let v = w.read(&pg.engine).and_then(|s| s.view).expect("a string");
        assert_eq!((v.length, v.row_count()), (5000, STRING_PREVIEW));
        w.toggle_show_all();
        let s = w.read(&pg.engine).expect("open");
        assert!(s.show_all);
        assert_eq!(
            s.view.map(|v| v.rows),
            Some(ValueRows::String(vec![b'x'; 5000]))
        );
    }

    #[test]
    fn values_commands_read_back_the_same_key_and_element() {
        for (t, cmd) in [
            ("hash", "HGETALL"),
            ("list", "LRANGE"),
            ("set", "SMEMBERS"),
            ("zset", "ZRANGE"),
            ("string", "GET"),
        ] {
            let cmds = header_commands(t, b"my key");
            assert_eq!(
                argv(&cmds[0].1)[..2],
                [cmd.as_bytes().to_vec(), b"my key".to_vec()]
            );
            assert!(cmds.iter().any(|(l, _)| *l == "TTL"));
        }
        assert_eq!(
            argv(&row_command("hash", b"h", 3, b"a field")),
            [b"HGET".to_vec(), b"h".to_vec(), b"a field".to_vec()]
        );
        assert_eq!(row_command("list", b"l", 42, b"x"), "LINDEX l 42");
        assert_eq!(row_command("zset", b"z", 0, b"m"), "ZSCORE z m");
        assert_eq!(row_command("set", b"s", 0, b"m"), "SISMEMBER s m");
    }

    #[test]
    fn values_score_bars_span_min_to_max() {
        assert_eq!(score_fraction(5.0, 0.0, 10.0), 0.5);
        assert_eq!(score_fraction(0.0, 0.0, 10.0), 0.0);
        assert_eq!(
            score_fraction(3.0, 3.0, 3.0),
            1.0,
            "one score fills the bar"
        );
        assert_eq!(
            score_fraction(f64::NEG_INFINITY, f64::NEG_INFINITY, 3.0),
            0.0
        );
        assert_eq!(score_fraction(f64::INFINITY, 0.0, f64::INFINITY), 1.0);
        assert_eq!(score_fraction(2.0, f64::NEG_INFINITY, f64::INFINITY), 0.5);
        assert_eq!(format_score(1.5), "1.5");
    }
}
