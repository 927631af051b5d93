//! One logical database: its keys, their expiry times, and the two ordered indexes that
//! make active expiry and SCAN cheap.
//!
//! SCAN order and cursors come from `scan::ScanOrder` (reverse-binary cursors over a
//! fixed hash, like Redis's, but deterministic).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::rc::Rc;

use crate::scan::ScanOrder;
pub use crate::scan::{key_hash, Key};
use crate::value::Value;

#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    /// Absolute expiry time in Unix milliseconds, if the key has a TTL.
    pub expire_at: Option<i64>,
    /// Last access time in Unix milliseconds (OBJECT IDLETIME).
    pub last_access_ms: i64,
    /// Redis's 24-bit per-object `lru` field, read as the policy says: under LRU policies
    /// the LRU clock (seconds) of the last access; under LFU ones the minute of the last
    /// decrement (16 bits) and the logarithmic access counter (8 bits). Switching policy
    /// at runtime reads the old layout as the new one, as Redis does (OBJECT FREQ of a key
    /// written under LRU then reads as mostly decayed garbage, usually 0).
    pub lru: u32,
}

/// How key accesses are recorded, from `maxmemory-policy`, `lfu-log-factor` and
/// `lfu-decay-time`. The engine sets it before each command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessMode {
    pub lfu: bool,
    pub lfu_log_factor: i64,
    pub lfu_decay_time: i64,
    /// Whether new small integers are Redis's shared objects: not when maxmemory is set
    /// with an LRU or LFU policy (each object then needs its own access data).
    pub unshared_integers: bool,
}

/// Redis's LFU_INIT_VAL: the counter of a new object under an LFU policy.
pub const LFU_INIT_VAL: u32 = 5;

/// LRU_CLOCK(): seconds, on 24 bits.
fn lru_clock(now_ms: i64) -> u32 {
    (now_ms.div_euclid(1000) as u64 & 0xFF_FFFF) as u32
}

/// Redis's estimateObjectIdleTime, in seconds: the LRU clock now minus the object's
/// (with the 24-bit wrap-around). Under an LFU policy the field holds LFU data, and Redis
/// reads it as a clock all the same.
pub fn idle_seconds(lru: u32, now_ms: i64) -> u64 {
    let clock = lru_clock(now_ms) as u64;
    let lru = lru as u64;
    if clock >= lru {
        clock - lru
    } else {
        clock + (0xFF_FFFF - lru)
    }
}

/// LFUGetTimeInMinutes(): minutes, on 16 bits.
fn lfu_minutes(now_ms: i64) -> u32 {
    (now_ms.div_euclid(60_000) as u64 & 0xFFFF) as u32
}

/// Redis's LFUDecrAndReturn: the counter of an `lru` field after the decay of the minutes
/// elapsed since its last decrement (one step per `decay_time` minutes).
pub fn lfu_decr_and_return(lru: u32, now_ms: i64, decay_time: i64) -> u32 {
    let ldt = lru >> 8;
    let counter = lru & 255;
    let now = lfu_minutes(now_ms);
    // LFUTimeElapsed, with its wrap-around of the 16-bit minute clock.
    let elapsed = if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    };
    let periods = if decay_time > 0 {
        elapsed as i64 / decay_time
    } else {
        0
    };
    if periods > counter as i64 {
        0
    } else {
        counter - periods as u32
    }
}

/// Redis's LFULogIncr: increments the counter with probability 1 / ((counter - 5) * factor + 1),
/// `r` being a uniform random number in [0, 1].
fn lfu_log_incr(counter: u32, factor: i64, r: f64) -> u32 {
    if counter == 255 {
        return 255;
    }
    let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
    let p = 1.0 / (base * factor as f64 + 1.0);
    if r < p {
        counter + 1
    } else {
        counter
    }
}

#[derive(Default, Debug)]
pub struct Db {
    entries: HashMap<Key, Entry>,
    /// (expiry ms, key) for every key with a TTL, earliest first.
    expiry_index: BTreeSet<(i64, Key)>,
    /// Every key in SCAN order.
    scan_index: ScanOrder,
    /// Approximate bytes used by keys and values (see `entry_memory`).
    mem: usize,
    /// How accesses update `Entry::lru` (set by the engine from the configuration).
    access: AccessMode,
    /// A deterministic random source for the LFU counter's probabilistic increments.
    lfu_random: u64,
    /// Clients blocked on each key, first blocked first (Redis's `db->blocking_keys`).
    /// Kept with the database's index, not its data: SWAPDB swaps data only.
    waiters: HashMap<Key, VecDeque<u64>>,
    /// Keys signalled since the engine last served waiters, in order, each once
    /// (Redis's `server.ready_keys` and `db->ready_keys`).
    ready: Vec<Key>,
    /// Clients WATCHing each key, with whether the key had already expired when
    /// watched (Redis's `db->watched_keys`). Kept with the index, like `waiters`.
    watchers: HashMap<Key, Vec<(u64, bool)>>,
    /// Clients whose watched keys were touched, for the engine to mark dirty.
    touched: Vec<u64>,
    /// Keys changed in place by `update` during the running command: touched only if
    /// the command reports a change (Redis signals a key only when it changed it).
    updated: Vec<Key>,
    /// Keys that expired or were created, for the engine's keyspace events (recorded
    /// only while `record_events` is on: someone wants notifications).
    events: Vec<(DbEvent, Key)>,
    record_events: bool,
    /// Bumped whenever the data is replaced wholesale (FLUSHDB, FLUSHALL, SWAPDB): those
    /// report no keyspace event per key (as in Redis), so observers that follow events
    /// (the key browser) compare this to know they must read the database again.
    generation: u64,
    /// While the engine inspects (`Engine::inspect`), the inspection's time: reads then
    /// change nothing. A key whose TTL has passed reads as missing but stays for active
    /// expiry, and accesses leave `last_access_ms` and the LRU/LFU data alone.
    read_only_at: Option<i64>,
}

/// What a database reports to the engine's keyspace events by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbEvent {
    /// Deleted because its TTL passed (lazily or by active expiry).
    Expired,
    /// Created (Redis's dbAdd).
    New,
}

/// What one key costs: its value, its name and the bookkeeping around them (dict entry,
/// object header, expiry entry). An estimate in Redis's order of magnitude.
fn entry_memory(key: &[u8], e: &Entry) -> usize {
    e.value.approx_memory() + key.len() + 9 + 24 + if e.expire_at.is_some() { 40 } else { 0 }
}

/// One page of a SCAN.
pub struct ScanPage {
    pub next_cursor: u64,
    pub keys: Vec<Key>,
}

impl Db {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Sets how accesses are recorded (the engine calls it when the configuration changes).
    pub fn set_access_mode(&mut self, mode: AccessMode) {
        self.access = mode;
    }

    pub fn access_mode(&self) -> AccessMode {
        self.access
    }

    /// The `lru` field of an object created now (createObject).
    fn new_lru(&self, now_ms: i64) -> u32 {
        if self.access.lfu {
            (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL
        } else {
            lru_clock(now_ms)
        }
    }

    /// A uniform number in [0, 1] (splitmix64), for LFULogIncr's `rand()/RAND_MAX`.
    fn next_random(&mut self) -> f64 {
        self.lfu_random = self.lfu_random.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.lfu_random;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / ((1u64 << 53) - 1) as f64
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn memory(&self) -> usize {
        self.mem
    }

    pub fn expires_count(&self) -> usize {
        self.expiry_index.len()
    }

    fn is_expired(e: &Entry, now_ms: i64) -> bool {
        matches!(e.expire_at, Some(t) if t < now_ms)
    }

    /// Deletes `key` if its time has come (Redis's lazy expiry). Returns true if its
    /// time has come: the key was deleted, or reads as missing in read-only mode.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: i64) -> bool {
        let expired = matches!(self.entries.get(key), Some(e) if Self::is_expired(e, now_ms));
        if expired && self.read_only_at.is_none() {
            self.remove(key);
            self.record(DbEvent::Expired, key);
        }
        expired
    }

    fn record(&mut self, what: DbEvent, key: &[u8]) {
        if self.record_events {
            self.events.push((what, Key::from(key)));
        }
    }

    /// Whether expired and new keys are recorded for the engine.
    pub fn records_events(&self) -> bool {
        self.record_events
    }

    pub fn set_event_recording(&mut self, on: bool) {
        self.record_events = on;
        if !on {
            self.events.clear();
        }
    }

    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// What was recorded since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<(DbEvent, Key)> {
        std::mem::take(&mut self.events)
    }

    /// Starts (with the time reads happen at) or ends read-only mode (see the field).
    pub(crate) fn set_read_only(&mut self, at: Option<i64>) {
        self.read_only_at = at;
    }

    /// Whether reads leave everything as it is (`Engine::inspect` is running).
    pub fn is_read_only(&self) -> bool {
        self.read_only_at.is_some()
    }

    /// The live entry of `key` without touching its access time.
    pub fn peek(&mut self, key: &[u8], now_ms: i64) -> Option<&Entry> {
        if self.expire_if_needed(key, now_ms) {
            return None;
        }
        self.entries.get(key)
    }

    /// The live entry of `key`, marking it accessed. Private: a value changed in place
    /// would escape the memory accounting; writers go through `set*`.
    fn access_mut(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Entry> {
        if self.expire_if_needed(key, now_ms) {
            return None;
        }
        if self.read_only_at.is_some() {
            return self.entries.get_mut(key);
        }
        let mode = self.access;
        let r = if mode.lfu && self.entries.contains_key(key) {
            self.next_random()
        } else {
            0.0
        };
        let e = self.entries.get_mut(key)?;
        e.last_access_ms = now_ms;
        // lookupKey's touch: updateLFU under an LFU policy, else the LRU clock.
        e.lru = if mode.lfu {
            let counter = lfu_decr_and_return(e.lru, now_ms, mode.lfu_decay_time);
            (lfu_minutes(now_ms) << 8) | lfu_log_incr(counter, mode.lfu_log_factor, r)
        } else {
            lru_clock(now_ms)
        };
        Some(e)
    }

    pub fn get(&mut self, key: &[u8], now_ms: i64) -> Option<&Entry> {
        self.access_mut(key, now_ms).map(|e| &*e)
    }

    /// Changes the live value at `key` in place (marking it accessed), keeping the memory
    /// accounting exact, and deletes the key if `f` leaves an empty collection (Redis
    /// never keeps an empty list, hash, set or sorted set). None if the key is missing.
    /// Collections report their memory in O(1), so this costs what `f` costs.
    pub fn update<R>(
        &mut self,
        key: &[u8],
        now_ms: i64,
        f: impl FnOnce(&mut Value) -> R,
    ) -> Option<R> {
        let watched = !self.watchers.is_empty() && self.watchers.contains_key(key);
        let e = self.access_mut(key, now_ms)?;
        let before = entry_memory(key, e);
        let result = f(&mut e.value);
        let after = entry_memory(key, e);
        let empty = e.value.is_empty_collection();
        self.mem = self.mem - before + after;
        if watched {
            self.updated.push(Key::from(key));
        }
        if empty {
            self.remove(key);
        }
        Some(result)
    }

    pub fn contains(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.peek(key, now_ms).is_some()
    }

    /// Sets `key` to `value`, dropping any TTL (like Redis's `setKey` without KEEPTTL).
    pub fn set(&mut self, key: &[u8], value: Value, now_ms: i64) {
        self.set_with_expire(key, value, None, now_ms);
    }

    /// Sets `key` to `value` with the given absolute expiry (or none).
    pub fn set_with_expire(
        &mut self,
        key: &[u8],
        value: Value,
        expire_at: Option<i64>,
        now_ms: i64,
    ) {
        // A value stored while shared integers are off is an object of its own.
        #[allow(irrefutable_let_patterns)]
        let value = match value {
            Value::Str(mut s) if self.access.unshared_integers && s.shared => {
                s.shared = false;
                Value::Str(s)
            }
            other => other,
        };
        let lfu = self.access.lfu;
        // dbAdd signals a new key of a type someone can wait for; dbSetValue signals an
        // overwritten stream (its XREADGROUP waiters must be released).
        let signal = match self.entries.get(key) {
            Some(old) => old.value.type_name() == "stream",
            None => matches!(value.type_name(), "list" | "zset" | "stream"),
        };
        if signal {
            self.signal_ready(key);
        }
        self.touch(key);
        if let Some(e) = self.entries.get_mut(key) {
            self.mem -= entry_memory(key, e);
            e.value = value;
            e.last_access_ms = now_ms;
            // dbSetValue: under LFU the new value inherits the old one's counter; else
            // it is a new object with the current LRU clock.
            if !lfu {
                e.lru = lru_clock(now_ms);
            }
            let old = e.expire_at;
            e.expire_at = expire_at;
            self.mem += entry_memory(key, e);
            if old != expire_at {
                let k = self.key_rc(key);
                if let Some(t) = old {
                    self.expiry_index.remove(&(t, k.clone()));
                }
                if let Some(t) = expire_at {
                    self.expiry_index.insert((t, k));
                }
            }
            return;
        }
        let k: Key = Rc::from(key);
        self.scan_index.insert(k.clone());
        if let Some(t) = expire_at {
            self.expiry_index.insert((t, k.clone()));
        }
        let e = Entry {
            value,
            expire_at,
            last_access_ms: now_ms,
            lru: self.new_lru(now_ms),
        };
        self.mem += entry_memory(key, &e);
        if self.record_events {
            self.events.push((DbEvent::New, k.clone()));
        }
        self.entries.insert(k, e);
    }

    /// Replaces the value of an existing key keeping its TTL (KEEPTTL, APPEND, INCR...).
    /// Inserts without TTL if the key is missing.
    pub fn set_keep_ttl(&mut self, key: &[u8], value: Value, now_ms: i64) {
        let ttl = self.entries.get(key).and_then(|e| e.expire_at);
        self.set_with_expire(key, value, ttl, now_ms);
    }

    /// The shared `Rc` of a stored key, so indexes share one allocation per key.
    fn key_rc(&self, key: &[u8]) -> Key {
        match self.entries.get_key_value(key) {
            Some((k, _)) => k.clone(),
            None => Rc::from(key),
        }
    }

    /// Removes `key`; returns its entry if it existed (expired or not).
    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let (k, e) = self.entries.remove_entry(key)?;
        // dbGenericDelete: a deleted stream releases its XREADGROUP waiters.
        if e.value.type_name() == "stream" {
            self.signal_ready(key);
        }
        self.touch(key);
        self.mem -= entry_memory(key, &e);
        self.scan_index.remove(&k);
        if let Some(t) = e.expire_at {
            self.expiry_index.remove(&(t, k));
        }
        Some(e)
    }

    /// RESTORE's IDLETIME and FREQ (`objectSetLRUOrLFU`): under an LFU policy a given
    /// frequency becomes the counter (stamped with this minute); under an LRU one a
    /// given idle time (seconds) moves the access clock back, wrapping as Redis's 24-bit
    /// clock does. The option the policy does not use is ignored, as in Redis.
    pub fn set_access_fields(
        &mut self,
        key: &[u8],
        idle: Option<i64>,
        freq: Option<i64>,
        now_ms: i64,
    ) {
        let lfu = self.access.lfu;
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        if lfu {
            if let Some(freq) = freq {
                e.lru = (lfu_minutes(now_ms) << 8) | (freq as u32 & 255);
            }
        } else if let Some(idle) = idle {
            let mut abs = lru_clock(now_ms) as i64 - idle;
            if abs < 0 {
                abs += 0xFF_FFFF;
            }
            e.lru = (abs as u64 & 0xFF_FFFF) as u32;
            e.last_access_ms = now_ms.saturating_sub(idle.saturating_mul(1000));
        }
    }

    /// Sets or clears the TTL of an existing key. Returns false if the key is missing.
    pub fn set_expire(&mut self, key: &[u8], expire_at: Option<i64>) -> bool {
        if !self.entries.contains_key(key) {
            return false;
        }
        self.touch(key);
        let Some(e) = self.entries.get_mut(key) else {
            return false;
        };
        let old = e.expire_at;
        self.mem -= entry_memory(key, e);
        e.expire_at = expire_at;
        self.mem += entry_memory(key, e);
        let k = self.key_rc(key);
        if let Some(t) = old {
            self.expiry_index.remove(&(t, k.clone()));
        }
        if let Some(t) = expire_at {
            self.expiry_index.insert((t, k));
        }
        true
    }

    /// Deletes keys whose time has come, at most `limit` of them (active expiry).
    /// Returns the deleted keys so the engine can report them.
    pub fn expire_due(&mut self, now_ms: i64, limit: usize) -> Vec<Key> {
        let mut due = Vec::new();
        for (t, k) in self.expiry_index.iter() {
            if *t >= now_ms || due.len() >= limit {
                break;
            }
            due.push(k.clone());
        }
        for k in &due {
            self.remove(k);
            self.record(DbEvent::Expired, k);
        }
        due
    }

    /// The earliest expiry time in this database, if any key has one.
    pub fn next_expiry(&self) -> Option<i64> {
        self.expiry_index.iter().next().map(|(t, _)| *t)
    }

    pub fn clear(&mut self) {
        // touchAllWatchedKeysInDb: watchers of existing keys see a change (an already
        // expired key's deletion is none).
        let watched: Vec<Key> = self
            .watchers
            .keys()
            .filter(|k| self.entries.contains_key(&***k))
            .cloned()
            .collect();
        for k in watched {
            self.touch(&k);
        }
        // emptyDb's scanDatabaseForDeletedStreams: waiters on streams are released.
        let streams: Vec<Key> = self
            .waiters
            .keys()
            .filter(|k| {
                self.entries
                    .get(&***k)
                    .is_some_and(|e| e.value.type_name() == "stream")
            })
            .cloned()
            .collect();
        for k in streams {
            self.signal_ready(&k);
        }
        self.entries.clear();
        self.expiry_index.clear();
        self.scan_index.clear();
        self.mem = 0;
        self.generation += 1;
    }

    /// How many times the data was replaced wholesale (see the field).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Swaps the data of two databases, leaving each one's waiters in place (SWAPDB),
    /// then signals every waited-on key of both: a key that now exists may serve its
    /// waiters, a stream that is gone releases them (scanDatabaseForReadyKeys and
    /// scanDatabaseForDeletedStreams).
    pub fn swap_data(&mut self, other: &mut Db) {
        std::mem::swap(&mut self.entries, &mut other.entries);
        std::mem::swap(&mut self.expiry_index, &mut other.expiry_index);
        std::mem::swap(&mut self.scan_index, &mut other.scan_index);
        std::mem::swap(&mut self.mem, &mut other.mem);
        for db in [self, other] {
            db.generation += 1;
            let keys: Vec<Key> = db.waiters.keys().cloned().collect();
            for k in keys {
                db.signal_ready(&k);
            }
            // touchAllWatchedKeysInDb(emptied, replaced_with), simplified: a watched
            // key present on either side before or after the swap has changed.
            let watched: Vec<Key> = db.watchers.keys().cloned().collect();
            for k in watched {
                db.touch_any(&k);
            }
        }
    }

    /// Registers a WATCH of `key` by `client`.
    pub fn add_watcher(&mut self, key: &Key, client: u64, expired: bool) {
        self.watchers
            .entry(key.clone())
            .or_default()
            .push((client, expired));
    }

    /// Forgets `client`'s WATCH of `key`.
    pub fn remove_watcher(&mut self, key: &[u8], client: u64) {
        if let Some(list) = self.watchers.get_mut(key) {
            list.retain(|&(c, _)| c != client);
            if list.is_empty() {
                self.watchers.remove(key);
            }
        }
    }

    /// Whether `client` watched `key` when it had already expired.
    pub fn watcher_saw_expired(&self, key: &[u8], client: u64) -> bool {
        self.watchers
            .get(key)
            .is_some_and(|l| l.iter().any(|&(c, e)| c == client && e))
    }

    /// A write to `key` (touchWatchedKey): its watchers' transactions will fail. A
    /// watcher that saw the key already expired is spared when the key is now gone
    /// (its deletion changes nothing) and its flag is cleared; like Redis, meeting
    /// such a watcher while the key still exists stops the walk.
    pub fn touch(&mut self, key: &[u8]) {
        if self.watchers.is_empty() {
            return;
        }
        let exists = self.entries.contains_key(key);
        let Some(list) = self.watchers.get_mut(key) else {
            return;
        };
        for (client, expired) in list.iter_mut() {
            if *expired {
                if !exists {
                    *expired = false;
                    continue;
                }
                break;
            }
            self.touched.push(*client);
        }
    }

    /// Marks every watcher of `key` touched (a database swapped under it).
    fn touch_any(&mut self, key: &[u8]) {
        if let Some(list) = self.watchers.get(key) {
            self.touched.extend(list.iter().map(|&(c, _)| c));
        }
    }

    /// After a command: keys it changed in place are touched if it reported a change.
    pub fn settle_updates(&mut self, changed: bool) {
        let updated = std::mem::take(&mut self.updated);
        if changed {
            for k in updated {
                self.touch(&k);
            }
        }
    }

    /// Takes the clients whose watched keys were touched.
    pub fn take_touched(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.touched)
    }

    /// Adds `client` at the end of `key`'s waiters.
    pub fn add_waiter(&mut self, key: &Key, client: u64) {
        self.waiters
            .entry(key.clone())
            .or_default()
            .push_back(client);
    }

    /// Removes `client` from `key`'s waiters.
    pub fn remove_waiter(&mut self, key: &[u8], client: u64) {
        if let Some(list) = self.waiters.get_mut(key) {
            list.retain(|&c| c != client);
            if list.is_empty() {
                self.waiters.remove(key);
            }
        }
    }

    /// The clients waiting on `key`, first blocked first.
    pub fn waiters(&self, key: &[u8]) -> Vec<u64> {
        self.waiters
            .get(key)
            .map(|l| l.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Whether any client waits on `key`.
    pub fn has_waiters(&self, key: &[u8]) -> bool {
        self.waiters.contains_key(key)
    }

    /// Marks `key` ready if someone waits on it and it is not marked yet (signalKeyAsReady).
    pub fn signal_ready(&mut self, key: &[u8]) {
        if let Some((k, _)) = self.waiters.get_key_value(key) {
            if !self.ready.iter().any(|r| **r == *key) {
                let k = k.clone();
                self.ready.push(k);
            }
        }
    }

    /// Takes the keys signalled ready so far.
    pub fn take_ready(&mut self) -> Vec<Key> {
        std::mem::take(&mut self.ready)
    }

    /// All keys (live or not yet lazily expired) in SCAN order.
    pub fn keys_in_order(&self) -> impl Iterator<Item = &Key> {
        self.scan_index.iter()
    }

    /// Direct read access for observers (the key browser): no expiry, no access time.
    /// In read-only mode a key whose TTL has passed is missing, as for `peek`.
    pub fn entry(&self, key: &[u8]) -> Option<&Entry> {
        let e = self.entries.get(key)?;
        match self.read_only_at {
            Some(now_ms) if Self::is_expired(e, now_ms) => None,
            _ => Some(e),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Entry)> {
        self.scan_index
            .iter()
            .filter_map(move |k| self.entries.get_key_value(&**k))
    }

    /// One SCAN step from `cursor` (see `scan::ScanOrder::scan`).
    pub fn scan(&self, cursor: u64, count: usize) -> ScanPage {
        let (next_cursor, keys) = self.scan_index.scan(cursor, count);
        ScanPage { next_cursor, keys }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{StrValue, Value};

    fn v(s: &str) -> Value {
        Value::Str(StrValue::from_set(s.as_bytes().to_vec()))
    }

    #[test]
    fn scan_visits_every_key_once_without_changes() {
        let mut db = Db::default();
        for i in 0..1000 {
            db.set(format!("key:{i}").as_bytes(), v("x"), 0);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut calls = 0;
        loop {
            let page = db.scan(cursor, 10);
            for k in page.keys {
                assert!(seen.insert(k), "duplicate key");
            }
            cursor = page.next_cursor;
            calls += 1;
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
        assert!(calls > 50);
    }

    #[test]
    fn scan_survives_growth_between_calls() {
        let mut db = Db::default();
        for i in 0..100 {
            db.set(format!("a{i}").as_bytes(), v("x"), 0);
        }
        let first = db.scan(0, 10);
        for i in 0..1000 {
            db.set(format!("b{i}").as_bytes(), v("x"), 0);
        }
        let mut seen: std::collections::HashSet<Key> = first.keys.into_iter().collect();
        let mut cursor = first.next_cursor;
        while cursor != 0 {
            let page = db.scan(cursor, 10);
            seen.extend(page.keys);
            cursor = page.next_cursor;
        }
        for i in 0..100 {
            assert!(seen.contains(format!("a{i}").as_bytes()), "lost a{i}");
        }
    }

    #[test]
    fn lfu_counter_starts_at_5_and_decays_by_minutes() {
        let mut db = Db::default();
        db.set_access_mode(AccessMode {
            lfu: true,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            unshared_integers: false,
        });
        let t = 1_700_000_000_000;
        db.set(b"k", v("1"), t);
        let lru = db.entry(b"k").unwrap().lru;
        assert_eq!(lfu_decr_and_return(lru, t, 1), 5);
        db.get(b"k", t); // 5 -> 6 always (probability 1)
        let lru = db.entry(b"k").unwrap().lru;
        assert_eq!(lfu_decr_and_return(lru, t, 1), 6);
        assert_eq!(lfu_decr_and_return(lru, t + 3 * 60_000, 1), 3);
        assert_eq!(lfu_decr_and_return(lru, t + 3 * 60_000, 0), 6);
        db.set(b"k", v("2"), t); // an overwrite keeps the counter
        assert_eq!(lfu_decr_and_return(db.entry(b"k").unwrap().lru, t, 1), 6);
    }

    #[test]
    fn expiry_index_follows_ttl_changes() {
        let mut db = Db::default();
        db.set_with_expire(b"k", v("1"), Some(100), 0);
        assert_eq!(db.expires_count(), 1);
        db.set_expire(b"k", Some(50));
        assert_eq!(db.next_expiry(), Some(50));
        assert_eq!(db.expire_due(60, 10).len(), 1);
        assert!(db.is_empty());
    }
}
