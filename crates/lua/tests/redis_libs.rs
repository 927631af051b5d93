//! The libraries Redis 7.0 bundles (`cjson`, `cmsgpack`, `bit`, `struct`: `lua51::redis_libs`)
//! compared with what a real redis-server 7.0.15 answered to `EVAL <script> 0`, recorded by
//! `python3 scripts/record-lua-cases.py crates/lua/tests/redis_libs` into
//! `tests/redis_libs/recorded.txt` (never typed by hand).
//!
//! The recorder sends every case to one server in order, so what a script leaves in the
//! Lua state (cjson's configuration) is seen by the next ones; the test likewise runs all
//! cases in order on one VM. The environment is Redis's as far as these scripts see it:
//! globals and library tables read-only, reading a missing global an error. Results become
//! replies with Redis's rules (numbers truncated to integers, tables to arrays up to the
//! first nil, booleans to 1/nil); Redis's error decoration (`ERR `, ` script: <sha>...`) is
//! stripped from the recording.

mod common;

use common::{
    compare_cases, make_readonly, on_big_stack, parse_sections, protect_globals, run_script,
};
use lua51::Vm;

/// A VM with the four libraries, protected as Redis protects its globals.
fn redis_vm() -> Vm {
    let mut vm = Vm::new();
    lua51::redis_libs::open(&mut vm);
    make_readonly(&mut vm, &["cjson", "cmsgpack", "bit", "struct"]);
    protect_globals(&mut vm);
    vm
}

/// Runs every case in order on one VM; the mismatches.
fn run_all(cases: &[(String, String)], recorded: &[(String, String)]) -> Vec<String> {
    let mut vm = redis_vm();
    vm.set_rust_stack_budget(128 << 20);
    compare_cases(cases, recorded, |src| run_script(&mut vm, src))
}

#[test]
fn redis_libs_match_redis() {
    let cases = parse_sections(include_str!("redis_libs/cases.txt"));
    let recorded = parse_sections(include_str!("redis_libs/recorded.txt"));
    assert_eq!(cases.len(), recorded.len(), "record the cases again");
    let total = cases.len();
    // Debug builds use much more Rust stack per level than release builds, and the cases
    // nest tables 1000 deep.
    let failures = on_big_stack(move || run_all(&cases, &recorded));
    if !failures.is_empty() {
        panic!(
            "{} of {total} scripts differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// Results that would take gigabytes (a big string many times, a table that contains
/// itself at every level, a sparse array of 2^40 nulls) are refused with Lua's memory
/// error instead of being built (the VM's own bounds, so not recorded from Redis).
#[test]
fn huge_results_are_refused_not_built() {
    const REP: &str =
        "local function rep(s, n) local r = '' while n > 0 do if n % 2 == 1 then r = r .. s end s = s .. s n = (n - n % 2) / 2 end return r end ";
    let scripts = [
        "local s = rep('x', 2^24) local t = {} for i = 1, 100 do t[i] = s end return cmsgpack.pack(t)",
        "local s = rep('x', 2^24) local t = {} for i = 1, 100 do t[i] = s end return cjson.encode(t)",
        "local t = {} for i = 1, 8 do t[i] = t end return cmsgpack.pack(t)",
        "cjson.encode_sparse_array(false, 0) return cjson.encode({[2^40] = 1})",
    ];
    for script in scripts {
        let src = format!("{REP}{script}");
        let got = on_big_stack(move || run_script(&mut redis_vm(), &src));
        assert_eq!(got, "err:not enough memory", "{script}");
    }
}
