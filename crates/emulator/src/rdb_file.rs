//! RDB files as Redis 7.0 writes them (`SAVE`, `dump.rdb`): the whole dataset in one
//! file, to download from the page and load into a real redis-server, or to read a file
//! a real server wrote.
//!
//! The layout (`rdbSaveRio`): `REDIS0010`; auxiliary fields (`redis-ver`, `redis-bits`,
//! `ctime`, `used-mem`, `aof-base`); the function libraries (`FUNCTION2` records, what
//! FUNCTION DUMP holds); for each database with keys a `SELECTDB`, a `RESIZEDB` (keys,
//! keys with a TTL), then each key: its expiry time (`EXPIRETIME_MS`) if it has one, its
//! type byte, the key, the value; `EOF` and the CRC64 of everything before it. The values
//! are the same bytes as DUMP payloads (`dump::write_object`), so every type and encoding
//! is Redis's byte for byte.
//!
//! Where a file can't equal redis-server's byte for byte: the order of keys inside a
//! database (Redis walks its hash table, whose order is random per process; the emulator
//! writes them in its scan order), `ctime` and `used-mem` (and so the CRC), and the
//! LRU/LFU records Redis adds under an LRU or LFU `maxmemory-policy` (the emulator writes
//! none: under the default `noeviction` neither does Redis).
//!
//! Reading (`parse`) accepts what Redis 7.0 loads: versions 1 to 10, old expiry records in
//! seconds, IDLE/FREQ records, `FUNCTION2` libraries; values in every encoding
//! `dump::read_object` reads (7.0's, and the ziplists of Redis 6 and older). Module data,
//! zipmaps (Redis 2.4) and the release candidates' function format are refused with a
//! clear error. Input is never trusted: every length is checked, and a
//! bad or truncated file is an `RdbError`, never a panic.

use crate::dump::{self, Limits};
use crate::engine::{Engine, DATABASES, REDIS_VERSION};
use crate::rdb;

const OPCODE_FUNCTION_PRE_GA: u8 = 246;
const OPCODE_FUNCTION2: u8 = 245;
const OPCODE_MODULE_AUX: u8 = 247;
const OPCODE_IDLE: u8 = 248;
const OPCODE_FREQ: u8 = 249;
const OPCODE_AUX: u8 = 250;
const OPCODE_RESIZEDB: u8 = 251;
const OPCODE_EXPIRETIME_MS: u8 = 252;
const OPCODE_EXPIRETIME: u8 = 253;
const OPCODE_SELECTDB: u8 = 254;
const OPCODE_EOF: u8 = 255;

/// Why a file can't be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdbError(pub String);

impl std::fmt::Display for RdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(at: usize, what: &str) -> RdbError {
    RdbError(format!("not a valid RDB file: {what} (at byte {at})"))
}

/// One key of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdbKey {
    pub db: usize,
    pub key: Vec<u8>,
    /// Absolute expiry time, ms since the epoch.
    pub expire_at_ms: Option<i64>,
    /// The value as a DUMP payload (what RESTORE takes).
    pub payload: Vec<u8>,
}

/// What a file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RdbContents {
    pub version: u32,
    /// The auxiliary fields, in file order (`redis-ver`, `ctime`...).
    pub aux: Vec<(String, String)>,
    /// The function libraries' code (each one FUNCTION LOAD's argument).
    pub libraries: Vec<Vec<u8>>,
    pub keys: Vec<RdbKey>,
}

impl RdbContents {
    /// The libraries as a FUNCTION RESTORE payload (None when there are none).
    pub fn functions_payload(&self) -> Option<Vec<u8>> {
        if self.libraries.is_empty() {
            return None;
        }
        let mut payload = Vec::new();
        for code in &self.libraries {
            payload.push(OPCODE_FUNCTION2);
            rdb::write_string(&mut payload, code);
        }
        rdb::append_footer(&mut payload);
        Some(payload)
    }
}

fn aux(out: &mut Vec<u8>, key: &str, value: &str) {
    out.push(OPCODE_AUX);
    rdb::write_string(out, key.as_bytes());
    rdb::write_string(out, value.as_bytes());
}

impl Engine {
    /// The dataset as an RDB file (what `SAVE` writes), for redis-server 7.0 to load.
    /// Keys whose TTL has passed but that no one has touched yet are written, as Redis
    /// writes them (a master drops them when it loads the file).
    pub fn save_rdb(&mut self) -> Vec<u8> {
        let limits = Limits::from_config(&self.config);
        let now_ms = self.now_ms();
        let mut out = format!("REDIS{:04}", rdb::RDB_VERSION).into_bytes();
        aux(&mut out, "redis-ver", REDIS_VERSION);
        aux(&mut out, "redis-bits", "64");
        aux(&mut out, "ctime", &now_ms.div_euclid(1000).to_string());
        aux(&mut out, "used-mem", &self.used_memory().to_string());
        aux(&mut out, "aof-base", "0");
        // FUNCTION DUMP's body is the libraries' records as an RDB file holds them.
        let functions = self.function_dump_payload();
        out.extend_from_slice(&functions[..functions.len().saturating_sub(10)]);
        for (index, db) in self.dbs.iter().enumerate().take(DATABASES) {
            if db.is_empty() {
                continue;
            }
            out.push(OPCODE_SELECTDB);
            rdb::write_len(&mut out, index as u64);
            out.push(OPCODE_RESIZEDB);
            rdb::write_len(&mut out, db.len() as u64);
            rdb::write_len(&mut out, db.expires_count() as u64);
            for key in db.keys_in_order() {
                let Some(entry) = db.entry(key) else { continue };
                if let Some(at) = entry.expire_at {
                    out.push(OPCODE_EXPIRETIME_MS);
                    rdb::write_millis(&mut out, at);
                }
                let mut object = Vec::new();
                dump::write_object(&mut object, &entry.value, &limits);
                let Some((&type_byte, body)) = object.split_first() else {
                    continue;
                };
                out.push(type_byte);
                rdb::write_string(&mut out, key);
                out.extend_from_slice(body);
            }
        }
        out.push(OPCODE_EOF);
        let crc = rdb::crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// FUNCTION DUMP's payload, from a client of its own.
    fn function_dump_payload(&mut self) -> Vec<u8> {
        let client = self.connect(crate::ClientInfo::default());
        let reply = self.execute(client, &[b"FUNCTION".to_vec(), b"DUMP".to_vec()]);
        self.disconnect(client);
        match reply {
            crate::Reply::Bulk(payload) => payload,
            _ => Vec::new(),
        }
    }
}

/// Reads a whole RDB file (`now_ms` decides which keys have expired: those are left
/// out, as a master loading the file drops them; the count is `expired`).
pub fn parse(input: &[u8], limits: &Limits, now_ms: i64) -> Result<(RdbContents, usize), RdbError> {
    if input.len() < 9 || &input[..5] != b"REDIS" {
        return Err(RdbError(
            "not an RDB file (it does not start with REDIS and a version)".into(),
        ));
    }
    let version: u32 = std::str::from_utf8(&input[5..9])
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| bad(5, "the version is not a number"))?;
    if !(1..=u32::from(rdb::RDB_VERSION)).contains(&version) {
        return Err(RdbError(format!(
            "Can't handle RDB format version {version} (Redis 7.0 reads versions 1 to {})",
            rdb::RDB_VERSION
        )));
    }
    let mut contents = RdbContents {
        version,
        ..RdbContents::default()
    };
    let mut expired = 0;
    let mut pos = 9;
    let mut db = 0usize;
    let mut expire_at: Option<i64> = None;
    loop {
        let at = pos;
        let opcode = rdb::read_u8(input, &mut pos)
            .ok_or_else(|| bad(at, "it ends before its EOF record"))?;
        match opcode {
            OPCODE_AUX => {
                let key = rdb::read_string(input, &mut pos).ok_or_else(|| bad(at, "a broken aux field"))?;
                let value = rdb::read_string(input, &mut pos).ok_or_else(|| bad(at, "a broken aux field"))?;
                contents.aux.push((
                    String::from_utf8_lossy(&key).into_owned(),
                    String::from_utf8_lossy(&value).into_owned(),
                ));
            }
            OPCODE_RESIZEDB => {
                rdb::read_plain_len(input, &mut pos).ok_or_else(|| bad(at, "a broken RESIZEDB"))?;
                rdb::read_plain_len(input, &mut pos).ok_or_else(|| bad(at, "a broken RESIZEDB"))?;
            }
            OPCODE_SELECTDB => {
                let n = rdb::read_plain_len(input, &mut pos).ok_or_else(|| bad(at, "a broken SELECTDB"))?;
                db = usize::try_from(n)
                    .ok()
                    .filter(|&d| d < DATABASES)
                    .ok_or_else(|| {
                        RdbError(format!(
                            "the file uses database {n}; this server has {DATABASES} (0 to {})",
                            DATABASES - 1
                        ))
                    })?;
            }
            OPCODE_EXPIRETIME_MS => {
                expire_at = Some(rdb::read_millis(input, &mut pos).ok_or_else(|| bad(at, "a broken expiry time"))?);
            }
            OPCODE_EXPIRETIME => {
                let bytes = rdb::read_bytes(input, &mut pos, 4).ok_or_else(|| bad(at, "a broken expiry time"))?;
                let seconds = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                expire_at = Some(i64::from(seconds) * 1000);
            }
            OPCODE_IDLE => {
                rdb::read_plain_len(input, &mut pos).ok_or_else(|| bad(at, "a broken IDLE record"))?;
            }
            OPCODE_FREQ => {
                rdb::read_u8(input, &mut pos).ok_or_else(|| bad(at, "a broken FREQ record"))?;
            }
            OPCODE_FUNCTION2 => {
                let code = rdb::read_string(input, &mut pos).ok_or_else(|| bad(at, "a broken function library"))?;
                contents.libraries.push(code);
            }
            OPCODE_FUNCTION_PRE_GA => {
                return Err(RdbError(
                    "the file holds functions in the format of Redis 7.0's release candidates; load it into redis-server 7.0 and SAVE it again".into(),
                ))
            }
            OPCODE_MODULE_AUX => {
                return Err(RdbError("the file holds module data, which this server can't load".into()))
            }
            OPCODE_EOF => {
                if version >= 5 {
                    let end = pos;
                    let stored = rdb::read_bytes(input, &mut pos, 8).ok_or_else(|| bad(end, "the checksum is missing"))?;
                    let stored = u64::from_le_bytes(stored.try_into().unwrap_or([0; 8]));
                    // A zero checksum: written with rdbchecksum no; Redis skips the check.
                    if stored != 0 && stored != rdb::crc64(0, &input[..end]) {
                        return Err(RdbError("the file is damaged: its checksum is wrong".into()));
                    }
                }
                return Ok((contents, expired));
            }
            type_byte => {
                let key = rdb::read_string(input, &mut pos).ok_or_else(|| bad(at, "a broken key"))?;
                let start = pos;
                dump::read_object(input, &mut pos, type_byte, limits)
                    .ok_or_else(|| bad(at, "a value Redis would not load (unknown type or bad data)"))?;
                let at_ms = expire_at.take();
                if at_ms.is_some_and(|t| t <= now_ms) {
                    expired += 1;
                    continue;
                }
                let mut payload = Vec::with_capacity(pos - start + 11);
                payload.push(type_byte);
                payload.extend_from_slice(&input[start..pos]);
                rdb::append_footer(&mut payload);
                contents.keys.push(RdbKey {
                    db,
                    key,
                    expire_at_ms: at_ms,
                    payload,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientInfo, ManualClock, Reply};

    const NOW: i64 = 1_700_000_000_000;

    fn engine_with(lines: &[&str]) -> Engine {
        let mut engine = Engine::new(Box::new(ManualClock::new(NOW)), 1);
        let client = engine.connect(ClientInfo::default());
        for line in lines {
            let argv = crate::cli::split_args(line.as_bytes()).unwrap();
            let reply = engine.execute(client, &argv);
            assert!(!matches!(reply, Reply::Error(_)), "{line}: {reply:?}");
        }
        engine
    }

    fn dataset() -> Engine {
        engine_with(&[
            "SET s hello",
            "SET n 12345",
            "SET long aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "PEXPIREAT s 1800000000000",
            "RPUSH l a b c",
            "SADD st x y",
            "SADD ints 1 2 3",
            "ZADD z 1 a 2.5 b",
            "HSET h f v",
            "XADD x 1-1 a 1",
            "XGROUP CREATE x g 0",
            "SELECT 3",
            "SET other db3",
            "FUNCTION LOAD \"#!lua name=lib\\nredis.register_function('f', function() return 1 end)\"",
        ])
    }

    #[test]
    fn a_saved_file_parses_back_to_the_same_keys_and_libraries() {
        let mut engine = dataset();
        let file = engine.save_rdb();
        assert!(file.starts_with(b"REDIS0010"));
        let limits = Limits::from_config(&engine.config);
        let (contents, expired) = parse(&file, &limits, NOW).unwrap();
        assert_eq!(expired, 0);
        assert_eq!(contents.version, 10);
        let aux: Vec<&str> = contents.aux.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            aux,
            ["redis-ver", "redis-bits", "ctime", "used-mem", "aof-base"]
        );
        assert_eq!(contents.libraries.len(), 1);
        assert_eq!(contents.keys.len(), 10);
        for k in &contents.keys {
            assert_eq!(
                engine.dump_value(k.db, &k.key).as_deref(),
                Some(k.payload.as_slice()),
                "{}",
                String::from_utf8_lossy(&k.key)
            );
        }
        let s = contents.keys.iter().find(|k| k.key == b"s").unwrap();
        assert_eq!(s.expire_at_ms, Some(1_800_000_000_000));
        assert!(contents.keys.iter().any(|k| k.db == 3 && k.key == b"other"));
        // Later, the key with a TTL has expired: left out.
        let (contents, expired) = parse(&file, &limits, 1_900_000_000_000).unwrap();
        assert_eq!((contents.keys.len(), expired), (9, 1));
    }

    #[test]
    fn damaged_truncated_or_foreign_files_are_errors_not_panics() {
        let mut engine = dataset();
        let file = engine.save_rdb();
        let limits = Limits::from_config(&engine.config);
        for cut in 0..file.len() {
            assert!(parse(&file[..cut], &limits, NOW).is_err(), "cut at {cut}");
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut damaged = file.clone();
            let i = (state as usize) % damaged.len();
            damaged[i] ^= (state >> 32) as u8 | 1;
            // Either refused or (a flip inside ignored bytes) read: never a panic.
            let _ = parse(&damaged, &limits, NOW);
        }
        let mut flipped = file.clone();
        let i = flipped.len() - 12;
        flipped[i] ^= 0xff;
        assert!(parse(&flipped, &limits, NOW).is_err());
        assert!(parse(b"REDIS0011\xff", &limits, NOW)
            .unwrap_err()
            .0
            .contains("version 11"));
        assert!(parse(b"hello", &limits, NOW).is_err());
    }
}
