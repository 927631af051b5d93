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

use lua51::{NativeReturn, Outcome, Value, Vm};

fn parse_sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        if let Some(name) = line.strip_prefix("=== ") {
            out.push((name.trim().to_string(), String::new()));
        } else if let Some(last) = out.last_mut() {
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    for s in &mut out {
        while s.1.ends_with('\n') {
            s.1.pop();
        }
    }
    out
}

fn escape(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s
}

fn nonexistent_global(vm: &mut Vm, args: Vec<Value>) -> Result<NativeReturn, Value> {
    let name = match args.get(1) {
        Some(Value::Str(s)) => s.to_str_lossy(),
        _ => "?".into(),
    };
    Err(Value::str(&format!("{}Script attempted to access nonexistent global variable '{name}'", vm.where_(1))))
}

fn redis_vm() -> Vm {
    let mut vm = Vm::new();
    let meta = vm.new_table();
    let f = vm.new_native("__index", nonexistent_global);
    vm.raw_set(meta, Value::str("__index"), f).unwrap();
    // The string library and its metatable, read-only as Redis 7.0 makes them.
    lua51::lib_string::open(&mut vm);
    if let Value::Table(t) = vm.get_global("string") {
        vm.set_readonly(t, true);
    }
    if let Some(meta) = vm.string_meta {
        vm.set_readonly(meta, true);
    }
    // A stand-in for Redis's table library (not ported yet), read-only as there.
    let table = vm.new_table();
    vm.set_readonly(table, true);
    vm.set_global("table", Value::Table(table));
    let g = vm.globals();
    vm.set_metatable(g, Some(meta));
    vm.set_readonly(g, true);
    vm
}

/// Redis's Lua-to-reply conversion (luaReplyToRedisReply), as lines.
fn reply(vm: &Vm, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Nil | Value::Bool(false) => out.push("nil".into()),
        Value::Bool(true) => out.push("int:1".into()),
        Value::Number(n) => out.push(format!("int:{}", *n as i64)),
        Value::Str(s) => out.push(format!("bulk:{}", escape(s.as_bytes()))),
        Value::Table(t) => {
            if let Value::Str(e) = vm.raw_get(*t, &Value::str("err")) {
                out.push(format!("err:{}", escape(e.as_bytes())));
                return;
            }
            if let Value::Str(s) = vm.raw_get(*t, &Value::str("ok")) {
                out.push(format!("status:{}", escape(s.as_bytes())));
                return;
            }
            let mut items = Vec::new();
            let mut i = 1;
            loop {
                let item = vm.raw_get(*t, &Value::Number(i as f64));
                if item.is_nil() {
                    break;
                }
                reply(vm, &item, &mut items);
                i += 1;
            }
            out.push(format!("array:{}", i - 1));
            out.extend(items);
        }
        _ => out.push("nil".into()),
    }
}

/// The recorded reply with Redis's error decoration removed.
fn normalise_expected(expected: &str) -> String {
    if let Some(msg) = expected.strip_prefix("err:") {
        let msg = msg.strip_prefix("ERR ").unwrap_or(msg);
        let msg = msg.strip_prefix("Error compiling script (new function): ").unwrap_or(msg);
        let msg = match msg.rfind(" script: ") {
            Some(i) => &msg[..i],
            None => msg,
        };
        return format!("err:{msg}");
    }
    expected.to_string()
}

/// Runs on a thread with a large stack: debug builds use about ten times the Rust stack
/// per nested call that release builds use, and the cases reach Lua 5.1's 200 levels.
fn run_script(src: &str) -> String {
    let src = src.to_string();
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || run_script_here(&src))
        .expect("spawn a test thread")
        .join()
        .expect("the VM does not panic")
}

fn run_script_here(src: &str) -> String {
    let mut vm = redis_vm();
    vm.set_rust_stack_budget(128 << 20);
    let f = match vm.load(src.as_bytes(), "user_script") {
        Ok(f) => f,
        Err(e) => return format!("err:{e}"),
    };
    if let Err(e) = vm.start(f, Vec::new()) {
        return format!("err:{}", escape(vm.tostring_raw(&e).as_bytes()));
    }
    loop {
        match vm.run(10_000) {
            Ok(Outcome::Finished(vals)) => {
                let mut out = Vec::new();
                reply(&vm, vals.first().unwrap_or(&Value::Nil), &mut out);
                return out.join("\n");
            }
            Ok(Outcome::Paused) => continue,
            Ok(Outcome::Yielded(_)) => return "yielded".into(),
            Err(e) => {
                let text = match &e {
                    Value::Str(s) => s.to_str_lossy(),
                    other => vm.tostring_raw(other).to_str_lossy(),
                };
                return format!("err:{}", escape(text.as_bytes()));
            }
        }
    }
}

#[test]
fn scripts_match_redis() {
    compare_with_redis(include_str!("scripts/cases.txt"), include_str!("scripts/recorded.txt"));
}

/// The string library (`string_cases.txt`, recorded by `record-lua-cases.py string`).
#[test]
fn string_scripts_match_redis() {
    compare_with_redis(include_str!("scripts/string_cases.txt"), include_str!("scripts/string_recorded.txt"));
}

/// Runs every case of `cases` and compares its reply with the recording.
fn compare_with_redis(cases: &str, recorded: &str) {
    let cases = parse_sections(cases);
    let recorded = parse_sections(recorded);
    assert_eq!(cases.len(), recorded.len(), "record the cases again");
    let mut failures = Vec::new();
    for ((name, src), (rname, expected)) in cases.iter().zip(recorded.iter()) {
        assert_eq!(name, rname);
        let expected: Vec<String> = expected.lines().map(normalise_expected).collect();
        let expected = expected.join("\n");
        let got = run_script(src);
        if got != expected {
            failures.push(format!("--- {name}\nexpected:\n{expected}\ngot:\n{got}"));
        }
    }
    if !failures.is_empty() {
        panic!("{} of {} scripts differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
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
        panic!("{} of {} plain scripts differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
    }
}
