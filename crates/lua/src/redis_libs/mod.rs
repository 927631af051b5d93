//! The C libraries Redis 7.0 links into its Lua (deps/lua/src: lua_cjson.c, lua_cmsgpack.c,
//! lua_bit.c, lua_struct.c), as the globals `cjson`, `cmsgpack`, `bit` and `struct`.
//!
//! Open them all with [`open`], or one with its module's `open` ([`cjson::open`],
//! [`cmsgpack::open`], [`bit::open`], [`structlib::open`]). They only set globals: Redis
//! then makes its globals and their tables read-only, which is the host's business.
//!
//! Each library keeps its encoding and decoding logic in pure Rust over [`Data`], a small
//! copy of a Lua value (tables as their pairs in `next` order), so it is tested without a
//! VM; the natives convert their arguments to `Data`, call the pure function and convert
//! the result back. Failures say how the C library raises them ([`Failure`]), so that the
//! VM words and positions them as Lua 5.1 would (`bad argument #1 to 'encode' (...)`,
//! named by the call site).

pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod structlib;

use crate::value::Value;
use crate::vm::{NativeReturn, Vm};

/// Opens `cjson`, `cmsgpack`, `bit` and `struct`.
pub fn open(vm: &mut Vm) {
    cjson::open(vm);
    cmsgpack::open(vm);
    bit::open(vm);
    structlib::open(vm);
}

type R = Result<NativeReturn, Value>;

/// A Lua 5.1 value as the libraries see it: numbers are doubles, tables are their pairs in
/// iteration order.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
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

/// Why a library function failed, as the C code raises it.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// `luaL_argerror(L, n, msg)`: `bad argument #n to 'f' (msg)`, positioned.
    Arg(usize, String),
    /// `luaL_error`: the message positioned at the calling line.
    Error(String),
    /// An error of the Lua core inside the library (`table index is nil`, `not enough
    /// memory`): Lua 5.1 gives it no position inside a C function.
    Plain(String),
}

impl Failure {
    fn arg(n: usize, msg: &str) -> Failure {
        Failure::Arg(n, msg.to_string())
    }

    fn error(msg: &str) -> Failure {
        Failure::Error(msg.to_string())
    }

    /// The message as Lua words it for a function named `fname` (without position).
    pub fn text(&self, fname: &str) -> String {
        match self {
            Failure::Arg(n, msg) => format!("bad argument #{n} to '{fname}' ({msg})"),
            Failure::Error(msg) | Failure::Plain(msg) => msg.clone(),
        }
    }

    /// The error value the running native raises.
    fn raise(self, vm: &Vm) -> Value {
        match self {
            Failure::Arg(n, msg) => vm.arg_error(n, "?", &msg),
            Failure::Error(msg) => vm.error(&msg),
            Failure::Plain(msg) => Value::str(&msg),
        }
    }
}

/// The value `cjson.null` is: Redis pushes a NULL light userdata.
pub const NULL: Value = Value::LightUserData(0);

/// How deep any conversion of a Lua table goes: deeper tables become [`Data::Deep`]. Redis's
/// own limits (cjson's 1000, cmsgpack's 16) are at most this, and it bounds the recursion.
pub const MAX_TABLE_DEPTH: usize = 1000;

/// The most values one conversion may produce: a table referring to itself many times is
/// a tree of exponential size.
const MAX_NODES: usize = 4_000_000;
/// The most string bytes one conversion or one result may hold (one big string referred
/// to many times would otherwise be copied as many times).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What a conversion may still produce.
struct Budget {
    nodes: usize,
    bytes: usize,
}

fn out_of_memory() -> Failure {
    Failure::Plain("not enough memory".to_string())
}

/// Converts a Lua value; tables deeper than `tables_left` levels become [`Data::Deep`].
/// Fails when the result would be unreasonably big.
pub fn to_data(vm: &Vm, v: &Value, tables_left: usize) -> Result<Data, Failure> {
    let mut budget = Budget {
        nodes: MAX_NODES,
        bytes: MAX_BYTES,
    };
    convert_in(vm, v, tables_left.min(MAX_TABLE_DEPTH), &mut budget)
}

fn convert_in(
    vm: &Vm,
    v: &Value,
    tables_left: usize,
    budget: &mut Budget,
) -> Result<Data, Failure> {
    if budget.nodes == 0 {
        return Err(out_of_memory());
    }
    budget.nodes -= 1;
    Ok(match v {
        Value::Nil => Data::Nil,
        Value::Bool(b) => Data::Bool(*b),
        Value::Number(n) => Data::Number(*n),
        Value::Str(s) => {
            if s.len() > budget.bytes {
                return Err(out_of_memory());
            }
            budget.bytes -= s.len();
            Data::Str(s.as_bytes().to_vec())
        }
        Value::Table(t) => {
            if tables_left == 0 {
                return Ok(Data::Deep);
            }
            // lua_next: Lua 5.1's order (the array part, then the hash nodes).
            let tab = vm.heap.table(*t);
            let mut pairs = Vec::new();
            let mut key = Value::Nil;
            while let Ok(Some((k, v))) = tab.next(&key) {
                let kd = convert_in(vm, &k, tables_left - 1, budget)?;
                let vd = convert_in(vm, &v, tables_left - 1, budget)?;
                pairs.push((kd, vd));
                key = k;
            }
            Data::Table(pairs)
        }
        Value::LightUserData(0) => Data::Null,
        Value::LightUserData(_) | Value::UserData(_) => Data::Other("userdata"),
        Value::Function(_) => Data::Other("function"),
        Value::Thread(_) => Data::Other("thread"),
    })
}

/// Builds the Lua value of `data`; `null` is what [`Data::Null`] becomes. Tables are
/// filled pair by pair in order with `lua_settable`'s rules (a nil value still makes room
/// for its key), so they are laid out as the C library's tables are.
pub fn from_data(vm: &mut Vm, data: &Data, null: &Value) -> Result<Value, Failure> {
    Ok(match data {
        Data::Nil | Data::Deep | Data::Other(_) => Value::Nil,
        Data::Bool(b) => Value::Bool(*b),
        Data::Number(n) => Value::Number(*n),
        Data::Str(s) => vm.new_string(s),
        Data::Null => null.clone(),
        Data::Table(pairs) => {
            let t = Value::Table(vm.new_table());
            for (k, v) in pairs {
                let key = from_data(vm, k, null)?;
                let value = from_data(vm, v, null)?;
                match &key {
                    Value::Nil => return Err(Failure::Plain("table index is nil".to_string())),
                    Value::Number(n) if n.is_nan() => {
                        return Err(Failure::Plain("table index is NaN".to_string()))
                    }
                    _ => {}
                }
                if let Err(e) = vm.set_index(&t, key, value) {
                    return Err(Failure::Plain(vm.tostring_raw(&e).to_str_lossy()));
                }
            }
            t
        }
    })
}

/// The arguments of a native, converted (tables only one level deep: no library reads
/// into a table argument except the encoders, which convert their own).
fn arg_data(vm: &Vm, args: &[Value]) -> Vec<Data> {
    args.iter()
        .map(|v| to_data(vm, v, 0).unwrap_or(Data::Deep))
        .collect()
}

/// C's `(long long)` of a double on x86-64 (`cvttsd2si`): out of range and NaN give LLONG_MIN.
pub fn c_llong(d: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_63..TWO_63).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// Lua's type name of a converted value.
pub fn data_type(d: &Data) -> &'static str {
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
pub fn data_number(d: &Data) -> Option<f64> {
    match d {
        Data::Number(n) => Some(*n),
        Data::Str(s) => crate::number::str_to_number(s),
        _ => None,
    }
}

/// `lua_tolstring` of a converted value (numbers with `%.14g`).
pub fn data_string(d: &Data) -> Option<Vec<u8>> {
    match d {
        Data::Str(s) => Some(s.clone()),
        Data::Number(n) => Some(crate::number::number_to_string(*n).into_bytes()),
        _ => None,
    }
}

/// The arguments of a library function, read with the rules (and error texts) of
/// `luaL_checknumber`, `luaL_checklstring` and `luaL_optinteger`. Indexes are 0-based.
pub struct Args<'a> {
    pub args: &'a [Data],
}

impl Args<'_> {
    fn type_at(&self, i: usize) -> &'static str {
        self.args.get(i).map(data_type).unwrap_or("no value")
    }

    pub fn number(&self, i: usize) -> Result<f64, Failure> {
        self.args
            .get(i)
            .and_then(data_number)
            .ok_or_else(|| Failure::Arg(i + 1, format!("number expected, got {}", self.type_at(i))))
    }

    pub fn string(&self, i: usize) -> Result<Vec<u8>, Failure> {
        self.args
            .get(i)
            .and_then(data_string)
            .ok_or_else(|| Failure::Arg(i + 1, format!("string expected, got {}", self.type_at(i))))
    }

    /// `luaL_optinteger`: absent or nil gives `default`.
    pub fn opt_integer(&self, i: usize, default: i64) -> Result<i64, Failure> {
        match self.args.get(i) {
            None | Some(Data::Nil) => Ok(default),
            Some(_) => self.number(i).map(c_llong),
        }
    }
}

/// Values a native returns, built from `Data` (`null` for [`Data::Null`]).
fn returns(vm: &mut Vm, values: &[Data], null: &Value) -> R {
    let mut out = Vec::with_capacity(values.len());
    for d in values {
        out.push(from_data(vm, d, null).map_err(|f| f.raise(vm))?);
    }
    Ok(NativeReturn::Values(out))
}

/// A library table: `functions` as natives, then string fields.
fn library(
    vm: &mut Vm,
    functions: &[(&'static str, crate::heap::NativeFn)],
    fields: &[(&str, &str)],
) -> crate::value::TableRef {
    let t = vm.new_table();
    for &(name, f) in functions {
        let v = vm.new_native(name, f);
        vm.set_field(t, name, v);
    }
    for &(name, text) in fields {
        vm.set_field(t, name, Value::str(text));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_casts_saturate_as_x86_does() {
        assert_eq!(c_llong(f64::NAN), i64::MIN);
        assert_eq!(c_llong(1e300), i64::MIN);
        assert_eq!(c_llong(-3.9), -3);
    }

    #[test]
    fn conversions_keep_lua_order_and_table_rules() {
        let mut vm = Vm::new();
        let d = Data::Table(vec![
            (Data::Number(1.0), Data::Str(b"a".to_vec())),
            (Data::Str(b"k".to_vec()), Data::Null),
            (Data::Str(b"gone".to_vec()), Data::Nil),
        ]);
        let v = from_data(&mut vm, &d, &NULL).unwrap();
        let back = to_data(&vm, &v, 10).unwrap();
        assert_eq!(
            back,
            Data::Table(vec![
                (Data::Number(1.0), Data::Str(b"a".to_vec())),
                (Data::Str(b"k".to_vec()), Data::Null)
            ])
        );
        let nil_key = Data::Table(vec![(Data::Nil, Data::Number(1.0))]);
        assert_eq!(
            from_data(&mut vm, &nil_key, &NULL).err(),
            Some(Failure::Plain("table index is nil".into()))
        );
        let nested = Data::Table(vec![(Data::Number(1.0), Data::Table(vec![]))]);
        let v = from_data(&mut vm, &nested, &NULL).unwrap();
        assert_eq!(
            to_data(&vm, &v, 1).unwrap(),
            Data::Table(vec![(Data::Number(1.0), Data::Deep)])
        );
    }

    #[test]
    fn strtod_reads_the_longest_number_prefix() {
        // cjson reads numbers with C's strtod: the VM's `number::strtod` is that.
        use crate::number::strtod;
        assert_eq!(strtod(b"12abc"), Some((12.0, 2)));
        assert_eq!(strtod(b"-1.5e3,"), Some((-1500.0, 6)));
        assert_eq!(strtod(b"1e"), Some((1.0, 1)));
        assert_eq!(strtod(b"0x10]"), Some((16.0, 4)));
        assert_eq!(strtod(b"0x"), Some((0.0, 1)));
        assert_eq!(strtod(b"-Infinity"), Some((f64::NEG_INFINITY, 9)));
        assert_eq!(strtod(b"infx"), Some((f64::INFINITY, 3)));
        assert!(strtod(b"nan").is_some_and(|(v, n)| v.is_nan() && n == 3));
        assert_eq!(strtod(b"-"), None);
        assert_eq!(strtod(b"."), None);
        assert_eq!(strtod(b"-.5"), Some((-0.5, 3)));
    }
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
                    Data::Table(
                        items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (Data::Number((i + 1) as f64), v))
                            .collect(),
                    )
                }),
                proptest::collection::btree_map("[a-z]{1,4}", inner, 1..5).prop_map(|m| {
                    Data::Table(
                        m.into_iter()
                            .map(|(k, v)| (Data::Str(k.into_bytes()), v))
                            .collect(),
                    )
                }),
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
            Data::Table(pairs) => {
                Data::Table(pairs.into_iter().map(|(k, v)| (k, strip_null(v))).collect())
            }
            other => other,
        }
    }
}
