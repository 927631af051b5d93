//! The value view: one window of any key's value (string bytes, list elements, hash
//! pairs, set members, sorted set members by rank) with its type, encoding, length and
//! TTL, for the key browser's per-type views.
//!
//! The window is read through each type's positional access, so a read costs the window,
//! not the value: a list by index, a sorted set by rank (O(log n + window)), a hash or a
//! set by position in its storage. That position order is the type's own: for the compact
//! encodings (listpack hash, intset) it is HGETALL/SMEMBERS order; for a hashtable it is
//! the dict's dense entry order (insertion order, a removal moving the last entry into
//! the hole), which is stable while the value is not written but is not the bucket order
//! HGETALL prints. Streams have their own view (`Engine::stream_view`): here they report
//! only their header.

use crate::engine::Engine;
use crate::value::Value;

/// Which part of a value to read: `count` rows (bytes for a string) from `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueWindow {
    pub offset: usize,
    pub count: usize,
}

impl Default for ValueWindow {
    fn default() -> Self {
        ValueWindow {
            offset: 0,
            count: 100,
        }
    }
}

/// The rows of a window, by type. Row `i` is at position `offset + i` of the value.
#[derive(Clone, Debug, PartialEq)]
pub enum ValueRows {
    /// The bytes `offset..offset + count` of the string.
    String(Vec<u8>),
    /// Elements by index (0 is the head).
    List(Vec<Vec<u8>>),
    /// Field/value pairs in storage order (see the module documentation).
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// Members in storage order.
    Set(Vec<Vec<u8>>),
    /// (member, score) by rank, lowest score first; `min` and `max` are the scores of
    /// the whole sorted set's first and last members (for scale bars).
    ZSet {
        rows: Vec<(Vec<u8>, f64)>,
        min: f64,
        max: f64,
    },
    /// See `Engine::stream_view`.
    Stream,
}

/// One window of a key's value, with what its header shows.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueView {
    /// What TYPE prints.
    pub type_name: &'static str,
    /// What OBJECT ENCODING prints.
    pub encoding: &'static str,
    /// Elements (STRLEN for a string, XLEN for a stream).
    pub length: usize,
    /// Absolute expiry time in Unix milliseconds, if the key has a TTL.
    pub expire_at: Option<i64>,
    /// Approximate bytes of the value (`Value::approx_memory`).
    pub memory: usize,
    /// The window's first position (clamped to the length).
    pub offset: usize,
    pub rows: ValueRows,
}

impl ValueView {
    /// Rows (bytes for a string) in the window.
    pub fn row_count(&self) -> usize {
        match &self.rows {
            ValueRows::String(b) => b.len(),
            ValueRows::List(v) | ValueRows::Set(v) => v.len(),
            ValueRows::Hash(v) => v.len(),
            ValueRows::ZSet { rows, .. } => rows.len(),
            ValueRows::Stream => 0,
        }
    }
}

/// The number of elements of `value` (STRLEN, LLEN, HLEN, SCARD, ZCARD, XLEN).
pub fn value_length(value: &Value) -> usize {
    match value {
        Value::Str(s) => s.bytes.len(),
        Value::List(l) => l.len(),
        Value::Hash(h) => h.len(),
        Value::Set(s) => s.len(),
        Value::ZSet(z) => z.len(),
        Value::Stream(s) => usize::try_from(s.len()).unwrap_or(usize::MAX),
    }
}

impl Engine {
    /// A window of the value at `key` in database `db`; None if the key is missing or
    /// its TTL has passed. Reads only: see the module documentation of `observe`.
    pub fn value_view(&self, db: usize, key: &[u8], window: ValueWindow) -> Option<ValueView> {
        let now = self.now_ms();
        let entry = self.db(db)?.entry(key)?;
        if matches!(entry.expire_at, Some(t) if t <= now) {
            return None;
        }
        let value = &entry.value;
        let length = value_length(value);
        let offset = window.offset.min(length);
        let end = offset.saturating_add(window.count).min(length);
        let rows = match value {
            Value::Str(s) => {
                ValueRows::String(s.bytes.get(offset..end).unwrap_or_default().to_vec())
            }
            Value::List(l) => ValueRows::List(l.range(offset, end).map(<[u8]>::to_vec).collect()),
            Value::Hash(h) => ValueRows::Hash(
                (offset..end)
                    .filter_map(|i| h.pair_at(i))
                    .map(|(f, v)| (f.to_vec(), v.to_vec()))
                    .collect(),
            ),
            Value::Set(s) => ValueRows::Set((offset..end).filter_map(|i| s.member_at(i)).collect()),
            Value::ZSet(z) => ValueRows::ZSet {
                rows: z
                    .range(offset, end, false)
                    .map(|(m, s)| (m.to_vec(), s))
                    .collect(),
                min: z.nth(0).map_or(0.0, |(_, s)| s),
                max: z.nth(z.len().saturating_sub(1)).map_or(0.0, |(_, s)| s),
            },
            Value::Stream(_) => ValueRows::Stream,
        };
        Some(ValueView {
            type_name: value.type_name(),
            encoding: value.encoding_name(),
            length,
            expire_at: entry.expire_at,
            memory: value.approx_memory(),
            offset,
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{run, setup};

    use crate::reply::Reply;

    /// The strings of a reply, flattened (arrays, maps, sets; scores as ZRANGE prints them).
    fn bulks(r: &Reply) -> Vec<Vec<u8>> {
        match r {
            Reply::Array(v) | Reply::Set(v) => v.iter().flat_map(bulks).collect(),
            Reply::Map(m) => m
                .iter()
                .flat_map(|(k, v)| [bulks(k), bulks(v)].concat())
                .collect(),
            Reply::Bulk(b) => vec![b.clone()],
            Reply::Double(d) => vec![crate::fmt::fmt_double_reply(*d).into_bytes()],
            _ => Vec::new(),
        }
    }

    fn window(offset: usize, count: usize) -> ValueWindow {
        ValueWindow { offset, count }
    }

    fn int(r: Reply) -> usize {
        match r {
            Reply::Integer(n) => usize::try_from(n).unwrap_or(usize::MAX),
            _ => usize::MAX,
        }
    }

    #[test]
    fn value_view_of_a_list_pages_by_index_like_lrange() {
        let (mut e, _, c) = setup();
        for i in 0..250 {
            run(&mut e, c, &format!("RPUSH l item{i}"));
        }
        let v = e.value_view(0, b"l", window(100, 100)).expect("a list");
        assert_eq!((v.type_name, v.length, v.offset), ("list", 250, 100));
        assert_eq!(
            run(&mut e, c, "OBJECT ENCODING l"),
            Reply::bulk_str(v.encoding)
        );
        assert_eq!(
            v.rows,
            ValueRows::List(bulks(&run(&mut e, c, "LRANGE l 100 199")))
        );
        let last = e.value_view(0, b"l", window(200, 100)).expect("a list");
        assert_eq!(
            last.rows,
            ValueRows::List(bulks(&run(&mut e, c, "LRANGE l 200 299")))
        );
        let past = e.value_view(0, b"l", window(900, 100)).expect("a list");
        assert_eq!(
            (past.offset, past.row_count()),
            (250, 0),
            "a window past the end is empty"
        );
    }

    #[test]
    fn value_view_of_a_zset_pages_by_rank_with_the_score_range() {
        let (mut e, _, c) = setup();
        for i in 0..300 {
            run(&mut e, c, &format!("ZADD z {} m{i}", (i * 7) % 301));
        }
        let v = e.value_view(0, b"z", window(50, 20)).expect("a zset");
        let ValueRows::ZSet { rows, min, max } = &v.rows else {
            panic!("not zset rows: {v:?}");
        };
        let expect = bulks(&run(&mut e, c, "ZRANGE z 50 69 WITHSCORES"));
        let got: Vec<Vec<u8>> = rows
            .iter()
            .flat_map(|(m, s)| [m.clone(), crate::fmt::fmt_double_reply(*s).into_bytes()])
            .collect();
        assert_eq!(got, expect);
        let ends = bulks(&run(&mut e, c, "ZRANGE z 0 -1 WITHSCORES"));
        let first = String::from_utf8_lossy(&ends[1])
            .parse::<f64>()
            .unwrap_or(f64::NAN);
        let last = String::from_utf8_lossy(&ends[ends.len() - 1])
            .parse::<f64>()
            .unwrap_or(f64::NAN);
        assert_eq!((*min, *max), (first, last));
        assert_eq!(v.length, int(run(&mut e, c, "ZCARD z")));
    }

    #[test]
    fn value_view_of_hashes_and_sets_covers_every_element_once_across_pages() {
        let (mut e, _, c) = setup();
        // Small (listpack, intset) and large (hashtable) encodings.
        for (n, suffix) in [(5, "small"), (700, "big")] {
            for i in 0..n {
                run(&mut e, c, &format!("HSET h{suffix} f{i} v{i}"));
                run(&mut e, c, &format!("SADD s{suffix} {i}"));
            }
            let mut pairs = Vec::new();
            let mut members = Vec::new();
            let mut offset = 0;
            while offset < n {
                let h = e
                    .value_view(0, format!("h{suffix}").as_bytes(), window(offset, 64))
                    .expect("a hash");
                let s = e
                    .value_view(0, format!("s{suffix}").as_bytes(), window(offset, 64))
                    .expect("a set");
                match (h.rows, s.rows) {
                    (ValueRows::Hash(p), ValueRows::Set(m)) => {
                        pairs.extend(p);
                        members.extend(m);
                    }
                    other => panic!("wrong rows {other:?}"),
                }
                offset += 64;
            }
            let mut all = bulks(&run(&mut e, c, &format!("HGETALL h{suffix}")));
            let mut flat: Vec<Vec<u8>> = pairs.into_iter().flat_map(|(f, v)| [f, v]).collect();
            if suffix == "small" {
                assert_eq!(flat, all, "a listpack pages in HGETALL order");
                assert_eq!(
                    members,
                    bulks(&run(&mut e, c, &format!("SMEMBERS s{suffix}"))),
                    "an intset in SMEMBERS order"
                );
            }
            let mut expect_members = bulks(&run(&mut e, c, &format!("SMEMBERS s{suffix}")));
            flat.sort();
            all.sort();
            members.sort();
            expect_members.sort();
            assert_eq!(flat, all);
            assert_eq!(members, expect_members);
        }
    }

    #[test]
    fn value_view_of_a_string_windows_its_bytes() {
        let (mut e, _, c) = setup();
        run(&mut e, c, "SET n 12345");
        run(&mut e, c, "APPEND long 0123456789abcdef");
        let n = e
            .value_view(0, b"n", ValueWindow::default())
            .expect("a string");
        assert_eq!((n.type_name, n.encoding, n.length), ("string", "int", 5));
        assert_eq!(
            n.rows,
            ValueRows::String(bulks(&run(&mut e, c, "GET n")).concat())
        );
        let part = e.value_view(0, b"long", window(4, 6)).expect("a string");
        assert_eq!(
            part.rows,
            ValueRows::String(bulks(&run(&mut e, c, "GETRANGE long 4 9")).concat())
        );
        assert_eq!(
            run(&mut e, c, "OBJECT ENCODING long"),
            Reply::bulk_str(part.encoding)
        );
        run(&mut e, c, "XADD st 1-0 a b");
        let st = e
            .value_view(0, b"st", ValueWindow::default())
            .expect("a stream");
        assert_eq!(
            (st.type_name, st.length, st.rows),
            ("stream", 1, ValueRows::Stream)
        );
    }

    #[test]
    fn value_view_reads_without_side_effects_and_hides_expired_keys() {
        let (mut e, clock, c) = setup();
        run(&mut e, c, "RPUSH l a b c");
        run(&mut e, c, "SET t v PX 1000");
        e.set_event_log(true);
        let idle_before = run(&mut e, c, "OBJECT IDLETIME l");
        let info_before = run(&mut e, c, "INFO stats");
        clock.advance_ms(5000);
        e.take_events();
        let l = e
            .value_view(0, b"l", ValueWindow::default())
            .expect("a list");
        assert_eq!(l.expire_at, None);
        assert!(
            e.value_view(0, b"t", ValueWindow::default()).is_none(),
            "past its TTL reads missing"
        );
        assert!(
            e.take_events().is_empty(),
            "no keyspace event, nothing expired"
        );
        let info_after = run(&mut e, c, "INFO stats");
        let idle_after = run(&mut e, c, "OBJECT IDLETIME l");
        assert_eq!(
            (idle_before, idle_after),
            (Reply::Integer(0), Reply::Integer(5)),
            "the access time did not move"
        );
        let stats = |r: &Reply| match r {
            Reply::Verbatim(_, b) | Reply::Bulk(b) => String::from_utf8_lossy(b)
                .lines()
                .filter(|l| l.starts_with("keyspace_") || l.starts_with("expired_keys"))
                .map(str::to_string)
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        };
        assert_eq!(stats(&info_before), stats(&info_after));
        assert!(
            e.db(0).is_some_and(|d| d.entry(b"t").is_some()),
            "still stored: the view expired nothing"
        );
        assert!(e.value_view(0, b"nosuch", ValueWindow::default()).is_none());
        assert!(e.value_view(99, b"l", ValueWindow::default()).is_none());
        run(&mut e, c, "PEXPIRE l 100000");
        let l = e
            .value_view(0, b"l", ValueWindow::default())
            .expect("a list");
        assert_eq!(l.expire_at, Some(e.now_ms() + 100_000));
    }
}
