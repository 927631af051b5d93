//! The values a key can hold. Each type lives in its own file under `types/` as it grows;
//! strings are here because every other piece of the engine touches them.

pub use crate::types::{
    hash::HashValue, list::ListValue, set::SetValue, stream::StreamValue, zset::ZSetValue,
};

/// How Redis would encode a string (what `OBJECT ENCODING` reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrEncoding {
    /// A 64-bit integer stored as a number.
    Int,
    /// Up to 44 bytes stored with the object header.
    Embstr,
    /// A separately allocated string (long values, or any value after APPEND/SETRANGE).
    Raw,
}

/// Redis stores strings of at most this many bytes as `embstr`.
pub const EMBSTR_LIMIT: usize = 44;
/// Integers in `0..SHARED_INTEGERS` are shared objects in Redis (refcount 2147483647).
pub const SHARED_INTEGERS: i64 = 10000;

#[derive(Clone, Debug, PartialEq)]
pub struct StrValue {
    pub bytes: Vec<u8>,
    pub encoding: StrEncoding,
    /// Whether Redis would hold this value as one of its shared integer objects
    /// (`0..SHARED_INTEGERS`, OBJECT REFCOUNT 2147483647) rather than an object of its
    /// own: integers from SET or the counters are shared, a COPY's duplicate is not.
    pub shared: bool,
}

/// Whether `bytes` with `encoding` is one of Redis's shared integers when created.
fn shareable(bytes: &[u8], encoding: StrEncoding) -> bool {
    encoding == StrEncoding::Int
        && crate::args::parse_i64(bytes).is_some_and(|n| (0..SHARED_INTEGERS).contains(&n))
}

impl StrValue {
    /// A value set by SET/MSET/GETSET...: Redis's `tryObjectEncoding` picks `int` for
    /// canonical integers of at most 20 characters, else `embstr` or `raw` by length.
    pub fn from_set(bytes: Vec<u8>) -> Self {
        let encoding = if bytes.len() <= 20 && crate::args::parse_i64(&bytes).is_some() {
            StrEncoding::Int
        } else if bytes.len() <= EMBSTR_LIMIT {
            StrEncoding::Embstr
        } else {
            StrEncoding::Raw
        };
        let shared = shareable(&bytes, encoding);
        StrValue {
            bytes,
            encoding,
            shared,
        }
    }

    /// A value created as a new string object without `tryObjectEncoding`
    /// (INCRBYFLOAT's result, COPY of an embstr...): `embstr` or `raw` by length.
    pub fn from_new_string(bytes: Vec<u8>) -> Self {
        let encoding = if bytes.len() <= EMBSTR_LIMIT {
            StrEncoding::Embstr
        } else {
            StrEncoding::Raw
        };
        StrValue {
            bytes,
            encoding,
            shared: false,
        }
    }

    /// A value modified in place (APPEND, SETRANGE): always `raw`.
    pub fn raw(bytes: Vec<u8>) -> Self {
        StrValue {
            bytes,
            encoding: StrEncoding::Raw,
            shared: false,
        }
    }

    /// The result of INCR/DECR/INCRBY: an `int`.
    pub fn from_int(n: i64) -> Self {
        StrValue {
            bytes: n.to_string().into_bytes(),
            encoding: StrEncoding::Int,
            shared: (0..SHARED_INTEGERS).contains(&n),
        }
    }

    /// The integer this string holds, if Redis would read it as one.
    pub fn as_int(&self) -> Option<i64> {
        crate::args::parse_i64(&self.bytes)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(StrValue),
    List(ListValue),
    Hash(HashValue),
    Set(SetValue),
    ZSet(ZSetValue),
    Stream(StreamValue),
}

impl Value {
    /// The name TYPE prints.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The name OBJECT ENCODING prints.
    pub fn encoding_name(&self) -> &'static str {
        match self {
            Value::Str(s) => match s.encoding {
                StrEncoding::Int => "int",
                StrEncoding::Embstr => "embstr",
                StrEncoding::Raw => "raw",
            },
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(v) => v.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(s) => s.encoding(),
        }
    }

    /// True for a collection with no elements: Redis deletes such keys at once.
    pub fn is_empty_collection(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.is_empty(),
            Value::Set(v) => v.is_empty(),
            Value::ZSet(z) => z.is_empty(),
            // Redis keeps a stream that XDEL/XTRIM emptied (it still holds its last ID,
            // counters and consumer groups).
            Value::Stream(_) => false,
        }
    }

    /// An estimate of the bytes Redis would use for this value (for INFO, maxmemory and
    /// the key browser). Not byte-exact with Redis's allocator; stable and monotonic.
    pub fn approx_memory(&self) -> usize {
        match self {
            Value::Str(s) => match s.encoding {
                StrEncoding::Int => 16,
                StrEncoding::Embstr => 16 + 3 + s.bytes.len() + 1,
                StrEncoding::Raw => 16 + 9 + s.bytes.len() + 1,
            },
            Value::List(l) => l.memory(),
            Value::Hash(h) => h.memory(),
            Value::Set(v) => v.memory(),
            Value::ZSet(z) => z.memory(),
            Value::Stream(s) => s.memory(),
        }
    }
}
