//! The host side of the VM: suspending on a host request (how `redis.call` will reach the
//! engine), pausing on fuel, memory limits, collection with pinned values, natives that
//! call back into Lua.

use lua51::{NativeReturn, Outcome, Value, Vm};

/// A host request made by the `ask` native: its arguments.
struct Ask(Vec<Value>);

fn ask(_vm: &mut Vm, args: Vec<Value>) -> Result<NativeReturn, Value> {
    Ok(NativeReturn::Yield(Box::new(Ask(args))))
}

fn apply(vm: &mut Vm, mut args: Vec<Value>) -> Result<NativeReturn, Value> {
    if args.is_empty() {
        return Err(vm.error("apply needs a function"));
    }
    let f = args.remove(0);
    Ok(NativeReturn::Values(vm.call(f, args)?))
}

fn fail(vm: &mut Vm, _args: Vec<Value>) -> Result<NativeReturn, Value> {
    Err(vm.error("boom"))
}

fn vm_with_natives() -> Vm {
    let mut vm = Vm::new();
    for (name, f) in [
        ("ask", ask as lua51::heap::NativeFn),
        ("apply", apply),
        ("fail", fail),
    ] {
        let v = vm.new_native(name, f);
        vm.set_global(name, v);
    }
    vm
}

fn text(vm: &Vm, v: &Value) -> String {
    vm.tostring_raw(v).to_str_lossy()
}

/// Runs to the end, answering every request with `answer`.
fn run(
    vm: &mut Vm,
    src: &str,
    answer: impl Fn(&[Value]) -> Result<Vec<Value>, Value>,
) -> Result<Vec<String>, String> {
    let f = vm
        .load(src.as_bytes(), "user_script")
        .map_err(|e| e.to_string())?;
    vm.start(f, Vec::new()).map_err(|e| text(vm, &e))?;
    loop {
        match vm.run(1000) {
            Ok(Outcome::Finished(vals)) => return Ok(vals.iter().map(|v| text(vm, v)).collect()),
            Ok(Outcome::Paused) => {}
            Ok(Outcome::Yielded(req)) => {
                let Ok(req) = req.downcast::<Ask>() else {
                    return Err("unknown request".into());
                };
                vm.resume_host(answer(&req.0)).map_err(|e| text(vm, &e))?;
            }
            Err(e) => return Err(text(vm, &e)),
        }
    }
}

#[test]
fn a_native_suspends_the_vm_until_the_host_answers() {
    let mut vm = vm_with_natives();
    let out = run(
        &mut vm,
        "local v = ask('GET', 'k') return v .. '!', select('#', ask())",
        |args| {
            Ok(vec![Value::str(&format!(
                "{}-{}",
                args.len(),
                args.first().map_or("none".into(), |a| format!("{a:?}"))
            ))])
        },
    );
    assert_eq!(
        out.unwrap(),
        vec!["2-Str(\"GET\")!".to_string(), "1".to_string()]
    );
}

#[test]
fn host_errors_are_raised_where_the_request_was_made() {
    let mut vm = vm_with_natives();
    let answer = |_: &[Value]| Err(Value::str("ERR from host"));
    let out = run(
        &mut vm,
        "local ok, e = pcall(ask, 'x') return tostring(ok), e",
        answer,
    );
    assert_eq!(out.unwrap(), vec!["false", "ERR from host"]);
    let out = run(
        &mut vm,
        "local ok, e = pcall(function() return ask('x') end) return tostring(ok), e",
        answer,
    );
    assert_eq!(out.unwrap(), vec!["false", "ERR from host"]);
    let out = run(&mut vm, "ask('x') return 1", answer);
    assert_eq!(out.unwrap_err(), "ERR from host");
    let out = run(
        &mut vm,
        "local ok, v = pcall(ask, 'x') return tostring(ok), v",
        |_| Ok(vec![Value::str("fine")]),
    );
    assert_eq!(out.unwrap(), vec!["true", "fine"]);
}

#[test]
fn requests_cannot_cross_a_native_call() {
    let mut vm = vm_with_natives();
    let out = run(&mut vm, "return apply(ask, 'x')", |_| Ok(Vec::new()));
    assert_eq!(
        out.unwrap_err(),
        "attempt to yield across metamethod/C-call boundary"
    );
}

#[test]
fn natives_call_lua_and_borrow_fuel() {
    let mut vm = vm_with_natives();
    // 100k iterations inside a nested call, with runs of 1000 instructions.
    let out = run(
        &mut vm,
        "return apply(function(n) local s = 0 for i = 1, n do s = s + i end return s end, 100000)",
        |_| Ok(Vec::new()),
    );
    assert_eq!(out.unwrap(), vec!["5000050000"]);
    let out = run(&mut vm, "local ok, e = pcall(fail) return e", |_| {
        Ok(Vec::new())
    });
    assert_eq!(out.unwrap(), vec!["boom"]);
    let out = run(&mut vm, "local x = 1\nfail()", |_| Ok(Vec::new()));
    assert_eq!(out.unwrap_err(), "user_script:2: boom");
}

#[test]
fn endless_loops_in_metamethods_fail_instead_of_freezing() {
    let mut vm = vm_with_natives();
    vm.set_nested_fuel_limit(2_000_000);
    let src = "local t = setmetatable({}, {__index = function() while true do end end}) return t.x";
    let out = run(&mut vm, src, |_| Ok(Vec::new()));
    assert_eq!(
        out.unwrap_err(),
        "user_script:1: instruction budget exhausted inside a nested call"
    );
}

#[test]
fn host_helpers_build_and_read_values() {
    let mut vm = Vm::new();
    let s = vm.new_string(b"bytes\0here");
    let t = vm.new_array(vec![Value::Number(1.0), s, Value::Bool(true)]);
    vm.set_field(t, "name", Value::str("x"));
    assert_eq!(vm.array(t).len(), 3);
    assert_eq!(vm.array(t)[1].as_bytes(), Some(&b"bytes\0here"[..]));
    assert_eq!(vm.get_field(t, "name").as_bytes(), Some(&b"x"[..]));
    vm.set_global("data", Value::Table(t));
    let f = vm
        .load(b"return #data, data.name, data[1] + 1", "user_script")
        .unwrap();
    let pin = vm.pin(f.clone());
    for _ in 0..2 {
        vm.start(vm.pinned(pin), Vec::new()).unwrap();
        match vm.run(1000) {
            Ok(Outcome::Finished(v)) => {
                assert_eq!(v[0].as_number(), Some(3.0));
                assert_eq!(v[1].as_bytes(), Some(&b"x"[..]));
                assert_eq!(v[2].as_number(), Some(2.0));
            }
            _ => panic!("the script finishes"),
        }
        vm.full_gc();
    }
}

#[test]
fn memory_is_limited() {
    let mut vm = vm_with_natives();
    vm.set_memory_limit(4 << 20);
    let out = run(
        &mut vm,
        "local t = {} for i = 1, 1e8 do t[i] = i end return #t",
        |_| Ok(Vec::new()),
    );
    assert_eq!(out.unwrap_err(), "not enough memory");
    let out = run(
        &mut vm,
        "local s = 'x' for i = 1, 40 do s = s .. s end return #s",
        |_| Ok(Vec::new()),
    );
    assert_eq!(out.unwrap_err(), "not enough memory");
    let out = run(
        &mut vm,
        "local ok, e = pcall(function() local t = {} for i = 1, 1e8 do t[i] = {} end end) return e",
        |_| Ok(Vec::new()),
    );
    assert_eq!(out.unwrap(), vec!["not enough memory"]);
    // The VM is still usable afterwards.
    let out = run(&mut vm, "return 1 + 1", |_| Ok(Vec::new()));
    assert_eq!(out.unwrap(), vec!["2"]);
}

#[test]
fn garbage_is_collected_and_pins_survive() {
    let mut vm = vm_with_natives();
    let kept = vm.new_table();
    vm.raw_set(kept, Value::str("x"), Value::Number(7.0))
        .unwrap();
    let pin = vm.pin(Value::Table(kept));
    let out = run(
        &mut vm,
        "for i = 1, 200000 do local t = {i, {}} end collectgarbage() return 1",
        |_| Ok(Vec::new()),
    );
    assert_eq!(out.unwrap(), vec!["1"]);
    assert!(
        vm.heap.tables.live_count() < 1000,
        "{} tables live",
        vm.heap.tables.live_count()
    );
    assert!(matches!(vm.raw_get(kept, &Value::str("x")), Value::Number(n) if n == 7.0));
    assert!(matches!(vm.pinned(pin), Value::Table(t) if t == kept));
    vm.unpin(pin);
    // Cycles are collected too.
    let out = run(
        &mut vm,
        "for i = 1, 100000 do local a, b = {}, {} a.b = b b.a = a end collectgarbage() return 1",
        |_| Ok(Vec::new()),
    );
    assert_eq!(out.unwrap(), vec!["1"]);
    assert!(vm.heap.tables.live_count() < 1000);
}

#[test]
fn closures_survive_collection_with_their_upvalues() {
    let mut vm = vm_with_natives();
    let src = "local fs = {} for i = 1, 100 do fs[i] = function() return i end end \
               for i = 1, 100000 do local junk = {i} end collectgarbage() \
               local s = 0 for i = 1, 100 do s = s + fs[i]() end return s";
    assert_eq!(run(&mut vm, src, |_| Ok(Vec::new())).unwrap(), vec!["5050"]);
}

/// An `xpcall` handler that returns where the error was raised (`Vm::error_site`).
fn site(vm: &mut Vm, _args: Vec<Value>) -> Result<NativeReturn, Value> {
    let text = match vm.error_site() {
        Some((source, line)) => format!("{source}:{line}"),
        None => "none".to_string(),
    };
    Ok(NativeReturn::Values(vec![Value::str(&text)]))
}

#[test]
fn error_sites_are_where_errors_were_raised() {
    let mut vm = vm_with_natives();
    let f = vm.new_native("site", site);
    vm.set_global("site", f);
    let cases = [
        // A Lua error, and a native called by Lua code: the Lua line.
        (
            "return select(2, xpcall(function()\nlocal x = nil\nreturn x.y\nend, site))",
            "@user_script:3",
        ),
        (
            "return select(2, xpcall(function()\n\nfail()\nend, site))",
            "@user_script:3",
        ),
        // Lua code called by a native: the line inside it.
        (
            "return select(2, xpcall(function() apply(function()\n\nfail()\nend) end, site))",
            "@user_script:3",
        ),
        // A native called by a native: C.
        (
            "return select(2, xpcall(function() apply(fail) end, site))",
            "=[C]:-1",
        ),
        // A caught error does not leave its site to the next one.
        (
            "return select(2, xpcall(function() pcall(apply, fail)\nfail() end, site))",
            "@user_script:2",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(
            run(&mut vm, src, |_| Ok(Vec::new())).unwrap(),
            vec![want.to_string()],
            "{src}"
        );
    }
}

#[test]
fn natives_know_whether_they_can_yield() {
    fn can(vm: &mut Vm, _args: Vec<Value>) -> Result<NativeReturn, Value> {
        Ok(NativeReturn::Values(vec![Value::Bool(vm.can_yield())]))
    }
    let mut vm = vm_with_natives();
    let f = vm.new_native("can", can);
    vm.set_global("can", f);
    let out = run(
        &mut vm,
        "return tostring(can()), tostring(apply(can)), tostring(select(2, pcall(can)))",
        |_| Ok(Vec::new()),
    );
    assert_eq!(out.unwrap(), vec!["true", "false", "true"]);
}

/// `work(n)`: a native doing `n` instructions' worth of work in one go.
fn work(vm: &mut Vm, args: Vec<Value>) -> Result<NativeReturn, Value> {
    let n = args.first().and_then(Value::as_number).unwrap_or(0.0) as u64;
    vm.consume_fuel(n)?;
    Ok(NativeReturn::Values(vec![Value::Number(
        vm.fuel_available() as f64,
    )]))
}

#[test]
fn natives_work_is_charged_to_fuel() {
    let mut vm = Vm::new();
    vm.set_nested_fuel_limit(50_000);
    let f = vm.new_native("work", work);
    vm.set_global("work", f);
    // Past the fuel of the run, a native borrows; the next runs pay it back (they pause
    // at once), so the script needs more runs.
    let f = vm
        .load(b"local left = work(30000) return left", "user_script")
        .unwrap();
    vm.start(f, Vec::new()).unwrap();
    let mut runs = 0;
    let left = loop {
        runs += 1;
        match vm.run(1000) {
            Ok(Outcome::Finished(vals)) => break vals[0].as_number(),
            Ok(Outcome::Paused) => {}
            _ => panic!("the script fails"),
        }
    };
    // 50 000 may be borrowed, less the 30 000 less the run's fuel (1 000 less the few
    // instructions before the call).
    let left = left.unwrap_or(0.0);
    assert!((20_990.0..21_000.0).contains(&left), "{left}");
    assert!(runs >= 30, "{runs} runs");
    // Past what may be borrowed: the budget error, which pcall catches.
    let out = run(
        &mut vm,
        "local ok, e = pcall(work, 60000) return tostring(ok), e",
        |_| Ok(Vec::new()),
    );
    assert_eq!(
        out.unwrap(),
        vec!["false", "instruction budget exhausted inside a nested call"]
    );
}
