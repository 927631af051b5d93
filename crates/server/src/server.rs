//! The event loop: one engine, many connections, one thread, like Redis itself.
//! mio (epoll/kqueue) tells which sockets are ready; the engine runs between polls;
//! active expiry runs about ten times a second (Redis's default `hz 10`).

use std::collections::HashMap;
use std::io::{self, ErrorKind, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use redis_emulator::{ClientId, ClientInfo, Engine};

use crate::connection::{ArgPool, Connection, Limits, State};
use crate::log::{log, Level};

const LISTENER: Token = Token(0);
/// How often the server does its periodic work (active expiry).
const TICK: Duration = Duration::from_millis(100);
/// Active expiry may use at most this much of each tick (Redis: 25% of CPU).
const EXPIRE_BUDGET: Duration = Duration::from_millis(25);
const EXPIRE_BATCH: usize = 200;

pub struct Server {
    poll: Poll,
    listener: TcpListener,
    engine: Engine,
    /// Slot `i` holds the connection of `Token(i + 1)`.
    conns: Vec<Option<Connection>>,
    free: Vec<usize>,
    /// Slots freed during the current batch of events: reused only after it, so a stale
    /// event for a closed connection never reaches a new one with the same token.
    freed: Vec<usize>,
    /// Connections with replies to write after the current batch of events.
    pending_writes: Vec<usize>,
    /// Connections whose paused requests may run again (their output went out): they
    /// run in the next round, after other clients' events, so none can hog the loop.
    resume: Vec<usize>,
    open: usize,
    args: ArgPool,
    /// The slot of each client's connection, to deliver replies that reach a client
    /// outside its own requests (a blocked command served by another client's write).
    slots: HashMap<ClientId, usize>,
}

impl Server {
    pub fn bind(addr: SocketAddr, engine: Engine) -> io::Result<Server> {
        let poll = Poll::new()?;
        let mut listener = TcpListener::bind(addr)?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        Ok(Server {
            poll,
            listener,
            engine,
            conns: Vec::new(),
            free: Vec::new(),
            freed: Vec::new(),
            pending_writes: Vec::new(),
            resume: Vec::new(),
            open: 0,
            args: Vec::new(),
            slots: HashMap::new(),
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// Serves until SIGINT or SIGTERM (see `signals`).
    pub fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        let mut next_tick = Instant::now() + TICK;
        loop {
            if let Some(signal) = crate::signals::received() {
                self.shut_down(signal);
                return Ok(());
            }
            // Paused clients to resume: look at the sockets without sleeping. Otherwise
            // sleep until the next tick or the next blocked client's deadline.
            let timeout = if self.resume.is_empty() {
                let tick = next_tick.saturating_duration_since(Instant::now());
                match self.engine.next_timeout() {
                    Some(deadline) => {
                        let wait = deadline.saturating_sub(self.engine.now_ms()).max(0) as u64;
                        tick.min(Duration::from_millis(wait))
                    }
                    None => tick,
                }
            } else {
                Duration::ZERO
            };
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if !events.is_empty() || !self.resume.is_empty() {
                let limits = Limits::from_engine(&self.engine);
                for event in events.iter() {
                    match event.token() {
                        LISTENER => self.accept(),
                        Token(t) => {
                            let read_closed = event.is_read_closed() || event.is_error();
                            self.on_connection_event(t - 1, limits, read_closed)
                        }
                    }
                }
                for slot in std::mem::take(&mut self.resume) {
                    self.on_connection_event(slot, limits, false);
                }
            }
            // Blocked clients whose deadline passed get their null replies (Redis does
            // this in beforeSleep, so a timeout is answered within the millisecond).
            if self
                .engine
                .next_timeout()
                .is_some_and(|t| t <= self.engine.now_ms())
            {
                self.engine.handle_timeouts();
            }
            self.deliver_outboxes();
            // CLIENT KILL: the engine has forgotten them; close their sockets.
            for client in self.engine.take_killed() {
                if let Some(&slot) = self.slots.get(&client) {
                    self.close(slot);
                }
            }
            if !self.pending_writes.is_empty() {
                self.write_pending();
            }
            self.free.append(&mut self.freed);
            let now = Instant::now();
            if now >= next_tick {
                self.expire_cycle(now);
                next_tick = now + TICK;
            }
        }
    }

    /// Redis's shutdown lines; replies already computed get one last chance to go out.
    fn shut_down(&mut self, signal: &str) {
        log(
            Level::Warning,
            &format!("Received {signal} scheduling shutdown..."),
        );
        log(Level::Notice, "User requested shutdown...");
        for conn in self.conns.iter_mut().flatten() {
            let _ = conn.flush();
        }
        log(Level::Warning, "Redis is now ready to exit, bye bye...");
    }

    fn expire_cycle(&mut self, started: Instant) {
        while self.engine.active_expire(EXPIRE_BATCH) == EXPIRE_BATCH {
            if started.elapsed() >= EXPIRE_BUDGET {
                break;
            }
        }
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, peer)) => self.add_connection(stream, peer),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    // EMFILE and friends: log and wait for the next event.
                    log(
                        Level::Warning,
                        &format!("Accepting client connection: {}", e),
                    );
                    return;
                }
            }
        }
    }

    fn add_connection(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        let maxclients = self.engine.config().int("maxclients").max(1) as usize;
        if self.open >= maxclients {
            // Like Redis: tell the client, then close.
            let _ = stream.write(b"-ERR max number of clients reached\r\n");
            return;
        }
        let _ = stream.set_nodelay(true);
        let laddr = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| "?:0".into());
        let slot = self.free.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.conns.len() - 1
        });
        if let Err(e) = self.poll.registry().register(
            &mut stream,
            Token(slot + 1),
            Interest::READABLE | Interest::WRITABLE,
        ) {
            log(
                Level::Warning,
                &format!("Registering client connection: {}", e),
            );
            self.free.push(slot);
            return;
        }
        let id = self.engine.connect(ClientInfo {
            addr: peer.to_string(),
            laddr,
        });
        self.conns[slot] = Some(Connection::new(stream, id));
        self.slots.insert(id, slot);
        self.open += 1;
    }

    fn on_connection_event(&mut self, slot: usize, limits: Limits, read_closed: bool) {
        let Some(Some(conn)) = self.conns.get_mut(slot) else {
            return;
        };
        if conn.on_event(&mut self.engine, &mut self.args, limits, read_closed) == State::Close {
            self.close(slot);
        } else if conn.has_output() {
            self.pending_writes.push(slot);
        }
    }

    /// Moves replies that reached clients outside their own requests (served or timed
    /// out blocked commands, and the commands they had queued) into their connections.
    fn deliver_outboxes(&mut self) {
        // What scripts wrote with redis.log, at redis-server's default loglevel (notice).
        for (level, text) in self.engine.take_script_log() {
            match level {
                3 => crate::log::log(crate::log::Level::Warning, &text),
                2 => crate::log::log(crate::log::Level::Notice, &text),
                _ => {}
            }
        }
        for (client, replies) in self.engine.take_outboxes() {
            let Some(&slot) = self.slots.get(&client) else {
                continue;
            };
            let Some(Some(conn)) = self.conns.get_mut(slot) else {
                continue;
            };
            let (protocol, closing) = match self.engine.client(client) {
                Some(c) => (c.protocol, c.closing),
                None => continue,
            };
            conn.push_replies(&replies, protocol, closing);
            self.pending_writes.push(slot);
        }
    }

    /// Writes every connection's queued replies in one pass after the events, so the
    /// clients woken by our writes don't interleave with our reading (Redis's
    /// `handleClientsWithPendingWrites`). A connection whose socket is full keeps the
    /// rest for its next (writable) event, which queues it here again.
    fn write_pending(&mut self) {
        for slot in std::mem::take(&mut self.pending_writes) {
            let Some(Some(conn)) = self.conns.get_mut(slot) else {
                continue;
            };
            match conn.after_event() {
                (State::Close, _) => self.close(slot),
                // Its output went out: its paused requests run in the next round.
                (State::Open, true) => self.resume.push(slot),
                (State::Open, false) => {}
            }
        }
    }

    fn close(&mut self, slot: usize) {
        if let Some(mut conn) = self.conns[slot].take() {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.engine.disconnect(conn.client);
            self.slots.remove(&conn.client);
            self.freed.push(slot);
            self.open -= 1;
        }
    }
}
