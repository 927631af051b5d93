//! End-to-end scripts compared with what a real redis-server 7.0.15 (PUC Lua 5.1.5)
//! answered to `EVAL <script> 0`, recorded by `scripts/record-lua-cases.py` into
//! `tests/scripts/recorded.txt` (never typed by hand); the string library's cases are in
//! `tests/scripts/string_cases.txt` / `string_recorded.txt`.
//!
//! The harness plays the small part of Redis that the scripts see: the globals table
//! refuses reads of missing names ("Script attempted to access nonexistent global
//! variable") and is read-only (with the string library, read-only, and a stand-in read-only
//! `table` table), and results are converted to replies with Redis's rules (numbers truncated
//! to integers, tables to arrays up to the first nil, booleans to 1/nil, `{err=...}`).
//!
//! A second set (`plain_cases.txt`, recorded from PUC Lua 5.1.5 itself by
//! `scripts/record-lua51-plain.py`) covers what Redis's protected globals hide: errors that
//! name globals (`attempt to call global 'f' (a nil value)`).
//!
//! Redis's error suffix (` script: <sha>, on @user_script:N.`) and `ERR ` prefix are the
//! emulator's business, so they are stripped from the recording before comparing.

mod common;

use common::{
    compare_cases, escape, make_readonly, on_big_stack, parse_sections, protect_globals, run_script,
};
use lua51::{Outcome, Value, Vm};

fn redis_vm() -> Vm {
    let mut vm = Vm::new();
    // The string library and its metatable, read-only as Redis 7.0 makes them.
    lua51::lib_string::open(&mut vm);
    make_readonly(&mut vm, &["string"]);
    if let Some(meta) = vm.string_meta {
        vm.set_readonly(meta, true);
    }
    // A stand-in for Redis's table library (not ported yet), read-only as there.
    let table = vm.new_table();
    vm.set_readonly(table, true);
    vm.set_global("table", Value::Table(table));
    protect_globals(&mut vm);
    vm
}

#[test]
fn scripts_match_redis() {
    compare_with_redis(
        include_str!("scripts/cases.txt"),
        include_str!("scripts/recorded.txt"),
    );
}

/// The string library (`string_cases.txt`, recorded by `record-lua-cases.py string`).
#[test]
fn string_scripts_match_redis() {
    compare_with_redis(
        include_str!("scripts/string_cases.txt"),
        include_str!("scripts/string_recorded.txt"),
    );
}

/// Runs every case of `cases`, each on a fresh VM, and compares its reply with the recording.
fn compare_with_redis(cases: &str, recorded: &str) {
    let cases = parse_sections(cases);
    let recorded = parse_sections(recorded);
    let failures = compare_cases(&cases, &recorded, |src| {
        let src = src.to_string();
        on_big_stack(move || {
            let mut vm = redis_vm();
            vm.set_rust_stack_budget(128 << 20);
            run_script(&mut vm, &src)
        })
    });
    if !failures.is_empty() {
        panic!(
            "{} of {} scripts differ:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }
}

/// Runs a chunk as the plain-Lua recorder does: results as `tostring` lines, or the error.
fn run_plain(src: &str) -> String {
    let mut vm = Vm::new();
    let f = match vm.load(src.as_bytes(), "user_script") {
        Ok(f) => f,
        Err(e) => return format!("error\n{}", escape(e.as_bytes())),
    };
    if let Err(e) = vm.start(f, Vec::new()) {
        return format!("error\n{}", escape(vm.tostring_raw(&e).as_bytes()));
    }
    loop {
        match vm.run(10_000) {
            Ok(Outcome::Finished(vals)) => {
                let mut out = vec!["ok".to_string()];
                out.extend(vals.iter().map(|v| escape(vm.tostring_raw(v).as_bytes())));
                return out.join("\n");
            }
            Ok(Outcome::Paused) => continue,
            Ok(Outcome::Yielded(_)) => return "yielded".into(),
            Err(e) => return format!("error\n{}", escape(vm.tostring_raw(&e).as_bytes())),
        }
    }
}

#[test]
fn plain_scripts_match_lua_5_1() {
    let cases = parse_sections(include_str!("scripts/plain_cases.txt"));
    let recorded = parse_sections(include_str!("scripts/plain_recorded.txt"));
    assert_eq!(cases.len(), recorded.len(), "record the plain cases again");
    let mut failures = Vec::new();
    for ((name, src), (rname, expected)) in cases.iter().zip(recorded.iter()) {
        assert_eq!(name, rname);
        let got = run_plain(src);
        if &got != expected {
            failures.push(format!("--- {name}\nexpected:\n{expected}\ngot:\n{got}"));
        }
    }
    if !failures.is_empty() {
        panic!(
            "{} of {} plain scripts differ:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }
}
