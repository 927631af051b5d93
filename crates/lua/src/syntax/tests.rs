//! Tests of the Lua 5.1 front end: messages of hand-picked errors (the exact texts are
//! checked against Redis by the golden case `scripting-compile`), parse -> print -> parse
//! round trips, every script of the scripting case files, and no panics on random input.

use super::ast::*;
use super::print::print;
use super::*;

fn error_of(src: &str) -> String {
    match parse(src.as_bytes()) {
        Ok(_) => "ok".to_string(),
        Err(e) => e.text("user_script"),
    }
}

/// Runs `f` on a thread with the stack a test thread has (2 MB), as the golden test does.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = std::thread::Builder::new().stack_size(2 << 20).spawn(f);
    match handle.map(|h| h.join()) {
        Ok(Ok(v)) => v,
        _ => panic!("the parser thread failed"),
    }
}

/// The tree without lines: what must survive a round trip when lines may legitimately move
/// (a long string printed on one line).
fn lines_of(chunk: &Chunk) -> Vec<u32> {
    fn block(b: &Block, out: &mut Vec<u32>) {
        for s in &b.stats {
            out.push(s.line);
        }
    }
    let mut out = Vec::new();
    block(&chunk.block, &mut out);
    out
}

#[test]
fn messages() {
    let cases = [
        ("return +", "user_script:1: unexpected symbol near '+'"),
        ("x", "user_script:1: '=' expected near '<eof>'"),
        (
            "if x then\nelse\n",
            "user_script:3: 'end' expected (to close 'if' at line 1) near '<eof>'",
        ),
        (
            "return 'abc\n'",
            "user_script:1: unfinished string near ''abc'",
        ),
        (
            "x = 'a\\0b\nc'",
            "user_script:1: unfinished string near ''a'",
        ),
        (
            "x = 'ab\\\nc\n",
            "user_script:2: unfinished string near ''ab c'",
        ),
        (
            "return [[abc",
            "user_script:1: unfinished long string near '<eof>'",
        ),
        ("return 1..2", "user_script:1: malformed number near '1..2'"),
        (
            "x = [==x",
            "user_script:1: invalid long string delimiter near '[=='",
        ),
        (
            "return '\\256'",
            "user_script:1: escape sequence too large near '''",
        ),
        (
            "x = f\n(1)",
            "user_script:2: ambiguous syntax (function call x new statement) near '('",
        ),
        (
            "function f() return ... end",
            "user_script:1: cannot use '...' outside a vararg function near '...'",
        ),
        ("do break end", "user_script:1: no loop to break near 'end'"),
        ("return 1 2", "user_script:1: '<eof>' expected near '2'"),
        ("(f())", "user_script:1: syntax error near '<eof>'"),
        (
            "return \x01",
            "user_script:1: unexpected symbol near 'char(1)'",
        ),
        (
            "return a:b",
            "user_script:1: function arguments expected near '<eof>'",
        ),
        (
            "local function f\n(a,\n1) end",
            "user_script:3: <name> or '...' expected near '1'",
        ),
        (
            "for i do end",
            "user_script:1: '=' or 'in' expected near 'do'",
        ),
        ("return 1 .\x00 2", "ok"),
        (
            "return 1e\x002",
            "user_script:1: malformed number near '1e'",
        ),
        ("x = {f\n(1)}", "ok"),
        ("return [[a [[b]]", "ok"),
        ("return 0x1p4 + 0X10 + .5 + 3. + 1e2", "ok"),
    ];
    for (src, want) in cases {
        assert_eq!(error_of(src), want, "{src:?}");
    }
}

#[test]
fn limits() {
    let assign = |n: usize| format!("{}=1", vec!["a"; n].join(","));
    assert_eq!(error_of(&assign(200)), "ok");
    assert_eq!(
        error_of(&assign(201)),
        "user_script:1: main function has more than 199 variables in assignment"
    );
    let locals = |n: usize| {
        format!(
            "local {}",
            (0..n)
                .map(|i| format!("a{i}"))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    assert_eq!(error_of(&locals(200)), "ok");
    assert_eq!(
        error_of(&locals(201)),
        "user_script:1: main function has more than 200 local variables"
    );
    let ups = |n: usize| {
        let names: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
        format!(
            "local {}\nreturn function() return {} end",
            names.join(","),
            names.join("+")
        )
    };
    assert_eq!(error_of(&ups(60)), "ok");
    assert_eq!(
        error_of(&ups(61)),
        "user_script:2: function at line 2 has more than 60 upvalues"
    );
    let parens = |n: usize| format!("return {}1{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(on_small_stack(move || error_of(&parens(198))), "ok");
    let parens = |n: usize| format!("return {}1{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(
        on_small_stack(move || error_of(&parens(199))),
        "user_script:1: chunk has too many syntax levels"
    );
}

#[test]
fn resolution() {
    let chunk = parse(b"local x = x\nlocal function f(a, ...) return a, x, arg, y end\nfunction t:m() return self end").unwrap();
    let StatKind::Local { values, names } = &chunk.block.stats[0].kind else {
        panic!("local")
    };
    assert!(matches!(&values[0].kind, ExprKind::Name(n) if n.resolution == Resolution::Global));
    let x = names[0].0;
    let StatKind::LocalFunction { func, .. } = &chunk.block.stats[1].kind else {
        panic!("local function")
    };
    let StatKind::Return(values) = &func.body.stats[0].kind else {
        panic!("return")
    };
    let res: Vec<Resolution> = values
        .iter()
        .map(|v| match &v.kind {
            ExprKind::Name(n) => n.resolution,
            _ => panic!("name"),
        })
        .collect();
    assert_eq!(
        res,
        vec![
            Resolution::Local(func.params[0]),
            Resolution::Upvalue(x),
            Resolution::Local(func.arg.unwrap()),
            Resolution::Global
        ]
    );
    let StatKind::Function { func, name } = &chunk.block.stats[2].kind else {
        panic!("function")
    };
    assert_eq!(name.method.as_ref().map(|m| m.0.as_str()), Some("m"));
    let StatKind::Return(values) = &func.body.stats[0].kind else {
        panic!("return")
    };
    assert!(
        matches!(&values[0].kind, ExprKind::Name(n) if n.resolution == Resolution::Local(func.params[0]))
    );
    assert_eq!(
        chunk.locals[func.params[0] as usize].kind,
        LocalKind::SelfParam
    );
    // repeat ... until sees the body's locals; a loop variable shadows only inside the loop.
    let chunk =
        parse(b"local i = 1 repeat local k = 1 until k for i = i, 2 do end return i").unwrap();
    let StatKind::Repeat { cond, .. } = &chunk.block.stats[1].kind else {
        panic!("repeat")
    };
    assert!(
        matches!(&cond.kind, ExprKind::Name(n) if matches!(n.resolution, Resolution::Local(_)))
    );
    let StatKind::NumericFor { start, .. } = &chunk.block.stats[2].kind else {
        panic!("for")
    };
    let StatKind::Return(values) = &chunk.block.stats[3].kind else {
        panic!("return")
    };
    let outer = |e: &Expr| match &e.kind {
        ExprKind::Name(n) => n.resolution,
        _ => Resolution::Global,
    };
    assert_eq!(outer(start), outer(&values[0]));
}

#[test]
fn precedence() {
    let chunk = parse(b"return 2^3^2, -2^2, not nil == true, 1 .. 2 .. 3, 1 + 2 * 3").unwrap();
    let StatKind::Return(v) = &chunk.block.stats[0].kind else {
        panic!("return")
    };
    let shape = |e: &Expr| -> String {
        fn s(e: &Expr) -> String {
            match &e.kind {
                ExprKind::Binary {
                    op, left, right, ..
                } => format!("({} {} {})", s(left), op.text(), s(right)),
                ExprKind::Unary { op, operand, .. } => format!("({} {})", op.text(), s(operand)),
                ExprKind::Number(n) => print::number_text(*n),
                ExprKind::Nil => "nil".into(),
                ExprKind::True => "true".into(),
                _ => "?".into(),
            }
        }
        s(e)
    };
    let got: Vec<String> = v.iter().map(shape).collect();
    assert_eq!(
        got,
        [
            "(2 ^ (3 ^ 2))",
            "(- (2 ^ 2))",
            "((not nil) == true)",
            "(1 .. (2 .. 3))",
            "(1 + (2 * 3))"
        ]
    );
}

/// parse -> print -> parse gives the same tree (lines included), and printing again gives
/// the same text.
fn round_trip(src: &[u8]) {
    let Ok(first) = parse(src) else { return };
    let printed = print(&first);
    let second = match parse(printed.as_bytes()) {
        Ok(c) => c,
        Err(e) => panic!(
            "reprint of {:?} does not parse: {}\n{printed}",
            String::from_utf8_lossy(src),
            e.text("p")
        ),
    };
    // A token spanning lines is printed on one; a field `goto` is printed `["goto"]`.
    let has_multiline_token = src
        .windows(2)
        .any(|w| w == b"[[" || w == b"[=" || w == b"\\\n" || w == b"\\\r");
    let has_goto = src.windows(4).any(|w| w == b"goto");
    if has_multiline_token || has_goto {
        assert_eq!(lines_of(&first).len(), lines_of(&second).len());
    } else {
        assert_eq!(
            first,
            second,
            "round trip of {:?}\n{printed}",
            String::from_utf8_lossy(src)
        );
    }
    assert_eq!(print(&second), printed);
}

#[test]
fn round_trips() {
    for src in [
        "local a, b = 1, 'x\\0y\\255\\n\"' return a .. b",
        "return 2^3^2, -2^2, not nil == true, (1 .. 2) .. 3, 1 - (2 - 3), - -1, #-x",
        "local t = {1, 2; n = 3, [4] = 4,} function t.a.b:c(x, ...) return self, ... end",
        "x = 1\n\n\ny = f\n(1)\n\n.z",
        "local f = function() end; (f)(); (f)()",
        "for i = 1, 10, 2 do\nbreak\nend\nfor k, v in pairs(t)\ndo\nend",
        "while x do\nrepeat local y = 1 until y\nend\nif a then\nelseif b then\nelse\nend",
        "return 0.1, 1e300, 2^53, 0x7fffffffffffffff, 1e400, 5e-324, 123456789012345678",
        "local s = [[\nlong\nstring]] return s .. 'after'",
        "return f{1}, f'x', a:b{2}, a:b'y', (f())",
        "local t = {goto = 1} return t.goto",
    ] {
        round_trip(src.as_bytes());
    }
}

#[test]
fn printed_text() {
    let printed = |src: &str| parse(src.as_bytes()).map(|c| print(&c)).unwrap_or_default();
    assert_eq!(
        printed("local t = {goto = 1}\nreturn t.goto"),
        "local t = {[\"goto\"] = 1}\nreturn t[\"goto\"]"
    );
    assert_eq!(
        printed("return 'a\\0\\n\\200\"', 1e300, 0.1, 3"),
        "return \"a\\000\\n\\200\\\"\", 1e300, 1e-1, 3"
    );
    assert_eq!(printed("x = 1 (f)()"), "x = 1; (f)()");
    assert_eq!(printed("return [[\na\nb]] + 1"), "return \"a\\nb\"\n\n+ 1");
}

#[test]
fn big_script_parses_fast() {
    let mut src = String::new();
    let mut i = 0;
    while src.len() < 100_000 {
        src.push_str(&format!(
            "local v{i} = {{a = {i}, b = 'text {i}', c = function(x) return x * {i} + 1 end}}\n"
        ));
        src.push_str(&format!(
            "if v{i}.a > 3 then v{i}.b = v{i}.b .. [[long]] end\n"
        ));
        i += 1;
        if i % 150 == 0 {
            src.push_str("do end\n");
        }
    }
    // Locals are capped at 200 per function: wrap chunks of them in functions.
    let src: String = src
        .lines()
        .collect::<Vec<_>>()
        .chunks(200)
        .map(|c| format!("do\n{}\nend\n", c.join("\n")))
        .collect();
    let start = std::time::Instant::now();
    let chunk = parse(src.as_bytes());
    let elapsed = start.elapsed();
    assert!(chunk.is_ok(), "{:?}", chunk.err().map(|e| e.text("s")));
    // Debug builds are some ten times slower than release: a generous bound.
    assert!(elapsed.as_millis() < 500, "{elapsed:?}");
    let long_chain = format!("return {}1", "1 + ".repeat(50_000));
    let start = std::time::Instant::now();
    let chunk = on_small_stack(move || {
        let c = parse(long_chain.as_bytes()).map_err(|e| e.text("s"));
        let printed = c.as_ref().map(print).unwrap_or_default();
        (c.is_ok(), printed.len())
    });
    assert!(chunk.0 && chunk.1 > 200_000, "{chunk:?}");
    assert!(start.elapsed().as_millis() < 2000);
}

mod random {
    use super::*;
    use proptest::prelude::*;

    const WORDS: &[&str] = &[
        "local", "function", "end", "if", "then", "else", "elseif", "while", "do", "for", "in",
        "repeat", "until", "return", "break", "and", "or", "not", "nil", "true", "false", "x", "y",
        "self", "arg", "=", "==", "~=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "^", "#",
        "..", "...", "(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "1", "0x1F", "1e5", ".5",
        "'s'", "\"q\\n\"", "[[l]]", "[==[", "--", "\n", "~", "&", "//", "::", "goto", "\\", "'",
        "\"", "[=", "\x00", "\u{e9}",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes).map(|c| print(&c));
        }

        #[test]
        fn token_soups_never_panic_and_round_trip(picks in proptest::collection::vec(0..WORDS.len(), 0..60)) {
            let src: Vec<u8> = picks.iter().flat_map(|&i| format!("{} ", WORDS[i]).into_bytes()).collect();
            round_trip(&src);
        }
    }
}
