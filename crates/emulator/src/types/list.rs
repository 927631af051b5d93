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
