//! The stream view's logic, kept out of the components so it is tested natively: which
//! stream is open and which page, when to read it again, what changed between two reads
//! (the rows to highlight and a sentence for screen readers), the time an ID encodes,
//! and the commands a click types into the console.
//!
//! The view is read with `Engine::stream_view` (read-only, one page). It is read again
//! only when the engine reports a change of the open key (`take_events`), when the dirty
//! counter moved while the stream has consumer groups (Redis 7.0 reports no keyspace
//! event for XREADGROUP deliveries, XACK or XCLAIM, which still count as writes), when
//! the page changes, or once a second while idle times are on screen.

use std::collections::{BTreeMap, BTreeSet};

use redis_emulator::notify::Event;
use redis_emulator::observe::{GroupRow, StreamPage, StreamView};
use redis_emulator::types::stream::StreamId;
use redis_emulator::Engine;

use crate::keys::display_key;

/// Rows per page (entries, consumers and pending entries of each group).
pub const PAGE_SIZE: usize = 50;

/// The open stream and the page shown.
#[derive(Clone, Debug, Default)]
pub struct StreamWatch {
    /// (database, key) of the open stream.
    open: Option<(usize, Vec<u8>)>,
    /// Cursors of the newer entry pages, the current one last (None = the newest page).
    entry_pages: Vec<Option<StreamId>>,
    /// Cursors of the earlier pending pages, the current one last.
    pending_pages: Vec<Option<StreamId>>,
    /// The dirty counter at the last read.
    dirty: u64,
    /// The last read, to tell what changed.
    last: Option<StreamView>,
    /// What the last command changed (kept while time passes).
    changes: Changes,
}

/// Why the view is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A command ran (maybe in another console).
    Command,
    /// Time passed: idle times move.
    Tick,
    /// The learner opened a stream or turned a page: nothing to highlight.
    Navigate,
}

/// What the pane shows: the view and what changed since the previous read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub db: usize,
    pub key: Vec<u8>,
    /// None when the key no longer exists or is no longer a stream.
    pub view: Option<StreamView>,
    pub changes: Changes,
    /// The page of entries is not the newest, or of pending entries not the first.
    pub entries_paged: bool,
    pub pending_paged: bool,
}

impl StreamWatch {
    /// Opens `key` of database `db` at its newest entries.
    pub fn open(&mut self, db: usize, key: &[u8]) {
        *self = StreamWatch {
            open: Some((db, key.to_vec())),
            entry_pages: vec![None],
            pending_pages: vec![None],
            ..StreamWatch::default()
        };
    }

    pub fn close(&mut self) {
        *self = StreamWatch::default();
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    fn page(&self) -> StreamPage {
        StreamPage {
            before: self.entry_pages.last().copied().flatten(),
            pending_from: self.pending_pages.last().copied().flatten(),
            size: PAGE_SIZE,
        }
    }

    /// Moves to the next older page of entries (after the last entry shown).
    pub fn older(&mut self) {
        if let Some(last) = self
            .last
            .as_ref()
            .filter(|v| v.has_older)
            .and_then(|v| v.entries.last())
        {
            self.entry_pages.push(Some(last.id));
        }
    }

    /// Moves back to the newer page.
    pub fn newer(&mut self) {
        if self.entry_pages.len() > 1 {
            self.entry_pages.pop();
        }
    }

    /// The next page of every group's pending entries (after the last one shown).
    pub fn more_pending(&mut self) {
        let next = self.last.as_ref().and_then(|v| {
            v.groups
                .iter()
                .filter(|g| g.more_pending)
                .filter_map(|g| g.pending.last())
                .map(|p| p.id)
                .max()
        });
        if let Some(id) = next.and_then(StreamId::incr) {
            self.pending_pages.push(Some(id));
        }
    }

    pub fn fewer_pending(&mut self) {
        if self.pending_pages.len() > 1 {
            self.pending_pages.pop();
        }
    }

    /// Whether the open stream must be read again after these events and this dirty
    /// counter (see the module documentation), or because time passed.
    pub fn needs_read(&self, events: &[Event], dirty: u64, reason: Reason) -> bool {
        let Some((db, key)) = &self.open else {
            return false;
        };
        let named = events.iter().any(|e| e.db == *db && e.key == *key);
        let has_groups = self.last.as_ref().is_some_and(|v| !v.groups.is_empty());
        let changed = named || (dirty != self.dirty && has_groups) || self.last.is_none();
        let idle_on_screen = self.last.as_ref().is_some_and(|v| {
            v.groups
                .iter()
                .any(|g| !g.consumers.is_empty() || !g.pending.is_empty())
        });
        match reason {
            Reason::Navigate => true,
            Reason::Tick => changed || idle_on_screen,
            Reason::Command => changed,
        }
    }

    /// Reads the open stream's page; None if no stream is open.
    pub fn read(&mut self, engine: &Engine, reason: Reason) -> Option<Shown> {
        let (db, key) = self.open.clone()?;
        let view = engine.stream_view(db, &key, self.page());
        // A tick keeps the last command's highlights (rows keep their look until the
        // next change); opening or paging starts without any.
        let changes = match (&self.last, &view, reason) {
            (Some(old), Some(new), Reason::Command) => Changes::between(old, new),
            (_, Some(_), Reason::Tick) => self.changes.clone(),
            _ => Changes::default(),
        };
        self.changes = changes.clone();
        self.dirty = engine.dirty_count();
        self.last = view.clone();
        Some(Shown {
            db,
            key,
            view,
            changes,
            entries_paged: self.entry_pages.len() > 1,
            pending_paged: self.pending_pages.len() > 1,
        })
    }
}

/// What moved between two reads of a stream: the rows to highlight and what to announce.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Entries added since the previous read.
    pub new_entries: BTreeSet<StreamId>,
    /// (group, id) of pending entries delivered or claimed since the previous read.
    pub moved_pending: BTreeSet<(Vec<u8>, StreamId)>,
    /// One sentence per change, for the live region.
    pub said: Vec<String>,
}

impl Changes {
    pub fn between(old: &StreamView, new: &StreamView) -> Changes {
        let mut c = Changes::default();
        for e in new.entries.iter().filter(|e| e.id > old.last_generated_id) {
            c.new_entries.insert(e.id);
        }
        match c.new_entries.len() {
            0 => {}
            1 => c.said.push(format!("New entry {}.", new.entries[0].id)),
            n => c.said.push(format!("{n} new entries.")),
        }
        let added = new.entries_added.saturating_sub(old.entries_added);
        let removed = (old.length + added).saturating_sub(new.length);
        if removed > 0 {
            c.said.push(format!(
                "{removed} entr{} trimmed or deleted.",
                if removed == 1 { "y" } else { "ies" }
            ));
        }
        let old_groups: BTreeMap<&[u8], &GroupRow> =
            old.groups.iter().map(|g| (g.name.as_slice(), g)).collect();
        for g in &new.groups {
            let group = display_key(&g.name);
            let Some(before) = old_groups.get(g.name.as_slice()) else {
                c.said.push(format!("Group {group} created."));
                continue;
            };
            let owners: BTreeMap<StreamId, &[u8]> = before
                .pending
                .iter()
                .map(|p| (p.id, p.consumer.as_slice()))
                .collect();
            // An ID past the old page's end may only have scrolled into this page.
            let old_end = if before.more_pending {
                before.pending.last().map(|p| p.id)
            } else {
                None
            };
            for p in &g.pending {
                let consumer = display_key(&p.consumer);
                match owners.get(&p.id) {
                    Some(owner) if *owner != p.consumer.as_slice() => {
                        c.moved_pending.insert((g.name.clone(), p.id));
                        c.said
                            .push(format!("{} claimed by {consumer} in {group}.", p.id));
                    }
                    Some(_) => {}
                    None if old_end.is_none_or(|end| p.id <= end) => {
                        c.moved_pending.insert((g.name.clone(), p.id));
                        c.said
                            .push(format!("{} delivered to {consumer} in {group}.", p.id));
                    }
                    None => {}
                }
            }
            let still: BTreeSet<StreamId> = g.pending.iter().map(|p| p.id).collect();
            let new_end = if g.more_pending {
                g.pending.last().map(|p| p.id)
            } else {
                None
            };
            for p in &before.pending {
                if !still.contains(&p.id) && new_end.is_none_or(|end| p.id <= end) {
                    c.said.push(format!("{} acknowledged in {group}.", p.id));
                }
            }
        }
        for name in old_groups.keys() {
            if !new.groups.iter().any(|g| g.name.as_slice() == *name) {
                c.said
                    .push(format!("Group {} destroyed.", display_key(name)));
            }
        }
        c
    }
}

/// The UTC time a stream ID's milliseconds part encodes: `2026-11-23 17:14:40.123`.
pub fn id_time(id: StreamId) -> String {
    let ms = id.ms;
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_date(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
}

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01.
fn civil_date(days: i64) -> (i64, u32, u32) {
    // Count in 400-year eras starting on March 1st, so the leap day ends a year.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Milliseconds for people: `850 ms`, `12.3 s`, `4 min`, `2 h`.
pub fn format_ms(ms: i64) -> String {
    match ms {
        i64::MIN..=999 => format!("{} ms", ms.max(0)),
        1000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..=3_599_999 => format!("{} min", ms / 60_000),
        _ => format!("{} h", ms / 3_600_000),
    }
}

/// What clicking a pending entry types: claim it for `consumer` with min-idle-time 0.
pub fn claim_command(key: &[u8], group: &[u8], consumer: &[u8], id: StreamId) -> String {
    format!(
        "XCLAIM {} {} {} 0 {id}",
        display_key(key),
        display_key(group),
        display_key(consumer)
    )
}

/// What the acknowledge action of a pending entry types.
pub fn ack_command(key: &[u8], group: &[u8], id: StreamId) -> String {
    format!("XACK {} {} {id}", display_key(key), display_key(group))
}

/// The consumer a claim suggests: another consumer of the group than the owner (the
/// claim then moves the entry), or the owner when it is alone.
pub fn claim_target<'a>(group: &'a GroupRow, owner: &'a [u8]) -> &'a [u8] {
    group
        .consumers
        .iter()
        .map(|c| c.name.as_slice())
        .find(|c| *c != owner)
        .unwrap_or(owner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::testing::{argv, playground};
    use crate::playground::Playground;
    use redis_emulator::ManualClock;

    fn setup() -> (Playground, ManualClock) {
        let (mut pg, clock) = playground();
        pg.engine.set_event_log(true);
        (pg, clock)
    }

    fn run(pg: &mut Playground, s: &str) {
        let r = pg.engine.execute(pg.client, &argv(s));
        assert!(!r.is_error(), "{s}: {r:?}");
    }

    /// Runs `cmd`, then reads the view if the watch says so; None if it was not read.
    fn step(pg: &mut Playground, w: &mut StreamWatch, cmd: &str) -> Option<Shown> {
        run(pg, cmd);
        let events = pg.engine.take_events();
        if !w.needs_read(&events, pg.engine.dirty_count(), Reason::Command) {
            return None;
        }
        w.read(&pg.engine, Reason::Command)
    }

    #[test]
    fn streams_every_step_of_an_entry_is_seen() {
        let (mut pg, clock) = setup();
        let mut w = StreamWatch::default();
        run(&mut pg, "XGROUP CREATE s g $ MKSTREAM");
        w.open(0, b"s");
        let shown = w.read(&pg.engine, Reason::Navigate).unwrap();
        assert!(shown.changes.said.is_empty());
        let shown =
            step(&mut pg, &mut w, "XADD s 1700000000000-0 k v").expect("xadd names the key");
        assert_eq!(
            shown.changes.new_entries,
            BTreeSet::from([StreamId {
                ms: 1_700_000_000_000,
                seq: 0
            }])
        );
        assert_eq!(shown.changes.said, ["New entry 1700000000000-0."]);
        let id = StreamId {
            ms: 1_700_000_000_000,
            seq: 0,
        };
        let shown = step(&mut pg, &mut w, "XREADGROUP GROUP g alice STREAMS s >")
            .expect("a delivery is a write");
        assert_eq!(
            shown.changes.moved_pending,
            BTreeSet::from([(b"g".to_vec(), id)])
        );
        assert_eq!(
            shown.changes.said,
            ["1700000000000-0 delivered to alice in g."]
        );
        clock.advance_ms(10);
        run(&mut pg, "XGROUP CREATECONSUMER s g bob");
        pg.engine.take_events();
        w.read(&pg.engine, Reason::Command);
        let shown =
            step(&mut pg, &mut w, "XCLAIM s g bob 0 1700000000000-0").expect("a claim is a write");
        assert_eq!(shown.changes.said, ["1700000000000-0 claimed by bob in g."]);
        let g = &shown.view.as_ref().unwrap().groups[0];
        assert_eq!(
            (
                g.pending[0].consumer.as_slice(),
                g.pending[0].delivery_count
            ),
            (&b"bob"[..], 2)
        );
        let shown = step(&mut pg, &mut w, "XACK s g 1700000000000-0").expect("an ack is a write");
        assert_eq!(shown.changes.said, ["1700000000000-0 acknowledged in g."]);
        let shown = step(&mut pg, &mut w, "XTRIM s MAXLEN 0").unwrap();
        assert_eq!(shown.changes.said, ["1 entry trimmed or deleted."]);
        // Another key's write without groups is not a reason to read a stream without them.
        run(&mut pg, "XGROUP DESTROY s g");
        pg.engine.take_events();
        w.read(&pg.engine, Reason::Command);
        assert!(step(&mut pg, &mut w, "SET other 1").is_none());
        let shown = step(&mut pg, &mut w, "DEL s").unwrap();
        assert_eq!(shown.view, None, "the key is gone");
    }

    #[test]
    fn streams_pages_older_and_newer() {
        let (mut pg, _) = setup();
        for i in 1..=120 {
            run(&mut pg, &format!("XADD s {i}-1 n {i}"));
        }
        let mut w = StreamWatch::default();
        w.open(0, b"s");
        let first = |s: &Shown| s.view.as_ref().unwrap().entries.first().unwrap().id.ms;
        let shown = w.read(&pg.engine, Reason::Navigate).unwrap();
        assert_eq!(
            (
                first(&shown),
                shown.view.as_ref().unwrap().entries.len(),
                shown.entries_paged
            ),
            (120, PAGE_SIZE, false)
        );
        w.older();
        let shown = w.read(&pg.engine, Reason::Navigate).unwrap();
        assert_eq!((first(&shown), shown.entries_paged), (70, true));
        w.older();
        let shown = w.read(&pg.engine, Reason::Navigate).unwrap();
        assert_eq!(
            (first(&shown), shown.view.as_ref().unwrap().entries.len()),
            (20, 20)
        );
        w.older();
        assert_eq!(
            first(&w.read(&pg.engine, Reason::Navigate).unwrap()),
            20,
            "no page past the oldest"
        );
        w.newer();
        w.newer();
        assert_eq!(first(&w.read(&pg.engine, Reason::Navigate).unwrap()), 120);
        // A new entry while an older page is shown is not on it, so not highlighted there.
        w.older();
        w.read(&pg.engine, Reason::Navigate);
        let shown = step(&mut pg, &mut w, "XADD s 121-0 n 121").unwrap();
        assert!(shown.changes.new_entries.is_empty());
    }

    #[test]
    fn streams_pages_pending_entries() {
        let (mut pg, _) = setup();
        run(&mut pg, "XGROUP CREATE s g $ MKSTREAM");
        for i in 1..=60 {
            run(&mut pg, &format!("XADD s {i}-0 n {i}"));
        }
        run(&mut pg, "XREADGROUP GROUP g w STREAMS s >");
        let mut w = StreamWatch::default();
        w.open(0, b"s");
        w.read(&pg.engine, Reason::Navigate);
        w.more_pending();
        let shown = w.read(&pg.engine, Reason::Navigate).unwrap();
        let g = &shown.view.as_ref().unwrap().groups[0];
        assert_eq!(
            (g.pending.len(), g.pending[0].id.ms, shown.pending_paged),
            (10, 51, true)
        );
        w.fewer_pending();
        let shown = w.read(&pg.engine, Reason::Navigate).unwrap();
        assert_eq!(shown.view.as_ref().unwrap().groups[0].pending[0].id.ms, 1);
    }

    #[test]
    fn streams_ids_read_as_utc_times_and_clicks_type_commands() {
        assert_eq!(
            id_time(StreamId { ms: 0, seq: 0 }),
            "1970-01-01 00:00:00.000"
        );
        assert_eq!(
            id_time(StreamId {
                ms: 1_700_000_000_123,
                seq: 4
            }),
            "2023-11-14 22:13:20.123"
        );
        assert_eq!(
            id_time(StreamId {
                ms: 951_782_400_000,
                seq: 0
            }),
            "2000-02-29 00:00:00.000"
        );
        assert_eq!(
            id_time(StreamId {
                ms: 4_102_444_799_999,
                seq: 0
            }),
            "2099-12-31 23:59:59.999"
        );
        let id = StreamId { ms: 5, seq: 1 };
        assert_eq!(
            claim_command(b"X:requests{ot11}", b"managers", b"supervisor", id),
            "XCLAIM X:requests{ot11} managers supervisor 0 5-1"
        );
        assert_eq!(
            ack_command(b"my stream", b"g", id),
            "XACK \"my stream\" g 5-1"
        );
        assert_eq!(format_ms(850), "850 ms");
        assert_eq!(format_ms(12_345), "12.3 s");
        assert_eq!(format_ms(240_000), "4 min");
        assert_eq!(format_ms(-3), "0 ms");
    }
}
