//! The harness shared by the recorded-script tests (`scripts.rs`, `stdlib.rs`,
//! `redis_libs.rs`): reading the case and recording files, the small part of Redis that
//! scripts see (read-only globals, "Script attempted to access nonexistent global
//! variable"), running a script to its reply, and converting values to the recorder's text.
//!
//! Each test file includes this module (`mod common;`) and uses only part of it.
#![allow(dead_code)]

use lua51::{NativeReturn, Outcome, Value, Vm};

/// The `=== name` sections of a case or recording file, each with its text (trailing
/// newlines removed).
pub fn parse_sections(text: &str) -> Vec<(String, String)> {
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

/// Bytes as the recorders write them: printable ASCII as is, `\\`, `\n`, `\r`, else `\xNN`.
pub fn escape(b: &[u8]) -> String {
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
    Err(Value::str(&format!(
        "{}Script attempted to access nonexistent global variable '{name}'",
        vm.where_(1)
    )))
}

/// Protects the globals as Redis does: reading a missing name is an error, and the
/// table is read-only.
pub fn protect_globals(vm: &mut Vm) {
    let meta = vm.new_table();
    let f = vm.new_native("__index", nonexistent_global);
    vm.raw_set(meta, Value::str("__index"), f).unwrap();
    let g = vm.globals();
    vm.set_metatable(g, Some(meta));
    vm.set_readonly(g, true);
}

/// Makes the named global tables read-only (those that exist).
pub fn make_readonly(vm: &mut Vm, libs: &[&str]) {
    for lib in libs {
        if let Value::Table(t) = vm.get_global(lib) {
            vm.set_readonly(t, true);
        }
    }
}

/// Redis's Lua-to-reply conversion (luaReplyToRedisReply), as lines: numbers truncated to
/// integers, tables to arrays up to the first nil, booleans to 1/nil, `{err=...}`, `{ok=...}`.
pub fn reply(vm: &Vm, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Nil | Value::Bool(false) => out.push("nil".into()),
        Value::Bool(true) => out.push("int:1".into()),
        Value::Number(n) => out.push(format!("int:{}", c_long_long(*n))),
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
            let items = vm.array(*t);
            out.push(format!("array:{}", items.len()));
            for item in &items {
                reply(vm, item, out);
            }
        }
        _ => out.push("nil".into()),
    }
}

/// C's `(long long)` of a double on x86-64: out of range and NaN give LLONG_MIN.
fn c_long_long(n: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// The recorded reply with Redis's error decoration removed (`ERR `, the compiler's
/// `Error compiling script (new function): ` and the ` script: <sha>, on @user_script:N.`
/// suffix, the emulator's business).
pub fn normalise_expected(expected: &str) -> String {
    if let Some(msg) = expected.strip_prefix("err:") {
        let msg = msg.strip_prefix("ERR ").unwrap_or(msg);
        let msg = msg
            .strip_prefix("Error compiling script (new function): ")
            .unwrap_or(msg);
        let msg = match msg.rfind(" script: ") {
            Some(i) => &msg[..i],
            None => msg,
        };
        return format!("err:{msg}");
    }
    expected.to_string()
}

/// The error of a script as the reply shows it: a table (Redis's error handler makes
/// one) by its `err` field without `ERR `, anything else by its `tostring`.
pub fn error_text(vm: &Vm, e: &Value) -> String {
    if let Value::Table(t) = e {
        if let Value::Str(s) = vm.raw_get(*t, &Value::str("err")) {
            let text = s.to_str_lossy();
            return format!(
                "err:{}",
                escape(text.strip_prefix("ERR ").unwrap_or(&text).as_bytes())
            );
        }
    }
    format!("err:{}", escape(vm.tostring_raw(e).as_bytes()))
}

/// Compiles and runs `src` as `EVAL <src> 0` would; its reply (or error) as lines.
pub fn run_script(vm: &mut Vm, src: &str) -> String {
    let f = match vm.load(src.as_bytes(), "user_script") {
        Ok(f) => f,
        Err(e) => return format!("err:{}", escape(e.as_bytes())),
    };
    if let Err(e) = vm.start(f, Vec::new()) {
        return error_text(vm, &e);
    }
    loop {
        match vm.run(10_000) {
            Ok(Outcome::Finished(vals)) => {
                let mut out = Vec::new();
                reply(vm, vals.first().unwrap_or(&Value::Nil), &mut out);
                return out.join("\n");
            }
            Ok(Outcome::Paused) => continue,
            Ok(Outcome::Yielded(_)) => return "yielded".into(),
            Err(e) => return error_text(vm, &e),
        }
    }
}

/// Runs `job` on a thread with a large stack: debug builds use about ten times the Rust
/// stack per nested call that release builds use, and the cases nest deeply.
pub fn on_big_stack<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(job)
        .expect("spawn a test thread")
        .join()
        .expect("the VM does not panic")
}

/// Runs every case in order with `run` and compares its text with the recording (after
/// `normalise_expected`); the mismatches, each with its script.
pub fn compare_cases(
    cases: &[(String, String)],
    recorded: &[(String, String)],
    mut run: impl FnMut(&str) -> String,
) -> Vec<String> {
    assert_eq!(cases.len(), recorded.len(), "record the cases again");
    let mut failures = Vec::new();
    for ((name, src), (rname, expected)) in cases.iter().zip(recorded) {
        assert_eq!(name, rname, "record the cases again");
        let expected: Vec<String> = expected.lines().map(normalise_expected).collect();
        let expected = expected.join("\n");
        let got = run(src);
        if got != expected {
            failures.push(format!(
                "--- {name}\n{src}\nexpected:\n{expected}\ngot:\n{got}"
            ));
        }
    }
    failures
}
