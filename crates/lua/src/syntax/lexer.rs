//! The Lua 5.1 lexer (llex.c semantics, written anew): tokens, line counting, and the text a
//! syntax error quotes `near '...'`.
//!
//! It keeps llex.c's one scratch buffer on purpose: Lua 5.1 quotes the raw buffer of the
//! last token it read (the processed bytes of a string with its quotes, a numeral as
//! written, cut at a NUL byte as C strings are), so the same buffer gives the same quotes.

use super::SyntaxError;

/// One token. Reserved words and multi-byte symbols have their own variant; any other byte
/// is `Char` (Lua 5.1 returns unknown bytes as single-character tokens).
#[derive(Clone, Debug, PartialEq)]
pub enum Token {
    Eof,
    Char(u8),
    And,
    Break,
    Do,
    Else,
    Elseif,
    End,
    False,
    For,
    Function,
    If,
    In,
    Local,
    Nil,
    Not,
    Or,
    Repeat,
    Return,
    Then,
    True,
    Until,
    While,
    Concat,
    Dots,
    Eq,
    Ge,
    Le,
    Ne,
    Number(f64),
    Name(String),
    Str(Vec<u8>),
}

impl Token {
    /// `luaX_token2str`: how a token kind is named in messages.
    pub fn spelling(&self) -> Vec<u8> {
        let word: &str = match self {
            Token::Char(c) => {
                return if c.is_ascii_control() {
                    format!("char({c})").into_bytes()
                } else {
                    vec![*c]
                };
            }
            Token::Eof => "<eof>",
            Token::And => "and",
            Token::Break => "break",
            Token::Do => "do",
            Token::Else => "else",
            Token::Elseif => "elseif",
            Token::End => "end",
            Token::False => "false",
            Token::For => "for",
            Token::Function => "function",
            Token::If => "if",
            Token::In => "in",
            Token::Local => "local",
            Token::Nil => "nil",
            Token::Not => "not",
            Token::Or => "or",
            Token::Repeat => "repeat",
            Token::Return => "return",
            Token::Then => "then",
            Token::True => "true",
            Token::Until => "until",
            Token::While => "while",
            Token::Concat => "..",
            Token::Dots => "...",
            Token::Eq => "==",
            Token::Ge => ">=",
            Token::Le => "<=",
            Token::Ne => "~=",
            Token::Number(_) => "<number>",
            Token::Name(_) => "<name>",
            Token::Str(_) => "<string>",
        };
        word.as_bytes().to_vec()
    }

    fn reserved(word: &[u8]) -> Option<Token> {
        Some(match word {
            b"and" => Token::And,
            b"break" => Token::Break,
            b"do" => Token::Do,
            b"else" => Token::Else,
            b"elseif" => Token::Elseif,
            b"end" => Token::End,
            b"false" => Token::False,
            b"for" => Token::For,
            b"function" => Token::Function,
            b"if" => Token::If,
            b"in" => Token::In,
            b"local" => Token::Local,
            b"nil" => Token::Nil,
            b"not" => Token::Not,
            b"or" => Token::Or,
            b"repeat" => Token::Repeat,
            b"return" => Token::Return,
            b"then" => Token::Then,
            b"true" => Token::True,
            b"until" => Token::Until,
            b"while" => Token::While,
            _ => return None,
        })
    }
}

/// C's `isspace` in the C locale (Redis does not set LC_CTYPE).
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn is_newline(c: Option<u8>) -> bool {
    matches!(c, Some(b'\n') | Some(b'\r'))
}

/// The lexer state: the position in the source, the current line and the scratch buffer.
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    /// `ls->linenumber`: the line the lexer is on (after the last token read).
    pub line: u32,
    /// The line the last token read starts on.
    pub token_line: u32,
    buff: Vec<u8>,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8]) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            line: 1,
            token_line: 1,
            buff: Vec::new(),
        }
    }

    fn current(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn next(&mut self) {
        self.pos += 1;
    }

    fn save_and_next(&mut self) {
        if let Some(c) = self.current() {
            self.buff.push(c);
        }
        self.next();
    }

    /// `check_next`: llex.c tests `strchr(set, current)`, which also finds the terminating
    /// NUL of `set`: a NUL byte in the source matches every set.
    fn check_next(&mut self, set: &[u8]) -> bool {
        match self.current() {
            Some(c) if c == 0 || set.contains(&c) => {
                self.save_and_next();
                true
            }
            _ => false,
        }
    }

    fn inc_line(&mut self) {
        let old = self.current();
        self.next();
        if is_newline(self.current()) && self.current() != old {
            self.next();
        }
        self.line += 1;
    }

    /// The buffer as C reads it (up to a NUL byte).
    fn buffer_text(&self) -> &[u8] {
        let end = self
            .buff
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.buff.len());
        &self.buff[..end]
    }

    /// `txtToken`: a name, string or number is quoted as read, anything else by its spelling.
    pub fn near_text(&self, token: &Token) -> Vec<u8> {
        match token {
            Token::Name(_) | Token::Str(_) | Token::Number(_) => self.buffer_text().to_vec(),
            other => other.spelling(),
        }
    }

    /// `luaX_lexerror`: `msg`, then ` near '<token>'` unless `token` is None. A NUL byte
    /// read as a token is token number 0, which llex.c takes for "no token": no `near`.
    pub fn error(&self, msg: &[u8], token: Option<&Token>) -> SyntaxError {
        let mut message = msg.to_vec();
        if let Some(t) = token.filter(|t| **t != Token::Char(0)) {
            message.extend_from_slice(b" near '");
            message.extend_from_slice(&self.near_text(t));
            message.push(b'\'');
        }
        SyntaxError {
            line: self.line,
            message,
        }
    }

    /// The error of a token being lexed: quotes the buffer so far.
    fn string_error(&self, msg: &str) -> SyntaxError {
        self.error(msg.as_bytes(), Some(&Token::Str(Vec::new())))
    }

    /// `skip_sep`: counts the `=` of a long bracket; -1 - count if the second bracket is missing.
    fn skip_sep(&mut self) -> i64 {
        let s = self.current();
        let mut count = 0;
        self.save_and_next();
        while self.current() == Some(b'=') {
            self.save_and_next();
            count += 1;
        }
        if self.current() == s {
            count
        } else {
            -count - 1
        }
    }

    /// Reads a long string or comment after its opening bracket; the string's bytes are the
    /// buffer between the brackets.
    fn read_long_string(&mut self, is_string: bool, sep: i64) -> Result<Vec<u8>, SyntaxError> {
        self.save_and_next();
        if is_newline(self.current()) {
            self.inc_line();
        }
        loop {
            match self.current() {
                None => {
                    let msg: &[u8] = if is_string {
                        b"unfinished long string"
                    } else {
                        b"unfinished long comment"
                    };
                    return Err(self.error(msg, Some(&Token::Eof)));
                }
                Some(b']') => {
                    if self.skip_sep() == sep {
                        self.save_and_next();
                        break;
                    }
                }
                Some(b'\n') | Some(b'\r') => {
                    self.buff.push(b'\n');
                    self.inc_line();
                    if !is_string {
                        self.buff.clear();
                    }
                }
                Some(_) => {
                    if is_string {
                        self.save_and_next();
                    } else {
                        self.next();
                    }
                }
            }
        }
        if !is_string {
            return Ok(Vec::new());
        }
        let open = 2 + sep as usize;
        let len = self.buff.len();
        Ok(self
            .buff
            .get(open..len.saturating_sub(open))
            .unwrap_or(&[])
            .to_vec())
    }

    /// Reads a quoted string with Lua 5.1's escapes.
    fn read_string(&mut self, delimiter: u8) -> Result<Vec<u8>, SyntaxError> {
        self.save_and_next();
        while self.current() != Some(delimiter) {
            match self.current() {
                None => return Err(self.error(b"unfinished string", Some(&Token::Eof))),
                Some(b'\n') | Some(b'\r') => return Err(self.string_error("unfinished string")),
                Some(b'\\') => {
                    self.next();
                    let c = match self.current() {
                        Some(b'a') => 0x07,
                        Some(b'b') => 0x08,
                        Some(b'f') => 0x0c,
                        Some(b'n') => b'\n',
                        Some(b'r') => b'\r',
                        Some(b't') => b'\t',
                        Some(b'v') => 0x0b,
                        Some(b'\n') | Some(b'\r') => {
                            self.buff.push(b'\n');
                            self.inc_line();
                            continue;
                        }
                        None => continue,
                        Some(d) if d.is_ascii_digit() => {
                            let mut value: u32 = 0;
                            let mut i = 0;
                            while i < 3 {
                                match self.current() {
                                    Some(d) if d.is_ascii_digit() => {
                                        value = 10 * value + u32::from(d - b'0');
                                        self.next();
                                        i += 1;
                                    }
                                    _ => break,
                                }
                            }
                            if value > 255 {
                                return Err(self.string_error("escape sequence too large"));
                            }
                            self.buff.push(value as u8);
                            continue;
                        }
                        Some(_) => {
                            self.save_and_next();
                            continue;
                        }
                    };
                    self.buff.push(c);
                    self.next();
                }
                Some(_) => self.save_and_next(),
            }
        }
        self.save_and_next();
        let len = self.buff.len();
        Ok(self.buff[1..len - 1].to_vec())
    }

    /// `read_numeral`: digits and dots, an optional exponent sign, then letters, digits and
    /// `_`; the whole text must then be a number for C's `strtod`.
    fn read_numeral(&mut self) -> Result<Token, SyntaxError> {
        while matches!(self.current(), Some(c) if c.is_ascii_digit() || c == b'.') {
            self.save_and_next();
        }
        if self.check_next(b"Ee") {
            self.check_next(b"+-");
        }
        while matches!(self.current(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.save_and_next();
        }
        match parse_number(self.buffer_text()) {
            Some(n) => Ok(Token::Number(n)),
            None => Err(self.error(b"malformed number", Some(&Token::Number(0.0)))),
        }
    }

    /// `llex`: the next token.
    pub fn next_token(&mut self) -> Result<Token, SyntaxError> {
        self.buff.clear();
        loop {
            self.token_line = self.line;
            let Some(c) = self.current() else {
                return Ok(Token::Eof);
            };
            match c {
                b'\n' | b'\r' => self.inc_line(),
                b'-' => {
                    self.next();
                    if self.current() != Some(b'-') {
                        return Ok(Token::Char(b'-'));
                    }
                    self.next();
                    if self.current() == Some(b'[') {
                        let sep = self.skip_sep();
                        self.buff.clear();
                        if sep >= 0 {
                            self.read_long_string(false, sep)?;
                            self.buff.clear();
                            continue;
                        }
                    }
                    while !is_newline(self.current()) && self.current().is_some() {
                        self.next();
                    }
                }
                b'[' => {
                    let sep = self.skip_sep();
                    if sep >= 0 {
                        return Ok(Token::Str(self.read_long_string(true, sep)?));
                    } else if sep == -1 {
                        return Ok(Token::Char(b'['));
                    }
                    return Err(self.string_error("invalid long string delimiter"));
                }
                b'=' | b'<' | b'>' | b'~' => {
                    self.next();
                    if self.current() != Some(b'=') {
                        return Ok(Token::Char(c));
                    }
                    self.next();
                    return Ok(match c {
                        b'=' => Token::Eq,
                        b'<' => Token::Le,
                        b'>' => Token::Ge,
                        _ => Token::Ne,
                    });
                }
                b'"' | b'\'' => return Ok(Token::Str(self.read_string(c)?)),
                b'.' => {
                    self.save_and_next();
                    if self.check_next(b".") {
                        if self.check_next(b".") {
                            return Ok(Token::Dots);
                        }
                        return Ok(Token::Concat);
                    }
                    if !matches!(self.current(), Some(d) if d.is_ascii_digit()) {
                        return Ok(Token::Char(b'.'));
                    }
                    return self.read_numeral();
                }
                _ if is_space(c) => self.next(),
                _ if c.is_ascii_digit() => return self.read_numeral(),
                _ if c.is_ascii_alphabetic() || c == b'_' => {
                    while matches!(self.current(), Some(d) if d.is_ascii_alphanumeric() || d == b'_')
                    {
                        self.save_and_next();
                    }
                    if let Some(word) = Token::reserved(&self.buff) {
                        return Ok(word);
                    }
                    // Only ASCII letters, digits and `_` were saved.
                    return Ok(Token::Name(
                        String::from_utf8_lossy(&self.buff).into_owned(),
                    ));
                }
                _ => {
                    self.next();
                    return Ok(Token::Char(c));
                }
            }
        }
    }
}

/// What glibc's `strtod` accepts as the whole of a Lua 5.1 numeral: a decimal number with an
/// optional exponent, or a hexadecimal integer with an optional binary exponent (`0x1p4`).
pub fn parse_number(text: &[u8]) -> Option<f64> {
    if text.len() > 2 && text[0] == b'0' && (text[1] == b'x' || text[1] == b'X') {
        return parse_hex(&text[2..]);
    }
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < text.len() && text[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if i < text.len() && text[i] == b'.' {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return None;
    }
    if i < text.len() && (text[i] == b'e' || text[i] == b'E') {
        i += 1;
        if i < text.len() && (text[i] == b'+' || text[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != text.len() {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse::<f64>().ok()
}

fn parse_hex(text: &[u8]) -> Option<f64> {
    let end = text
        .iter()
        .position(|c| !c.is_ascii_hexdigit())
        .unwrap_or(text.len());
    if end == 0 {
        return None;
    }
    let mut exponent: i64 = 0;
    if end < text.len() {
        let rest = &text[end..];
        if !(rest[0] == b'p' || rest[0] == b'P')
            || rest.len() == 1
            || !rest[1..].iter().all(u8::is_ascii_digit)
        {
            return None;
        }
        for d in &rest[1..] {
            exponent = (exponent * 10 + i64::from(d - b'0')).min(100_000);
        }
    }
    // The value, correctly rounded while it fits 64 bits; beyond, the low digits only shift.
    let mut mantissa: u64 = 0;
    let mut shift: i64 = 0;
    for &d in &text[..end] {
        let v = (d as char).to_digit(16).unwrap_or(0) as u64;
        if mantissa >> 60 == 0 {
            mantissa = mantissa * 16 + v;
        } else {
            shift += 4;
        }
    }
    let value = mantissa as f64 * 2f64.powi((exponent + shift).min(4000) as i32);
    Some(value)
}
