//! The key browser's model of one database: every key with its type, encoding, length,
//! size and expiry, in key order, plus the tree that groups keys by `:` and the window of
//! rows a virtualised list shows.
//!
//! Why a model instead of re-reading the database: with 10k keys a full read per command
//! costs 10k lookups and string copies; here the model is built once when a database is
//! shown, then each change event (`AppCtx::refresh` drains them once for every view) makes
//! it re-read just the key it names. It observes the engine (`Engine::db` lookups), never
//! changes data.
//!
//! Some changes report no per-key event, as in Redis: FLUSHDB, FLUSHALL and SWAPDB (the
//! database's `generation` moves instead), and any writer that moves the dirty counter
//! without an event. Those, a model whose key count drifted from the database's, and an
//! event log that overflowed, make the model read the database again (`Sync::Rebuilt`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;

use redis_emulator::glob::glob_match;
use redis_emulator::notify::{Event, MAX_LOGGED_EVENTS};
use redis_emulator::observe::value_length;
use redis_emulator::Engine;

/// The separator that groups keys into folders.
pub const SEPARATOR: u8 = b':';

/// The types a learner can filter on, in the order the filter lists them.
pub const TYPES: [&str; 6] = ["string", "list", "hash", "set", "zset", "stream"];

/// What the browser shows of one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyInfo {
    pub type_name: &'static str,
    pub encoding: &'static str,
    /// Elements (STRLEN for a string).
    pub length: usize,
    /// Approximate bytes of the value and the key's name.
    pub size: usize,
    /// Absolute expiry time in Unix milliseconds, if the key has a TTL.
    pub expire_at: Option<i64>,
}

/// How the last `sync` brought the model up to date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sync {
    /// Nothing of this database changed.
    Unchanged,
    /// Only the keys the events named were read again: this many.
    Updated(usize),
    /// The whole database was read again.
    Rebuilt,
}

/// The keys of one database, kept up to date from change events.
#[derive(Clone, Debug, Default)]
pub struct Keyspace {
    db: usize,
    keys: BTreeMap<Vec<u8>, KeyInfo>,
    /// Keys under each folder prefix (`user:`, `user:1:`), for the tree's counts.
    folders: HashMap<Vec<u8>, usize>,
    built: bool,
    /// The database's generation and the engine's dirty counter at the last sync.
    generation: u64,
    dirty: u64,
}

/// Reads one key's info, as the engine holds it (a key past its TTL that nobody removed
/// yet is still there; active expiry removes it within a second and reports it).
fn read_info(engine: &Engine, db: usize, key: &[u8]) -> Option<KeyInfo> {
    let e = engine.db(db)?.entry(key)?;
    Some(KeyInfo {
        type_name: e.value.type_name(),
        encoding: e.value.encoding_name(),
        length: value_length(&e.value),
        size: e.value.approx_memory() + key.len(),
        expire_at: e.expire_at,
    })
}

/// The folder prefixes of `key`: `a:b:c` is under `a:` and `a:b:`.
fn prefixes(key: &[u8]) -> impl Iterator<Item = &[u8]> {
    key.iter()
        .enumerate()
        .filter(|(_, &c)| c == SEPARATOR)
        .map(move |(i, _)| &key[..=i])
}

/// The smallest byte string after every string that starts with `prefix` (which ends
/// with the separator): the separator's last byte plus one.
fn after_prefix(prefix: &[u8]) -> Vec<u8> {
    let mut v = prefix.to_vec();
    if let Some(last) = v.last_mut() {
        *last = last.saturating_add(1);
    }
    v
}

impl Keyspace {
    pub fn db(&self) -> usize {
        self.db
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn get(&self, key: &[u8]) -> Option<&KeyInfo> {
        self.keys.get(key)
    }

    /// Keys under the folder `prefix` (ending with the separator).
    pub fn folder_count(&self, prefix: &[u8]) -> usize {
        self.folders.get(prefix).copied().unwrap_or(0)
    }

    /// Shows database `db`: the next `sync` reads it whole.
    pub fn show(&mut self, db: usize) {
        if db != self.db || !self.built {
            *self = Keyspace {
                db,
                ..Keyspace::default()
            };
        }
    }

    /// Reads the whole database again.
    pub fn rebuild(&mut self, engine: &Engine) {
        self.keys.clear();
        self.folders.clear();
        if let Some(d) = engine.db(self.db) {
            for (k, _) in d.iter() {
                if let Some(info) = read_info(engine, self.db, k) {
                    self.insert(k, info);
                }
            }
            self.generation = d.generation();
        }
        self.dirty = engine.dirty_count();
        self.built = true;
    }

    fn insert(&mut self, key: &[u8], info: KeyInfo) {
        if self.keys.insert(key.to_vec(), info).is_none() {
            for p in prefixes(key) {
                *self.folders.entry(p.to_vec()).or_insert(0) += 1;
            }
        }
    }

    fn remove(&mut self, key: &[u8]) {
        if self.keys.remove(key).is_some() {
            for p in prefixes(key) {
                if let Some(n) = self.folders.get_mut(p) {
                    *n -= 1;
                    if *n == 0 {
                        self.folders.remove(p);
                    }
                }
            }
        }
    }

    /// Brings the model up to date after `events` (all the events since the last sync,
    /// of every database): re-reads each key of this database they name, or the whole
    /// database when the events cannot tell what changed (see the module documentation).
    pub fn sync(&mut self, engine: &Engine, events: &[Event]) -> Sync {
        let Some(d) = engine.db(self.db) else {
            return Sync::Unchanged;
        };
        let dirty = engine.dirty_count();
        // FLUSHDB/FLUSHALL/SWAPDB: no per-key events, the generation moved.
        let replaced = d.generation() != self.generation;
        // Events were dropped: the log keeps at most MAX_LOGGED_EVENTS.
        let overflowed = events.len() >= MAX_LOGGED_EVENTS;
        // A write that reported nothing (the safety net for any writer without events).
        let silent_write = dirty != self.dirty && events.is_empty();
        if !self.built || replaced || overflowed || silent_write {
            self.rebuild(engine);
            return Sync::Rebuilt;
        }
        self.dirty = dirty;
        let mut seen: HashSet<&[u8]> = HashSet::new();
        for e in events {
            // A read of a missing key changes nothing.
            if e.db != self.db || e.name == "keymiss" || !seen.insert(&e.key) {
                continue;
            }
            // Whatever the event (set, del, expired, rename_from, move_to...), the key
            // now is what the database holds.
            match read_info(engine, self.db, &e.key) {
                Some(info) => self.insert(&e.key, info),
                None => self.remove(&e.key),
            }
        }
        if self.keys.len() != d.len() {
            // Something changed this database without an event: read it whole.
            self.rebuild(engine);
            return Sync::Rebuilt;
        }
        if seen.is_empty() {
            Sync::Unchanged
        } else {
            Sync::Updated(seen.len())
        }
    }
}

/// What the browser filters on: a glob pattern (empty = every key) and a type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub pattern: String,
    /// One of `TYPES`, or None for every type.
    pub type_name: Option<&'static str>,
}

impl Filter {
    pub fn is_active(&self) -> bool {
        !self.pattern.trim().is_empty() || self.type_name.is_some()
    }

    pub fn matches(&self, key: &[u8], info: &KeyInfo) -> bool {
        let pattern = self.pattern.trim();
        self.type_name.is_none_or(|t| t == info.type_name)
            && (pattern.is_empty() || glob_match(pattern.as_bytes(), key, false))
    }
}

/// One row of the flattened tree (or of the flat list).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Line {
    /// The key, or the folder's prefix with its trailing separator.
    pub path: Vec<u8>,
    /// 0 for the top level.
    pub depth: usize,
    /// For a folder: the keys (matching the filter) under it.
    pub folder: Option<usize>,
}

impl Line {
    pub fn is_folder(&self) -> bool {
        self.folder.is_some()
    }

    /// What the row shows: the last segment in the tree, the whole key in the flat list.
    pub fn label(&self, flat: bool) -> &[u8] {
        if flat {
            return &self.path;
        }
        let body = if self.is_folder() {
            &self.path[..self.path.len().saturating_sub(1)]
        } else {
            &self.path[..]
        };
        match body.iter().rposition(|&c| c == SEPARATOR) {
            Some(i) => &body[i + 1..],
            None => body,
        }
    }

    /// The folder holding this row (None at the top level).
    pub fn parent(&self) -> Option<&[u8]> {
        let body = if self.is_folder() {
            &self.path[..self.path.len().saturating_sub(1)]
        } else {
            &self.path[..]
        };
        body.iter()
            .rposition(|&c| c == SEPARATOR)
            .map(|i| &self.path[..=i])
    }
}

/// The keys in order, as the tree walk needs them: the first key from a bound, and how
/// many keys a folder holds.
trait SortedKeys {
    fn first_from(&self, from: Bound<&[u8]>) -> Option<&[u8]>;
    fn count_under(&self, prefix: &[u8]) -> usize;
}

impl SortedKeys for Keyspace {
    fn first_from(&self, from: Bound<&[u8]>) -> Option<&[u8]> {
        self.keys
            .range::<[u8], _>((from, Bound::Unbounded))
            .next()
            .map(|(k, _)| k.as_slice())
    }
    fn count_under(&self, prefix: &[u8]) -> usize {
        self.folder_count(prefix)
    }
}

/// The keys matching a filter, sorted.
struct Matching<'a>(Vec<&'a [u8]>);

impl SortedKeys for Matching<'_> {
    fn first_from(&self, from: Bound<&[u8]>) -> Option<&[u8]> {
        let i = match from {
            Bound::Included(k) => self.0.partition_point(|x| *x < k),
            Bound::Excluded(k) => self.0.partition_point(|x| *x <= k),
            Bound::Unbounded => 0,
        };
        self.0.get(i).copied()
    }
    fn count_under(&self, prefix: &[u8]) -> usize {
        let end = after_prefix(prefix);
        self.0.partition_point(|x| *x < end.as_slice()) - self.0.partition_point(|x| *x < prefix)
    }
}

/// Walks the folder `prefix`: its keys and subfolders in key order, into `out`; expanded
/// subfolders recursively. A collapsed folder costs one range lookup, so the walk costs
/// the rows it produces (times log n), not the keys under collapsed folders.
fn walk(
    keys: &impl SortedKeys,
    prefix: &[u8],
    depth: usize,
    expanded: &HashSet<Vec<u8>>,
    out: &mut Vec<Line>,
) {
    let mut from: Vec<u8> = prefix.to_vec();
    let mut inclusive = true;
    loop {
        let bound = if inclusive {
            Bound::Included(from.as_slice())
        } else {
            Bound::Excluded(from.as_slice())
        };
        let Some(key) = keys.first_from(bound) else {
            return;
        };
        if !key.starts_with(prefix) {
            return;
        }
        let rest = &key[prefix.len()..];
        match rest.iter().position(|&c| c == SEPARATOR) {
            Some(i) => {
                let folder = key[..prefix.len() + i + 1].to_vec();
                out.push(Line {
                    path: folder.clone(),
                    depth,
                    folder: Some(keys.count_under(&folder)),
                });
                if expanded.contains(&folder) {
                    walk(keys, &folder, depth + 1, expanded, out);
                }
                from = after_prefix(&folder);
                inclusive = true;
            }
            None => {
                out.push(Line {
                    path: key.to_vec(),
                    depth,
                    folder: None,
                });
                from = key.to_vec();
                inclusive = false;
            }
        }
    }
}

/// The rows the browser lists: the tree (folders expanded as `expanded` says) or the flat
/// list, of the keys matching `filter`. Without a filter the tree walk costs the rows
/// shown; with one, every key is tested once.
pub fn lines(ks: &Keyspace, filter: &Filter, flat: bool, expanded: &HashSet<Vec<u8>>) -> Vec<Line> {
    let mut out = Vec::new();
    if flat {
        out.extend(
            ks.keys
                .iter()
                .filter(|(k, info)| filter.matches(k, info))
                .map(|(k, _)| Line {
                    path: k.clone(),
                    depth: 0,
                    folder: None,
                }),
        );
    } else if filter.is_active() {
        let matching = Matching(
            ks.keys
                .iter()
                .filter(|(k, info)| filter.matches(k, info))
                .map(|(k, _)| k.as_slice())
                .collect(),
        );
        walk(&matching, b"", 0, expanded, &mut out);
    } else {
        walk(ks, b"", 0, expanded, &mut out);
    }
    out
}

/// Keys matching `filter` (the header's "12 of 10000").
pub fn matching_count(ks: &Keyspace, filter: &Filter) -> usize {
    if filter.is_active() {
        ks.keys.iter().filter(|(k, i)| filter.matches(k, i)).count()
    } else {
        ks.len()
    }
}

/// The rows `start..end` a virtualised list renders: those in the viewport plus
/// `overscan` on each side, for `total` rows of `row_height` pixels.
pub fn window(
    scroll_top: f64,
    viewport: f64,
    row_height: f64,
    total: usize,
    overscan: usize,
) -> (usize, usize) {
    if row_height <= 0.0 || total == 0 {
        return (0, 0);
    }
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let shown = (viewport.max(0.0) / row_height).ceil() as usize + 1;
    let start = first.saturating_sub(overscan).min(total);
    let end = first
        .saturating_add(shown)
        .saturating_add(overscan)
        .min(total);
    (start, end.max(start))
}

/// What a key press does in the tree (WAI-ARIA tree view pattern).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TreeAction {
    /// Make row `i` the active one.
    Focus(usize),
    /// Expand or collapse the folder at this prefix.
    Toggle(Vec<u8>),
    /// Open the key's view.
    Open(Vec<u8>),
    None,
}

/// The action of `key` (a `KeyboardEvent.key`) on the row `active` of `lines`, where
/// `expanded` says which folders are open.
pub fn tree_key(
    lines: &[Line],
    active: usize,
    key: &str,
    expanded: &HashSet<Vec<u8>>,
) -> TreeAction {
    let Some(line) = lines.get(active) else {
        return match lines.is_empty() {
            true => TreeAction::None,
            false => TreeAction::Focus(0),
        };
    };
    let open = expanded.contains(&line.path);
    match key {
        "ArrowDown" if active + 1 < lines.len() => TreeAction::Focus(active + 1),
        "ArrowUp" if active > 0 => TreeAction::Focus(active - 1),
        "Home" => TreeAction::Focus(0),
        "End" => TreeAction::Focus(lines.len() - 1),
        "ArrowRight" if line.is_folder() && !open => TreeAction::Toggle(line.path.clone()),
        "ArrowRight" if line.is_folder() && active + 1 < lines.len() => {
            TreeAction::Focus(active + 1)
        }
        "ArrowLeft" if line.is_folder() && open => TreeAction::Toggle(line.path.clone()),
        "ArrowLeft" => match line.parent() {
            Some(parent) => lines[..active]
                .iter()
                .rposition(|l| l.path == parent)
                .map_or(TreeAction::None, TreeAction::Focus),
            None => TreeAction::None,
        },
        "Enter" | " " if line.is_folder() => TreeAction::Toggle(line.path.clone()),
        "Enter" => TreeAction::Open(line.path.clone()),
        _ => TreeAction::None,
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
        // A script runs in slices: let it finish, as the page's ticks do.
        while pg.engine.continue_script() {}
    }

    fn model(pg: &mut Playground) -> Keyspace {
        pg.engine.set_event_log(true);
        let mut ks = Keyspace::default();
        ks.show(0);
        assert_eq!(ks.sync(&pg.engine, &[]), Sync::Rebuilt, "built once");
        ks
    }

    /// A fresh read of database 0, to compare the incrementally kept model with.
    fn fresh(pg: &Playground) -> Vec<(Vec<u8>, KeyInfo)> {
        let mut ks = Keyspace::default();
        ks.rebuild(&pg.engine);
        ks.keys.into_iter().collect()
    }

    fn step(pg: &mut Playground, ks: &mut Keyspace, cmd: &str) -> Sync {
        run(pg, cmd);
        let events = pg.engine.take_events();
        let s = ks.sync(&pg.engine, &events);
        assert_eq!(
            ks.keys.clone().into_iter().collect::<Vec<_>>(),
            fresh(pg),
            "after {cmd}"
        );
        s
    }

    fn text(lines: &[Line], flat: bool) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                let label = String::from_utf8_lossy(l.label(flat)).into_owned();
                match l.folder {
                    Some(n) => format!("{}{label}/ ({n})", "  ".repeat(l.depth)),
                    None => format!("{}{label}", "  ".repeat(l.depth)),
                }
            })
            .collect()
    }

    fn set(paths: &[&str]) -> HashSet<Vec<u8>> {
        paths.iter().map(|p| p.as_bytes().to_vec()).collect()
    }

    #[test]
    fn keyspace_groups_keys_into_a_tree_by_colon() {
        let (mut pg, _) = setup();
        for k in [
            "user:1:name",
            "user:1:email",
            "user:2:name",
            "user",
            "session:9",
            "plain",
            "a::b",
        ] {
            run(&mut pg, &format!("SET {k} x"));
        }
        let ks = model(&mut pg);
        let none = HashSet::new();
        let all = Filter::default();
        assert_eq!(
            text(&lines(&ks, &all, false, &none), false),
            ["a/ (1)", "plain", "session/ (1)", "user", "user/ (3)"]
        );
        let open = set(&["user:", "user:1:", "a:", "a::"]);
        assert_eq!(
            text(&lines(&ks, &all, false, &open), false),
            [
                "a/ (1)",
                "  / (1)",
                "    b",
                "plain",
                "session/ (1)",
                "user",
                "user/ (3)",
                "  1/ (2)",
                "    email",
                "    name",
                "  2/ (1)"
            ]
        );
        assert_eq!(lines(&ks, &all, true, &none).len(), 7, "the flat list");
        assert_eq!(
            text(&lines(&ks, &all, true, &none), true)[0],
            "a::b",
            "flat rows show whole keys"
        );
        let l = &lines(&ks, &all, false, &open)[7];
        assert_eq!(
            (l.path.as_slice(), l.parent()),
            (&b"user:1:"[..], Some(&b"user:"[..]))
        );
    }

    #[test]
    fn keyspace_filters_by_pattern_and_type_with_matching_counts() {
        let (mut pg, _) = setup();
        run(&mut pg, "SET user:1:name ann");
        run(&mut pg, "HSET user:1:profile age 3");
        run(&mut pg, "HSET user:2:profile age 4");
        run(&mut pg, "RPUSH queue:jobs a");
        let ks = model(&mut pg);
        let open = set(&["user:", "user:1:", "user:2:"]);
        let hashes = Filter {
            pattern: String::new(),
            type_name: Some("hash"),
        };
        assert_eq!(
            text(&lines(&ks, &hashes, false, &open), false),
            [
                "user/ (2)",
                "  1/ (1)",
                "    profile",
                "  2/ (1)",
                "    profile"
            ]
        );
        assert_eq!(matching_count(&ks, &hashes), 2);
        let by_pattern = Filter {
            pattern: "*:1:*".into(),
            type_name: None,
        };
        assert_eq!(
            text(&lines(&ks, &by_pattern, true, &open), true),
            ["user:1:name", "user:1:profile"]
        );
        let both = Filter {
            pattern: "queue*".into(),
            type_name: Some("hash"),
        };
        assert!(lines(&ks, &both, false, &open).is_empty());
        assert_eq!(
            matching_count(
                &ks,
                &Filter {
                    pattern: "[".into(),
                    type_name: None
                }
            ),
            0,
            "a broken pattern matches nothing"
        );
    }

    #[test]
    fn keyspace_follows_events_one_key_at_a_time() {
        let (mut pg, clock) = setup();
        run(&mut pg, "SET a 1");
        let mut ks = model(&mut pg);
        assert_eq!(step(&mut pg, &mut ks, "RPUSH l x y z"), Sync::Updated(1));
        assert_eq!(
            ks.get(b"l").map(|i| (i.type_name, i.length)),
            Some(("list", 3))
        );
        assert_eq!(step(&mut pg, &mut ks, "LPOP l"), Sync::Updated(1));
        assert_eq!(ks.get(b"l").map(|i| i.length), Some(2));
        assert_eq!(step(&mut pg, &mut ks, "RENAME l m:n"), Sync::Updated(2));
        assert_eq!(ks.folder_count(b"m:"), 1);
        assert_eq!(step(&mut pg, &mut ks, "DEL m:n"), Sync::Updated(1));
        assert_eq!(ks.folder_count(b"m:"), 0, "an emptied folder goes");
        assert_eq!(step(&mut pg, &mut ks, "EXPIRE a 10"), Sync::Updated(1));
        assert!(ks.get(b"a").is_some_and(|i| i.expire_at.is_some()));
        assert_eq!(step(&mut pg, &mut ks, "GET nosuch"), Sync::Unchanged);
        clock.advance_ms(11_000);
        assert_eq!(pg.engine.active_expire(100), 1);
        let events = pg.engine.take_events();
        assert_eq!(ks.sync(&pg.engine, &events), Sync::Updated(1), "expired");
        assert!(ks.is_empty());
        // Another database's keys are not this model's.
        run(&mut pg, "SELECT 1");
        assert_eq!(step(&mut pg, &mut ks, "SET other v"), Sync::Unchanged);
        assert_eq!(step(&mut pg, &mut ks, "MOVE other 0"), Sync::Updated(1));
        assert!(ks.get(b"other").is_some(), "moved into the shown db");
    }

    #[test]
    fn keyspace_rebuilds_on_changes_without_per_key_events() {
        let (mut pg, _) = setup();
        for k in ["a", "b", "c"] {
            run(&mut pg, &format!("SET {k} v"));
        }
        let mut ks = model(&mut pg);
        assert_eq!(step(&mut pg, &mut ks, "FLUSHDB"), Sync::Rebuilt);
        assert!(ks.is_empty());
        run(&mut pg, "SELECT 3");
        assert_eq!(step(&mut pg, &mut ks, "SET x v"), Sync::Unchanged);
        assert_eq!(step(&mut pg, &mut ks, "SWAPDB 0 3"), Sync::Rebuilt);
        assert_eq!(ks.len(), 1, "db 3's key is now in db 0");
        assert_eq!(step(&mut pg, &mut ks, "FLUSHALL"), Sync::Rebuilt);
        assert!(ks.is_empty());
        // A script's writes are events like any other.
        assert_eq!(
            step(
                &mut pg,
                &mut ks,
                "EVAL \"redis.call('SET','s1','1') redis.call('SET','s2','2')\" 0"
            ),
            Sync::Unchanged,
            "the script wrote db 3: its events name nothing of db 0"
        );
    }

    #[test]
    fn keyspace_update_touches_only_changed_keys_among_many() {
        let (mut pg, _) = setup();
        run(
            &mut pg,
            "EVAL \"for i=1,10000 do redis.call('SET','user:'..i..':name','x') end\" 0",
        );
        let mut ks = model(&mut pg);
        assert_eq!(ks.len(), 10_000);
        assert_eq!(ks.folder_count(b"user:"), 10_000);
        assert_eq!(
            step(&mut pg, &mut ks, "HSET user:5:profile a 1"),
            Sync::Updated(1)
        );
        assert_eq!(
            step(&mut pg, &mut ks, "DEL user:7:name user:8:name"),
            Sync::Updated(2)
        );
        assert_eq!(ks.folder_count(b"user:"), 9_999);
        // Collapsed, the tree walk yields one row; expanded, one per child folder.
        let none = HashSet::new();
        assert_eq!(lines(&ks, &Filter::default(), false, &none).len(), 1);
        let open = set(&["user:"]);
        let l = lines(&ks, &Filter::default(), false, &open);
        let names: HashSet<&[u8]> = l.iter().map(|l| l.path.as_slice()).collect();
        assert_eq!(names.len(), l.len(), "no row twice");
        assert_eq!(l.len(), 9_999, "the folder and one row per child folder");
    }

    /// The costs the report quotes (`cargo test -p redis-playground --lib keyspace_costs
    /// -- --nocapture`): a full read against an update from one event, with 10k keys.
    #[test]
    fn keyspace_costs_an_update_by_the_keys_it_names() {
        let (mut pg, _) = setup();
        run(
            &mut pg,
            "EVAL \"for i=1,10000 do redis.call('SET','user:'..i..':name','x') end\" 0",
        );
        let mut ks = model(&mut pg);
        let t = std::time::Instant::now();
        for _ in 0..10 {
            ks.rebuild(&pg.engine);
        }
        let rebuild = t.elapsed() / 10;
        run(&mut pg, "SET user:42:name y");
        let events = pg.engine.take_events();
        let t = std::time::Instant::now();
        let sync = ks.sync(&pg.engine, &events);
        let update = t.elapsed();
        assert_eq!(sync, Sync::Updated(1), "one key read again, not 10k");
        let open = set(&["user:"]);
        let t = std::time::Instant::now();
        let collapsed = lines(&ks, &Filter::default(), false, &HashSet::new()).len();
        let collapsed_time = t.elapsed();
        let t = std::time::Instant::now();
        let expanded = lines(&ks, &Filter::default(), false, &open).len();
        let expanded_time = t.elapsed();
        println!(
            "10k keys: rebuild {rebuild:?}; update from 1 event {update:?} ({sync:?}); \
             tree collapsed {collapsed} row(s) in {collapsed_time:?}, \
             expanded {expanded} rows in {expanded_time:?}"
        );
    }

    #[test]
    fn keyspace_virtual_window_covers_the_viewport_plus_overscan() {
        assert_eq!(window(0.0, 260.0, 26.0, 10_000, 5), (0, 16));
        assert_eq!(window(2600.0, 260.0, 26.0, 10_000, 5), (95, 116));
        assert_eq!(window(1e9, 260.0, 26.0, 10_000, 5), (10_000, 10_000));
        assert_eq!(window(259_740.0, 260.0, 26.0, 10_000, 5), (9985, 10_000));
        assert_eq!(window(0.0, 260.0, 26.0, 3, 5), (0, 3));
        assert_eq!(window(-50.0, 0.0, 26.0, 0, 5), (0, 0));
        assert_eq!(window(0.0, 100.0, 0.0, 10, 5), (0, 0));
    }

    #[test]
    fn keyspace_tree_keys_follow_the_aria_tree_pattern() {
        let (mut pg, _) = setup();
        for k in ["a:x", "a:y", "b"] {
            run(&mut pg, &format!("SET {k} v"));
        }
        let ks = model(&mut pg);
        let closed = HashSet::new();
        let l = lines(&ks, &Filter::default(), false, &closed);
        assert_eq!(
            tree_key(&l, 0, "ArrowRight", &closed),
            TreeAction::Toggle(b"a:".to_vec())
        );
        assert_eq!(tree_key(&l, 0, "ArrowDown", &closed), TreeAction::Focus(1));
        assert_eq!(tree_key(&l, 1, "ArrowDown", &closed), TreeAction::None);
        assert_eq!(
            tree_key(&l, 1, "Enter", &closed),
            TreeAction::Open(b"b".to_vec())
        );
        let open = set(&["a:"]);
        let l = lines(&ks, &Filter::default(), false, &open);
        assert_eq!(tree_key(&l, 0, "ArrowRight", &open), TreeAction::Focus(1));
        assert_eq!(tree_key(&l, 2, "ArrowLeft", &open), TreeAction::Focus(0));
        assert_eq!(
            tree_key(&l, 0, "ArrowLeft", &open),
            TreeAction::Toggle(b"a:".to_vec())
        );
        assert_eq!(
            tree_key(&l, 0, "Enter", &open),
            TreeAction::Toggle(b"a:".to_vec())
        );
        assert_eq!(tree_key(&l, 2, "End", &open), TreeAction::Focus(3));
        assert_eq!(tree_key(&l, 3, "Home", &open), TreeAction::Focus(0));
        assert_eq!(tree_key(&[], 0, "ArrowDown", &open), TreeAction::None);
    }
}
