//! Lua 5.1's table library (ltablib.c) as Redis 7.0 has it: open it with [`open`].
//!
//! - `table.sort` is 5.1's quicksort (`auxsort`) step for step: the same comparisons in
//!   the same order, the same swaps, so a comparator that is not a strict order gives the
//!   same table, or the same "invalid order function for sorting", as Redis. Comparators
//!   run through [`Vm::call`]; without one, values compare as `<` does (numbers, strings,
//!   `__lt`), and a mixed table fails with 5.1's `attempt to compare number with string`
//!   (raised inside a C function: no position).
//! - Writes are raw (`lua_rawseti`) and respect Redis's read-only tables.
//! - `foreach`, `foreachi`, `getn`, `maxn`, `setn` ("obsolete") are 5.1's compatibility
//!   functions; `concat` names the bad value as Redis's Lua does (`invalid value (nil) at
//!   index 2 in table for 'concat'`).
//! - Work that cannot pause (sorting, shifting elements, joining strings) is charged to
//!   the run's fuel ([`Vm::consume_fuel`]), so a script cannot freeze its host with one
//!   call.

use crate::lib_base::{
    check_function, check_int, check_table, is_none_or_nil, opt_int, opt_string, raw_set_checked,
};
use crate::value::{TableRef, Value};
use crate::vm::{NativeReturn, Vm};

type R = Result<NativeReturn, Value>;

fn ret(v: Vec<Value>) -> R {
    Ok(NativeReturn::Values(v))
}

fn ret1(v: Value) -> R {
    Ok(NativeReturn::Values(vec![v]))
}

/// A string made longer than this by `concat` is refused ("not enough memory"): the
/// host (a browser tab) must not run out of memory.
const MAX_STRING: usize = 64 << 20;
/// Bytes of a joined string per unit of fuel.
const BYTES_PER_FUEL: usize = 64;

/// Creates the `table` table (in `tab_funcs`' order, sized as `luaL_register` sizes it).
pub fn open(vm: &mut Vm) {
    let natives: [(&'static str, crate::heap::NativeFn); 9] = [
        ("concat", concat),
        ("foreach", foreach),
        ("foreachi", foreachi),
        ("getn", getn),
        ("maxn", maxn),
        ("insert", insert),
        ("remove", remove),
        ("setn", setn),
        ("sort", sort),
    ];
    let table = vm.new_table_sized(0, natives.len());
    for (name, f) in natives {
        let v = vm.new_native(name, f);
        vm.set_field(table, name, v);
    }
    vm.set_global("table", Value::Table(table));
}

/// `aux_getn`: the table argument and its length (`lua_objlen`, raw: 5.1 has no `__len`
/// for tables), as a C int.
fn table_and_len(vm: &Vm, args: &[Value]) -> Result<(TableRef, i64), Value> {
    let t = check_table(vm, args, 1)?;
    Ok((t, vm.raw_len(t) as i32 as i64))
}

fn get(vm: &Vm, t: TableRef, i: i64) -> Value {
    vm.heap.table(t).get_int(i).clone()
}

fn set(vm: &mut Vm, t: TableRef, i: i64, v: Value) -> Result<(), Value> {
    raw_set_checked(vm, t, Value::Number(i as f64), v)
}

/// Runs `body` with a table kept alive (pinned) for it: values a native holds in Rust
/// while Lua code runs (a callback may drop them from the table being worked on) are
/// stored there so that a collection inside the callback keeps them.
fn with_held<T>(
    vm: &mut Vm,
    body: impl FnOnce(&mut Vm, TableRef) -> Result<T, Value>,
) -> Result<T, Value> {
    let held = vm.new_table_sized(4, 0);
    let pin = vm.pin(Value::Table(held));
    let r = body(vm, held);
    vm.unpin(pin);
    r
}

fn hold(vm: &mut Vm, held: TableRef, slot: i64, v: &Value) {
    let _ = vm.heap.table_mut(held).set_int(slot, v.clone());
}

fn getn(vm: &mut Vm, args: Vec<Value>) -> R {
    let (_, n) = table_and_len(vm, &args)?;
    ret1(Value::Number(n as f64))
}

fn setn(vm: &mut Vm, args: Vec<Value>) -> R {
    check_table(vm, &args, 1)?;
    Err(vm.error("'setn' is obsolete"))
}

/// `table.maxn(t)`: the largest positive numeric key (0 if none).
fn maxn(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1)?;
    let mut max = 0.0f64;
    let mut key = Value::Nil;
    let mut visited = 0u64;
    loop {
        match vm.heap.table(t).next(&key) {
            Ok(Some((k, _))) => {
                if let Value::Number(v) = k {
                    if v > max {
                        max = v;
                    }
                }
                key = k;
                visited += 1;
            }
            Ok(None) => break,
            Err(_) => return Err(vm.rt_error("invalid key to 'next'")),
        }
    }
    vm.consume_fuel(visited / 4)?;
    ret1(Value::Number(max))
}

/// `table.insert(t, [pos,] v)`: with a position, the elements from `pos` to the end move
/// up one (reading `t[i-1]`, writing `t[i]`, from the end down).
fn insert(vm: &mut Vm, args: Vec<Value>) -> R {
    let (t, n) = table_and_len(vm, &args)?;
    let mut e = n + 1;
    let pos = match args.len() {
        2 => e,
        3 => {
            let pos = check_int(vm, &args, 2)?;
            if pos > e {
                e = pos;
            }
            vm.consume_fuel((e - pos).max(0) as u64)?;
            let mut i = e;
            while i > pos {
                let moved = get(vm, t, i - 1);
                set(vm, t, i, moved)?;
                i -= 1;
            }
            pos
        }
        _ => return Err(vm.error("wrong number of arguments to 'insert'")),
    };
    let v = args[args.len() - 1].clone();
    set(vm, t, pos, v)?;
    ret(Vec::new())
}

/// `table.remove(t [, pos])`: nothing when `pos` is outside `1..#t`; else `t[pos]`,
/// the elements above moving down one.
fn remove(vm: &mut Vm, args: Vec<Value>) -> R {
    let (t, e) = table_and_len(vm, &args)?;
    let mut pos = opt_int(vm, &args, 2, e)?;
    if !(1 <= pos && pos <= e) {
        return ret(Vec::new());
    }
    vm.consume_fuel((e - pos) as u64)?;
    let removed = get(vm, t, pos);
    while pos < e {
        let next = get(vm, t, pos + 1);
        set(vm, t, pos, next)?;
        pos += 1;
    }
    set(vm, t, e, Value::Nil)?;
    ret1(removed)
}

/// `table.concat(t [, sep [, i [, j]]])`: strings and numbers (`%.14g`) only.
fn concat(vm: &mut Vm, args: Vec<Value>) -> R {
    let sep = opt_string(vm, &args, 2, b"")?;
    let t = check_table(vm, &args, 1)?;
    let first = opt_int(vm, &args, 3, 1)?;
    let last = if is_none_or_nil(&args, 4) {
        vm.raw_len(t) as i32 as i64
    } else {
        check_int(vm, &args, 4)?
    };
    let mut out = Vec::new();
    let mut i = first;
    while i <= last {
        match get(vm, t, i) {
            Value::Str(s) => out.extend_from_slice(s.as_bytes()),
            Value::Number(n) => crate::number::write_number(&mut out, n),
            other => {
                let msg = format!(
                    "invalid value ({}) at index {i} in table for 'concat'",
                    other.type_name()
                );
                return Err(vm.error(&msg));
            }
        }
        if i != last {
            out.extend_from_slice(sep.as_bytes());
        }
        if out.len() > MAX_STRING {
            return Err(Value::str("not enough memory"));
        }
        i += 1;
    }
    vm.consume_fuel(((last - first).max(0) as u64) + (out.len() / BYTES_PER_FUEL) as u64)?;
    ret1(vm.new_string(&out))
}

/// `table.foreachi(t, f)`: `f(i, t[i])` for i in `1..#t` (the length taken once), until
/// one returns something other than nil, which is the result.
fn foreachi(vm: &mut Vm, args: Vec<Value>) -> R {
    let (t, n) = table_and_len(vm, &args)?;
    let f = check_function(vm, &args, 2)?;
    for i in 1..=n {
        let v = get(vm, t, i);
        let r = vm.call(f.clone(), vec![Value::Number(i as f64), v])?;
        let first = r.into_iter().next().unwrap_or(Value::Nil);
        if !first.is_nil() {
            return ret1(first);
        }
    }
    ret(Vec::new())
}

/// `table.foreach(t, f)`: `f(k, v)` for each pair in `next`'s order, until one returns
/// something other than nil, which is the result.
fn foreach(vm: &mut Vm, args: Vec<Value>) -> R {
    let t = check_table(vm, &args, 1)?;
    let f = check_function(vm, &args, 2)?;
    with_held(vm, |vm, held| {
        let mut key = Value::Nil;
        loop {
            let (k, v) = match vm.heap.table(t).next(&key) {
                Ok(Some(pair)) => pair,
                Ok(None) => return ret(Vec::new()),
                Err(_) => return Err(vm.rt_error("invalid key to 'next'")),
            };
            // The key must outlive the call: the next step starts from it.
            hold(vm, held, 1, &k);
            let r = vm.call(f.clone(), vec![k.clone(), v])?;
            let first = r.into_iter().next().unwrap_or(Value::Nil);
            if !first.is_nil() {
                return ret1(first);
            }
            key = k;
        }
    })
}

fn sort(vm: &mut Vm, args: Vec<Value>) -> R {
    let (t, n) = table_and_len(vm, &args)?;
    let comparator = if is_none_or_nil(&args, 2) {
        None
    } else {
        Some(check_function(vm, &args, 2)?)
    };
    with_held(vm, |vm, held| {
        Sort {
            table: t,
            comparator,
            held,
        }
        .sort(vm, 1, n)
    })?;
    ret(Vec::new())
}

/// Slots of the held table: the pivot and the two values being compared or swapped.
const PIVOT: i64 = 1;
const FIRST: i64 = 2;
const SECOND: i64 = 3;

/// One `table.sort` call: 5.1's `auxsort` over `table`.
struct Sort {
    table: TableRef,
    comparator: Option<Value>,
    held: TableRef,
}

impl Sort {
    /// `lua_rawgeti`, keeping the value in `slot` of the held table.
    fn read(&self, vm: &mut Vm, i: i64, slot: i64) -> Value {
        let v = get(vm, self.table, i);
        hold(vm, self.held, slot, &v);
        v
    }

    fn write(&self, vm: &mut Vm, i: i64, v: Value) -> Result<(), Value> {
        set(vm, self.table, i, v)
    }

    /// `sort_comp`: the comparator's first result as a boolean, or `a < b`.
    fn less(&self, vm: &mut Vm, a: &Value, b: &Value) -> Result<bool, Value> {
        vm.consume_fuel(1)?;
        match &self.comparator {
            Some(f) => {
                let r = vm.call(f.clone(), vec![a.clone(), b.clone()])?;
                Ok(r.first().is_some_and(Value::truthy))
            }
            None => vm.lua_less_than(a, b),
        }
    }

    fn invalid_order(vm: &Vm) -> Value {
        vm.error("invalid order function for sorting")
    }

    /// Sorts `l..=u`: the range is split around a pivot, the smaller part sorted by a
    /// recursive call (so at most log2(n) deep), the larger one by the loop.
    fn sort(&self, vm: &mut Vm, l: i64, u: i64) -> Result<(), Value> {
        let (mut l, mut u) = (l, u);
        while l < u {
            // Sort a[l], a[(l+u)/2] and a[u].
            let a = self.read(vm, l, FIRST);
            let b = self.read(vm, u, SECOND);
            if self.less(vm, &b, &a)? {
                self.write(vm, l, b)?;
                self.write(vm, u, a)?;
            }
            if u - l == 1 {
                break;
            }
            let mut i = (l + u) / 2;
            let a = self.read(vm, i, FIRST);
            let b = self.read(vm, l, SECOND);
            if self.less(vm, &a, &b)? {
                self.write(vm, i, b)?;
                self.write(vm, l, a)?;
            } else {
                let b = self.read(vm, u, SECOND);
                if self.less(vm, &b, &a)? {
                    self.write(vm, i, b)?;
                    self.write(vm, u, a)?;
                }
            }
            if u - l == 2 {
                break;
            }
            // The pivot goes to u-1; a[l] <= P <= a[u] already.
            let pivot = self.read(vm, i, PIVOT);
            let before_last = get(vm, self.table, u - 1);
            self.write(vm, i, before_last)?;
            self.write(vm, u - 1, pivot.clone())?;
            i = l;
            let mut j = u - 1;
            loop {
                // Up from l until a[i] >= P, down from u-1 until a[j] <= P.
                let low = loop {
                    i += 1;
                    let v = self.read(vm, i, FIRST);
                    if !self.less(vm, &v, &pivot)? {
                        break v;
                    }
                    if i > u {
                        return Err(Self::invalid_order(vm));
                    }
                };
                let high = loop {
                    j -= 1;
                    let v = self.read(vm, j, SECOND);
                    if !self.less(vm, &pivot, &v)? {
                        break v;
                    }
                    if j < l {
                        return Err(Self::invalid_order(vm));
                    }
                };
                if j < i {
                    break;
                }
                self.write(vm, i, high)?;
                self.write(vm, j, low)?;
            }
            // The pivot (at u-1) and a[i] swap places.
            let pivot_now = get(vm, self.table, u - 1);
            let at_i = get(vm, self.table, i);
            self.write(vm, u - 1, at_i)?;
            self.write(vm, i, pivot_now)?;
            let (from, to);
            if i - l < u - i {
                (from, to) = (l, i - 1);
                l = i + 1;
            } else {
                (from, to) = (i + 1, u);
                u = i - 1;
            }
            self.sort(vm, from, to)?;
        }
        Ok(())
    }
}

/// The strings a table holds at `1..n` (for tests and hosts).
#[cfg(test)]
fn strings(vm: &Vm, t: TableRef) -> Vec<String> {
    vm.array(t)
        .iter()
        .map(|v| vm.tostring_raw(v).to_str_lossy())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Outcome;

    fn run(vm: &mut Vm, src: &str) -> Result<Vec<Value>, String> {
        let f = vm.load(src.as_bytes(), "user_script")?;
        vm.start(f, Vec::new())
            .map_err(|e| vm.tostring_raw(&e).to_str_lossy())?;
        loop {
            match vm.run(1000) {
                Ok(Outcome::Finished(v)) => return Ok(v),
                Ok(Outcome::Paused) => {}
                Ok(Outcome::Yielded(_)) => return Err("yielded".into()),
                Err(e) => return Err(vm.tostring_raw(&e).to_str_lossy()),
            }
        }
    }

    fn vm() -> Vm {
        let mut vm = Vm::new();
        open(&mut vm);
        vm
    }

    fn sorted(src: &str) -> Vec<String> {
        let mut vm = vm();
        match run(&mut vm, src) {
            Ok(v) => match v.first() {
                Some(Value::Table(t)) => strings(&vm, *t),
                _ => vec!["not a table".into()],
            },
            Err(e) => vec![e],
        }
    }

    #[test]
    fn sorts_numbers_strings_and_with_comparators() {
        let src =
            "local t = {} for i = 1, 500 do t[i] = (i * 7919) % 1009 end table.sort(t) return t";
        let got = sorted(src);
        let mut want: Vec<i64> = (1..=500).map(|i| (i * 7919) % 1009).collect();
        want.sort();
        assert_eq!(got, want.iter().map(|n| n.to_string()).collect::<Vec<_>>());
        assert_eq!(
            sorted("local t = {'pear', 'fig', 'apple'} table.sort(t) return t"),
            ["apple", "fig", "pear"]
        );
        assert_eq!(
            sorted("local t = {1, 3, 2} table.sort(t, function(a, b) return a > b end) return t"),
            ["3", "2", "1"]
        );
    }

    #[test]
    fn inconsistent_comparators_fail_as_in_lua() {
        let mut vm = vm();
        let e = run(
            &mut vm,
            "local t = {3, 2, 1, 4, 5} table.sort(t, function() return true end)",
        )
        .unwrap_err();
        assert_eq!(e, "user_script:1: invalid order function for sorting");
        let e = run(&mut vm, "table.sort({1, 'x', 2})").unwrap_err();
        assert_eq!(e, "attempt to compare string with number");
        // A comparator that is not an order gives some permutation, never a panic.
        let src = "local t = {} for i = 1, 200 do t[i] = i % 13 end \
                   pcall(table.sort, t, function(a, b) return (a + b) % 3 == 0 end) return #t";
        assert!(matches!(run(&mut vm, src).unwrap()[0], Value::Number(n) if n == 200.0));
    }

    #[test]
    fn a_comparator_that_empties_the_table_keeps_the_values_alive() {
        // The fifth comparison empties the table and collects: the values the sort holds
        // (pivot, the pair being compared) are written back and must still be the tables
        // they were.
        let src = "local t = {} for i = 1, 40 do t[i] = {v = (i * 7) % 40} end local n = 0 \
                   table.sort(t, function(a, b) n = n + 1 \
                     if n == 5 then for k = 1, 40 do t[k] = nil end collectgarbage() local junk = {} for k = 1, 100 do junk[k] = {} end end \
                     if type(a) ~= 'table' or type(b) ~= 'table' then return false end return a.v < b.v end) \
                   local kept, bad = 0, 0 for k = 1, 40 do if t[k] ~= nil then \
                     if type(t[k]) == 'table' and type(t[k].v) == 'number' then kept = kept + 1 else bad = bad + 1 end end end \
                   return kept, bad";
        let mut vm = vm();
        let got = run(&mut vm, src).map(|v| {
            v.iter()
                .map(|x| vm.tostring_raw(x).to_str_lossy())
                .collect::<Vec<_>>()
        });
        let got = got.unwrap_or_else(|e| vec![e]);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_ne!(got[0], "0", "{got:?}");
        assert_eq!(got[1], "0", "{got:?}");
    }

    #[test]
    fn long_work_is_charged_to_fuel() {
        let mut vm = vm();
        vm.set_nested_fuel_limit(100_000);
        let e = run(&mut vm, "local t = {1} table.insert(t, -2^31, 'x')").unwrap_err();
        assert_eq!(e, "instruction budget exhausted inside a nested call");
        vm.set_nested_fuel_limit(10_000_000);
        let ok = run(
            &mut vm,
            "local t = {} for i = 1, 20000 do t[i] = -i end table.sort(t) return t[1]",
        )
        .unwrap();
        assert!(matches!(ok[0], Value::Number(n) if n == -20000.0));
    }
}
