//! Deterministic hashing and Redis-style SCAN cursors, shared by the keyspace (SCAN) and
//! the hash-table encodings of hashes, sets and sorted sets (HSCAN, SSCAN, ZSCAN).
//!
//! Redis walks a hash table with a reverse-binary cursor, which survives table resizes.
//! We keep the same contract without a real hash table: every member has a fixed 64-bit
//! hash, and members are kept ordered by the bit-reversal of that hash. Visiting Redis's
//! buckets in cursor order is then the same as walking this order, for any table size,
//! and a cursor is the bit-reversal of the position where the walk stopped. Cursors look
//! like Redis's (small, jumping numbers), a full iteration returns every member present
//! from start to end, and the order is deterministic (Redis seeds its hash at random per
//! process, so no client can depend on its order).

use std::collections::BTreeSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// A key or member: shared between a map and its scan order without copying.
pub type Key = Rc<[u8]>;

/// A fixed, seedless 64-bit hash (FNV-1a with a splitmix finaliser): stable across runs
/// and Rust versions so SCAN cursors and iteration orders replay identically.
pub fn key_hash(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    finalize(h)
}

fn finalize(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// A `Hasher` for `HashMap`s whose iteration must be deterministic (std's default is
/// seeded at random per process).
#[derive(Default, Clone, Copy)]
pub struct FixedHasher(u64);

impl Hasher for FixedHasher {
    fn finish(&self) -> u64 {
        finalize(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// `HashMap<K, V, FixedState>`: deterministic, seedless.
pub type FixedState = BuildHasherDefault<FixedHasher>;

fn scan_pos(key: &[u8]) -> u64 {
    key_hash(key).reverse_bits()
}

/// log2 of the hash table size Redis would have for `n` entries (at least 4 buckets).
fn table_bits(n: usize) -> u32 {
    n.max(4).next_power_of_two().trailing_zeros()
}

/// Members in SCAN order (bit-reversed fixed hash).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanOrder {
    index: BTreeSet<(u64, Key)>,
}

impl ScanOrder {
    pub fn insert(&mut self, key: Key) {
        self.index.insert((scan_pos(&key), key));
    }
    pub fn remove(&mut self, key: &Key) {
        self.index.remove(&(scan_pos(key), key.clone()));
    }
    pub fn len(&self) -> usize {
        self.index.len()
    }
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
    pub fn clear(&mut self) {
        self.index.clear();
    }
    /// Every member, in SCAN order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Key> {
        self.index.iter().map(|(_, k)| k)
    }

    /// One SCAN step from `cursor`: whole buckets of a table sized like Redis's for the
    /// current member count, until at least `count` members were collected. Returns the
    /// next cursor (0 at the end) and the members.
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Key>) {
        let bits = table_bits(self.index.len());
        let shift = 64 - bits;
        // A cursor from a bigger table may point inside one of our buckets: start at the
        // bucket's beginning, like Redis does after a shrink (it may repeat members).
        let pos = (cursor.reverse_bits() >> shift) << shift;
        let mut keys = Vec::new();
        let mut iter = self.index.range((pos, Rc::from(&b""[..]))..).peekable();
        loop {
            let Some((p, _)) = iter.peek() else {
                return (0, keys);
            };
            let bucket = p >> shift;
            while let Some((p, k)) = iter.peek() {
                if p >> shift != bucket {
                    break;
                }
                keys.push(k.clone());
                iter.next();
            }
            if keys.len() >= count.max(1) {
                let next_bucket = bucket + 1;
                if next_bucket >> bits != 0 || iter.peek().is_none() {
                    return (0, keys);
                }
                return ((next_bucket << shift).reverse_bits(), keys);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_visits_every_member_once() {
        let mut order = ScanOrder::default();
        for i in 0..1000 {
            order.insert(Rc::from(format!("m{i}").as_bytes()));
        }
        let (mut cursor, mut seen) = (0, std::collections::HashSet::new());
        loop {
            let (next, keys) = order.scan(cursor, 10);
            for k in keys {
                assert!(seen.insert(k), "a member came twice");
            }
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        assert_eq!(seen.len(), 1000);
    }

    #[test]
    fn fixed_hasher_is_deterministic() {
        use std::hash::BuildHasher;
        let a = FixedState::default().hash_one(b"abc".as_slice());
        let b = FixedState::default().hash_one(b"abc".as_slice());
        assert_eq!(a, b);
    }
}
