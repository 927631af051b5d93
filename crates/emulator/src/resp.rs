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

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?.windows(2).position(|w| w == b"\r\n").map(|i| i + from)
}

/// Parses the first request in `buf`.
pub fn parse_request(buf: &[u8], max_bulk: usize) -> Parse {
    match buf.first() {
        None => Parse::Incomplete,
        Some(b'*') => parse_multibulk(buf, max_bulk),
        Some(_) => parse_inline(buf),
    }
}

fn parse_inline(buf: &[u8]) -> Parse {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > INLINE_MAX {
            return Parse::Error("Protocol error: too big inline request".into());
        }
        return Parse::Incomplete;
    };
    let mut line = &buf[..nl];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    match crate::cli::split_args(line) {
        None => Parse::Error("Protocol error: unbalanced quotes in request".into()),
        Some(args) if args.is_empty() => Parse::Skip(nl + 1),
        Some(args) => Parse::Command(args, nl + 1),
    }
}

fn parse_multibulk(buf: &[u8], max_bulk: usize) -> Parse {
    let Some(end) = find_crlf(buf, 1) else {
        if buf.len() > INLINE_MAX {
            return Parse::Error("Protocol error: too big mbulk count string".into());
        }
        return Parse::Incomplete;
    };
    let count = match crate::args::parse_i64(&buf[1..end]) {
        Some(n) if n <= MAX_MULTIBULK => n,
        _ => return Parse::Error("Protocol error: invalid multibulk length".into()),
    };
    let mut pos = end + 2;
    if count <= 0 {
        return Parse::Skip(pos);
    }
    // Don't trust the announced count for the allocation: a hostile client can send
    // `*2147483647` and nothing else.
    let mut args = Vec::with_capacity(count.min(1024) as usize);
    for _ in 0..count {
        match buf.get(pos) {
            None => return Parse::Incomplete,
            Some(b'$') => {}
            Some(&other) => {
                return Parse::Error(format!("Protocol error: expected '$', got '{}'", other as char));
            }
        }
        let Some(end) = find_crlf(buf, pos + 1) else {
            if buf.len() - pos > INLINE_MAX {
                return Parse::Error("Protocol error: too big bulk count string".into());
            }
            return Parse::Incomplete;
        };
        let len = match crate::args::parse_i64(&buf[pos + 1..end]) {
            Some(n) if n >= 0 && n as u64 <= max_bulk as u64 => n as usize,
            _ => return Parse::Error("Protocol error: invalid bulk length".into()),
        };
        let start = end + 2;
        if buf.len() < start + len + 2 {
            return Parse::Incomplete;
        }
        args.push(buf[start..start + len].to_vec());
        pos = start + len + 2;
    }
    Parse::Command(args, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multibulk_and_inline() {
        let b = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        assert_eq!(parse_request(b, DEFAULT_MAX_BULK), Parse::Command(vec![b"GET".to_vec(), b"k".to_vec()], b.len()));
        assert_eq!(parse_request(&b[..10], DEFAULT_MAX_BULK), Parse::Incomplete);
        assert_eq!(parse_request(b"PING\r\n", DEFAULT_MAX_BULK), Parse::Command(vec![b"PING".to_vec()], 6));
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
