//! End-to-end tests of the server binary over raw RESP on loopback TCP.
//!
//! Each test starts its own server with `--port 0` (the OS picks a free port, which the
//! server prints in its "Ready to accept connections" line), talks to it through
//! `std::net::TcpStream` with read/write timeouts, and kills it when done.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const IO_TIMEOUT: Duration = Duration::from_secs(10);

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_redis-emulator-server"))
            .args(["--bind", "127.0.0.1", "--port", "0", "--seed", "1"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server binary");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        // Reads the log: reports the address once, then keeps draining so the server
        // never blocks on a full pipe.
        thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.split("Ready to accept connections tcp on ").nth(1) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr.trim().to_string());
                    }
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(addr) => Server { child, addr },
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not print its ready line");
            }
        }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(&self.addr).expect("connect to the server");
        s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        s
    }
}

impl Server {
    fn still_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// RESP multibulk encoding of a command.
fn cmd(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn cmds(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| {
            let args: Vec<&[u8]> = l.split(' ').map(str::as_bytes).collect();
            cmd(&args)
        })
        .collect()
}

/// Reads exactly as many bytes as `expected` and compares.
fn expect(s: &mut TcpStream, expected: &[u8]) {
    let mut got = vec![0; expected.len()];
    s.read_exact(&mut got)
        .unwrap_or_else(|e| panic!("reading {:?}: {e}", String::from_utf8_lossy(expected)));
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(expected)
    );
}

/// Asserts the server closes the connection with nothing more to say.
fn expect_closed(s: &mut TcpStream) {
    let mut rest = Vec::new();
    match s.read_to_end(&mut rest) {
        Ok(_) => assert!(
            rest.is_empty(),
            "unexpected bytes before close: {:?}",
            String::from_utf8_lossy(&rest)
        ),
        // A reset also means closed (the server may close with our unread bytes pending).
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
}

/// Sends one command and reads one line-shaped reply (status, error, integer, or a
/// bulk string that fits the buffer).
fn roundtrip(s: &mut TcpStream, line: &str) -> String {
    s.write_all(&cmds(&[line])).unwrap();
    let mut buf = vec![0; 64 * 1024];
    let mut got = Vec::new();
    let deadline = Instant::now() + IO_TIMEOUT;
    while Instant::now() < deadline {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "server closed the connection");
        got.extend_from_slice(&buf[..n]);
        if reply_complete(&got) {
            return String::from_utf8_lossy(&got).into_owned();
        }
    }
    panic!("no complete reply to {line}");
}

/// Whether `b` holds one whole simple or bulk reply (enough for these tests).
fn reply_complete(b: &[u8]) -> bool {
    let Some(nl) = b.windows(2).position(|w| w == b"\r\n") else {
        return false;
    };
    if b[0] != b'$' {
        return true;
    }
    let len: i64 = std::str::from_utf8(&b[1..nl]).unwrap().parse().unwrap();
    len < 0 || b.len() >= nl + 2 + len as usize + 2
}

#[test]
fn ping_and_pipelined_requests() {
    let server = Server::start(&[]);
    let mut s = server.connect();
    s.write_all(&cmds(&[
        "PING", "SET k 10", "INCR k", "GET k", "DEL k", "GET k", "ECHO hi",
    ]))
    .unwrap();
    expect(
        &mut s,
        b"+PONG\r\n+OK\r\n:11\r\n$2\r\n11\r\n:1\r\n$-1\r\n$2\r\nhi\r\n",
    );

    // A long pipeline in one write, answered in order.
    let mut batch = Vec::new();
    for i in 0..5000 {
        batch.extend(cmd(&[b"INCR", b"counter"]));
        if i % 1000 == 0 {
            batch.extend(cmd(&[b"PING"]));
        }
    }
    s.write_all(&batch).unwrap();
    let mut expected = Vec::new();
    for i in 0..5000 {
        expected.extend(format!(":{}\r\n", i + 1).into_bytes());
        if i % 1000 == 0 {
            expected.extend_from_slice(b"+PONG\r\n");
        }
    }
    expect(&mut s, &expected);
}

#[test]
fn requests_split_across_writes() {
    let server = Server::start(&[]);
    let mut s = server.connect();
    let bytes = cmds(&["SET key value", "GET key"]);
    for b in bytes.chunks(3) {
        s.write_all(b).unwrap();
        s.flush().unwrap();
        thread::sleep(Duration::from_millis(2));
    }
    expect(&mut s, b"+OK\r\n$5\r\nvalue\r\n");
}

#[test]
fn inline_commands() {
    let server = Server::start(&[]);
    let mut s = server.connect();
    s.write_all(b"PING\r\nSET k \"hello world\"\r\n\r\nGET k\nEXISTS k nosuch\r\n")
        .unwrap();
    expect(&mut s, b"+PONG\r\n+OK\r\n$11\r\nhello world\r\n:1\r\n");
    // Unbalanced quotes: Redis's protocol error, then the connection closes.
    s.write_all(b"SET k \"oops\r\n").unwrap();
    expect(
        &mut s,
        b"-ERR Protocol error: unbalanced quotes in request\r\n",
    );
    expect_closed(&mut s);
}

#[test]
fn hello_3_switches_the_encoding() {
    let server = Server::start(&[]);
    let mut s = server.connect();
    s.write_all(&cmds(&["GET nosuch"])).unwrap();
    expect(&mut s, b"$-1\r\n");
    let hello = roundtrip(&mut s, "HELLO 3");
    assert!(
        hello.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
        "{hello}"
    );
    assert!(hello.contains("$5\r\nproto\r\n:3\r\n"), "{hello}");
    // The rest of HELLO's map, then RESP3 nulls.
    s.write_all(&cmds(&["GET nosuch"])).unwrap();
    let mut seen = hello.into_bytes();
    let mut buf = [0; 4096];
    let deadline = Instant::now() + IO_TIMEOUT;
    while !seen.ends_with(b"_\r\n") {
        assert!(Instant::now() < deadline, "no RESP3 null");
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).contains("$7\r\nmodules\r\n*0\r\n_\r\n"));
    // And back to RESP2.
    let hello2 = roundtrip(&mut s, "HELLO 2");
    assert!(hello2.starts_with("*14\r\n"), "{hello2}");
}

#[test]
fn quit_replies_ok_then_closes() {
    let server = Server::start(&[]);
    let mut s = server.connect();
    // Requests behind QUIT in the same write are not run.
    s.write_all(&cmds(&["SET a 1", "QUIT", "SET a 2"])).unwrap();
    expect(&mut s, b"+OK\r\n+OK\r\n");
    expect_closed(&mut s);
    let mut other = server.connect();
    assert_eq!(roundtrip(&mut other, "GET a"), "$1\r\n1\r\n");
}

#[test]
fn protocol_errors_close_the_connection() {
    let server = Server::start(&[]);
    let cases: &[(&[u8], &str)] = &[
        (b"*x\r\n", "Protocol error: invalid multibulk length"),
        (b"*1\r\nPING\r\n", "Protocol error: expected '$', got 'P'"),
        (b"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"),
    ];
    for (bytes, text) in cases {
        let mut s = server.connect();
        // A good request first: its reply still goes out before the error.
        let mut req = cmd(&[b"PING"]);
        req.extend_from_slice(bytes);
        s.write_all(&req).unwrap();
        expect(&mut s, format!("+PONG\r\n-ERR {text}\r\n").as_bytes());
        expect_closed(&mut s);
    }
    // The server is still fine.
    let mut s = server.connect();
    assert_eq!(roundtrip(&mut s, "PING"), "+PONG\r\n");
}

#[test]
fn one_megabyte_value() {
    let server = Server::start(&[]);
    let mut s = server.connect();
    let value: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    s.write_all(&cmd(&[b"SET", b"big", &value])).unwrap();
    expect(&mut s, b"+OK\r\n");
    s.write_all(&cmds(&["STRLEN big", "GET big"])).unwrap();
    let mut expected = b":1048576\r\n$1048576\r\n".to_vec();
    expected.extend_from_slice(&value);
    expected.extend_from_slice(b"\r\n");
    expect(&mut s, &expected);
}

#[test]
fn huge_request_of_small_arguments_in_small_writes() {
    // MSET of 100,000 keys (2.5 MB) trickling in 1 KB at a time: the request is whole
    // only at the end; every read before that must leave it waiting, untouched.
    let server = Server::start(&[]);
    let mut s = server.connect();
    let keys: Vec<String> = (0..100_000).map(|i| format!("key:{i:06}")).collect();
    let mut argv: Vec<&[u8]> = vec![b"MSET"];
    for k in &keys {
        argv.push(k.as_bytes());
        argv.push(b"v");
    }
    let req = cmd(&argv);
    let started = Instant::now();
    for (i, chunk) in req.chunks(1024).enumerate() {
        s.write_all(chunk).unwrap();
        if i % 8 == 0 {
            thread::sleep(Duration::from_micros(500)); // many small reads on the server
        }
    }
    expect(&mut s, b"+OK\r\n");
    assert_eq!(roundtrip(&mut s, "DBSIZE"), ":100000\r\n");
    assert_eq!(roundtrip(&mut s, "GET key:099999"), "$1\r\nv\r\n");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn client_that_never_reads_gets_everything_in_order() {
    // 60 MB of replies, more than the server buffers per client before pausing that
    // client's requests: exercises partial writes and writable events.
    let server = Server::start(&[]);
    let mut s = server.connect();
    let value = vec![b'v'; 100_000];
    s.write_all(&cmd(&[b"SET", b"v", &value])).unwrap();
    expect(&mut s, b"+OK\r\n");
    let mut writer = s.try_clone().unwrap();
    const N: usize = 600;
    let sender = thread::spawn(move || {
        let mut batch = Vec::new();
        for i in 0..N {
            batch.extend(cmd(&[b"GET", b"v"]));
            batch.extend(cmd(&[b"ECHO", i.to_string().as_bytes()]));
        }
        writer.write_all(&batch).unwrap();
    });
    let mut expected_one = format!("${}\r\n", value.len()).into_bytes();
    expected_one.extend_from_slice(&value);
    expected_one.extend_from_slice(b"\r\n");
    let mut got = vec![0; expected_one.len()];
    for i in 0..N {
        s.read_exact(&mut got).unwrap();
        assert!(got == expected_one, "reply {i} differs");
        let echo = format!("${}\r\n{}\r\n", i.to_string().len(), i);
        expect(&mut s, echo.as_bytes());
    }
    sender.join().unwrap();
}

#[test]
fn client_disconnecting_mid_request() {
    let server = Server::start(&[]);
    let mut watcher = server.connect();
    {
        let mut s = server.connect();
        s.write_all(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc")
            .unwrap();
        s.flush().unwrap();
        thread::sleep(Duration::from_millis(50));
        // Dropped here: the half request is discarded and the client forgotten.
    }
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let list = roundtrip(&mut watcher, "CLIENT LIST");
        if list.matches("id=").count() == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the disconnected client is still listed: {list}"
        );
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(roundtrip(&mut watcher, "EXISTS k"), ":0\r\n");
}

#[test]
fn requests_before_half_close_are_answered() {
    let server = Server::start(&[]);
    let mut s = server.connect();
    s.write_all(&cmds(&["SET x 1", "GET x"])).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    expect(&mut s, b"+OK\r\n$1\r\n1\r\n");
    expect_closed(&mut s);
}

#[test]
fn clients_share_one_dataset_and_keys_expire_actively() {
    let server = Server::start(&[]);
    let mut a = server.connect();
    let mut b = server.connect();
    assert_eq!(roundtrip(&mut a, "SET shared yes"), "+OK\r\n");
    assert_eq!(roundtrip(&mut b, "GET shared"), "$3\r\nyes\r\n");
    assert_eq!(roundtrip(&mut a, "SET soon x PX 50"), "+OK\r\n");
    assert_eq!(roundtrip(&mut a, "DBSIZE"), ":2\r\n");
    // DBSIZE counts keys not yet deleted: only active expiry brings it down.
    let deadline = Instant::now() + IO_TIMEOUT;
    while roundtrip(&mut b, "DBSIZE") != ":1\r\n" {
        assert!(Instant::now() < deadline, "the key never expired");
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn config_flags_reach_the_engine() {
    let server = Server::start(&["--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"]);
    let mut s = server.connect();
    s.write_all(&cmds(&[
        "CONFIG GET maxmemory",
        "CONFIG GET maxmemory-policy",
    ]))
    .unwrap();
    expect(&mut s, b"*2\r\n$9\r\nmaxmemory\r\n$7\r\n2097152\r\n*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n");
}

#[test]
fn config_and_info_show_the_real_port() {
    let server = Server::start(&[]);
    let port = server.addr.rsplit(':').next().unwrap().to_string();
    let mut s = server.connect();
    s.write_all(&cmds(&["CONFIG GET port", "CONFIG GET bind"]))
        .unwrap();
    let expected = format!(
        "*2\r\n$4\r\nport\r\n${}\r\n{}\r\n*2\r\n$4\r\nbind\r\n$9\r\n127.0.0.1\r\n",
        port.len(),
        port
    );
    expect(&mut s, expected.as_bytes());
    s.write_all(&cmds(&["INFO server"])).unwrap();
    let mut info = Vec::new();
    let mut buf = [0; 8192];
    let deadline = Instant::now() + IO_TIMEOUT;
    while !String::from_utf8_lossy(&info).contains("\r\n\r\n") && Instant::now() < deadline {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0);
        info.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&info).contains(&format!("tcp_port:{port}\r\n")));
}

#[test]
fn bad_flags_fail_at_startup() {
    let out = Command::new(env!("CARGO_BIN_EXE_redis-emulator-server"))
        .args(["--port", "0", "--maxmemory", "lots"])
        .output()
        .expect("run the server binary");
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FATAL CONFIG ERROR"), "{text}");

    let help = Command::new(env!("CARGO_BIN_EXE_redis-emulator-server"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--port N"));
}

#[test]
fn garbage_never_takes_the_server_down() {
    let mut server = Server::start(&[]);
    // A fixed xorshift sequence: the same garbage every run.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: &[&[u8]] = &[
        b"*",
        b"$",
        b"\r\n",
        b"\n",
        b"\"",
        b"'",
        b"-1",
        b"0",
        b"3",
        b"2147483648",
        b"SET",
        b"GET",
        b"HELLO",
        b"3",
        b"QUIT",
        b"CLIENT",
        b"KILL",
        b"SETRANGE",
        b"EX",
        b"\x00",
        b"\xff",
        b" ",
        b"\\x4",
    ];
    for _ in 0..60 {
        let mut s = server.connect();
        s.set_read_timeout(Some(Duration::from_millis(30))).unwrap();
        let mut junk = Vec::new();
        for _ in 0..(next() % 60) {
            match next() % 3 {
                0 => junk.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]),
                1 => junk.extend(cmd(&[b"SET", b"k", &next().to_le_bytes()])),
                _ => junk.extend((0..next() % 8).map(|_| next() as u8)),
            }
        }
        // The server may close on a protocol error at any point: write errors are fine.
        let _ = s.write_all(&junk);
        let mut sink = [0; 4096];
        while let Ok(n) = s.read(&mut sink) {
            if n == 0 {
                break;
            }
        }
    }
    assert!(server.still_running(), "the server exited");
    let mut s = server.connect();
    assert_eq!(roundtrip(&mut s, "PING"), "+PONG\r\n");
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let mut server = Server::start(&[]);
    let mut s = server.connect();
    assert_eq!(roundtrip(&mut s, "PING"), "+PONG\r\n");
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + IO_TIMEOUT;
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "the server ignored SIGTERM");
        thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    expect_closed(&mut s);
}

#[test]
fn maxclients_turns_extra_connections_away() {
    let server = Server::start(&["--maxclients", "2"]);
    let mut first = server.connect();
    assert_eq!(roundtrip(&mut first, "PING"), "+PONG\r\n");
    let mut second = server.connect();
    assert_eq!(roundtrip(&mut second, "PING"), "+PONG\r\n");
    let mut third = server.connect();
    expect(&mut third, b"-ERR max number of clients reached\r\n");
    expect_closed(&mut third);
    drop(second);
    // Once a slot is free, connections are welcome again.
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let mut s = server.connect();
        let mut buf = [0; 64];
        s.write_all(&cmds(&["PING"])).unwrap();
        let n = s.read(&mut buf).unwrap_or(0);
        if &buf[..n] == b"+PONG\r\n" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no slot freed: {:?}",
            String::from_utf8_lossy(&buf[..n])
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// Asserts nothing arrives on `s` for a little while (a blocked client stays silent).
fn expect_silence(s: &mut TcpStream, for_ms: u64) {
    s.set_read_timeout(Some(Duration::from_millis(for_ms)))
        .unwrap();
    let mut buf = [0u8; 256];
    match s.read(&mut buf) {
        Ok(0) => panic!("the server closed the connection"),
        Ok(n) => panic!(
            "unexpected reply while blocked: {:?}",
            String::from_utf8_lossy(&buf[..n])
        ),
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{e}"
        ),
    }
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
}

#[test]
fn xread_block_is_woken_by_another_connections_xadd() {
    let server = Server::start(&[]);
    let mut reader = server.connect();
    let mut writer = server.connect();
    reader
        .write_all(&cmds(&["XREAD BLOCK 0 STREAMS s $"]))
        .unwrap();
    expect_silence(&mut reader, 200);
    writer.write_all(&cmds(&["XADD s 1-1 f v"])).unwrap();
    expect(&mut writer, b"$3\r\n1-1\r\n");
    expect(
        &mut reader,
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
    );
}

#[test]
fn blocked_client_times_out_and_then_runs_what_it_pipelined() {
    let server = Server::start(&[]);
    let mut reader = server.connect();
    let started = Instant::now();
    // The PING behind the blocked read waits for it, like Redis's unread socket.
    reader
        .write_all(&cmds(&["XREAD BLOCK 300 STREAMS s 0", "PING"]))
        .unwrap();
    expect(&mut reader, b"*-1\r\n+PONG\r\n");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(290),
        "timed out too early: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(3),
        "timed out too late: {waited:?}"
    );
}

#[test]
fn quit_behind_a_blocked_read_answers_after_it() {
    let server = Server::start(&[]);
    let mut reader = server.connect();
    let mut writer = server.connect();
    reader
        .write_all(&cmds(&["XREAD BLOCK 0 STREAMS s $", "QUIT"]))
        .unwrap();
    expect_silence(&mut reader, 150);
    writer.write_all(&cmds(&["XADD s 5-0 a b"])).unwrap();
    expect(&mut writer, b"$3\r\n5-0\r\n");
    expect(
        &mut reader,
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n5-0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n+OK\r\n",
    );
    expect_closed(&mut reader);
}

#[test]
fn a_blocked_client_that_disconnects_is_forgotten() {
    let server = Server::start(&[]);
    let mut gone = server.connect();
    gone.write_all(&cmds(&["XREAD BLOCK 0 STREAMS s $"]))
        .unwrap();
    expect_silence(&mut gone, 100);
    drop(gone);
    let mut other = server.connect();
    // Give the server a moment to see the close, then check nobody is blocked.
    thread::sleep(Duration::from_millis(100));
    let info = roundtrip(&mut other, "INFO clients");
    assert!(info.contains("blocked_clients:0"), "{info}");
    assert_eq!(roundtrip(&mut other, "XADD s 1-0 f v"), "$3\r\n1-0\r\n");
}

#[test]
fn consumers_of_one_group_each_get_a_different_entry() {
    let server = Server::start(&[]);
    let mut admin = server.connect();
    assert_eq!(
        roundtrip(&mut admin, "XGROUP CREATE s g $ MKSTREAM"),
        "+OK\r\n"
    );
    let mut workers: Vec<TcpStream> = (0..3).map(|_| server.connect()).collect();
    for (i, w) in workers.iter_mut().enumerate() {
        w.write_all(&cmds(&[&format!(
            "XREADGROUP GROUP g c{i} BLOCK 0 COUNT 1 STREAMS s >"
        )]))
        .unwrap();
        // One at a time, so the server sees them block in this order.
        expect_silence(w, 80);
    }
    for n in 1..=3 {
        assert_eq!(
            roundtrip(&mut admin, &format!("XADD s {n}-0 job {n}")),
            format!("$3\r\n{n}-0\r\n")
        );
    }
    // First blocked, first served: worker i gets entry i+1.
    for (i, w) in workers.iter_mut().enumerate() {
        let n = i + 1;
        expect(w, format!("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n{n}-0\r\n*2\r\n$3\r\njob\r\n$1\r\n{n}\r\n").as_bytes());
    }
    admin.write_all(&cmds(&["XPENDING s g"])).unwrap();
    expect(
        &mut admin,
        b"*4\r\n:3\r\n$3\r\n1-0\r\n$3\r\n3-0\r\n*3\r\n*2\r\n$2\r\nc0\r\n$1\r\n1\r\n*2\r\n$2\r\nc1\r\n$1\r\n1\r\n*2\r\n$2\r\nc2\r\n$1\r\n1\r\n",
    );
}

#[test]
fn a_subscriber_receives_another_connections_publish() {
    let server = Server::start(&[]);
    let mut subscriber = server.connect();
    let mut publisher = server.connect();
    subscriber
        .write_all(&cmds(&["SUBSCRIBE news other", "PSUBSCRIBE n*"]))
        .unwrap();
    expect(
        &mut subscriber,
        b"*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nother\r\n:2\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:3\r\n",
    );
    assert_eq!(roundtrip(&mut publisher, "PUBLISH news hello"), ":2\r\n");
    // The channel's message first, then the pattern's.
    expect(
        &mut subscriber,
        b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n",
    );
    assert_eq!(roundtrip(&mut publisher, "PUBLISH nobody x"), ":1\r\n");
    expect(
        &mut subscriber,
        b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$6\r\nnobody\r\n$1\r\nx\r\n",
    );
    // Subscribed mode under RESP2: PING is ["pong", ""], GET is refused.
    subscriber.write_all(&cmds(&["PING", "GET k"])).unwrap();
    expect(
        &mut subscriber,
        b"*2\r\n$4\r\npong\r\n$0\r\n\r\n-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    // A subscriber that goes away is forgotten.
    drop(subscriber);
    thread::sleep(Duration::from_millis(100));
    assert_eq!(roundtrip(&mut publisher, "PUBLISH news again"), ":0\r\n");
    assert_eq!(roundtrip(&mut publisher, "PUBSUB NUMPAT"), ":0\r\n");
}

#[test]
fn a_resp3_subscriber_gets_push_frames_and_may_run_commands() {
    let server = Server::start(&[]);
    let mut subscriber = server.connect();
    let mut publisher = server.connect();
    subscriber.write_all(&cmds(&["HELLO 3"])).unwrap();
    let mut buf = [0u8; 4096];
    let _ = subscriber.read(&mut buf).unwrap();
    subscriber
        .write_all(&cmds(&["SUBSCRIBE ch", "SET k v", "PUBLISH ch self"]))
        .unwrap();
    expect(
        &mut subscriber,
        b">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n+OK\r\n>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nself\r\n:1\r\n",
    );
    assert_eq!(roundtrip(&mut publisher, "PUBLISH ch hi"), ":1\r\n");
    expect(
        &mut subscriber,
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
    );
}

#[test]
fn client_kill_closes_the_other_connection() {
    let server = Server::start(&[]);
    let mut victim = server.connect();
    let mut admin = server.connect();
    assert_eq!(roundtrip(&mut victim, "CLIENT ID"), ":1\r\n");
    assert_eq!(roundtrip(&mut admin, "CLIENT KILL ID 1"), ":1\r\n");
    expect_closed(&mut victim);
    // Killing oneself: the reply comes, then the connection closes.
    admin
        .write_all(&cmds(&["CLIENT KILL ID 2 SKIPME no"]))
        .unwrap();
    expect(&mut admin, b":1\r\n");
    expect_closed(&mut admin);
}
