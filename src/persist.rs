//! Saving the dataset in the browser, key by key, as it changes.
//!
//! A learner's data must survive a reload, and saving must not rewrite 10k keys after
//! each command. So the saved form is one record per key (its DUMP payload, byte for
//! byte what Redis 7.0 would DUMP, and its absolute expiry time) and the page writes only
//! the keys that changed since the last save. What changed comes from the engine's
//! change events, drained once per refresh (`AppCtx::refresh`), with the same safety
//! nets as the key browser (`keyspace.rs`): FLUSHDB, FLUSHALL and SWAPDB report no
//! per-key event but move a database's generation, an overflowed event log or a write
//! without events cannot say which keys changed. Any of those makes the next save a full
//! one (every key, the old records dropped).
//!
//! This module is I/O-free: it says what to write (`Batch`) and restores what was read
//! (`restore`); `web::store` moves the bytes to and from IndexedDB. The records carry a
//! format version, and the store a `meta` record with the version of the whole; a saved
//! state this page can't read is never overwritten (see `Restored`).

use std::collections::{BTreeMap, BTreeSet};

use redis_emulator::notify::{Event, MAX_LOGGED_EVENTS};
use redis_emulator::Engine;

/// The version of the saved format: a record is `VERSION`, the expiry (i64 little
/// endian, `NO_EXPIRY` for none), then the DUMP payload.
pub const VERSION: u8 = 1;
/// The expiry field of a key without a TTL.
const NO_EXPIRY: i64 = i64::MIN;

/// One key as saved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub db: usize,
    pub key: Vec<u8>,
    /// `encode_record`'s bytes.
    pub bytes: Vec<u8>,
}

/// What to write to the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// Drop every record first (a full save).
    pub clear: bool,
    pub put: Vec<Record>,
    /// Keys to drop (db, key).
    pub delete: Vec<(usize, Vec<u8>)>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        !self.clear && self.put.is_empty() && self.delete.is_empty()
    }
}

/// A record's bytes.
pub fn encode_record(expire_at_ms: Option<i64>, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + payload.len());
    out.push(VERSION);
    out.extend_from_slice(&expire_at_ms.unwrap_or(NO_EXPIRY).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// A record's expiry and payload, or why it can't be read.
pub fn decode_record(bytes: &[u8]) -> Result<(Option<i64>, &[u8]), String> {
    match bytes.split_first() {
        None => Err("an empty record".into()),
        Some((&VERSION, rest)) if rest.len() >= 8 => {
            let (when, payload) = rest.split_at(8);
            let mut b = [0u8; 8];
            b.copy_from_slice(when);
            let at = i64::from_le_bytes(b);
            Ok(((at != NO_EXPIRY).then_some(at), payload))
        }
        Some((&VERSION, _)) => Err("a truncated record".into()),
        Some((v, _)) => Err(format!(
            "a record of format version {v} (this page reads {VERSION})"
        )),
    }
}

/// Follows the engine's changes between saves.
#[derive(Default)]
pub struct Tracker {
    /// Each database's generation at the last save.
    generations: Vec<u64>,
    /// The engine's dirty counter at the last note.
    dirty: u64,
    /// Keys changed since the last save.
    changed: BTreeSet<(usize, Vec<u8>)>,
    /// The next save rewrites everything.
    full: bool,
    /// Nothing was saved yet (the first save is a full one).
    started: bool,
}

impl Tracker {
    pub fn new() -> Tracker {
        Tracker::default()
    }

    /// Notes the change events drained by a refresh (every database's).
    pub fn note(&mut self, engine: &Engine, events: &[Event]) {
        let dirty = engine.dirty_count();
        if events.len() >= MAX_LOGGED_EVENTS || (dirty != self.dirty && events.is_empty()) {
            self.full = true;
        }
        self.dirty = dirty;
        if self.full {
            return;
        }
        for e in events {
            if e.name != "keymiss" {
                self.changed.insert((e.db, e.key.clone()));
            }
        }
    }

    /// Whether a save has something to write.
    pub fn has_changes(&self, engine: &Engine) -> bool {
        !self.started || self.full || !self.changed.is_empty() || self.generations_moved(engine)
    }

    fn generations_moved(&self, engine: &Engine) -> bool {
        generations(engine) != self.generations
    }

    /// What to write now, and the tracker starts over from here.
    pub fn take_batch(&mut self, engine: &mut Engine) -> Batch {
        let full = !self.started || self.full || self.generations_moved(engine);
        let mut batch = Batch {
            clear: full,
            ..Batch::default()
        };
        if full {
            let keys: Vec<(usize, Vec<u8>)> = all_keys(engine);
            for (db, key) in keys {
                if let Some(record) = record_of(engine, db, &key) {
                    batch.put.push(record);
                }
            }
        } else {
            for (db, key) in std::mem::take(&mut self.changed) {
                match record_of(engine, db, &key) {
                    Some(record) => batch.put.push(record),
                    None => batch.delete.push((db, key)),
                }
            }
        }
        self.changed.clear();
        self.full = false;
        self.started = true;
        self.generations = generations(engine);
        self.dirty = engine.dirty_count();
        batch
    }

    /// After a restore: what was read is what is saved.
    pub fn restored(&mut self, engine: &Engine) {
        self.changed.clear();
        self.full = false;
        self.started = true;
        self.generations = generations(engine);
        self.dirty = engine.dirty_count();
    }
}

fn generations(engine: &Engine) -> Vec<u64> {
    (0..)
        .map_while(|i| engine.db(i))
        .map(|d| d.generation())
        .collect()
}

fn all_keys(engine: &Engine) -> Vec<(usize, Vec<u8>)> {
    let mut keys = Vec::new();
    for db in 0.. {
        let Some(d) = engine.db(db) else {
            break;
        };
        keys.extend(d.iter().map(|(k, _)| (db, k.to_vec())));
    }
    keys
}

/// The record of a key as it is now (None: it does not exist).
fn record_of(engine: &mut Engine, db: usize, key: &[u8]) -> Option<Record> {
    let payload = engine.dump_value(db, key)?;
    let expire_at = engine
        .db(db)
        .and_then(|d| d.entry(key))
        .and_then(|e| e.expire_at);
    Some(Record {
        db,
        key: key.to_vec(),
        bytes: encode_record(expire_at, &payload),
    })
}

/// What a restore did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Restored {
    pub keys: usize,
    /// Keys whose TTL passed while the page was closed (not restored, as Redis drops
    /// them when it loads an RDB).
    pub expired: usize,
    /// Records that could not be read: (db, key, why). They stay in the store's backup.
    pub damaged: Vec<(usize, Vec<u8>, String)>,
}

/// Restores saved records into the engine (which should be empty). Never panics on any
/// bytes: a record that can't be read is reported, the others are restored.
pub fn restore(engine: &mut Engine, records: &[Record]) -> Restored {
    let mut report = Restored::default();
    let now = engine.now_ms();
    // The last record of a key wins (a store should hold one; be safe).
    let mut latest: BTreeMap<(usize, &[u8]), &[u8]> = BTreeMap::new();
    for r in records {
        latest.insert((r.db, r.key.as_slice()), r.bytes.as_slice());
    }
    for ((db, key), bytes) in latest {
        match decode_record(bytes) {
            Ok((Some(at), _)) if at <= now => report.expired += 1,
            Ok((expire_at, payload)) => match engine.restore_value(db, key, payload, expire_at) {
                Ok(()) => report.keys += 1,
                Err(e) => report.damaged.push((db, key.to_vec(), e)),
            },
            Err(e) => report.damaged.push((db, key.to_vec(), e)),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::testing::argv;
    use crate::playground::Playground;
    use redis_emulator::ManualClock;

    const NOW: i64 = 1_700_000_000_000;

    fn pg() -> Playground {
        let mut pg = Playground::new(Box::new(ManualClock::new(NOW)), 1);
        pg.engine.set_event_log(true);
        pg
    }

    fn run(pg: &mut Playground, line: &str) {
        let client = pg.client;
        pg.engine.execute(client, &argv(line));
    }

    fn save(pg: &mut Playground, t: &mut Tracker) -> Batch {
        let events = pg.engine.take_events();
        t.note(&pg.engine, &events);
        t.take_batch(&mut pg.engine)
    }

    fn dump_all(pg: &mut Playground) -> Vec<(usize, Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        for (db, key) in all_keys(&pg.engine) {
            if let Some(r) = record_of(&mut pg.engine, db, &key) {
                out.push((db, key, r.bytes));
            }
        }
        out.sort();
        out
    }

    /// Applies batches to a map, as the store does.
    fn apply(store: &mut BTreeMap<(usize, Vec<u8>), Vec<u8>>, batch: Batch) {
        if batch.clear {
            store.clear();
        }
        for (db, key) in batch.delete {
            store.remove(&(db, key));
        }
        for r in batch.put {
            store.insert((r.db, r.key), r.bytes);
        }
    }

    #[test]
    fn saves_are_incremental_and_restore_every_type() {
        let mut a = pg();
        let mut t = Tracker::new();
        let mut store = BTreeMap::new();
        apply(&mut store, save(&mut a, &mut t));
        for line in [
            "SET s hello",
            "SET n 42 PX 100000",
            "RPUSH l a b c",
            "HSET h f v g w",
            "SADD set x y",
            "ZADD z 1 a 2.5 b",
            "XADD st 1-1 f v",
            "XGROUP CREATE st g 0",
            "XREADGROUP GROUP g alice STREAMS st >",
        ] {
            run(&mut a, line);
        }
        let first = save(&mut a, &mut t);
        assert!(!first.clear);
        assert_eq!(first.put.len(), 7);
        apply(&mut store, first);
        run(&mut a, "APPEND s !");
        run(&mut a, "DEL l");
        let second = save(&mut a, &mut t);
        assert_eq!(second.put.len(), 1, "only the changed key is written");
        assert_eq!(second.delete, vec![(0, b"l".to_vec())]);
        apply(&mut store, second);
        assert!(!t.has_changes(&a.engine));

        let records: Vec<Record> = store
            .iter()
            .map(|((db, key), bytes)| Record {
                db: *db,
                key: key.clone(),
                bytes: bytes.clone(),
            })
            .collect();
        let mut b = pg();
        let report = restore(&mut b.engine, &records);
        assert_eq!(report.keys, 6);
        assert!(report.damaged.is_empty());
        assert_eq!(dump_all(&mut a), dump_all(&mut b));
    }

    #[test]
    fn flushes_and_swaps_make_a_full_save() {
        let mut a = pg();
        let mut t = Tracker::new();
        run(&mut a, "SET a 1");
        save(&mut a, &mut t);
        run(&mut a, "SELECT 1");
        run(&mut a, "SET b 2");
        run(&mut a, "SWAPDB 0 1");
        let batch = save(&mut a, &mut t);
        assert!(batch.clear);
        let mut keys: Vec<(usize, Vec<u8>)> =
            batch.put.iter().map(|r| (r.db, r.key.clone())).collect();
        keys.sort();
        assert_eq!(keys, vec![(0, b"b".to_vec()), (1, b"a".to_vec())]);
        run(&mut a, "FLUSHALL");
        let batch = save(&mut a, &mut t);
        assert!(batch.clear && batch.put.is_empty());
    }

    #[test]
    fn damaged_and_expired_records_are_reported_not_fatal() {
        let mut a = pg();
        run(&mut a, "SET good 1");
        let mut t = Tracker::new();
        let mut records = save(&mut a, &mut t).put;
        records.push(Record {
            db: 0,
            key: b"bad".to_vec(),
            bytes: encode_record(None, b"\x00garbage"),
        });
        records.push(Record {
            db: 0,
            key: b"newer".to_vec(),
            bytes: vec![9, 1, 2, 3],
        });
        records.push(Record {
            db: 0,
            key: b"short".to_vec(),
            bytes: vec![VERSION, 1],
        });
        records.push(Record {
            db: 0,
            key: b"old".to_vec(),
            bytes: encode_record(
                Some(NOW - 1),
                &a.engine.dump_value(0, b"good").unwrap_or_default(),
            ),
        });
        records.push(Record {
            db: 99,
            key: b"nodb".to_vec(),
            bytes: encode_record(None, &a.engine.dump_value(0, b"good").unwrap_or_default()),
        });
        let mut b = pg();
        let report = restore(&mut b.engine, &records);
        assert_eq!(report.keys, 1);
        assert_eq!(report.expired, 1);
        let damaged: Vec<&[u8]> = report
            .damaged
            .iter()
            .map(|(_, k, _)| k.as_slice())
            .collect();
        assert_eq!(damaged, vec![&b"bad"[..], b"newer", b"short", b"nodb"]);
        assert!(report.damaged[1].2.contains("format version 9"));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut b = pg();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut records = Vec::new();
        for i in 0..2000u32 {
            let mut bytes = vec![VERSION];
            let len = (i % 40) as usize;
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bytes.push(seed as u8);
            }
            records.push(Record {
                db: (i % 3) as usize,
                key: i.to_be_bytes().to_vec(),
                bytes,
            });
        }
        let report = restore(&mut b.engine, &records);
        assert_eq!(report.keys + report.expired + report.damaged.len(), 2000);
    }
}
