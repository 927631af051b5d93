//! The activity timeline: every command every client ran, in order, like MONITOR, each
//! with what it changed.
//!
//! The engine's command log (`Engine::take_commands`) is drained once per refresh into a
//! `Timeline`, which keeps at most `MAX_ENTRIES` (dropping the oldest) so a long session
//! never grows the page. Entries carry the label of the console tab that ran them as it
//! was then ("redis-cli 2", or the name the learner gave the tab), so closing or renaming
//! a tab later does not rewrite history.
//!
//! The pane shows the timeline virtualised: fixed-height rows, only those in view in the
//! DOM (`window`). It follows the newest entry unless the learner scrolled up (`Follow`);
//! then new entries are counted for a "N new" button.

use std::collections::{HashMap, VecDeque};

use redis_emulator::cmdlog::CommandRecord;
use redis_emulator::ClientId;

use crate::keys::display_key;

/// At most this many entries are kept; older ones are dropped.
pub const MAX_ENTRIES: usize = 10_000;

/// An entry's arguments are shown (and searched) up to this many characters: a row is
/// one line, and 10,000 entries of MSETs with big values must not fill the page's memory.
pub const MAX_LINE_CHARS: usize = 400;
/// An entry keeps at most this many of its command's events (a FLUSHALL reports one per
/// key); `Entry::events_dropped` counts the rest.
pub const MAX_ENTRY_EVENTS: usize = 100;

/// `text` cut to `max` characters, with an ellipsis when cut.
fn clip_text(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// One command that ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The engine's record number (children name their parent's).
    pub seq: u64,
    pub time_ms: i64,
    pub client: ClientId,
    /// Who ran it: the tab's label when it ran, `lua` for a script's commands (with the
    /// tab of the script in `client`), or `client N` for a client that is not a tab.
    pub who: String,
    pub from_script: bool,
    pub db: usize,
    /// The command's name in capitals (`SET`, `XADD`).
    pub name: String,
    /// The arguments after the name, shown as redis-cli would read them back.
    pub args: String,
    /// True when the engine clipped the arguments (a huge value).
    pub clipped: bool,
    /// The EXEC, EVAL or FCALL that ran it.
    pub parent: Option<u64>,
    /// What it changed: (db, key, event name), in order.
    pub events: Vec<(usize, Vec<u8>, &'static str)>,
    /// Events beyond what the engine kept for it.
    pub events_dropped: usize,
    /// Where its messages went: (channel, receivers).
    pub deliveries: Vec<(Vec<u8>, Vec<ClientId>)>,
    /// For a script command: the commands it ran beyond what the engine's log keeps.
    pub unlisted: usize,
    /// Lower-case text the filter searches: the line and the keys it changed.
    haystack: String,
}

impl Entry {
    /// The command line as shown: `SET greeting hello`.
    pub fn line(&self) -> String {
        if self.args.is_empty() {
            self.name.clone()
        } else {
            format!("{} {}", self.name, self.args)
        }
    }

    /// The keys it changed, each once, in the order first changed, with its events.
    pub fn changed_keys(&self) -> Vec<ChangedKey> {
        changed_keys(std::iter::once(self))
    }

    fn matches(&self, needle: &str) -> bool {
        needle.is_empty() || self.haystack.contains(needle)
    }
}

/// A key a command changed and what happened to it (`new`, `set`, `lpush`, `del`...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedKey {
    pub db: usize,
    pub key: Vec<u8>,
    pub events: Vec<&'static str>,
}

/// The keys a set of entries changed (a command and its children), each once.
pub fn changed_keys<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<ChangedKey> {
    let mut out: Vec<ChangedKey> = Vec::new();
    for e in entries {
        for (db, key, name) in &e.events {
            // `keymiss` is a read of a missing key: it changes nothing.
            if *name == "keymiss" {
                continue;
            }
            match out.iter_mut().find(|c| c.db == *db && c.key == *key) {
                Some(c) => {
                    if !c.events.contains(name) {
                        c.events.push(name);
                    }
                }
                None => out.push(ChangedKey {
                    db: *db,
                    key: key.clone(),
                    events: vec![name],
                }),
            }
        }
    }
    out
}

/// The commands of every client, newest last.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    entries: VecDeque<Entry>,
    /// Recording is paused: what runs meanwhile is not kept (`skipped` counts it).
    paused: bool,
    pub skipped: u64,
    /// Entries dropped because the timeline was full.
    pub dropped: u64,
    /// Bumped when entries come or go.
    version: u64,
}

impl Timeline {
    /// Adds the engine's `records`; `label` names a client (its tab's label now).
    /// Returns how many entries were added.
    pub fn add(
        &mut self,
        records: Vec<CommandRecord>,
        label: impl Fn(ClientId) -> String,
    ) -> usize {
        if records.is_empty() {
            return 0;
        }
        if self.paused {
            self.skipped += records.len() as u64;
            return 0;
        }
        let added = records.len();
        let mut labels: HashMap<ClientId, String> = HashMap::new();
        for r in records {
            let who = if r.from_script {
                "lua".to_string()
            } else {
                labels
                    .entry(r.client)
                    .or_insert_with(|| label(r.client))
                    .clone()
            };
            if self.entries.len() >= MAX_ENTRIES {
                self.entries.pop_front();
                self.dropped += 1;
            }
            self.entries.push_back(entry(r, who));
        }
        self.version += 1;
        added
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&Entry> {
        self.entries.get(index)
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        if !paused {
            self.skipped = 0;
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.dropped = 0;
        self.skipped = 0;
        self.version += 1;
    }

    /// Indexes of the entries that match `filter` (a command name or a key, any case;
    /// empty: all), oldest first.
    pub fn matching(&self, filter: &str) -> Vec<usize> {
        let needle = filter.trim().to_lowercase();
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.matches(&needle))
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether entry `index` matches `filter` (as `matching`).
    pub fn matches_at(&self, index: usize, filter: &str) -> bool {
        let needle = filter.trim().to_lowercase();
        self.entries.get(index).is_some_and(|e| e.matches(&needle))
    }

    /// The entry with record number `seq`, if still kept.
    pub fn by_seq(&self, seq: u64) -> Option<&Entry> {
        // Sequence numbers increase along the timeline, except a script command, which
        // is logged before the commands it ran: a short scan from the back finds it.
        self.entries.iter().rev().find(|e| e.seq == seq)
    }

    /// How many commands the EXEC, EVAL or FCALL `seq` ran (of those still kept).
    pub fn children_of(&self, seq: u64) -> usize {
        self.entries
            .iter()
            .filter(|e| e.parent == Some(seq))
            .count()
    }

    /// What the command `seq` changed: its own events, and for an EXEC, EVAL or FCALL
    /// those of the commands it ran.
    pub fn changes_of(&self, seq: u64) -> Vec<ChangedKey> {
        changed_keys(
            self.entries
                .iter()
                .filter(|e| e.seq == seq || e.parent == Some(seq)),
        )
    }
}

fn entry(r: CommandRecord, who: String) -> Entry {
    let name = String::from_utf8_lossy(r.argv.first().map_or(&[][..], |a| a)).to_uppercase();
    let mut args: Vec<String> = r.argv.iter().skip(1).map(|a| display_key(a)).collect();
    if r.clipped {
        let more = r.argc.saturating_sub(r.argv.len());
        args.push(if more > 0 {
            format!("… ({more} more arguments)")
        } else {
            "…".to_string()
        });
    }
    let args = clip_text(args.join(" "), MAX_LINE_CHARS);
    let mut events: Vec<(usize, Vec<u8>, &'static str)> = r
        .events
        .into_iter()
        .map(|ev| (ev.db, ev.key, ev.name))
        .collect();
    let events_dropped = r.events_dropped + events.len().saturating_sub(MAX_ENTRY_EVENTS);
    events.truncate(MAX_ENTRY_EVENTS);
    let mut haystack = format!("{name} {args}").to_lowercase();
    for (_, key, _) in &events {
        haystack.push(' ');
        haystack.push_str(&clip_text(
            String::from_utf8_lossy(key).to_lowercase(),
            MAX_LINE_CHARS,
        ));
    }
    Entry {
        seq: r.seq,
        time_ms: r.time_us.div_euclid(1000),
        client: r.client,
        who,
        from_script: r.from_script,
        db: r.db,
        name,
        args,
        clipped: r.clipped,
        parent: r.parent,
        events,
        events_dropped,
        deliveries: r
            .deliveries
            .into_iter()
            .map(|d| (d.channel, d.receivers))
            .collect(),
        unlisted: r.unlisted,
        haystack,
    }
}

/// Which rows of a virtualised list are in the DOM: `[start, end)` of `total` rows of
/// `row_px` each, for a viewport of `view_px` scrolled to `scroll_px`, with `overscan`
/// rows either side so a fast scroll shows no gap.
pub fn window(
    total: usize,
    row_px: f64,
    scroll_px: f64,
    view_px: f64,
    overscan: usize,
) -> (usize, usize) {
    if total == 0 || row_px <= 0.0 {
        return (0, 0);
    }
    let visible = (view_px.max(0.0) / row_px).ceil() as usize + 1;
    // Scrolled past the end (the list just got shorter): the last rows.
    let first = ((scroll_px.max(0.0) / row_px).floor() as usize).min(total.saturating_sub(visible));
    let start = first.saturating_sub(overscan).min(total);
    let end = first
        .saturating_add(visible)
        .saturating_add(overscan)
        .min(total);
    (start, end.max(start))
}

/// Whether the timeline follows the newest entry, and what the learner has not seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Follow {
    pub following: bool,
    /// Entries that arrived while the learner was scrolled up.
    pub unseen: usize,
}

impl Default for Follow {
    fn default() -> Self {
        Follow {
            following: true,
            unseen: 0,
        }
    }
}

impl Follow {
    /// The learner scrolled: at the bottom (within half a row) it follows again.
    pub fn scrolled(&mut self, scroll_px: f64, view_px: f64, content_px: f64, row_px: f64) {
        let at_bottom = scroll_px + view_px >= content_px - row_px / 2.0;
        self.following = at_bottom;
        if at_bottom {
            self.unseen = 0;
        }
    }

    /// `n` matching entries arrived: true if the view should scroll to the newest.
    pub fn arrived(&mut self, n: usize) -> bool {
        if self.following {
            true
        } else {
            self.unseen += n;
            false
        }
    }

    /// The "N new" button: back to the newest.
    pub fn jump(&mut self) {
        self.following = true;
        self.unseen = 0;
    }
}

/// A time of day for people: `14:03:07.215` (of `ms` as given: the pane shifts it to
/// the learner's zone).
pub fn format_time(ms: i64) -> String {
    let day_ms = ms.rem_euclid(86_400_000);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        day_ms / 3_600_000,
        (day_ms / 60_000) % 60,
        (day_ms / 1000) % 60,
        day_ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::testing::{argv, playground};

    fn label(c: ClientId) -> String {
        format!("redis-cli {c}")
    }

    #[test]
    fn the_timeline_lists_every_clients_commands_in_order_with_their_changes() {
        let (mut pg, _clock) = playground();
        pg.engine.set_command_log(true);
        let b = pg.engine.connect(redis_emulator::ClientInfo::default());
        let a = pg.client;
        for (c, line) in [
            (a, "SET greeting \"hello world\""),
            (b, "LPUSH q x"),
            (a, "EVAL \"return redis.call('del', KEYS[1])\" 1 q"),
            (a, "MULTI"),
            (a, "INCR n"),
            (a, "EXEC"),
        ] {
            pg.engine.execute(c, &argv(line));
        }
        let mut t = Timeline::default();
        let tabs = |c: ClientId| {
            if c == a {
                "producer".to_string()
            } else {
                format!("client {c}")
            }
        };
        assert_eq!(t.add(pg.engine.take_commands(), tabs), 7);
        let lines: Vec<(String, String)> = (0..t.len())
            .filter_map(|i| t.get(i))
            .map(|e| (e.who.clone(), e.line()))
            .collect();
        assert_eq!(
            lines,
            [
                ("producer", "SET greeting \"hello world\""),
                ("client b", "LPUSH q x"),
                ("producer", "EVAL \"return redis.call('del', KEYS[1])\" 1 q"),
                ("lua", "DEL q"),
                ("producer", "MULTI"),
                ("producer", "INCR n"),
                ("producer", "EXEC"),
            ]
            .map(|(w, l)| (w.replace("client b", &format!("client {b}")), l.to_string()))
        );
        let keys = |v: Vec<ChangedKey>| {
            v.into_iter()
                .map(|c| (String::from_utf8_lossy(&c.key).into_owned(), c.events))
                .collect::<Vec<_>>()
        };
        let first = t.get(0).expect("SET");
        assert_eq!(
            keys(first.changed_keys()),
            [("greeting".to_string(), vec!["new", "set"])]
        );
        // A script and a transaction changed what their commands changed.
        let eval = t.get(2).expect("EVAL").seq;
        assert_eq!(keys(t.changes_of(eval)), [("q".to_string(), vec!["del"])]);
        let exec = t.get(6).expect("EXEC").seq;
        assert_eq!(
            keys(t.changes_of(exec)),
            [("n".to_string(), vec!["new", "incrby"])]
        );
    }

    #[test]
    fn the_timeline_is_bounded_filtered_paused_and_cleared() {
        let (mut pg, _clock) = playground();
        pg.engine.set_command_log(true);
        let mut t = Timeline::default();
        for i in 0..MAX_ENTRIES + 10 {
            pg.engine
                .execute(pg.client, &argv(&format!("SET key:{i} v")));
            if i % 1000 == 0 {
                t.add(pg.engine.take_commands(), label);
            }
        }
        t.add(pg.engine.take_commands(), label);
        assert_eq!((t.len(), t.dropped), (MAX_ENTRIES, 10));
        assert_eq!(t.get(0).map(Entry::line), Some("SET key:10 v".to_string()));

        pg.engine.execute(pg.client, &argv("RPUSH Queue a"));
        pg.engine.execute(pg.client, &argv("GET greeting"));
        pg.engine
            .execute(pg.client, &argv("EVAL \"redis.call('incr', 'Counter')\" 0"));
        t.add(pg.engine.take_commands(), label);
        let last = t.len() - 1;
        assert_eq!(
            t.matching("rpush"),
            vec![last - 3],
            "by command name, any case"
        );
        assert_eq!(t.matching(" queue "), vec![last - 3], "by key, trimmed");
        assert_eq!(t.matching("GET"), vec![last - 2]);
        assert_eq!(
            t.matching("counter"),
            vec![last - 1, last],
            "a key in the script's text and in its command"
        );
        assert_eq!(t.matching("").len(), t.len());
        assert!(t.matches_at(last - 3, " RPUSH") && !t.matches_at(last - 3, "counter"));

        t.set_paused(true);
        pg.engine.execute(pg.client, &argv("SET ignored v"));
        assert_eq!(t.add(pg.engine.take_commands(), label), 0);
        assert_eq!((t.skipped, t.matching("ignored").len()), (1, 0));
        t.set_paused(false);
        let v = t.version();
        t.clear();
        assert!(t.is_empty());
        assert_ne!(t.version(), v);
    }

    #[test]
    fn big_commands_are_clipped_for_the_page() {
        let (mut pg, _clock) = playground();
        pg.engine.set_command_log(true);
        let mut mset = vec![b"MSET".to_vec()];
        for i in 0..300 {
            mset.push(format!("key{i}").into_bytes());
            mset.push(vec![b'v'; 2000]);
        }
        pg.engine.execute(pg.client, &mset);
        let mut t = Timeline::default();
        t.add(pg.engine.take_commands(), label);
        let e = t.get(0).expect("MSET");
        assert_eq!(e.name, "MSET");
        assert_eq!(
            e.args.chars().count(),
            MAX_LINE_CHARS + 1,
            "clipped, with an ellipsis"
        );
        assert!(e.args.ends_with('…'));
        assert_eq!(e.events.len(), MAX_ENTRY_EVENTS);
        assert_eq!(
            e.events.len() + e.events_dropped,
            600,
            "a new and a set event per key"
        );
    }

    #[test]
    fn the_virtual_window_covers_the_viewport_and_its_overscan() {
        assert_eq!(window(0, 22.0, 0.0, 400.0, 5), (0, 0));
        // 400 px of 22 px rows: 19 rows in view, one more partly when scrolled, 5 below.
        assert_eq!(window(10_000, 22.0, 0.0, 400.0, 5), (0, 25));
        assert_eq!(window(10_000, 22.0, 2200.0, 400.0, 5), (95, 125));
        assert_eq!(
            window(30, 22.0, 2200.0, 400.0, 5),
            (5, 30),
            "past the end: the last rows"
        );
        assert_eq!(window(10_000, 22.0, 219_600.0, 400.0, 5), (9975, 10_000));
    }

    #[test]
    fn following_stops_when_scrolled_up_and_counts_what_arrives() {
        let mut f = Follow::default();
        assert!(f.arrived(3));
        // 100 rows of 20 px in a 200 px view: the bottom is at 1800.
        f.scrolled(1000.0, 200.0, 2000.0, 20.0);
        assert!(!f.following);
        assert!(!f.arrived(2));
        assert!(!f.arrived(1));
        assert_eq!(f.unseen, 3);
        f.scrolled(1795.0, 200.0, 2000.0, 20.0);
        assert_eq!(
            f,
            Follow {
                following: true,
                unseen: 0
            }
        );
        f.scrolled(0.0, 200.0, 2000.0, 20.0);
        f.arrived(4);
        f.jump();
        assert_eq!(f, Follow::default());
    }

    #[test]
    fn times_read_as_a_clock() {
        assert_eq!(format_time(1_700_000_000_000), "22:13:20.000");
        assert_eq!(format_time(1_700_000_000_215 + 3_600_000), "23:13:20.215");
    }
}
