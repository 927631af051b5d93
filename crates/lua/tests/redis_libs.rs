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

/// A VM with the four libraries, protected as Redis protects its globals.
fn redis_vm() -> Vm {
    let mut vm = Vm::new();
    lua51::redis_libs::open(&mut vm);
    for lib in ["cjson", "cmsgpack", "bit", "struct"] {
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

/// The recorded reply with Redis's error decoration removed.
fn normalise_expected(expected: &str) -> String {
    if let Some(msg) = expected.strip_prefix("err:") {
        let msg = msg.strip_prefix("ERR ").unwrap_or(msg);
        let msg = match msg.rfind(" script: ") {
            Some(i) => &msg[..i],
            None => msg,
        };
        return format!("err:{msg}");
    }
    expected.to_string()
}

fn run_script(vm: &mut Vm, src: &str) -> String {
    let f = match vm.load(src.as_bytes(), "user_script") {
        Ok(f) => f,
        Err(e) => return format!("err:{}", escape(e.as_bytes())),
    };
    if let Err(e) = vm.start(f, Vec::new()) {
        return format!("err:{}", escape(vm.tostring_raw(&e).as_bytes()));
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
            Err(e) => return format!("err:{}", escape(vm.tostring_raw(&e).as_bytes())),
        }
    }
}

/// Runs every case in order on one VM; the mismatches.
fn run_all(cases: &[(String, String)], recorded: &[(String, String)]) -> Vec<String> {
    let mut vm = redis_vm();
    vm.set_rust_stack_budget(128 << 20);
    let mut failures = Vec::new();
    for ((name, src), (rname, expected)) in cases.iter().zip(recorded) {
        assert_eq!(name, rname, "record the cases again");
        let expected: Vec<String> = expected.lines().map(normalise_expected).collect();
        let expected = expected.join("\n");
        let got = run_script(&mut vm, src);
        if got != expected {
            failures.push(format!("--- {name}\n{src}\nexpected:\n{expected}\ngot:\n{got}"));
        }
    }
    failures
}

#[test]
fn redis_libs_match_redis() {
    let cases = parse_sections(include_str!("redis_libs/cases.txt"));
    let recorded = parse_sections(include_str!("redis_libs/recorded.txt"));
    assert_eq!(cases.len(), recorded.len(), "record the cases again");
    let total = cases.len();
    // Debug builds use much more Rust stack per level than release builds, and the cases
    // nest tables 1000 deep.
    let failures = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || run_all(&cases, &recorded))
        .expect("spawn a test thread")
        .join()
        .expect("the VM does not panic");
    if !failures.is_empty() {
        panic!("{} of {total} scripts differ:\n{}", failures.len(), failures.join("\n"));
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
        let got = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || run_script(&mut redis_vm(), &src))
            .expect("spawn a test thread")
            .join()
            .expect("the VM does not panic");
        assert_eq!(got, "err:not enough memory", "{script}");
    }
}
