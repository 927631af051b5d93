//! The C libraries Redis 7.0 links into its Lua (deps/lua/src: lua_cjson.c, lua_cmsgpack.c,
//! lua_bit.c, lua_struct.c), exposed to scripts as the globals `cjson`, `cmsgpack`, `bit`
//! and `struct`.
//!
//! Each library keeps its encoding and decoding logic in pure Rust over [`Data`], a small
//! copy of a Lua value, so it can be tested without a VM; the piccolo callbacks only convert
//! arguments to `Data`, call the pure function and convert the result back.

pub(crate) mod bit;
pub(crate) mod cjson;
pub(crate) mod cmsgpack;
pub(crate) mod structlib;

use piccolo::{Context, Error, Execution, IntoValue, Table, UserData, Value};

use super::sandbox::{positioned, record_error_line};
use super::SharedBridge;

/// A Lua 5.1 value as the libraries see it: numbers are doubles, tables are their pairs in
/// iteration order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Data {
    Nil,
    Bool(bool),
    Number(f64),
    Str(Vec<u8>),
    Table(Vec<(Data, Data)>),
    /// `cjson.null` (a NULL light userdata in Redis).
    Null,
    /// A value no library can encode, by its Lua type name (`function`, `userdata`...).
    Other(&'static str),
    /// A table nested deeper than the conversion went (see [`to_data`]).
    Deep,
}

/// The payload of the userdata that is `cjson.null`.
pub(crate) struct JsonNull;

/// The text `tostring` gives `cjson.null` (Lua 5.1 prints a NULL pointer as `(nil)`).
pub(crate) const NULL_TEXT: &str = "userdata: (nil)";

/// How deep any conversion of a Lua table goes: deeper tables become [`Data::Deep`]. Redis's
/// own limits (cjson's 1000, cmsgpack's 16) are at most this, and it bounds the recursion.
pub(crate) const MAX_TABLE_DEPTH: usize = 1000;

/// The most values one conversion may produce: a table referring to itself many times is
/// a tree of exponential size.
const MAX_NODES: usize = 4_000_000;
/// The most string bytes one conversion may copy (one big string referred to many times
/// would otherwise be copied as many times); the Lua heap's own limit is the same.
pub(crate) const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What a conversion may still produce.
struct Budget {
    nodes: usize,
    bytes: usize,
}

/// Converts a Lua value; tables deeper than `tables_left` levels become [`Data::Deep`].
/// Fails when the result would be unreasonably big.
pub(crate) fn to_data<'gc>(v: Value<'gc>, tables_left: usize) -> Result<Data, &'static str> {
    let mut budget = Budget { nodes: MAX_NODES, bytes: MAX_BYTES };
    convert_in(v, tables_left.min(MAX_TABLE_DEPTH), &mut budget)
}

fn convert_in<'gc>(v: Value<'gc>, tables_left: usize, budget: &mut Budget) -> Result<Data, &'static str> {
    if budget.nodes == 0 {
        return Err("not enough memory");
    }
    budget.nodes -= 1;
    Ok(match v {
        Value::Nil => Data::Nil,
        Value::Boolean(b) => Data::Bool(b),
        Value::Integer(n) => Data::Number(n as f64),
        Value::Number(n) => Data::Number(n),
        Value::String(s) => {
            let len = s.as_bytes().len();
            if len > budget.bytes {
                return Err("not enough memory");
            }
            budget.bytes -= len;
            Data::Str(s.as_bytes().to_vec())
        }
        Value::Table(t) => {
            if tables_left == 0 {
                return Ok(Data::Deep);
            }
            let mut pairs = Vec::new();
            for (k, v) in t.iter() {
                let k = convert_in(k, tables_left - 1, budget)?;
                let v = convert_in(v, tables_left - 1, budget)?;
                pairs.push((k, v));
            }
            // Lua 5.1 walks its array part (keys 1, 2, 3...) before its hash part; piccolo
            // may not, so positive whole keys come first, in order.
            pairs.sort_by(|(a, _), (b, _)| match (array_key(a), array_key(b)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
            Data::Table(pairs)
        }
        Value::UserData(u) if u.is_static::<JsonNull>() => Data::Null,
        Value::UserData(_) => Data::Other("userdata"),
        Value::Function(_) => Data::Other("function"),
        Value::Thread(_) => Data::Other("thread"),
    })
}

/// A key that Lua 5.1 could keep in a table's array part.
fn array_key(k: &Data) -> Option<f64> {
    match k {
        Data::Number(n) if *n >= 1.0 && n.fract() == 0.0 => Some(*n),
        _ => None,
    }
}

/// A number as Lua 5.1 holds it (a double), kept a piccolo integer when it is one so that
/// it prints and concatenates without a fraction.
pub(crate) fn lua_number<'gc>(n: f64) -> Value<'gc> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 && !(n == 0.0 && n.is_sign_negative()) {
        Value::Integer(n as i64)
    } else {
        Value::Number(n)
    }
}

/// Builds the Lua value of `data`; `null` is the value `cjson.null` stands for. A pair whose
/// key cannot index a table fails with Lua's message.
pub(crate) fn from_data<'gc>(ctx: Context<'gc>, data: &Data, null: Value<'gc>) -> Result<Value<'gc>, &'static str> {
    Ok(match data {
        Data::Nil | Data::Deep | Data::Other(_) => Value::Nil,
        Data::Bool(b) => Value::Boolean(*b),
        Data::Number(n) => lua_number(*n),
        Data::Str(s) => ctx.intern(s).into(),
        Data::Null => null,
        Data::Table(pairs) => {
            for (k, _) in pairs {
                match k {
                    Data::Nil => return Err("table index is nil"),
                    Data::Number(n) if n.is_nan() => return Err("table index is NaN"),
                    _ => {}
                }
            }
            let t = Table::new(&ctx);
            // Only the last value of a repeated key is set, and never a nil: piccolo 0.3.3
            // panics when a table whose key was removed grows.
            for (k, v) in last_values(pairs) {
                let key = from_data(ctx, k, null)?;
                let value = from_data(ctx, v, null)?;
                let _ = t.set(ctx, key, value);
            }
            t.into()
        }
    })
}

/// The pairs a table ends up with when `pairs` are set in order: the last value of each
/// key, without nils (tables as keys are all distinct, as they are in Lua).
pub(crate) fn last_values(pairs: &[(Data, Data)]) -> Vec<(&Data, &Data)> {
    #[derive(PartialEq, Eq, Hash)]
    enum KeyId<'a> {
        Str(&'a [u8]),
        Number(u64),
        Bool(bool),
        Null,
        Unique(usize),
    }
    let mut index: std::collections::HashMap<KeyId, usize> = std::collections::HashMap::new();
    let mut out: Vec<(&Data, &Data)> = Vec::with_capacity(pairs.len());
    for (i, (k, v)) in pairs.iter().enumerate() {
        let id = match k {
            Data::Str(s) => KeyId::Str(s),
            // -0 and 0 are one key.
            Data::Number(n) => KeyId::Number(if *n == 0.0 { 0 } else { n.to_bits() }),
            Data::Bool(b) => KeyId::Bool(*b),
            Data::Null => KeyId::Null,
            _ => KeyId::Unique(i),
        };
        match index.get(&id) {
            Some(&at) => out[at].1 = v,
            None => {
                index.insert(id, out.len());
                out.push((k, v));
            }
        }
    }
    out.retain(|(_, v)| !matches!(v, Data::Nil));
    out
}

/// The userdata that is `cjson.null`.
pub(crate) fn new_null<'gc>(ctx: Context<'gc>) -> UserData<'gc> {
    UserData::new_static(&ctx, JsonNull)
}

/// An error raised by a library function, with the caller's position as `luaL_error` gives it.
pub(crate) fn fail<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, msg: &str) -> Error<'gc> {
    if bridge.borrow().called_by_pcall {
        // Called by `pcall` itself (a C function): Lua 5.1 finds neither a line nor a name.
        return fail_plain(ctx, exec, bridge, &without_name(msg));
    }
    Error::from_value(positioned(exec, bridge, msg).into_value(ctx))
}

/// `bad argument #1 to 'f' (...)` as Lua words it when it cannot name the function: `'?'`.
fn without_name(msg: &str) -> String {
    let Some(rest) = msg.strip_prefix("bad argument #") else { return msg.to_string() };
    let Some((number, rest)) = rest.split_once(" to '") else { return msg.to_string() };
    let Some((_, rest)) = rest.split_once('\'') else { return msg.to_string() };
    format!("bad argument #{number} to '?'{rest}")
}

/// An error raised by the Lua core itself from inside a library function (no position).
pub(crate) fn fail_plain<'gc>(ctx: Context<'gc>, exec: &Execution, bridge: &SharedBridge, msg: &str) -> Error<'gc> {
    record_error_line(exec, bridge);
    Error::from_value(msg.to_string().into_value(ctx))
}

/// Lua 5.1's `luaL_argerror` text.
pub(crate) fn arg_error(n: usize, func: &str, msg: &str) -> String {
    format!("bad argument #{n} to '{func}' ({msg})")
}

/// How Lua names the type of argument `i` (0-based) of `len` arguments: `no value` past the end.
pub(crate) fn type_of(v: Value, i: usize, len: usize) -> &'static str {
    if i >= len {
        "no value"
    } else {
        v.type_name()
    }
}

/// `luaL_checklstring`: a string, or a number in its Lua 5.1 text.
pub(crate) fn check_string(v: Value, i: usize, len: usize, func: &str) -> Result<Vec<u8>, String> {
    match super::convert::as_string_bytes(v) {
        Some(b) => Ok(b),
        None => Err(arg_error(i + 1, func, &format!("string expected, got {}", type_of(v, i, len)))),
    }
}

/// `lua_tonumber`: a number, or a string that reads as one (Lua 5.1's `lua_str2number`).
pub(crate) fn to_number(v: Value) -> Option<f64> {
    match v {
        Value::Integer(n) => Some(n as f64),
        Value::Number(n) => Some(n),
        Value::String(s) => {
            let text = std::str::from_utf8(s.as_bytes()).ok()?.trim_matches(|c: char| c.is_ascii_whitespace());
            crate::args::strtod(text.as_bytes()).map(|(v, _)| v)
        }
        _ => None,
    }
}

/// C's `(long long)` of a double on x86-64 (`cvttsd2si`): out of range and NaN give LLONG_MIN.
pub(crate) fn c_llong(d: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// C's `strtod` on the start of `s`: the value and how many bytes it read, or `None` when
/// no number starts there (decimal, hexadecimal, `inf`, `infinity`, `nan`, `nan(...)`).
pub(crate) fn strtod_prefix(s: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    if matches!(at(i), b'+' | b'-') {
        i += 1;
    }
    let starts = |i: usize, word: &[u8]| s.len() >= i + word.len() && s[i..i + word.len()].eq_ignore_ascii_case(word);
    let end = if starts(i, b"infinity") {
        i + 8
    } else if starts(i, b"inf") {
        i + 3
    } else if starts(i, b"nan") {
        let mut j = i + 3;
        if at(j) == b'(' {
            let mut k = j + 1;
            while at(k).is_ascii_alphanumeric() || at(k) == b'_' {
                k += 1;
            }
            if at(k) == b')' {
                j = k + 1;
            }
        }
        j
    } else if at(i) == b'0' && (at(i + 1) | 0x20) == b'x' && (at(i + 2).is_ascii_hexdigit() || (at(i + 2) == b'.' && at(i + 3).is_ascii_hexdigit())) {
        let mut j = i + 2;
        while at(j).is_ascii_hexdigit() {
            j += 1;
        }
        if at(j) == b'.' {
            j += 1;
            while at(j).is_ascii_hexdigit() {
                j += 1;
            }
        }
        exponent_end(s, j, b'p')
    } else {
        let mut j = i;
        let mut digits = 0;
        while at(j).is_ascii_digit() {
            j += 1;
            digits += 1;
        }
        if at(j) == b'.' {
            j += 1;
            while at(j).is_ascii_digit() {
                j += 1;
                digits += 1;
            }
        }
        if digits == 0 {
            return None;
        }
        exponent_end(s, j, b'e')
    };
    let text = &s[..end];
    let value = crate::args::strtod(text).map(|(v, _)| v).or_else(|| {
        // A form Rust's parser refuses ("1." or ".5" are fine; this is a safety net).
        std::str::from_utf8(text).ok()?.parse().ok()
    })?;
    Some((value, end))
}

/// Where an optional exponent (`e`/`p`, a sign, digits) that starts at `j` ends.
fn exponent_end(s: &[u8], j: usize, marker: u8) -> usize {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    if (at(j) | 0x20) != marker {
        return j;
    }
    let mut k = j + 1;
    if matches!(at(k), b'+' | b'-') {
        k += 1;
    }
    if !at(k).is_ascii_digit() {
        return j;
    }
    while at(k).is_ascii_digit() {
        k += 1;
    }
    k
}

/// Registers the four libraries as globals.
pub(crate) fn install<'gc>(ctx: Context<'gc>, globals: Table<'gc>, bridge: &SharedBridge) {
    let config = bridge.borrow().cjson.clone();
    let _ = globals.set(ctx, "cjson", cjson::table(ctx, bridge, config));
    let _ = globals.set(ctx, "cmsgpack", cmsgpack::table(ctx, bridge));
    let _ = globals.set(ctx, "bit", bit::table(ctx, bridge));
    let _ = globals.set(ctx, "struct", structlib::table(ctx, bridge));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_reads_the_longest_number_prefix() {
        assert_eq!(strtod_prefix(b"12abc"), Some((12.0, 2)));
        assert_eq!(strtod_prefix(b"-1.5e3,"), Some((-1500.0, 6)));
        assert_eq!(strtod_prefix(b"1e"), Some((1.0, 1)));
        assert_eq!(strtod_prefix(b"0x10]"), Some((16.0, 4)));
        assert_eq!(strtod_prefix(b"0x"), Some((0.0, 1)));
        assert_eq!(strtod_prefix(b"-Infinity"), Some((f64::NEG_INFINITY, 9)));
        assert_eq!(strtod_prefix(b"infx"), Some((f64::INFINITY, 3)));
        assert!(strtod_prefix(b"nan").is_some_and(|(v, n)| v.is_nan() && n == 3));
        assert_eq!(strtod_prefix(b"-"), None);
        assert_eq!(strtod_prefix(b"."), None);
        assert_eq!(strtod_prefix(b"-.5"), Some((-0.5, 3)));
    }

    #[test]
    fn unnamed_argument_errors() {
        assert_eq!(without_name("bad argument #2 to 'pack' (x)"), "bad argument #2 to '?' (x)");
        assert_eq!(without_name("Missing bytes in input."), "Missing bytes in input.");
    }

    #[test]
    fn c_casts_saturate_as_x86_does() {
        assert_eq!(c_llong(f64::NAN), i64::MIN);
        assert_eq!(c_llong(1e300), i64::MIN);
        assert_eq!(c_llong(-3.9), -3);
    }
}

/// Lua's type name of a converted value.
pub(crate) fn data_type(d: &Data) -> &'static str {
    match d {
        Data::Nil => "nil",
        Data::Bool(_) => "boolean",
        Data::Number(_) => "number",
        Data::Str(_) => "string",
        Data::Table(_) | Data::Deep => "table",
        Data::Null => "userdata",
        Data::Other(name) => name,
    }
}

/// `lua_tonumber` of a converted value.
pub(crate) fn data_number(d: &Data) -> Option<f64> {
    match d {
        Data::Number(n) => Some(*n),
        Data::Str(s) => {
            let text = std::str::from_utf8(s).ok()?.trim_matches(|c: char| c.is_ascii_whitespace());
            crate::args::strtod(text.as_bytes()).map(|(v, _)| v)
        }
        _ => None,
    }
}

/// `lua_tolstring` of a converted value (numbers with `%.14g`).
pub(crate) fn data_string(d: &Data) -> Option<Vec<u8>> {
    match d {
        Data::Str(s) => Some(s.clone()),
        Data::Number(n) => Some(crate::script::api::number_text(*n).into_bytes()),
        _ => None,
    }
}

/// Argument `i` (0-based) of `args`, with the error texts of `luaL_checknumber` and
/// `luaL_checklstring`.
pub(crate) struct Args<'a> {
    pub args: &'a [Data],
    pub func: &'static str,
}

impl Args<'_> {
    fn type_at(&self, i: usize) -> &'static str {
        self.args.get(i).map(data_type).unwrap_or("no value")
    }

    pub fn number(&self, i: usize) -> Result<f64, String> {
        self.args
            .get(i)
            .and_then(data_number)
            .ok_or_else(|| arg_error(i + 1, self.func, &format!("number expected, got {}", self.type_at(i))))
    }

    pub fn string(&self, i: usize) -> Result<Vec<u8>, String> {
        self.args
            .get(i)
            .and_then(data_string)
            .ok_or_else(|| arg_error(i + 1, self.func, &format!("string expected, got {}", self.type_at(i))))
    }

    /// `luaL_optinteger`: absent or nil gives `default`.
    pub fn opt_integer(&self, i: usize, default: i64) -> Result<i64, String> {
        match self.args.get(i) {
            None | Some(Data::Nil) => Ok(default),
            Some(_) => self.number(i).map(c_llong),
        }
    }
}

/// The arguments of a callback, converted (tables only one level deep: no library reads
/// into a table argument except the encoders, which convert their own).
pub(crate) fn stack_args(stack: &piccolo::Stack) -> Vec<Data> {
    (0..stack.len()).map(|i| to_data(stack.get(i), 0).unwrap_or(Data::Deep)).collect()
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// JSON-like values: what `cjson.decode` can give back exactly.
    fn json_value() -> impl Strategy<Value = Data> {
        let leaf = prop_oneof![
            Just(Data::Null),
            any::<bool>().prop_map(Data::Bool),
            (-1_000_000i64..1_000_000).prop_map(|n| Data::Number(n as f64)),
            (-1000i64..1000).prop_map(|n| Data::Number(n as f64 / 8.0)),
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(Data::Str),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..6).prop_map(|items| {
                    Data::Table(items.into_iter().enumerate().map(|(i, v)| (Data::Number((i + 1) as f64), v)).collect())
                }),
                proptest::collection::btree_map("[a-z]{1,4}", inner, 1..5)
                    .prop_map(|m| Data::Table(m.into_iter().map(|(k, v)| (Data::Str(k.into_bytes()), v)).collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = cjson::decode(&bytes, &cjson::Config::default());
            let _ = cmsgpack::unpack(&bytes, None, 0);
            let _ = cmsgpack::unpack(&bytes, Some(2), bytes.len() / 2);
            let _ = structlib::unpack(&bytes, &bytes, 1);
            let _ = structlib::size(&bytes);
            let _ = structlib::pack(&bytes, &[Data::Number(1.0), Data::Str(bytes.clone())]);
        }

        #[test]
        fn json_text_decoders_never_panic(text in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,40}") {
            let _ = cjson::decode(text.as_bytes(), &cjson::Config::default());
        }

        #[test]
        fn cjson_round_trips(d in json_value()) {
            let cfg = cjson::Config::default();
            let text = cjson::encode(&d, &cfg).unwrap();
            let back = cjson::decode(&text, &cfg).unwrap();
            prop_assert_eq!(&back, &d);
            prop_assert_eq!(cjson::encode(&back, &cfg).unwrap(), text);
        }

        #[test]
        fn cmsgpack_round_trips(d in json_value()) {
            // cjson.null has no MessagePack form: it packs as nil.
            let d = strip_null(d);
            let mut packed = Vec::new();
            cmsgpack::pack_value(&mut packed, &d, 0);
            let (values, _) = cmsgpack::unpack(&packed, None, 0).unwrap();
            prop_assert_eq!(values, vec![d]);
        }
    }

    fn strip_null(d: Data) -> Data {
        match d {
            Data::Null => Data::Bool(false),
            Data::Table(pairs) => Data::Table(pairs.into_iter().map(|(k, v)| (k, strip_null(v))).collect()),
            other => other,
        }
    }
}

#[cfg(test)]
mod through_eval {
    use crate::clock::ManualClock;
    use crate::engine::{ClientInfo, Engine};
    use crate::reply::Reply;

    fn eval(script: &str) -> Reply {
        let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        let c = e.connect(ClientInfo::default());
        e.execute(c, &[b"EVAL".to_vec(), script.as_bytes().to_vec(), b"0".to_vec()])
    }

    #[test]
    fn huge_results_are_refused_not_built() {
        for script in [
            "local s = string.rep('x', 2^24) local t = {} for i = 1, 100 do t[i] = s end return cmsgpack.pack(t)",
            "local s = string.rep('x', 2^24) local t = {} for i = 1, 100 do t[i] = s end return cjson.encode(t)",
            "local t = {} for i = 1, 8 do t[i] = t end return cmsgpack.pack(t)",
            "cjson.encode_sparse_array(false, 0) return cjson.encode({[2^40] = 1})",
        ] {
            let r = eval(script);
            assert!(matches!(&r, Reply::Error(t) if t.contains("not enough memory")), "{script}: {r:?}");
        }
    }

    #[test]
    fn binary_results_are_bulk_bytes() {
        assert_eq!(eval("return cmsgpack.pack(-1, 'a')"), Reply::Bulk(vec![0xff, 0xa1, b'a']));
        assert_eq!(eval("return struct.pack('<I2', 0xfffe)"), Reply::Bulk(vec![0xfe, 0xff]));
    }
}
