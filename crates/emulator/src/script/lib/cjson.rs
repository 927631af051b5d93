//! `cjson`: Lua CJSON 2.1.0 (lua_cjson.c) as Redis 7.0 bundles it.
//!
//! Encoding: a table whose keys are all whole numbers of at least 1 is an array (up to its
//! largest key, holes as `null`) unless it is "excessively sparse" (its largest key above
//! both ratio x count and safe: an error by default); any other table, the empty one
//! included, is an object.
//! Numbers print with `%.14g` (the configured precision), NaN and Inf are refused, and `/`
//! is escaped. Decoding follows the C tokenizer, its error texts and its leniency: the
//! input is a C string (a zero byte ends it), numbers are read by `strtod` (so hex, `inf`
//! and `nan` are accepted by default), `null` is `cjson.null`.
//!
//! The configuration functions change a state kept for the life of the Lua state, as in
//! Redis (a script's `cjson.encode_number_precision(3)` holds for the next scripts, until
//! SCRIPT FLUSH makes a new state).

use std::cell::RefCell;
use std::rc::Rc;

use piccolo::{Callback, CallbackReturn, Context, Table, Value};

use super::{arg_error, data_type, fail, from_data, new_null, stack_args, to_data, Args, Data, MAX_TABLE_DEPTH};
use crate::script::SharedBridge;

/// The configuration of one `cjson` table (json_config_t), with Redis's defaults.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Config {
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

pub(crate) type SharedConfig = Rc<RefCell<Config>>;

// ===== Encoding =====

/// `cjson.encode` of a converted value.
pub(crate) fn encode(d: &Data, cfg: &Config) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    encode_value(&mut out, d, cfg, 0)?;
    Ok(out)
}

fn cannot(d: &Data, reason: &str) -> String {
    format!("Cannot serialise {}: {reason}", data_type(d))
}

/// The most bytes one encoding may produce (a sparse array with the check disabled can
/// ask for billions of `null`s): as much as the Lua heap may hold.
const MAX_OUTPUT: usize = super::MAX_BYTES;

fn encode_value(out: &mut Vec<u8>, d: &Data, cfg: &Config, depth: usize) -> Result<(), String> {
    if out.len() > MAX_OUTPUT {
        return Err("not enough memory".to_string());
    }
    match d {
        Data::Str(s) => {
            let escaped: usize = s.iter().map(|&b| escape(b).map_or(1, |e| e.len())).sum();
            if out.len() + escaped > MAX_OUTPUT {
                return Err("not enough memory".to_string());
            }
            encode_string(out, s)
        }
        Data::Number(n) => encode_number(out, *n, cfg, d)?,
        Data::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Data::Nil | Data::Null => out.extend_from_slice(b"null"),
        Data::Other(_) => return Err(cannot(d, "type not supported")),
        Data::Deep => return Err(format!("Cannot serialise, excessive nesting ({})", depth + 1)),
        Data::Table(pairs) => {
            let depth = depth + 1;
            if depth > cfg.encode_max_depth.max(0) as usize {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_length(pairs, cfg)? {
                Some(len) if len > 0 => {
                    let mut items: Vec<Option<&Data>> = Vec::new();
                    if len > MAX_OUTPUT / 5 {
                        return Err("not enough memory".to_string());
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
                            other => return Err(cannot(other, "table key must be a number or string")),
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
fn array_length(pairs: &[(Data, Data)], cfg: &Config) -> Result<Option<usize>, String> {
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
            return Err("Cannot serialise table: excessively sparse array".to_string());
        }
        return Ok(None);
    }
    if max > usize::MAX as f64 / 2.0 {
        return Err("not enough memory".to_string());
    }
    Ok(Some(max as usize))
}

fn encode_number(out: &mut Vec<u8>, n: f64, cfg: &Config, d: &Data) -> Result<(), String> {
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
    out.extend_from_slice(crate::fmt::fmt_g(n, precision).as_bytes());
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
        let end = self.s[start..].iter().position(|&b| b == 0).map_or(self.s.len(), |i| start + i);
        match super::strtod_prefix(&self.s[start..end]) {
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

    fn error(expected: &str, token: &Token, index: usize) -> String {
        format!("Expected {expected} but found {} at character {}", token.name(), index + 1)
    }

    fn descend(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(format!("Found too many nested data structures ({}) at character {}", self.depth, self.pos));
        }
        Ok(())
    }

    fn value(&mut self, token: Token, index: usize) -> Result<Data, String> {
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

    fn object(&mut self) -> Result<Data, String> {
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

    fn array(&mut self) -> Result<Data, String> {
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
        buf.extend_from_slice(&[0xE0 | (cp >> 12) as u8, 0x80 | ((cp >> 6) & 0x3F) as u8, 0x80 | (cp & 0x3F) as u8]);
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
pub(crate) fn decode(json: &[u8], cfg: &Config) -> Result<Data, String> {
    if json.len() >= 2 && (json[0] == 0 || json[1] == 0) {
        return Err("JSON parser does not support UTF-16 or UTF-32".to_string());
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
pub(crate) fn configure(name: &'static str, cfg: &mut Config, args: &[Data]) -> Result<Vec<Data>, String> {
    let expected = if name == "encode_sparse_array" { 3 } else { 1 };
    if args.len() > expected {
        return Err(arg_error(expected + 1, name, "found too many arguments"));
    }
    let a = Args { args, func: name };
    let int_option = |i: usize, setting: &mut i32, min: i32, max: i32| -> Result<Data, String> {
        if !matches!(args.get(i), None | Some(Data::Nil)) {
            let value = super::c_llong(a.number(i)?) as i32;
            if value < min || value > max {
                return Err(arg_error(1, name, &format!("expected integer between {min} and {max}")));
            }
            *setting = value;
        }
        Ok(Data::Number(*setting as f64))
    };
    let enum_option = |i: usize, setting: &mut i32, options: &[&str]| -> Result<Data, String> {
        match args.get(i) {
            None | Some(Data::Nil) => {}
            Some(Data::Bool(b)) => *setting = *b as i32,
            Some(_) => {
                let text = a.string(i)?;
                match options.iter().position(|o| o.as_bytes() == text.as_slice()) {
                    Some(p) => *setting = p as i32,
                    None => {
                        let msg = format!("invalid option '{}'", String::from_utf8_lossy(&text));
                        return Err(arg_error(i + 1, name, &msg));
                    }
                }
            }
        }
        Ok(match *setting {
            0 | 1 => Data::Bool(*setting == 1),
            n => Data::Str(options.get(n as usize).unwrap_or(&"").as_bytes().to_vec()),
        })
    };
    let flag = |i: usize, setting: &mut bool| -> Result<Data, String> {
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
        "encode_invalid_numbers" => vec![enum_option(0, &mut cfg.encode_invalid_numbers, INVALID_NUMBER_OPTIONS)?],
        _ => vec![flag(0, &mut cfg.decode_invalid_numbers)?],
    })
}

const CONFIG_FUNCTIONS: &[&str] = &[
    "encode_sparse_array",
    "encode_max_depth",
    "decode_max_depth",
    "encode_number_precision",
    "encode_keep_buffer",
    "encode_invalid_numbers",
    "decode_invalid_numbers",
];

/// A `cjson` table over `config`; its `null` is `null` (one value for every table, so that
/// `cjson.new().decode('null') == cjson.null`).
pub(crate) fn table<'gc>(ctx: Context<'gc>, bridge: &SharedBridge, config: SharedConfig) -> Table<'gc> {
    let null = match ctx.globals().get(ctx, NULL_KEY) {
        Value::UserData(u) => u,
        _ => {
            let u = new_null(ctx);
            let _ = ctx.globals().set(ctx, NULL_KEY, u);
            u
        }
    };
    let t = Table::new(&ctx);
    {
        let (bridge, config) = (bridge.clone(), config.clone());
        let encode_fn = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            if stack.len() != 1 {
                return Err(fail(ctx, &exec, &bridge, &arg_error(1, "encode", "expected 1 argument")));
            }
            let cfg = config.borrow().clone();
            let data = to_data(stack.get(0), cfg.encode_max_depth.max(0) as usize).map_err(|m| fail(ctx, &exec, &bridge, m))?;
            let out = encode(&data, &cfg).map_err(|m| fail(ctx, &exec, &bridge, &m))?;
            stack.replace(ctx, ctx.intern(&out));
            Ok(CallbackReturn::Return)
        });
        let _ = t.set(ctx, "encode", encode_fn);
    }
    {
        let (bridge, config) = (bridge.clone(), config.clone());
        let decode_fn = Callback::from_fn_with(&ctx, null, move |null, ctx, exec, mut stack| {
            if stack.len() != 1 {
                return Err(fail(ctx, &exec, &bridge, &arg_error(1, "decode", "expected 1 argument")));
            }
            let json = super::check_string(stack.get(0), 0, 1, "decode").map_err(|m| fail(ctx, &exec, &bridge, &m))?;
            let cfg = config.borrow().clone();
            let data = decode(&json, &cfg).map_err(|m| fail(ctx, &exec, &bridge, &m))?;
            let value = from_data(ctx, &data, Value::UserData(*null)).map_err(|m| fail(ctx, &exec, &bridge, m))?;
            stack.replace(ctx, value);
            Ok(CallbackReturn::Return)
        });
        let _ = t.set(ctx, "decode", decode_fn);
    }
    for &name in CONFIG_FUNCTIONS {
        let (bridge, config) = (bridge.clone(), config.clone());
        let f = Callback::from_fn(&ctx, move |ctx, exec, mut stack| {
            let args = stack_args(&stack);
            let out = configure(name, &mut config.borrow_mut(), &args).map_err(|m| fail(ctx, &exec, &bridge, &m))?;
            stack.clear();
            for d in &out {
                let v: Value = match d {
                    Data::Number(n) => super::lua_number(*n),
                    Data::Bool(b) => Value::Boolean(*b),
                    Data::Str(s) => ctx.intern(s).into(),
                    _ => Value::Nil,
                };
                stack.push_back(v);
            }
            Ok(CallbackReturn::Return)
        });
        let _ = t.set(ctx, name, f);
    }
    {
        let bridge = bridge.clone();
        let new_fn = Callback::from_fn(&ctx, move |ctx, _exec, mut stack| {
            let fresh = table(ctx, &bridge, Rc::new(RefCell::new(Config::default())));
            stack.replace(ctx, fresh);
            Ok(CallbackReturn::Return)
        });
        let _ = t.set(ctx, "new", new_fn);
    }
    let _ = t.set(ctx, "null", null);
    let _ = t.set(ctx, "_NAME", "cjson");
    let _ = t.set(ctx, "_VERSION", "2.1.0");
    t
}

/// Where the `cjson.null` userdata is kept in the globals (raw, out of the scripts' sight
/// behind the read-only environment... and named so no script guesses it by accident).
const NULL_KEY: &str = "__redis_cjson_null";

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(d: Data) -> Result<String, String> {
        encode(&d, &Config::default()).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    fn arr(items: Vec<Data>) -> Data {
        Data::Table(items.into_iter().enumerate().map(|(i, v)| (Data::Number((i + 1) as f64), v)).collect())
    }

    #[test]
    fn encodes_scalars_and_escapes() {
        assert_eq!(enc(Data::Str(b"a/b\"\\\n\x01\x7f".to_vec())).unwrap(), r#""a\/b\"\\\n\u0001\u007f""#);
        assert_eq!(enc(Data::Number(0.1)).unwrap(), "0.1");
        assert_eq!(enc(Data::Number(1e15)).unwrap(), "1e+15");
        assert_eq!(enc(Data::Number(f64::NAN)).unwrap_err(), "Cannot serialise number: must not be NaN or Inf");
        assert_eq!(enc(Data::Other("function")).unwrap_err(), "Cannot serialise function: type not supported");
        assert_eq!(enc(Data::Null).unwrap(), "null");
    }

    #[test]
    fn tables_become_arrays_or_objects() {
        assert_eq!(enc(Data::Table(vec![])).unwrap(), "{}");
        assert_eq!(enc(arr(vec![Data::Number(1.0), Data::Bool(true)])).unwrap(), "[1,true]");
        let holes = Data::Table(vec![(Data::Number(3.0), Data::Number(3.0))]);
        assert_eq!(enc(holes).unwrap(), "[null,null,3]");
        let sparse = Data::Table(vec![(Data::Number(11.0), Data::Number(1.0))]);
        assert_eq!(enc(sparse).unwrap_err(), "Cannot serialise table: excessively sparse array");
        let obj = Data::Table(vec![(Data::Number(0.0), Data::Number(1.0))]);
        assert_eq!(enc(obj).unwrap(), r#"{"0":1}"#);
        let bad_key = Data::Table(vec![(Data::Bool(true), Data::Number(1.0))]);
        assert_eq!(enc(bad_key).unwrap_err(), "Cannot serialise boolean: table key must be a number or string");
    }

    fn dec(s: &str) -> Result<Data, String> {
        decode(s.as_bytes(), &Config::default())
    }

    #[test]
    fn decodes_values() {
        assert_eq!(dec(" [1, \"a\", null, true] ").unwrap(), arr(vec![Data::Number(1.0), Data::Str(b"a".to_vec()), Data::Null, Data::Bool(true)]));
        assert_eq!(dec(r#""\u00e9\ud83d\ude00""#).unwrap(), Data::Str("é😀".as_bytes().to_vec()));
        assert_eq!(dec("0x10").unwrap(), Data::Number(16.0));
        assert_eq!(dec("12\0garbage").unwrap(), Data::Number(12.0));
        assert_eq!(dec("1\0garbage").unwrap_err(), "JSON parser does not support UTF-16 or UTF-32");
    }

    #[test]
    fn decode_errors_name_the_token_and_position() {
        assert_eq!(dec("").unwrap_err(), "Expected value but found T_END at character 1");
        assert_eq!(dec("x").unwrap_err(), "Expected value but found invalid token at character 1");
        assert_eq!(dec("[1 2]").unwrap_err(), "Expected comma or array end but found T_NUMBER at character 4");
        assert_eq!(dec("{1:2}").unwrap_err(), "Expected object key string but found T_NUMBER at character 2");
        assert_eq!(dec("\"ab").unwrap_err(), "Expected value but found unexpected end of string at character 4");
        assert_eq!(dec(r#""\ud800""#).unwrap_err(), "Expected value but found invalid unicode escape code at character 2");
        assert_eq!(dec("1 1").unwrap_err(), "Expected the end but found T_NUMBER at character 3");
        let deep = "[".repeat(1001);
        assert_eq!(dec(&deep).unwrap_err(), "Found too many nested data structures (1001) at character 1001");
    }

    #[test]
    fn configuration() {
        let mut cfg = Config::default();
        assert_eq!(configure("encode_number_precision", &mut cfg, &[Data::Number(3.0)]).unwrap(), vec![Data::Number(3.0)]);
        assert_eq!(encode(&Data::Number(1.23456), &cfg).unwrap(), b"1.23".to_vec());
        assert_eq!(
            configure("encode_max_depth", &mut cfg, &[Data::Number(0.0)]).unwrap_err(),
            "bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"
        );
        assert_eq!(
            configure("encode_invalid_numbers", &mut cfg, &[Data::Str(b"null".to_vec())]).unwrap(),
            vec![Data::Str(b"null".to_vec())]
        );
        assert_eq!(encode(&Data::Number(f64::INFINITY), &cfg).unwrap(), b"null".to_vec());
    }
}
