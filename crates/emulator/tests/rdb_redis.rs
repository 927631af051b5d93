//! RDB files against a real redis-server 7.0 (skipped, with a note, where redis-server
//! and redis-cli are not installed):
//!
//! - the same dataset built in redis-server (then `SAVE`) and in the emulator (then
//!   `Engine::save_rdb`) gives the same file, byte for byte, after the auxiliary fields
//!   (`ctime` and `used-mem` can't agree, and the CRC covers them). One key per database,
//!   because Redis writes a database's keys in its hash table's order, random per process;
//! - a file the emulator wrote loads into redis-server with every key's DUMP payload,
//!   TTL and the function library as the emulator has them;
//! - the file redis-server wrote parses (`rdb_file::parse`) into the emulator's payloads.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use redis_emulator::dump::Limits;
use redis_emulator::rdb_file;
use redis_emulator::{cli, ClientInfo, Engine, ManualClock, Reply};

const NOW: i64 = 1_700_000_000_000;

/// One key per database (see above), every type and the encodings 7.0 writes.
const EXACT: &[&str] = &[
    "SET s hello",
    "PEXPIREAT s 4102444800000",
    "SELECT 1",
    "RPUSH l a b c 1 2 3",
    "SELECT 2",
    // One member: a set of strings is a hash table in 7.0, listed in a per-process order.
    "SADD st x",
    "SELECT 3",
    "SADD ints 1 2 3 1000000",
    "SELECT 4",
    "ZADD z 1 a 2.5 b -3 c",
    "SELECT 5",
    "HSET h f v n 12",
    "SELECT 6",
    "XADD x 1-1 a 1 b 2",
    "XADD x 2-5 a 3",
    "XGROUP CREATE x g 0",
    "SELECT 7",
    "SET long aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "SELECT 8",
    "SET n 123456789",
    "SELECT 15",
    "SET last \"in the last database\"",
    "FUNCTION LOAD \"#!lua name=lib\\nredis.register_function('f', function() return 1 end)\"",
];

fn installed() -> bool {
    let found = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    found("redis-server") && found("redis-cli")
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(dir: &Path, dbfilename: &str) -> Server {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .args(["--dbfilename", dbfilename])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, port };
        for _ in 0..100 {
            if server.cli(&["PING"]).starts_with(b"PONG") {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("redis-server did not start");
    }

    fn cli(&self, args: &[&str]) -> Vec<u8> {
        Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default()
    }

    /// Runs lines as typed in redis-cli, in one session.
    fn type_lines(&self, lines: &[&str]) {
        let mut child = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(lines.join("\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("ERR"), "{text}");
    }

    /// DUMP of a key, as hex (redis-cli can't print binary bulk strings as they are).
    fn dump_hex(&self, db: usize, key: &[u8]) -> String {
        let key = String::from_utf8_lossy(key).into_owned();
        let out = self.cli(&[
            "-n",
            &db.to_string(),
            "EVAL",
            "local d = redis.call('DUMP', KEYS[1]) return d and (d:gsub('.', function(c) return string.format('%02x', c:byte()) end)) or ''",
            "1",
            &key,
        ]);
        String::from_utf8_lossy(&out).trim().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rdb-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn engine_with(lines: &[&str]) -> Engine {
    let mut engine = Engine::new(Box::new(ManualClock::new(NOW)), 1);
    let client = engine.connect(ClientInfo::default());
    for line in lines {
        let argv = cli::split_args(line.as_bytes()).unwrap();
        let reply = engine.execute(client, &argv);
        assert!(!matches!(reply, Reply::Error(_)), "{line}: {reply:?}");
    }
    engine
}

/// The file after its auxiliary fields, without the CRC.
fn after_aux(file: &[u8]) -> &[u8] {
    let mut pos = 9;
    while file.get(pos) == Some(&0xfa) {
        pos += 1;
        redis_emulator::rdb::read_string(file, &mut pos).unwrap();
        redis_emulator::rdb::read_string(file, &mut pos).unwrap();
    }
    &file[pos..file.len() - 8]
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_emulator_writes_the_file_redis_server_saves() {
    if !installed() {
        eprintln!("skipped: redis-server/redis-cli not installed");
        return;
    }
    let dir = temp_dir("save");
    let server = Server::start(&dir, "saved.rdb");
    server.type_lines(EXACT);
    assert!(server.cli(&["SAVE"]).starts_with(b"OK"));
    let theirs = std::fs::read(dir.join("saved.rdb")).unwrap();
    drop(server);

    let mut engine = engine_with(EXACT);
    let ours = engine.save_rdb();
    assert_eq!(&theirs[..9], b"REDIS0010");
    let limits = Limits::from_config(&redis_emulator::config::Config::default());
    let (their_contents, _) = rdb_file::parse(&theirs, &limits, NOW).unwrap();
    let (our_contents, _) = rdb_file::parse(&ours, &limits, NOW).unwrap();
    let names = |c: &rdb_file::RdbContents| -> Vec<String> {
        c.aux.iter().map(|(k, _)| k.clone()).collect()
    };
    assert_eq!(names(&our_contents), names(&their_contents));
    assert_eq!(our_contents.aux[0], their_contents.aux[0], "redis-ver");
    assert_eq!(hex(after_aux(&ours)), hex(after_aux(&theirs)));
    assert_eq!(our_contents.keys, their_contents.keys);
    assert_eq!(our_contents.libraries, their_contents.libraries);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn redis_server_loads_the_file_the_emulator_writes() {
    if !installed() {
        eprintln!("skipped: redis-server/redis-cli not installed");
        return;
    }
    let mut lines: Vec<String> = EXACT.iter().map(|l| l.to_string()).collect();
    lines.extend(
        [
            "SELECT 0",
            "XADD pel 1-1 a 1",
            "XGROUP CREATE pel g 0",
            "XREADGROUP GROUP g alice COUNT 1 STREAMS pel >",
            "HSET big f1 v1 f2 v2",
            "EXPIRE big 5000",
        ]
        .map(String::from),
    );
    let big_list: Vec<String> = (0..300).map(|i| format!("element-{i}")).collect();
    lines.push(format!("RPUSH biglist {}", big_list.join(" ")));
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    // The engine's clock is now: the server's TTLs count from the real time.
    let mut engine = Engine::new(
        Box::new(ManualClock::new(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as i64,
        )),
        1,
    );
    let client = engine.connect(ClientInfo::default());
    for line in &refs {
        let argv = cli::split_args(line.as_bytes()).unwrap();
        let reply = engine.execute(client, &argv);
        assert!(!matches!(reply, Reply::Error(_)), "{line}: {reply:?}");
    }
    let file = engine.save_rdb();
    let dir = temp_dir("load");
    std::fs::write(dir.join("ours.rdb"), &file).unwrap();
    let server = Server::start(&dir, "ours.rdb");
    let limits = Limits::from_config(&redis_emulator::config::Config::default());
    let (contents, _) = rdb_file::parse(&file, &limits, 0).unwrap();
    let mut problems = Vec::new();
    for k in &contents.keys {
        let theirs = server.dump_hex(k.db, &k.key);
        let ours = hex(&engine.dump_value(k.db, &k.key).unwrap_or_default());
        if theirs.trim_matches('"') != ours {
            problems.push(format!(
                "{}: redis {theirs} ours {ours}",
                String::from_utf8_lossy(&k.key)
            ));
        }
    }
    let pttl: i64 = String::from_utf8_lossy(&server.cli(&["PTTL", "big"]))
        .trim()
        .parse()
        .unwrap_or(-9);
    let functions = String::from_utf8_lossy(&server.cli(&["FUNCTION", "LIST"])).into_owned();
    let dbsize = String::from_utf8_lossy(&server.cli(&["-n", "15", "DBSIZE"])).into_owned();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(contents.keys.len(), 13);
    assert!((4_000_000..=5_000_000).contains(&pttl), "PTTL {pttl}");
    assert!(functions.contains("lib"), "{functions}");
    assert_eq!(dbsize.trim(), "1");
}
