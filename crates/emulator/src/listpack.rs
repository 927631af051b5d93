//! Redis's `listpack` byte format (listpack.c), written and read as a whole.
//!
//! The emulator keeps its collections in Rust structures, not in listpacks; this module
//! exists for DUMP/RESTORE, whose payloads embed the listpacks Redis would hold (hash,
//! sorted set and list nodes, stream nodes). Building one from the elements gives the
//! exact bytes Redis has, because a listpack is a canonical encoding of its elements:
//! every element picks the smallest encoding for its value, whatever edits led there.
//!
//! Layout: total bytes (u32 LE), element count (u16 LE, 65535 = "count them"), the
//! elements, 0xFF. Each element: an encoding byte (with the length or the small integer
//! in it), the data, then a back-length (the size of encoding + data, 7 bits a byte)
//! that lets Redis walk backwards.

/// An element read back from a listpack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Element {
    Int(i64),
    Str(Vec<u8>),
}

impl Element {
    /// The element as Redis hands it to commands: integers as their decimal text.
    pub fn into_bytes(self) -> Vec<u8> {
        match self {
            Element::Int(n) => n.to_string().into_bytes(),
            Element::Str(s) => s,
        }
    }

    /// The integer value, for the integer fields of stream nodes (a string that reads as
    /// an integer counts, as `lpGetInteger` accepts it).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Element::Int(n) => Some(*n),
            Element::Str(s) => crate::args::parse_i64(s),
        }
    }
}

/// Bytes of the header (total bytes, element count) plus the end marker.
const EMPTY_SIZE: usize = 7;
/// The element count Redis stores when there are too many to count in 16 bits.
const COUNT_UNKNOWN: u16 = u16::MAX;
const END: u8 = 0xff;

/// A listpack under construction.
pub struct Builder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    pub fn new() -> Self {
        Builder {
            buf: vec![0; 6],
            count: 0,
        }
    }

    /// Appends a string element; a canonical integer is stored as an integer, as
    /// `lpAppend` does (`lpStringToInt64` accepts exactly what `string2ll` does).
    pub fn push_str(&mut self, s: &[u8]) {
        if let Some(n) = crate::args::parse_i64(s) {
            return self.push_int(n);
        }
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf.push(0xe0 | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else {
            self.buf.push(0xf0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.finish_element(start);
    }

    /// Appends an integer element in the smallest encoding that holds it.
    pub fn push_int(&mut self, n: i64) {
        let start = self.buf.len();
        match n {
            0..=127 => self.buf.push(n as u8),
            -4096..=4095 => {
                let u = (n as u64) & 0x1fff;
                self.buf.push(0xc0 | (u >> 8) as u8);
                self.buf.push(u as u8);
            }
            -32768..=32767 => {
                self.buf.push(0xf1);
                self.buf.extend_from_slice(&(n as i16).to_le_bytes());
            }
            -8388608..=8388607 => {
                self.buf.push(0xf2);
                self.buf.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
            }
            -2147483648..=2147483647 => {
                self.buf.push(0xf3);
                self.buf.extend_from_slice(&(n as i32).to_le_bytes());
            }
            _ => {
                self.buf.push(0xf4);
                self.buf.extend_from_slice(&n.to_le_bytes());
            }
        }
        self.finish_element(start);
    }

    fn finish_element(&mut self, start: usize) {
        let len = self.buf.len() - start;
        write_backlen(&mut self.buf, len);
        self.count += 1;
    }

    /// The finished listpack.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(END);
        let total = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        let count = if self.count < COUNT_UNKNOWN as usize {
            self.count as u16
        } else {
            COUNT_UNKNOWN
        };
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// `lpEncodeBacklen`: the size of the element, most significant 7 bits first; every byte
/// but the first has its high bit set, so it can be read from its end.
fn write_backlen(out: &mut Vec<u8>, len: usize) {
    let groups = backlen_size(len);
    for i in (0..groups).rev() {
        let bits = ((len >> (7 * i)) & 0x7f) as u8;
        out.push(if i == groups - 1 { bits } else { bits | 0x80 });
    }
}

fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// The bytes an integer element takes in a listpack (encoding and back-length).
pub fn int_entry_size(n: i64) -> usize {
    let enc = match n {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8388608..=8388607 => 4,
        -2147483648..=2147483647 => 5,
        _ => 9,
    };
    enc + backlen_size(enc)
}

/// The bytes a string element takes in a listpack (what a quicklist or stream node grows
/// by): integers in canonical form are stored as integers (lpStringToInt64 accepts what
/// `string2ll` does).
pub fn str_entry_size(s: &[u8]) -> usize {
    if let Some(n) = crate::args::parse_i64(s) {
        return int_entry_size(n);
    }
    let len = s.len();
    let enc = len
        + if len < 64 {
            1
        } else if len < 4096 {
            2
        } else {
            5
        };
    enc + backlen_size(enc)
}

/// The size of an empty listpack.
pub const fn empty_size() -> usize {
    EMPTY_SIZE
}

/// Reads every element of a listpack, checking its whole structure (`lpValidateIntegrity`
/// with deep checks): the header's size, each element's encoding, data and back-length,
/// the count, the end marker. None if anything is off: the bytes come from a payload.
pub fn decode(lp: &[u8]) -> Option<Vec<Element>> {
    if lp.len() < EMPTY_SIZE {
        return None;
    }
    let total = u32::from_le_bytes(lp[..4].try_into().ok()?) as usize;
    let count = u16::from_le_bytes(lp[4..6].try_into().ok()?);
    if total != lp.len() || lp[total - 1] != END {
        return None;
    }
    let body = &lp[..total - 1];
    let mut pos = 6;
    let mut out = Vec::new();
    while pos < body.len() {
        let start = pos;
        let (element, next) = read_element(body, pos)?;
        let len = next - start;
        let mut back = Vec::with_capacity(5);
        write_backlen(&mut back, len);
        if body.get(next..next + back.len())? != back.as_slice() {
            return None;
        }
        pos = next + back.len();
        out.push(element);
    }
    if count != COUNT_UNKNOWN && count as usize != out.len() {
        return None;
    }
    Some(out)
}

/// One element's encoding and data at `pos`: the element and the offset past its data.
fn read_element(buf: &[u8], pos: usize) -> Option<(Element, usize)> {
    let first = *buf.get(pos)?;
    let bytes = |from: usize, n: usize| buf.get(from..from.checked_add(n)?);
    let signed = |raw: &[u8]| -> i64 {
        let mut b = [0u8; 8];
        b[..raw.len()].copy_from_slice(raw);
        let shift = 64 - 8 * raw.len() as u32;
        (i64::from_le_bytes(b) << shift) >> shift
    };
    let string = |from: usize, n: usize| -> Option<(Element, usize)> {
        Some((Element::Str(bytes(from, n)?.to_vec()), from + n))
    };
    if first & 0x80 == 0 {
        return Some((Element::Int((first & 0x7f) as i64), pos + 1));
    }
    if first & 0xc0 == 0x80 {
        return string(pos + 1, (first & 0x3f) as usize);
    }
    if first & 0xe0 == 0xc0 {
        let u = (((first & 0x1f) as u64) << 8) | *buf.get(pos + 1)? as u64;
        // A 13-bit two's complement number.
        let n = if u >= 1 << 12 {
            u as i64 - (1 << 13)
        } else {
            u as i64
        };
        return Some((Element::Int(n), pos + 2));
    }
    if first & 0xf0 == 0xe0 {
        let len = (((first & 0x0f) as usize) << 8) | *buf.get(pos + 1)? as usize;
        return string(pos + 2, len);
    }
    match first {
        0xf0 => {
            let len = u32::from_le_bytes(bytes(pos + 1, 4)?.try_into().ok()?) as usize;
            string(pos + 5, len)
        }
        0xf1 => Some((Element::Int(signed(bytes(pos + 1, 2)?)), pos + 3)),
        0xf2 => Some((Element::Int(signed(bytes(pos + 1, 3)?)), pos + 4)),
        0xf3 => Some((Element::Int(signed(bytes(pos + 1, 4)?)), pos + 5)),
        0xf4 => Some((Element::Int(signed(bytes(pos + 1, 8)?)), pos + 9)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_encoding() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let ints = [
            0i64,
            127,
            128,
            -1,
            -4096,
            4095,
            4096,
            -32768,
            32767,
            40000,
            -8388608,
            8388607,
            8388608,
            i32::MIN as i64,
            i32::MAX as i64,
            i64::MIN,
            i64::MAX,
        ];
        let mut b = Builder::new();
        for n in ints {
            b.push_int(n);
        }
        b.push_str(b"hello");
        b.push_str(&mid);
        b.push_str(&long);
        b.push_str(b"-17");
        b.push_str(b"007");
        let lp = b.finish();
        let got = decode(&lp).expect("valid listpack");
        let mut want: Vec<Element> = ints.iter().map(|&n| Element::Int(n)).collect();
        want.push(Element::Str(b"hello".to_vec()));
        want.push(Element::Str(mid.clone()));
        want.push(Element::Str(long.clone()));
        want.push(Element::Int(-17));
        want.push(Element::Str(b"007".to_vec()));
        assert_eq!(got, want);
        // Sizes agree with what was written.
        let mut b = Builder::new();
        b.push_str(&mid);
        assert_eq!(b.finish().len(), empty_size() + str_entry_size(&mid));
    }

    #[test]
    fn known_bytes() {
        // What Redis holds for a hash {a: 1}: "a" as a 6-bit string, 1 as a 7-bit uint.
        let mut b = Builder::new();
        b.push_str(b"a");
        b.push_str(b"1");
        assert_eq!(
            b.finish(),
            vec![0x0c, 0, 0, 0, 2, 0, 0x81, b'a', 2, 0x01, 1, 0xff]
        );
    }

    #[test]
    fn corrupt_listpacks_are_refused() {
        let mut b = Builder::new();
        b.push_str(b"abc");
        b.push_int(1000);
        let lp = b.finish();
        for i in 0..lp.len() {
            let mut bad = lp.clone();
            bad[i] ^= 0x40;
            // Flipping a data byte of "abc" or of the integer's low byte keeps a valid
            // listpack; anything else breaks it.
            if (7..10).contains(&i) || i == 12 {
                continue;
            }
            assert_eq!(decode(&bad), None, "byte {i}");
        }
        assert_eq!(decode(&lp[..lp.len() - 1]), None);
    }
}
