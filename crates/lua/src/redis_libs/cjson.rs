//! `cjson`: Lua CJSON 2.1.0 (lua_cjson.c) as Redis 7.0 bundles it.
//!
//! Encoding: a table whose keys are all whole numbers of at least 1 is an array (up to its
//! largest key, holes as `null`) unless it is "excessively sparse" (its largest key above
//! both ratio x count and safe: an error by default); any other table, the empty one
//! included, is an object, its keys in `lua_next` order (Lua 5.1's table layout, so the
//! same order as Redis). Numbers print with `%.14g` (the configured precision), NaN and Inf
//! are refused, and `/` is escaped. Decoding follows the C tokenizer, its error texts and
//! its leniency: the input is a C string (a zero byte ends it), numbers are read by
//! `strtod` (so hex, `inf` and `nan` are accepted by default), `null` is `cjson.null`, a
//! NULL light userdata ([`NULL`]).
//!
//! The configuration functions change a state kept with the `cjson` table (a userdata bound
//! to its functions, as the C library binds its config), so it lasts as long as the VM: in
//! Redis a script's `cjson.encode_number_precision(3)` holds for the next scripts, until
//! SCRIPT FLUSH makes a new Lua state. `cjson.new()` gives a table with its own state.
//!
//! Open with [`open`]: sets the global `cjson`.

use std::cell::RefCell;

use super::{
    arg_data, c_llong, data_type, from_data, out_of_memory, to_data, Args, Data, Failure,
    MAX_BYTES, MAX_TABLE_DEPTH, NULL, R,
};
use crate::value::{TableRef, Value};
use crate::vm::{NativeReturn, Vm};

/// The configuration of one `cjson` table (json_config_t), with Redis's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub sparse_convert: bool,
    pub sparse_ratio: i32,
    pub sparse_safe: i32,
    pub encode_max_depth: i32,
    pub decode_max_depth: i32,
    /// 0 off (an error), 1 on (`nan`, `inf`), 2 `null`.
    pub encode_invalid_numbers: i32,
    pub encode_number_precision: i32,
    pub encode_keep_buffer: bool,
    pub decode_invalid_numbers: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            encode_number_precision: 14,
            encode_keep_buffer: true,
            decode_invalid_numbers: true,
        }
    }
}

// ===== Encoding =====

/// `cjson.encode` of a converted value.
pub fn encode(d: &Data, cfg: &Config) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    encode_value(&mut out, d, cfg, 0)?;
    Ok(out)
}

fn cannot(d: &Data, reason: &str) -> Failure {
    Failure::Error(format!("Cannot serialise {}: {reason}", data_type(d)))
}

/// The most bytes one encoding may produce (a sparse array with the check disabled can
/// ask for billions of `null`s): as much as the Lua heap may hold.
const MAX_OUTPUT: usize = MAX_BYTES;

fn encode_value(out: &mut Vec<u8>, d: &Data, cfg: &Config, depth: usize) -> Result<(), Failure> {
    if out.len() > MAX_OUTPUT {
        return Err(out_of_memory());
    }
    match d {
        Data::Str(s) => {
            let escaped: usize = s.iter().map(|&b| escape(b).map_or(1, |e| e.len())).sum();
            if out.len() + escaped > MAX_OUTPUT {
                return Err(out_of_memory());
            }
            encode_string(out, s)
        }
        Data::Number(n) => encode_number(out, *n, cfg, d)?,
        Data::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Data::Nil | Data::Null => out.extend_from_slice(b"null"),
        Data::Other(_) => return Err(cannot(d, "type not supported")),
        Data::Deep => {
            return Err(Failure::Error(format!(
                "Cannot serialise, excessive nesting ({})",
                depth + 1
            )))
        }
        Data::Table(pairs) => {
            let depth = depth + 1;
            if depth > cfg.encode_max_depth.max(0) as usize {
                return Err(Failure::Error(format!(
                    "Cannot serialise, excessive nesting ({depth})"
                )));
            }
            match array_length(pairs, cfg)? {
                Some(len) if len > 0 => {
                    let mut items: Vec<Option<&Data>> = Vec::new();
                    if len > MAX_OUTPUT / 5 {
                        return Err(out_of_memory());
                    }
                    items.resize(len, None);
                    for (k, v) in pairs {
                        if let Data::Number(k) = k {
                            items[*k as usize - 1] = Some(v);
                        }
                    }
                    out.push(b'[');
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        encode_value(out, item.unwrap_or(&Data::Nil), cfg, depth)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    for (i, (k, v)) in pairs.iter().enumerate() {
                        if i > 0 {
                            out.push(b',');
                        }
                        match k {
                            Data::Number(n) => {
                                out.push(b'"');
                                encode_number(out, *n, cfg, k)?;
                                out.extend_from_slice(b"\":");
                            }
                            Data::Str(s) => {
                                encode_string(out, s);
                                out.push(b':');
                            }
                            other => {
                                return Err(cannot(other, "table key must be a number or string"))
                            }
                        }
                        encode_value(out, v, cfg, depth)?;
                    }
                    out.push(b'}');
                }
            }
        }
    }
    Ok(())
}

/// The length of the array a table is (its largest key), `None` for an object.
fn array_length(pairs: &[(Data, Data)], cfg: &Config) -> Result<Option<usize>, Failure> {
    let mut max: f64 = 0.0;
    let mut items: f64 = 0.0;
    for (k, _) in pairs {
        match k {
            Data::Number(k) if *k != 0.0 && k.floor() == *k && *k >= 1.0 => {
                max = max.max(*k);
                items += 1.0;
            }
            _ => return Ok(None),
        }
    }
    let ratio = cfg.sparse_ratio as f64;
    if cfg.sparse_ratio > 0 && max > items * ratio && max > cfg.sparse_safe as f64 {
        if !cfg.sparse_convert {
            return Err(Failure::error(
                "Cannot serialise table: excessively sparse array",
            ));
        }
        return Ok(None);
    }
    if max > usize::MAX as f64 / 2.0 {
        return Err(out_of_memory());
    }
    Ok(Some(max as usize))
}

fn encode_number(out: &mut Vec<u8>, n: f64, cfg: &Config, d: &Data) -> Result<(), Failure> {
    match cfg.encode_invalid_numbers {
        0 if !n.is_finite() => return Err(cannot(d, "must not be NaN or Inf")),
        1 if n.is_nan() => {
            out.extend_from_slice(b"nan");
            return Ok(());
        }
        2 if !n.is_finite() => {
            out.extend_from_slice(b"null");
            return Ok(());
        }
        _ => {}
    }
    let precision = cfg.encode_number_precision.clamp(1, 14) as usize;
    out.extend_from_slice(crate::number::fmt_g(n, precision).as_bytes());
    Ok(())
}

/// How the encoder writes byte `b` when it escapes it.
fn escape(b: u8) -> Option<std::borrow::Cow<'static, [u8]>> {
    let fixed: &'static [u8] = match b {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        b'/' => b"\\/",
        b'\x08' => b"\\b",
        b'\t' => b"\\t",
        b'\n' => b"\\n",
        b'\x0c' => b"\\f",
        b'\r' => b"\\r",
        0..=0x1f | 0x7f => return Some(format!("\\u{:04x}", b).into_bytes().into()),
        _ => return None,
    };
    Some(fixed.into())
}

fn encode_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match escape(b) {
            Some(e) => out.extend_from_slice(&e),
            None => out.push(b),
        }
    }
    out.push(b'"');
}

// ===== Decoding =====

#[derive(Debug)]
enum Token {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str(Vec<u8>),
    Number(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Token {
    fn name(&self) -> &'static str {
        match self {
            Token::ObjBegin => "T_OBJ_BEGIN",
            Token::ObjEnd => "T_OBJ_END",
            Token::ArrBegin => "T_ARR_BEGIN",
            Token::ArrEnd => "T_ARR_END",
            Token::Str(_) => "T_STRING",
            Token::Number(_) => "T_NUMBER",
            Token::Bool(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(msg) => msg,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
    invalid_numbers: bool,
}

impl Parser<'_> {
    /// The byte at `i`, or 0 past the end (the input is a C string).
    fn at(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    /// The next token and where it starts (0-based).
    fn next(&mut self) -> (Token, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let ch = self.at(start);
        let single = match ch {
            b'{' => Some(Token::ObjBegin),
            b'}' => Some(Token::ObjEnd),
            b'[' => Some(Token::ArrBegin),
            b']' => Some(Token::ArrEnd),
            b',' => Some(Token::Comma),
            b':' => Some(Token::Colon),
            _ => None,
        };
        if let Some(t) = single {
            self.pos += 1;
            return (t, start);
        }
        match ch {
            0 => (Token::End, start),
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => {
                if !self.invalid_numbers && self.is_invalid_number() {
                    return (Token::Error("invalid number"), start);
                }
                self.number()
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                let rest = &self.s[start..];
                if rest.starts_with(b"true") {
                    self.pos += 4;
                    (Token::Bool(true), start)
                } else if rest.starts_with(b"false") {
                    self.pos += 5;
                    (Token::Bool(false), start)
                } else if rest.starts_with(b"null") {
                    self.pos += 4;
                    (Token::Null, start)
                } else if self.invalid_numbers && self.is_invalid_number() {
                    self.number()
                } else {
                    (Token::Error("invalid token"), start)
                }
            }
            _ => (Token::Error("invalid token"), start),
        }
    }

    /// What the C library calls an invalid JSON number: `+`, hex, leading zeros, inf, nan.
    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        }
        // A signed `char` compare in C: bytes above 0x7f are below '9'.
        if c <= b'9' || c >= 0x80 {
            return false;
        }
        let word = |w: &[u8]| self.s.len() >= p + 3 && self.s[p..p + 3].eq_ignore_ascii_case(w);
        word(b"inf") || word(b"nan")
    }

    fn number(&mut self) -> (Token, usize) {
        let start = self.pos;
        // strtod stops at the C string's end.
        let end = self.s[start..]
            .iter()
            .position(|&b| b == 0)
            .map_or(self.s.len(), |i| start + i);
        match crate::number::strtod(&self.s[start..end]) {
            Some((v, len)) if len > 0 => {
                self.pos += len;
                (Token::Number(v), start)
            }
            _ => (Token::Error("invalid number"), start),
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let mut v = 0;
        for i in 0..4 {
            v = (v << 4) | (self.at(at + i) as char).to_digit(16)?;
        }
        Some(v)
    }

    /// A `\uXXXX` escape (and its low surrogate) at `pos`, appended as UTF-8.
    fn unicode_escape(&mut self, buf: &mut Vec<u8>) -> Option<()> {
        let mut cp = self.hex4(self.pos + 2)?;
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 {
                return None;
            }
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return None;
            }
            let low = self.hex4(self.pos + 8)?;
            if low & 0xFC00 != 0xDC00 {
                return None;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        push_utf8(buf, cp);
        self.pos += len;
        Some(())
    }

    fn string(&mut self) -> (Token, usize) {
        let start = self.pos;
        self.pos += 1;
        let mut buf = Vec::new();
        loop {
            let ch = self.at(self.pos);
            if ch == b'"' {
                break;
            }
            if ch == 0 {
                return (Token::Error("unexpected end of string"), self.pos);
            }
            if ch == b'\\' {
                let mapped = match self.at(self.pos + 1) {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => b'\x08',
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'f' => b'\x0c',
                    b'r' => b'\r',
                    b'u' => {
                        if self.unicode_escape(&mut buf).is_none() {
                            return (Token::Error("invalid unicode escape code"), self.pos);
                        }
                        continue;
                    }
                    _ => return (Token::Error("invalid escape code"), self.pos),
                };
                buf.push(mapped);
                self.pos += 2;
                continue;
            }
            buf.push(ch);
            self.pos += 1;
        }
        self.pos += 1;
        (Token::Str(buf), start)
    }

    fn error(expected: &str, token: &Token, index: usize) -> Failure {
        Failure::Error(format!(
            "Expected {expected} but found {} at character {}",
            token.name(),
            index + 1
        ))
    }

    fn descend(&mut self) -> Result<(), Failure> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Failure::Error(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth, self.pos
            )));
        }
        Ok(())
    }

    fn value(&mut self, token: Token, index: usize) -> Result<Data, Failure> {
        Ok(match token {
            Token::Str(s) => Data::Str(s),
            Token::Number(n) => Data::Number(n),
            Token::Bool(b) => Data::Bool(b),
            Token::Null => Data::Null,
            Token::ObjBegin => self.object()?,
            Token::ArrBegin => self.array()?,
            other => return Err(Self::error("value", &other, index)),
        })
    }

    fn object(&mut self) -> Result<Data, Failure> {
        self.descend()?;
        let mut pairs = Vec::new();
        let (mut token, mut index) = self.next();
        if matches!(token, Token::ObjEnd) {
            self.depth -= 1;
            return Ok(Data::Table(pairs));
        }
        loop {
            let Token::Str(key) = token else {
                return Err(Self::error("object key string", &token, index));
            };
            let (colon, at) = self.next();
            if !matches!(colon, Token::Colon) {
                return Err(Self::error("colon", &colon, at));
            }
            let (t, at) = self.next();
            let value = self.value(t, at)?;
            // A repeated key replaces the earlier value (lua_rawset), as `from_data` does.
            pairs.push((Data::Str(key), value));
            let (t, at) = self.next();
            match t {
                Token::ObjEnd => {
                    self.depth -= 1;
                    return Ok(Data::Table(pairs));
                }
                Token::Comma => {}
                other => return Err(Self::error("comma or object end", &other, at)),
            }
            (token, index) = self.next();
        }
    }

    fn array(&mut self) -> Result<Data, Failure> {
        self.descend()?;
        let mut pairs = Vec::new();
        let (mut token, mut index) = self.next();
        if matches!(token, Token::ArrEnd) {
            self.depth -= 1;
            return Ok(Data::Table(pairs));
        }
        loop {
            let value = self.value(token, index)?;
            pairs.push((Data::Number((pairs.len() + 1) as f64), value));
            let (t, at) = self.next();
            match t {
                Token::ArrEnd => {
                    self.depth -= 1;
                    return Ok(Data::Table(pairs));
                }
                Token::Comma => {}
                other => return Err(Self::error("comma or array end", &other, at)),
            }
            (token, index) = self.next();
        }
    }
}

fn push_utf8(buf: &mut Vec<u8>, cp: u32) {
    if cp <= 0x7F {
        buf.push(cp as u8);
    } else if cp <= 0x7FF {
        buf.extend_from_slice(&[0xC0 | (cp >> 6) as u8, 0x80 | (cp & 0x3F) as u8]);
    } else if cp <= 0xFFFF {
        buf.extend_from_slice(&[
            0xE0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    } else {
        buf.extend_from_slice(&[
            0xF0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3F) as u8,
            0x80 | ((cp >> 6) & 0x3F) as u8,
            0x80 | (cp & 0x3F) as u8,
        ]);
    }
}

/// `cjson.decode` of a string.
pub fn decode(json: &[u8], cfg: &Config) -> Result<Data, Failure> {
    if json.len() >= 2 && (json[0] == 0 || json[1] == 0) {
        return Err(Failure::error(
            "JSON parser does not support UTF-16 or UTF-32",
        ));
    }
    let mut p = Parser {
        s: json,
        pos: 0,
        depth: 0,
        // Deeper than MAX_TABLE_DEPTH is refused whatever the configuration (the parser
        // recurses).
        max_depth: (cfg.decode_max_depth.max(0) as usize).min(MAX_TABLE_DEPTH),
        invalid_numbers: cfg.decode_invalid_numbers,
    };
    let (t, at) = p.next();
    let value = p.value(t, at)?;
    let (t, at) = p.next();
    if !matches!(t, Token::End) {
        return Err(Parser::error("the end", &t, at));
    }
    Ok(value)
}

// ===== Configuration =====

const BOOL_OPTIONS: &[&str] = &["off", "on"];
const INVALID_NUMBER_OPTIONS: &[&str] = &["off", "on", "null"];

/// The configuration functions: `name(args)` changes `cfg` and returns what Lua gets.
pub fn configure(name: &str, cfg: &mut Config, args: &[Data]) -> Result<Vec<Data>, Failure> {
    let expected = if name == "encode_sparse_array" { 3 } else { 1 };
    if args.len() > expected {
        return Err(Failure::arg(expected + 1, "found too many arguments"));
    }
    let a = Args { args };
    let int_option = |i: usize, setting: &mut i32, min: i32, max: i32| -> Result<Data, Failure> {
        if !matches!(args.get(i), None | Some(Data::Nil)) {
            let value = c_llong(a.number(i)?) as i32;
            if value < min || value > max {
                return Err(Failure::Arg(
                    1,
                    format!("expected integer between {min} and {max}"),
                ));
            }
            *setting = value;
        }
        Ok(Data::Number(*setting as f64))
    };
    let enum_option = |i: usize, setting: &mut i32, options: &[&str]| -> Result<Data, Failure> {
        match args.get(i) {
            None | Some(Data::Nil) => {}
            Some(Data::Bool(b)) => *setting = *b as i32,
            Some(_) => {
                let text = a.string(i)?;
                match options.iter().position(|o| o.as_bytes() == text.as_slice()) {
                    Some(p) => *setting = p as i32,
                    None => {
                        let msg = format!("invalid option '{}'", String::from_utf8_lossy(&text));
                        return Err(Failure::Arg(i + 1, msg));
                    }
                }
            }
        }
        Ok(match *setting {
            0 | 1 => Data::Bool(*setting == 1),
            n => Data::Str(options.get(n as usize).unwrap_or(&"").as_bytes().to_vec()),
        })
    };
    let flag = |i: usize, setting: &mut bool| -> Result<Data, Failure> {
        let mut v = *setting as i32;
        let out = enum_option(i, &mut v, BOOL_OPTIONS)?;
        *setting = v == 1;
        Ok(out)
    };
    Ok(match name {
        "encode_sparse_array" => {
            let convert = flag(0, &mut cfg.sparse_convert)?;
            let ratio = int_option(1, &mut cfg.sparse_ratio, 0, i32::MAX)?;
            let safe = int_option(2, &mut cfg.sparse_safe, 0, i32::MAX)?;
            vec![convert, ratio, safe]
        }
        "encode_max_depth" => vec![int_option(0, &mut cfg.encode_max_depth, 1, i32::MAX)?],
        "decode_max_depth" => vec![int_option(0, &mut cfg.decode_max_depth, 1, i32::MAX)?],
        "encode_number_precision" => vec![int_option(0, &mut cfg.encode_number_precision, 1, 14)?],
        "encode_keep_buffer" => vec![flag(0, &mut cfg.encode_keep_buffer)?],
        "encode_invalid_numbers" => vec![enum_option(
            0,
            &mut cfg.encode_invalid_numbers,
            INVALID_NUMBER_OPTIONS,
        )?],
        _ => vec![flag(0, &mut cfg.decode_invalid_numbers)?],
    })
}

// ===== The Lua functions =====

/// Sets the global `cjson`.
pub fn open(vm: &mut Vm) {
    let t = cjson_table(vm);
    vm.set_global("cjson", Value::Table(t));
}

/// A `cjson` table with a configuration of its own (lua_cjson_new): the functions in the C
/// library's order, then `null`, `_NAME`, `_VERSION`.
fn cjson_table(vm: &mut Vm) -> TableRef {
    let config = vm.new_userdata(Box::new(RefCell::new(Config::default())), None);
    let functions: [(&'static str, crate::heap::NativeFn); 10] = [
        ("encode", lua_encode),
        ("decode", lua_decode),
        ("encode_sparse_array", encode_sparse_array),
        ("encode_max_depth", encode_max_depth),
        ("decode_max_depth", decode_max_depth),
        ("encode_number_precision", encode_number_precision),
        ("encode_keep_buffer", encode_keep_buffer),
        ("encode_invalid_numbers", encode_invalid_numbers),
        ("decode_invalid_numbers", decode_invalid_numbers),
        ("new", lua_new),
    ];
    let t = vm.new_table();
    for (name, f) in functions {
        let v = vm.new_native_with(name, f, vec![config.clone()]);
        vm.set_field(t, name, v);
    }
    vm.set_field(t, "null", NULL);
    vm.set_field(t, "_NAME", Value::str("cjson"));
    vm.set_field(t, "_VERSION", Value::str("2.1.0"));
    t
}

/// Runs `f` on the configuration bound to the running native.
fn with_config<T>(vm: &Vm, f: impl FnOnce(&mut Config) -> T) -> Result<T, Failure> {
    let holder = vm.native_upvalue(0);
    match vm
        .userdata(&holder)
        .and_then(|u| u.downcast_ref::<RefCell<Config>>())
    {
        Some(cell) => Ok(f(&mut cell.borrow_mut())),
        None => Err(Failure::error("cjson configuration not found")),
    }
}

fn lua_encode(vm: &mut Vm, args: Vec<Value>) -> R {
    encode_call(vm, &args).map_err(|f| f.raise(vm))
}

fn encode_call(vm: &mut Vm, args: &[Value]) -> Result<NativeReturn, Failure> {
    if args.len() != 1 {
        return Err(Failure::arg(1, "expected 1 argument"));
    }
    let cfg = with_config(vm, |c| c.clone())?;
    let data = to_data(vm, &args[0], cfg.encode_max_depth.max(0) as usize)?;
    let out = encode(&data, &cfg)?;
    Ok(NativeReturn::Values(vec![vm.new_string(&out)]))
}

fn lua_decode(vm: &mut Vm, args: Vec<Value>) -> R {
    decode_call(vm, &args).map_err(|f| f.raise(vm))
}

fn decode_call(vm: &mut Vm, args: &[Value]) -> Result<NativeReturn, Failure> {
    if args.len() != 1 {
        return Err(Failure::arg(1, "expected 1 argument"));
    }
    let json = Args {
        args: &arg_data(vm, args),
    }
    .string(0)?;
    let cfg = with_config(vm, |c| c.clone())?;
    let data = decode(&json, &cfg)?;
    Ok(NativeReturn::Values(vec![from_data(vm, &data, &NULL)?]))
}

/// A configuration function: changes the bound configuration, returns the settings.
fn config_call(vm: &mut Vm, args: &[Value], name: &str) -> R {
    let data = arg_data(vm, args);
    let settings = with_config(vm, |cfg| configure(name, cfg, &data))
        .and_then(|r| r)
        .map_err(|f| f.raise(vm))?;
    super::returns(vm, &settings, &NULL)
}

fn encode_sparse_array(vm: &mut Vm, args: Vec<Value>) -> R {
    config_call(vm, &args, "encode_sparse_array")
}

fn encode_max_depth(vm: &mut Vm, args: Vec<Value>) -> R {
    config_call(vm, &args, "encode_max_depth")
}

fn decode_max_depth(vm: &mut Vm, args: Vec<Value>) -> R {
    config_call(vm, &args, "decode_max_depth")
}

fn encode_number_precision(vm: &mut Vm, args: Vec<Value>) -> R {
    config_call(vm, &args, "encode_number_precision")
}

fn encode_keep_buffer(vm: &mut Vm, args: Vec<Value>) -> R {
    config_call(vm, &args, "encode_keep_buffer")
}

fn encode_invalid_numbers(vm: &mut Vm, args: Vec<Value>) -> R {
    config_call(vm, &args, "encode_invalid_numbers")
}

fn decode_invalid_numbers(vm: &mut Vm, args: Vec<Value>) -> R {
    config_call(vm, &args, "decode_invalid_numbers")
}

fn lua_new(vm: &mut Vm, _args: Vec<Value>) -> R {
    let t = cjson_table(vm);
    Ok(NativeReturn::Values(vec![Value::Table(t)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(d: Data) -> Result<String, String> {
        encode(&d, &Config::default())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|f| f.text("encode"))
    }

    fn arr(items: Vec<Data>) -> Data {
        Data::Table(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Data::Number((i + 1) as f64), v))
                .collect(),
        )
    }

    #[test]
    fn encodes_scalars_and_escapes() {
        assert_eq!(
            enc(Data::Str(b"a/b\"\\\n\x01\x7f".to_vec())).unwrap(),
            r#""a\/b\"\\\n\u0001\u007f""#
        );
        assert_eq!(enc(Data::Number(0.1)).unwrap(), "0.1");
        assert_eq!(enc(Data::Number(1e15)).unwrap(), "1e+15");
        assert_eq!(
            enc(Data::Number(f64::NAN)).unwrap_err(),
            "Cannot serialise number: must not be NaN or Inf"
        );
        assert_eq!(
            enc(Data::Other("function")).unwrap_err(),
            "Cannot serialise function: type not supported"
        );
        assert_eq!(enc(Data::Null).unwrap(), "null");
    }

    #[test]
    fn tables_become_arrays_or_objects() {
        assert_eq!(enc(Data::Table(vec![])).unwrap(), "{}");
        assert_eq!(
            enc(arr(vec![Data::Number(1.0), Data::Bool(true)])).unwrap(),
            "[1,true]"
        );
        let holes = Data::Table(vec![(Data::Number(3.0), Data::Number(3.0))]);
        assert_eq!(enc(holes).unwrap(), "[null,null,3]");
        let sparse = Data::Table(vec![(Data::Number(11.0), Data::Number(1.0))]);
        assert_eq!(
            enc(sparse).unwrap_err(),
            "Cannot serialise table: excessively sparse array"
        );
        let obj = Data::Table(vec![(Data::Number(0.0), Data::Number(1.0))]);
        assert_eq!(enc(obj).unwrap(), r#"{"0":1}"#);
        let bad_key = Data::Table(vec![(Data::Bool(true), Data::Number(1.0))]);
        assert_eq!(
            enc(bad_key).unwrap_err(),
            "Cannot serialise boolean: table key must be a number or string"
        );
    }

    fn dec(s: &str) -> Result<Data, String> {
        decode(s.as_bytes(), &Config::default()).map_err(|f| f.text("decode"))
    }

    #[test]
    fn decodes_values() {
        assert_eq!(
            dec(" [1, \"a\", null, true] ").unwrap(),
            arr(vec![
                Data::Number(1.0),
                Data::Str(b"a".to_vec()),
                Data::Null,
                Data::Bool(true)
            ])
        );
        assert_eq!(
            dec(r#""\u00e9\ud83d\ude00""#).unwrap(),
            Data::Str("é😀".as_bytes().to_vec())
        );
        assert_eq!(dec("0x10").unwrap(), Data::Number(16.0));
        assert_eq!(dec("12\0garbage").unwrap(), Data::Number(12.0));
        assert_eq!(
            dec("1\0garbage").unwrap_err(),
            "JSON parser does not support UTF-16 or UTF-32"
        );
    }

    #[test]
    fn decode_errors_name_the_token_and_position() {
        assert_eq!(
            dec("").unwrap_err(),
            "Expected value but found T_END at character 1"
        );
        assert_eq!(
            dec("x").unwrap_err(),
            "Expected value but found invalid token at character 1"
        );
        assert_eq!(
            dec("[1 2]").unwrap_err(),
            "Expected comma or array end but found T_NUMBER at character 4"
        );
        assert_eq!(
            dec("{1:2}").unwrap_err(),
            "Expected object key string but found T_NUMBER at character 2"
        );
        assert_eq!(
            dec("\"ab").unwrap_err(),
            "Expected value but found unexpected end of string at character 4"
        );
        assert_eq!(
            dec(r#""\ud800""#).unwrap_err(),
            "Expected value but found invalid unicode escape code at character 2"
        );
        assert_eq!(
            dec("1 1").unwrap_err(),
            "Expected the end but found T_NUMBER at character 3"
        );
        let deep = "[".repeat(1001);
        assert_eq!(
            dec(&deep).unwrap_err(),
            "Found too many nested data structures (1001) at character 1001"
        );
    }

    #[test]
    fn configuration() {
        let mut cfg = Config::default();
        assert_eq!(
            configure("encode_number_precision", &mut cfg, &[Data::Number(3.0)]).unwrap(),
            vec![Data::Number(3.0)]
        );
        assert_eq!(
            encode(&Data::Number(1.23456), &cfg).unwrap(),
            b"1.23".to_vec()
        );
        assert_eq!(
            configure("encode_max_depth", &mut cfg, &[Data::Number(0.0)])
                .unwrap_err()
                .text("encode_max_depth"),
            "bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"
        );
        assert_eq!(
            configure(
                "encode_invalid_numbers",
                &mut cfg,
                &[Data::Str(b"null".to_vec())]
            )
            .unwrap(),
            vec![Data::Str(b"null".to_vec())]
        );
        assert_eq!(
            encode(&Data::Number(f64::INFINITY), &cfg).unwrap(),
            b"null".to_vec()
        );
    }
}
