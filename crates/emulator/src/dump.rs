//! The serialization of one value as DUMP returns it and RESTORE reads it: Redis 7.0's
//! `rdbSaveObjectType` + `rdbSaveObject` (RDB version 10), then the version and CRC64
//! footer (`rdb::append_footer`).
//!
//! DUMP writes what Redis writes for the encoding the emulator holds: a string raw,
//! integer-encoded or LZF-compressed; a list as a quicklist of listpack nodes; a set as an
//! intset or a hashtable; a sorted set as a listpack or a skiplist (binary doubles); a hash
//! as a listpack or a hashtable; a stream as its listpack nodes, counters and consumer
//! groups. The listpacks are rebuilt from the elements (`listpack::Builder`), which
//! gives Redis's bytes because a listpack's encoding depends only on its elements.
//! Two things are not Redis's byte for byte: the order of a hashtable's entries (Redis
//! seeds its hash function at random per process, so even Redis does not repeat it) and
//! the node boundaries of a list whose history mixed pushes at both ends with inserts
//! (see `list_nodes`).
//!
//! RESTORE reads every type Redis 7.0 writes, plus the older plain-list and text-double
//! sorted-set forms, the first stream form (RDB type 15) and the ziplist forms of
//! Redis 6 and older (lists, quicklists of ziplists, small hashes and sorted sets), which
//! Redis 7.0 converts to listpacks on load, as this does. It checks more than Redis
//! does without `sanitize-dump-payload yes` (a listpack's every element, sorted intsets,
//! stream IDs in order, PEL entries owned by a consumer): a payload Redis would load into
//! a broken value is refused here with "Bad data format", so a restored value always
//! keeps the invariants the commands rely on.

use crate::config::Config;
use crate::listpack::{self, Element};
use crate::rdb;
use crate::types::stream::{Consumer, Group, Pending, StreamId, ENTRIES_READ_INVALID};
use crate::value::{HashValue, ListValue, SetValue, StrValue, StreamValue, Value, ZSetValue};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

// RDB object types (rdb.h).
const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_LIST_ZIPLIST: u8 = 10;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_ZSET_ZIPLIST: u8 = 12;
const TYPE_HASH_ZIPLIST: u8 = 13;
const TYPE_LIST_QUICKLIST: u8 = 14;
const TYPE_STREAM_LISTPACKS: u8 = 15;
const TYPE_HASH_LISTPACK: u8 = 16;
const TYPE_ZSET_LISTPACK: u8 = 17;
const TYPE_LIST_QUICKLIST_2: u8 = 18;
const TYPE_STREAM_LISTPACKS_2: u8 = 19;

/// A quicklist node's container: a listpack (Redis also has "plain" nodes, for elements
/// of 1 GB and more).
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;

/// The settings that decide encodings: how DUMP lays a list out in nodes, and which
/// encoding a restored value gets.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub hash_entries: usize,
    pub hash_value: usize,
    pub zset_entries: usize,
    pub zset_value: usize,
    pub set_intset_entries: usize,
    /// `list-max-listpack-size` (the quicklist's `fill`).
    pub list_fill: i64,
    /// `list-compress-depth`.
    pub list_compress_depth: i64,
}

impl Limits {
    pub fn from_config(config: &Config) -> Self {
        let size = |name: &str| config.int(name).max(0) as usize;
        Limits {
            hash_entries: size("hash-max-listpack-entries"),
            hash_value: size("hash-max-listpack-value"),
            zset_entries: size("zset-max-listpack-entries"),
            zset_value: size("zset-max-listpack-value"),
            set_intset_entries: size("set-max-intset-entries"),
            list_fill: config.int("list-max-listpack-size"),
            list_compress_depth: config.int("list-compress-depth"),
        }
    }
}

/// Why a payload was refused; the texts are RESTORE's errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The footer's version is newer than 10, or the CRC64 does not match.
    VersionOrChecksum,
    /// The body is not a value Redis would load.
    BadFormat,
}

impl LoadError {
    pub fn message(self) -> &'static str {
        match self {
            LoadError::VersionOrChecksum => "ERR DUMP payload version or checksum are wrong",
            LoadError::BadFormat => "ERR Bad data format",
        }
    }
}

// ---------------------------------------------------------------------------------------
// DUMP
// ---------------------------------------------------------------------------------------

/// The DUMP payload of `value` (`createDumpPayload`): its object, then the footer.
pub fn dump(value: &Value, limits: &Limits) -> Vec<u8> {
    let mut out = Vec::new();
    write_object(&mut out, value, limits);
    rdb::append_footer(&mut out);
    out
}

/// `rdbSaveObjectType` then `rdbSaveObject`: the type byte and the value, as both DUMP
/// payloads and RDB files hold them (an RDB file puts the key between the two; see
/// `split_object`).
pub fn write_object(out: &mut Vec<u8>, value: &Value, limits: &Limits) {
    match value {
        Value::Str(s) => {
            out.push(TYPE_STRING);
            rdb::write_string(out, &s.bytes);
        }
        Value::List(l) => {
            out.push(TYPE_LIST_QUICKLIST_2);
            write_quicklist(out, l, limits);
        }
        Value::Set(s) => write_set(out, s),
        Value::ZSet(z) => write_zset(out, z),
        Value::Hash(h) => write_hash(out, h),
        Value::Stream(s) => {
            out.push(TYPE_STREAM_LISTPACKS_2);
            write_stream(out, s);
        }
    }
}

/// Redis's quicklist `fill` is clamped to -5..=32768 (`quicklistSetFill`).
fn clamp_fill(fill: i64) -> i64 {
    fill.clamp(-5, 1 << 15)
}

/// `_quicklistNodeAllowInsert`: whether a node of `node_size` listpack bytes holding
/// `count` elements takes one more of `len` bytes. A negative fill is a byte limit
/// (4 KB to 64 KB); a positive one a count, under a safety limit of 8 KB. The element's
/// size is estimated as its length plus 8, as Redis does.
fn node_allows(node_size: usize, count: usize, len: usize, fill: i64) -> bool {
    const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
    const SIZE_SAFETY_LIMIT: usize = 8192;
    let new_size = node_size + len + 8;
    if fill < 0 {
        let level = OPTIMIZATION_LEVEL[(-fill - 1) as usize];
        if new_size <= level {
            return true;
        }
    }
    if new_size > SIZE_SAFETY_LIMIT {
        return false;
    }
    (count as i64) < fill
}

/// Where the nodes of `list` begin and end, as element counts. Redis's boundaries come
/// from the list's history; this is the layout of the list pushed from head to tail
/// (RPUSH, the usual way to build one, and what RESTORE of Redis's own payloads gives
/// back, since loading appends node after node), each node filled while it allows.
fn list_nodes(list: &ListValue, fill: i64) -> Vec<usize> {
    let fill = clamp_fill(fill);
    let mut nodes = Vec::new();
    let (mut count, mut size) = (0usize, listpack::empty_size());
    for item in list.iter() {
        if count > 0 && !node_allows(size, count, item.len(), fill) {
            nodes.push(count);
            count = 0;
            size = listpack::empty_size();
        }
        count += 1;
        size += listpack::str_entry_size(item);
    }
    if count > 0 {
        nodes.push(count);
    }
    nodes
}

/// `rdbSaveObject` of a quicklist: the node count, then each node's container and its
/// listpack. With `list-compress-depth` N > 0, the nodes more than N from either end are
/// held LZF-compressed by Redis (when that saves at least 8 bytes of a listpack of 48 or
/// more) and written as such.
fn write_quicklist(out: &mut Vec<u8>, list: &ListValue, limits: &Limits) {
    let counts = list_nodes(list, limits.list_fill);
    rdb::write_len(out, counts.len() as u64);
    let depth = limits.list_compress_depth.max(0) as usize;
    let mut items = list.iter();
    for (i, &n) in counts.iter().enumerate() {
        let mut lp = listpack::Builder::new();
        for item in items.by_ref().take(n) {
            lp.push_str(item);
        }
        let lp = lp.finish();
        rdb::write_len(out, CONTAINER_PACKED);
        let compressed = (depth > 0 && i >= depth && i + depth < counts.len() && lp.len() >= 48)
            .then(|| rdb::lzf_compress(&lp, lp.len()))
            .flatten()
            .filter(|c| c.len() + 8 < lp.len());
        match compressed {
            Some(c) => rdb::write_lzf_blob(out, &c, lp.len()),
            None => rdb::write_string(out, &lp),
        }
    }
}

fn write_set(out: &mut Vec<u8>, set: &SetValue) {
    match set.intset() {
        Some((values, width)) => {
            out.push(TYPE_SET_INTSET);
            // An intset: encoding (bytes per integer), length, then the integers, all
            // little-endian.
            let mut blob = Vec::with_capacity(8 + values.len() * width as usize);
            blob.extend_from_slice(&(width as u32).to_le_bytes());
            blob.extend_from_slice(&(values.len() as u32).to_le_bytes());
            for &n in values {
                blob.extend_from_slice(&n.to_le_bytes()[..width as usize]);
            }
            rdb::write_string(out, &blob);
        }
        None => {
            out.push(TYPE_SET);
            rdb::write_len(out, set.len() as u64);
            for member in set.iter() {
                rdb::write_string(out, &member);
            }
        }
    }
}

/// `d2string` of Redis 7.0: how a listpack sorted set stores a score (as text, which
/// the listpack then stores as an integer when it reads as one).
fn score_text(score: f64) -> String {
    if score.is_nan() {
        "nan".to_string()
    } else if score.is_infinite() {
        if score < 0.0 { "-inf" } else { "inf" }.to_string()
    } else if score == 0.0 {
        if score.is_sign_negative() { "-0" } else { "0" }.to_string()
    } else if score > -4503599627370495.0 && score < 4503599627370496.0 && score == score.trunc() {
        (score as i64).to_string()
    } else {
        crate::fmt::fmt_g(score, 17)
    }
}

fn write_zset(out: &mut Vec<u8>, zset: &ZSetValue) {
    if zset.is_skiplist() {
        // Redis writes the skiplist from the greatest element to the smallest, so that
        // loading it inserts each at the head.
        out.push(TYPE_ZSET_2);
        rdb::write_len(out, zset.len() as u64);
        for (member, score) in zset.iter_rev() {
            rdb::write_string(out, member);
            rdb::write_binary_double(out, score);
        }
    } else {
        out.push(TYPE_ZSET_LISTPACK);
        let mut lp = listpack::Builder::new();
        for (member, score) in zset.iter() {
            lp.push_str(member);
            lp.push_str(score_text(score).as_bytes());
        }
        rdb::write_string(out, &lp.finish());
    }
}

fn write_hash(out: &mut Vec<u8>, hash: &HashValue) {
    if hash.is_listpack() {
        out.push(TYPE_HASH_LISTPACK);
        let mut lp = listpack::Builder::new();
        for (field, value) in hash.iter() {
            lp.push_str(field);
            lp.push_str(value);
        }
        rdb::write_string(out, &lp.finish());
    } else {
        out.push(TYPE_HASH);
        rdb::write_len(out, hash.len() as u64);
        for (field, value) in hash.iter() {
            rdb::write_string(out, field);
            rdb::write_string(out, value);
        }
    }
}

fn write_id(out: &mut Vec<u8>, id: StreamId) {
    rdb::write_len(out, id.ms);
    rdb::write_len(out, id.seq);
}

/// `rdbSaveObject` of a stream (RDB_TYPE_STREAM_LISTPACKS_2).
fn write_stream(out: &mut Vec<u8>, s: &StreamValue) {
    let nodes = s.node_elements();
    rdb::write_len(out, nodes.len() as u64);
    for (master, elements) in nodes {
        rdb::write_string(out, &master.to_be_bytes());
        let mut lp = listpack::Builder::new();
        for e in elements {
            match e {
                Element::Int(n) => lp.push_int(n),
                Element::Str(bytes) => lp.push_str(&bytes),
            }
        }
        rdb::write_string(out, &lp.finish());
    }
    rdb::write_len(out, s.len());
    write_id(out, s.last_id);
    write_id(out, s.first_id);
    write_id(out, s.max_deleted_entry_id);
    rdb::write_len(out, s.entries_added);
    rdb::write_len(out, s.groups.len() as u64);
    for (name, group) in &s.groups {
        rdb::write_string(out, name);
        write_id(out, group.last_id);
        // -1 (unknown) is written as the unsigned 2^64 - 1, as Redis's C cast does.
        rdb::write_len(out, group.entries_read as u64);
        rdb::write_len(out, group.pel.len() as u64);
        for (id, pending) in &group.pel {
            out.extend_from_slice(&id.to_be_bytes());
            rdb::write_millis(out, pending.delivery_time);
            rdb::write_len(out, pending.delivery_count);
        }
        rdb::write_len(out, group.consumers.len() as u64);
        for (name, consumer) in &group.consumers {
            rdb::write_string(out, name);
            rdb::write_millis(out, consumer.seen_time);
            rdb::write_len(out, consumer.pel.len() as u64);
            for id in &consumer.pel {
                out.extend_from_slice(&id.to_be_bytes());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// RESTORE
// ---------------------------------------------------------------------------------------

/// Reads a DUMP payload into a value (`verifyDumpPayload`, `rdbLoadObjectType`,
/// `rdbLoadObject`), with the encoding Redis would give it under `limits`.
pub fn load(payload: &[u8], limits: &Limits) -> Result<Value, LoadError> {
    if rdb::verify_footer(payload).is_none() {
        return Err(LoadError::VersionOrChecksum);
    }
    // Like Redis, read from the whole payload: the footer is not cut off first, and
    // bytes left over after the value are ignored.
    let mut r = Reader {
        input: payload,
        pos: 0,
    };
    read_value(&mut r, limits).ok_or(LoadError::BadFormat)
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        rdb::read_u8(self.input, &mut self.pos)
    }
    fn len(&mut self) -> Option<u64> {
        rdb::read_plain_len(self.input, &mut self.pos)
    }
    /// A count of things that follow, each taking at least one byte: more than the
    /// bytes left is a lie (and would make us reserve absurd amounts of memory).
    fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.len()?).ok()?;
        (n <= self.input.len() - self.pos.min(self.input.len())).then_some(n)
    }
    fn string(&mut self) -> Option<Vec<u8>> {
        rdb::read_string(self.input, &mut self.pos)
    }
    fn raw(&mut self, n: usize) -> Option<&[u8]> {
        rdb::read_bytes(self.input, &mut self.pos, n)
    }
    fn id(&mut self) -> Option<StreamId> {
        Some(StreamId {
            ms: self.len()?,
            seq: self.len()?,
        })
    }
    fn raw_id(&mut self) -> Option<StreamId> {
        id_from_be(self.raw(16)?)
    }
}

fn id_from_be(bytes: &[u8]) -> Option<StreamId> {
    let bytes: [u8; 16] = bytes.try_into().ok()?;
    Some(StreamId {
        ms: u64::from_be_bytes(bytes[..8].try_into().ok()?),
        seq: u64::from_be_bytes(bytes[8..].try_into().ok()?),
    })
}

/// Reads the value of an object of type `type_byte` starting at `*pos` of `input` (an
/// RDB file's record: the type byte, the key, then this), moving `*pos` past it. None if
/// it is not a value Redis would load.
pub fn read_object(input: &[u8], pos: &mut usize, type_byte: u8, limits: &Limits) -> Option<Value> {
    let mut r = Reader { input, pos: *pos };
    let value = read_typed(&mut r, type_byte, limits)?;
    *pos = r.pos;
    Some(value)
}

fn read_value(r: &mut Reader, limits: &Limits) -> Option<Value> {
    let type_byte = r.byte()?;
    read_typed(r, type_byte, limits)
}

fn read_typed(r: &mut Reader, type_byte: u8, limits: &Limits) -> Option<Value> {
    let value = match type_byte {
        TYPE_STRING => Value::Str(StrValue::from_set(r.string()?)),
        TYPE_LIST => read_plain_list(r)?,
        TYPE_LIST_QUICKLIST_2 => read_quicklist(r)?,
        TYPE_SET => read_set(r, limits)?,
        TYPE_SET_INTSET => read_intset(r, limits)?,
        TYPE_ZSET => read_zset(r, limits, ZSetForm::TextScores)?,
        TYPE_ZSET_2 => read_zset(r, limits, ZSetForm::BinaryScores)?,
        TYPE_ZSET_LISTPACK => read_zset(r, limits, ZSetForm::Listpack)?,
        TYPE_HASH => read_hash(r, limits, None)?,
        TYPE_HASH_LISTPACK => read_hash(r, limits, Some(Packed::Listpack))?,
        TYPE_HASH_ZIPLIST => read_hash(r, limits, Some(Packed::Ziplist))?,
        TYPE_ZSET_ZIPLIST => read_zset(r, limits, ZSetForm::Ziplist)?,
        TYPE_LIST_ZIPLIST => {
            let mut list = ListValue::new();
            for e in ziplist_decode(&r.string()?)? {
                list.push_back(e.into_bytes());
            }
            Value::List(list)
        }
        TYPE_LIST_QUICKLIST => {
            let nodes = r.count()?;
            let mut list = ListValue::new();
            for _ in 0..nodes {
                for e in ziplist_decode(&r.string()?)? {
                    list.push_back(e.into_bytes());
                }
            }
            Value::List(list)
        }
        t @ (TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2) => {
            Value::Stream(read_stream(r, t == TYPE_STREAM_LISTPACKS_2)?)
        }
        // Modules and zipmaps (Redis 2.4's small hashes) are not read.
        _ => return None,
    };
    // Redis refuses empty collections ("empty keys"); streams may be empty.
    (!value.is_empty_collection()).then_some(value)
}

/// RDB_TYPE_LIST: a count and the elements.
fn read_plain_list(r: &mut Reader) -> Option<Value> {
    let n = r.count()?;
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push(r.string()?);
    }
    Some(Value::List(ListValue::from_items(items)))
}

/// RDB_TYPE_LIST_QUICKLIST_2: nodes, each a listpack (or one plain element). Empty
/// listpacks are skipped, as Redis does.
fn read_quicklist(r: &mut Reader) -> Option<Value> {
    let nodes = r.count()?;
    let mut list = ListValue::new();
    for _ in 0..nodes {
        match r.len()? {
            CONTAINER_PLAIN => list.push_back(r.string()?),
            CONTAINER_PACKED => {
                for e in listpack::decode(&r.string()?)? {
                    list.push_back(e.into_bytes());
                }
            }
            _ => return None,
        }
    }
    Some(Value::List(list))
}

/// RDB_TYPE_SET: an intset while the members are integers and few enough, else a
/// hashtable. Duplicates are an error.
fn read_set(r: &mut Reader, limits: &Limits) -> Option<Value> {
    let n = r.count()?;
    let mut set = SetValue::new();
    if n > limits.set_intset_entries {
        set.convert_to_hashtable();
    }
    for _ in 0..n {
        if !set.insert(&r.string()?, limits.set_intset_entries) {
            return None;
        }
    }
    Some(Value::Set(set))
}

/// RDB_TYPE_SET_INTSET: Redis's intset blob, kept with its width.
fn read_intset(r: &mut Reader, limits: &Limits) -> Option<Value> {
    let blob = r.string()?;
    if blob.len() < 8 {
        return None;
    }
    let width = u32::from_le_bytes(blob[..4].try_into().ok()?);
    let count = u32::from_le_bytes(blob[4..8].try_into().ok()?) as usize;
    if !matches!(width, 2 | 4 | 8) || count.checked_mul(width as usize)? != blob.len() - 8 {
        return None;
    }
    let width = width as usize;
    let values = blob[8..]
        .chunks_exact(width)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..width].copy_from_slice(c);
            let shift = 64 - 8 * width as u32;
            (i64::from_le_bytes(b) << shift) >> shift
        })
        .collect::<Vec<_>>();
    let mut set = SetValue::from_intset(values, width as u8)?;
    if set.len() > limits.set_intset_entries {
        set.convert_to_hashtable();
    }
    Some(Value::Set(set))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ZSetForm {
    Listpack,
    Ziplist,
    BinaryScores,
    TextScores,
}

/// The two packed containers of small values: 7.0's listpack, and the ziplist of
/// Redis 6 and older.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Packed {
    Listpack,
    Ziplist,
}

/// A packed container's elements, read from its blob.
fn packed_elements(r: &mut Reader, packed: Packed) -> Option<Vec<Element>> {
    let blob = r.string()?;
    match packed {
        Packed::Listpack => listpack::decode(&blob),
        Packed::Ziplist => ziplist_decode(&blob),
    }
}

/// A ziplist's elements (`ziplist.c`): a 10-byte header (total bytes, tail offset,
/// count), entries (the previous entry's length in 1 or 5 bytes, an encoding byte, the
/// content), then 255. Every length is checked against the blob.
fn ziplist_decode(blob: &[u8]) -> Option<Vec<Element>> {
    if blob.len() < 11 || u32::from_le_bytes(blob[..4].try_into().ok()?) as usize != blob.len() {
        return None;
    }
    let mut pos = 10;
    let mut out = Vec::new();
    loop {
        let first = *blob.get(pos)?;
        if first == 0xff {
            return (pos + 1 == blob.len()).then_some(out);
        }
        pos += if first < 254 { 1 } else { 5 };
        let enc = *blob.get(pos)?;
        pos += 1;
        let take = |pos: &mut usize, n: usize| -> Option<&[u8]> {
            let bytes = blob.get(*pos..pos.checked_add(n)?)?;
            *pos += n;
            Some(bytes)
        };
        let int = |bytes: &[u8]| -> i64 {
            let mut b = [0u8; 8];
            b[..bytes.len()].copy_from_slice(bytes);
            let shift = 64 - 8 * bytes.len() as u32;
            (i64::from_le_bytes(b) << shift) >> shift
        };
        let element = match enc >> 6 {
            0 => Element::Str(take(&mut pos, usize::from(enc & 0x3f))?.to_vec()),
            1 => {
                let len =
                    (usize::from(enc & 0x3f) << 8) | usize::from(*take(&mut pos, 1)?.first()?);
                Element::Str(take(&mut pos, len)?.to_vec())
            }
            2 => {
                let len = u32::from_be_bytes(take(&mut pos, 4)?.try_into().ok()?) as usize;
                Element::Str(take(&mut pos, len)?.to_vec())
            }
            _ => match enc {
                0xc0 => Element::Int(int(take(&mut pos, 2)?)),
                0xd0 => Element::Int(int(take(&mut pos, 4)?)),
                0xe0 => Element::Int(int(take(&mut pos, 8)?)),
                0xf0 => Element::Int(int(take(&mut pos, 3)?)),
                0xfe => Element::Int(int(take(&mut pos, 1)?)),
                0xf1..=0xfd => Element::Int(i64::from(enc & 0x0f) - 1),
                _ => return None,
            },
        };
        out.push(element);
    }
}

/// The sorted-set forms: a listpack of member/score pairs, or a count and pairs with
/// binary (ZSET_2) or text (ZSET) scores. The result is a listpack when small enough
/// (Redis loads a skiplist and converts it back), else a skiplist. Duplicates and NaN
/// scores are errors.
fn read_zset(r: &mut Reader, limits: &Limits, form: ZSetForm) -> Option<Value> {
    let mut pairs = Vec::new();
    let packed = match form {
        ZSetForm::Listpack => Some(Packed::Listpack),
        ZSetForm::Ziplist => Some(Packed::Ziplist),
        _ => None,
    };
    if let Some(packed) = packed {
        let elements = packed_elements(r, packed)?;
        if elements.len() % 2 != 0 {
            return None;
        }
        let mut it = elements.into_iter();
        while let (Some(member), Some(score)) = (it.next(), it.next()) {
            let score = match score {
                Element::Int(n) => n as f64,
                Element::Str(s) => crate::args::parse_f64(&s)?,
            };
            pairs.push((member.into_bytes(), score));
        }
    } else {
        let n = r.count()?;
        for _ in 0..n {
            let member = r.string()?;
            let score = if form == ZSetForm::BinaryScores {
                rdb::read_binary_double(r.input, &mut r.pos)?
            } else {
                rdb::read_text_double(r.input, &mut r.pos)?
            };
            pairs.push((member, score));
        }
    }
    // A listpack is kept while it has few enough members, whatever their length (Redis
    // checks only the count there); the other forms also look at the longest member.
    let small = pairs.len() <= limits.zset_entries
        && (packed.is_some() || pairs.iter().all(|(m, _)| m.len() <= limits.zset_value));
    let mut zset = ZSetValue::new();
    if !small {
        zset.convert_to_skiplist();
    }
    for (member, score) in pairs {
        if score.is_nan() || !zset.insert(&member, score, usize::MAX, usize::MAX) {
            return None;
        }
    }
    Some(Value::ZSet(zset))
}

/// The hash forms: a listpack of field/value pairs, or a count and pairs. A listpack
/// while within the `hash-max-listpack-*` limits, else a hashtable. Duplicate fields are
/// an error.
fn read_hash(r: &mut Reader, limits: &Limits, packed: Option<Packed>) -> Option<Value> {
    let mut pairs = Vec::new();
    if let Some(packed) = packed {
        let elements = packed_elements(r, packed)?;
        if elements.len() % 2 != 0 {
            return None;
        }
        let mut it = elements.into_iter();
        while let (Some(f), Some(v)) = (it.next(), it.next()) {
            pairs.push((f.into_bytes(), v.into_bytes()));
        }
    } else {
        let n = r.count()?;
        for _ in 0..n {
            pairs.push((r.string()?, r.string()?));
        }
    }
    // Inserting under the limits converts to a hashtable exactly when Redis's loader
    // ends with one: too many pairs, or (not for a listpack, where Redis checks only the
    // count) a field or value too long.
    let max_value = if packed.is_some() {
        usize::MAX
    } else {
        limits.hash_value
    };
    let mut hash = HashValue::new();
    for (field, value) in pairs {
        if !hash.insert(&field, value, limits.hash_entries, max_value) {
            return None;
        }
    }
    Some(Value::Hash(hash))
}

/// The stream forms (RDB_TYPE_STREAM_LISTPACKS and _2, the second with the first ID,
/// the maximal deleted ID, the entries-added counter and the groups' read counters).
fn read_stream(r: &mut Reader, v2: bool) -> Option<StreamValue> {
    let node_count = r.count()?;
    let mut nodes = Vec::with_capacity(node_count);
    for _ in 0..node_count {
        let key = r.string()?;
        let master = id_from_be(&key)?;
        let elements = listpack::decode(&r.string()?)?;
        if elements.is_empty() {
            return None;
        }
        nodes.push((master, elements));
    }
    let mut s = StreamValue::from_node_elements(nodes)?;
    let length = r.len()?;
    let last_id = r.id()?;
    // The counters must agree with the entries: the commands trust them.
    if length != s.len() || last_id < s.last_id {
        return None;
    }
    s.last_id = last_id;
    if v2 {
        let first_id = r.id()?;
        s.max_deleted_entry_id = r.id()?;
        s.entries_added = r.len()?;
        if first_id != s.first_id {
            return None;
        }
    } else {
        s.entries_added = length;
    }
    let groups = r.count()?;
    for _ in 0..groups {
        let name = r.string()?;
        let last_id = r.id()?;
        let entries_read = if v2 {
            r.len()? as i64
        } else {
            s.estimate_distance(last_id)
        };
        if entries_read < ENTRIES_READ_INVALID || s.groups.contains_key(&name) {
            return None;
        }
        let group = read_group(r, last_id, entries_read)?;
        s.groups.insert(name, group);
    }
    Some(s)
}

/// A consumer group's global PEL (IDs, delivery times and counts), then its consumers
/// with their seen times and the IDs of their PEL entries. Every PEL entry must belong
/// to exactly one consumer.
fn read_group(r: &mut Reader, last_id: StreamId, entries_read: i64) -> Option<Group> {
    let mut group = Group::new(last_id, entries_read);
    let pel_len = r.count()?;
    let mut unowned = BTreeMap::new();
    for _ in 0..pel_len {
        let id = r.raw_id()?;
        let delivery_time = rdb::read_millis(r.input, &mut r.pos)?;
        let delivery_count = r.len()?;
        if unowned
            .insert(id, (delivery_time, delivery_count))
            .is_some()
        {
            return None;
        }
    }
    let consumers = r.count()?;
    for _ in 0..consumers {
        let name: Rc<[u8]> = Rc::from(r.string()?);
        let seen_time = rdb::read_millis(r.input, &mut r.pos)?;
        let owned = r.count()?;
        let mut pel = BTreeSet::new();
        for _ in 0..owned {
            let id = r.raw_id()?;
            let (delivery_time, delivery_count) = unowned.remove(&id)?;
            group.pel.insert(
                id,
                Pending {
                    consumer: name.clone(),
                    delivery_time,
                    delivery_count,
                },
            );
            pel.insert(id);
        }
        let consumer = Consumer { seen_time, pel };
        if group.consumers.insert(name, consumer).is_some() {
            return None;
        }
    }
    unowned.is_empty().then_some(group)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::from_config(&Config::default())
    }

    /// A ziplist as `ziplist.c` lays it out (strings, or integers with their encoding
    /// byte and width), for the decoder's test.
    fn ziplist(entries: &[(u8, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev_len = 0usize;
        let mut tail = 10;
        for (enc, content) in entries {
            tail = 10 + body.len();
            let mut entry = Vec::new();
            if prev_len < 254 {
                entry.push(prev_len as u8);
            } else {
                entry.push(254);
                entry.extend_from_slice(&(prev_len as u32).to_le_bytes());
            }
            if *enc == 0 {
                // A string: the 6-bit, 14-bit or 32-bit length form.
                match content.len() {
                    n if n < 64 => entry.push(n as u8),
                    n if n < 16384 => entry.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]),
                    n => {
                        entry.push(0x80);
                        entry.extend_from_slice(&(n as u32).to_be_bytes());
                    }
                }
            } else {
                entry.push(*enc);
            }
            entry.extend_from_slice(content);
            prev_len = entry.len();
            body.extend_from_slice(&entry);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&((10 + body.len() + 1) as u32).to_le_bytes());
        out.extend_from_slice(&(tail as u32).to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        out.extend_from_slice(&body);
        out.push(0xff);
        out
    }

    fn payload(type_byte: u8, blobs: &[Vec<u8>], count_first: bool) -> Vec<u8> {
        let mut p = vec![type_byte];
        if count_first {
            rdb::write_len(&mut p, blobs.len() as u64);
        }
        for b in blobs {
            rdb::write_len(&mut p, b.len() as u64);
            p.extend_from_slice(b);
        }
        rdb::append_footer(&mut p);
        p
    }

    #[test]
    fn redis_6_ziplists_load_as_7_0_values() {
        let long = vec![b'x'; 300];
        let entries: Vec<(u8, &[u8])> = vec![
            (0, b"field"),
            (0xfe, &[0x85]),             // int8 -123
            (0, &long),                  // a 14-bit length, and the next prevlen takes 5 bytes
            (0xf3, &[]),                 // immediate 2
            (0xc0, &[0x39, 0x30]),       // int16 12345
            (0xf0, &[0x00, 0x00, 0x80]), // int24 -8388608
            (0xd0, &[0, 0, 0, 0x80]),    // int32 i32::MIN
            (0xe0, &[0xff; 8]),          // int64 -1
        ];
        let zl = ziplist(&entries);
        let decoded: Vec<Vec<u8>> = ziplist_decode(&zl)
            .unwrap()
            .into_iter()
            .map(Element::into_bytes)
            .collect();
        let expected: Vec<Vec<u8>> = vec![
            b"field".to_vec(),
            b"-123".to_vec(),
            long.clone(),
            b"2".to_vec(),
            b"12345".to_vec(),
            b"-8388608".to_vec(),
            b"-2147483648".to_vec(),
            b"-1".to_vec(),
        ];
        assert_eq!(decoded, expected);

        // Each ziplist form loads into the value it describes.
        let limits = limits();
        match load(
            &payload(TYPE_LIST_ZIPLIST, std::slice::from_ref(&zl), false),
            &limits,
        ) {
            Ok(Value::List(l)) => {
                assert_eq!(l.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(), expected)
            }
            other => panic!("{other:?}"),
        }
        match load(
            &payload(TYPE_LIST_QUICKLIST, &[zl.clone(), zl.clone()], true),
            &limits,
        ) {
            Ok(Value::List(l)) => assert_eq!(l.len(), 16),
            other => panic!("{other:?}"),
        }
        let pairs = ziplist(&[(0, b"a"), (0xf2, &[]), (0, b"b"), (0, b"2.5")]);
        match load(
            &payload(TYPE_ZSET_ZIPLIST, std::slice::from_ref(&pairs), false),
            &limits,
        ) {
            Ok(Value::ZSet(z)) => {
                assert_eq!((z.score(b"a"), z.score(b"b")), (Some(1.0), Some(2.5)))
            }
            other => panic!("{other:?}"),
        }
        match load(&payload(TYPE_HASH_ZIPLIST, &[pairs], false), &limits) {
            Ok(Value::Hash(h)) => assert_eq!(h.get(b"b"), Some(&b"2.5"[..])),
            other => panic!("{other:?}"),
        }
        // Damaged ziplists: refused.
        let mut bad = zl.clone();
        bad[0] ^= 1;
        assert!(ziplist_decode(&bad).is_none());
        assert!(ziplist_decode(&zl[..zl.len() - 1]).is_none());
        for cut in 0..zl.len() {
            let _ = ziplist_decode(&zl[..cut]);
        }
        let odd = ziplist(&[(0, b"a")]);
        assert!(load(&payload(TYPE_HASH_ZIPLIST, &[odd], false), &limits).is_err());
    }

    #[test]
    fn string_encodings() {
        let l = limits();
        let s = |b: &[u8]| dump(&Value::Str(StrValue::from_set(b.to_vec())), &l);
        // Redis 7.0.15: DUMP of SET k 12 / SET k hello.
        assert_eq!(s(b"12")[..2], [0x00, 0xc0]);
        assert_eq!(s(b"hello")[..7], *b"\x00\x05hello");
        for v in [
            &b"12"[..],
            b"-70000",
            b"hello",
            &[b'a'; 100],
            b"12345678901234",
        ] {
            let back = load(&s(v), &l).expect("loads");
            assert_eq!(back, Value::Str(StrValue::from_set(v.to_vec())));
        }
    }

    #[test]
    fn score_text_is_d2string() {
        assert_eq!(score_text(1.0), "1");
        assert_eq!(score_text(-0.0), "-0");
        assert_eq!(score_text(1.5), "1.5");
        assert_eq!(score_text(0.1), "0.10000000000000001");
        assert_eq!(score_text(1e17), "1e+17");
        assert_eq!(score_text(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn list_nodes_follow_the_fill() {
        let list = ListValue::from_items((0..300).map(|i| format!("{i:04}").into_bytes()));
        assert_eq!(list_nodes(&list, 128), vec![128, 128, 44]);
        assert_eq!(list_nodes(&list, -2), vec![300]);
        let big = ListValue::from_items((0..100).map(|_| vec![b'x'; 1000]));
        // 8 KB nodes: 7 + n * (1000 + 2 + 2) + 1000 + 8 <= 8192 up to n = 7, so 8 a
        // node (Redis 7.0.15 dumps 100 such elements in 13 nodes).
        assert_eq!(list_nodes(&big, -2).len(), 13);
        assert_eq!(list_nodes(&big, -2)[0], 8);
    }

    #[test]
    fn bad_footer_and_bad_body() {
        let l = limits();
        let mut p = dump(&Value::Str(StrValue::from_set(b"hello".to_vec())), &l);
        assert!(load(&p, &l).is_ok());
        let n = p.len();
        p[n - 1] ^= 1;
        assert_eq!(load(&p, &l), Err(LoadError::VersionOrChecksum));
        let mut body = vec![42u8];
        rdb::append_footer(&mut body);
        assert_eq!(load(&body, &l), Err(LoadError::BadFormat));
    }
}
