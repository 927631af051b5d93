//! Reading client requests off a byte stream, as Redis's `processInputBuffer` does:
//! RESP multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and inline commands (`GET k\n`),
//! with Redis's protocol-error texts. Pure: the native server feeds it bytes; the fuzz
//! and property tests feed it garbage.

/// Redis refuses inline requests and count lines longer than this without a newline.
pub const INLINE_MAX: usize = 64 * 1024;
/// Redis's default `proto-max-bulk-len`.
pub const DEFAULT_MAX_BULK: usize = 512 * 1024 * 1024;
/// The most arguments one multibulk request may announce.
pub const MAX_MULTIBULK: i64 = i32::MAX as i64;

#[derive(Debug, PartialEq, Eq)]
pub enum Parse {
    /// A complete request and how many bytes it used.
    Command(Vec<Vec<u8>>, usize),
    /// Bytes that carry no command (an empty inline line, `*0`): skip them.
    Skip(usize),
    /// More bytes are needed.
    Incomplete,
    /// A protocol error: reply with this text (an `ERR` error) and close the connection.
    Error(String),
}

/// The position of the first `\r\n` at or after `from`.
fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(off) = buf.get(i..)?.iter().position(|&b| b == b'\r') {
        let at = i + off;
        if buf.get(at + 1) == Some(&b'\n') {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Parses the first request in `buf`.
pub fn parse_request(buf: &[u8], max_bulk: usize) -> Parse {
    let mut argv = Vec::new();
    match parse_request_into(buf, max_bulk, &mut argv) {
        Parsed::Command { argc, len } => {
            argv.truncate(argc);
            Parse::Command(argv, len)
        }
        Parsed::Skip(n) => Parse::Skip(n),
        Parsed::Incomplete => Parse::Incomplete,
        Parsed::Error(text) => Parse::Error(text),
    }
}

/// What `parse_request_into` found. The arguments of a command are `args[..argc]` of
/// the vector it was given.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A complete request of `argc` arguments that used `len` bytes.
    Command {
        argc: usize,
        len: usize,
    },
    Skip(usize),
    Incomplete,
    Error(String),
}

/// Like [`parse_request`], but writes the arguments into `args`, reusing the vectors
/// already there (their allocations), so a server that keeps one `args` parses its
/// requests without allocating. Elements past `argc` are left over from earlier
/// requests: only `args[..argc]` belongs to this one.
pub fn parse_request_into(buf: &[u8], max_bulk: usize, args: &mut Vec<Vec<u8>>) -> Parsed {
    match buf.first() {
        None => Parsed::Incomplete,
        Some(b'*') => parse_multibulk(buf, max_bulk, args),
        Some(_) => parse_inline(buf, args),
    }
}

/// Stores argument `i`, reusing the allocation of a previous request's argument.
fn put_arg(args: &mut Vec<Vec<u8>>, i: usize, bytes: &[u8]) {
    match args.get_mut(i) {
        Some(slot) => {
            slot.clear();
            slot.extend_from_slice(bytes);
        }
        None => args.push(bytes.to_vec()),
    }
}

fn parse_inline(buf: &[u8], args: &mut Vec<Vec<u8>>) -> Parsed {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > INLINE_MAX {
            return Parsed::Error("Protocol error: too big inline request".into());
        }
        return Parsed::Incomplete;
    };
    let mut line = &buf[..nl];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    match crate::cli::split_args(line) {
        None => Parsed::Error("Protocol error: unbalanced quotes in request".into()),
        Some(split) if split.is_empty() => Parsed::Skip(nl + 1),
        Some(split) => {
            let argc = split.len();
            for (i, a) in split.into_iter().enumerate() {
                match args.get_mut(i) {
                    Some(slot) => *slot = a,
                    None => args.push(a),
                }
            }
            Parsed::Command { argc, len: nl + 1 }
        }
    }
}

fn parse_multibulk(buf: &[u8], max_bulk: usize, args: &mut Vec<Vec<u8>>) -> Parsed {
    multibulk(buf, max_bulk, Some(args))
}

/// Arguments copied before a request is known to be complete: past this, the parser
/// first checks the whole request has arrived (reading only its headers), so a large
/// request arriving in many reads is not copied again on every read.
const COPY_BEFORE_CHECK: usize = 64 * 1024;

/// Parses one multibulk request; with `args` None only checks its framing (no copies).
fn multibulk(buf: &[u8], max_bulk: usize, mut args: Option<&mut Vec<Vec<u8>>>) -> Parsed {
    let Some(end) = find_crlf(buf, 1) else {
        if buf.len() > INLINE_MAX {
            return Parsed::Error("Protocol error: too big mbulk count string".into());
        }
        return Parsed::Incomplete;
    };
    let count = match crate::args::parse_i64(&buf[1..end]) {
        Some(n) if n <= MAX_MULTIBULK => n,
        _ => return Parsed::Error("Protocol error: invalid multibulk length".into()),
    };
    let mut pos = end + 2;
    if count <= 0 {
        return Parsed::Skip(pos);
    }
    // The announced count is not trusted for allocations: a hostile client can send
    // `*2147483647` and nothing else; `args` only grows as arguments arrive.
    let mut argc = 0;
    let mut copied = 0;
    let mut checked = false;
    for _ in 0..count {
        match buf.get(pos) {
            None => return Parsed::Incomplete,
            Some(b'$') => {}
            Some(&other) => {
                return Parsed::Error(format!(
                    "Protocol error: expected '$', got '{}'",
                    other as char
                ));
            }
        }
        let Some(end) = find_crlf(buf, pos + 1) else {
            if buf.len() - pos > INLINE_MAX {
                return Parsed::Error("Protocol error: too big bulk count string".into());
            }
            return Parsed::Incomplete;
        };
        let len = match crate::args::parse_i64(&buf[pos + 1..end]) {
            Some(n) if n >= 0 && n as u64 <= max_bulk as u64 => n as usize,
            _ => return Parsed::Error("Protocol error: invalid bulk length".into()),
        };
        let start = end + 2;
        if buf.len() < start + len + 2 {
            return Parsed::Incomplete;
        }
        if let Some(args) = args.as_deref_mut() {
            copied += len;
            if copied > COPY_BEFORE_CHECK && !checked {
                checked = true;
                match multibulk(buf, max_bulk, None) {
                    Parsed::Command { .. } => {}
                    other => return other,
                }
            }
            put_arg(args, argc, &buf[start..start + len]);
        }
        argc += 1;
        pos = start + len + 2;
    }
    Parsed::Command { argc, len: pos }
}

/// How far a multibulk request still arriving has been checked, so that each read
/// resumes where the last one stopped instead of starting over: with it, a request of
/// a million small arguments that arrives in a thousand reads costs one pass, not a
/// thousand. Reset it (to `Default`) whenever a request is taken off the buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Bytes of the request checked so far (0: not started).
    pos: usize,
    /// Arguments not yet seen.
    left: i64,
}

/// Whether `buf` now starts with something [`parse_request_into`] can act on: a whole
/// request, something that is not a multibulk request (inline requests are short), or
/// a protocol error. False means more bytes are needed. Resumes from `scan`.
pub fn request_ready(buf: &[u8], max_bulk: usize, scan: &mut Scan) -> bool {
    if buf.first() != Some(&b'*') {
        return !buf.is_empty();
    }
    if scan.pos == 0 {
        let Some(end) = find_crlf(buf, 1) else {
            return buf.len() > INLINE_MAX;
        };
        match crate::args::parse_i64(&buf[1..end]) {
            Some(n) if n > 0 && n <= MAX_MULTIBULK => {
                *scan = Scan {
                    pos: end + 2,
                    left: n,
                }
            }
            _ => return true,
        }
    }
    while scan.left > 0 {
        let pos = scan.pos;
        match buf.get(pos) {
            None => return false,
            Some(b'$') => {}
            Some(_) => return true,
        }
        let Some(end) = find_crlf(buf, pos + 1) else {
            return buf.len() - pos > INLINE_MAX;
        };
        let len = match crate::args::parse_i64(&buf[pos + 1..end]) {
            Some(n) if n >= 0 && n as u64 <= max_bulk as u64 => n as usize,
            _ => return true,
        };
        let next = end + 2 + len + 2;
        if buf.len() < next {
            return false;
        }
        scan.pos = next;
        scan.left -= 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_into_reuses_argument_vectors() {
        let mut args = Vec::new();
        let b = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assert_eq!(
            parse_request_into(b, DEFAULT_MAX_BULK, &mut args),
            Parsed::Command { argc: 3, len: 31 }
        );
        assert_eq!(
            args,
            vec![b"SET".to_vec(), b"k".to_vec(), b"value".to_vec()]
        );
        let before = args[2].as_ptr();
        assert_eq!(
            parse_request_into(&b[31..], DEFAULT_MAX_BULK, &mut args),
            Parsed::Command { argc: 2, len: 20 }
        );
        assert_eq!(&args[..2], &[b"GET".to_vec(), b"k".to_vec()]);
        assert_eq!(args.len(), 3, "the third vector is kept for later requests");
        assert_eq!(args[2].as_ptr(), before);
        assert_eq!(
            parse_request_into(b"GET  x\r\n", DEFAULT_MAX_BULK, &mut args),
            Parsed::Command { argc: 2, len: 8 }
        );
        assert_eq!(&args[..2], &[b"GET".to_vec(), b"x".to_vec()]);
        assert_eq!(
            parse_request(b"*1\r\n$1\r\n\r\r\n", DEFAULT_MAX_BULK),
            Parse::Command(vec![b"\r".to_vec()], 11)
        );
    }

    #[test]
    fn big_requests_are_checked_before_copying() {
        let value = vec![b'x'; 200_000];
        let mut req = b"*4\r\n$4\r\nMSET\r\n$1\r\na\r\n$200000\r\n".to_vec();
        req.extend_from_slice(&value);
        req.extend_from_slice(b"\r\n$1\r\nb\r\n");
        let mut args = Vec::new();
        // Everything but the last argument: incomplete, and the big value was not copied.
        assert_eq!(
            parse_request_into(&req[..req.len() - 3], DEFAULT_MAX_BULK, &mut args),
            Parsed::Incomplete
        );
        assert!(args.iter().all(|a| a.len() < 1000));
        assert_eq!(
            parse_request_into(&req, DEFAULT_MAX_BULK, &mut args),
            Parsed::Command {
                argc: 4,
                len: req.len()
            }
        );
        assert_eq!(args[2], value);
        assert_eq!(args[3], b"b");
    }

    #[test]
    fn request_ready_resumes() {
        let req = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";
        let mut scan = Scan::default();
        for k in 0..req.len() {
            assert!(
                !request_ready(&req[..k], DEFAULT_MAX_BULK, &mut scan),
                "ready at {k}"
            );
        }
        assert!(request_ready(req, DEFAULT_MAX_BULK, &mut scan));
        assert!(
            request_ready(b"*x\r\n", DEFAULT_MAX_BULK, &mut Scan::default()),
            "errors are ready"
        );
        assert!(
            request_ready(b"PING", DEFAULT_MAX_BULK, &mut Scan::default()),
            "inline is the parser's business"
        );
        assert!(!request_ready(b"", DEFAULT_MAX_BULK, &mut Scan::default()));
    }

    #[test]
    fn multibulk_and_inline() {
        let b = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assert_eq!(
            parse_request(b, DEFAULT_MAX_BULK),
            Parse::Command(vec![b"GET".to_vec(), b"k".to_vec()], b.len())
        );
        assert_eq!(parse_request(&b[..10], DEFAULT_MAX_BULK), Parse::Incomplete);
        assert_eq!(
            parse_request(b"PING\r\n", DEFAULT_MAX_BULK),
            Parse::Command(vec![b"PING".to_vec()], 6)
        );
        assert_eq!(parse_request(b"\r\n", DEFAULT_MAX_BULK), Parse::Skip(2));
        assert_eq!(
            parse_request(b"*1\r\nx", DEFAULT_MAX_BULK),
            Parse::Error("Protocol error: expected '$', got 'x'".into())
        );
        assert_eq!(
            parse_request(b"*x\r\n", DEFAULT_MAX_BULK),
            Parse::Error("Protocol error: invalid multibulk length".into())
        );
        assert_eq!(
            parse_request(b"SET k \"a\n", DEFAULT_MAX_BULK),
            Parse::Error("Protocol error: unbalanced quotes in request".into())
        );
    }
}
