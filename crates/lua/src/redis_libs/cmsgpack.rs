//! `cmsgpack`: lua-cmsgpack 0.4.0 (lua_cmsgpack.c) as Redis builds it for Lua 5.1.
//!
//! Packing follows the C library's choices, not the smallest MessagePack: a number that is
//! a whole 64-bit integer is packed as an integer, any other as a float32 when it survives
//! the round trip through `float`, else as a float64; a table is an array when its keys are
//! exactly 1..n (the empty table too), else a map (pairs in `lua_next` order); tables
//! nested 16 deep are packed as nil. Unpacking gives numbers as doubles (uint64 above 2^63
//! wraps negative, as in C).
//!
//! Open with [`open`]: sets the global `cmsgpack`.

use super::{arg_data, c_llong, to_data, Args, Data, Failure, MAX_BYTES, R};
use crate::value::Value;
use crate::vm::{NativeReturn, Vm};

/// Tables this deep (the argument being level 0) are packed as nil.
pub const MAX_NESTING: usize = 16;

/// Packs one value at nesting `level`.
pub fn pack_value(out: &mut Vec<u8>, d: &Data, level: usize) {
    match d {
        Data::Str(s) => pack_bytes(out, s),
        Data::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Data::Number(n) => pack_number(out, *n),
        Data::Table(pairs) if level < MAX_NESTING => {
            if is_array(pairs) {
                pack_header(out, pairs.len() as u64, 0x90, 0xdc, 0xdd);
                let mut items: Vec<(i64, &Data)> = pairs
                    .iter()
                    .filter_map(|(k, v)| Some((key_index(k)?, v)))
                    .collect();
                items.sort_by_key(|(i, _)| *i);
                for (_, v) in items {
                    pack_value(out, v, level + 1);
                }
            } else {
                pack_header(out, pairs.len() as u64, 0x80, 0xde, 0xdf);
                for (k, v) in pairs {
                    pack_value(out, k, level + 1);
                    pack_value(out, v, level + 1);
                }
            }
        }
        _ => out.push(0xc0),
    }
}

/// A key that is a whole number fitting a C `int` and at least 1.
fn key_index(k: &Data) -> Option<i64> {
    match k {
        Data::Number(n) if *n > 0.0 && n.fract() == 0.0 && *n <= i32::MAX as f64 => Some(*n as i64),
        _ => None,
    }
}

/// The keys are 1..n with no hole (the largest key equals the number of keys).
fn is_array(pairs: &[(Data, Data)]) -> bool {
    let mut max = 0;
    for (k, _) in pairs {
        match key_index(k) {
            Some(i) => max = max.max(i),
            None => return false,
        }
    }
    max == pairs.len() as i64
}

fn pack_header(out: &mut Vec<u8>, n: u64, fix: u8, x16: u8, x32: u8) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(x16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(x32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn pack_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.push(0xd9);
        out.push(len as u8);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn pack_number(out: &mut Vec<u8>, n: f64) {
    // `(int64_t)n == n` in C on x86-64 (out of range converts to INT64_MIN).
    if n.is_finite() && c_llong(n) as f64 == n {
        pack_int(out, c_llong(n));
    } else {
        let f = n as f32;
        if f as f64 == n {
            out.push(0xca);
            out.extend_from_slice(&f.to_be_bytes());
        } else {
            out.push(0xcb);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

fn pack_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// Why unpacking stopped.
#[derive(Debug, PartialEq)]
pub enum UnpackError {
    Missing,
    BadFormat,
    /// Lua's C stack is full: too deep arrays...
    DeepArray,
    /// ...or too many values (or too deep maps).
    TooMany,
    /// A map key Lua cannot store (`lua_settable`'s error, raised while decoding).
    BadKey(&'static str),
}

impl UnpackError {
    pub fn text(&self) -> &'static str {
        match self {
            UnpackError::Missing => "Missing bytes in input.",
            UnpackError::BadFormat => "Bad data format in input.",
            UnpackError::DeepArray => "stack overflow (in function mp_decode_to_lua_array)",
            UnpackError::TooMany => "stack overflow (too many return values at once; use unpack_one or unpack_limit instead.)",
            UnpackError::BadKey(msg) => msg,
        }
    }

    /// How Lua raises it: the C library's own errors with `luaL_error`, a bad key as the
    /// Lua core does (without position).
    pub fn failure(&self) -> Failure {
        match self {
            UnpackError::BadKey(msg) => Failure::Plain(msg.to_string()),
            other => Failure::error(other.text()),
        }
    }
}

/// A cursor over the input.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], UnpackError> {
        if self.left() < n {
            return Err(UnpackError::Missing);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> Result<u64, UnpackError> {
        Ok(self.take(n)?.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
    }

    /// Checks that `n` more bytes exist (for a header and its length) without reading them.
    fn need(&self, n: usize) -> Result<(), UnpackError> {
        if self.left() < n {
            Err(UnpackError::Missing)
        } else {
            Ok(())
        }
    }
}

/// How deep arrays and maps may nest when unpacking. Redis's Lua stack (8000 slots) allows
/// about 4000 nested arrays; the emulator stops earlier, to bound its own recursion.
const MAX_UNPACK_DEPTH: usize = 1000;
/// The most values one call may return (Lua 5.1's LUAI_MAXCSTACK is 8000 slots).
const MAX_RESULTS: usize = 7999;

fn unpack_value(c: &mut Cursor, depth: usize) -> Result<Data, UnpackError> {
    c.need(1)?;
    let tag = c.data[c.pos];
    let number = |n: f64| Ok(Data::Number(n));
    match tag {
        0xca..=0xd3 => {
            let size = match tag {
                0xcc | 0xd0 => 1,
                0xcd | 0xd1 => 2,
                0xce | 0xd2 | 0xca => 4,
                _ => 8,
            };
            c.need(1 + size)?;
            c.pos += 1;
            let v = c.uint(size)?;
            match tag {
                0xcc..=0xce => number(v as f64),
                0xd0 => number(v as u8 as i8 as f64),
                0xd1 => number(v as u16 as i16 as f64),
                0xd2 => number(v as u32 as i32 as f64),
                // lua_pushinteger of a uint64: wraps to negative above 2^63.
                0xcf | 0xd3 => number(v as i64 as f64),
                0xca => number(f32::from_bits(v as u32) as f64),
                _ => number(f64::from_bits(v)),
            }
        }
        0xc0 => {
            c.pos += 1;
            Ok(Data::Nil)
        }
        0xc2 | 0xc3 => {
            c.pos += 1;
            Ok(Data::Bool(tag == 0xc3))
        }
        0xd9..=0xdb => {
            let size = match tag {
                0xd9 => 1,
                0xda => 2,
                _ => 4,
            };
            c.need(1 + size)?;
            let len = {
                let header = &c.data[c.pos + 1..c.pos + 1 + size];
                header.iter().fold(0usize, |a, &b| (a << 8) | b as usize)
            };
            c.need((1 + size).saturating_add(len))?;
            c.pos += 1 + size;
            Ok(Data::Str(c.take(len)?.to_vec()))
        }
        0xdc..=0xdf => {
            let size = if tag == 0xdc || tag == 0xde { 2 } else { 4 };
            c.need(1 + size)?;
            c.pos += 1;
            let n = c.uint(size)? as usize;
            if tag == 0xdc || tag == 0xdd {
                unpack_array(c, n, depth)
            } else {
                unpack_map(c, n, depth)
            }
        }
        t if t & 0x80 == 0 => {
            c.pos += 1;
            number(t as f64)
        }
        t if t & 0xe0 == 0xe0 => {
            c.pos += 1;
            number(t as i8 as f64)
        }
        t if t & 0xe0 == 0xa0 => {
            let len = (t & 0x1f) as usize;
            c.need(1 + len)?;
            c.pos += 1;
            Ok(Data::Str(c.take(len)?.to_vec()))
        }
        t if t & 0xf0 == 0x90 => {
            c.pos += 1;
            unpack_array(c, (t & 0xf) as usize, depth)
        }
        t if t & 0xf0 == 0x80 => {
            c.pos += 1;
            unpack_map(c, (t & 0xf) as usize, depth)
        }
        _ => Err(UnpackError::BadFormat),
    }
}

fn unpack_array(c: &mut Cursor, n: usize, depth: usize) -> Result<Data, UnpackError> {
    if depth >= MAX_UNPACK_DEPTH {
        return Err(UnpackError::DeepArray);
    }
    // Every item takes at least one byte: a count beyond the input cannot be complete.
    let mut pairs = Vec::with_capacity(n.min(c.left()));
    for i in 0..n {
        let v = unpack_value(c, depth + 1)?;
        pairs.push((Data::Number((i + 1) as f64), v));
    }
    Ok(Data::Table(pairs))
}

fn unpack_map(c: &mut Cursor, n: usize, depth: usize) -> Result<Data, UnpackError> {
    if depth >= MAX_UNPACK_DEPTH {
        return Err(UnpackError::TooMany);
    }
    let mut pairs = Vec::with_capacity(n.min(c.left()));
    for _ in 0..n {
        let k = unpack_value(c, depth + 1)?;
        let v = unpack_value(c, depth + 1)?;
        // The C library stores each pair as soon as it is decoded: a bad key fails there.
        match k {
            Data::Nil => return Err(UnpackError::BadKey("table index is nil")),
            Data::Number(n) if n.is_nan() => return Err(UnpackError::BadKey("table index is NaN")),
            _ => {}
        }
        pairs.push((k, v));
    }
    Ok(Data::Table(pairs))
}

/// Unpacks up to `limit` values (all of them when `limit` is `None`) starting at `offset`;
/// returns them and the offset after them (`-1` at the end of the input).
pub fn unpack(
    data: &[u8],
    limit: Option<usize>,
    offset: usize,
) -> Result<(Vec<Data>, i64), UnpackError> {
    let mut c = Cursor {
        data,
        pos: offset.min(data.len()),
    };
    let mut values = Vec::new();
    while c.left() > 0 && limit.is_none_or(|l| values.len() < l) {
        if values.len() >= MAX_RESULTS {
            return Err(UnpackError::TooMany);
        }
        values.push(unpack_value(&mut c, 0)?);
    }
    let next = if c.left() == 0 { -1 } else { c.pos as i64 };
    Ok((values, next))
}

/// Sets the global `cmsgpack`.
pub fn open(vm: &mut Vm) {
    let t = super::library(
        vm,
        &[
            ("pack", lua_pack),
            ("unpack", lua_unpack),
            ("unpack_one", lua_unpack_one),
            ("unpack_limit", lua_unpack_limit),
        ],
        &[
            ("_NAME", "cmsgpack"),
            ("_VERSION", "lua-cmsgpack 0.4.0"),
            ("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"),
            ("_DESCRIPTION", "MessagePack C implementation for Lua"),
        ],
    );
    vm.set_global("cmsgpack", Value::Table(t));
}

fn lua_pack(vm: &mut Vm, args: Vec<Value>) -> R {
    pack_call(vm, &args).map_err(|f| f.raise(vm))
}

fn pack_call(vm: &mut Vm, args: &[Value]) -> Result<NativeReturn, Failure> {
    if args.is_empty() {
        return Err(Failure::arg(0, "MessagePack pack needs input."));
    }
    let mut out = Vec::new();
    for v in args {
        let d = to_data(vm, v, MAX_NESTING)?;
        pack_value(&mut out, &d, 0);
        if out.len() > MAX_BYTES {
            return Err(super::out_of_memory());
        }
    }
    Ok(NativeReturn::Values(vec![vm.new_string(&out)]))
}

fn lua_unpack(vm: &mut Vm, args: Vec<Value>) -> R {
    unpack_call(vm, &args, "unpack")
}

fn lua_unpack_one(vm: &mut Vm, args: Vec<Value>) -> R {
    unpack_call(vm, &args, "unpack_one")
}

fn lua_unpack_limit(vm: &mut Vm, args: Vec<Value>) -> R {
    unpack_call(vm, &args, "unpack_limit")
}

/// The three unpack functions: all values, one (after an offset), or up to a limit.
fn unpack_call(vm: &mut Vm, args: &[Value], name: &str) -> R {
    let values = unpack_values(vm, args, name).map_err(|f| f.raise(vm))?;
    super::returns(vm, &values, &Value::Nil)
}

/// What an unpack function returns, as data: the next offset first unless all was asked.
fn unpack_values(vm: &Vm, args: &[Value], name: &str) -> Result<Vec<Data>, Failure> {
    let all = arg_data(vm, args);
    let args = Args { args: &all };
    // The limit and the offset are read before the input, as in C.
    let (limit, offset) = match name {
        "unpack" => (0, 0),
        "unpack_one" => (1, args.opt_integer(1, 0)?),
        _ => (c_llong(args.number(1)?), args.opt_integer(2, 0)?),
    };
    let data = args.string(0)?;
    let len = data.len() as i64;
    if offset < 0 || limit < 0 {
        // The C library prints the input's length where it means the limit.
        let msg = format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        );
        return Err(Failure::Error(msg));
    }
    if offset > len {
        let msg = format!(
            "Start offset {} greater than input length {}.",
            offset as i32, len as i32
        );
        return Err(Failure::Error(msg));
    }
    let decode_all = limit == 0 && offset == 0;
    let limit = if decode_all {
        None
    } else {
        Some(limit as usize)
    };
    let (values, next) = unpack(&data, limit, offset as usize).map_err(|e| e.failure())?;
    let mut out = Vec::with_capacity(values.len() + 1);
    if !decode_all {
        out.push(Data::Number(next as f64));
    }
    out.extend(values);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(d: Data) -> Vec<u8> {
        let mut out = Vec::new();
        pack_value(&mut out, &d, 0);
        out
    }

    #[test]
    fn numbers_pick_the_c_encodings() {
        assert_eq!(packed(Data::Number(1.0)), vec![1]);
        assert_eq!(packed(Data::Number(-1.0)), vec![0xff]);
        assert_eq!(packed(Data::Number(200.0)), vec![0xcc, 200]);
        assert_eq!(packed(Data::Number(-200.0)), vec![0xd1, 0xff, 0x38]);
        assert_eq!(packed(Data::Number(1.5)), vec![0xca, 0x3f, 0xc0, 0, 0]);
        assert_eq!(packed(Data::Number(0.1))[0], 0xcb);
        assert_eq!(packed(Data::Number(f64::INFINITY))[0], 0xca);
        assert_eq!(packed(Data::Number(f64::NAN))[0], 0xcb);
        assert_eq!(packed(Data::Number(4294967296.0))[0], 0xcf);
    }

    #[test]
    fn tables_are_arrays_only_with_keys_one_to_n() {
        let arr = Data::Table(vec![
            (Data::Number(2.0), Data::Bool(true)),
            (Data::Number(1.0), Data::Bool(false)),
        ]);
        assert_eq!(packed(arr), vec![0x92, 0xc2, 0xc3]);
        assert_eq!(packed(Data::Table(vec![])), vec![0x90]);
        let map = Data::Table(vec![(Data::Str(b"a".to_vec()), Data::Number(1.0))]);
        assert_eq!(packed(map), vec![0x81, 0xa1, b'a', 1]);
    }

    #[test]
    fn unpack_errors() {
        assert_eq!(unpack(b"\xc1", None, 0), Err(UnpackError::BadFormat));
        assert_eq!(unpack(b"\xcd\x01", None, 0), Err(UnpackError::Missing));
        assert_eq!(unpack(b"\x92\x01", None, 0), Err(UnpackError::Missing));
        assert_eq!(
            unpack(b"\xdd\xff\xff\xff\xff", None, 0),
            Err(UnpackError::Missing)
        );
        // 1000 levels of recursion: more than a test thread's stack holds in a debug build.
        let deep = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(|| unpack(&[0x91; 5000], None, 0));
        assert_eq!(deep.unwrap().join().unwrap(), Err(UnpackError::DeepArray));
        assert_eq!(unpack(&[1; 8000], None, 0), Err(UnpackError::TooMany));
        assert_eq!(unpack(&[1; 7999], None, 0).map(|(v, _)| v.len()), Ok(7999));
        assert_eq!(
            unpack(b"\x81\xc0\x01\xc1", None, 0),
            Err(UnpackError::BadKey("table index is nil"))
        );
    }

    #[test]
    fn unpack_limit_and_offsets() {
        let (v, next) = unpack(b"\x01\x02\x03", Some(1), 1).unwrap();
        assert_eq!(v, vec![Data::Number(2.0)]);
        assert_eq!(next, 2);
        let (v, next) = unpack(b"\x01\x02\x03", Some(5), 1).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(next, -1);
        let (v, _) = unpack(b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff", None, 0).unwrap();
        assert_eq!(v, vec![Data::Number(-1.0)]);
    }
}
