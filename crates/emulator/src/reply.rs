//! The reply model and its RESP2 / RESP3 encoders.
//!
//! A command produces one `Reply`, shaped like RESP3 (maps, sets, doubles, nulls...).
//! The encoder lowers it to what a RESP2 connection sees exactly as Redis does
//! (maps become flat arrays, doubles become bulk strings, booleans become integers),
//! so handlers never care which protocol the client speaks.

use crate::fmt::{fmt_double_reply, fmt_double_resp3};

/// The protocol a client speaks, chosen with `HELLO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Resp2,
    Resp3,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// `+OK`: a status line (never contains CR or LF).
    Status(String),
    /// `-ERR ...`: the full text including its code (`ERR`, `WRONGTYPE`, ...).
    Error(String),
    Integer(i64),
    Bulk(Vec<u8>),
    /// The null bulk string: `$-1` in RESP2, `_` in RESP3.
    Nil,
    /// The null array: `*-1` in RESP2, `_` in RESP3.
    NilArray,
    Array(Vec<Reply>),
    /// RESP3 map; a flat array of key, value, key, value... in RESP2.
    Map(Vec<(Reply, Reply)>),
    /// RESP3 set; an array in RESP2.
    Set(Vec<Reply>),
    /// RESP3 double; a bulk string formatted like Redis 7.0 (`%.17g`) in RESP2.
    Double(f64),
    /// RESP3 boolean; the integer 1 or 0 in RESP2.
    Bool(bool),
    /// RESP3 verbatim string (`=`), a bulk string in RESP2. The format is 3 bytes (`txt`).
    Verbatim(&'static str, Vec<u8>),
    /// RESP3 big number; a bulk string in RESP2.
    BigNumber(String),
    /// RESP3 out-of-band push; an array in RESP2.
    Push(Vec<Reply>),
    /// No reply at all (a client that blocks, or `CLIENT REPLY OFF`); encodes to nothing.
    NoReply,
    /// One reply sent to many clients (a published message): built once, shared by
    /// every subscriber's outbox, encoded like the reply inside. `Engine::drain_outbox`
    /// hands out the plain reply; only the native server's `take_outboxes` sees this.
    Shared(std::sync::Arc<Reply>),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Status("OK".into())
    }
    pub fn status(s: &str) -> Reply {
        Reply::Status(s.to_string())
    }
    pub fn error(s: impl Into<String>) -> Reply {
        Reply::Error(s.into())
    }
    pub fn bulk(b: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(b.as_ref().to_vec())
    }
    pub fn bulk_str(s: &str) -> Reply {
        Reply::Bulk(s.as_bytes().to_vec())
    }
    pub fn bulks<I, B>(items: I) -> Reply
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        Reply::Array(items.into_iter().map(Reply::bulk).collect())
    }
    pub fn is_error(&self) -> bool {
        match self {
            Reply::Error(_) => true,
            Reply::Shared(r) => r.is_error(),
            _ => false,
        }
    }

    /// The reply itself, not shared (a clone of the inner one if others still hold it).
    pub fn unshared(self) -> Reply {
        match self {
            Reply::Shared(r) => std::sync::Arc::try_unwrap(r)
                .unwrap_or_else(|r| (*r).clone())
                .unshared(),
            other => other,
        }
    }

    /// The reply as a client speaking `proto` receives it: unchanged for RESP3; for RESP2,
    /// maps flattened into arrays, sets and pushes as arrays, doubles and big numbers as
    /// bulk strings, booleans as integers, verbatim strings as bulk strings. redis-cli
    /// renders what it receives, so `cli::render_for(argv, &reply.for_protocol(p))` is what
    /// a redis-cli connected with protocol `p` prints. Encoding is unaffected:
    /// `r.for_protocol(p).to_resp(p) == r.to_resp(p)`.
    pub fn for_protocol(self, proto: Protocol) -> Reply {
        let reply = self.unshared();
        if proto == Protocol::Resp3 {
            return reply;
        }
        let lower = |items: Vec<Reply>| items.into_iter().map(|r| r.for_protocol(proto)).collect();
        match reply {
            Reply::Map(pairs) => Reply::Array(
                pairs
                    .into_iter()
                    .flat_map(|(k, v)| [k.for_protocol(proto), v.for_protocol(proto)])
                    .collect(),
            ),
            Reply::Set(items) | Reply::Push(items) | Reply::Array(items) => {
                Reply::Array(lower(items))
            }
            Reply::Double(d) => Reply::Bulk(fmt_double_reply(d).into_bytes()),
            Reply::Bool(b) => Reply::Integer(b as i64),
            Reply::Verbatim(_, b) => Reply::Bulk(b),
            Reply::BigNumber(n) => Reply::Bulk(n.into_bytes()),
            other => other,
        }
    }

    /// The RESP bytes of this reply for a client speaking `proto`.
    pub fn to_resp(&self, proto: Protocol) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(proto, &mut out);
        out
    }

    /// Appends the RESP bytes of this reply to `out`.
    pub fn encode(&self, proto: Protocol, out: &mut Vec<u8>) {
        let resp3 = proto == Protocol::Resp3;
        match self {
            Reply::Status(s) => {
                out.push(b'+');
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Reply::Error(s) => {
                out.push(b'-');
                // Redis replaces newlines in error texts so the reply stays one line.
                out.extend(
                    s.bytes()
                        .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
                );
                out.extend_from_slice(b"\r\n");
            }
            Reply::Integer(n) => {
                out.push(b':');
                push_int(out, *n);
                out.extend_from_slice(b"\r\n");
            }
            Reply::Bulk(b) => push_bulk(out, b),
            Reply::Nil => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
            Reply::NilArray => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"*-1\r\n" }),
            Reply::Array(items) => {
                push_header(out, b'*', items.len());
                for item in items {
                    item.encode(proto, out);
                }
            }
            Reply::Map(pairs) => {
                if resp3 {
                    push_header(out, b'%', pairs.len());
                } else {
                    push_header(out, b'*', pairs.len() * 2);
                }
                for (k, v) in pairs {
                    k.encode(proto, out);
                    v.encode(proto, out);
                }
            }
            Reply::Set(items) => {
                push_header(out, if resp3 { b'~' } else { b'*' }, items.len());
                for item in items {
                    item.encode(proto, out);
                }
            }
            Reply::Push(items) => {
                push_header(out, if resp3 { b'>' } else { b'*' }, items.len());
                for item in items {
                    item.encode(proto, out);
                }
            }
            Reply::Double(d) => {
                if resp3 {
                    out.push(b',');
                    out.extend_from_slice(fmt_double_resp3(*d).as_bytes());
                    out.extend_from_slice(b"\r\n");
                } else {
                    push_bulk(out, fmt_double_reply(*d).as_bytes());
                }
            }
            Reply::Bool(b) => {
                if resp3 {
                    out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" });
                } else {
                    out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" });
                }
            }
            Reply::Verbatim(format, text) => {
                if resp3 {
                    push_header(out, b'=', text.len() + 4);
                    out.extend_from_slice(format.as_bytes());
                    out.push(b':');
                    out.extend_from_slice(text);
                    out.extend_from_slice(b"\r\n");
                } else {
                    push_bulk(out, text);
                }
            }
            Reply::BigNumber(n) => {
                if resp3 {
                    out.push(b'(');
                    out.extend_from_slice(n.as_bytes());
                    out.extend_from_slice(b"\r\n");
                } else {
                    push_bulk(out, n.as_bytes());
                }
            }
            Reply::NoReply => {}
            Reply::Shared(r) => r.encode(proto, out),
        }
    }
}

/// Appends the decimal digits of `n` without allocating (replies are encoded per
/// client, so a published message's headers are written once per subscriber).
fn push_int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push_u64(out, n.unsigned_abs());
}

/// Appends the decimal digits of `n` (also used for stream IDs).
pub(crate) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn push_header(out: &mut Vec<u8>, kind: u8, len: usize) {
    out.push(kind);
    push_u64(out, len as u64);
    out.extend_from_slice(b"\r\n");
}

fn push_bulk(out: &mut Vec<u8>, b: &[u8]) {
    push_header(out, b'$', b.len());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_lowers_to_flat_array_in_resp2() {
        let r = Reply::Map(vec![(Reply::bulk_str("a"), Reply::Integer(1))]);
        assert_eq!(r.to_resp(Protocol::Resp2), b"*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(r.to_resp(Protocol::Resp3), b"%1\r\n$1\r\na\r\n:1\r\n");
    }

    #[test]
    fn nulls_differ_by_protocol() {
        assert_eq!(Reply::Nil.to_resp(Protocol::Resp2), b"$-1\r\n");
        assert_eq!(Reply::NilArray.to_resp(Protocol::Resp2), b"*-1\r\n");
        assert_eq!(Reply::NilArray.to_resp(Protocol::Resp3), b"_\r\n");
    }

    #[test]
    fn for_protocol_keeps_the_encoding() {
        let r = Reply::Map(vec![
            (Reply::bulk_str("d"), Reply::Double(1.5)),
            (
                Reply::bulk_str("s"),
                Reply::Set(vec![
                    Reply::Bool(true),
                    Reply::Verbatim("txt", b"x".to_vec()),
                ]),
            ),
        ]);
        for p in [Protocol::Resp2, Protocol::Resp3] {
            assert_eq!(r.clone().for_protocol(p).to_resp(p), r.to_resp(p));
        }
        assert!(matches!(r.for_protocol(Protocol::Resp2), Reply::Array(items) if items.len() == 4));
    }

    #[test]
    fn integers_encode_like_redis() {
        for n in [0, 7, -1, 10, 12345, i64::MIN, i64::MAX] {
            assert_eq!(
                Reply::Integer(n).to_resp(Protocol::Resp2),
                format!(":{n}\r\n").into_bytes()
            );
        }
        assert_eq!(
            Reply::bulks([vec![0u8; 10]]).to_resp(Protocol::Resp2)[..9].to_vec(),
            b"*1\r\n$10\r\n".to_vec()
        );
    }

    #[test]
    fn error_newlines_become_spaces() {
        assert_eq!(
            Reply::error("ERR a\nb").to_resp(Protocol::Resp2),
            b"-ERR a b\r\n"
        );
    }
}
