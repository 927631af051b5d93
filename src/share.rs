//! Share links: the page's state packed into a URL fragment.
//!
//! A course author or a learner presses Share and gets a link that reproduces what they
//! see elsewhere: every key (its DUMP payload and the TTL it has left), the program
//! tabs' sources, and the exercise open with its step. The fragment (`#share=...`) never
//! reaches a server; it is the bytes below, compressed (deflate, by the browser's
//! CompressionStream) and written in base64url.
//!
//! The format, version 1: `RPS` then the version byte, then sections, each a tag byte:
//! - `E` exercise: id (string), its progress as the guide saves it (string, `v1 step=2
//!   done=110`);
//! - `P` program tabs: `Desk::saved`'s text (string);
//! - `K` a key: db (varint), key (bytes), TTL left in ms + 1 (varint; 0 none), the DUMP
//!   payload (bytes).
//!
//! Strings and bytes are a varint length then the bytes. A link is input from anyone:
//! decoding checks every length against what is left and against `LIMITS`, and any
//! problem is an error message, never a panic; values are only ever shown as text.

use redis_emulator::Engine;

/// The format's magic and version.
const MAGIC: &[u8; 3] = b"RPS";
pub const VERSION: u8 = 1;

/// The most a link may unpack to (bytes), and the most keys it may carry.
pub const MAX_UNPACKED: usize = 8 * 1024 * 1024;
pub const MAX_KEYS: usize = 100_000;
/// The longest link the page makes or opens (characters of the fragment). Browsers take
/// far longer URLs, but a link this long is no longer a link to paste in a course.
pub const MAX_LINK_CHARS: usize = 2 * 1024 * 1024;

/// One key of a shared state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedKey {
    pub db: usize,
    pub key: Vec<u8>,
    /// The TTL it had left when shared.
    pub ttl_ms: Option<u64>,
    pub payload: Vec<u8>,
}

/// What a link carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SharedState {
    /// The exercise open (its id) and its progress (`Session::progress`'s text).
    pub exercise: Option<(String, String)>,
    /// The program tabs, as `Desk::saved` writes them (empty: none).
    pub programs: String,
    pub keys: Vec<SharedKey>,
}

/// Reads every key of the engine (TTLs as left now).
pub fn keys_of(engine: &mut Engine) -> Vec<SharedKey> {
    let mut names = Vec::new();
    for db in 0.. {
        let Some(d) = engine.db(db) else {
            break;
        };
        names.extend(d.iter().map(|(k, e)| (db, k.to_vec(), e.expire_at)));
    }
    let now = engine.now_ms();
    names
        .into_iter()
        .filter_map(|(db, key, expire_at)| {
            let payload = engine.dump_value(db, &key)?;
            let ttl_ms = expire_at.map(|at| at.saturating_sub(now).max(1) as u64);
            Some(SharedKey {
                db,
                key,
                ttl_ms,
                payload,
            })
        })
        .collect()
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// The state's bytes (before compression).
pub fn encode(state: &SharedState) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    if let Some((id, progress)) = &state.exercise {
        out.push(b'E');
        put_bytes(&mut out, id.as_bytes());
        put_bytes(&mut out, progress.as_bytes());
    }
    if !state.programs.is_empty() {
        out.push(b'P');
        put_bytes(&mut out, state.programs.as_bytes());
    }
    for k in &state.keys {
        out.push(b'K');
        put_varint(&mut out, k.db as u64);
        put_bytes(&mut out, &k.key);
        put_varint(&mut out, k.ttl_ms.map_or(0, |t| t.saturating_add(1)));
        put_bytes(&mut out, &k.payload);
    }
    out
}

/// Reads bytes of the format, checking every length.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte().ok_or("it ends in the middle of a number")?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("a number in it is too long".into())
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.varint()?;
        let left = (self.bytes.len() - self.at) as u64;
        if len > left {
            return Err("it ends in the middle of a value (cut short?)".into());
        }
        let start = self.at;
        self.at += len as usize;
        Ok(&self.bytes[start..self.at])
    }

    fn text(&mut self) -> Result<String, String> {
        let b = self.bytes()?;
        String::from_utf8(b.to_vec()).map_err(|_| "a text in it is not UTF-8".to_string())
    }
}

/// The state a link's bytes (after decompression) hold, or what is wrong with them.
pub fn decode(bytes: &[u8]) -> Result<SharedState, String> {
    if bytes.len() > MAX_UNPACKED {
        return Err(format!(
            "it unpacks to more than {} MB",
            MAX_UNPACKED / 1024 / 1024
        ));
    }
    if bytes.len() < 4 || &bytes[..3] != MAGIC {
        return Err("it is not a playground state".into());
    }
    if bytes[3] != VERSION {
        return Err(format!(
            "it was made by another version of the playground (format {}, this page reads {VERSION})",
            bytes[3]
        ));
    }
    let mut r = Reader { bytes, at: 4 };
    let mut state = SharedState::default();
    while let Some(tag) = r.byte() {
        match tag {
            b'E' => {
                let id = r.text()?;
                let progress = r.text()?;
                state.exercise = Some((id, progress));
            }
            b'P' => state.programs = r.text()?,
            b'K' => {
                if state.keys.len() >= MAX_KEYS {
                    return Err(format!("it holds more than {MAX_KEYS} keys"));
                }
                let db =
                    usize::try_from(r.varint()?).map_err(|_| "a database number is too large")?;
                let key = r.bytes()?.to_vec();
                let ttl = r.varint()?;
                let payload = r.bytes()?.to_vec();
                state.keys.push(SharedKey {
                    db,
                    key,
                    ttl_ms: (ttl > 0).then(|| ttl - 1),
                    payload,
                });
            }
            other => {
                return Err(format!(
                    "it has a part this page does not know (tag {other})"
                ))
            }
        }
    }
    Ok(state)
}

/// What restoring a shared state's keys did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub keys: usize,
    /// Keys that could not be restored: (db, key, why).
    pub refused: Vec<(usize, Vec<u8>, String)>,
}

/// Puts the shared keys into the engine (which should be empty), TTLs counted from now.
pub fn apply_keys(engine: &mut Engine, keys: &[SharedKey]) -> Applied {
    let now = engine.now_ms();
    let mut applied = Applied::default();
    for k in keys {
        let at = k
            .ttl_ms
            .map(|t| now.saturating_add(i64::try_from(t).unwrap_or(i64::MAX)));
        match engine.restore_value(k.db, &k.key, &k.payload, at) {
            Ok(()) => applied.keys += 1,
            Err(e) => applied.refused.push((k.db, k.key.clone(), e)),
        }
    }
    applied
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 4648 §5): safe in a URL fragment as it is.
pub fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// The bytes of a base64url text (padding and standard `+/` accepted too).
pub fn from_base64url(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return Err("it has characters a share link never has".into()),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::testing::argv;
    use crate::playground::Playground;
    use redis_emulator::ManualClock;

    fn pg() -> Playground {
        Playground::new(Box::new(ManualClock::new(1_700_000_000_000)), 1)
    }

    fn run(pg: &mut Playground, line: &str) {
        let c = pg.client;
        pg.engine.execute(c, &argv(line));
    }

    #[test]
    fn a_state_round_trips_with_ttls_counted_from_the_opening() {
        let mut a = pg();
        for line in [
            "SET greeting hello",
            "PEXPIRE greeting 90000",
            "XADD orders 1-1 product laptop",
            "XGROUP CREATE orders g 0",
            "SELECT 3",
            "HSET h <script>alert(1)</script> x",
        ] {
            run(&mut a, line);
        }
        let state = SharedState {
            exercise: Some(("streams-guide".into(), "v1 step=4 done=11110".into())),
            programs: "9:worker.lua5:print".into(),
            keys: keys_of(&mut a.engine),
        };
        let bytes = encode(&state);
        let text = base64url(&bytes);
        assert!(text
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        let back = decode(&from_base64url(&text).unwrap()).unwrap();
        assert_eq!(back, state);
        let mut b = pg();
        let applied = apply_keys(&mut b.engine, &back.keys);
        assert_eq!(applied.keys, 3);
        assert_eq!(
            b.engine.dump_value(0, b"orders"),
            a.engine.dump_value(0, b"orders")
        );
        let ttl = b
            .engine
            .db(0)
            .and_then(|d| d.entry(b"greeting"))
            .and_then(|e| e.expire_at);
        assert_eq!(ttl, Some(1_700_000_000_000 + 90_000));
    }

    #[test]
    fn base64url_round_trips_every_length() {
        for n in 0..50u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(from_base64url(&base64url(&bytes)).unwrap(), bytes);
        }
        assert!(from_base64url("abc$").is_err());
    }

    #[test]
    fn broken_or_hostile_bytes_are_errors_not_panics() {
        assert!(decode(b"").unwrap_err().contains("not a playground state"));
        assert!(decode(b"RPS\x09").unwrap_err().contains("format 9"));
        assert!(decode(b"RPS\x01K\x00\xff\xff\xff\xff\x0f")
            .unwrap_err()
            .contains("cut short"));
        assert!(decode(b"RPS\x01Z").unwrap_err().contains("tag 90"));
        assert!(decode(b"RPS\x01E\x02\xff\xfe\x00")
            .unwrap_err()
            .contains("UTF-8"));
        // Random bytes after a valid header never panic.
        let mut seed: u64 = 42;
        for i in 0..5000usize {
            let mut bytes = b"RPS\x01".to_vec();
            for _ in 0..(i % 64) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bytes.push(seed as u8);
            }
            if let Ok(state) = decode(&bytes) {
                let mut b = pg();
                apply_keys(&mut b.engine, &state.keys);
            }
        }
    }
}
