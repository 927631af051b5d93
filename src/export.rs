//! Export and import of the dataset as a command script.
//!
//! The export is what `redis-cli --pipe` feeds a real server: RESP arrays, a `SELECT` per
//! database, then one `RESTORE key ttl payload REPLACE` per key, whose payload is the
//! key's DUMP (byte for byte what Redis 7.0 dumps, so a real redis-server restores the
//! same value, encodings, stream groups and all) and whose TTL is what the key had left.
//!
//! The import runs a script of commands: RESP arrays (such an export, or any
//! `--pipe` file) and/or inline lines as typed at redis-cli (`SET a 1`, quotes and
//! escapes as redis-cli splits them; `#` comments and blank lines skipped). Reading is
//! strict about framing and lenient about nothing else: a problem is reported with its
//! line, never a panic.

use redis_emulator::Engine;

use crate::share;

/// The most commands one import runs.
pub const MAX_IMPORT_COMMANDS: usize = 1_000_000;

fn resp_command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for a in argv {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// The dataset as a `redis-cli --pipe` script. Returns the bytes and the number of keys.
pub fn command_script(engine: &mut Engine) -> (Vec<u8>, usize) {
    let keys = share::keys_of(engine);
    let mut out = Vec::new();
    let mut db = None;
    for k in &keys {
        if db != Some(k.db) {
            resp_command(&mut out, &[b"SELECT", k.db.to_string().as_bytes()]);
            db = Some(k.db);
        }
        let ttl = k.ttl_ms.unwrap_or(0).to_string();
        resp_command(
            &mut out,
            &[b"RESTORE", &k.key, ttl.as_bytes(), &k.payload, b"REPLACE"],
        );
    }
    if db.is_some_and(|d| d != 0) {
        // Leave the connection where a new one starts.
        resp_command(&mut out, &[b"SELECT", b"0"]);
    }
    (out, keys.len())
}

/// One command of a script, with the line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptCommand {
    pub line: usize,
    pub argv: Vec<Vec<u8>>,
}

/// Reads a script: RESP arrays and inline lines, in order.
pub fn parse_script(bytes: &[u8]) -> Result<Vec<ScriptCommand>, String> {
    let mut commands = Vec::new();
    let mut at = 0;
    let mut line = 1;
    while at < bytes.len() {
        if commands.len() >= MAX_IMPORT_COMMANDS {
            return Err(format!("more than {MAX_IMPORT_COMMANDS} commands"));
        }
        let start_line = line;
        if bytes[at] == b'*' {
            let (argv, used) =
                read_array(&bytes[at..]).map_err(|e| format!("line {start_line}: {e}"))?;
            line += bytes[at..at + used].iter().filter(|&&b| b == b'\n').count();
            at += used;
            commands.push(ScriptCommand {
                line: start_line,
                argv,
            });
            continue;
        }
        let end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| at + p);
        let text = &bytes[at..end];
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        at = (end + 1).min(bytes.len().max(end + 1));
        line += 1;
        let trimmed = text.trim_ascii();
        if trimmed.is_empty() || trimmed.starts_with(b"#") {
            continue;
        }
        match redis_emulator::cli::split_args(trimmed) {
            Some(argv) if !argv.is_empty() => commands.push(ScriptCommand {
                line: start_line,
                argv,
            }),
            Some(_) => {}
            None => return Err(format!("line {start_line}: unbalanced quotes")),
        }
    }
    Ok(commands)
}

/// Reads one RESP array of bulk strings; returns it and the bytes it took.
fn read_array(bytes: &[u8]) -> Result<(Vec<Vec<u8>>, usize), String> {
    fn number(bytes: &[u8], at: usize, what: &str) -> Result<(i64, usize), String> {
        let end = bytes[at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| format!("a {what} header without its CRLF end"))?;
        let text = std::str::from_utf8(&bytes[at..at + end])
            .map_err(|_| format!("a bad {what} length"))?;
        let n = text
            .parse::<i64>()
            .map_err(|_| format!("a bad {what} length `{text}`"))?;
        Ok((n, at + end + 2))
    }
    let (count, mut at) = number(bytes, 1, "array")?;
    if !(1..=1_048_576).contains(&count) {
        return Err(format!("an array of {count} elements"));
    }
    let mut argv = Vec::with_capacity(count as usize);
    for _ in 0..count {
        if bytes.get(at) != Some(&b'$') {
            return Err("an array element that is not a bulk string ($)".into());
        }
        let (len, body) = number(bytes, at + 1, "bulk")?;
        let len = usize::try_from(len).map_err(|_| "a negative bulk length".to_string())?;
        let end = body
            .checked_add(len)
            .filter(|&e| e + 2 <= bytes.len())
            .ok_or("the file ends inside a bulk string (cut short?)")?;
        if &bytes[end..end + 2] != b"\r\n" {
            return Err("a bulk string without its CRLF end".into());
        }
        argv.push(bytes[body..end].to_vec());
        at = end + 2;
    }
    Ok((argv, at))
}

/// Whether a file is an RDB file (it starts with `REDIS` and a version).
pub fn is_rdb(bytes: &[u8]) -> bool {
    bytes.len() >= 9 && bytes.starts_with(b"REDIS") && bytes[5..9].iter().all(u8::is_ascii_digit)
}

/// An RDB file as the commands that put its contents into a server: its function
/// libraries (FUNCTION RESTORE ... REPLACE), then each key (SELECT, RESTORE ... REPLACE
/// ABSTTL), keys already expired left out. It is merged into the dataset, as the script
/// import is: keys of the file replace keys of the same name, others stay. The `line` of
/// each command is the key's number in the file. Returns the commands and the number of
/// expired keys left out.
pub fn rdb_commands(engine: &Engine, bytes: &[u8]) -> Result<(Vec<ScriptCommand>, usize), String> {
    let limits =
        redis_emulator::dump::Limits::from_config(&redis_emulator::config::Config::default());
    let (contents, expired) =
        redis_emulator::rdb_file::parse(bytes, &limits, engine.now_ms()).map_err(|e| e.0)?;
    let mut commands = Vec::new();
    if let Some(payload) = contents.functions_payload() {
        commands.push(ScriptCommand {
            line: 0,
            argv: vec![
                b"FUNCTION".to_vec(),
                b"RESTORE".to_vec(),
                payload,
                b"REPLACE".to_vec(),
            ],
        });
    }
    let mut db = None;
    for (i, k) in contents.keys.into_iter().enumerate() {
        if db != Some(k.db) {
            commands.push(ScriptCommand {
                line: i + 1,
                argv: vec![b"SELECT".to_vec(), k.db.to_string().into_bytes()],
            });
            db = Some(k.db);
        }
        let mut argv = vec![
            b"RESTORE".to_vec(),
            k.key,
            k.expire_at_ms.unwrap_or(0).to_string().into_bytes(),
            k.payload,
            b"REPLACE".to_vec(),
        ];
        if k.expire_at_ms.is_some() {
            argv.push(b"ABSTTL".to_vec());
        }
        commands.push(ScriptCommand { line: i + 1, argv });
    }
    Ok((commands, expired))
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub commands: usize,
    /// (line, error reply) of the commands that failed, the first ones.
    pub errors: Vec<(usize, String)>,
    pub error_count: usize,
}

/// Runs a script's commands on a client of its own (as `redis-cli --pipe` would), which
/// is closed afterwards. Errors are counted, the first 20 kept with their lines.
pub fn run_script(engine: &mut Engine, commands: &[ScriptCommand]) -> Imported {
    let client = engine.connect(redis_emulator::ClientInfo::default());
    let mut report = Imported::default();
    for c in commands {
        let reply = engine.execute(client, &c.argv);
        report.commands += 1;
        if let redis_emulator::Reply::Error(e) = reply {
            report.error_count += 1;
            if report.errors.len() < 20 {
                report.errors.push((c.line, e.to_string()));
            }
        }
        if engine.is_blocked(client) || engine.client(client).is_none() {
            // A blocking command or a QUIT ends the script here, as it would a pipe.
            break;
        }
    }
    if engine.client(client).is_some() {
        engine.disconnect(client);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::testing::argv;
    use crate::playground::Playground;
    use redis_emulator::ManualClock;

    fn pg() -> Playground {
        Playground::new(Box::new(ManualClock::new(1_700_000_000_000)), 1)
    }

    fn run(pg: &mut Playground, line: &str) {
        let c = pg.client;
        pg.engine.execute(c, &argv(line));
    }

    #[test]
    fn an_rdb_file_imports_back_to_the_same_dataset() {
        let mut a = pg();
        for line in [
            "SET s \"a b\"",
            "PEXPIRE s 5000",
            "RPUSH l 1 2 3",
            "XADD x 1-1 f v",
            "SELECT 4",
            "HSET h f v",
            "FUNCTION LOAD \"#!lua name=lib\\nredis.register_function('f', function() return 1 end)\"",
        ] {
            run(&mut a, line);
        }
        let file = a.engine.save_rdb();
        assert!(is_rdb(&file));
        assert!(!is_rdb(b"*1\r\n$4\r\nPING\r\n"));
        let mut b = pg();
        run(&mut b, "SET l old");
        let (commands, expired) = rdb_commands(&b.engine, &file).unwrap();
        assert_eq!(expired, 0);
        let report = run_script(&mut b.engine, &commands);
        assert_eq!(report.error_count, 0, "{:?}", report.errors);
        for (db, key) in [(0, "s"), (0, "l"), (0, "x"), (4, "h")] {
            assert_eq!(
                a.engine.dump_value(db, key.as_bytes()),
                b.engine.dump_value(db, key.as_bytes()),
                "{key}"
            );
        }
        run(&mut b, "PTTL s");
        let c = b.client;
        let pttl = b.engine.execute(c, &argv("PTTL s"));
        assert_eq!(pttl, redis_emulator::Reply::Integer(5000));
        let fcall = b.engine.execute(c, &argv("FCALL f 0"));
        assert_eq!(fcall, redis_emulator::Reply::Integer(1));
        assert!(rdb_commands(&b.engine, b"REDIS0010garbage").is_err());
    }

    #[test]
    fn an_export_imports_back_to_the_same_dataset() {
        let mut a = pg();
        for line in [
            "SET s \"a b\"",
            "PEXPIRE s 5000",
            "RPUSH l 1 2 3",
            "ZADD z 1.5 m",
            "XADD st 1-1 f v",
            "XGROUP CREATE st g 0",
            "SELECT 5",
            "HSET h f v",
        ] {
            run(&mut a, line);
        }
        let (script, keys) = command_script(&mut a.engine);
        assert_eq!(keys, 5);
        let commands = parse_script(&script).unwrap();
        assert_eq!(commands.len(), 5 + 3);
        let mut b = pg();
        let report = run_script(&mut b.engine, &commands);
        assert_eq!(report.error_count, 0, "{:?}", report.errors);
        for (db, key) in [(0, "s"), (0, "l"), (0, "z"), (0, "st"), (5, "h")] {
            assert_eq!(
                a.engine.dump_value(db, key.as_bytes()),
                b.engine.dump_value(db, key.as_bytes()),
                "{key}"
            );
        }
        let ttl = b
            .engine
            .db(0)
            .and_then(|d| d.entry(b"s"))
            .and_then(|e| e.expire_at);
        assert_eq!(ttl, Some(1_700_000_000_000 + 5000));
    }

    #[test]
    fn inline_lines_and_resp_mix_and_errors_have_lines() {
        let script = b"# a comment\r\nSET a 1\n\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\nINCR a b\nGET \"unbalanced\n";
        assert_eq!(
            parse_script(script).unwrap_err(),
            "line 12: unbalanced quotes"
        );
        let script =
            b"# a comment\r\nSET a 1\n\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\nINCR a b\nGET a";
        let commands = parse_script(script).unwrap();
        let lines: Vec<usize> = commands.iter().map(|c| c.line).collect();
        assert_eq!(lines, vec![2, 4, 11, 12]);
        let mut b = pg();
        let report = run_script(&mut b.engine, &commands);
        assert_eq!(report.commands, 4);
        assert_eq!(
            report.errors,
            vec![(
                11,
                "ERR wrong number of arguments for 'incr' command".to_string()
            )]
        );
    }

    #[test]
    fn broken_resp_is_an_error_never_a_panic() {
        for bad in [
            &b"*2\r\n$3\r\nGET\r\n"[..],
            b"*1\r\n$99\r\nGET\r\n",
            b"*x\r\n",
            b"*0\r\n",
            b"*1\r\n:1\r\n",
            b"*1\r\n$-1\r\n",
            b"*1\r\n$3\r\nGETxx",
            b"*1",
        ] {
            assert!(parse_script(bad).is_err(), "{bad:?}");
        }
        let mut seed: u64 = 7;
        for i in 0..3000usize {
            let mut bytes = b"*".to_vec();
            for _ in 0..(i % 48) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bytes.push(b"*$\r\n0123SETab"[(seed % 13) as usize]);
            }
            let _ = parse_script(&bytes);
        }
    }

    /// The export loaded by a real redis-server with `redis-cli --pipe` holds the same
    /// values (DUMP byte for byte) and TTLs. Runs where redis-server is installed
    /// (`WANT_REDIS=1 bash scripts/install-tools.sh`); elsewhere it says so and passes.
    #[test]
    fn a_real_redis_server_loads_the_export_with_redis_cli_pipe() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let found = |bin: &str| {
            Command::new(bin)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !found("redis-server") || !found("redis-cli") {
            eprintln!("skipped: redis-server/redis-cli not installed");
            return;
        }
        let mut a = pg();
        for line in [
            "SET s hello",
            "EXPIRE s 3000",
            "RPUSH l a b c",
            "HSET h f v",
            "SADD set 1 2 3",
            "ZADD z 1 a 2 b",
            "XADD st 1-1 f v",
            "XGROUP CREATE st g 0",
            "XREADGROUP GROUP g c STREAMS st >",
            "SELECT 2",
            "SET other \"in db 2\"",
        ] {
            run(&mut a, line);
        }
        let (script, _) = command_script(&mut a.engine);
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut server = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let cli = |args: &[&str]| {
            Command::new("redis-cli")
                .args(["-p", &port.to_string()])
                .args(args)
                .output()
                .map(|o| o.stdout)
                .unwrap_or_default()
        };
        for _ in 0..50 {
            if cli(&["PING"]).starts_with(b"PONG") {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let mut pipe = Command::new("redis-cli")
            .args(["-p", &port.to_string(), "--pipe"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        pipe.stdin.take().unwrap().write_all(&script).unwrap();
        let out = pipe.wait_with_output().unwrap();
        let summary = String::from_utf8_lossy(&out.stdout).to_string();
        let checks: Vec<(usize, &str)> = vec![
            (0, "s"),
            (0, "l"),
            (0, "h"),
            (0, "set"),
            (0, "z"),
            (0, "st"),
            (2, "other"),
        ];
        let mut problems = Vec::new();
        for (db, key) in checks {
            // DUMP's payload, as hex, from the real server.
            let hex = cli(&["-n", &db.to_string(), "--no-raw", "EVAL", "local d = redis.call('DUMP', KEYS[1]) return d and (d:gsub('.', function(c) return string.format('%02x', c:byte()) end)) or ''", "1", key]);
            let hex = String::from_utf8_lossy(&hex)
                .trim()
                .trim_matches('"')
                .to_string();
            let ours: String = a
                .engine
                .dump_value(db, key.as_bytes())
                .unwrap_or_default()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            if hex != ours {
                problems.push(format!("{key}: redis {hex} ours {ours}"));
            }
        }
        let pttl = String::from_utf8_lossy(&cli(&["PTTL", "s"]))
            .trim()
            .parse::<i64>()
            .unwrap_or(-9);
        let _ = server.kill();
        let _ = server.wait();
        assert!(summary.contains("errors: 0, replies: 10"), "{summary}");
        assert!(problems.is_empty(), "{problems:#?}");
        assert!((2_990_000..=3_000_000).contains(&pttl), "PTTL {pttl}");
    }
}
