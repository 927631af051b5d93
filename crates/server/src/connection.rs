//! One client connection: its socket, its query buffer and its reply buffer.
//!
//! Reading follows Redis's `processInputBuffer`: every complete request in the buffer is
//! run before anything is written, and all the replies go out in one write. Buffers are
//! kept between events (no allocation per request on the server side).

use std::io::{self, ErrorKind, Read, Write};
use std::panic::{self, AssertUnwindSafe};

use mio::net::TcpStream;
use redis_emulator::resp::{parse_request_into, request_ready, Parsed, Scan};
use redis_emulator::{ClientId, Engine, Protocol, Reply};

use crate::log::{log, Level};

/// Bytes asked of the socket per read, like Redis's `PROTO_IOBUF_LEN`.
const READ_CHUNK: usize = 16 * 1024;
/// Stop running a client's requests while this much of its output is unsent: a client
/// that pipelines without reading cannot grow our memory without bound.
const OUTPUT_HIGH_WATER: usize = 16 * 1024 * 1024;
/// Buffers grown past this are shrunk back when they empty.
const KEEP_CAPACITY: usize = 256 * 1024;
/// Argument vectors grown past this are not kept for reuse.
const KEEP_ARG_CAPACITY: usize = 64 * 1024;

/// What the server should do with a connection after an event.
#[derive(Debug, PartialEq, Eq)]
pub enum State {
    Open,
    Close,
}

/// Argument vectors shared by all connections (requests run one at a time): parsing
/// reuses their allocations, so steady traffic parses without allocating.
pub type ArgPool = Vec<Vec<u8>>;

/// Limits read from the engine's configuration once per event.
#[derive(Clone, Copy)]
pub struct Limits {
    pub max_bulk: usize,
    pub max_query: usize,
}

impl Limits {
    pub fn from_engine(engine: &Engine) -> Limits {
        let c = engine.config();
        let positive = |name: &str, default: usize| match c.int(name) {
            n if n > 0 => n as usize,
            _ => default,
        };
        Limits {
            max_bulk: positive("proto-max-bulk-len", redis_emulator::resp::DEFAULT_MAX_BULK),
            max_query: positive("client-query-buffer-limit", 1 << 30),
        }
    }
}

pub struct Connection {
    pub stream: TcpStream,
    pub client: ClientId,
    /// Query buffer: unread requests are `input[start..end]`; `input.len()` is capacity.
    input: Vec<u8>,
    start: usize,
    end: usize,
    /// Replies not yet written: `output[written..]`.
    output: Vec<u8>,
    written: usize,
    /// QUIT or a protocol error: send what is queued, then close.
    close_after_flush: bool,
    /// The peer closed its side: no more input will come.
    eof: bool,
    /// Requests were left in the buffer because too much output was queued.
    paused: bool,
    /// Set while a request is incomplete: how far it has been checked, so each read
    /// only looks at the new bytes until the request is whole.
    waiting: Option<Scan>,
}

impl Connection {
    pub fn new(stream: TcpStream, client: ClientId) -> Self {
        Connection {
            stream,
            client,
            input: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            output: Vec::with_capacity(READ_CHUNK),
            written: 0,
            close_after_flush: false,
            eof: false,
            paused: false,
            waiting: None,
        }
    }

    fn pending_output(&self) -> usize {
        self.output.len() - self.written
    }

    /// Handles a readiness event (readable, writable, or both: the work is the same).
    /// Runs every complete request and reads until the socket is drained. Replies stay
    /// queued: the server writes them for all clients after the batch of events, as
    /// Redis does in `beforeSleep` (see `after_event`).
    /// `read_closed` (the event saw the peer's FIN or an error) makes it read until the
    /// end instead of trusting a short read to have drained the socket.
    pub fn on_event(
        &mut self,
        engine: &mut Engine,
        args: &mut ArgPool,
        limits: Limits,
        read_closed: bool,
    ) -> State {
        loop {
            if !self.close_after_flush {
                self.process(engine, args, limits);
            }
            if self.close_after_flush || self.eof {
                break;
            }
            if self.pending_output() > OUTPUT_HIGH_WATER {
                match self.flush() {
                    Ok(true) => continue,
                    // Wait for the socket to take more before running more requests.
                    Ok(false) => return State::Open,
                    Err(_) => return State::Close,
                }
            }
            match self.read_some(limits) {
                Ok(ReadResult::Data { .. }) if read_closed => continue,
                Ok(ReadResult::Data { drained: false }) => continue,
                Ok(ReadResult::Data { drained: true }) => {
                    self.process(engine, args, limits);
                    break;
                }
                Ok(ReadResult::Eof) => {
                    self.eof = true;
                    continue;
                }
                Ok(ReadResult::WouldBlock) => break,
                Err(e) => {
                    if e.kind() == ErrorKind::OutOfMemory {
                        log(
                            Level::Warning,
                            &format!("Closing client id={}: {}", self.client, e),
                        );
                    }
                    return State::Close;
                }
            }
        }
        if self.pending_output() == 0 && (self.close_after_flush || self.eof) {
            State::Close
        } else {
            State::Open
        }
    }

    /// Whether replies wait to be written.
    pub fn has_output(&self) -> bool {
        self.pending_output() > 0
    }

    /// Writes queued replies after a batch of events; says whether to keep the
    /// connection, and whether requests paused for output are ready to run again
    /// (everything was written, so no writable event will come to resume them).
    pub fn after_event(&mut self) -> (State, bool) {
        match self.flush() {
            Err(_) => (State::Close, false),
            Ok(true) if self.close_after_flush || (self.eof && !self.paused) => {
                (State::Close, false)
            }
            Ok(true) => (State::Open, self.paused),
            Ok(false) => (State::Open, false),
        }
    }

    /// Reads once into the free end of the query buffer, growing it if a request is
    /// bigger than the buffer.
    fn read_some(&mut self, limits: Limits) -> io::Result<ReadResult> {
        if self.end == self.input.len() {
            if self.start > 0 {
                self.input.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.input.len() {
                if self.end >= limits.max_query {
                    return Err(io::Error::new(
                        ErrorKind::OutOfMemory,
                        "query buffer limit reached",
                    ));
                }
                let grown = (self.input.len() * 2).min(limits.max_query.max(READ_CHUNK));
                self.input.resize(grown, 0);
            }
        }
        let room = self.input.len() - self.end;
        loop {
            return match self.stream.read(&mut self.input[self.end..]) {
                Ok(0) => Ok(ReadResult::Eof),
                Ok(n) => {
                    self.end += n;
                    // A short read took everything the socket had: with edge-triggered
                    // polling, new data brings a new event (tokio relies on the same).
                    Ok(ReadResult::Data { drained: n < room })
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(ReadResult::WouldBlock),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
        }
    }

    /// Runs every complete request in the query buffer, appending replies to the output.
    fn process(&mut self, engine: &mut Engine, args: &mut ArgPool, limits: Limits) {
        self.paused = false;
        while self.start < self.end && !self.close_after_flush {
            if self.pending_output() > OUTPUT_HIGH_WATER {
                self.paused = true;
                break;
            }
            let pending = &self.input[self.start..self.end];
            if let Some(scan) = &mut self.waiting {
                if !request_ready(pending, limits.max_bulk, scan) {
                    break;
                }
                self.waiting = None;
            }
            match parse_request_into(pending, limits.max_bulk, args) {
                Parsed::Incomplete => {
                    let mut scan = Scan::default();
                    request_ready(pending, limits.max_bulk, &mut scan);
                    self.waiting = Some(scan);
                    break;
                }
                Parsed::Skip(n) => self.start += n,
                Parsed::Command { argc, len } => {
                    self.start += len;
                    self.execute(engine, &args[..argc]);
                    for a in &mut args[..argc] {
                        if a.capacity() > KEEP_ARG_CAPACITY {
                            *a = Vec::new();
                        }
                    }
                }
                Parsed::Error(text) => {
                    // redis-server logs these only at `verbose`, below its default level.
                    self.output.extend_from_slice(b"-ERR ");
                    self.output.extend_from_slice(text.as_bytes());
                    self.output.extend_from_slice(b"\r\n");
                    self.close_after_flush = true;
                    self.start = self.end;
                }
            }
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.input.len() > KEEP_CAPACITY {
                self.input = vec![0; READ_CHUNK];
            }
        }
    }

    fn execute(&mut self, engine: &mut Engine, argv: &[Vec<u8>]) {
        let id = self.client;
        let mark = self.output.len();
        let out = &mut self.output;
        let ran = panic::catch_unwind(AssertUnwindSafe(|| {
            let reply = engine.execute(id, argv);
            // Read after execute: HELLO switches the protocol of its own reply, QUIT
            // asks for the connection to close once the reply is out.
            let (protocol, closing) = match engine.client(id) {
                Some(c) => (c.protocol, c.closing),
                None => (Protocol::Resp2, true),
            };
            reply.encode(protocol, out);
            closing
        }));
        let closing = match ran {
            Ok(closing) => closing,
            Err(_) => {
                let name = String::from_utf8_lossy(&argv[0]).into_owned();
                log(
                    Level::Warning,
                    &format!(
                        "Command '{}' panicked (client id={}): replying with an error",
                        name, id
                    ),
                );
                self.output.truncate(mark);
                let reply = Reply::error(format!("ERR internal error while running '{}'", name));
                reply.encode(engine.protocol(id), &mut self.output);
                engine.client(id).is_none_or(|c| c.closing)
            }
        };
        if closing {
            self.close_after_flush = true;
        }
    }

    /// Appends replies produced outside this connection's own requests (see
    /// `Engine::take_outboxes`); `closing` when one of them answered a queued QUIT.
    pub fn push_replies(&mut self, replies: &[Reply], protocol: Protocol, closing: bool) {
        for reply in replies {
            reply.encode(protocol, &mut self.output);
        }
        if closing {
            self.close_after_flush = true;
        }
    }

    /// Writes queued replies. Ok(true) when everything went out, Ok(false) when the
    /// socket is full (a writable event will come).
    pub fn flush(&mut self) -> io::Result<bool> {
        while self.written < self.output.len() {
            match self.stream.write(&self.output[self.written..]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        ErrorKind::WriteZero,
                        "socket accepted no bytes",
                    ))
                }
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.output.clear();
        self.written = 0;
        if self.output.capacity() > KEEP_CAPACITY {
            self.output.shrink_to(READ_CHUNK);
        }
        Ok(true)
    }
}

enum ReadResult {
    /// Bytes arrived; `drained` when the read was shorter than the room offered.
    Data {
        drained: bool,
    },
    Eof,
    WouldBlock,
}
