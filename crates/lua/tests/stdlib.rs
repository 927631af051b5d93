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
    for lib in ["string", "table", "math", "coroutine"] {
        if let Value::Table(t) = vm.get_global(lib) {
            vm.set_readonly(t, true);
        }
    }
    let meta = vm.new_table();
    let f = vm.new_native("__index", nonexistent_global);
    vm.raw_set(meta, Value::str("__index"), f).unwrap();
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

/// The recorded reply with Redis's error decoration removed (`ERR ` and the
/// ` script: <sha>, on @user_script:1.` suffix, the emulator's business).
fn normalise_expected(expected: &str) -> String {
    let strip = |msg: &str| {
        let msg = msg.strip_prefix("ERR ").unwrap_or(msg).to_string();
        match msg.rfind(" script: ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        }
    };
    if let Some(msg) = expected.strip_prefix("err:") {
        return format!("err:{}", strip(msg));
    }
    expected.to_string()
}

/// The error of a script, as the reply shows it (Redis's handler made it a table).
fn error_text(vm: &Vm, e: &Value) -> String {
    if let Value::Table(t) = e {
        if let Value::Str(s) = vm.raw_get(*t, &Value::str("err")) {
            let text = s.to_str_lossy();
            return format!("err:{}", escape(text.strip_prefix("ERR ").unwrap_or(&text).as_bytes()));
        }
    }
    format!("err:{}", escape(vm.tostring_raw(e).as_bytes()))
}

fn run_script(vm: &mut Vm, src: &str) -> String {
    let f = match vm.load(src.as_bytes(), "user_script") {
        Ok(f) => f,
        Err(e) => return format!("err:{e}"),
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

fn run_all() -> Vec<String> {
    let cases = parse_sections(include_str!("scripts/stdlib_cases.txt"));
    let recorded = parse_sections(include_str!("scripts/stdlib_recorded.txt"));
    assert_eq!(cases.len(), recorded.len(), "record the cases again");
    let mut vm = redis_vm();
    vm.set_rust_stack_budget(128 << 20);
    let mut failures = Vec::new();
    for ((name, src), (rname, expected)) in cases.iter().zip(recorded.iter()) {
        assert_eq!(name, rname);
        let expected: Vec<String> = expected.lines().map(normalise_expected).collect();
        let expected = expected.join("\n");
        let got: Vec<String> = run_script(&mut vm, src).lines().map(normalise_expected).collect();
        let got = got.join("\n");
        if got != expected {
            failures.push(format!("--- {name}\n{src}\nexpected:\n{expected}\ngot:\n{got}"));
        }
    }
    failures
}

#[test]
fn stdlib_scripts_match_redis() {
    // A large stack: debug builds use far more of it per nested call than release.
    let failures = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(run_all)
        .expect("spawn a test thread")
        .join()
        .expect("the VM does not panic");
    if !failures.is_empty() {
        panic!("{} scripts differ:\n{}", failures.len(), failures.join("\n"));
    }
}
