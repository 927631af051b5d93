//! The key browser's state: the database shown, its model (`keyspace::Keyspace`), the
//! filter, tree or flat layout, open folders, the active row, and the rows of the
//! flattened tree. The pane renders only a window of those rows (`keyspace::window`),
//! built here as plain `RowView`s so the component stays thin.
//!
//! The database shown follows the console's: when the console SELECTs another database
//! the browser shows it; picking a database in the browser shows it without SELECTing it
//! for the console, until the console selects another one.

use std::collections::HashSet;

use redis_emulator::notify::Event;
use redis_emulator::Engine;

use crate::keys::{display_key, format_size, format_ttl};
use crate::keyspace::{lines, matching_count, Filter, Keyspace, Line, Sync};

/// Everything the key browser knows.
#[derive(Clone, Debug, Default)]
pub struct Browser {
    pub ks: Keyspace,
    pub filter: Filter,
    /// The flat list instead of the tree.
    pub flat: bool,
    /// Open folders (their prefixes, with the trailing separator).
    pub expanded: HashSet<Vec<u8>>,
    /// The rows of the tree (or list) as shown.
    pub lines: Vec<Line>,
    /// Keys matching the filter.
    pub matching: usize,
    /// The row the keyboard is on.
    pub active: usize,
    /// Keys in each database, for the selector.
    pub db_sizes: Vec<usize>,
    /// The console's database when last seen.
    console_db: Option<usize>,
    /// How the last refresh updated the model (for the report and tests).
    pub last_sync: Option<Sync>,
    /// The list's scroll position, restored when the learner comes back from a view.
    pub scroll_top: i32,
}

/// One rendered row.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RowView {
    /// Position in `Browser::lines`.
    pub index: usize,
    pub path: Vec<u8>,
    /// 1-based, as aria-level wants.
    pub level: usize,
    pub label: String,
    /// For a folder: (keys under it, open).
    pub folder: Option<(usize, bool)>,
    pub type_name: &'static str,
    pub encoding: &'static str,
    pub length: usize,
    pub ttl: Option<String>,
    pub size: String,
    pub active: bool,
}

impl Browser {
    pub fn db(&self) -> usize {
        self.ks.db()
    }

    /// After a command or time passing: follows the console's database, applies the
    /// events to the model and re-lists the rows if anything shown changed. True if so.
    pub fn refresh(&mut self, engine: &Engine, console_db: usize, events: &[Event]) -> bool {
        let mut changed = false;
        if self.console_db != Some(console_db) {
            self.console_db = Some(console_db);
            self.ks.show(console_db);
            changed = true;
        }
        let sync = self.ks.sync(engine, events);
        self.last_sync = Some(sync);
        changed |= sync != Sync::Unchanged;
        let sizes: Vec<usize> = (0..).map_while(|i| engine.db(i)).map(|d| d.len()).collect();
        if sizes != self.db_sizes {
            self.db_sizes = sizes;
            changed = true;
        }
        if changed {
            self.relist();
        }
        changed
    }

    /// Shows database `db` (not SELECTed for the console).
    pub fn show_db(&mut self, engine: &Engine, db: usize) {
        self.ks.show(db);
        self.ks.sync(engine, &[]);
        self.active = 0;
        self.relist();
    }

    /// Lists the rows again from the model.
    pub fn relist(&mut self) {
        self.lines = lines(&self.ks, &self.filter, self.flat, &self.expanded);
        self.matching = matching_count(&self.ks, &self.filter);
        self.active = self.active.min(self.lines.len().saturating_sub(1));
    }

    /// Opens or closes the folder `path`, keeping the keyboard on it.
    pub fn toggle(&mut self, path: &[u8]) {
        if !self.expanded.remove(path) {
            self.expanded.insert(path.to_vec());
        }
        self.relist();
        if let Some(i) = self.lines.iter().position(|l| l.path == path) {
            self.active = i;
        }
    }

    pub fn set_pattern(&mut self, pattern: &str) {
        self.filter.pattern = pattern.to_string();
        self.relist();
    }

    pub fn set_type(&mut self, type_name: Option<&'static str>) {
        self.filter.type_name = type_name;
        self.relist();
    }

    pub fn set_flat(&mut self, flat: bool) {
        self.flat = flat;
        self.relist();
    }

    /// The rows `start..end` as the pane shows them at `now_ms`.
    pub fn rows(&self, start: usize, end: usize, now_ms: i64) -> Vec<RowView> {
        let end = end.min(self.lines.len());
        let start = start.min(end);
        self.lines[start..end]
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let index = start + i;
                let info = self.ks.get(&line.path);
                RowView {
                    index,
                    path: line.path.clone(),
                    level: line.depth + 1,
                    label: display_key(line.label(self.flat)),
                    folder: line.folder.map(|n| (n, self.expanded.contains(&line.path))),
                    type_name: info.map_or("", |i| i.type_name),
                    encoding: info.map_or("", |i| i.encoding),
                    length: info.map_or(0, |i| i.length),
                    ttl: info
                        .and_then(|i| i.expire_at)
                        .map(|t| format_ttl(t - now_ms)),
                    size: info.map_or(String::new(), |i| format_size(i.size)),
                    active: index == self.active,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::testing::{argv, playground as setup};
    use crate::playground::Playground;

    fn run(pg: &mut Playground, s: &str) {
        let r = pg.engine.execute(pg.client, &argv(s));
        assert!(!r.is_error(), "{s}: {r:?}");
    }

    fn labels(b: &Browser) -> Vec<String> {
        b.rows(0, usize::MAX, 0)
            .into_iter()
            .map(|r| r.label)
            .collect()
    }

    #[test]
    fn browser_follows_the_console_db_until_another_is_picked() {
        let (mut pg, _) = setup();
        pg.engine.set_event_log(true);
        run(&mut pg, "SET a:1 v");
        let mut b = Browser::default();
        assert!(b.refresh(&pg.engine, 0, &[]));
        assert_eq!(labels(&b), ["a"]);
        assert_eq!(b.db_sizes.len(), 16);
        assert_eq!(b.db_sizes[0], 1);
        run(&mut pg, "SELECT 2");
        run(&mut pg, "SET other v");
        let events = pg.engine.take_events();
        assert!(b.refresh(&pg.engine, 2, &events));
        assert_eq!((b.db(), labels(&b)), (2, vec!["other".to_string()]));
        b.show_db(&pg.engine, 0);
        assert_eq!(labels(&b), ["a"]);
        assert!(!b.refresh(&pg.engine, 2, &[]), "the console stayed on db 2");
        assert_eq!(b.db(), 0);
    }

    #[test]
    fn browser_rows_carry_type_ttl_level_and_folder_state() {
        let (mut pg, _) = setup();
        pg.engine.set_event_log(true);
        run(&mut pg, "HSET user:1 name ann");
        run(&mut pg, "SET user:2 x EX 100");
        run(&mut pg, "SET \"odd key\" v");
        let mut b = Browser::default();
        b.refresh(&pg.engine, 0, &[]);
        b.toggle(b"user:");
        let now = pg.engine.now_ms();
        let rows = b.rows(0, 10, now);
        /// (label, level, folder, type) of a row.
        type Shown<'a> = (String, usize, Option<(usize, bool)>, &'a str);
        let got: Vec<Shown> = rows
            .iter()
            .map(|r| (r.label.clone(), r.level, r.folder, r.type_name))
            .collect();
        assert_eq!(
            got,
            [
                ("\"odd key\"".to_string(), 1, None, "string"),
                ("user".to_string(), 1, Some((2, true)), ""),
                ("1".to_string(), 2, None, "hash"),
                ("2".to_string(), 2, None, "string"),
            ]
        );
        assert_eq!(rows[3].ttl.as_deref(), Some("1m 40s"));
        assert_eq!(b.active, 1, "the keyboard stays on the folder it toggled");
        b.set_type(Some("hash"));
        assert_eq!(labels(&b), ["user", "1"]);
        b.set_flat(true);
        assert_eq!(labels(&b), ["user:1"]);
        b.set_type(None);
        b.set_pattern("user:*");
        assert_eq!((labels(&b).len(), b.matching), (2, 2));
    }
}
