//! The key list beside the console: a read-only look at one database, filtered by a
//! glob pattern, with each key's type, TTL and approximate size. It observes the engine
//! (`Engine::db`), it never changes data; clicking a key only prefills the console.

use redis_emulator::glob::glob_match;
use redis_emulator::Engine;

/// Rows shown at most; the rest is counted.
pub const MAX_ROWS: usize = 500;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRow {
    pub key: Vec<u8>,
    /// The key as shown: plain if printable, else quoted like redis-cli.
    pub display: String,
    pub type_name: &'static str,
    pub encoding: &'static str,
    /// Milliseconds left, if the key has a TTL.
    pub ttl_ms: Option<i64>,
    pub size: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub db: usize,
    pub rows: Vec<KeyRow>,
    /// Keys matching the pattern (rows may be fewer, see MAX_ROWS).
    pub matching: usize,
    /// Live keys in the database.
    pub total: usize,
}

impl Listing {
    pub fn has_ttl(&self) -> bool {
        self.rows.iter().any(|r| r.ttl_ms.is_some())
    }
}

/// Reads database `db`: live keys matching `pattern` (empty = all), sorted by name.
/// Keys whose TTL has passed but that no one has touched yet are left out, as Redis
/// would report them gone.
pub fn list(engine: &Engine, db: usize, pattern: &str, now_ms: i64) -> Listing {
    let Some(d) = engine.db(db) else {
        return Listing {
            db,
            ..Listing::default()
        };
    };
    let pattern = if pattern.trim().is_empty() {
        "*"
    } else {
        pattern.trim()
    };
    let mut total = 0;
    let mut rows = Vec::new();
    let mut matching = 0;
    for (k, e) in d.iter() {
        if matches!(e.expire_at, Some(t) if t <= now_ms) {
            continue;
        }
        total += 1;
        if !glob_match(pattern.as_bytes(), k, false) {
            continue;
        }
        matching += 1;
        rows.push(KeyRow {
            key: k.to_vec(),
            display: display_key(k),
            type_name: e.value.type_name(),
            encoding: e.value.encoding_name(),
            ttl_ms: e.expire_at.map(|t| t - now_ms),
            size: e.value.approx_memory() + k.len(),
        });
    }
    rows.sort_by(|a, b| a.key.cmp(&b.key));
    rows.truncate(MAX_ROWS);
    Listing {
        db,
        rows,
        matching,
        total,
    }
}

/// Whether an argument must be quoted for redis-cli to read it back as the same bytes.
fn needs_quotes(k: &[u8]) -> bool {
    k.is_empty()
        || k.iter()
            .any(|&c| !(0x21..=0x7e).contains(&c) || c == b'"' || c == b'\'' || c == b'\\')
}

/// A key as text: plain when it is printable ASCII without spaces or quotes, else in
/// redis-cli's quoted form (which `split_args` reads back to the same bytes).
pub fn display_key(k: &[u8]) -> String {
    if needs_quotes(k) {
        redis_emulator::cli::quote_bytes(k)
    } else {
        String::from_utf8_lossy(k).into_owned()
    }
}

/// What clicking a key types into the console: the command that reads the whole value
/// of its type (`GET`, `LRANGE 0 -1`, `HGETALL`...), or `TYPE` for a type it doesn't know.
pub fn console_command(row: &KeyRow) -> String {
    let key = display_key(&row.key);
    match row.type_name {
        "string" => format!("GET {key}"),
        "list" => format!("LRANGE {key} 0 -1"),
        "hash" => format!("HGETALL {key}"),
        "set" => format!("SMEMBERS {key}"),
        "zset" => format!("ZRANGE {key} 0 -1 WITHSCORES"),
        // The newest entries first: what a learner usually wants to see of a stream.
        "stream" => format!("XREVRANGE {key} + - COUNT 10"),
        _ => format!("TYPE {key}"),
    }
}

/// A TTL for people: `42s`, `5m 03s`, `2h 10m`, `3d 4h`. Rounds up, as TTL does.
pub fn format_ttl(ms: i64) -> String {
    let s = ms.max(0).div_euclid(1000) + i64::from(ms.max(0) % 1000 != 0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d {}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// Bytes for people: `56 B`, `1.2 KB`, `3.4 MB`.
pub fn format_size(bytes: usize) -> String {
    match bytes {
        0..=999 => format!("{bytes} B"),
        1000..=999_999 => format!("{:.1} KB", bytes as f64 / 1000.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
    }
}

/// Decides when the list must be read again: the data changed (dirty counter, keys
/// expired), the database or the filter changed, or a TTL is on screen and counts down.
#[derive(Clone, Debug, Default)]
pub struct Watch {
    seen: Option<(u64, usize, String)>,
    has_ttl: bool,
}

impl Watch {
    pub fn needs_refresh(&self, dirty: u64, db: usize, pattern: &str, expired_now: usize) -> bool {
        expired_now > 0
            || self.has_ttl
            || self.seen.as_ref() != Some(&(dirty, db, pattern.to_string()))
    }

    pub fn record(&mut self, dirty: u64, db: usize, pattern: &str, listing: &Listing) {
        self.seen = Some((dirty, db, pattern.to_string()));
        self.has_ttl = listing.has_ttl();
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

    #[test]
    fn keys_list_shows_type_ttl_and_size_sorted_by_name() {
        let (mut pg, clock) = setup();
        run(&mut pg, "SET greeting hello");
        run(&mut pg, "SET counter 10");
        run(&mut pg, "EXPIRE greeting 100");
        clock.advance_ms(1500);
        let l = list(&pg.engine, 0, "", pg.engine.now_ms());
        assert_eq!((l.total, l.matching), (2, 2));
        let names: Vec<&str> = l.rows.iter().map(|r| r.display.as_str()).collect();
        assert_eq!(names, ["counter", "greeting"]);
        assert_eq!(l.rows[1].type_name, "string");
        assert_eq!(l.rows[1].ttl_ms, Some(98_500));
        assert_eq!(format_ttl(l.rows[1].ttl_ms.unwrap()), "1m 39s");
        assert_eq!(l.rows[0].ttl_ms, None);
        assert_eq!(l.rows[0].encoding, "int");
        assert!(l.rows[1].size > l.rows[0].size, "{:?}", l.rows);
        assert!(l.has_ttl());
    }

    #[test]
    fn keys_list_filters_with_a_glob_and_follows_the_db() {
        let (mut pg, _) = setup();
        for k in ["user:1", "user:2", "session:9"] {
            run(&mut pg, &format!("SET {k} x"));
        }
        run(&mut pg, "SELECT 2");
        run(&mut pg, "SET other y");
        let now = pg.engine.now_ms();
        let l = list(&pg.engine, 0, "user:*", now);
        assert_eq!((l.matching, l.total, l.rows.len()), (2, 3, 2));
        assert_eq!(list(&pg.engine, 0, "  ", now).matching, 3);
        assert_eq!(
            list(&pg.engine, 0, "[", now).matching,
            0,
            "a broken pattern matches nothing, no panic"
        );
        let l2 = list(&pg.engine, pg.db(), "", now);
        assert_eq!(
            l2.rows
                .iter()
                .map(|r| r.display.clone())
                .collect::<Vec<_>>(),
            ["other"]
        );
        assert_eq!(
            list(&pg.engine, 99, "", now),
            Listing {
                db: 99,
                ..Listing::default()
            }
        );
    }

    #[test]
    fn keys_list_hides_keys_whose_ttl_has_passed() {
        let (mut pg, clock) = setup();
        run(&mut pg, "SET short v PX 500");
        clock.advance_ms(600);
        let l = list(&pg.engine, 0, "", pg.engine.now_ms());
        assert_eq!(l.total, 0);
        assert_eq!(pg.engine.active_expire(100), 1);
    }

    #[test]
    fn keys_list_caps_its_rows() {
        let (mut pg, _) = setup();
        for i in 0..(MAX_ROWS + 20) {
            run(&mut pg, &format!("SET k{i:04} v"));
        }
        let l = list(&pg.engine, 0, "", pg.engine.now_ms());
        assert_eq!((l.rows.len(), l.matching), (MAX_ROWS, MAX_ROWS + 20));
    }

    #[test]
    fn keys_odd_names_are_quoted_so_the_console_reads_them_back() {
        for key in [&b"with space"[..], b"quote\"d", b"", b"\xe4\x01", b"it's"] {
            let row = KeyRow {
                key: key.to_vec(),
                display: display_key(key),
                type_name: "string",
                encoding: "raw",
                ttl_ms: None,
                size: 1,
            };
            let cmd = console_command(&row);
            assert_eq!(argv(&cmd), vec![b"GET".to_vec(), key.to_vec()], "{cmd}");
        }
        assert_eq!(display_key(b"user:1"), "user:1");
        let row = |type_name| KeyRow {
            key: b"q".to_vec(),
            display: "q".into(),
            type_name,
            encoding: "",
            ttl_ms: None,
            size: 1,
        };
        assert_eq!(console_command(&row("list")), "LRANGE q 0 -1");
        assert_eq!(console_command(&row("hash")), "HGETALL q");
        assert_eq!(console_command(&row("set")), "SMEMBERS q");
        assert_eq!(console_command(&row("zset")), "ZRANGE q 0 -1 WITHSCORES");
        assert_eq!(console_command(&row("stream")), "XREVRANGE q + - COUNT 10");
    }

    #[test]
    fn keys_ttl_and_size_read_well() {
        assert_eq!(format_ttl(100_000), "1m 40s");
        assert_eq!(format_ttl(99_001), "1m 40s");
        assert_eq!(format_ttl(1), "1s");
        assert_eq!(format_ttl(-5), "0s");
        assert_eq!(format_ttl(59_000), "59s");
        assert_eq!(format_ttl(7_200_000), "2h 00m");
        assert_eq!(format_ttl(90_000_000), "1d 1h");
        assert_eq!(format_size(56), "56 B");
        assert_eq!(format_size(1234), "1.2 KB");
        assert_eq!(format_size(3_400_000), "3.4 MB");
    }

    #[test]
    fn keys_watch_rereads_only_when_something_changed() {
        let (mut pg, _) = setup();
        let mut w = Watch::default();
        assert!(w.needs_refresh(0, 0, "", 0), "first read");
        let l = list(&pg.engine, 0, "", pg.engine.now_ms());
        w.record(pg.engine.dirty_count(), 0, "", &l);
        assert!(!w.needs_refresh(pg.engine.dirty_count(), 0, "", 0));
        assert!(
            w.needs_refresh(pg.engine.dirty_count(), 1, "", 0),
            "another db"
        );
        assert!(
            w.needs_refresh(pg.engine.dirty_count(), 0, "a*", 0),
            "another filter"
        );
        assert!(
            w.needs_refresh(pg.engine.dirty_count(), 0, "", 1),
            "keys expired"
        );
        run(&mut pg, "SET a 1 EX 10");
        assert!(
            w.needs_refresh(pg.engine.dirty_count(), 0, "", 0),
            "a write"
        );
        let l = list(&pg.engine, 0, "", pg.engine.now_ms());
        w.record(pg.engine.dirty_count(), 0, "", &l);
        assert!(
            w.needs_refresh(pg.engine.dirty_count(), 0, "", 0),
            "a TTL counts down"
        );
    }
}
