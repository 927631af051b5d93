//! curl lines, as the documents write them, turned into requests to the programs.
//!
//! The documents call their servers with `curl` in a terminal. The page's request pane
//! (and an exercise's `curl ...` action) takes the same lines: they are split as a
//! shell splits them (single and double quotes, backslashes, a line continued with a
//! `\` at its end), the options curl's users write are understood (`-X`, `-H`, `-d`,
//! `--json`, `-G`, `-i`, `-v`, `-s`), and the URL must name this machine: the page has
//! no network, only the programs listening on localhost answer. What curl would print
//! is [`output`]; every problem is a curl-like message (`curl: (3) URL using bad/illegal
//! format or missing URL`), never a panic.
//!
//! It lives beside the HTTP values of this crate (not in the page) because it is plain
//! text processing that the page's pane, the exercises and the tests share.

use crate::http::{HttpError, HttpOutcome, HttpRequest, HttpResponse};

/// The User-Agent curl sends (the version the documents' era shows).
const USER_AGENT: &str = "curl/7.81.0";

/// A parsed curl line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Curl {
    pub request: HttpRequest,
    /// The host as written (`localhost`, `127.0.0.1`), for messages.
    pub host: String,
    /// `-i`: the response's status line and headers are shown before the body.
    pub include: bool,
    /// `-v`: the request and response headers are shown (`> ` and `< ` lines).
    pub verbose: bool,
}

impl Curl {
    /// `GET /orders/history?count=5` (the method and target, for a pane's title).
    pub fn request_line(&self) -> String {
        format!("{} {}", self.request.method, self.request.target)
    }
}

/// Parses one curl line (continued lines joined by `\` and a newline). A trailing
/// `; echo ""` (the documents' way to end the output with a newline) is accepted.
pub fn parse(line: &str) -> Result<Curl, String> {
    let words = split_words(line)?;
    let mut commands = words.split(|w| *w == Word::Separator);
    let first: Vec<&str> = commands
        .next()
        .unwrap_or(&[])
        .iter()
        .filter_map(Word::text)
        .collect();
    for rest in commands {
        match rest.first().and_then(Word::text) {
            None | Some("echo") => {}
            Some(other) => {
                return Err(format!(
                    "only curl runs here: `{other}` after `;` is not supported"
                ))
            }
        }
    }
    match first.first() {
        Some(&"curl") => {}
        Some(other) => {
            return Err(format!(
                "not a curl line: `{other}` (try curl http://localhost:3000/)"
            ))
        }
        None => return Err("curl: try 'curl --help' for more information".to_string()),
    }
    parse_arguments(&first[1..])
}

/// The options of a curl line, gathered before the request is built.
#[derive(Default)]
struct Options<'a> {
    method: Option<&'a str>,
    headers: Vec<&'a str>,
    data: Vec<String>,
    json: bool,
    get: bool,
    include: bool,
    verbose: bool,
    url: Option<&'a str>,
}

/// The most requests one loop line may send.
pub const MAX_LOOP_REQUESTS: usize = 1000;

/// The curl lines a line stands for: itself, or, for the documents' shell loop
/// `for n in {1..50}; do curl localhost:1245/reserve_seat ; echo ""; done`, its body once
/// per item, with `$n` and `${n}` replaced by the item. Items are words and `{A..B}`
/// ranges (descending too), as bash expands them. The requests are meant to go one
/// after the other, each once the previous one is answered, as the shell runs them.
pub fn expand(line: &str) -> Result<Vec<String>, String> {
    let text = line.trim();
    let Some(rest) = text
        .strip_prefix("for ")
        .or_else(|| text.strip_prefix("for\t"))
    else {
        return Ok(vec![line.to_string()]);
    };
    const SHAPE: &str = "only loops like `for n in {1..50}; do curl URL; done` run here";
    let (head, after) = rest.split_once(';').ok_or(SHAPE)?;
    let after = after.trim_start();
    let body = after
        .strip_prefix("do")
        .filter(|b| b.starts_with(char::is_whitespace))
        .ok_or(SHAPE)?;
    let body = body.trim_end().strip_suffix("done").ok_or(SHAPE)?;
    let body = body.trim_end();
    let body = body.strip_suffix(';').unwrap_or(body).trim();
    if body.is_empty() {
        return Err(SHAPE.into());
    }
    let mut words = head.split_whitespace();
    let name = words.next().ok_or(SHAPE)?;
    let valid_name = name
        .chars()
        .enumerate()
        .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
    if !valid_name {
        return Err(format!("bash: `{name}': not a valid identifier"));
    }
    if words.next() != Some("in") {
        return Err(SHAPE.into());
    }
    let mut items = Vec::new();
    for word in words {
        expand_item(word, &mut items)?;
    }
    let lines = items
        .iter()
        .map(|item| {
            body.replace(&format!("${{{name}}}"), item)
                .replace(&format!("${name}"), item)
        })
        .collect();
    Ok(lines)
}

/// One word of a `for` list: `{1..50}` is 1 to 50, anything else itself.
fn expand_item(word: &str, items: &mut Vec<String>) -> Result<(), String> {
    let too_many = || format!("a loop sends at most {MAX_LOOP_REQUESTS} requests");
    let range = word
        .strip_prefix('{')
        .and_then(|w| w.strip_suffix('}'))
        .and_then(|w| w.split_once(".."))
        .and_then(|(a, b)| Some((a.parse::<i64>().ok()?, b.parse::<i64>().ok()?)));
    match range {
        Some((a, b)) => {
            if a.abs_diff(b) as usize >= MAX_LOOP_REQUESTS.saturating_sub(items.len()) {
                return Err(too_many());
            }
            let step = if a <= b { 1 } else { -1 };
            let mut n = a;
            loop {
                items.push(n.to_string());
                if n == b {
                    break;
                }
                n += step;
            }
        }
        None => {
            if items.len() >= MAX_LOOP_REQUESTS {
                return Err(too_many());
            }
            items.push(word.to_string());
        }
    }
    Ok(())
}

fn parse_arguments(args: &[&str]) -> Result<Curl, String> {
    let mut o = Options::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        i += 1;
        let mut value = |name: &str| -> Result<&str, String> {
            let v = args
                .get(i)
                .copied()
                .ok_or_else(|| format!("curl: option {name}: requires parameter"))?;
            i += 1;
            Ok(v)
        };
        match arg {
            "-X" | "--request" => o.method = Some(value(arg)?),
            "-H" | "--header" => o.headers.push(value(arg)?),
            "-d" | "--data" | "--data-raw" | "--data-binary" | "--data-ascii" => {
                o.data.push(value(arg)?.to_string())
            }
            "--data-urlencode" => o.data.push(url_encode_data(value(arg)?)),
            "--json" => {
                o.data.push(value(arg)?.to_string());
                o.json = true;
            }
            "-G" | "--get" => o.get = true,
            "-i" | "--include" => o.include = true,
            "-v" | "--verbose" => o.verbose = true,
            "--url" => o.url = Some(value(arg)?),
            // No progress meter, no redirects to follow, nothing to fail on: accepted.
            "-s" | "--silent" | "-S" | "--show-error" | "-L" | "--location" | "-f" | "--fail"
            | "--compressed" => {}
            _ if arg.starts_with("-X") && arg.len() > 2 => o.method = Some(&arg[2..]),
            _ if arg.starts_with("-H") && arg.len() > 2 => o.headers.push(&arg[2..]),
            _ if arg.starts_with("-d") && arg.len() > 2 => o.data.push(arg[2..].to_string()),
            _ if arg.starts_with("--") => {
                return Err(format!("curl: option {arg}: is not supported in the page"))
            }
            _ if arg.starts_with('-') && arg.len() > 1 => {
                // Grouped flags: -si, -sS, -iv.
                for flag in arg[1..].chars() {
                    match flag {
                        'i' => o.include = true,
                        'v' => o.verbose = true,
                        'G' => o.get = true,
                        's' | 'S' | 'L' | 'f' => {}
                        _ => {
                            return Err(format!("curl: option {arg}: is not supported in the page"))
                        }
                    }
                }
            }
            _ if o.url.is_none() => o.url = Some(arg),
            _ => return Err("curl: only one URL per line in the page".to_string()),
        }
    }
    build(o)
}

/// The request the options describe.
fn build(o: Options) -> Result<Curl, String> {
    let url = o
        .url
        .ok_or("curl: no URL specified!\ncurl: try 'curl --help' for more information")?;
    let (host, port, mut target) = split_url(url)?;
    let data = o.data.join("&");
    let has_data = !o.data.is_empty();
    let method = match o.method {
        Some("") => return Err("curl: option -X: requires parameter".into()),
        Some(m) => m.to_string(),
        None if has_data && !o.get => "POST".to_string(),
        None => "GET".to_string(),
    };
    let mut body = String::new();
    if has_data && o.get {
        target.push(if target.contains('?') { '&' } else { '?' });
        target.push_str(&data);
    } else if has_data {
        body = data;
    }
    let host_header = if port == 80 {
        host.clone()
    } else {
        format!("{host}:{port}")
    };
    let mut headers: Vec<(String, String)> = vec![
        ("Host".to_string(), host_header),
        ("User-Agent".to_string(), USER_AGENT.to_string()),
        (
            "Accept".to_string(),
            if o.json { "application/json" } else { "*/*" }.to_string(),
        ),
    ];
    if !body.is_empty() || (has_data && !o.get) {
        let ctype = if o.json {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        headers.push(("Content-Type".to_string(), ctype.to_string()));
        headers.push(("Content-Length".to_string(), body.len().to_string()));
    }
    for h in o.headers {
        apply_header(&mut headers, h)?;
    }
    Ok(Curl {
        request: HttpRequest {
            method,
            port,
            target,
            headers,
            body,
        },
        host,
        include: o.include,
        verbose: o.verbose,
    })
}

/// `-H 'Name: value'` replaces curl's own header of that name, `-H 'Name:'` removes
/// it, `-H 'Name;'` sends it empty.
fn apply_header(headers: &mut Vec<(String, String)>, h: &str) -> Result<(), String> {
    let (name, value, remove) = if let Some((n, v)) = h.split_once(':') {
        let v = v.trim();
        (n.trim(), v.to_string(), v.is_empty())
    } else if let Some(n) = h.strip_suffix(';') {
        (n.trim(), String::new(), false)
    } else {
        return Err(format!(
            "curl: the header `{h}` needs a colon (Name: value)"
        ));
    };
    if name.is_empty() {
        return Err(format!("curl: the header `{h}` has no name"));
    }
    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    if !remove {
        headers.push((name.to_string(), value));
    }
    Ok(())
}

/// `--data-urlencode 'name=a b'`: the part after `=` percent-encoded.
fn url_encode_data(s: &str) -> String {
    let encode = |v: &str| {
        v.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    match s.split_once('=') {
        Some((name, value)) => format!("{name}={}", encode(value)),
        None => encode(s),
    }
}

/// The host, port and target of a URL (`http://localhost:3000/a?b=1`, or without the
/// scheme: `localhost:1245/list_products`). Only this machine can be reached.
fn split_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = if let Some((scheme, rest)) = url.split_once("://") {
        match scheme.to_ascii_lowercase().as_str() {
            "http" => rest,
            "https" => {
                return Err(format!(
                    "curl: (35) the page's servers speak plain HTTP: use http:// ({url})"
                ))
            }
            _ => {
                return Err(format!(
                    "curl: (1) Protocol \"{scheme}\" not supported or disabled in libcurl"
                ))
            }
        }
    } else {
        url
    };
    let (authority, target) = match rest.find(['/', '?']) {
        Some(at) if rest[at..].starts_with('?') => (&rest[..at], format!("/{}", &rest[at..])),
        Some(at) => (&rest[..at], rest[at..].to_string()),
        None => (rest, "/".to_string()),
    };
    let target = target.split('#').next().unwrap_or("/").to_string();
    if authority.is_empty() {
        return Err("curl: (3) URL using bad/illegal format or missing URL".to_string());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => match p.parse::<u16>() {
            Ok(port) if port > 0 => (h, port),
            _ => {
                return Err(format!(
                    "curl: (3) URL using bad/illegal format or missing URL ({url})"
                ))
            }
        },
        None => (authority, 80),
    };
    let host = host.to_ascii_lowercase();
    if !matches!(
        host.as_str(),
        "localhost" | "127.0.0.1" | "[::1]" | "0.0.0.0"
    ) {
        return Err(format!(
            "curl: (6) Could not resolve host: {host} (the page has no network: only programs listening on localhost answer)"
        ));
    }
    if target.contains(' ') {
        return Err(format!(
            "curl: (3) URL using bad/illegal format or missing URL ({url})"
        ));
    }
    Ok((host, port, target))
}

/// A word of a shell line, or an unquoted `;` between commands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Word {
    Text(String),
    Separator,
}

impl Word {
    fn text(&self) -> Option<&str> {
        match self {
            Word::Text(t) => Some(t),
            Word::Separator => None,
        }
    }
}

/// Splits a line as a POSIX shell does (quotes and backslashes; no variables, globs or
/// pipes: `$i` stays as written).
fn split_words(line: &str) -> Result<Vec<Word>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => {
                            return Err("unexpected end of line: a ' quote is not closed".into())
                        }
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('\n') => {}
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => {
                                return Err(
                                    "unexpected end of line: a \" quote is not closed".into()
                                )
                            }
                        },
                        Some(c) => word.push(c),
                        None => {
                            return Err("unexpected end of line: a \" quote is not closed".into())
                        }
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some('\r') if chars.peek() == Some(&'\n') => {
                    chars.next();
                }
                Some(c) => {
                    in_word = true;
                    word.push(c);
                }
            },
            ';' => {
                if in_word {
                    words.push(Word::Text(std::mem::take(&mut word)));
                    in_word = false;
                }
                words.push(Word::Separator);
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(Word::Text(std::mem::take(&mut word)));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(Word::Text(word));
    }
    Ok(words)
}

/// What curl prints for this request's outcome: the body (with `-i` the status line
/// and headers first; with `-v` the request's and the response's headers marked `>` and
/// `<`), or curl's error message.
pub fn output(curl: &Curl, outcome: &HttpOutcome) -> String {
    let mut out = String::new();
    if curl.verbose {
        let r = &curl.request;
        out.push_str(&format!("> {} {} HTTP/1.1\n", r.method, r.target));
        for (n, v) in &r.headers {
            out.push_str(&format!("> {n}: {v}\n"));
        }
        out.push_str(">\n");
    }
    match outcome {
        HttpOutcome::Pending => out.push_str("waiting...\n"),
        HttpOutcome::Failed(e) => out.push_str(&error_message(curl, e)),
        HttpOutcome::Answered(response) => {
            if curl.verbose {
                out.push_str(&format!("< {}\n", status_line(response)));
                for (n, v) in &response.headers {
                    out.push_str(&format!("< {n}: {v}\n"));
                }
                out.push_str("<\n");
            } else if curl.include {
                out.push_str(&status_line(response));
                out.push('\n');
                for (n, v) in &response.headers {
                    out.push_str(&format!("{n}: {v}\n"));
                }
                out.push('\n');
            }
            out.push_str(&response.body);
        }
    }
    out
}

/// `HTTP/1.1 201 Created`.
pub fn status_line(response: &HttpResponse) -> String {
    format!("HTTP/1.1 {} {}", response.status, response.reason)
        .trim_end()
        .to_string()
}

/// curl's message for a request that got no response.
pub fn error_message(curl: &Curl, error: &HttpError) -> String {
    match error {
        HttpError::Refused { port } => format!(
            "curl: (7) Failed to connect to {} port {port}: Connection refused",
            curl.host
        ),
        HttpError::EmptyReply => "curl: (52) Empty reply from server".to_string(),
    }
}

/// JSON text indented with two spaces (as `JSON.stringify(v, null, 2)`), or None if it
/// is not a JSON object or array. Strings are copied as they are; nothing is parsed
/// into numbers, so the text's own spelling stays.
pub fn pretty_json(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    let mut out = String::with_capacity(trimmed.len() * 2);
    let mut stack: Vec<char> = Vec::new();
    let mut chars = trimmed.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        if stack.is_empty() && !out.is_empty() {
            return None; // something after the top-level value
        }
        match c {
            '"' => {
                out.push('"');
                loop {
                    match chars.next()? {
                        '\\' => {
                            out.push('\\');
                            out.push(chars.next()?);
                        }
                        '"' => break,
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                out.push(c);
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                    if stack.is_empty() {
                        // An empty top-level value: nothing may follow.
                        return chars.all(char::is_whitespace).then_some(out);
                    }
                } else {
                    stack.push(close);
                    newline(&mut out, stack.len());
                }
            }
            '}' | ']' => {
                if stack.pop()? != c {
                    return None;
                }
                newline(&mut out, stack.len());
                out.push(c);
            }
            ',' => {
                if stack.is_empty() {
                    return None;
                }
                out.push(',');
                newline(&mut out, stack.len());
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    stack.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Curl {
        match parse(line) {
            Ok(c) => c,
            Err(e) => panic!("{line}: {e}"),
        }
    }

    fn header<'a>(c: &'a Curl, name: &str) -> Option<&'a str> {
        c.request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_get_with_a_query() {
        let c = ok("curl http://localhost:3000/orders/history?count=5");
        assert_eq!(c.request.method, "GET");
        assert_eq!(c.request.port, 3000);
        assert_eq!(c.request.target, "/orders/history?count=5");
        assert_eq!(c.request.body, "");
        assert_eq!(header(&c, "Host"), Some("localhost:3000"));
        assert_eq!(header(&c, "Accept"), Some("*/*"));
        assert_eq!(header(&c, "Content-Type"), None);
        let quoted = ok("curl \"http://localhost:3000/orders/history?start=1-0&end=2-0\"");
        assert_eq!(quoted.request.target, "/orders/history?start=1-0&end=2-0");
    }

    #[test]
    fn a_post_with_json_over_continued_lines() {
        let line = "curl -X POST http://localhost:3000/orders \\\n  -H \"Content-Type: application/json\" \\\n  -d '{\n    \"orderId\": 1001,\n    \"product\": \"Laptop\"\n  }'";
        let c = ok(line);
        assert_eq!(c.request.method, "POST");
        assert_eq!(c.request.target, "/orders");
        assert_eq!(header(&c, "Content-Type"), Some("application/json"));
        assert_eq!(
            c.request.body,
            "{\n    \"orderId\": 1001,\n    \"product\": \"Laptop\"\n  }"
        );
        assert_eq!(
            header(&c, "Content-Length"),
            Some(c.request.body.len().to_string().as_str())
        );
    }

    #[test]
    fn data_implies_post_and_a_form() {
        let c = ok("curl --data 'a=1' --data b=2 localhost:1245/x");
        assert_eq!(c.request.method, "POST");
        assert_eq!(c.request.body, "a=1&b=2");
        assert_eq!(
            header(&c, "Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
        let g = ok("curl -G -d count=5 http://127.0.0.1:3000/orders/history");
        assert_eq!(g.request.method, "GET");
        assert_eq!(g.request.target, "/orders/history?count=5");
        let j = ok("curl --json '{\"a\":1}' localhost:3000/orders");
        assert_eq!(j.request.method, "POST");
        assert_eq!(header(&j, "Content-Type"), Some("application/json"));
        assert_eq!(header(&j, "Accept"), Some("application/json"));
        let d = ok("curl --request DELETE --header 'Accept:' -si localhost:3000/a");
        assert_eq!(d.request.method, "DELETE");
        assert_eq!(header(&d, "Accept"), None);
        assert!(d.include);
        let e = ok(
            r#"curl -d "{\"orderId\": 1, \"n\": \"a b\"}" -H 'Content-Type: application/json' localhost:3000/orders"#,
        );
        assert_eq!(e.request.body, r#"{"orderId": 1, "n": "a b"}"#);
    }

    #[test]
    fn the_documents_forms() {
        let c = ok("curl localhost:1245/list_products ; echo \"\"");
        assert_eq!(c.request.port, 1245);
        assert_eq!(c.request.target, "/list_products");
        assert_eq!(ok("curl localhost:1245").request.target, "/");
        assert_eq!(ok("curl http://localhost/").request.port, 80);
        assert_eq!(ok("curl 'localhost:3000?x=1'").request.target, "/?x=1");
        assert!(ok("curl -v localhost:3000/").verbose);
        assert_eq!(ok("curl -XPUT localhost:3000/").request.method, "PUT");
    }

    #[test]
    fn errors_are_curl_messages() {
        let err = |line: &str| parse(line).err().unwrap_or_default();
        assert!(err("curl http://example.com/")
            .starts_with("curl: (6) Could not resolve host: example.com (the page has no network"));
        assert!(err("curl https://localhost:3000/").contains("plain HTTP"));
        assert_eq!(
            err("curl"),
            "curl: no URL specified!\ncurl: try 'curl --help' for more information"
        );
        assert_eq!(err("curl -X"), "curl: option -X: requires parameter");
        assert!(err("curl localhost:99999/").starts_with("curl: (3)"));
        assert!(err("curl 'localhost:3000/").contains("not closed"));
        assert!(err("wget localhost").starts_with("not a curl line"));
        assert!(err("curl -o out.txt localhost:3000").contains("-o"));
        assert!(err("curl localhost:3000 ; rm x").contains("rm"));
        assert!(err("curl -H nocolon localhost:3000").contains("colon"));
        assert!(err("curl a b").contains("one URL"));
        assert!(err("").starts_with("curl: try"));
    }

    #[test]
    fn output_as_curl_prints_it() {
        let c = ok("curl -i localhost:3000/x");
        let response = HttpResponse {
            status: 201,
            reason: "Created".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: "{\"id\":\"1-0\"}".into(),
        };
        let answered = HttpOutcome::Answered(response);
        assert_eq!(
            output(&c, &answered),
            "HTTP/1.1 201 Created\nContent-Type: application/json\n\n{\"id\":\"1-0\"}"
        );
        let plain = ok("curl localhost:3000/x");
        assert_eq!(output(&plain, &answered), "{\"id\":\"1-0\"}");
        assert_eq!(
            output(
                &plain,
                &HttpOutcome::Failed(HttpError::Refused { port: 3000 })
            ),
            "curl: (7) Failed to connect to localhost port 3000: Connection refused"
        );
        let verbose = ok("curl -v localhost:3000/x");
        assert!(
            output(&verbose, &answered).starts_with("> GET /x HTTP/1.1\n> Host: localhost:3000\n")
        );
        assert!(output(&verbose, &answered).contains("< HTTP/1.1 201 Created\n"));
    }

    #[test]
    fn json_is_pretty_printed() {
        assert_eq!(
            pretty_json(r#"{"a":1,"b":[1,2],"c":{},"d":"x,:{"}"#).as_deref(),
            Some("{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": {},\n  \"d\": \"x,:{\"\n}")
        );
        assert_eq!(pretty_json("[]").as_deref(), Some("[]"));
        assert_eq!(
            pretty_json("{\"a\":\"\\\"\"}").as_deref(),
            Some("{\n  \"a\": \"\\\"\"\n}")
        );
        assert_eq!(pretty_json("Cannot GET /x"), None);
        assert_eq!(pretty_json("{\"a\":1"), None);
        assert_eq!(pretty_json("{\"a\":1}}"), None);
        assert_eq!(pretty_json("[1] x"), None);
    }

    #[test]
    fn loops_expand_to_one_curl_line_per_item() {
        let lines =
            expand(r#"for n in {1..3}; do curl localhost:1245/reserve_seat ; echo ""; done"#)
                .unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0], r#"curl localhost:1245/reserve_seat ; echo """#);
        assert!(parse(&lines[2]).is_ok());
        let lines =
            expand("for id in 3 {2..1} x; do curl localhost:1245/list_products/$id; done").unwrap();
        assert_eq!(
            lines,
            [
                "curl localhost:1245/list_products/3",
                "curl localhost:1245/list_products/2",
                "curl localhost:1245/list_products/1",
                "curl localhost:1245/list_products/x",
            ]
        );
        let lines = expand("for i in {7..7}; do curl localhost:1/${i}x; done").unwrap();
        assert_eq!(lines, ["curl localhost:1/7x"]);
        assert_eq!(expand("curl localhost:1").unwrap(), ["curl localhost:1"]);
        for bad in [
            "for n in {1..3} do curl x; done",
            "for n in {1..3}; curl x; done",
            "for n in {1..3}; do curl x",
            "for n in {1..3}; do ; done",
            "for n of {1..3}; do curl x; done",
            "for 1n in a; do curl x; done",
            "for n in {1..5000}; do curl x; done",
            "for n in {-9223372036854775808..9223372036854775807}; do curl x; done",
        ] {
            assert!(expand(bad).is_err(), "{bad}");
        }
    }
}
