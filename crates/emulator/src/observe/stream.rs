//! The stream view: a window of entries newest first (by position, so a virtualised
//! table can show any part of a 100k-entry stream), consumer groups, consumers and
//! pending entries, one page at a time.

use crate::engine::Engine;
use crate::types::stream::{Group, StreamId, StreamValue, ENTRIES_READ_INVALID};
use crate::value::Value;

/// Which part of a stream to read. Entries are read newest first: `entries` of them,
/// starting `entries_from` entries after the newest (a scrolled table's window).
/// Pending entries are read oldest first from `pending_from` (inclusive), in every group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamPage {
    pub entries_from: u64,
    pub entries: usize,
    pub pending_from: Option<StreamId>,
    /// Rows per group list (consumers and pending entries of each group).
    pub size: usize,
}

impl Default for StreamPage {
    fn default() -> Self {
        StreamPage {
            entries_from: 0,
            entries: 50,
            pending_from: None,
            size: 50,
        }
    }
}

/// One stream entry: its ID and its field/value pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryRow {
    pub id: StreamId,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

/// One consumer of a group (XINFO CONSUMERS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerRow {
    pub name: Vec<u8>,
    /// Entries delivered to it and not acknowledged.
    pub pending: usize,
    /// Milliseconds since it was last seen (Redis 7.0 keeps this one time per consumer).
    pub idle_ms: i64,
}

/// One entry of a group's pending entries list (XPENDING's extended form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingRow {
    pub id: StreamId,
    pub consumer: Vec<u8>,
    pub idle_ms: i64,
    pub delivery_count: u64,
}

/// One consumer group (XINFO GROUPS) with a page of its consumers and pending entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRow {
    pub name: Vec<u8>,
    pub last_delivered_id: StreamId,
    /// None when Redis reports nil (the read counter is unknown).
    pub entries_read: Option<i64>,
    /// None when Redis reports nil (the lag cannot be computed).
    pub lag: Option<i64>,
    /// Entries in the group's PEL (all of them, not only the page).
    pub pending_count: usize,
    pub consumer_count: usize,
    pub consumers: Vec<ConsumerRow>,
    pub pending: Vec<PendingRow>,
    /// More pending entries follow the page.
    pub more_pending: bool,
}

/// A page of a stream as XINFO STREAM FULL and XPENDING would describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamView {
    pub length: u64,
    pub last_generated_id: StreamId,
    pub entries_added: u64,
    /// The first live entry's ID (0-0 when empty), as XINFO STREAM reports it.
    pub first_id: StreamId,
    /// The window of entries, newest first, and the position of its first one.
    pub entries: Vec<EntryRow>,
    pub entries_from: u64,
    pub groups: Vec<GroupRow>,
}

/// Where one entry stands in one consumer group: the entry's path is stream ->
/// delivered (pending for a consumer) -> acknowledged, or claimed by another consumer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryState {
    /// After the group's last-delivered-id: no consumer of the group has read it yet.
    NotDelivered,
    /// In the group's PEL: delivered to `consumer`, not acknowledged.
    Pending {
        consumer: Vec<u8>,
        deliveries: u64,
        idle_ms: i64,
    },
    /// Delivered (at or before last-delivered-id) and no longer pending.
    Acknowledged,
}

/// One entry in full, and its state in every group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryDetail {
    pub id: StreamId,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    pub groups: Vec<(Vec<u8>, EntryState)>,
}

impl Engine {
    /// The entry `id` of the stream at `key` with its state in each consumer group;
    /// None if there is no such stream or entry. Reads only, like `stream_view`.
    pub fn stream_entry(&self, db: usize, key: &[u8], id: StreamId) -> Option<EntryDetail> {
        let now = self.now_ms();
        let entry = self.db(db)?.entry(key)?;
        if matches!(entry.expire_at, Some(t) if t <= now) {
            return None;
        }
        let Value::Stream(s) = &entry.value else {
            return None;
        };
        let fields = s.get(id)?.map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
        let groups = s
            .groups
            .iter()
            .map(|(name, g)| {
                let state = match g.pel.get(&id) {
                    Some(p) => EntryState::Pending {
                        consumer: p.consumer.to_vec(),
                        deliveries: p.delivery_count,
                        idle_ms: now.wrapping_sub(p.delivery_time).max(0),
                    },
                    None if id <= g.last_id => EntryState::Acknowledged,
                    None => EntryState::NotDelivered,
                };
                (name.clone(), state)
            })
            .collect();
        Some(EntryDetail { id, fields, groups })
    }

    /// A page of the stream at `key` in database `db`; None if the key is missing,
    /// expired, or not a stream. Reads only: see the module documentation.
    pub fn stream_view(&self, db: usize, key: &[u8], page: StreamPage) -> Option<StreamView> {
        let now = self.now_ms();
        let entry = self.db(db)?.entry(key)?;
        if matches!(entry.expire_at, Some(t) if t <= now) {
            return None;
        }
        let Value::Stream(s) = &entry.value else {
            return None;
        };
        Some(build(s, page, now))
    }

    /// How many entries of the stream at `key` are newer than `id`: the position,
    /// newest first, that "jump to this ID" scrolls to. None if there is no such stream.
    pub fn stream_position(&self, db: usize, key: &[u8], id: StreamId) -> Option<u64> {
        let entry = self.db(db)?.entry(key)?;
        if matches!(entry.expire_at, Some(t) if t <= self.now_ms()) {
            return None;
        }
        match &entry.value {
            Value::Stream(s) => Some(s.count_newer_than(id)),
            _ => None,
        }
    }
}

fn build(s: &StreamValue, page: StreamPage, now: i64) -> StreamView {
    let size = page.size.max(1);
    let entries = s
        .newest_from(page.entries_from)
        .take(page.entries)
        .map(|(id, fields)| EntryRow {
            id,
            fields: fields.map(|(f, v)| (f.to_vec(), v.to_vec())).collect(),
        })
        .collect();
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| group_row(s, name, g, page, size, now))
        .collect();
    StreamView {
        length: s.len(),
        last_generated_id: s.last_id,
        entries_added: s.entries_added,
        first_id: s.first_id,
        entries,
        entries_from: page.entries_from,
        groups,
    }
}

fn group_row(
    s: &StreamValue,
    name: &[u8],
    g: &Group,
    page: StreamPage,
    size: usize,
    now: i64,
) -> GroupRow {
    let consumers = g
        .consumers
        .iter()
        .take(size)
        .map(|(cname, c)| ConsumerRow {
            name: cname.to_vec(),
            pending: c.pel.len(),
            idle_ms: now.wrapping_sub(c.seen_time).max(0),
        })
        .collect();
    let from = page.pending_from.unwrap_or(StreamId::MIN);
    let mut pel = g.pel.range(from..);
    let pending = pel
        .by_ref()
        .take(size)
        .map(|(id, p)| PendingRow {
            id: *id,
            consumer: p.consumer.to_vec(),
            idle_ms: now.wrapping_sub(p.delivery_time).max(0),
            delivery_count: p.delivery_count,
        })
        .collect();
    GroupRow {
        name: name.to_vec(),
        last_delivered_id: g.last_id,
        entries_read: (g.entries_read != ENTRIES_READ_INVALID).then_some(g.entries_read),
        lag: s.group_lag(g),
        pending_count: g.pel.len(),
        consumer_count: g.consumers.len(),
        consumers,
        pending,
        more_pending: pel.next().is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{run, setup};

    use crate::engine::ClientId;
    use crate::reply::Reply;

    /// The value of `name` in a map reply.
    fn field<'a>(map: &'a Reply, name: &str) -> &'a Reply {
        match map {
            Reply::Map(items) => items
                .iter()
                .find(|(k, _)| *k == Reply::bulk_str(name))
                .map(|(_, v)| v)
                .unwrap_or(&Reply::Nil),
            _ => &Reply::Nil,
        }
    }

    fn items(r: &Reply) -> &[Reply] {
        match r {
            Reply::Array(v) => v,
            _ => &[],
        }
    }

    fn id_reply(id: StreamId) -> Reply {
        Reply::bulk_str(&id.to_string())
    }

    fn opt_int(v: Option<i64>) -> Reply {
        v.map_or(Reply::Nil, Reply::Integer)
    }

    /// The view with a page large enough for everything matches XINFO STREAM FULL and
    /// XPENDING for the same state.
    fn assert_matches_redis(e: &mut Engine, c: ClientId, key: &str) {
        let view = e
            .stream_view(
                0,
                key.as_bytes(),
                StreamPage {
                    size: 1000,
                    entries: 1000,
                    ..StreamPage::default()
                },
            )
            .expect("a stream");
        let full = run(e, c, &format!("XINFO STREAM {key} FULL COUNT 0"));
        assert_eq!(field(&full, "length"), &Reply::Integer(view.length as i64));
        assert_eq!(
            field(&full, "last-generated-id"),
            &id_reply(view.last_generated_id)
        );
        assert_eq!(
            field(&full, "entries-added"),
            &Reply::Integer(view.entries_added as i64)
        );
        // XINFO lists entries oldest first; the view newest first.
        let mut expected: Vec<Reply> = items(field(&full, "entries")).to_vec();
        expected.reverse();
        let got: Vec<Reply> = view
            .entries
            .iter()
            .map(|r| {
                let flat = r
                    .fields
                    .iter()
                    .flat_map(|(f, v)| [Reply::bulk(f), Reply::bulk(v)])
                    .collect();
                Reply::Array(vec![id_reply(r.id), Reply::Array(flat)])
            })
            .collect();
        assert_eq!(got, expected);
        let groups = items(field(&full, "groups"));
        assert_eq!(groups.len(), view.groups.len());
        let now = e.now_ms();
        for (g, row) in groups.iter().zip(&view.groups) {
            let name = String::from_utf8_lossy(&row.name).into_owned();
            assert_eq!(field(g, "name"), &Reply::bulk(&row.name));
            assert_eq!(
                field(g, "last-delivered-id"),
                &id_reply(row.last_delivered_id)
            );
            assert_eq!(field(g, "entries-read"), &opt_int(row.entries_read));
            assert_eq!(field(g, "lag"), &opt_int(row.lag));
            assert_eq!(
                field(g, "pel-count"),
                &Reply::Integer(row.pending_count as i64)
            );
            let consumers = items(field(g, "consumers"));
            assert_eq!(consumers.len(), row.consumers.len());
            for (c_reply, c_row) in consumers.iter().zip(&row.consumers) {
                assert_eq!(field(c_reply, "name"), &Reply::bulk(&c_row.name));
                assert_eq!(
                    field(c_reply, "pel-count"),
                    &Reply::Integer(c_row.pending as i64)
                );
                assert_eq!(
                    field(c_reply, "seen-time"),
                    &Reply::Integer(now - c_row.idle_ms)
                );
            }
            let xpending = run(e, c, &format!("XPENDING {key} {name} - + 1000"));
            let got: Vec<Reply> = row
                .pending
                .iter()
                .map(|p| {
                    Reply::Array(vec![
                        id_reply(p.id),
                        Reply::bulk(&p.consumer),
                        Reply::Integer(p.idle_ms),
                        Reply::Integer(p.delivery_count as i64),
                    ])
                })
                .collect();
            assert_eq!(items(&xpending), got.as_slice(), "group {name}");
        }
    }

    #[test]
    fn observe_stream_view_matches_xinfo_and_xpending() {
        let (mut e, clock, c) = setup();
        run(&mut e, c, "XGROUP CREATE s managers $ MKSTREAM");
        assert_matches_redis(&mut e, c, "s");
        for i in 0..5 {
            run(&mut e, c, &format!("XADD s * n {i} kind task"));
            clock.advance_ms(7);
        }
        assert_matches_redis(&mut e, c, "s");
        run(
            &mut e,
            c,
            "XREADGROUP GROUP managers alice COUNT 2 STREAMS s >",
        );
        clock.advance_ms(100);
        run(
            &mut e,
            c,
            "XREADGROUP GROUP managers bob COUNT 2 STREAMS s >",
        );
        run(&mut e, c, "XGROUP CREATE s audit 0");
        clock.advance_ms(50);
        assert_matches_redis(&mut e, c, "s");
        let v = e.stream_view(0, b"s", StreamPage::default()).unwrap();
        let g = &v.groups[1];
        assert_eq!(
            (g.name.as_slice(), g.pending_count, g.lag),
            (&b"managers"[..], 4, Some(1))
        );
        assert_eq!(g.pending[0].consumer, b"alice");
        assert_eq!(g.pending[0].idle_ms, 150);
        assert_eq!(g.pending[2].idle_ms, 50);

        let first = g.pending[0].id;
        run(&mut e, c, &format!("XACK s managers {first}"));
        assert_matches_redis(&mut e, c, "s");
        let second = e
            .stream_view(0, b"s", StreamPage::default())
            .unwrap()
            .groups[1]
            .pending[0]
            .id;
        run(&mut e, c, &format!("XCLAIM s managers carol 0 {second}"));
        clock.advance_ms(10);
        assert_matches_redis(&mut e, c, "s");
        let v = e.stream_view(0, b"s", StreamPage::default()).unwrap();
        assert_eq!(v.groups[1].pending[0].consumer, b"carol");
        assert_eq!(v.groups[1].pending[0].delivery_count, 2);
        run(&mut e, c, "XAUTOCLAIM s managers dave 0 0-0");
        run(&mut e, c, "XTRIM s MAXLEN 2");
        run(&mut e, c, &format!("XDEL s {second}"));
        assert_matches_redis(&mut e, c, "s");
    }

    #[test]
    fn observe_stream_windows_by_position_newest_first() {
        let (mut e, _clock, c) = setup();
        // 350 entries span several nodes (100 entries each), with deletions inside
        // nodes so positions must skip deleted entries.
        for i in 1..=350 {
            run(&mut e, c, &format!("XADD s {i}-0 n {i}"));
        }
        for i in [350, 349, 200, 150, 3] {
            run(&mut e, c, &format!("XDEL s {i}-0"));
        }
        let all: Vec<u64> = (1..=350u64)
            .rev()
            .filter(|i| ![350, 349, 200, 150, 3].contains(i))
            .collect();
        let window = |e: &Engine, from: u64, n: usize| {
            let page = StreamPage {
                entries_from: from,
                entries: n,
                ..StreamPage::default()
            };
            let v = e.stream_view(0, b"s", page).unwrap();
            assert_eq!(v.entries_from, from);
            v.entries.iter().map(|r| r.id.ms).collect::<Vec<_>>()
        };
        for from in [
            0, 1, 47, 98, 99, 100, 101, 148, 149, 150, 250, 340, 344, 345, 400,
        ] {
            let expected: Vec<u64> = all.iter().copied().skip(from as usize).take(7).collect();
            assert_eq!(window(&e, from, 7), expected, "from {from}");
        }
        assert_eq!(
            e.stream_view(0, b"s", StreamPage::default())
                .unwrap()
                .entries[0]
                .fields,
            vec![(b"n".to_vec(), b"348".to_vec())]
        );
        // A position for every ID, present or deleted: the newest entry at or before it.
        for id in [0, 1, 3, 4, 150, 151, 199, 200, 201, 348, 349, 350, 1000] {
            let newer = all.iter().filter(|&&x| x > id).count() as u64;
            let got = e.stream_position(0, b"s", StreamId { ms: id, seq: 0 });
            assert_eq!(got, Some(newer), "id {id}");
        }
        assert_eq!(e.stream_position(0, b"nope", StreamId::MIN), None);
        run(&mut e, c, "SET str x");
        assert_eq!(e.stream_position(0, b"str", StreamId::MIN), None);
    }

    #[test]
    fn observe_an_entrys_path_through_the_groups() {
        let (mut e, clock, c) = setup();
        run(&mut e, c, "XGROUP CREATE s g1 $ MKSTREAM");
        run(&mut e, c, "XGROUP CREATE s g2 $");
        run(&mut e, c, "XADD s 1-0 k v");
        let id = StreamId { ms: 1, seq: 0 };
        let states = |e: &Engine| {
            e.stream_entry(0, b"s", id)
                .unwrap()
                .groups
                .into_iter()
                .map(|(_, st)| st)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            states(&e),
            [EntryState::NotDelivered, EntryState::NotDelivered]
        );
        assert_eq!(
            e.stream_entry(0, b"s", id).unwrap().fields,
            vec![(b"k".to_vec(), b"v".to_vec())]
        );
        run(&mut e, c, "XREADGROUP GROUP g1 alice STREAMS s >");
        clock.advance_ms(40);
        let pending = EntryState::Pending {
            consumer: b"alice".to_vec(),
            deliveries: 1,
            idle_ms: 40,
        };
        assert_eq!(states(&e), [pending, EntryState::NotDelivered]);
        run(&mut e, c, "XCLAIM s g1 bob 0 1-0");
        let claimed = EntryState::Pending {
            consumer: b"bob".to_vec(),
            deliveries: 2,
            idle_ms: 0,
        };
        assert_eq!(states(&e)[0], claimed);
        run(&mut e, c, "XACK s g1 1-0");
        assert_eq!(states(&e)[0], EntryState::Acknowledged);
        assert_eq!(
            e.stream_entry(0, b"s", StreamId { ms: 2, seq: 0 }),
            None,
            "no such entry"
        );
        assert_eq!(e.stream_entry(0, b"nope", id), None);
    }

    #[test]
    fn observe_pages_pending_entries() {
        let (mut e, _clock, c) = setup();
        run(&mut e, c, "XGROUP CREATE s g $ MKSTREAM");
        for i in 1..=5 {
            run(&mut e, c, &format!("XADD s {i}-0 n {i}"));
        }
        run(&mut e, c, "XREADGROUP GROUP g w STREAMS s >");
        let page = StreamPage {
            size: 2,
            ..StreamPage::default()
        };
        let v = e.stream_view(0, b"s", page).unwrap();
        let g = &v.groups[0];
        assert_eq!(
            (g.pending.len(), g.pending_count, g.more_pending),
            (2, 5, true)
        );
        let v = e
            .stream_view(
                0,
                b"s",
                StreamPage {
                    pending_from: Some(StreamId { ms: 5, seq: 0 }),
                    ..page
                },
            )
            .unwrap();
        assert_eq!(
            (v.groups[0].pending.len(), v.groups[0].more_pending),
            (1, false)
        );
    }

    #[test]
    fn observe_reads_without_side_effects() {
        let (mut e, clock, c) = setup();
        run(&mut e, c, "XADD s 1-0 a b");
        run(&mut e, c, "SET str v");
        e.set_event_log(true);
        let idle_before = run(&mut e, c, "OBJECT IDLETIME s");
        let info_before = run(&mut e, c, "INFO stats");
        clock.advance_ms(5000);
        e.take_events();
        let _ = e.stream_view(0, b"s", StreamPage::default());
        assert!(e.take_events().is_empty(), "no keyspace event");
        let info_after = run(&mut e, c, "INFO stats");
        let idle_after = run(&mut e, c, "OBJECT IDLETIME s");
        assert_eq!(
            (idle_before, idle_after),
            (Reply::Integer(0), Reply::Integer(5)),
            "the access time did not move"
        );
        let hits = |r: &Reply| match r {
            Reply::Verbatim(_, b) | Reply::Bulk(b) => String::from_utf8_lossy(b)
                .lines()
                .filter(|l| l.starts_with("keyspace_"))
                .map(str::to_string)
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(hits(&info_before), hits(&info_after));
        assert!(
            e.stream_view(0, b"str", StreamPage::default()).is_none(),
            "not a stream"
        );
        assert!(e.stream_view(0, b"nosuch", StreamPage::default()).is_none());
        assert!(e.stream_view(99, b"s", StreamPage::default()).is_none());
        run(&mut e, c, "PEXPIRE s 10");
        clock.advance_ms(11);
        assert!(
            e.stream_view(0, b"s", StreamPage::default()).is_none(),
            "expired reads as missing"
        );
    }
}
