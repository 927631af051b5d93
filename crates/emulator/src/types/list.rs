//! Lists. Redis 7.0 stores every list as a `quicklist` (a linked list of listpacks), so
//! that is the one encoding OBJECT ENCODING reports here; the elements live in a deque.

use std::collections::VecDeque;

use super::ELEMENT_OVERHEAD;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListValue {
    items: VecDeque<Vec<u8>>,
    /// Sum of element lengths, kept up to date so `memory` is O(1).
    bytes: usize,
}

impl ListValue {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
    /// Estimated bytes, O(1).
    pub fn memory(&self) -> usize {
        48 + self.bytes + self.items.len() * ELEMENT_OVERHEAD
    }
    pub fn push_front(&mut self, v: Vec<u8>) {
        self.bytes += v.len();
        self.items.push_front(v);
    }
    pub fn push_back(&mut self, v: Vec<u8>) {
        self.bytes += v.len();
        self.items.push_back(v);
    }
    pub fn pop_front(&mut self) -> Option<Vec<u8>> {
        let v = self.items.pop_front()?;
        self.bytes -= v.len();
        Some(v)
    }
    pub fn pop_back(&mut self) -> Option<Vec<u8>> {
        let v = self.items.pop_back()?;
        self.bytes -= v.len();
        Some(v)
    }
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        self.items.get(index).map(|v| v.as_slice())
    }
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator {
        self.items.iter().map(|v| v.as_slice())
    }
}

impl ListValue {
    /// A list of `items` in order (SORT ... STORE).
    pub fn from_items(items: impl IntoIterator<Item = Vec<u8>>) -> Self {
        let mut l = ListValue::new();
        for v in items {
            l.push_back(v);
        }
        l
    }
    /// Replaces the element at `index`; false if out of range. O(1) on a deque.
    pub fn set(&mut self, index: usize, v: Vec<u8>) -> bool {
        match self.items.get_mut(index) {
            Some(slot) => {
                self.bytes = self.bytes - slot.len() + v.len();
                *slot = v;
                true
            }
            None => false,
        }
    }
    /// Inserts `v` at `index` (0..=len), shifting the shorter side.
    pub fn insert(&mut self, index: usize, v: Vec<u8>) {
        self.bytes += v.len();
        self.items.insert(index, v);
    }
    /// The elements in `start..end` (indexes clamped by the caller), front to back.
    pub fn range(
        &self,
        start: usize,
        end: usize,
    ) -> impl DoubleEndedIterator<Item = &[u8]> + ExactSizeIterator {
        self.items.range(start..end).map(|v| v.as_slice())
    }
    /// Removes `front` elements from the head and `back` from the tail (LTRIM).
    pub fn trim(&mut self, front: usize, back: usize) {
        let front = front.min(self.items.len());
        for v in self.items.drain(..front) {
            self.bytes -= v.len();
        }
        let back = back.min(self.items.len());
        let keep = self.items.len() - back;
        for v in self.items.drain(keep..) {
            self.bytes -= v.len();
        }
    }
    /// Index of the first element equal to `v`, head to tail.
    pub fn position(&self, v: &[u8]) -> Option<usize> {
        self.items.iter().position(|e| e[..] == *v)
    }
    /// LREM: removes up to `count` elements equal to `v` (all if `count` is 0) scanning
    /// from the head, or from the tail if `from_tail`. Returns how many went. O(N).
    pub fn remove_matching(&mut self, v: &[u8], count: usize, from_tail: bool) -> usize {
        let matches = self.items.iter().filter(|e| e[..] == *v).count();
        let to_remove = if count == 0 {
            matches
        } else {
            count.min(matches)
        };
        if to_remove == 0 {
            return 0;
        }
        // Matches are numbered head to tail; remove the first `to_remove` of them, or the
        // last `to_remove` when scanning from the tail.
        let skip = if from_tail { matches - to_remove } else { 0 };
        let mut seen = 0usize;
        let mut freed = 0usize;
        self.items.retain(|e| {
            if e[..] != *v {
                return true;
            }
            seen += 1;
            let remove = seen > skip && seen <= skip + to_remove;
            if remove {
                freed += e.len();
            }
            !remove
        });
        self.bytes -= freed;
        to_remove
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> ListValue {
        ListValue::from_items(items.iter().map(|s| s.as_bytes().to_vec()))
    }
    fn items(l: &ListValue) -> Vec<String> {
        l.iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    #[test]
    fn remove_matching_from_either_end() {
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_matching(b"a", 2, true), 2);
        assert_eq!(items(&l), ["a", "b", "c"]);
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(l.remove_matching(b"a", 2, false), 2);
        assert_eq!(items(&l), ["b", "c", "a"]);
        assert_eq!(l.remove_matching(b"a", 0, false), 1);
        assert_eq!(l.memory(), list(&["b", "c"]).memory());
    }

    #[test]
    fn trim_set_insert_keep_bytes() {
        let mut l = list(&["one", "two", "three", "four"]);
        l.trim(1, 1);
        assert_eq!(items(&l), ["two", "three"]);
        assert!(l.set(1, b"3".to_vec()));
        assert!(!l.set(2, b"x".to_vec()));
        l.insert(0, b"zero".to_vec());
        assert_eq!(items(&l), ["zero", "two", "3"]);
        assert_eq!(l.memory(), list(&["zero", "two", "3"]).memory());
        l.trim(10, 10);
        assert!(l.is_empty());
        assert_eq!(l.memory(), ListValue::new().memory());
    }
}
