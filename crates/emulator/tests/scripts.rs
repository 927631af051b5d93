//! Scripts never panic the engine: random token soups of Lua, scripts calling every
//! command of the table with random arguments through `redis.call`/`redis.pcall`, and the
//! string library with random patterns and format strings, run with a small fuel budget;
//! every reply encodes, and the engine keeps answering afterwards.

use proptest::prelude::*;
use redis_emulator::{table, ClientInfo, Engine, ManualClock, Protocol, Reply};

const TOKENS: &[&str] = &[
    "local",
    "x",
    "t",
    "n",
    "=",
    "==",
    "~=",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "..",
    "#",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ";",
    ".",
    ":",
    "1",
    "0",
    "-1",
    "3.5",
    "1e308",
    "'a'",
    "'0'",
    "nil",
    "true",
    "false",
    "return",
    "if",
    "then",
    "else",
    "end",
    "while",
    "do",
    "for",
    "in",
    "function",
    "and",
    "or",
    "not",
    "break",
    "repeat",
    "until",
    "pairs",
    "ipairs",
    "redis",
    "redis.call",
    "redis.pcall",
    "redis.error_reply",
    "redis.status_reply",
    "redis.sha1hex",
    "redis.log",
    "redis.setresp",
    "KEYS",
    "ARGV",
    "error",
    "pcall",
    "tostring",
    "tonumber",
    "unpack",
    "table.concat",
    "table.getn",
    "setmetatable",
    "getmetatable",
    "rawset",
    "rawget",
    "_G",
    "select",
    "type",
    "next",
    "coroutine.wrap",
    "coroutine.yield",
    "'set'",
    "'get'",
    "'incr'",
    "'del'",
    "'rpush'",
    "'lrange'",
    "'hgetall'",
    "'xadd'",
    "'*'",
    "'k'",
    "'blpop'",
    "'select'",
    "'client'",
    "'kill'",
    "'multi'",
    "'exec'",
    "'eval'",
    "'hello'",
    "'3'",
    "'reset'",
    "'quit'",
    "\n",
];

fn token_script() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..40).prop_map(|t| t.join(" "))
}

/// `return redis.call('<name>', args...)` for a command (or subcommand) of the table.
fn call_script() -> impl Strategy<Value = String> {
    let mut names: Vec<String> = Vec::new();
    for spec in table::all() {
        names.push(format!("'{}'", spec.name));
        for sub in spec.subcommands {
            names.push(format!("'{}', '{}'", spec.name, sub.name));
        }
    }
    let arg = prop::sample::select(vec![
        "'k'",
        "'v'",
        "0",
        "1",
        "-1",
        "'*'",
        "'$'",
        "'>'",
        "'0-1'",
        "1.5",
        "'STREAMS'",
        "'BLOCK'",
        "'COUNT'",
        "'ID'",
        "'3'",
        "'ALL'",
    ]);
    (
        prop::sample::select(names),
        prop::collection::vec(arg, 0..6),
        any::<bool>(),
    )
        .prop_map(|(name, args, protected)| {
            let f = if protected {
                "redis.pcall"
            } else {
                "redis.call"
            };
            let mut call = format!("{f}({name}");
            for a in args {
                call.push_str(", ");
                call.push_str(a);
            }
            call.push(')');
            format!("return {call}")
        })
}

/// A Lua string literal of any bytes (`\ddd` escapes).
fn lua_literal(bytes: &[u8]) -> String {
    let mut out = String::from("'");
    for b in bytes {
        out.push_str(&format!("\\{b:03}"));
    }
    out.push('\'');
    out
}

/// Bytes that mean something to patterns and format strings, and a few that do not.
fn special_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(b"%()[]^$*+-?.abz019 \0\n\"sdfgqxc#.".to_vec()),
        0..max,
    )
}

/// A call of the string library with random patterns, subjects and format strings.
fn string_script() -> impl Strategy<Value = String> {
    let number = prop::sample::select(vec![
        "0", "1", "-1", "2.5", "1e300", "-1e300", "0/0", "1/0", "'7'", "nil", "{}",
    ]);
    (0..7u8, special_bytes(12), special_bytes(12), number.clone(), number).prop_map(|(kind, a, b, n, m)| {
        let (a, b) = (lua_literal(&a), lua_literal(&b));
        match kind {
            0 => format!("return {{string.find({a}, {b}, {n})}}"),
            1 => format!("return {{string.match({a}, {b}, {n})}}"),
            2 => format!("local t = {{}} for x, y in string.gmatch({a}, {b}) do t[#t+1] = x end return t"),
            3 => format!("return {{string.gsub({a}, {b}, {b}, {n})}}"),
            4 => format!("return {{string.gsub({a}, {b}, function(x, y) return y end)}}"),
            5 => format!("return {{string.gsub({a}, {b}, {{a = 1, b = true}})}}"),
            _ => format!("return string.format({b}, {n}, {m}, {a})"),
        }
    })
}

fn check(e: &mut Engine, c: u64, script: &str) -> Result<(), TestCaseError> {
    let reply = e.execute(
        c,
        &[
            b"EVAL".to_vec(),
            script.as_bytes().to_vec(),
            b"1".to_vec(),
            b"k".to_vec(),
            b"a".to_vec(),
        ],
    );
    let proto = e.protocol(c);
    let _ = reply.to_resp(proto);
    let _ = reply
        .clone()
        .for_protocol(Protocol::Resp2)
        .to_resp(Protocol::Resp2);
    // The engine still answers (unless the script closed or killed its own client).
    if e.client(c).is_some_and(|cl| !cl.closing) {
        let ping = e.execute(c, &[b"PING".to_vec()]);
        prop_assert!(
            matches!(
                ping,
                Reply::Status(_) | Reply::Array(_) | Reply::NoReply | Reply::Error(_)
            ),
            "{ping:?}"
        );
    }
    Ok(())
}

fn engine() -> (Engine, u64) {
    let mut e = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 7);
    e.set_script_fuel(100_000);
    let c = e.connect(ClientInfo::default());
    (e, c)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_scripts_never_panic(scripts in prop::collection::vec(token_script(), 1..4)) {
        let (mut e, c) = engine();
        for s in &scripts {
            check(&mut e, c, s)?;
        }
    }

    #[test]
    fn scripts_calling_any_command_never_panic(scripts in prop::collection::vec(call_script(), 1..6)) {
        let (mut e, c) = engine();
        let other = e.connect(ClientInfo::default());
        for s in &scripts {
            check(&mut e, c, s)?;
            let _ = e.execute(other, &[b"PING".to_vec()]);
        }
    }

    #[test]
    fn string_library_calls_never_panic(scripts in prop::collection::vec(string_script(), 1..6)) {
        let (mut e, c) = engine();
        for s in &scripts {
            check(&mut e, c, s)?;
        }
    }
}
