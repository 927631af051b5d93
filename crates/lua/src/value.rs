//! Lua 5.1 values: nil, booleans, numbers (doubles only), byte strings, and handles to the
//! collected objects (tables, functions, userdata, threads) that live in the heap.
//!
//! Strings are immutable byte strings shared by reference count: they hold no references
//! to other values, so they need no tracing. Each keeps Lua 5.1.5's `luaS_hash` of its
//! bytes, computed once, because the hash decides where a string key lands in a table and
//! so the order `pairs` visits keys in.

use std::fmt;
use std::rc::Rc;

/// `luaS_hash` of Lua 5.1.5 (seeded with the length, no randomisation: Redis 7.0's Lua).
pub fn lua_hash(bytes: &[u8]) -> u32 {
    let l = bytes.len();
    let mut h = l as u32;
    let step = (l >> 5) + 1;
    let mut l1 = l;
    while l1 >= step {
        h ^= (h << 5)
            .wrapping_add(h >> 2)
            .wrapping_add(bytes[l1 - 1] as u32);
        l1 -= step;
    }
    h
}

struct StrInner {
    hash: u32,
    bytes: Box<[u8]>,
}

/// An immutable Lua string: cheap to clone, compared by content.
#[derive(Clone)]
pub struct LuaStr(Rc<StrInner>);

impl LuaStr {
    pub fn new(bytes: &[u8]) -> LuaStr {
        LuaStr(Rc::new(StrInner {
            hash: lua_hash(bytes),
            bytes: bytes.into(),
        }))
    }

    pub fn from_vec(bytes: Vec<u8>) -> LuaStr {
        LuaStr(Rc::new(StrInner {
            hash: lua_hash(&bytes),
            bytes: bytes.into_boxed_slice(),
        }))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0.bytes
    }

    pub fn len(&self) -> usize {
        self.0.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.bytes.is_empty()
    }

    pub fn hash(&self) -> u32 {
        self.0.hash
    }

    /// The bytes as text, invalid UTF-8 replaced (for messages).
    pub fn to_str_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0.bytes).into_owned()
    }

    /// An estimate of this reference's share of the string's memory (for accounting).
    pub(crate) fn shared_size(&self) -> usize {
        (self.0.bytes.len() + 32) / Rc::strong_count(&self.0).max(1)
    }
}

impl PartialEq for LuaStr {
    fn eq(&self, other: &LuaStr) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
            || (self.0.hash == other.0.hash && self.0.bytes == other.0.bytes)
    }
}

impl Eq for LuaStr {}

impl PartialOrd for LuaStr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// `l_strcmp` in the C locale: byte order, with embedded NULs compared piecewise, which is
/// plain byte order.
impl Ord for LuaStr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl fmt::Debug for LuaStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_str_lossy())
    }
}

impl From<&str> for LuaStr {
    fn from(s: &str) -> LuaStr {
        LuaStr::new(s.as_bytes())
    }
}

/// A table in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableRef(pub(crate) u32);
/// A function (Lua closure or native) in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FuncRef(pub(crate) u32);
/// A full userdata in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserDataRef(pub(crate) u32);
/// A coroutine in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ThreadRef(pub(crate) u32);

/// Every variant but `Str` holds plain `Copy` data: the interpreter copies such values
/// bitwise (`copy_into` in vm.rs), so a variant owning memory must be handled there too.
#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Number(f64),
    Str(LuaStr),
    Table(TableRef),
    Function(FuncRef),
    /// A light userdata: a plain tag chosen by the host (for sentinels such as cjson.null).
    LightUserData(usize),
    UserData(UserDataRef),
    Thread(ThreadRef),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(LuaStr::new(s.as_bytes()))
    }

    pub fn bytes(b: &[u8]) -> Value {
        Value::Str(LuaStr::new(b))
    }

    /// The bytes of a string value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    /// The number of a number value (no string coercion: see `to_number`).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Lua truth: everything but nil and false.
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// `luaT_typenames`: what `type()` returns.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::Str(_) => "string",
            Value::Table(_) => "table",
            Value::Function(_) => "function",
            Value::LightUserData(_) | Value::UserData(_) => "userdata",
            Value::Thread(_) => "thread",
        }
    }

    /// `luaO_rawequalObj`: equality without metamethods.
    pub fn raw_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Table(a), Value::Table(b)) => a == b,
            (Value::Function(a), Value::Function(b)) => a == b,
            (Value::LightUserData(a), Value::LightUserData(b)) => a == b,
            (Value::UserData(a), Value::UserData(b)) => a == b,
            (Value::Thread(a), Value::Thread(b)) => a == b,
            _ => false,
        }
    }

    /// `tonumber` coercion (`luaV_tonumber`): numbers, and strings that read as numbers.
    pub fn to_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::Str(s) => crate::number::str_to_number(s.as_bytes()),
            _ => None,
        }
    }

    /// `tostring` coercion (`luaV_tostring`): strings, and numbers as `%.14g`.
    pub fn to_lua_string(&self) -> Option<LuaStr> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Number(n) => Some(LuaStr::from(crate::number::number_to_string(*n).as_str())),
            _ => None,
        }
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Value {
        Value::Number(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<LuaStr> for Value {
    fn from(s: LuaStr) -> Value {
        Value::Str(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_lua_5_1() {
        // Seeded with the length; long strings sample every (len>>5)+1-th byte.
        assert_eq!(lua_hash(b""), 0);
        // len 1: h = 1 ^ ((1 << 5) + (1 >> 2) + 'a').
        let h = lua_hash(b"a");
        assert_eq!(h, 1 ^ (32 + 97));
        let long = vec![b'x'; 100];
        let _ = lua_hash(&long);
    }

    #[test]
    fn equality_and_types() {
        assert!(Value::str("a").raw_eq(&Value::str("a")));
        assert!(!Value::Number(f64::NAN).raw_eq(&Value::Number(f64::NAN)));
        assert!(!Value::Nil.truthy());
        assert!(Value::Number(0.0).truthy());
        assert_eq!(Value::LightUserData(0).type_name(), "userdata");
        assert_eq!(Value::str(" 0x1A ").to_number(), Some(26.0));
    }
}
