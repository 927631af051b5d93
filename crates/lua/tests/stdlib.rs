//! The table and math libraries and the base library, compared with what a real
//! redis-server 7.0.15 (PUC Lua 5.1.5) answered to `EVAL <script> 0`, recorded by
//! `python3 scripts/record-lua-cases.py stdlib` into `tests/scripts/stdlib_recorded.txt`
//! (never typed by hand). The scripts are those of the emulator's golden case
//! `scripting-stdlib.txt` that do not need `redis.*` or the string library, then more.
//!
//! All cases run in order on one VM, as the recorder sends them to one server: state Lua
//! keeps between scripts (math.random's generator, collectgarbage's settings) runs on.
//! The harness plays the small part of Redis that scripts see: read-only globals and
//! library tables, "Script attempted to access nonexistent global variable", Redis's
//! error handler (errors become `{err = 'ERR ' .. msg}`), and the Lua-to-reply conversion.

mod common;

use common::{
    compare_cases, make_readonly, normalise_expected, on_big_stack, parse_sections,
    protect_globals, run_script,
};
use lua51::{NativeReturn, Value, Vm};

/// Redis's `__redis__err__handler`, without the source and line it also records: an
/// error that is not a table becomes `{err = 'ERR ' .. tostring(err)}`.
fn redis_error_handler(vm: &mut Vm, args: Vec<Value>) -> Result<NativeReturn, Value> {
    let e = args.into_iter().next().unwrap_or(Value::Nil);
    if let Value::Table(_) = e {
        return Ok(NativeReturn::Values(vec![e]));
    }
    let mut text = b"ERR ".to_vec();
    text.extend_from_slice(vm.tostring_raw(&e).as_bytes());
    let t = vm.new_table();
    let msg = vm.new_string(&text);
    vm.set_field(t, "err", msg);
    Ok(NativeReturn::Values(vec![Value::Table(t)]))
}

fn redis_vm() -> Vm {
    let mut vm = Vm::new();
    lua51::lib_table::open(&mut vm);
    lua51::lib_math::open(&mut vm);
    // A stand-in for the string library (not in this crate's part under test), and the
    // strings' metatable pointing at it.
    let string = vm.new_table();
    vm.set_global("string", Value::Table(string));
    let string_meta = vm.new_table();
    vm.set_field(string_meta, "__index", Value::Table(string));
    vm.string_meta = Some(string_meta);
    let handler = vm.new_native("__redis__err__handler", redis_error_handler);
    lua51::set_error_handler(&mut vm, handler);
    make_readonly(&mut vm, &["string", "table", "math", "coroutine"]);
    protect_globals(&mut vm);
    vm
}

/// Runs all cases in order on one VM; the mismatches. The script's lines are normalised
/// as the recording's are (a reply can hold `{err=...}` tables, Redis's handler adds `ERR `).
fn run_all() -> Vec<String> {
    let cases = parse_sections(include_str!("scripts/stdlib_cases.txt"));
    let recorded = parse_sections(include_str!("scripts/stdlib_recorded.txt"));
    let mut vm = redis_vm();
    vm.set_rust_stack_budget(128 << 20);
    compare_cases(&cases, &recorded, |src| {
        let got: Vec<String> = run_script(&mut vm, src)
            .lines()
            .map(normalise_expected)
            .collect();
        got.join("\n")
    })
}

#[test]
fn stdlib_scripts_match_redis() {
    // A large stack: debug builds use far more of it per nested call than release.
    let failures = on_big_stack(run_all);
    if !failures.is_empty() {
        panic!(
            "{} scripts differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
