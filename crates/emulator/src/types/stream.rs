//! Streams. Redis 7.0 keeps a stream as a radix tree of listpacks: each tree key is the
//! ID of the node's first ("master") entry, and each listpack holds up to
//! `stream-node-max-entries` entries / `stream-node-max-bytes` bytes, delta-encoded
//! against the master ID, with the master entry's field names shared by every entry that
//! has the same fields. Deletion only flags an entry; a node goes when its last live entry
//! does, and trimming with `~` removes whole nodes only.
//!
//! Here the tree is a `BTreeMap<StreamId, Node>` and each node one compact byte buffer
//! with the same layout ideas (delta IDs, shared master fields, deletion flags), so
//! appends are O(1) amortised, range reads O(log n + k), XDEL O(log n + node size). Each
//! node also tracks the exact size Redis's listpack would have (`lp_bytes`), because that
//! size decides where Redis starts a new node, and node boundaries are visible to users
//! (what `MAXLEN ~` trims, XINFO's radix-tree figures).
//!
//! Consumer groups, their pending entries lists (PEL) and consumers live here too, with
//! the bookkeeping of t_stream.c (entries-read counters, lag estimates); commands and
//! replies are in `cmd/streams.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

use crate::listpack::Element;

// ---------------------------------------------------------------------------------------
// IDs
// ---------------------------------------------------------------------------------------

/// A stream entry ID: milliseconds and a sequence number, ordered as a 128-bit number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> Self {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The next ID (streamIncrID), or None for the last possible one.
    pub fn incr(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId {
                ms: self.ms,
                seq: self.seq + 1,
            })
        } else if self.ms < u64::MAX {
            Some(StreamId {
                ms: self.ms + 1,
                seq: 0,
            })
        } else {
            None
        }
    }

    /// The previous ID (streamDecrID), or None for 0-0.
    pub fn decr(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId {
                ms: self.ms,
                seq: self.seq - 1,
            })
        } else if self.ms > 0 {
            Some(StreamId {
                ms: self.ms - 1,
                seq: u64::MAX,
            })
        } else {
            None
        }
    }

    /// The 16 big-endian bytes Redis uses as the radix tree key.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// What an ID argument may be besides a plain ID, for the parsers below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdSyntax {
    /// `-` and `+` are refused (streamParseStrictIDOrReply).
    Strict,
    /// `-` is 0-0 and `+` the maximum ID (streamParseIDOrReply).
    Loose,
}

/// glibc's `strtoull(s, &end, 10)` accepted only if it consumed the whole (non-empty)
/// string without ERANGE: leading white space, a `+` or `-` sign (a `-` negates modulo
/// 2^64, so `-1` parses as 18446744073709551615) and leading zeros are all accepted.
fn strtoull_whole(s: &[u8]) -> Option<u64> {
    let mut i = 0;
    while i < s.len() && crate::args::c_space(s[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// Redis's `string2ull`: `string2ll` for canonical numbers (negative ones refused), then
/// `strtoull` for everything else.
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(n) = crate::args::parse_i64(s) {
        return (n >= 0).then_some(n as u64);
    }
    strtoull_whole(s)
}

/// The ID part of an argument as Redis's C code sees it: at most 127 bytes, and only up
/// to the first NUL byte (the argument is copied into a C string).
fn c_string(arg: &[u8]) -> Option<&[u8]> {
    if arg.len() > 127 {
        return None;
    }
    Some(&arg[..arg.iter().position(|&b| b == 0).unwrap_or(arg.len())])
}

/// streamGenericParseIDOrReply without the `<ms>-*` form: `<ms>-<seq>`, or `<ms>` with
/// `missing_seq` as the sequence, or (if `Loose`) `-` / `+`. None if invalid.
pub fn parse_id(arg: &[u8], missing_seq: u64, syntax: IdSyntax) -> Option<StreamId> {
    let s = c_string(arg)?;
    match s {
        b"-" | b"+" if syntax == IdSyntax::Strict => None,
        b"-" => Some(StreamId::MIN),
        b"+" => Some(StreamId::MAX),
        _ => {
            let (ms, seq) = split_id(s)?;
            let ms = string2ull(ms)?;
            let seq = match seq {
                Some(seq) => string2ull(seq)?,
                None => missing_seq,
            };
            Some(StreamId { ms, seq })
        }
    }
}

/// Splits at the first `-`: (`ms`, Some(`seq`)) or (`ms`, None).
fn split_id(s: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    match s.iter().position(|&b| b == b'-') {
        Some(dash) => Some((&s[..dash], Some(&s[dash + 1..]))),
        None => Some((s, None)),
    }
}

/// An XADD ID argument (strict): the ID and whether its sequence was given (false for
/// `<ms>-*`, whose sequence XADD generates). None if invalid.
pub fn parse_xadd_id(arg: &[u8]) -> Option<(StreamId, bool)> {
    let s = c_string(arg)?;
    if s == b"-" || s == b"+" {
        return None;
    }
    let (ms, seq) = split_id(s)?;
    let ms = string2ull(ms)?;
    match seq {
        Some(b"*") => Some((StreamId { ms, seq: 0 }, false)),
        Some(seq) => Some((
            StreamId {
                ms,
                seq: string2ull(seq)?,
            },
            true,
        )),
        None => Some((StreamId { ms, seq: 0 }, true)),
    }
}

/// A range bound (streamParseIntervalIDOrReply): `(id` is exclusive and strict,
/// anything else a loose ID. Returns the ID and whether it was exclusive.
pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    if arg.len() > 1 && arg[0] == b'(' {
        parse_id(&arg[1..], missing_seq, IdSyntax::Strict).map(|id| (id, true))
    } else {
        parse_id(arg, missing_seq, IdSyntax::Loose).map(|id| (id, false))
    }
}

// ---------------------------------------------------------------------------------------
// Listpack sizes (Redis's node-size rule depends on them)
// ---------------------------------------------------------------------------------------

/// jemalloc's size class for a request of `n` bytes: multiples of 16 up to 128, then four
/// classes per doubling.
fn jemalloc_size(n: usize) -> usize {
    if n <= 8 {
        return 8;
    }
    if n <= 128 {
        return n.div_ceil(16) * 16;
    }
    let spacing = n.next_power_of_two() / 8;
    n.div_ceil(spacing) * spacing
}

/// A listpack's header (total bytes, element count) and end byte.
const LP_EMPTY: usize = 7;
/// Redis caps a stream listpack at 1 GB whatever the configuration says.
const LISTPACK_MAX_SIZE: usize = 1 << 30;

// ---------------------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------------------

/// Entry flags, as in Redis.
const FLAG_DELETED: u8 = 1;
const FLAG_SAMEFIELDS: u8 = 2;

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Reads a varint at `*pos`. The buffers are written only by this module, so they are
/// well formed; a truncated one reads as 0 rather than panicking.
fn get_varint(buf: &[u8], pos: &mut usize) -> u64 {
    let mut v: u64 = 0;
    let mut shift = 0;
    while let Some(&b) = buf.get(*pos) {
        *pos += 1;
        if shift < 64 {
            v |= ((b & 0x7f) as u64) << shift;
        }
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    v
}

fn put_bytes(buf: &mut Vec<u8>, b: &[u8]) {
    put_varint(buf, b.len() as u64);
    buf.extend_from_slice(b);
}

fn get_bytes<'a>(buf: &'a [u8], pos: &mut usize) -> &'a [u8] {
    let len = get_varint(buf, pos) as usize;
    let start = (*pos).min(buf.len());
    let end = start.saturating_add(len).min(buf.len());
    *pos = end;
    &buf[start..end]
}

/// Zigzag, so that a sequence delta that goes "backwards" (a new millisecond restarts
/// the sequence) stays short.
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}
fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// One radix-tree node: a buffer holding the master field names, then the entries:
/// `flags, ms delta, seq delta, [field count, fields...], values...` (fields are
/// omitted when they are the master's: FLAG_SAMEFIELDS). Strings are length-prefixed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    buf: Vec<u8>,
    /// Offset of the first entry (after the master fields).
    entries_start: u32,
    /// Live and deleted-but-present entries (the listpack's two counters).
    live: u32,
    deleted: u32,
    /// Size of Redis's listpack for this node, minus its two counters (which change).
    lp_rest: usize,
    /// The ID of the last entry in the node, deleted or not (lpGetEdgeStreamID).
    last: StreamId,
    /// Whether that last entry is deleted (so the last live ID is usually found in O(1)).
    last_deleted: bool,
}

/// An entry as decoded from a node.
#[derive(Clone, Copy, Debug)]
struct RawEntry {
    /// Offset of the flags byte.
    at: usize,
    flags: u8,
    id: StreamId,
    /// Number of field/value pairs.
    numfields: usize,
    /// Offset of the first field (or value, for SAMEFIELDS).
    body: usize,
    /// Offset just past the entry.
    end: usize,
}

impl Node {
    fn lp_bytes(&self) -> usize {
        LP_EMPTY
            + crate::listpack::int_entry_size(self.live as i64)
            + crate::listpack::int_entry_size(self.deleted as i64)
            + self.lp_rest
    }

    /// What Redis's allocator hands out for this listpack (for the memory estimate).
    fn lp_alloc(&self) -> usize {
        jemalloc_size(self.lp_bytes())
    }

    fn master_fields(&self) -> MasterFields<'_> {
        let mut pos = 0;
        let count = get_varint(&self.buf, &mut pos) as usize;
        MasterFields {
            buf: &self.buf,
            pos,
            count,
        }
    }

    /// Decodes the entry at `at`.
    fn entry_at(&self, master: StreamId, master_count: usize, at: usize) -> RawEntry {
        let buf = &self.buf;
        let mut pos = at;
        let flags = buf.get(pos).copied().unwrap_or(0);
        pos += 1;
        let ms = master.ms.wrapping_add(get_varint(buf, &mut pos));
        let seq = master
            .seq
            .wrapping_add(unzigzag(get_varint(buf, &mut pos)) as u64);
        let numfields = if flags & FLAG_SAMEFIELDS != 0 {
            master_count
        } else {
            get_varint(buf, &mut pos) as usize
        };
        let body = pos;
        let strings = if flags & FLAG_SAMEFIELDS != 0 {
            numfields
        } else {
            numfields.saturating_mul(2)
        };
        for _ in 0..strings {
            get_bytes(buf, &mut pos);
        }
        RawEntry {
            at,
            flags,
            id: StreamId { ms, seq },
            numfields,
            body,
            end: pos,
        }
    }

    /// Every entry (deleted ones included), in order.
    fn entries(&self, master: StreamId) -> Vec<RawEntry> {
        let count = self.master_fields().count;
        let mut out = Vec::with_capacity((self.live + self.deleted) as usize);
        let mut at = self.entries_start as usize;
        while at < self.buf.len() {
            let e = self.entry_at(master, count, at);
            at = e.end.max(at + 1);
            out.push(e);
        }
        out
    }

    /// The field/value pairs of an entry.
    fn fields<'a>(&'a self, e: &RawEntry) -> Fields<'a> {
        let same = e.flags & FLAG_SAMEFIELDS != 0;
        Fields {
            buf: &self.buf,
            master: if same {
                Some(self.master_fields())
            } else {
                None
            },
            pos: e.body,
            left: e.numfields,
        }
    }

    fn set_flags(&mut self, at: usize, flags: u8) {
        if let Some(b) = self.buf.get_mut(at) {
            *b = flags;
        }
    }
}

/// The master entry's field names.
#[derive(Clone)]
struct MasterFields<'a> {
    buf: &'a [u8],
    pos: usize,
    count: usize,
}

impl<'a> Iterator for MasterFields<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.count == 0 {
            return None;
        }
        self.count -= 1;
        Some(get_bytes(self.buf, &mut self.pos))
    }
}

/// The field/value pairs of one entry.
pub struct Fields<'a> {
    buf: &'a [u8],
    master: Option<MasterFields<'a>>,
    pos: usize,
    left: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let field = match &mut self.master {
            Some(m) => m.next().unwrap_or(b""),
            None => get_bytes(self.buf, &mut self.pos),
        };
        let value = get_bytes(self.buf, &mut self.pos);
        Some((field, value))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Fields<'_> {}

// ---------------------------------------------------------------------------------------
// Nodes as Redis's listpacks (DUMP / RESTORE)
// ---------------------------------------------------------------------------------------

/// The listpack elements of a node as Redis lays them out (t_stream.c's comment on
/// `streamAppendItem`): the master entry `count, deleted, numfields, fields..., 0`, then
/// per entry `flags, ms-diff, seq-diff, [numfields, field, value...] | value..., lp-count`
/// where `lp-count` is the number of elements of the entry before it.
fn node_to_elements(master: StreamId, node: &Node) -> Vec<Element> {
    let mut out = vec![
        Element::Int(node.live as i64),
        Element::Int(node.deleted as i64),
    ];
    let fields = node.master_fields();
    out.push(Element::Int(fields.count as i64));
    out.extend(fields.map(|f| Element::Str(f.to_vec())));
    out.push(Element::Int(0));
    for e in node.entries(master) {
        let same = e.flags & FLAG_SAMEFIELDS != 0;
        out.push(Element::Int(e.flags as i64));
        out.push(Element::Int(e.id.ms.wrapping_sub(master.ms) as i64));
        out.push(Element::Int(e.id.seq.wrapping_sub(master.seq) as i64));
        if !same {
            out.push(Element::Int(e.numfields as i64));
        }
        for (f, v) in node.fields(&e) {
            if !same {
                out.push(Element::Str(f.to_vec()));
            }
            out.push(Element::Str(v.to_vec()));
        }
        let lp_count = e.numfields + 3 + if same { 0 } else { e.numfields + 1 };
        out.push(Element::Int(lp_count as i64));
    }
    out
}

/// The inverse of `node_to_elements`, checking everything the rest of this module relies
/// on (the elements come from a payload): counts that add up, flags Redis defines, IDs
/// increasing from `after` (exclusive) and not below the master ID, at least one live
/// entry (Redis never keeps an empty node). The node records its last ID (`last`).
fn node_from_elements(
    master: StreamId,
    items: Vec<Element>,
    after: Option<StreamId>,
) -> Option<Node> {
    let mut it = items.into_iter();
    let int = |e: Option<Element>| e?.as_int();
    let live = u32::try_from(int(it.next())?).ok()?;
    let deleted = u32::try_from(int(it.next())?).ok()?;
    let master_count = usize::try_from(int(it.next())?).ok()?;
    let mut buf = Vec::new();
    put_varint(&mut buf, master_count as u64);
    let mut lp_rest =
        crate::listpack::int_entry_size(master_count as i64) + crate::listpack::int_entry_size(0);
    let mut master_fields = Vec::new();
    for _ in 0..master_count {
        let f = it.next()?.into_bytes();
        lp_rest += crate::listpack::str_entry_size(&f);
        put_bytes(&mut buf, &f);
        master_fields.push(f);
    }
    if int(it.next())? != 0 {
        return None;
    }
    let entries_start = buf.len() as u32;
    let (mut seen_live, mut seen_deleted) = (0u32, 0u32);
    let mut prev = after;
    let mut last = None;
    let mut last_deleted = false;
    while let Some(flags) = it.next() {
        let flags = u8::try_from(flags.as_int()?).ok()?;
        if flags & !(FLAG_DELETED | FLAG_SAMEFIELDS) != 0 {
            return None;
        }
        let ms_diff = int(it.next())?;
        let seq_diff = int(it.next())?;
        let id = StreamId {
            ms: master.ms.wrapping_add(ms_diff as u64),
            seq: master.seq.wrapping_add(seq_diff as u64),
        };
        if id < master || prev.is_some_and(|p| id <= p) {
            return None;
        }
        let same = flags & FLAG_SAMEFIELDS != 0;
        buf.push(flags);
        put_varint(&mut buf, ms_diff as u64);
        put_varint(&mut buf, zigzag(seq_diff));
        let mut lp = crate::listpack::int_entry_size(flags as i64)
            + crate::listpack::int_entry_size(ms_diff)
            + crate::listpack::int_entry_size(seq_diff);
        let numfields = if same {
            master_count
        } else {
            let n = usize::try_from(int(it.next())?).ok()?;
            put_varint(&mut buf, n as u64);
            lp += crate::listpack::int_entry_size(n as i64);
            n
        };
        for _ in 0..numfields {
            if !same {
                let f = it.next()?.into_bytes();
                lp += crate::listpack::str_entry_size(&f);
                put_bytes(&mut buf, &f);
            }
            let v = it.next()?.into_bytes();
            lp += crate::listpack::str_entry_size(&v);
            put_bytes(&mut buf, &v);
        }
        let lp_count = numfields + 3 + if same { 0 } else { numfields + 1 };
        if int(it.next())? != lp_count as i64 {
            return None;
        }
        lp_rest += lp + crate::listpack::int_entry_size(lp_count as i64);
        if flags & FLAG_DELETED != 0 {
            seen_deleted += 1;
        } else {
            seen_live += 1;
        }
        prev = Some(id);
        last = Some(id);
        last_deleted = flags & FLAG_DELETED != 0;
    }
    if seen_live != live || seen_deleted != deleted || live == 0 {
        return None;
    }
    Some(Node {
        buf,
        entries_start,
        live,
        deleted,
        lp_rest,
        last: last?,
        last_deleted,
    })
}

// ---------------------------------------------------------------------------------------
// Consumer groups
// ---------------------------------------------------------------------------------------

/// Redis's SCG_INVALID_ENTRIES_READ: the group's read counter is unknown.
pub const ENTRIES_READ_INVALID: i64 = -1;

/// A pending (delivered, not acknowledged) entry: streamNACK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The consumer it was last delivered to (a key of the group's `consumers`).
    pub consumer: Rc<[u8]>,
    pub delivery_time: i64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    /// Last time the consumer was active (Redis 7.0 has only this one time).
    pub seen_time: i64,
    /// The IDs of the group's PEL entries owned by this consumer.
    pub pel: BTreeSet<StreamId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub last_id: StreamId,
    /// Logical read counter, or ENTRIES_READ_INVALID.
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Pending>,
    /// By name, in byte order (Redis keeps them in a radix tree).
    pub consumers: BTreeMap<Rc<[u8]>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Self {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// streamLookupConsumer: the consumer's key, refreshing its seen time to `refresh`
    /// if given (SLC_DEFAULT) or not (SLC_NO_REFRESH).
    pub fn lookup_consumer(&mut self, name: &[u8], refresh: Option<i64>) -> Option<Rc<[u8]>> {
        let key = self.consumer_key(name)?;
        if let (Some(now), Some(c)) = (refresh, self.consumers.get_mut(name)) {
            c.seen_time = now;
        }
        Some(key)
    }

    /// The consumer's key, without side effects.
    pub fn consumer_key(&self, name: &[u8]) -> Option<Rc<[u8]>> {
        self.consumers.get_key_value(name).map(|(k, _)| k.clone())
    }

    /// streamCreateConsumer: None if it already exists.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> Option<Rc<[u8]>> {
        if self.consumers.contains_key(name) {
            return None;
        }
        let key: Rc<[u8]> = Rc::from(name);
        self.consumers.insert(
            key.clone(),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        Some(key)
    }

    /// Looks the consumer up (refreshing its seen time) or creates it. Returns its key
    /// and whether it was created.
    pub fn consumer_or_create(&mut self, name: &[u8], now: i64) -> (Rc<[u8]>, bool) {
        match self.lookup_consumer(name, Some(now)) {
            Some(key) => (key, false),
            None => (
                self.create_consumer(name, now)
                    .unwrap_or_else(|| Rc::from(name)),
                true,
            ),
        }
    }

    /// streamDelConsumer: removes the consumer and its pending entries; returns how many
    /// it had, or None if there is no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }

    /// XACK of one ID: true if it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(p) => {
                if let Some(c) = self.consumers.get_mut(&*p.consumer) {
                    c.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Records the delivery of `id` to `consumer` (streamReplyWithRange's PEL update):
    /// a new pending entry, or one taken over from its previous owner with its delivery
    /// count reset to 1.
    pub fn deliver(&mut self, id: StreamId, consumer: &Rc<[u8]>, now: i64) {
        let fresh = Pending {
            consumer: consumer.clone(),
            delivery_time: now,
            delivery_count: 1,
        };
        if let Some(old) = self.pel.insert(id, fresh) {
            if let Some(c) = self.consumers.get_mut(&*old.consumer) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(&**consumer) {
            c.pel.insert(id);
        }
    }

    /// Moves the pending entry `id` to `consumer` (XCLAIM/XAUTOCLAIM ownership change).
    pub fn transfer(&mut self, id: StreamId, consumer: &Rc<[u8]>) {
        let Some(p) = self.pel.get_mut(&id) else {
            return;
        };
        if p.consumer != *consumer {
            let old = std::mem::replace(&mut p.consumer, consumer.clone());
            if let Some(c) = self.consumers.get_mut(&*old) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(&**consumer) {
            c.pel.insert(id);
        }
    }

    /// Estimated bytes Redis spends on this group.
    fn memory(&self, name_len: usize) -> usize {
        let consumers: usize = self.consumers.keys().map(|k| k.len() + 80).sum();
        let pel_refs: usize = self.consumers.values().map(|c| c.pel.len()).sum();
        96 + name_len + consumers + self.pel.len() * 64 + pel_refs * 24
    }
}

// ---------------------------------------------------------------------------------------
// The stream
// ---------------------------------------------------------------------------------------

/// Why an XADD could not append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not greater than the last one (or `ms-*` ran out of sequence numbers).
    NotGreater,
    /// More than a listpack can hold.
    TooLarge,
}

/// How to trim (XADD/XTRIM's MAXLEN and MINID).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

/// The node-size settings (`stream-node-max-entries`, `stream-node-max-bytes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLimits {
    pub max_entries: i64,
    pub max_bytes: i64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            max_entries: 100,
            max_bytes: 4096,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StreamValue {
    nodes: BTreeMap<StreamId, Node>,
    length: u64,
    pub last_id: StreamId,
    /// The first live entry's ID, 0-0 when empty (as Redis records it).
    pub first_id: StreamId,
    pub max_deleted_entry_id: StreamId,
    pub entries_added: u64,
    /// By name, in byte order.
    pub groups: BTreeMap<Vec<u8>, Group>,
    /// Sum of the allocations of the nodes' Redis listpacks (for the memory estimate, O(1)).
    lp_total: usize,
}

/// Redis's fixed cost of a stream object (robj + stream struct + empty rax).
const STREAM_BASE_MEMORY: usize = 16 + 96 + 24;
/// Redis's rax cost per node key (nodes of a 16-byte key path, amortised).
const RAX_PER_NODE: usize = 48;

impl StreamValue {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    pub fn encoding(&self) -> &'static str {
        "stream"
    }

    /// Estimated bytes Redis uses for this stream. O(groups).
    pub fn memory(&self) -> usize {
        let groups: usize = self.groups.iter().map(|(n, g)| g.memory(n.len())).sum();
        STREAM_BASE_MEMORY + self.lp_total + self.nodes.len() * RAX_PER_NODE + groups
    }

    /// Each node's master ID and its elements as Redis's listpack holds them (DUMP).
    pub fn node_elements(&self) -> Vec<(StreamId, Vec<Element>)> {
        self.nodes
            .iter()
            .map(|(&master, node)| (master, node_to_elements(master, node)))
            .collect()
    }

    /// A stream of these nodes (RESTORE), or None if they are not a well-formed
    /// sequence: master IDs and entry IDs increasing, counts consistent. The length,
    /// last ID and first ID follow from the entries; the caller sets the counters and
    /// groups that the payload carries (and checks them against these).
    pub fn from_node_elements(nodes: Vec<(StreamId, Vec<Element>)>) -> Option<StreamValue> {
        let mut s = StreamValue::new();
        let mut prev: Option<StreamId> = None;
        for (master, items) in nodes {
            if prev.is_some_and(|p| master <= p) {
                return None;
            }
            let node = node_from_elements(master, items, prev)?;
            prev = Some(node.last);
            s.length += node.live as u64;
            s.lp_total += node.lp_alloc();
            s.nodes.insert(master, node);
        }
        s.last_id = prev.unwrap_or_default();
        s.first_id = s.first_live_id().unwrap_or_default();
        Some(s)
    }

    /// Number of nodes (XINFO's radix-tree-keys).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The number of nodes Redis's radix tree has for these keys (XINFO's
    /// radix-tree-nodes): a node per branching point, per leaf, per child of a branching
    /// point, and the root; chains of single children are compressed into one node.
    pub fn rax_node_count(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.to_be_bytes()).collect();
        if keys.is_empty() {
            return 1;
        }
        rax_nodes(&keys, 0)
    }

    /// The ID an XADD with `*` gets at `now_ms` (streamNextID): now, or the last ID
    /// plus one if the clock has not moved past it. None if the last ID is the maximum.
    pub fn next_auto_id(&self, now_ms: i64) -> Option<StreamId> {
        let ms = now_ms.max(0) as u64;
        if ms > self.last_id.ms {
            Some(StreamId { ms, seq: 0 })
        } else {
            self.last_id.incr()
        }
    }

    /// The ID an XADD with an explicit `ms-*` gets: sequence 0 for a new millisecond,
    /// else the last sequence plus one. None when that sequence is exhausted.
    pub fn next_id_in_ms(&self, ms: u64) -> Option<StreamId> {
        if self.last_id.ms == ms {
            if self.last_id.seq == u64::MAX {
                return None;
            }
            Some(StreamId {
                ms,
                seq: self.last_id.seq + 1,
            })
        } else {
            Some(StreamId { ms, seq: 0 })
        }
    }

    /// streamAppendItem with a resolved ID: `pairs` is field, value, field, value...
    pub fn append(
        &mut self,
        id: StreamId,
        pairs: &[Vec<u8>],
        limits: NodeLimits,
    ) -> Result<(), AppendError> {
        if id <= self.last_id {
            return Err(AppendError::NotGreater);
        }
        let total: usize = pairs
            .iter()
            .map(|p| p.len())
            .fold(0usize, |a, b| a.saturating_add(b));
        if total > LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }
        let numfields = pairs.len() / 2;
        let max_bytes = match limits.max_bytes {
            n if n <= 0 || n as u64 > LISTPACK_MAX_SIZE as u64 => LISTPACK_MAX_SIZE,
            n => n as usize,
        };
        // Start a new node when the tail is full (entries count deleted ones too).
        let mut need_new = true;
        if let Some((_, tail)) = self.nodes.iter_mut().next_back() {
            let full_bytes = tail.lp_bytes() + total >= max_bytes;
            let full_entries =
                limits.max_entries > 0 && (tail.live + tail.deleted) as i64 >= limits.max_entries;
            if full_bytes || full_entries {
                // Redis shrinks a listpack it stops appending to.
                tail.buf.shrink_to_fit();
            } else {
                need_new = false;
            }
        }
        if need_new {
            let mut buf = Vec::with_capacity(64);
            put_varint(&mut buf, numfields as u64);
            let mut lp_rest = crate::listpack::int_entry_size(numfields as i64)
                + crate::listpack::int_entry_size(0);
            for f in pairs.iter().step_by(2) {
                put_bytes(&mut buf, f);
                lp_rest += crate::listpack::str_entry_size(f);
            }
            let entries_start = buf.len() as u32;
            let node = Node {
                buf,
                entries_start,
                live: 0,
                deleted: 0,
                lp_rest,
                last: id,
                last_deleted: false,
            };
            self.lp_total += node.lp_alloc();
            self.nodes.insert(id, node);
        }
        let Some((&master, node)) = self.nodes.iter_mut().next_back() else {
            return Err(AppendError::TooLarge);
        };
        let before_lp = node.lp_alloc();
        let same = {
            let m = node.master_fields();
            m.count == numfields
                && m.zip(pairs.iter().step_by(2))
                    .all(|(a, b)| a == b.as_slice())
        };
        let flags = if same { FLAG_SAMEFIELDS } else { 0 };
        let ms_delta = id.ms.wrapping_sub(master.ms);
        let seq_delta = id.seq.wrapping_sub(master.seq) as i64;
        node.buf.push(flags);
        put_varint(&mut node.buf, ms_delta);
        put_varint(&mut node.buf, zigzag(seq_delta));
        let mut lp = crate::listpack::int_entry_size(flags as i64)
            + crate::listpack::int_entry_size(ms_delta as i64)
            + crate::listpack::int_entry_size(seq_delta);
        if !same {
            put_varint(&mut node.buf, numfields as u64);
            lp += crate::listpack::int_entry_size(numfields as i64);
        }
        for pair in pairs.chunks_exact(2) {
            if !same {
                put_bytes(&mut node.buf, &pair[0]);
                lp += crate::listpack::str_entry_size(&pair[0]);
            }
            put_bytes(&mut node.buf, &pair[1]);
            lp += crate::listpack::str_entry_size(&pair[1]);
        }
        let lp_count = numfields as i64 + 3 + if same { 0 } else { numfields as i64 + 1 };
        lp += crate::listpack::int_entry_size(lp_count);
        node.lp_rest += lp;
        node.live += 1;
        node.last = id;
        node.last_deleted = false;
        self.lp_total = self.lp_total.saturating_sub(before_lp) + node.lp_alloc();
        self.length += 1;
        self.entries_added = self.entries_added.wrapping_add(1);
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(())
    }

    /// Live entries with `start <= id <= end`, forwards or backwards.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Range<'_> {
        // Like streamIteratorStart: begin at the last node whose master ID is <= the
        // bound, or at the first (last) node if there is none, and walk from there. When
        // XSETID moved the last ID backwards, nodes can hold IDs smaller than their
        // master's; Redis's walk finds them, and so does this one.
        let nodes: Box<dyn Iterator<Item = (&StreamId, &Node)> + '_> = if start > end {
            Box::new(std::iter::empty())
        } else if rev {
            let seek = self
                .nodes
                .range(..=end)
                .next_back()
                .or_else(|| self.nodes.iter().next_back());
            match seek {
                Some((&k, _)) => Box::new(self.nodes.range(..=k).rev()),
                None => Box::new(std::iter::empty()),
            }
        } else {
            let seek = self
                .nodes
                .range(..=start)
                .next_back()
                .map(|(k, _)| *k)
                .unwrap_or(StreamId::MIN);
            Box::new(self.nodes.range(seek..))
        };
        Range {
            nodes,
            current: None,
            master: StreamId::MIN,
            master_count: 0,
            pos: 0,
            pending: Vec::new(),
            start,
            end,
            rev,
        }
    }

    /// Whether a live entry with this ID exists (streamEntryExists).
    pub fn contains(&self, id: StreamId) -> bool {
        self.range(id, id, false).next_raw().is_some()
    }

    /// The fields of one live entry, if it exists.
    pub fn get(&self, id: StreamId) -> Option<Fields<'_>> {
        self.range(id, id, false).next().map(|(_, fields)| fields)
    }

    /// The last live entry's ID (streamLastValidID), 0-0 if there is none.
    pub fn last_valid_id(&self) -> StreamId {
        for (&master, node) in self.nodes.iter().rev() {
            if node.live == 0 {
                continue;
            }
            if !node.last_deleted {
                return node.last;
            }
            let count = node.master_fields().count;
            let mut at = node.entries_start as usize;
            let mut found = None;
            while at < node.buf.len() {
                let e = node.entry_at(master, count, at);
                if e.flags & FLAG_DELETED == 0 {
                    found = Some(e.id);
                }
                at = e.end.max(at + 1);
            }
            if let Some(id) = found {
                return id;
            }
        }
        StreamId::MIN
    }

    /// Live entries newest first, starting `skip` entries from the newest: what a
    /// scrolled window of an entries table shows. Whole nodes are skipped by their live
    /// counters, so the cost is the number of nodes (about length / 100) plus the
    /// window, not the rank.
    pub fn newest_from(&self, skip: u64) -> Range<'_> {
        let mut left = skip;
        for (_, node) in self.nodes.iter().rev() {
            let live = u64::from(node.live);
            if left < live {
                let mut range = self.range(StreamId::MIN, node.last, true);
                for _ in 0..left {
                    if range.next_raw().is_none() {
                        break;
                    }
                }
                return range;
            }
            left -= live;
        }
        self.range(StreamId::MAX, StreamId::MIN, true)
    }

    /// How many live entries are newer than `id`: the position, newest first, of the
    /// newest entry at or before `id` (what "jump to this ID" scrolls to). Costs the
    /// number of nodes plus one node's entries.
    pub fn count_newer_than(&self, id: StreamId) -> u64 {
        let mut newer = 0;
        for (&master, node) in self.nodes.iter().rev() {
            if master > id {
                newer += u64::from(node.live);
                continue;
            }
            // The first node that starts at or before `id` may hold entries after it.
            if let Some(after) = id.incr() {
                newer += self.range(after, node.last, false).count() as u64;
            }
            break;
        }
        newer
    }

    /// The first live entry's ID, if any.
    fn first_live_id(&self) -> Option<StreamId> {
        self.range(StreamId::MIN, StreamId::MAX, false)
            .next()
            .map(|(id, _)| id)
    }

    /// Flags one live entry deleted (streamDeleteItem); a node goes with its last live
    /// entry. Returns whether it existed.
    fn delete_one(&mut self, id: StreamId) -> bool {
        let Some((master, e)) = self.range(id, id, false).next_raw().map(|(m, _, e)| (m, e)) else {
            return false;
        };
        let Some(node) = self.nodes.get_mut(&master) else {
            return false;
        };
        let before = node.lp_alloc();
        if node.live <= 1 {
            self.lp_total = self.lp_total.saturating_sub(before);
            self.nodes.remove(&master);
        } else {
            node.set_flags(e.at, e.flags | FLAG_DELETED);
            node.last_deleted |= e.end >= node.buf.len();
            node.live -= 1;
            node.deleted += 1;
            self.lp_total = self.lp_total.saturating_sub(before) + node.lp_alloc();
        }
        self.length = self.length.saturating_sub(1);
        true
    }

    /// XDEL: deletes the given IDs, keeping the first ID and the maximal deleted ID as
    /// Redis does. Returns how many were deleted.
    pub fn delete(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first_deleted = false;
        for &id in ids {
            if self.delete_one(id) {
                if id == self.first_id {
                    first_deleted = true;
                }
                if id > self.max_deleted_entry_id {
                    self.max_deleted_entry_id = id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::MIN;
            } else if first_deleted {
                self.first_id = self.first_live_id().unwrap_or(StreamId::MAX);
            }
        }
        deleted
    }

    /// streamTrim: removes entries from the head. With `approx`, only whole nodes go;
    /// `limit` (0 = none) caps the entries removed. Returns how many were removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted: u64 = 0;
        // Each round either removes the first node and goes on, or stops: the head node
        // is always the one to look at.
        while let Some((&master, node)) = self.nodes.iter_mut().next() {
            if let Trim::MaxLen(max) = how {
                if self.length <= max {
                    break;
                }
            }
            let entries = node.live as u64;
            if limit > 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match how {
                Trim::MaxLen(max) => self.length.saturating_sub(entries) >= max,
                Trim::MinId(min) => node.last < min,
            };
            if remove_node {
                self.lp_total = self.lp_total.saturating_sub(node.lp_alloc());
                self.nodes.remove(&master);
                self.length = self.length.saturating_sub(entries);
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            // Flag entries of this node until the condition holds; then stop: the
            // following nodes are untouched.
            let before = node.lp_alloc();
            let mut from_node = 0u32;
            for e in node.entries(master) {
                let stop = match how {
                    Trim::MaxLen(max) => self.length <= max,
                    Trim::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                if e.flags & FLAG_DELETED == 0 {
                    node.set_flags(e.at, e.flags | FLAG_DELETED);
                    node.last_deleted |= e.end >= node.buf.len();
                    from_node += 1;
                    self.length = self.length.saturating_sub(1);
                }
            }
            node.live = node.live.saturating_sub(from_node);
            node.deleted += from_node;
            self.lp_total = self.lp_total.saturating_sub(before) + node.lp_alloc();
            deleted += from_node as u64;
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.first_live_id().unwrap_or(StreamId::MAX);
        }
        deleted
    }

    /// streamRangeHasTombstones: whether a deleted entry may lie in `start..=end`
    /// (judged from the maximal deleted ID, like Redis).
    pub fn range_has_tombstones(&self, start: Option<StreamId>, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        let start = start.unwrap_or(StreamId::MIN);
        let end = end.unwrap_or(StreamId::MAX);
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// streamEstimateDistanceFromFirstEverEntry: the logical read counter of `id`, or
    /// ENTRIES_READ_INVALID when it cannot be known.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        let added = self.entries_added as i64;
        if self.length == 0 && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        } else if id > self.last_id {
            return ENTRIES_READ_INVALID;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return added.wrapping_sub(self.length as i64);
            } else if id == self.first_id {
                return added.wrapping_sub(self.length as i64).wrapping_add(1);
            }
        }
        ENTRIES_READ_INVALID
    }

    /// streamReplyWithCGLag: the group's lag, or None when it cannot be computed.
    pub fn group_lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let added = self.entries_added as i64;
        if group.entries_read != ENTRIES_READ_INVALID
            && !self.range_has_tombstones(Some(group.last_id), None)
        {
            return Some(added.wrapping_sub(group.entries_read));
        }
        match self.estimate_distance(group.last_id) {
            ENTRIES_READ_INVALID => None,
            read => Some(added.wrapping_sub(read)),
        }
    }

    /// What reading entry `id` does to a group's position (streamReplyWithRange with a
    /// group): move last_id forward and keep the read counter valid when possible.
    pub fn advance_group(&mut self, group_name: &[u8], id: StreamId) {
        let has_tombstones = self.range_has_tombstones(Some(id), None);
        let estimate = if self.entries_added > 0 {
            Some(self.estimate_distance(id))
        } else {
            None
        };
        let Some(g) = self.groups.get_mut(group_name) else {
            return;
        };
        if id <= g.last_id {
            return;
        }
        if g.entries_read != ENTRIES_READ_INVALID && !has_tombstones {
            g.entries_read += 1;
        } else if let Some(e) = estimate {
            g.entries_read = e;
        }
        g.last_id = id;
    }
}

impl StreamValue {
    /// Checks the bookkeeping against the entries themselves (tests only): the length,
    /// the counters and listpack sizes of every node, the first ID, and that every
    /// pending entry belongs to exactly one existing consumer.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let mut live_total = 0u64;
        let mut lp_total = 0usize;
        for (&master, node) in &self.nodes {
            let entries = node.entries(master);
            let live = entries
                .iter()
                .filter(|e| e.flags & FLAG_DELETED == 0)
                .count() as u32;
            assert_eq!(
                (live, entries.len() as u32 - live),
                (node.live, node.deleted),
                "node {master} counters"
            );
            assert!(node.live > 0 || node.deleted > 0, "node {master} is empty");
            assert_eq!(
                entries.first().map(|e| e.id),
                Some(master),
                "node {master} master ID"
            );
            assert_eq!(
                entries.last().map(|e| e.id),
                Some(node.last),
                "node {master} last ID"
            );
            let last_deleted = entries.last().is_some_and(|e| e.flags & FLAG_DELETED != 0);
            assert_eq!(
                last_deleted, node.last_deleted,
                "node {master} last entry's flag"
            );
            live_total += live as u64;
            lp_total += node.lp_alloc();
        }
        assert_eq!(live_total, self.length, "length");
        assert_eq!(lp_total, self.lp_total, "listpack allocations");
        let first = self
            .range(StreamId::MIN, StreamId::MAX, false)
            .next()
            .map(|(id, _)| id);
        assert_eq!(first.unwrap_or(StreamId::MIN), self.first_id, "first ID");
        for (name, g) in &self.groups {
            let mut owned = 0;
            for (cname, c) in &g.consumers {
                for id in &c.pel {
                    assert_eq!(
                        g.pel.get(id).map(|p| &p.consumer),
                        Some(cname),
                        "group {name:?} PEL owner"
                    );
                }
                owned += c.pel.len();
            }
            assert_eq!(
                owned,
                g.pel.len(),
                "group {name:?}: every pending entry has one owner"
            );
        }
    }
}

/// Live entries of a range, node by node.
pub struct Range<'a> {
    nodes: Box<dyn Iterator<Item = (&'a StreamId, &'a Node)> + 'a>,
    current: Option<&'a Node>,
    /// The current node's master ID and field count.
    master: StreamId,
    master_count: usize,
    /// Forwards: the offset of the current node's next entry (entries are decoded as
    /// they are reached, so a short COUNT reads only what it returns).
    pos: usize,
    /// Backwards: the current node's entries not yet visited, next one last (a node is
    /// decoded whole to walk it in reverse).
    pending: Vec<RawEntry>,
    start: StreamId,
    end: StreamId,
    rev: bool,
}

impl<'a> Range<'a> {
    /// The current node's next entry in the walk's direction, deleted ones included.
    fn next_in_node(&mut self) -> Option<RawEntry> {
        if self.rev {
            return self.pending.pop();
        }
        let node = self.current?;
        if self.pos >= node.buf.len() {
            return None;
        }
        let e = node.entry_at(self.master, self.master_count, self.pos);
        self.pos = e.end.max(self.pos + 1);
        Some(e)
    }

    /// Ends the walk (an entry past the far bound was reached).
    fn finish(&mut self) {
        self.current = None;
        self.pending.clear();
        self.nodes = Box::new(std::iter::empty());
    }

    /// The next live entry in range with its node and master ID (streamIteratorGetID).
    fn next_raw(&mut self) -> Option<(StreamId, &'a Node, RawEntry)> {
        loop {
            while let Some(e) = self.next_in_node() {
                if e.flags & FLAG_DELETED != 0 {
                    continue;
                }
                let (before, past) = if self.rev {
                    (e.id > self.end, e.id < self.start)
                } else {
                    (e.id < self.start, e.id > self.end)
                };
                if before {
                    continue;
                }
                if past {
                    self.finish();
                    return None;
                }
                let node = self.current?;
                return Some((self.master, node, e));
            }
            let (&master, node) = self.nodes.next()?;
            self.current = Some(node);
            self.master = master;
            self.master_count = node.master_fields().count;
            self.pos = node.entries_start as usize;
            if self.rev {
                self.pending = node.entries(master);
            }
        }
    }
}

impl<'a> Iterator for Range<'a> {
    type Item = (StreamId, Fields<'a>);
    fn next(&mut self) -> Option<Self::Item> {
        self.next_raw().map(|(_, node, e)| (e.id, node.fields(&e)))
    }
}

/// Radix-tree nodes under a node at byte `depth` covering the sorted 16-byte `keys`.
fn rax_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
    if depth >= 16 {
        return 1; // the key's leaf
    }
    let (first, last) = (&keys[0], &keys[keys.len() - 1]);
    let mut common = depth;
    while common < 16 && first[common] == last[common] {
        common += 1;
    }
    if common > depth {
        // A compressed node for the shared bytes, then what follows them.
        return 1 + rax_nodes(keys, common);
    }
    // A branching node with one child per distinct byte at `depth`.
    let mut total = 1;
    let mut i = 0;
    while i < keys.len() {
        let b = keys[i][depth];
        let mut j = i + 1;
        while j < keys.len() && keys[j][depth] == b {
            j += 1;
        }
        total += rax_nodes(&keys[i..j], depth + 1);
        i = j;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[&str]) -> Vec<Vec<u8>> {
        items.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId::new(ms, seq)
    }

    fn ids(s: &StreamValue) -> Vec<StreamId> {
        s.range(StreamId::MIN, StreamId::MAX, false)
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn id_parsing_follows_redis() {
        let strict = |s: &str| parse_id(s.as_bytes(), 0, IdSyntax::Strict);
        assert_eq!(strict("5"), Some(id(5, 0)));
        assert_eq!(
            parse_id(b"5", u64::MAX, IdSyntax::Strict),
            Some(id(5, u64::MAX))
        );
        assert_eq!(strict("5-3"), Some(id(5, 3)));
        assert_eq!(strict("-"), None);
        assert_eq!(parse_id(b"-", 0, IdSyntax::Loose), Some(StreamId::MIN));
        assert_eq!(parse_id(b"+", 0, IdSyntax::Loose), Some(StreamId::MAX));
        assert_eq!(
            strict("18446744073709551615-18446744073709551615"),
            Some(StreamId::MAX)
        );
        assert_eq!(strict("18446744073709551616"), None);
        // strtoull's leniency: spaces, signs, leading zeros; '-' negates.
        assert_eq!(strict(" 7"), Some(id(7, 0)));
        assert_eq!(strict("+7-01"), Some(id(7, 1)));
        assert_eq!(strict("1- 2"), Some(id(1, 2)));
        assert_eq!(strict("-1"), None); // the ms part is empty
        assert_eq!(strict("1--1"), None); // string2ll reads -1: negative, refused
        assert_eq!(strict("1--01"), Some(id(1, u64::MAX))); // strtoull("-01") wraps
        for bad in ["", "a", "1-", "1-2-3", "1-x", "0x10", "1 ", "5-*"] {
            assert_eq!(strict(bad), None, "{bad:?}");
        }
        assert_eq!(parse_id(b"3\0junk", 0, IdSyntax::Strict), Some(id(3, 0)));
        assert_eq!(parse_xadd_id(b"5-*"), Some((id(5, 0), false)));
        assert_eq!(parse_xadd_id(b"5"), Some((id(5, 0), true)));
        assert_eq!(parse_xadd_id(b"*"), None);
        assert_eq!(parse_interval(b"(5", 0), Some((id(5, 0), true)));
        assert_eq!(parse_interval(b"(-", 0), None);
        assert_eq!(parse_interval(b"(", 0), None);
        assert_eq!(id(1, u64::MAX).incr(), Some(id(2, 0)));
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(id(2, 0).decr(), Some(id(1, u64::MAX)));
        assert_eq!(StreamId::MIN.decr(), None);
        assert_eq!(id(12, 34).to_string(), "12-34");
    }

    #[test]
    fn nodes_split_by_entries_and_bytes() {
        let mut s = StreamValue::new();
        let limits = NodeLimits {
            max_entries: 3,
            max_bytes: 4096,
        };
        for i in 1..=7 {
            s.append(id(i, 0), &pairs(&["f", "v"]), limits).unwrap();
        }
        assert_eq!(s.node_count(), 3);
        assert_eq!(s.len(), 7);
        let mut s = StreamValue::new();
        let big = "x".repeat(100);
        for i in 1..=10 {
            s.append(
                id(i, 0),
                &pairs(&["f", &big]),
                NodeLimits {
                    max_entries: 100,
                    max_bytes: 300,
                },
            )
            .unwrap();
        }
        // 7 + counters + master (~14) + 2 entries of ~110 bytes each, then full.
        assert_eq!(s.node_count(), 5);
        assert_eq!(
            s.append(id(10, 0), &pairs(&["f", "v"]), limits),
            Err(AppendError::NotGreater)
        );
    }

    #[test]
    fn entries_read_back_with_and_without_master_fields() {
        let mut s = StreamValue::new();
        let l = NodeLimits::default();
        s.append(id(1, 0), &pairs(&["a", "1", "b", "2"]), l)
            .unwrap();
        s.append(id(1, 1), &pairs(&["a", "3", "b", "4"]), l)
            .unwrap();
        s.append(id(2, 0), &pairs(&["c", "5"]), l).unwrap();
        type Owned = Vec<(Vec<u8>, Vec<u8>)>;
        let all: Vec<(StreamId, Owned)> = s
            .range(StreamId::MIN, StreamId::MAX, false)
            .map(|(i, f)| (i, f.map(|(a, b)| (a.to_vec(), b.to_vec())).collect()))
            .collect();
        assert_eq!(all.len(), 3);
        assert_eq!(
            all[1].1,
            vec![
                (b"a".to_vec(), b"3".to_vec()),
                (b"b".to_vec(), b"4".to_vec())
            ]
        );
        assert_eq!(all[2].1, vec![(b"c".to_vec(), b"5".to_vec())]);
        let rev: Vec<StreamId> = s
            .range(id(1, 1), StreamId::MAX, true)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(rev, vec![id(2, 0), id(1, 1)]);
    }

    #[test]
    fn delete_flags_entries_and_drops_empty_nodes() {
        let mut s = StreamValue::new();
        let l = NodeLimits {
            max_entries: 2,
            max_bytes: 4096,
        };
        for i in 1..=4 {
            s.append(id(i, 0), &pairs(&["f", "v"]), l).unwrap();
        }
        assert_eq!(s.delete(&[id(1, 0), id(9, 0)]), 1);
        assert_eq!(s.first_id, id(2, 0));
        assert_eq!(s.max_deleted_entry_id, id(1, 0));
        assert_eq!(s.node_count(), 2);
        assert_eq!(s.delete(&[id(2, 0)]), 1);
        assert_eq!(s.node_count(), 1);
        assert_eq!(s.delete(&[id(2, 0)]), 0);
        assert_eq!(ids(&s), vec![id(3, 0), id(4, 0)]);
        assert!(!s.contains(id(1, 0)) && s.contains(id(3, 0)));
        assert_eq!(s.delete(&[id(3, 0), id(4, 0)]), 2);
        assert_eq!((s.len(), s.first_id, s.node_count()), (0, StreamId::MIN, 0));
        assert_eq!(s.lp_total, 0);
    }

    #[test]
    fn approximate_trim_removes_whole_nodes_only() {
        let l = NodeLimits {
            max_entries: 10,
            max_bytes: 0,
        };
        let mut s = StreamValue::new();
        for i in 1..=35 {
            s.append(id(i, 0), &pairs(&["f", "v"]), l).unwrap();
        }
        assert_eq!(s.trim(Trim::MaxLen(30), true, 1000), 0);
        assert_eq!(s.trim(Trim::MaxLen(20), true, 1000), 10);
        assert_eq!(s.len(), 25);
        // A LIMIT smaller than a node stops before it.
        assert_eq!(s.trim(Trim::MaxLen(0), true, 5), 0);
        assert_eq!(s.trim(Trim::MaxLen(12), false, 0), 13);
        assert_eq!(s.first_id, id(24, 0));
        // The node 21..30 ends before 31: it goes whole, even approximately.
        assert_eq!(s.trim(Trim::MinId(id(31, 0)), true, 0), 7);
        assert_eq!(s.trim(Trim::MinId(id(33, 0)), true, 0), 0);
        assert_eq!(s.trim(Trim::MinId(id(33, 0)), false, 0), 2);
        assert_eq!(ids(&s).first(), Some(&id(33, 0)));
    }

    #[test]
    fn group_pel_stays_consistent() {
        let mut g = Group::new(StreamId::MIN, 0);
        let (a, _) = g.consumer_or_create(b"alice", 1);
        let (b, created) = g.consumer_or_create(b"bob", 1);
        assert!(created);
        for i in 1..=5 {
            g.deliver(id(i, 0), &a, 10);
        }
        g.deliver(id(2, 0), &b, 20); // taken over by another read
        g.transfer(id(3, 0), &b);
        assert!(g.ack(id(4, 0)));
        assert!(!g.ack(id(4, 0)));
        let check = |g: &Group| {
            let mut owned = 0;
            for (name, c) in &g.consumers {
                for i in &c.pel {
                    assert_eq!(&g.pel[i].consumer, name);
                }
                owned += c.pel.len();
            }
            assert_eq!(owned, g.pel.len());
        };
        check(&g);
        assert_eq!(g.pel[&id(2, 0)].delivery_count, 1);
        assert_eq!(g.delete_consumer(b"alice"), Some(2));
        check(&g);
        assert_eq!(g.pel.len(), 2);
        assert_eq!(g.delete_consumer(b"alice"), None);
    }

    #[test]
    fn lag_and_distance_follow_redis() {
        let l = NodeLimits::default();
        let mut s = StreamValue::new();
        for i in 1..=5 {
            s.append(id(i, 0), &pairs(&["f", "v"]), l).unwrap();
        }
        let g = Group::new(StreamId::MIN, ENTRIES_READ_INVALID);
        assert_eq!(s.estimate_distance(StreamId::MIN), 0);
        assert_eq!(s.group_lag(&g), Some(5));
        assert_eq!(s.estimate_distance(id(5, 0)), 5);
        assert_eq!(s.estimate_distance(id(1, 0)), 1);
        assert_eq!(s.estimate_distance(id(3, 0)), ENTRIES_READ_INVALID);
        s.delete(&[id(3, 0)]);
        assert!(s.range_has_tombstones(Some(id(2, 0)), None));
        assert_eq!(s.group_lag(&g), None);
    }

    #[test]
    fn jemalloc_size_classes() {
        let classes: Vec<usize> = [1, 9, 17, 128, 129, 160, 161, 2049, 2200, 4096, 4097]
            .map(jemalloc_size)
            .to_vec();
        assert_eq!(
            classes,
            vec![8, 16, 32, 128, 160, 160, 192, 2560, 2560, 4096, 5120]
        );
    }

    #[test]
    fn rax_node_count_of_simple_trees() {
        let l = NodeLimits {
            max_entries: 1,
            max_bytes: 0,
        };
        let mut s = StreamValue::new();
        assert_eq!(s.rax_node_count(), 1);
        s.append(id(1, 0), &pairs(&["f", "v"]), l).unwrap();
        assert_eq!(s.rax_node_count(), 2);
        s.append(id(2, 0), &pairs(&["f", "v"]), l).unwrap();
        // The root compressed up to byte 7, a branching node, then for each key a
        // compressed node and a leaf (as redis-server 7.0 reports).
        assert_eq!(s.rax_node_count(), 6);
    }
}
