//! `struct`: Roberto Ierusalimschy's struct library (lua_struct.c) as Redis builds it on
//! x86-64: `long` and `size_t` are 8 bytes, `int` 4, `short` 2, the native order is little
//! endian and the largest alignment `!` allows by default is 8.
//!
//! Formats: `>` `<` (byte order), `!n` (alignment), `x` (a zero byte), `b B h H l L T i I in`
//! (integers, upper case unsigned), `f d` (floats), `s` (zero-terminated string), `cn`
//! (fixed-size string; `c0` takes its size from the string or the previous result).
//!
//! Open with [`open`]: sets the global `struct`.

use super::{arg_data, c_llong, data_number, Args, Data, Failure, R};
use crate::value::Value;
use crate::vm::Vm;

/// The largest integer an `in` format may have.
const MAX_INT_SIZE: usize = 32;
/// The default of `!` without a number.
const MAX_ALIGN: usize = 8;

#[derive(Clone, Copy, PartialEq)]
enum Endian {
    Big,
    Little,
}

struct Header {
    endian: Endian,
    align: usize,
}

impl Header {
    fn new() -> Header {
        Header {
            endian: Endian::Little,
            align: 1,
        }
    }
}

/// A format string being read, option by option.
struct Format<'a> {
    fmt: &'a [u8],
    pos: usize,
}

impl Format<'_> {
    fn next_option(&mut self) -> Option<u8> {
        // The format is a C string: a zero byte ends it.
        let c = *self.fmt.get(self.pos)?;
        if c == 0 {
            return None;
        }
        self.pos += 1;
        Some(c)
    }

    /// A number following the option, or `default`.
    fn number(&mut self, default: usize) -> Result<usize, Failure> {
        if !self.fmt.get(self.pos).is_some_and(|c| c.is_ascii_digit()) {
            return Ok(default);
        }
        let mut a: i64 = 0;
        while let Some(c) = self.fmt.get(self.pos).filter(|c| c.is_ascii_digit()) {
            let d = (c - b'0') as i64;
            if a > (i32::MAX as i64) / 10 || a * 10 > (i32::MAX as i64) - d {
                return Err(Failure::error("integral size overflow"));
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a as usize)
    }

    /// The size of option `opt` (0 for options without data).
    fn size(&mut self, opt: u8) -> Result<usize, Failure> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let size = self.number(4)?;
                if size > MAX_INT_SIZE {
                    return Err(Failure::Error(format!(
                        "integral size {size} is larger than limit of {MAX_INT_SIZE}"
                    )));
                }
                size
            }
            _ => 0,
        })
    }

    /// The options that only change the header: spaces, `>`, `<`, `!n`; anything else is
    /// an invalid option.
    fn control(&mut self, opt: u8, h: &mut Header) -> Result<(), Failure> {
        match opt {
            b' ' => {}
            b'>' => h.endian = Endian::Big,
            b'<' => h.endian = Endian::Little,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                if a == 0 || a & (a - 1) != 0 {
                    return Err(Failure::Error(format!("alignment {a} is not a power of 2")));
                }
                h.align = a;
            }
            _ => {
                return Err(Failure::Arg(
                    1,
                    format!("invalid format option '{}'", opt as char),
                ))
            }
        }
        Ok(())
    }
}

/// Padding before an item of `size` bytes at offset `len` (the C library's arithmetic,
/// sizes that are not powers of two included).
fn padding(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size.wrapping_sub(len & (size - 1))) & (size - 1)
}

fn ordered(mut bytes: Vec<u8>, endian: Endian) -> Vec<u8> {
    if endian == Endian::Big {
        bytes.reverse();
    }
    bytes
}

/// `struct.pack(fmt, ...)`: `args` are the values after the format.
pub fn pack(fmt: &[u8], args: &[Data]) -> Result<Vec<u8>, Failure> {
    // Argument numbers in messages count the format as #1.
    let mut all = vec![Data::Nil];
    all.extend_from_slice(args);
    // The C function pushes a nil after its arguments: the first missing one is "nil".
    all.push(Data::Nil);
    let args = Args { args: &all };
    let mut f = Format { fmt, pos: 0 };
    let mut h = Header::new();
    let mut out = Vec::new();
    let mut arg = 1;
    while let Some(opt) = f.next_option() {
        let mut size = f.size(opt)?;
        let pad = padding(out.len(), &h, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = args.number(arg)?;
                arg += 1;
                let mut value: u64 = if n < 0.0 {
                    c_llong(n) as u64
                } else {
                    c_ullong(n)
                };
                let mut bytes = Vec::with_capacity(size);
                for _ in 0..size {
                    bytes.push((value & 0xff) as u8);
                    value >>= 8;
                }
                out.extend(ordered(bytes, h.endian));
            }
            b'x' => out.push(0),
            b'f' => {
                let n = args.number(arg)? as f32;
                arg += 1;
                out.extend(ordered(n.to_le_bytes().to_vec(), h.endian));
            }
            b'd' => {
                let n = args.number(arg)?;
                arg += 1;
                out.extend(ordered(n.to_le_bytes().to_vec(), h.endian));
            }
            b'c' | b's' => {
                let s = args.string(arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // The C code has already moved past the argument when it checks.
                    return Err(Failure::arg(arg + 1, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(opt, &mut h)?,
        }
    }
    Ok(out)
}

/// C's `(unsigned long)` of a non-negative double on x86-64 (0 past the range).
fn c_ullong(d: f64) -> u64 {
    if d.is_nan() {
        1 << 63
    } else if d < TWO_64 {
        d as u64
    } else {
        0
    }
}

const TWO_64: f64 = 18_446_744_073_709_551_616.0;

/// `struct.unpack(fmt, data [, pos])`: the values and the position after them (1-based).
pub fn unpack(fmt: &[u8], data: &[u8], init: i64) -> Result<(Vec<Data>, i64), Failure> {
    if init == 0 {
        return Err(Failure::arg(3, "offset must be 1 or greater"));
    }
    // A negative offset is a huge unsigned one in C: past any data.
    let mut pos: usize = if init < 0 {
        usize::MAX / 2
    } else {
        (init - 1) as usize
    };
    let too_short = || Failure::arg(2, "data string too short");
    let ld = data.len();
    let mut f = Format { fmt, pos: 0 };
    let mut h = Header::new();
    let mut out: Vec<Data> = Vec::new();
    while let Some(opt) = f.next_option() {
        let mut size = f.size(opt)?;
        pos = pos.saturating_add(padding(pos, &h, opt, size));
        if size > ld || pos > ld - size {
            return Err(too_short());
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let bytes = &data[pos..pos + size];
                out.push(Data::Number(integer(
                    bytes,
                    h.endian,
                    opt.is_ascii_lowercase(),
                )));
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                let v = if h.endian == Endian::Big {
                    f32::from_be_bytes(b)
                } else {
                    f32::from_le_bytes(b)
                };
                out.push(Data::Number(v as f64));
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                let v = if h.endian == Endian::Big {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                };
                out.push(Data::Number(v));
            }
            b'c' => {
                if size == 0 {
                    let previous = out.last().and_then(data_number);
                    let Some(n) = previous else {
                        return Err(Failure::error("format 'c0' needs a previous size"));
                    };
                    out.pop();
                    size = if n < 0.0 { usize::MAX } else { n as usize };
                    if size > ld || pos > ld - size {
                        return Err(too_short());
                    }
                }
                out.push(Data::Str(data[pos..pos + size].to_vec()));
            }
            b's' => {
                let Some(end) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(Failure::error("unfinished string in data"));
                };
                out.push(Data::Str(data[pos..pos + end].to_vec()));
                size = end + 1;
            }
            _ => f.control(opt, &mut h)?,
        }
        pos += size;
    }
    Ok((out, pos as i64 + 1))
}

/// An integer of `bytes` (only the 8 least significant bytes count, as in a C `long`).
fn integer(bytes: &[u8], endian: Endian, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let ordered: Vec<u8> = match endian {
        Endian::Big => bytes.to_vec(),
        Endian::Little => bytes.iter().rev().copied().collect(),
    };
    for b in ordered {
        l = (l << 8) | b as u64;
    }
    if !signed {
        return l as f64;
    }
    // x86 shifts by the count modulo 64, which `wrapping_shl` reproduces.
    let mask = u64::MAX.wrapping_shl((bytes.len() * 8).wrapping_sub(1) as u32);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

/// `struct.size(fmt)`.
pub fn size(fmt: &[u8]) -> Result<i64, Failure> {
    let mut f = Format { fmt, pos: 0 };
    let mut h = Header::new();
    let mut pos: usize = 0;
    while let Some(opt) = f.next_option() {
        let size = f.size(opt)?;
        pos += padding(pos, &h, opt, size);
        if opt == b's' {
            return Err(Failure::arg(1, "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(Failure::arg(1, "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            f.control(opt, &mut h)?;
        }
        pos = pos.saturating_add(size);
    }
    Ok(pos as i64)
}

/// What `struct.<name>` returns, as data.
fn run(name: &str, all: &[Data]) -> Result<Vec<Data>, Failure> {
    let args = Args { args: all };
    let fmt = args.string(0)?;
    match name {
        "pack" => pack(&fmt, all.get(1..).unwrap_or(&[])).map(|b| vec![Data::Str(b)]),
        "unpack" => {
            let data = args.string(1)?;
            let init = args.opt_integer(2, 1)?;
            let (mut values, next) = unpack(&fmt, &data, init)?;
            values.push(Data::Number(next as f64));
            Ok(values)
        }
        _ => size(&fmt).map(|n| vec![Data::Number(n as f64)]),
    }
}

/// Runs `struct.<name>` as a native.
fn call(vm: &mut Vm, args: &[Value], name: &str) -> R {
    let all = arg_data(vm, args);
    let values = run(name, &all).map_err(|f| f.raise(vm))?;
    super::returns(vm, &values, &Value::Nil)
}

fn lua_pack(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "pack")
}

fn lua_unpack(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "unpack")
}

fn lua_size(vm: &mut Vm, args: Vec<Value>) -> R {
    call(vm, &args, "size")
}

/// Sets the global `struct`.
pub fn open(vm: &mut Vm) {
    let t = super::library(
        vm,
        &[
            ("pack", lua_pack),
            ("unpack", lua_unpack),
            ("size", lua_size),
        ],
        &[],
    );
    vm.set_global("struct", Value::Table(t));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: f64) -> Data {
        Data::Number(v)
    }

    #[test]
    fn pack_integers_in_both_orders() {
        assert_eq!(pack(b">i", &[n(1.0)]).unwrap(), vec![0, 0, 0, 1]);
        assert_eq!(pack(b"<h", &[n(-2.0)]).unwrap(), vec![0xfe, 0xff]);
        assert_eq!(
            pack(b">I3", &[n(65536.0 * 2.0 + 1.0)]).unwrap(),
            vec![2, 0, 1]
        );
        assert_eq!(pack(b"bxb", &[n(1.0), n(2.0)]).unwrap(), vec![1, 0, 2]);
    }

    #[test]
    fn alignment_pads_to_the_item_size_up_to_the_limit() {
        assert_eq!(
            pack(b"!4 b i", &[n(1.0), n(2.0)]).unwrap(),
            vec![1, 0, 0, 0, 2, 0, 0, 0]
        );
        assert_eq!(size(b"!b d").unwrap(), 16);
        assert_eq!(size(b"!2 b d").unwrap(), 10);
        assert_eq!(size(b"b d").unwrap(), 9);
    }

    #[test]
    fn strings() {
        assert_eq!(
            pack(b"s", &[Data::Str(b"ab".to_vec())]).unwrap(),
            b"ab\0".to_vec()
        );
        assert_eq!(
            pack(b"c3", &[Data::Str(b"abcd".to_vec())]).unwrap(),
            b"abc".to_vec()
        );
        assert_eq!(
            pack(b"c5", &[Data::Str(b"ab".to_vec())])
                .unwrap_err()
                .text("pack"),
            "bad argument #3 to 'pack' (string too short)"
        );
        let (values, next) = unpack(b"bc0", b"\x03abcz", 1).unwrap();
        assert_eq!(values, vec![Data::Str(b"abc".to_vec())]);
        assert_eq!(next, 5);
        assert_eq!(
            unpack(b"s", b"abc", 1).unwrap_err().text("?"),
            "unfinished string in data"
        );
    }

    #[test]
    fn unpack_reads_back_what_pack_wrote() {
        let bytes = pack(b">i2 d f L", &[n(-3.0), n(1.5), n(0.25), n(1e10)]).unwrap();
        let (values, next) = unpack(b">i2 d f L", &bytes, 1).unwrap();
        assert_eq!(values, vec![n(-3.0), n(1.5), n(0.25), n(1e10)]);
        assert_eq!(next as usize, bytes.len() + 1);
    }

    #[test]
    fn errors() {
        assert_eq!(
            pack(b"y", &[]).unwrap_err().text("pack"),
            "bad argument #1 to 'pack' (invalid format option 'y')"
        );
        assert_eq!(
            unpack(b"i", b"ab", 1).unwrap_err().text("unpack"),
            "bad argument #2 to 'unpack' (data string too short)"
        );
        assert_eq!(
            size(b"i33").unwrap_err().text("?"),
            "integral size 33 is larger than limit of 32"
        );
        assert_eq!(
            size(b"!3").unwrap_err().text("?"),
            "alignment 3 is not a power of 2"
        );
        assert_eq!(
            size(b"i99999999999").unwrap_err().text("?"),
            "integral size overflow"
        );
        assert_eq!(
            unpack(b"c0", b"ab", 1).unwrap_err().text("?"),
            "format 'c0' needs a previous size"
        );
    }
}
