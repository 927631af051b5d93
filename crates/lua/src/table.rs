//! Tables laid out as Lua 5.1.5's `ltable.c` lays them out, so that `next`/`pairs` visit
//! keys in the same order as Redis's Lua and `#t` finds the same border on tables with
//! holes: an array part for keys 1..n, and a hash part of power-of-two size where each key
//! has a main position (5.1's hash functions), colliding keys are chained through free
//! nodes found by a `lastfree` cursor moving down, and a full hash part triggers a rehash
//! that recounts the keys (`numusearray`, `numusehash`, `computesizes`) to pick new sizes.
//!
//! Setting a key to nil keeps its node (a dead entry) until the next rehash, as in 5.1,
//! so assigning nil during a traversal never disturbs it.

use crate::value::{LuaStr, Value};

/// MAXBITS: the largest array part is 2^26 elements.
const MAXBITS: usize = 26;
const MAXASIZE: usize = 1 << MAXBITS;

#[derive(Clone, Debug, Default)]
struct Node {
    key: Value,
    val: Value,
    /// The next node of this chain, or -1.
    next: i32,
}

/// Why a key cannot be stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    Nil,
    NaN,
    /// The hash part would pass 2^26 nodes ("table overflow").
    Overflow,
}

impl KeyError {
    pub fn message(self) -> &'static str {
        match self {
            KeyError::Nil => "table index is nil",
            KeyError::NaN => "table index is NaN",
            KeyError::Overflow => "table overflow",
        }
    }
}

/// `next` was given a key that is not in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidKey;

#[derive(Clone, Debug, Default)]
pub struct Table {
    array: Vec<Value>,
    /// The hash part: empty stands for 5.1's shared `dummynode` (size 1, never written).
    nodes: Vec<Node>,
    /// Free nodes are searched below this index.
    lastfree: usize,
    pub meta: Option<crate::value::TableRef>,
    /// Redis 7.0's read-only tables (its patched Lua refuses writes to them: "Attempt to
    /// modify a readonly table"); enforced by the VM, not by these raw accessors.
    pub readonly: bool,
    /// Bytes added by resizes since the VM last took this count (memory accounting).
    pub grew: usize,
}

/// `ceillog2(x)` for x >= 1.
fn ceil_log2(x: usize) -> usize {
    let mut l = 0;
    let mut x = x - 1;
    while x > 0 {
        l += 1;
        x >>= 1;
    }
    l
}

/// The array index a key stands for (5.1's `arrayindex`): a number with an integer value.
fn array_index(key: &Value) -> Option<usize> {
    if let Value::Number(n) = key {
        let k = *n as i32;
        if k as f64 == *n && k > 0 {
            return Some(k as usize);
        }
    }
    None
}

/// The identity of a collected object or light userdata as a hashable integer (5.1 hashes
/// the object's address; ours are handles, so pairs order over such keys differs).
fn identity(key: &Value) -> u32 {
    match key {
        Value::Table(r) => r.0.wrapping_mul(4),
        Value::Function(r) => r.0.wrapping_mul(4).wrapping_add(1),
        Value::UserData(r) => r.0.wrapping_mul(4).wrapping_add(2),
        Value::Thread(r) => r.0.wrapping_mul(4).wrapping_add(3),
        Value::LightUserData(p) => *p as u32,
        _ => 0,
    }
}

/// `hashnum`: the two 32-bit halves of the double added (after folding -0 into 0).
fn hash_number(n: f64) -> u32 {
    if n == 0.0 {
        return 0;
    }
    let bits = n.to_bits();
    (bits as u32).wrapping_add((bits >> 32) as u32)
}

impl Table {
    pub fn new(narray: usize, nhash: usize) -> Table {
        let mut t = Table {
            array: vec![Value::Nil; narray],
            ..Table::default()
        };
        t.set_node_vector(nhash);
        t
    }

    /// An estimate of the memory this table holds, for the heap's accounting.
    pub fn size_estimate(&self) -> usize {
        64 + self.array.len() * 16 + self.nodes.len() * 40
    }

    pub fn array_len(&self) -> usize {
        self.array.len()
    }

    pub fn node_len(&self) -> usize {
        self.nodes.len()
    }

    fn set_node_vector(&mut self, size: usize) {
        if size == 0 {
            self.nodes = Vec::new();
            self.lastfree = 0;
        } else {
            let n = 1usize << ceil_log2(size);
            self.nodes = vec![
                Node {
                    key: Value::Nil,
                    val: Value::Nil,
                    next: -1
                };
                n
            ];
            self.lastfree = n;
        }
    }

    /// `hashmod`: for numbers and identities, modulo an odd number.
    fn hash_mod(&self, h: u32) -> usize {
        let size = self.nodes.len() as u32;
        (h % ((size - 1) | 1)) as usize
    }

    /// `hashpow2`: for strings and booleans, modulo the power-of-two size.
    fn hash_pow2(&self, h: u32) -> usize {
        (h & (self.nodes.len() as u32 - 1)) as usize
    }

    /// `mainposition`; the hash part must not be empty.
    fn main_position(&self, key: &Value) -> usize {
        match key {
            Value::Number(n) => self.hash_mod(hash_number(*n)),
            Value::Str(s) => self.hash_pow2(s.hash()),
            Value::Bool(b) => self.hash_pow2(*b as u32),
            _ => self.hash_mod(identity(key)),
        }
    }

    fn find_str(&self, s: &LuaStr) -> Option<usize> {
        if self.nodes.is_empty() {
            return None;
        }
        let mut i = self.hash_pow2(s.hash()) as i32;
        loop {
            let n = &self.nodes[i as usize];
            if let Value::Str(k) = &n.key {
                if k == s {
                    return Some(i as usize);
                }
            }
            i = n.next;
            if i < 0 {
                return None;
            }
        }
    }

    fn find_number(&self, x: f64) -> Option<usize> {
        if self.nodes.is_empty() {
            return None;
        }
        let mut i = self.hash_mod(hash_number(x)) as i32;
        loop {
            let n = &self.nodes[i as usize];
            if let Value::Number(k) = n.key {
                if k == x {
                    return Some(i as usize);
                }
            }
            i = n.next;
            if i < 0 {
                return None;
            }
        }
    }

    fn find_node(&self, key: &Value) -> Option<usize> {
        match key {
            Value::Nil => None,
            Value::Str(s) => self.find_str(s),
            Value::Number(n) => self.find_number(*n),
            _ => {
                if self.nodes.is_empty() {
                    return None;
                }
                let mut i = self.main_position(key) as i32;
                loop {
                    let n = &self.nodes[i as usize];
                    if n.key.raw_eq(key) {
                        return Some(i as usize);
                    }
                    i = n.next;
                    if i < 0 {
                        return None;
                    }
                }
            }
        }
    }

    /// `luaH_getnum`.
    pub fn get_int(&self, k: i64) -> &Value {
        if k >= 1 && (k as u64) <= self.array.len() as u64 {
            return &self.array[(k - 1) as usize];
        }
        match self.find_number(k as f64) {
            Some(i) => &self.nodes[i].val,
            None => &Value::Nil,
        }
    }

    /// `luaH_getstr`.
    pub fn get_str(&self, key: &LuaStr) -> &Value {
        match self.find_str(key) {
            Some(i) => &self.nodes[i].val,
            None => &Value::Nil,
        }
    }

    /// `luaH_get`: a raw read.
    pub fn get(&self, key: &Value) -> &Value {
        match key {
            Value::Str(s) => self.get_str(s),
            Value::Number(n) => {
                let k = *n as i32;
                if k as f64 == *n {
                    return self.get_int(k as i64);
                }
                match self.find_number(*n) {
                    Some(i) => &self.nodes[i].val,
                    None => &Value::Nil,
                }
            }
            Value::Nil => &Value::Nil,
            _ => match self.find_node(key) {
                Some(i) => &self.nodes[i].val,
                None => &Value::Nil,
            },
        }
    }

    /// `luaH_set` followed by the store: a raw write (a nil value included, which like
    /// 5.1 still makes room for the key).
    pub fn set(&mut self, key: Value, val: Value) -> Result<(), KeyError> {
        if let Value::Number(n) = key {
            let k = n as i32;
            if k as f64 == n && k >= 1 && (k as usize) <= self.array.len() {
                self.array[k as usize - 1] = val;
                return Ok(());
            }
            if n.is_nan() {
                return Err(KeyError::NaN);
            }
        }
        if let Some(i) = self.find_node(&key) {
            self.nodes[i].val = val;
            return Ok(());
        }
        if key.is_nil() {
            return Err(KeyError::Nil);
        }
        match self.new_key(&key)? {
            Some(slot) => {
                self.nodes[slot].key = key;
                self.nodes[slot].val = val;
            }
            // The table was rehashed: the key may now belong to the array part.
            None => return self.set(key, val),
        }
        Ok(())
    }

    /// `luaH_setnum` + store.
    pub fn set_int(&mut self, k: i64, val: Value) -> Result<(), KeyError> {
        if k >= 1 && (k as u64) <= self.array.len() as u64 {
            self.array[(k - 1) as usize] = val;
            return Ok(());
        }
        self.set(Value::Number(k as f64), val)
    }

    /// `getfreepos`.
    fn free_position(&mut self) -> Option<usize> {
        while self.lastfree > 0 {
            self.lastfree -= 1;
            if self.nodes[self.lastfree].key.is_nil() {
                return Some(self.lastfree);
            }
        }
        None
    }

    /// `newkey`: the node for a key absent from the table (the caller stores the key and
    /// value), or None after a rehash made room (the caller stores again).
    fn new_key(&mut self, key: &Value) -> Result<Option<usize>, KeyError> {
        if self.nodes.is_empty() {
            self.rehash(key)?;
            return Ok(None);
        }
        let mut mp = self.main_position(key);
        if !self.nodes[mp].val.is_nil() {
            let Some(n) = self.free_position() else {
                self.rehash(key)?;
                return Ok(None);
            };
            let other = self.main_position(&self.nodes[mp].key);
            if other != mp {
                // The colliding node is out of its main position: move it to the free node.
                let mut prev = other;
                while self.nodes[prev].next != mp as i32 {
                    prev = self.nodes[prev].next as usize;
                }
                self.nodes[prev].next = n as i32;
                self.nodes[n] = std::mem::take(&mut self.nodes[mp]);
                self.nodes[mp].next = -1;
                self.nodes[mp].val = Value::Nil;
            } else {
                // The colliding node is in its main position: the new key takes the free one.
                self.nodes[n].next = self.nodes[mp].next;
                self.nodes[mp].next = n as i32;
                mp = n;
            }
        }
        Ok(Some(mp))
    }

    /// `rehash`: recounts the keys (with the one being inserted) and resizes both parts.
    fn rehash(&mut self, extra: &Value) -> Result<(), KeyError> {
        let mut nums = [0usize; MAXBITS + 1];
        let mut nasize = self.num_use_array(&mut nums);
        let mut total = nasize;
        total += self.num_use_hash(&mut nums, &mut nasize);
        nasize += count_int(extra, &mut nums);
        total += 1;
        let na = compute_sizes(&nums, &mut nasize);
        self.resize(nasize, total - na)
    }

    fn num_use_array(&self, nums: &mut [usize; MAXBITS + 1]) -> usize {
        let mut ause = 0;
        let mut i = 1usize;
        let mut ttlg = 1usize;
        for count in nums.iter_mut() {
            let mut lc = 0;
            let mut lim = ttlg;
            if lim > self.array.len() {
                lim = self.array.len();
                if i > lim {
                    break;
                }
            }
            while i <= lim {
                if !self.array[i - 1].is_nil() {
                    lc += 1;
                }
                i += 1;
            }
            *count += lc;
            ause += lc;
            ttlg *= 2;
        }
        ause
    }

    fn num_use_hash(&self, nums: &mut [usize; MAXBITS + 1], nasize: &mut usize) -> usize {
        let mut total = 0;
        let mut ause = 0;
        for n in self.nodes.iter().rev() {
            if !n.val.is_nil() {
                ause += count_int(&n.key, nums);
                total += 1;
            }
        }
        *nasize += ause;
        total
    }

    /// `resize`: new array and hash sizes; entries are reinserted (hash part from its last
    /// node to its first, as 5.1 does).
    fn resize(&mut self, nasize: usize, nhsize: usize) -> Result<(), KeyError> {
        if nhsize > 0 && ceil_log2(nhsize) > MAXBITS {
            return Err(KeyError::Overflow);
        }
        let oldasize = self.array.len();
        let old_size = self.size_estimate();
        if nasize > oldasize {
            self.array.resize(nasize, Value::Nil);
        }
        let old_nodes = std::mem::take(&mut self.nodes);
        self.set_node_vector(nhsize);
        if nasize < oldasize {
            let vanishing: Vec<Value> = self.array.split_off(nasize);
            for (i, v) in vanishing.into_iter().enumerate() {
                if !v.is_nil() {
                    self.set_int((nasize + i + 1) as i64, v)?;
                }
            }
        }
        for n in old_nodes.into_iter().rev() {
            if !n.val.is_nil() {
                self.set(n.key, n.val)?;
            }
        }
        self.grew += self.size_estimate().saturating_sub(old_size);
        Ok(())
    }

    /// `luaH_resizearray` (SETLIST with more values than the array part holds).
    pub fn resize_array(&mut self, nasize: usize) -> Result<(), KeyError> {
        let nh = self.nodes.len();
        self.resize(nasize, nh)
    }

    /// `luaH_getn`: a border of the table, found as Lua 5.1 finds it.
    pub fn length(&self) -> usize {
        let mut j = self.array.len();
        if j > 0 && self.array[j - 1].is_nil() {
            let mut i = 0;
            while j - i > 1 {
                let m = (i + j) / 2;
                if self.array[m - 1].is_nil() {
                    j = m;
                } else {
                    i = m;
                }
            }
            return i;
        }
        if self.nodes.is_empty() {
            return j;
        }
        self.unbound_search(j)
    }

    fn unbound_search(&self, j: usize) -> usize {
        let mut i = j;
        let mut j = j + 1;
        while !self.get_int(j as i64).is_nil() {
            i = j;
            j *= 2;
            if j > i32::MAX as usize {
                let mut i = 1;
                while !self.get_int(i).is_nil() {
                    i += 1;
                }
                return (i - 1) as usize;
            }
        }
        while j - i > 1 {
            let m = (i + j) / 2;
            if self.get_int(m as i64).is_nil() {
                j = m;
            } else {
                i = m;
            }
        }
        i
    }

    /// `luaH_next`: the entry after `key` (nil starts), None at the end, Err for a key
    /// that is not in the table ("invalid key to 'next'").
    pub fn next(&self, key: &Value) -> Result<Option<(Value, Value)>, InvalidKey> {
        let mut i = self.find_index(key)?;
        while i < self.array.len() {
            if !self.array[i].is_nil() {
                return Ok(Some((Value::Number((i + 1) as f64), self.array[i].clone())));
            }
            i += 1;
        }
        let mut n = i - self.array.len();
        while n < self.nodes.len() {
            if !self.nodes[n].val.is_nil() {
                return Ok(Some((self.nodes[n].key.clone(), self.nodes[n].val.clone())));
            }
            n += 1;
        }
        Ok(None)
    }

    /// `findindex`: where traversal resumes after `key`.
    fn find_index(&self, key: &Value) -> Result<usize, InvalidKey> {
        if key.is_nil() {
            return Ok(0);
        }
        if let Some(k) = array_index(key) {
            if k <= self.array.len() {
                return Ok(k);
            }
        }
        match self.find_node(key) {
            Some(i) => Ok(self.array.len() + i + 1),
            None => Err(InvalidKey),
        }
    }

    /// Every key and value (dead entries included), for the collector.
    pub(crate) fn for_each_value(&self, mut f: impl FnMut(&Value)) {
        for v in &self.array {
            f(v);
        }
        for n in &self.nodes {
            f(&n.key);
            f(&n.val);
        }
    }
}

/// `countint`.
fn count_int(key: &Value, nums: &mut [usize; MAXBITS + 1]) -> usize {
    match array_index(key) {
        Some(k) if k <= MAXASIZE => {
            nums[ceil_log2(k)] += 1;
            1
        }
        _ => 0,
    }
}

/// `computesizes`: the largest n (a power of two) such that more than half of 1..n are used.
fn compute_sizes(nums: &[usize; MAXBITS + 1], narray: &mut usize) -> usize {
    let mut a = 0;
    let mut na = 0;
    let mut n = 0;
    let mut twotoi = 1usize;
    let mut i = 0;
    while twotoi / 2 < *narray {
        if nums[i] > 0 {
            a += nums[i];
            if a > twotoi / 2 {
                n = twotoi;
                na = a;
            }
        }
        if a == *narray {
            break;
        }
        i += 1;
        twotoi *= 2;
        if i > MAXBITS {
            break;
        }
    }
    *narray = n;
    na
}

/// `luaO_int2fb` then `luaO_fb2int`: the size a table constructor really asks for.
pub fn constructor_size(x: usize) -> usize {
    let mut x = x.min(u32::MAX as usize) as u32;
    let mut e = 0u32;
    while x >= 16 {
        x = (x + 1) >> 1;
        e += 1;
    }
    let fb = if x < 8 { x } else { ((e + 1) << 3) | (x - 8) };
    let e = (fb >> 3) & 31;
    if e == 0 {
        fb as usize
    } else {
        (((fb & 7) + 8) as usize) << (e - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(t: &Table) -> Vec<String> {
        let mut out = Vec::new();
        let mut k = Value::Nil;
        while let Ok(Some((key, _))) = t.next(&k) {
            out.push(match &key {
                Value::Str(s) => s.to_str_lossy(),
                Value::Number(n) => crate::number::number_to_string(*n),
                other => other.type_name().to_string(),
            });
            k = key;
        }
        out
    }

    #[test]
    fn array_and_hash_parts() {
        let mut t = Table::new(0, 0);
        for i in 1..=10 {
            t.set_int(i, Value::Number(i as f64)).unwrap();
        }
        assert_eq!(t.length(), 10);
        assert_eq!(t.array_len(), 16);
        t.set(Value::str("x"), Value::Bool(true)).unwrap();
        assert!(matches!(t.get(&Value::str("x")), Value::Bool(true)));
        assert_eq!(t.set(Value::Nil, Value::Nil), Err(KeyError::Nil));
        assert_eq!(
            t.set(Value::Number(f64::NAN), Value::Nil),
            Err(KeyError::NaN)
        );
    }

    #[test]
    fn nil_assignment_keeps_traversal_valid() {
        let mut t = Table::new(0, 0);
        for i in 1..=10 {
            t.set(Value::str(&format!("k{i}")), Value::Number(1.0))
                .unwrap();
        }
        t.set(Value::str("k1"), Value::Nil).unwrap();
        for i in 11..=40 {
            t.set(Value::str(&format!("k{i}")), Value::Number(1.0))
                .unwrap();
        }
        assert_eq!(keys(&t).len(), 39);
        // Clearing every key while traversing.
        let mut k = Value::Nil;
        while let Ok(Some((key, _))) = t.next(&k) {
            t.set(key.clone(), Value::Nil).unwrap();
            k = key;
        }
        assert!(keys(&t).is_empty());
    }

    #[test]
    fn border_with_holes() {
        let mut t = Table::new(0, 0);
        for i in [1, 2, 3, 5] {
            t.set_int(i, Value::Number(1.0)).unwrap();
        }
        // What PUC Lua 5.1 prints for the same assignments (5 went to the hash part).
        assert_eq!(t.length(), 3);
        let mut t = Table::new(4, 0);
        t.set_int(1, Value::Number(1.0)).unwrap();
        t.set_int(2, Value::Number(1.0)).unwrap();
        t.set_int(4, Value::Number(1.0)).unwrap();
        assert_eq!(t.length(), 4);
    }

    #[test]
    fn constructor_sizes() {
        assert_eq!(constructor_size(3), 3);
        assert_eq!(constructor_size(17), 18);
        assert_eq!(constructor_size(100), 104);
    }
}
