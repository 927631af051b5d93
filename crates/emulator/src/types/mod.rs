//! The collection types, one file each: how a value is stored, which Redis encoding it
//! reports (OBJECT ENCODING) and when it converts, and an O(1) memory estimate that the
//! database's accounting relies on. Commands live in `cmd/`; these files hold no replies.

pub mod hash;
pub mod list;
pub mod set;
pub mod stream;
pub mod zset;

/// Bytes an element costs beyond its own length in our estimate (listpack/dict overhead
/// in Redis's order of magnitude).
pub const ELEMENT_OVERHEAD: usize = 16;
