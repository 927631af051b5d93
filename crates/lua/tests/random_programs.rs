//! Property tests: random programs (from a small Lua grammar, valid and invalid) and random
//! bytes never make the VM panic, and every run ends (result, error, or pause) within its
//! fuel, so a page running scripts can never freeze.

use lua51::{Outcome, Value, Vm};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Programs per run (raise it locally for a longer search).
const PROGRAMS: usize = 3000;

/// xorshift64*: small, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NAMES: [&str; 6] = ["a", "b", "t", "f", "s", "n"];

fn name(r: &mut Rng) -> String {
    r.pick(&NAMES).to_string()
}

fn expr(r: &mut Rng, depth: usize) -> String {
    if depth == 0 {
        return match r.below(8) {
            0 => r.below(100).to_string(),
            1 => format!("'{}'", r.pick(&["", "x", "10", "0x1f", "a b", "\\0"])),
            2 => r
                .pick(&["nil", "true", "false", "...", "1.5", "-0", "1e308", "0/0"])
                .to_string(),
            _ => name(r),
        };
    }
    let d = depth - 1;
    match r.below(16) {
        0 => format!(
            "({} {} {})",
            expr(r, d),
            r.pick(&["+", "-", "*", "/", "%", "^", ".."]),
            expr(r, d)
        ),
        1 => format!(
            "({} {} {})",
            expr(r, d),
            r.pick(&["==", "~=", "<", "<=", ">", ">=", "and", "or"]),
            expr(r, d)
        ),
        2 => format!("{}({})", r.pick(&["-", "not ", "#"]), expr(r, d)),
        3 => format!(
            "{{{}, {}, x = {}, [{}] = {}}}",
            expr(r, d),
            expr(r, d),
            expr(r, d),
            expr(r, d),
            expr(r, d)
        ),
        4 => format!("{}[{}]", name(r), expr(r, d)),
        5 => format!("{}.{}", name(r), name(r)),
        6 => format!("{}({}, {})", name(r), expr(r, d), expr(r, d)),
        7 => format!("{}:{}({})", name(r), name(r), expr(r, d)),
        8 => format!("function(...) {} return {} end", stat(r, d), expr(r, d)),
        9 => format!(
            "{}({}, {})",
            r.pick(&[
                "pcall",
                "select",
                "type",
                "tostring",
                "tonumber",
                "rawget",
                "unpack",
                "next",
                "setmetatable",
                "error"
            ]),
            expr(r, d),
            expr(r, d)
        ),
        10 => format!(
            "setmetatable({{}}, {{__{} = {}}})",
            r.pick(&[
                "index", "newindex", "add", "eq", "lt", "le", "call", "concat", "unm", "len",
                "tostring"
            ]),
            expr(r, d)
        ),
        11 => format!("({})", expr(r, d)),
        12 => format!(
            "coroutine.{}({}, {})",
            r.pick(&["resume", "wrap", "create", "yield", "status"]),
            expr(r, d),
            expr(r, d)
        ),
        13 => format!(
            "coroutine.wrap(function(...) {} coroutine.yield({}) return ... end)({})",
            stat(r, d),
            expr(r, d),
            expr(r, d)
        ),
        _ => expr(r, 0),
    }
}

fn block(r: &mut Rng, depth: usize) -> String {
    let n = 1 + r.below(4);
    (0..n)
        .map(|_| stat(r, depth))
        .collect::<Vec<_>>()
        .join("\n")
}

fn stat(r: &mut Rng, depth: usize) -> String {
    let d = depth.saturating_sub(1);
    if depth == 0 {
        return format!("local {} = {}", name(r), expr(r, 0));
    }
    match r.below(14) {
        0 => format!(
            "local {}, {} = {}, {}",
            name(r),
            name(r),
            expr(r, d),
            expr(r, d)
        ),
        1 => format!("{} = {}", name(r), expr(r, d)),
        2 => format!("{}[{}] = {}", name(r), expr(r, d), expr(r, d)),
        3 => format!(
            "if {} then {} elseif {} then {} else {} end",
            expr(r, d),
            block(r, d),
            expr(r, d),
            block(r, d),
            block(r, d)
        ),
        4 => format!(
            "while {} do {} if {} then break end end",
            expr(r, d),
            block(r, d),
            expr(r, d)
        ),
        5 => format!(
            "for i = {}, {}, {} do {} end",
            expr(r, d),
            expr(r, d),
            expr(r, d),
            block(r, d)
        ),
        6 => format!("for k, v in pairs({}) do {} end", expr(r, d), block(r, d)),
        7 => format!("repeat {} until {}", block(r, d), expr(r, d)),
        8 => format!(
            "local function {}(x, ...) {} return x, ... end",
            name(r),
            block(r, d)
        ),
        9 => format!("do {} end", block(r, d)),
        10 => format!("{}({})", name(r), expr(r, d)),
        11 => format!("for k = 1, 3 do {} break end", block(r, d)),
        12 => format!("do return {} end", expr(r, d)),
        _ => format!("local {} = {}", name(r), expr(r, d)),
    }
}

/// How a bounded run ended.
#[derive(Debug, PartialEq)]
enum End {
    CompileError,
    Finished,
    Error,
    StillRunning,
}

/// Runs a source to its end or until a bounded number of pauses; never panics if the VM
/// is right.
fn run_bounded(src: &[u8]) -> End {
    let mut vm = Vm::new();
    vm.set_memory_limit(32 << 20);
    let Ok(f) = vm.load(src, "user_script") else {
        return End::CompileError;
    };
    if vm
        .start(f, vec![Value::Number(1.0), Value::str("x")])
        .is_err()
    {
        return End::Error;
    }
    for _ in 0..20 {
        match vm.run(5_000) {
            Ok(Outcome::Paused) => continue,
            Ok(_) => return End::Finished,
            Err(_) => return End::Error,
        }
    }
    vm.abort();
    End::StillRunning
}

#[test]
fn random_programs_never_panic_and_stop_within_fuel() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut ends = std::collections::HashMap::new();
    for i in 0..PROGRAMS {
        let prelude = "local a, b, t, f, s, n = 1, 'x', {1, 2, y = {}}, function(...) return ... end, 'str', nil\n";
        let src = format!("{prelude}{}", block(&mut r, 1 + i % 4));
        let result = catch_unwind(AssertUnwindSafe(|| run_bounded(src.as_bytes())));
        match result {
            Ok(end) => *ends.entry(format!("{end:?}")).or_insert(0) += 1,
            Err(_) => panic!("the VM panicked on:\n{src}"),
        }
    }
    // The generator must exercise the VM, not only the parser.
    let ran = ends.get("Finished").copied().unwrap_or(0) + ends.get("Error").copied().unwrap_or(0);
    assert!(ran > 1000, "too few programs ran: {ends:?}");
    eprintln!("{ends:?}");
}

#[test]
fn random_bytes_never_panic() {
    let mut r = Rng(0x1234_5678_9ABC_DEF1);
    let alphabet = b"local function end if then else for in do while repeat until return break ( ) { } [ ] = == ~= < > .. ... , ; : . # + - * / % ^ 'a' \"b\" 0 1 x y nil true false and or not \n";
    for _ in 0..3000 {
        let len = r.below(120);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if r.below(4) == 0 {
                    r.next() as u8
                } else {
                    alphabet[r.below(alphabet.len())]
                }
            })
            .collect();
        let result = catch_unwind(AssertUnwindSafe(|| run_bounded(&bytes)));
        assert!(result.is_ok(), "the VM panicked on bytes {bytes:?}");
    }
}

#[test]
fn endless_loops_pause_and_resume() {
    for src in [
        "while true do end",
        "local i = 0 repeat i = i + 1 until false",
        "local function f() return f() end return f()",
        "local ok = pcall(function() while true do end end)",
        "for i = 1, math_huge_never or 1e300 do end",
        "local co = coroutine.wrap(function() while true do coroutine.yield() end end) while true do co() end",
        "local co = coroutine.create(function() while true do end end) coroutine.resume(co)",
    ] {
        let mut vm = Vm::new();
        let f = vm.load(src.as_bytes(), "user_script").unwrap();
        vm.start(f, Vec::new()).unwrap();
        for _ in 0..50 {
            assert!(matches!(vm.run(10_000), Ok(Outcome::Paused)), "{src} should keep pausing");
        }
        vm.abort();
        assert!(!vm.is_running());
    }
}
