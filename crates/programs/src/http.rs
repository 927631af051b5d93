//! HTTP requests to programs that serve them (`app.get(...)`, `app.listen(3000)`).
//!
//! The documents run small Express servers next to Redis and call them with curl. In the
//! page such a server is a program: it registers routes and listens on a port, and the
//! host hands it requests ([`crate::Programs::request`]) that it answers in virtual
//! time, one at a time, in arrival order. There is no network: a request is a value, a
//! response is a value, and a port is only a name that routes a request to a program.
//!
//! This module holds the values (request, response, what became of a request), the
//! parts of a request target the handler sees (path, decoded query), and what the
//! server adds to every response as Express does (`X-Powered-By`, `Content-Length`,
//! `Date` from the virtual clock, `Connection`).

/// A request to the program listening on `port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    /// Upper case, as sent (`GET`, `POST`, ...).
    pub method: String,
    pub port: u16,
    /// The request target: the path and the query string, as on the request line
    /// (`/orders/history?count=5`).
    pub target: String,
    /// Header names and values in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The response a program's handler gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// The reason phrase of the status (`OK`, `Created`, `Not Found`).
    pub reason: String,
    /// Header names and values in the order set (Express's spelling).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    /// The value of a header (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request's number, unique within a [`crate::Programs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// Why a request got no response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// No program listens on the port (curl: "Connection refused").
    Refused { port: u16 },
    /// The program ended (stopped, killed, crashed) before it answered (curl: "Empty
    /// reply from server").
    EmptyReply,
}

/// Where a request is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpOutcome {
    /// Queued or being handled.
    Pending,
    Answered(HttpResponse),
    Failed(HttpError),
}

/// A request target split for the handler: the path (not decoded, as Express's
/// `req.path`) and the query string's pairs, decoded (`+` is a space, `%41` is `A`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Target {
    pub fn parse(target: &str) -> Target {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, q),
            None => (target, ""),
        };
        let path = if path.is_empty() { "/" } else { path };
        let query = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) => (form_decode(k), form_decode(v)),
                None => (form_decode(pair), String::new()),
            })
            .collect();
        Target {
            path: path.to_string(),
            query,
        }
    }
}

/// Decodes `%XX` escapes (a malformed one stays as written).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query string's (or a form body's) decoding: `+` is a space, then `%XX`.
fn form_decode(s: &str) -> String {
    percent_decode(&s.replace('+', " "))
}

/// The reason phrase of a status code, as Node writes it.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// A response as the server sends it: the handler's status, headers and body, with
/// what Express and Node add (`X-Powered-By`, `Content-Length`, `Date`, `Connection`).
pub(crate) fn finish_response(
    status: u16,
    handler_headers: Vec<(String, String)>,
    body: String,
    now_ms: i64,
) -> HttpResponse {
    let mut headers = vec![("X-Powered-By".to_string(), "Express".to_string())];
    headers.extend(handler_headers);
    let has = |headers: &[(String, String)], name: &str| {
        headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if !has(&headers, "Content-Length") {
        headers.push(("Content-Length".to_string(), body.len().to_string()));
    }
    headers.push(("Date".to_string(), http_date(now_ms)));
    headers.push(("Connection".to_string(), "keep-alive".to_string()));
    headers.push(("Keep-Alive".to_string(), "timeout=5".to_string()));
    HttpResponse {
        status,
        reason: reason_phrase(status).to_string(),
        headers,
        body,
    }
}

/// An HTTP date (`Tue, 14 Nov 2023 22:13:20 GMT`) of a time in ms since the epoch.
pub fn http_date(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = redis_emulator::clock::civil_from_days(days);
    let weekday = DAYS[days.rem_euclid(7) as usize];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_and_decode() {
        let t = Target::parse("/orders/history?count=5&start=1-0&name=a+b%21&flag");
        assert_eq!(t.path, "/orders/history");
        assert_eq!(
            t.query,
            [
                ("count".to_string(), "5".to_string()),
                ("start".to_string(), "1-0".to_string()),
                ("name".to_string(), "a b!".to_string()),
                ("flag".to_string(), String::new()),
            ]
        );
        assert_eq!(Target::parse("").path, "/");
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }

    #[test]
    fn dates_are_http_dates() {
        assert_eq!(
            http_date(1_700_000_000_000),
            "Tue, 14 Nov 2023 22:13:20 GMT"
        );
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(951_782_400_000), "Tue, 29 Feb 2000 00:00:00 GMT");
    }
}
