//! A hash table shaped like Redis's `dict`, for the `hashtable` encodings of hashes and
//! sets: power-of-two buckets over the fixed hash (`scan::key_hash`), chains through a
//! dense entry vector, and SCAN with Redis's reverse-binary cursor over the buckets
//! themselves. One structure gives O(1) lookups, O(1) uniformly random picks (the dense
//! vector), deterministic iteration (bucket order) and SCAN's guarantee across resizes,
//! at about 30 bytes of overhead per entry.
//!
//! Resizing is done at once rather than incrementally (no two-table rehash): the table
//! grows when it holds as many entries as buckets and shrinks below 10% fill, like
//! Redis's thresholds.

use crate::scan::key_hash;

const NONE: u32 = u32::MAX;
const MIN_BUCKETS: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry<V> {
    key: Box<[u8]>,
    value: V,
    /// The next entry of the same bucket, or NONE.
    next: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dict<V> {
    /// The first entry of each bucket, or NONE. Empty or a power of two long.
    buckets: Vec<u32>,
    entries: Vec<Entry<V>>,
}

impl<V> Default for Dict<V> {
    fn default() -> Self {
        Dict {
            buckets: Vec::new(),
            entries: Vec::new(),
        }
    }
}

impl<V> Dict<V> {
    pub fn with_capacity(n: usize) -> Self {
        let mut d = Dict {
            buckets: Vec::new(),
            entries: Vec::with_capacity(n),
        };
        d.rebuild(n.max(MIN_BUCKETS).next_power_of_two());
        d
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    fn bucket_of(&self, key: &[u8]) -> usize {
        (key_hash(key) as usize) & (self.buckets.len() - 1)
    }
    fn find(&self, key: &[u8]) -> Option<usize> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut i = self.buckets[self.bucket_of(key)];
        while i != NONE {
            let e = &self.entries[i as usize];
            if &*e.key == key {
                return Some(i as usize);
            }
            i = e.next;
        }
        None
    }
    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|i| &self.entries[i].value)
    }
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        self.find(key).map(move |i| &mut self.entries[i].value)
    }
    pub fn contains(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }
    /// Inserts or replaces; returns the old value if the key was there.
    pub fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        if let Some(i) = self.find(key) {
            return Some(std::mem::replace(&mut self.entries[i].value, value));
        }
        if self.entries.len() >= self.buckets.len() {
            self.rebuild(
                (self.entries.len() + 1)
                    .max(MIN_BUCKETS)
                    .next_power_of_two(),
            );
        }
        let b = self.bucket_of(key);
        let i = self.entries.len() as u32;
        self.entries.push(Entry {
            key: key.into(),
            value,
            next: self.buckets[b],
        });
        self.buckets[b] = i;
        None
    }
    /// Removes `key`; returns its stored key and value.
    pub fn remove(&mut self, key: &[u8]) -> Option<(Box<[u8]>, V)> {
        let i = self.find(key)?;
        self.unlink(i);
        // Fill the hole with the last entry and repoint whoever pointed at it.
        let last = self.entries.len() - 1;
        if i != last {
            self.relink(last as u32, i as u32);
        }
        let e = self.entries.swap_remove(i);
        if self.buckets.len() > MIN_BUCKETS && self.entries.len() * 10 < self.buckets.len() {
            self.rebuild(self.entries.len().max(MIN_BUCKETS).next_power_of_two());
        }
        Some((e.key, e.value))
    }
    /// Takes entry `i` out of its bucket's chain.
    fn unlink(&mut self, i: usize) {
        let b = self.bucket_of(&self.entries[i].key);
        let next = self.entries[i].next;
        if self.buckets[b] == i as u32 {
            self.buckets[b] = next;
            return;
        }
        let mut j = self.buckets[b];
        while j != NONE {
            if self.entries[j as usize].next == i as u32 {
                self.entries[j as usize].next = next;
                return;
            }
            j = self.entries[j as usize].next;
        }
    }
    /// Makes the link that points at entry `from` point at `to` (before a move).
    fn relink(&mut self, from: u32, to: u32) {
        let b = self.bucket_of(&self.entries[from as usize].key);
        if self.buckets[b] == from {
            self.buckets[b] = to;
            return;
        }
        let mut j = self.buckets[b];
        while j != NONE {
            if self.entries[j as usize].next == from {
                self.entries[j as usize].next = to;
                return;
            }
            j = self.entries[j as usize].next;
        }
    }
    /// Re-chains every entry into `size` buckets.
    fn rebuild(&mut self, size: usize) {
        self.buckets.clear();
        self.buckets.resize(size, NONE);
        let mask = size - 1;
        for i in 0..self.entries.len() {
            let b = (key_hash(&self.entries[i].key) as usize) & mask;
            self.entries[i].next = self.buckets[b];
            self.buckets[b] = i as u32;
        }
    }
    /// The entry at dense position `i` (0..len): uniform random picks.
    pub fn at(&self, i: usize) -> Option<(&[u8], &V)> {
        self.entries.get(i).map(|e| (&*e.key, &e.value))
    }
    /// Every entry in bucket order (Redis's dict iteration order, with our hash).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.buckets.iter().flat_map(move |&head| {
            let mut i = head;
            std::iter::from_fn(move || {
                if i == NONE {
                    return None;
                }
                let e = &self.entries[i as usize];
                i = e.next;
                Some((&*e.key, &e.value))
            })
        })
    }
    /// One SCAN step (Redis's `dictScan` on a table that is not rehashing): visits whole
    /// buckets in reverse-binary cursor order until `count` entries were collected or
    /// `count * 10` buckets were visited. Returns the next cursor (0: done).
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<(&[u8], &V)>) {
        let mut out = Vec::new();
        if self.buckets.is_empty() {
            return (0, out);
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut v = cursor;
        let mut budget = count.max(1).saturating_mul(10);
        loop {
            let mut i = self.buckets[(v & mask) as usize];
            while i != NONE {
                let e = &self.entries[i as usize];
                out.push((&*e.key, &e.value));
                i = e.next;
            }
            // Increment the reversed cursor: the bits above the mask are set so the
            // carry runs through the bucket bits only.
            v |= !mask;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
            budget -= 1;
            if v == 0 || out.len() >= count || budget == 0 {
                return (v, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn insert_get_remove_keep_chains_consistent() {
        let mut d: Dict<u32> = Dict::default();
        for i in 0..1000u32 {
            assert_eq!(d.insert(format!("k{i}").as_bytes(), i), None);
        }
        assert_eq!(d.insert(b"k5", 55), Some(5));
        for i in (0..1000u32).step_by(3) {
            assert!(d.remove(format!("k{i}").as_bytes()).is_some());
        }
        for i in 0..1000u32 {
            let want = if i % 3 == 0 {
                None
            } else if i == 5 {
                Some(55)
            } else {
                Some(i)
            };
            assert_eq!(d.get(format!("k{i}").as_bytes()).copied(), want, "k{i}");
        }
        assert_eq!(d.iter().count(), d.len());
        for i in 0..1000u32 {
            d.remove(format!("k{i}").as_bytes());
        }
        assert!(d.is_empty());
        assert_eq!(d.buckets.len(), MIN_BUCKETS);
    }

    #[test]
    fn scan_returns_every_stable_member_across_resizes() {
        let mut d: Dict<()> = Dict::default();
        for i in 0..500 {
            d.insert(format!("a{i}").as_bytes(), ());
        }
        let (mut cursor, mut seen) = (0, HashSet::new());
        let mut step = 0;
        loop {
            let (next, page) = d.scan(cursor, 7);
            seen.extend(page.into_iter().map(|(k, _)| k.to_vec()));
            // Grow and shrink between calls; the a* members stay.
            if step == 3 {
                for i in 0..3000 {
                    d.insert(format!("b{i}").as_bytes(), ());
                }
            }
            if step == 20 {
                for i in 0..3000 {
                    d.remove(format!("b{i}").as_bytes());
                }
            }
            step += 1;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(format!("a{i}").as_bytes()), "lost a{i}");
        }
    }
}
