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
use redis_emulator::observe::{EntryDetail, EntryRow, GroupRow, StreamPage, StreamView};
use redis_emulator::types::stream::StreamId;
use redis_emulator::Engine;

use crate::keys::display_key;

/// Rows per page of each group's consumers and pending entries: enough to follow a
/// tutorial, few enough that three groups keep the page's DOM small.
pub const PAGE_SIZE: usize = 20;

/// Height of one row of the entries table, in CSS pixels: every row has it (fields
/// that do not fit are cut with an ellipsis), which is what lets the table show only
/// the rows in view and still scroll through a stream of any length.
pub const ROW_PX: f64 = 28.0;

/// Rows read and drawn above and below the visible ones, so a small scroll shows rows
/// that are already there.
pub const OVERSCAN: u64 = 8;

/// The tallest the scrolled content is made. Browsers cap an element's height (about
/// 33 million pixels in Chromium); a longer stream maps the scroll range onto its
/// positions proportionally instead of one row per 28 pixels.
pub const MAX_SCROLL_PX: f64 = 8_000_000.0;

/// The open stream and the page shown.
#[derive(Clone, Debug, Default)]
pub struct StreamWatch {
    /// (database, key) of the open stream.
    open: Option<(usize, Vec<u8>)>,
    /// The window of entries read: the position of its first row (newest first) and
    /// how many rows (`Window`).
    entries_from: u64,
    entries_count: usize,
    /// Where the entries table is scrolled and how tall it is, in pixels: the window
    /// follows from them and the stream's length (`Window::at`).
    scroll_top: f64,
    viewport_px: f64,
    /// Cursors of the earlier pending pages, the current one last.
    pending_pages: Vec<Option<StreamId>>,
    /// The entry the learner selected (its details and path through the groups).
    selected: Option<StreamId>,
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
    /// The page of pending entries is not the first.
    pub pending_paged: bool,
    /// Rows the window moved down (or up, negative) to keep showing the same entries.
    pub shifted: i64,
    /// The selected entry's ID, and its details (None if it is no longer in the stream).
    pub selected: Option<(StreamId, Option<EntryDetail>)>,
}

impl StreamWatch {
    /// Opens `key` of database `db` at its newest entries.
    pub fn open(&mut self, db: usize, key: &[u8]) {
        *self = StreamWatch {
            open: Some((db, key.to_vec())),
            entries_count: 40,
            viewport_px: 400.0,
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
            entries_from: self.entries_from,
            entries: self.entries_count,
            pending_from: self.pending_pages.last().copied().flatten(),
            size: PAGE_SIZE,
        }
    }

    /// Selects entry `id` (None: closes its details).
    pub fn select(&mut self, id: Option<StreamId>) {
        self.selected = id;
    }

    /// The table was scrolled to `scroll_top` or resized to `viewport_px`: true if
    /// that shows other rows, so the view must be read again.
    pub fn set_scroll(&mut self, scroll_top: f64, viewport_px: f64) -> bool {
        self.scroll_top = scroll_top;
        self.viewport_px = viewport_px;
        let length = self.last.as_ref().map_or(0, |v| v.length);
        self.fit_window(length)
    }

    /// Sets the window for a stream of `length` entries; true if it changed.
    fn fit_window(&mut self, length: u64) -> bool {
        let window = Window::at(self.scroll_top, self.viewport_px, length);
        let changed = (self.entries_from, self.entries_count) != (window.from, window.count);
        self.entries_from = window.from;
        self.entries_count = window.count;
        changed
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
        let mut view = engine.stream_view(db, &key, self.page());
        // Scrolled into the stream, the rows on screen stay on screen when entries are
        // added or deleted above them: the window follows its first entry's new
        // position, and the pane scrolls by as many rows (`Shown::shifted`).
        let mut shifted = 0;
        let natural = |v: &StreamView| v.length as f64 * ROW_PX <= MAX_SCROLL_PX;
        if reason == Reason::Command && self.entries_from > 0 && view.as_ref().is_some_and(natural)
        {
            let anchor = self
                .last
                .as_ref()
                .and_then(|v| v.entries.first())
                .map(|e| e.id);
            if let Some(now_at) = anchor.and_then(|id| engine.stream_position(db, &key, id)) {
                if now_at != self.entries_from {
                    shifted = now_at as i64 - self.entries_from as i64;
                    self.scroll_top = (self.scroll_top + shifted as f64 * ROW_PX).max(0.0);
                }
            }
        }
        // The window follows the length too: a stream that grew fills a table that
        // was short, one that shrank under the window shows its end.
        if let Some(length) = view.as_ref().map(|v| v.length) {
            if self.fit_window(length) {
                view = engine.stream_view(db, &key, self.page());
            }
        }
        // A tick keeps the last command's highlights (rows keep their look until the
        // next change); opening or paging starts without any.
        let changes = match (&self.last, &view, reason) {
            (Some(old), Some(new), Reason::Command) => Changes::between(old, new),
            (_, Some(_), Reason::Tick) => self.changes.clone(),
            _ => Changes::default(),
        };
        self.changes = changes.clone();
        let selected = self
            .selected
            .map(|id| (id, engine.stream_entry(db, &key, id)));
        self.dirty = engine.dirty_count();
        self.last = view.clone();
        Some(Shown {
            db,
            key,
            view,
            changes,
            pending_paged: self.pending_pages.len() > 1,
            shifted,
            selected,
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
    /// Entries of the previous window that left the stream: shown once more, struck
    /// through, in their place. True when trimmed (older than the new first entry),
    /// false when deleted from the middle.
    pub gone: Vec<(EntryRow, bool)>,
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
            let oldest = if new.length > 0 && new.first_id != old.first_id {
                format!(" The oldest is now {}.", new.first_id)
            } else {
                String::new()
            };
            c.said.push(format!(
                "{removed} entr{} trimmed or deleted.{oldest}",
                if removed == 1 { "y" } else { "ies" }
            ));
            c.gone = gone_entries(old, new);
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

/// Entries of `old`'s window that are no longer in the stream. An entry that is merely
/// not in the new window (new entries pushed it down) is not gone: only IDs inside the
/// new window's span, or older than the new first entry, are known to be gone.
fn gone_entries(old: &StreamView, new: &StreamView) -> Vec<(EntryRow, bool)> {
    let present: BTreeSet<StreamId> = new.entries.iter().map(|e| e.id).collect();
    let newest = new.entries.first().map(|e| e.id);
    let oldest = new.entries.last().map(|e| e.id);
    let window_reaches_end = new.entries_from + new.entries.len() as u64 >= new.length;
    old.entries
        .iter()
        .filter(|e| !present.contains(&e.id))
        .filter_map(|e| {
            let trimmed = new.length == 0 || e.id < new.first_id;
            let inside = match (newest, oldest) {
                (Some(hi), Some(lo)) => e.id <= hi && (e.id >= lo || window_reaches_end),
                _ => false,
            };
            (trimmed || inside).then(|| (e.clone(), trimmed))
        })
        .collect()
}

/// Which rows of the entries table to draw for a scroll position: the first row's
/// position (newest first) and how many, where they start, and the height of the
/// whole scrolled content. Plain numbers, so it is tested natively.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub from: u64,
    pub count: usize,
    /// Offset of the first drawn row from the top of the content, in pixels.
    pub top_px: f64,
    pub total_px: f64,
}

impl Window {
    /// The rows to draw when the table of `length` entries, `viewport_px` tall, is
    /// scrolled to `scroll_top`.
    pub fn at(scroll_top: f64, viewport_px: f64, length: u64) -> Window {
        let viewport = viewport_px.max(ROW_PX);
        let visible = (viewport / ROW_PX).ceil() as u64 + 1;
        let natural = length as f64 * ROW_PX;
        let total_px = natural.min(MAX_SCROLL_PX);
        let scroll = scroll_top.clamp(0.0, (total_px - viewport).max(0.0));
        // The (fractional) position of the row at the top of the viewport, and where
        // that row's top edge is drawn.
        let (row, row_top) = if natural <= MAX_SCROLL_PX {
            (scroll / ROW_PX, (scroll / ROW_PX).floor() * ROW_PX)
        } else {
            let span = (total_px - viewport).max(1.0);
            let row = scroll / span * length.saturating_sub(visible) as f64;
            (row, scroll - row.fract() * ROW_PX)
        };
        let first = (row.floor() as u64).min(length.saturating_sub(1));
        let from = first.saturating_sub(OVERSCAN);
        let count = (visible + 2 * OVERSCAN).min(length - from.min(length)) as usize;
        let top_px = (row_top - (first - from) as f64 * ROW_PX).max(0.0);
        Window {
            from,
            count,
            top_px,
            total_px,
        }
    }

    /// The scroll position that puts the entry at `position` (newest first) at the top.
    pub fn scroll_to(position: u64, viewport_px: f64, length: u64) -> f64 {
        let viewport = viewport_px.max(ROW_PX);
        let natural = length as f64 * ROW_PX;
        if natural <= MAX_SCROLL_PX {
            return position as f64 * ROW_PX;
        }
        let visible = (viewport / ROW_PX).ceil() as u64 + 1;
        let rows = length.saturating_sub(visible).max(1) as f64;
        // Half a pixel more, so rounding never lands on the row above.
        position as f64 / rows * (MAX_SCROLL_PX - viewport) + 0.5
    }
}

/// Reads what the learner typed in "jump to": an entry ID (`1700000000000-3`), a
/// millisecond time (`1700000000000`), or a UTC date and time (`2023-11-14 22:13`,
/// `2023-11-14T22:13:20.5`, `2023-11-14`). A time stands for the newest entry at or
/// before its last millisecond.
pub fn parse_jump(text: &str) -> Result<StreamId, String> {
    let text = text.trim();
    let err = || {
        format!("\"{text}\" is neither an entry ID (1700000000000-0), milliseconds, nor a UTC time (2023-11-14 22:13:20).")
    };
    if text.is_empty() {
        return Err("Type an entry ID or a time to jump to.".to_string());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let ms = text.parse().map_err(|_| err())?;
        return Ok(StreamId { ms, seq: u64::MAX });
    }
    if let Some((ms, seq)) = text.split_once('-') {
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if digits(ms) && digits(seq) {
            let ms = ms.parse().map_err(|_| err())?;
            let seq = seq.parse().map_err(|_| err())?;
            return Ok(StreamId { ms, seq });
        }
    }
    let ms = parse_utc(text).ok_or_else(err)?;
    Ok(StreamId { ms, seq: u64::MAX })
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z]` as UTC milliseconds, to the end of the
/// precision given (`22:13` means up to 22:13:59.999).
fn parse_utc(text: &str) -> Option<u64> {
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (text, None),
    };
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    if d.next().is_some()
        || !(1970..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
    {
        return None;
    }
    let days = days_from_civil(y, m, day);
    if redis_emulator::clock::civil_from_days(days) != (y, m, day) {
        return None; // 2023-02-30
    }
    // Milliseconds into the day, and the width of the precision given.
    let (into_day, width) = match time {
        None => (0, 86_400_000),
        Some(t) => {
            let (hms, frac) = match t.split_once('.') {
                Some((hms, f)) => (hms, Some(f)),
                None => (t, None),
            };
            let parts: Vec<&str> = hms.split(':').collect();
            let num = |s: &str, max: u64| {
                (!s.is_empty() && s.len() <= 2)
                    .then(|| s.parse::<u64>().ok())
                    .flatten()
                    .filter(|&n| n <= max)
            };
            let h = num(parts.first()?, 23)?;
            let mi = num(parts.get(1)?, 59)?;
            let sec = match parts.get(2) {
                Some(s) => Some(num(s, 59)?),
                None => None,
            };
            if parts.len() > 3 || (frac.is_some() && sec.is_none()) {
                return None;
            }
            let mut ms = (h * 3600 + mi * 60 + sec.unwrap_or(0)) * 1000;
            let width = match (sec, frac) {
                (None, _) => 60_000,
                (Some(_), None) => 1000,
                (Some(_), Some(f)) => {
                    if f.is_empty() || f.len() > 3 || !f.bytes().all(|b| b.is_ascii_digit()) {
                        return None;
                    }
                    let scale = 10u64.pow(3 - f.len() as u32);
                    ms += f.parse::<u64>().ok()? * scale;
                    scale
                }
            };
            (ms, width)
        }
    };
    Some(days as u64 * 86_400_000 + into_day + width - 1)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the inverse of `redis_emulator::clock::civil_from_days`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let month_index = i64::from((m + 9) % 12); // 0 = March
    let day_of_year = (153 * month_index + 2) / 5 + i64::from(d) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The UTC time a stream ID's milliseconds part encodes: `2026-11-23 17:14:40.123`.
pub fn id_time(id: StreamId) -> String {
    let ms = id.ms;
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = redis_emulator::clock::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60,
        ms % 1000
    )
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
    fn streams_window_follows_the_scroll_and_marks_what_left() {
        let (mut pg, _) = setup();
        for i in 1..=120 {
            run(&mut pg, &format!("XADD s {i}-1 n {i}"));
        }
        let mut w = StreamWatch::default();
        w.open(0, b"s");
        let ids = |s: &Shown| {
            s.view
                .as_ref()
                .unwrap()
                .entries
                .iter()
                .map(|e| e.id.ms)
                .collect::<Vec<_>>()
        };
        let shown = w.read(&pg.engine, Reason::Navigate).unwrap();
        assert_eq!(ids(&shown)[..3], [120, 119, 118]);
        // Scrolled 50 rows down in a 10-row viewport: rows from 50 - OVERSCAN.
        let win = Window::at(50.0 * ROW_PX, 10.0 * ROW_PX, 120);
        assert!(w.set_scroll(50.0 * ROW_PX, 10.0 * ROW_PX));
        assert!(
            !w.set_scroll(50.0 * ROW_PX, 10.0 * ROW_PX),
            "same window, nothing to read"
        );
        let shown = w.read(&pg.engine, Reason::Navigate).unwrap();
        let first = 120 - (50 - OVERSCAN);
        assert_eq!(ids(&shown)[0], first);
        assert_eq!(ids(&shown).len(), win.count);
        // A new entry is not in this window; one deleted inside it and the trimmed
        // oldest ones are shown as gone.
        let shown = step(&mut pg, &mut w, "XADD s 121-0 n 121").unwrap();
        assert!(shown.changes.new_entries.is_empty());
        assert_eq!(
            (shown.shifted, ids(&shown)[0]),
            (1, first),
            "the same rows stay in view"
        );
        let inside = ids(&shown)[3];
        let shown = step(&mut pg, &mut w, &format!("XDEL s {inside}-1")).unwrap();
        let gone: Vec<(u64, bool)> = shown
            .changes
            .gone
            .iter()
            .map(|(e, t)| (e.id.ms, *t))
            .collect();
        assert_eq!(gone, [(inside, false)]);
        w.set_scroll(1e9, 10.0 * ROW_PX);
        w.read(&pg.engine, Reason::Navigate);
        let shown = step(&mut pg, &mut w, "XTRIM s MAXLEN 110").unwrap();
        let gone: Vec<(u64, bool)> = shown
            .changes
            .gone
            .iter()
            .map(|(e, t)| (e.id.ms, *t))
            .collect();
        assert_eq!(gone, (1..=10).rev().map(|i| (i, true)).collect::<Vec<_>>());
        assert_eq!(
            shown.changes.said,
            ["10 entries trimmed or deleted. The oldest is now 11-1."]
        );
    }

    #[test]
    fn streams_a_selected_entry_shows_its_path() {
        let (mut pg, _) = setup();
        run(&mut pg, "XGROUP CREATE s g $ MKSTREAM");
        run(&mut pg, "XADD s 5-0 k v");
        let mut w = StreamWatch::default();
        w.open(0, b"s");
        let id = StreamId { ms: 5, seq: 0 };
        w.select(Some(id));
        let state = |s: &Shown| {
            s.selected
                .clone()
                .and_then(|(_, d)| d)
                .map(|d| d.groups[0].1.clone())
        };
        let shown = w.read(&pg.engine, Reason::Navigate).unwrap();
        assert_eq!(
            state(&shown),
            Some(redis_emulator::observe::EntryState::NotDelivered)
        );
        let shown = step(&mut pg, &mut w, "XREADGROUP GROUP g alice STREAMS s >").unwrap();
        assert!(matches!(
            state(&shown),
            Some(redis_emulator::observe::EntryState::Pending { .. })
        ));
        let shown = step(&mut pg, &mut w, "XACK s g 5-0").unwrap();
        assert_eq!(
            state(&shown),
            Some(redis_emulator::observe::EntryState::Acknowledged)
        );
        let shown = step(&mut pg, &mut w, "XDEL s 5-0").unwrap();
        assert_eq!(
            shown.selected,
            Some((id, None)),
            "deleted: the selection says so"
        );
        w.select(None);
        assert_eq!(w.read(&pg.engine, Reason::Navigate).unwrap().selected, None);
    }

    #[test]
    fn streams_window_maths() {
        // At the top: rows 0.. with the overscan below only.
        let w = Window::at(0.0, 280.0, 1000);
        assert_eq!(
            (w.from, w.count, w.top_px, w.total_px),
            (0, 11 + 16, 0.0, 28_000.0)
        );
        // Halfway through a row: the row above is still drawn from its own top.
        let w = Window::at(100.0 * ROW_PX + 10.0, 280.0, 1000);
        assert_eq!(
            (w.from, w.top_px),
            (100 - OVERSCAN, (100 - OVERSCAN) as f64 * ROW_PX)
        );
        // At the bottom the window stops at the last entry.
        let w = Window::at(1e12, 280.0, 1000);
        assert_eq!(w.from + w.count as u64, 1000);
        // Short and empty streams.
        assert_eq!(Window::at(0.0, 280.0, 3).count, 3);
        assert_eq!(Window::at(50.0, 280.0, 0).count, 0);
        // A stream too long for one row per 28 px: the scroll range is capped and
        // still reaches both ends, and jumping lands where it says.
        let n = 2_000_000;
        let top = Window::at(0.0, 560.0, n);
        assert_eq!((top.from, top.total_px), (0, MAX_SCROLL_PX));
        let end = Window::at(MAX_SCROLL_PX, 560.0, n);
        assert_eq!(end.from + end.count as u64, n);
        let mid = Window::at(Window::scroll_to(1_000_000, 560.0, n), 560.0, n);
        assert_eq!(mid.from, 1_000_000 - OVERSCAN);
        assert_eq!(Window::scroll_to(37, 560.0, 1000), 37.0 * ROW_PX);
    }

    #[test]
    fn streams_jump_reads_ids_and_utc_times() {
        let id = |ms, seq| StreamId { ms, seq };
        assert_eq!(parse_jump("1700000000000-3"), Ok(id(1_700_000_000_000, 3)));
        assert_eq!(
            parse_jump(" 1700000000000 "),
            Ok(id(1_700_000_000_000, u64::MAX))
        );
        assert_eq!(
            parse_jump("2023-11-14 22:13:20"),
            Ok(id(1_700_000_000_999, u64::MAX))
        );
        assert_eq!(
            parse_jump("2023-11-14T22:13:20.5Z"),
            Ok(id(1_700_000_000_599, u64::MAX))
        );
        assert_eq!(
            parse_jump("2023-11-14 22:13"),
            Ok(id(1_700_000_039_999, u64::MAX))
        );
        assert_eq!(parse_jump("1970-01-01"), Ok(id(86_399_999, u64::MAX)));
        assert_eq!(
            parse_jump("2000-02-29 00:00:00.000"),
            Ok(id(951_782_400_000, u64::MAX))
        );
        assert_eq!(parse_jump("5-1"), Ok(id(5, 1)));
        for bad in [
            "",
            "2023-02-30",
            "2023-11-14 24:00",
            "abc",
            "1-2-3",
            "17-x",
            "2023-11-14 1:2:3.4567",
            "99999999999999999999",
        ] {
            assert!(parse_jump(bad).is_err(), "{bad}");
        }
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
            (PAGE_SIZE, PAGE_SIZE as u64 + 1, true)
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
