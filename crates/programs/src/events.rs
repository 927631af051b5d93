//! A program's event loop: what wakes it once its main chunk has ended.
//!
//! The documents' programs are Node processes: their main code registers callbacks
//! (`setTimeout`, a Kue worker, `job.on('complete')`, an Express route) and returns;
//! the process lives on as long as something can still call it back, and runs one
//! callback at a time, each to its end. A program here does the same. Its events are
//! queued in arrival order and dispatched once the VM is free (the main chunk ended,
//! the previous callback returned):
//! - an HTTP request for the port it listens on;
//! - a timer that is due (`setTimeout`, `setInterval`);
//! - the reply of a command sent on one of its extra connections, or a pub/sub message
//!   on one (Kue keeps a connection blocked in `BLPOP` and one subscribed to
//!   `q:events`, as Node's Kue opens its own).
//!
//! An extra connection is an engine client of its own (CLIENT LIST shows it, named
//! after the program), with Redis's order: commands sent while one is blocked wait
//! behind it, as pipelined commands wait on a real connection.

use std::collections::{BTreeMap, VecDeque};

use redis_emulator::{ClientId, Engine, Reply};

use crate::http::{HttpRequest, RequestId};

/// Something a program's callback is called for.
#[derive(Debug)]
pub(crate) enum Event {
    Http(RequestId, HttpRequest),
    /// A timer of this number is due.
    Timer(u32),
    /// The reply of the oldest command sent on this connection.
    Reply {
        conn: u32,
        reply: Reply,
    },
    /// A pub/sub message delivered on this connection.
    Message {
        conn: u32,
        message: Reply,
    },
}

/// The most events a program keeps waiting (the oldest messages are dropped past it).
const EVENT_CAPACITY: usize = 100_000;

/// The events waiting for a program, oldest first.
#[derive(Default)]
pub(crate) struct Queue {
    events: VecDeque<Event>,
}

impl Queue {
    pub fn push(&mut self, event: Event) {
        if self.events.len() >= EVENT_CAPACITY {
            // A flood of messages nobody takes: drop the oldest message, never a reply
            // or a request (their callers wait for them).
            if let Some(i) = self
                .events
                .iter()
                .position(|e| matches!(e, Event::Message { .. }))
            {
                self.events.remove(i);
            }
        }
        self.events.push_back(event);
    }

    pub fn pop(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Takes every queued event (a program that ends fails its requests).
    pub fn drain(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.events.drain(..)
    }
}

/// A program's timers: number -> due time, and the order they fire in.
#[derive(Default)]
pub(crate) struct Timers {
    /// (due ms, sequence) -> timer number: equal due times fire in the order set.
    due: BTreeMap<(i64, u64), u32>,
    seq: u64,
}

impl Timers {
    pub fn set(&mut self, number: u32, due_ms: i64) {
        self.cancel(number);
        self.seq += 1;
        self.due.insert((due_ms, self.seq), number);
    }

    pub fn cancel(&mut self, number: u32) {
        self.due.retain(|_, n| *n != number);
    }

    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }

    /// When the next timer is due.
    pub fn next_due_ms(&self) -> Option<i64> {
        self.due.keys().next().map(|(t, _)| *t)
    }

    /// Takes the timers due at `now_ms`, in firing order.
    pub fn take_due(&mut self, now_ms: i64) -> Vec<u32> {
        let mut fired = Vec::new();
        while let Some((&key, &number)) = self.due.iter().next() {
            if key.0 > now_ms {
                break;
            }
            self.due.remove(&key);
            fired.push(number);
        }
        fired
    }
}

/// An extra connection of a program.
pub(crate) struct Connection {
    pub number: u32,
    pub client: ClientId,
    /// Commands sent behind a blocked one, oldest first.
    waiting: VecDeque<Vec<Vec<u8>>>,
    /// A blocking command waits for its reply.
    blocked: bool,
}

impl Connection {
    pub fn new(number: u32, client: ClientId) -> Connection {
        Connection {
            number,
            client,
            waiting: VecDeque::new(),
            blocked: false,
        }
    }

    /// Sends a command: run now unless one is blocked before it. Replies and messages
    /// go to `events`.
    pub fn send(&mut self, engine: &mut Engine, argv: Vec<Vec<u8>>, events: &mut Queue) {
        self.waiting.push_back(argv);
        self.pump(engine, events);
    }

    /// Whether something arrived for the program (a blocked command's reply, a message).
    pub fn has_news(&self, engine: &Engine) -> bool {
        if self.blocked {
            return !engine.is_blocked(self.client);
        }
        engine
            .client(self.client)
            .is_some_and(|c| !c.queues.outbox.is_empty())
    }

    /// Collects what arrived, then runs the commands waiting behind a blocked one until
    /// one blocks again.
    pub fn pump(&mut self, engine: &mut Engine, events: &mut Queue) {
        if engine.client(self.client).is_none() {
            // Closed by someone else (CLIENT KILL): what was sent gets no reply.
            self.waiting.clear();
            self.blocked = false;
            return;
        }
        if self.blocked {
            if engine.is_blocked(self.client) {
                return;
            }
            self.blocked = false;
            let reply = self.collect(engine, events).unwrap_or(Reply::Nil);
            events.push(Event::Reply {
                conn: self.number,
                reply,
            });
        } else {
            self.collect(engine, events);
        }
        while let Some(argv) = self.waiting.pop_front() {
            let reply = engine.execute(self.client, &argv);
            if reply == Reply::NoReply && engine.is_blocked(self.client) {
                self.blocked = true;
                return;
            }
            let queued = self.collect(engine, events);
            let reply = match reply {
                Reply::NoReply => queued.unwrap_or(Reply::Nil),
                reply => reply,
            };
            events.push(Event::Reply {
                conn: self.number,
                reply,
            });
        }
    }

    /// Moves the connection's pub/sub messages to `events`; returns the last other
    /// frame (a command's reply: SUBSCRIBE a b confirms twice, the callback gets the
    /// last).
    fn collect(&mut self, engine: &mut Engine, events: &mut Queue) -> Option<Reply> {
        let mut last = None;
        for frame in engine.drain_outbox(self.client) {
            if crate::program::is_message(&frame) {
                events.push(Event::Message {
                    conn: self.number,
                    message: frame,
                });
            } else {
                last = Some(frame);
            }
        }
        last
    }

    pub fn close(&mut self, engine: &mut Engine) {
        self.waiting.clear();
        self.blocked = false;
        if engine.client(self.client).is_some() {
            engine.disconnect(self.client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_fire_in_due_order_then_set_order() {
        let mut t = Timers::default();
        t.set(1, 200);
        t.set(2, 100);
        t.set(3, 100);
        t.set(4, 300);
        t.cancel(4);
        assert_eq!(t.next_due_ms(), Some(100));
        assert_eq!(t.take_due(99), Vec::<u32>::new());
        assert_eq!(t.take_due(200), vec![2, 3, 1]);
        assert!(t.is_empty());
    }

    #[test]
    fn a_flood_of_messages_drops_the_oldest_message_only() {
        let mut q = Queue::default();
        q.push(Event::Timer(7));
        for _ in 0..EVENT_CAPACITY {
            q.push(Event::Message {
                conn: 1,
                message: Reply::Nil,
            });
        }
        assert!(matches!(q.pop(), Some(Event::Timer(7))));
    }
}
