//! Read-only views of the dataset for observers (the page's visualisation pane).
//!
//! A view is built straight from a type's own structures: no command runs, so nothing is
//! counted in the stats, no key's access time or LRU/LFU clock moves, no key expires
//! and no keyspace event is reported. A key whose TTL has passed reads as missing, as
//! Redis would report it. Views are paged so the cost of one read is bounded by the
//! page size, never by the size of the value.
//!
//! One module per view; each adds a read-only method to `Engine`.

mod clients;
mod stream;
mod value;

pub use clients::*;
pub use stream::*;
pub use value::*;
