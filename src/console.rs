//! The console's state machine: what redis-cli's interactive mode does with a typed
//! line, without any web code, so it is tested natively.
//!
//! A line is echoed after its prompt, split with redis-cli's rules, checked for a repeat
//! prefix (`3 INCR n`), and then either handled by the console itself (`clear`, `help`,
//! `quit`/`exit`, `:set hints`) or sent to the engine; the reply is printed exactly as
//! redis-cli prints it on a terminal. The console also owns the input line, its history
//! walk (Up/Down), completion cycling (Tab) and the grey argument hint.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use redis_emulator::table;
use redis_emulator::{cli, ClientId, ClientInfo, Reply};

use crate::history::History;
use crate::playground::Playground;

/// Entries kept on screen; older ones scroll away for good.
pub const MAX_ENTRIES: usize = 1000;
/// One entry's text is cut past this many bytes (a KEYS * over a big keyspace).
pub const MAX_ENTRY_TEXT: usize = 256 * 1024;
/// The largest repeat prefix the page runs: a bigger one would freeze the tab.
pub const MAX_REPEAT: u64 = 10_000;

/// Entry ids are unique across all consoles: the view keys its rows by id, and tabs
/// share one view.
static NEXT_ENTRY_ID: AtomicU64 = AtomicU64::new(1);

/// The id of the newest entry of any console so far (0 before the first): what came
/// after a moment is what has a greater id (an exercise step's "since").
pub fn last_entry_id() -> u64 {
    NEXT_ENTRY_ID.load(Ordering::Relaxed).saturating_sub(1)
}

/// What a line of the console's screen is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A typed line after its prompt.
    Command,
    /// A reply (or several, with a repeat prefix) as redis-cli prints it.
    Reply,
    /// An error reply, or redis-cli's own complaints (`Invalid argument(s)`).
    Error,
    /// The playground speaking, not redis-cli: welcome, notes about quit, limits.
    Note,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Unique (across consoles) and increasing: the view's key for each entry.
    pub id: u64,
    pub kind: Kind,
    /// The prompt a command was typed at (empty for other kinds).
    pub prompt: String,
    pub text: String,
}

/// Tab cycling: the line before the first Tab and the candidates it offered.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Completion {
    original: String,
    candidates: Vec<String>,
    /// Which candidate is shown; `candidates.len()` shows the original again.
    index: usize,
}

/// A command whose reply has not come yet: its client is blocked (XREAD BLOCK...), or
/// redis-cli reads messages after a SUBSCRIBE (until an error reply or Ctrl+C).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Waiting {
    argv: Vec<Vec<u8>>,
    /// redis-cli's pubsub mode: every frame that arrives is printed; nothing is read.
    pubsub: bool,
    /// redis-cli's monitor mode (after MONITOR): every line that arrives is printed.
    monitor: bool,
    /// Runs still to do after this one (a repeat prefix: `3 XREAD BLOCK 0 ...`).
    remaining: u64,
    /// When the command was sent (the engine's clock), to show how long it has waited.
    since_ms: i64,
}

#[derive(Debug)]
pub struct Console {
    /// The engine client this console is connected as (like one redis-cli process).
    client: ClientId,
    /// Set while the last command waits for its reply.
    waiting: Option<Waiting>,
    /// Pasted lines behind a waiting command: they run once its reply comes, as a
    /// terminal holds typed-ahead input for redis-cli.
    typeahead: VecDeque<String>,
    /// Shared so the view takes a cheap snapshot after each command.
    entries: VecDeque<Arc<Entry>>,
    /// Changes whenever `entries` does (a push or a clear): the view's cue to redraw.
    version: u64,
    history: History,
    input: String,
    completion: Option<Completion>,
    /// redis-cli's `:set hints` / `:set nohints`.
    hints: bool,
}

pub const WELCOME: &str =
    "Welcome to the Redis playground: a Redis 7.0 server running inside this page.\n\
Type commands as in redis-cli, for example `SET greeting hello` then `GET greeting`.\n\
Tab completes a command name, Up and Down walk the history, `help` explains the rest.";

impl Console {
    /// A console connected as `client`, greeting the user.
    pub fn new(history: History, client: ClientId) -> Self {
        let mut c = Console::blank(history, client);
        c.push(Kind::Note, String::new(), WELCOME.to_string());
        c
    }

    /// A console with an empty screen (another tab).
    pub fn blank(history: History, client: ClientId) -> Self {
        Console {
            client,
            waiting: None,
            typeahead: VecDeque::new(),
            entries: VecDeque::new(),
            version: 0,
            history,
            input: String::new(),
            completion: None,
            hints: true,
        }
    }

    /// The engine client this console speaks as.
    pub fn client(&self) -> ClientId {
        self.client
    }

    /// redis-cli's prompt for this console's client (it shows the selected db).
    pub fn prompt(&self, pg: &Playground) -> String {
        pg.prompt_for(self.client)
    }

    /// Whether a command waits for its reply (a blocked client): the line is not read.
    pub fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// Whether the console is in redis-cli's pubsub mode (after SUBSCRIBE, PSUBSCRIBE,
    /// SSUBSCRIBE): it prints messages as they arrive and reads no line until Ctrl+C.
    pub fn is_subscribed(&self) -> bool {
        self.waiting.as_ref().is_some_and(|w| w.pubsub)
    }

    /// Whether the console is in redis-cli's monitor mode (after MONITOR).
    pub fn is_monitoring(&self) -> bool {
        self.waiting.as_ref().is_some_and(|w| w.monitor)
    }

    /// What the console waits on, for the status line: the command and since when.
    pub fn waiting_for(&self) -> Option<(String, i64)> {
        self.waiting.as_ref().map(|w| {
            let words: Vec<String> = w
                .argv
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            (words.join(" "), w.since_ms)
        })
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|e| &**e)
    }

    /// The screen's entries, cheaply cloned for a view.
    pub fn snapshot(&self) -> Vec<Arc<Entry>> {
        self.entries.iter().cloned().collect()
    }

    /// Changes whenever the screen's entries change.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn history(&self) -> &History {
        &self.history
    }

    pub fn input(&self) -> &str {
        &self.input
    }

    /// The user edited the line: any completion cycle ends with what is shown.
    pub fn set_input(&mut self, text: &str) {
        self.input = text.to_string();
        self.completion = None;
    }

    /// Up: the previous history entry replaces the line. False if there is none.
    pub fn history_up(&mut self) -> bool {
        self.completion = None;
        match self.history.up(&self.input) {
            Some(line) => {
                self.input = line;
                true
            }
            None => false,
        }
    }

    /// Down: the next history entry, or back to what was being typed.
    pub fn history_down(&mut self) -> bool {
        self.completion = None;
        match self.history.down() {
            Some(line) => {
                self.input = line;
                true
            }
            None => false,
        }
    }

    /// Tab: shows the first completion of the line, then each next one, then the
    /// original line again, like linenoise. False if nothing completes.
    pub fn complete(&mut self) -> bool {
        if let Some(c) = &mut self.completion {
            c.index = (c.index + 1) % (c.candidates.len() + 1);
            self.input = c.candidates.get(c.index).unwrap_or(&c.original).clone();
            return true;
        }
        let candidates = completions(&self.input);
        let Some(first) = candidates.first() else {
            return false;
        };
        let original = std::mem::replace(&mut self.input, first.clone());
        self.completion = Some(Completion {
            original,
            candidates,
            index: 0,
        });
        true
    }

    /// Escape during a completion cycle: back to the line as typed. False otherwise.
    pub fn cancel_completion(&mut self) -> bool {
        match self.completion.take() {
            Some(c) => {
                self.input = c.original;
                true
            }
            None => false,
        }
    }

    /// The candidates of the current Tab cycle and which one is shown.
    pub fn completion_candidates(&self) -> Option<(&[String], usize)> {
        self.completion
            .as_ref()
            .map(|c| (c.candidates.as_slice(), c.index))
    }

    /// The grey text redis-cli shows after the cursor: the arguments not typed yet,
    /// with a leading space when the line does not end with one.
    pub fn hint(&self) -> Option<String> {
        if !self.hints || self.input.trim().is_empty() {
            return None;
        }
        cli::hint(&self.input)
    }

    pub fn hints_enabled(&self) -> bool {
        self.hints
    }

    /// A line the server logged (a script's `redis.log`), shown as a note.
    pub fn server_log(&mut self, level: &str, text: &str) {
        self.push(
            Kind::Note,
            String::new(),
            format!("server log ({level}): {text}"),
        );
    }

    /// Enter: runs the line being typed. While a command waits for its reply the line
    /// stays where it is (redis-cli reads nothing until the reply comes).
    pub fn submit(&mut self, pg: &mut Playground) {
        if self.waiting.is_some() {
            return;
        }
        self.completion = None;
        let line = std::mem::take(&mut self.input);
        self.run_line(pg, &line);
    }

    /// A paste: with line breaks, every complete line runs in order and the last
    /// (unfinished) one stays in the input. `before`/`after` are the parts of the input
    /// around the selection the paste replaces. False (nothing done) without a line break,
    /// so the browser inserts the text as usual.
    pub fn paste(&mut self, pg: &mut Playground, before: &str, pasted: &str, after: &str) -> bool {
        if !pasted.contains('\n') && !pasted.contains('\r') {
            return false;
        }
        if self.waiting.is_some() {
            return false;
        }
        self.completion = None;
        let text = format!("{before}{pasted}{after}")
            .replace("\r\n", "\n")
            .replace('\r', "\n");
        let mut lines: Vec<&str> = text.split('\n').collect();
        let last = lines.pop().unwrap_or_default().to_string();
        self.typeahead.extend(lines.into_iter().map(str::to_string));
        self.run_typeahead(pg);
        self.input = last;
        true
    }

    /// Ctrl+L (and `clear`): an empty screen.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.version += 1;
    }

    /// Runs one line as redis-cli's REPL does.
    pub fn run_line(&mut self, pg: &mut Playground, line: &str) {
        self.push(Kind::Command, self.prompt(pg), line.to_string());
        let Some(argv) = cli::split_args(line.as_bytes()) else {
            self.history.add(line);
            self.push(Kind::Error, String::new(), "Invalid argument(s)\n".into());
            return;
        };
        if argv.is_empty() {
            return;
        }
        let (repeat, skip) = match cli::strip_repeat(&argv) {
            Ok((n, rest)) => (n, argv.len() - rest.len()),
            Err(message) => {
                self.history.add(line);
                self.push(Kind::Error, String::new(), format!("{message}\n"));
                return;
            }
        };
        if !is_sensitive(&argv[skip..]) {
            self.history.add(line);
        }
        let name = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
        if name == "quit" || name == "exit" {
            self.push(
                Kind::Note,
                String::new(),
                "A page cannot close itself, so the playground stays open: keep typing.\n\
                 To start over with an empty server, reload the page (your command history is kept)."
                    .into(),
            );
            return;
        }
        if name.starts_with(':') {
            let text = self.set_preference(&argv);
            if !text.is_empty() {
                self.push(Kind::Error, String::new(), text);
            }
            return;
        }
        if argv.len() == 1 && name == "clear" {
            self.clear();
            return;
        }
        let argv = &argv[skip..];
        let command = String::from_utf8_lossy(&argv[0]).to_ascii_lowercase();
        if command == "help" || command == "?" {
            match help(&argv[1..]) {
                Some(text) => self.push(Kind::Reply, String::new(), text),
                None => {
                    let topic = String::from_utf8_lossy(&argv[1..].join(&b' ')).into_owned();
                    self.push(
                        Kind::Note,
                        String::new(),
                        format!("No help for '{topic}'. Try `help @string`, or Tab after `help `."),
                    );
                }
            }
            return;
        }
        let times = repeat.min(MAX_REPEAT);
        self.run_times(pg, argv, times);
        if repeat > MAX_REPEAT {
            self.push(
                Kind::Note,
                String::new(),
                format!("The playground runs a command at most {MAX_REPEAT} times in a row; it ran it {MAX_REPEAT} times."),
            );
        }
    }

    /// Runs typed-ahead lines until one blocks.
    fn run_typeahead(&mut self, pg: &mut Playground) {
        while self.waiting.is_none() {
            let Some(line) = self.typeahead.pop_front() else {
                return;
            };
            self.run_line(pg, &line);
        }
    }

    /// Lines waiting behind a blocked command.
    pub fn typeahead_len(&self) -> usize {
        self.typeahead.len()
    }

    /// Sends `argv` up to `times` times, printing the replies; stops early when the
    /// client blocks (the rest runs when the reply comes, see `deliver`).
    fn run_times(&mut self, pg: &mut Playground, argv: &[Vec<u8>], times: u64) {
        let mut text = String::new();
        let mut last_error = false;
        let pubsub = cli::enters_pubsub_mode(argv);
        let monitor = argv
            .first()
            .is_some_and(|n| n.eq_ignore_ascii_case(b"monitor"));
        for done in 0..times {
            if pubsub {
                // redis-cli says so as soon as it has sent the command.
                text.push_str(cli::READING_MESSAGES);
            }
            let reply = pg.engine.execute(self.client, argv);
            if reply == Reply::NoReply && pg.engine.is_blocked(self.client) {
                self.waiting = Some(Waiting {
                    argv: argv.to_vec(),
                    pubsub: false,
                    monitor: false,
                    remaining: times - done - 1,
                    since_ms: pg.engine.now_ms(),
                });
                break;
            }
            // A reply behind frames the command sent its own client (one per channel of a
            // SUBSCRIBE, a message it published to itself) comes through the outbox.
            let replies = if reply == Reply::NoReply {
                pg.engine.drain_outbox(self.client)
            } else {
                vec![reply]
            };
            let protocol = pg.engine.protocol(self.client);
            let mut error = false;
            for reply in replies {
                // redis-cli prints what its protocol delivers: RESP2 flattens maps and sets.
                let reply = reply.for_protocol(protocol);
                error |= reply.is_error();
                last_error = reply.is_error();
                if text.len() <= MAX_ENTRY_TEXT {
                    text.push_str(&cli::render_for(argv, &reply));
                }
            }
            // redis-cli's pubsub mode lasts until an error reply (or Ctrl+C).
            if pubsub && !error {
                self.waiting = Some(Waiting {
                    argv: argv.to_vec(),
                    pubsub: true,
                    monitor: false,
                    remaining: times - done - 1,
                    since_ms: pg.engine.now_ms(),
                });
                break;
            }
            // So does its monitor mode, after MONITOR's OK.
            if monitor && !error {
                self.waiting = Some(Waiting {
                    argv: argv.to_vec(),
                    pubsub: false,
                    monitor: true,
                    remaining: 0,
                    since_ms: pg.engine.now_ms(),
                });
                break;
            }
        }
        if !text.is_empty() {
            self.push(
                if last_error { Kind::Error } else { Kind::Reply },
                String::new(),
                text,
            );
        }
    }

    /// Prints replies that reached this console's client later (a blocked command
    /// served by another client's write, or timed out), then runs what was left of a
    /// repeated command. Returns true if anything was printed.
    pub fn deliver(&mut self, pg: &mut Playground) -> bool {
        if pg.engine.client(self.client).is_none() {
            // CLIENT KILL from another console closed this one's connection: redis-cli
            // reports it and connects again.
            self.waiting = None;
            self.typeahead.clear();
            self.client = pg.engine.connect(ClientInfo::default());
            self.push(
                Kind::Note,
                String::new(),
                format!("The server closed this console's connection (CLIENT KILL); it reconnected as a new client (id {}).", self.client),
            );
            return true;
        }
        let replies = pg.engine.drain_outbox(self.client);
        if replies.is_empty() {
            return false;
        }
        let protocol = pg.engine.protocol(self.client);
        let waiting = self.waiting.take();
        let argv: Vec<Vec<u8>> = waiting.as_ref().map(|w| w.argv.clone()).unwrap_or_default();
        let mut error = false;
        for reply in replies {
            let reply = reply.for_protocol(protocol);
            error |= reply.is_error();
            let kind = if reply.is_error() {
                Kind::Error
            } else {
                Kind::Reply
            };
            self.push(kind, String::new(), cli::render_for(&argv, &reply));
        }
        if let Some(w) = waiting {
            if pg.engine.is_blocked(self.client) || ((w.pubsub || w.monitor) && !error) {
                self.waiting = Some(w);
            } else if w.remaining > 0 {
                self.run_times(pg, &w.argv, w.remaining);
            }
        }
        self.run_typeahead(pg);
        true
    }

    /// Ctrl+C. While a command waits, redis-cli is interrupted, which closes its
    /// connection; the console then reconnects as a new client, as running redis-cli
    /// again would. Otherwise it drops the line being typed. Returns true if it did
    /// something.
    pub fn interrupt(&mut self, pg: &mut Playground) -> bool {
        if let Some(w) = self.waiting.take() {
            // A terminal's Ctrl+C also discards what was typed ahead.
            self.typeahead.clear();
            pg.engine.disconnect(self.client);
            self.client = pg.engine.connect(ClientInfo::default());
            let text = if w.monitor {
                format!("^C: left monitor mode; this console reconnected as a new client (id {}), as redis-cli does.", self.client)
            } else if w.pubsub {
                // redis-cli closes the subscribed connection and connects again.
                format!(
                    "^C: left subscribed mode; this console reconnected as a new client (id {}), as redis-cli does.",
                    self.client
                )
            } else {
                format!(
                    "^C: the waiting command was interrupted and this console reconnected as a new client (id {}), as running redis-cli again would.",
                    self.client
                )
            };
            self.push(Kind::Note, String::new(), text);
            return true;
        }
        if self.input.is_empty() {
            return false;
        }
        self.set_input("");
        true
    }

    /// redis-cli's `:set hints` / `:set nohints`; its messages for anything else.
    fn set_preference(&mut self, argv: &[Vec<u8>]) -> String {
        let word = |i: usize| String::from_utf8_lossy(&argv[i]).into_owned();
        if word(0).eq_ignore_ascii_case(":set") && argv.len() >= 2 {
            match word(1).to_ascii_lowercase().as_str() {
                "hints" => self.hints = true,
                "nohints" => self.hints = false,
                _ => return format!("unknown redis-cli preference '{}'\n", word(1)),
            }
            String::new()
        } else {
            format!("unknown redis-cli internal command '{}'\n", word(0))
        }
    }

    fn push(&mut self, kind: Kind, prompt: String, mut text: String) {
        if text.len() > MAX_ENTRY_TEXT {
            let mut cut = MAX_ENTRY_TEXT;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let dropped = text.len() - cut;
            text.truncate(cut);
            text.push_str(&format!(
                "\n... ({dropped} more bytes not shown by the playground)\n"
            ));
        }
        let id = NEXT_ENTRY_ID.fetch_add(1, Ordering::Relaxed);
        self.entries.push_back(Arc::new(Entry {
            id,
            kind,
            prompt,
            text,
        }));
        self.version += 1;
        while self.entries.len() > MAX_ENTRIES {
            self.entries.pop_front();
        }
    }
}

/// Lines redis-cli keeps out of its history file because they carry passwords.
fn is_sensitive(argv: &[Vec<u8>]) -> bool {
    let is = |i: usize, w: &str| {
        argv.get(i)
            .is_some_and(|a| a.eq_ignore_ascii_case(w.as_bytes()))
    };
    let any = |w: &str| argv.iter().any(|a| a.eq_ignore_ascii_case(w.as_bytes()));
    is(0, "auth")
        || (is(0, "acl") && is(1, "setuser"))
        || (is(0, "hello") && any("auth"))
        || (is(0, "migrate") && (any("auth") || any("auth2")))
        || (is(0, "config")
            && is(1, "set")
            && (any("masterauth") || any("masteruser") || any("requirepass")))
}

/// The Tab candidates for a line: command names for a first word, and for
/// `help <prefix>`, command names and `@group` topics.
pub fn completions(line: &str) -> Vec<String> {
    if line.is_empty() || line.starts_with(char::is_whitespace) {
        return Vec::new();
    }
    if !line.contains(char::is_whitespace) {
        return cli::complete(line);
    }
    let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
    if !first.eq_ignore_ascii_case("help") || rest.contains(char::is_whitespace) {
        return Vec::new();
    }
    let mut topics: Vec<String> = if let Some(group) = rest.strip_prefix('@') {
        groups()
            .into_iter()
            .filter(|g| g.starts_with(&group.to_ascii_lowercase()))
            .map(|g| format!("@{g}"))
            .collect()
    } else if rest.is_empty() {
        groups()
            .into_iter()
            .map(|g| format!("@{g}"))
            .chain(cli::complete(""))
            .collect()
    } else {
        cli::complete(rest)
    };
    topics.dedup();
    topics.into_iter().map(|t| format!("{first} {t}")).collect()
}

/// The documentation groups of the command table, sorted.
fn groups() -> Vec<String> {
    let mut g: Vec<String> = table::all()
        .iter()
        .flat_map(|c| std::iter::once(c.group).chain(c.subcommands.iter().map(|s| s.group)))
        .map(str::to_string)
        .collect();
    g.sort();
    g.dedup();
    g
}

/// `help`, `help <command>`, `help @<group>`: redis-cli's texts. None if the topic
/// names nothing known.
pub fn help(topic: &[Vec<u8>]) -> Option<String> {
    if topic.is_empty() {
        return Some(GENERIC_HELP.to_string());
    }
    let first = String::from_utf8_lossy(&topic[0]).to_ascii_lowercase();
    if let Some(group) = first.strip_prefix('@') {
        let mut out = String::new();
        for spec in table::all() {
            let mut names = Vec::new();
            if spec.subcommands.is_empty() {
                if spec.group == group {
                    names.push(spec.name.to_string());
                }
            } else {
                names.extend(
                    spec.subcommands
                        .iter()
                        .filter(|s| s.group == group)
                        .map(|s| format!("{} {}", spec.name, s.name)),
                );
            }
            for name in names {
                if let Some(text) = cli::help_text(&name) {
                    // redis-cli leaves the group line out when it lists a group.
                    let trimmed = text.trim_end_matches('\n');
                    let without_group = trimmed
                        .rsplit_once("\n  group: ")
                        .map(|(a, _)| a)
                        .unwrap_or(trimmed);
                    out.push_str(without_group);
                    out.push('\n');
                }
            }
        }
        return if out.is_empty() { None } else { Some(out) };
    }
    let joined: Vec<u8> = topic.join(&b' ');
    cli::help_text(&String::from_utf8_lossy(&joined))
}

/// The page's version of redis-cli's generic help.
pub const GENERIC_HELP: &str = "redis-cli 7.0.15 (the playground's console)\n\
To get help about Redis commands type:\n      \
\"help @<group>\" to get a list of commands in <group>\n      \
\"help <command>\" for help on <command>\n      \
\"help <tab>\" to get a list of possible help topics\n      \
\"quit\" to exit\n\
\n\
To set redis-cli preferences:\n      \
\":set hints\" enable online hints\n      \
\":set nohints\" disable online hints\n\
\n\
In this page: Up/Down walk the history, Tab completes, Esc undoes a completion,\n\
\"clear\" or Ctrl+L clears the screen, \"3 INCR n\" runs a command three times.\n";

#[cfg(test)]
mod tests {
    use super::*;
    use redis_emulator::ManualClock;

    fn setup() -> (Console, Playground, ManualClock) {
        let clock = ManualClock::new(1_700_000_000_000);
        let pg = Playground::new(Box::new(clock.clone()), 1);
        let mut c = Console::new(History::new(), pg.client);
        c.clear();
        (c, pg, clock)
    }

    /// Runs lines and returns the screen as text: prompts with their lines, then replies.
    fn run(c: &mut Console, pg: &mut Playground, lines: &[&str]) -> String {
        for l in lines {
            c.set_input(l);
            c.submit(pg);
        }
        screen(c)
    }

    fn screen(c: &Console) -> String {
        c.entries()
            .map(|e| {
                format!(
                    "{}{}{}",
                    e.prompt,
                    e.text,
                    if e.kind == Kind::Command { "\n" } else { "" }
                )
            })
            .collect()
    }

    fn last(c: &Console) -> (Kind, String) {
        let e = c.entries().last().expect("an entry");
        (e.kind, e.text.clone())
    }

    #[test]
    fn console_runs_commands_and_prints_like_redis_cli() {
        let (mut c, mut pg, _) = setup();
        let out = run(
            &mut c,
            &mut pg,
            &["SET greeting hello", "GET greeting", "INCR n", "FOO"],
        );
        assert_eq!(
            out,
            "127.0.0.1:6379> SET greeting hello\nOK\n\
             127.0.0.1:6379> GET greeting\n\"hello\"\n\
             127.0.0.1:6379> INCR n\n(integer) 1\n\
             127.0.0.1:6379> FOO\n(error) ERR unknown command 'FOO', with args beginning with: \n"
        );
        assert_eq!(last(&c).0, Kind::Error);
    }

    #[test]
    fn console_prompt_shows_the_selected_db() {
        let (mut c, mut pg, _) = setup();
        let out = run(&mut c, &mut pg, &["SELECT 1", "SELECT 99", "PING"]);
        assert_eq!(out, "127.0.0.1:6379> SELECT 1\nOK\n127.0.0.1:6379[1]> SELECT 99\n(error) ERR DB index is out of range\n127.0.0.1:6379[1]> PING\nPONG\n");
    }

    #[test]
    fn console_unbalanced_quotes_print_invalid_arguments() {
        let (mut c, mut pg, _) = setup();
        run(&mut c, &mut pg, &["SET k \"oops"]);
        assert_eq!(last(&c), (Kind::Error, "Invalid argument(s)\n".into()));
        assert_eq!(
            c.history().entries(),
            ["SET k \"oops"],
            "redis-cli keeps it in history"
        );
    }

    #[test]
    fn console_blank_lines_only_echo_the_prompt() {
        let (mut c, mut pg, _) = setup();
        let out = run(&mut c, &mut pg, &["", "   "]);
        assert_eq!(out, "127.0.0.1:6379> \n127.0.0.1:6379>    \n");
        assert!(c.history().is_empty());
    }

    #[test]
    fn console_repeat_prefix_runs_the_command_n_times() {
        let (mut c, mut pg, _) = setup();
        run(&mut c, &mut pg, &["3 INCR n"]);
        assert_eq!(
            last(&c),
            (
                Kind::Reply,
                "(integer) 1\n(integer) 2\n(integer) 3\n".into()
            )
        );
        run(&mut c, &mut pg, &["+2 INCR n"]);
        assert_eq!(last(&c).1, "(integer) 4\n(integer) 5\n");
        for bad in [
            "0 INCR n",
            "-1 INCR n",
            "99999999999999999999 INCR n",
            "\"\" INCR n",
        ] {
            run(&mut c, &mut pg, &[bad]);
            assert_eq!(
                last(&c).1,
                "Invalid redis-cli repeat command option value.\n",
                "{bad}"
            );
        }
        // A lone number is a command, not a repeat count; "2x" is not a number.
        run(&mut c, &mut pg, &["3"]);
        assert_eq!(
            last(&c).1,
            "(error) ERR unknown command '3', with args beginning with: \n"
        );
        run(&mut c, &mut pg, &["2x PING"]);
        assert_eq!(
            last(&c).1,
            "(error) ERR unknown command '2x', with args beginning with: 'PING' \n"
        );
    }

    #[test]
    fn console_repeat_prefix_is_capped() {
        let (mut c, mut pg, _) = setup();
        run(&mut c, &mut pg, &["20000 INCR n"]);
        assert_eq!(last(&c).0, Kind::Note);
        run(&mut c, &mut pg, &["GET n"]);
        assert_eq!(last(&c).1, format!("\"{MAX_REPEAT}\"\n"));
    }

    #[test]
    fn console_clear_empties_the_screen_but_clear_with_args_is_a_command() {
        let (mut c, mut pg, _) = setup();
        run(&mut c, &mut pg, &["PING", "clear"]);
        assert_eq!(c.entries().count(), 0);
        run(&mut c, &mut pg, &["clear now"]);
        assert_eq!(
            last(&c).1,
            "(error) ERR unknown command 'clear', with args beginning with: 'now' \n"
        );
    }

    #[test]
    fn console_quit_and_exit_leave_a_note_and_keep_working() {
        let (mut c, mut pg, _) = setup();
        for word in ["quit", "EXIT"] {
            run(&mut c, &mut pg, &[word]);
            assert_eq!(last(&c).0, Kind::Note);
        }
        run(&mut c, &mut pg, &["PING"]);
        assert_eq!(last(&c).1, "PONG\n");
    }

    #[test]
    fn console_help_prints_generic_command_and_group_help() {
        let (mut c, mut pg, _) = setup();
        run(&mut c, &mut pg, &["help"]);
        assert_eq!(last(&c).1, GENERIC_HELP);
        run(&mut c, &mut pg, &["HELP GET"]);
        assert_eq!(Some(last(&c).1), cli::help_text("GET"));
        run(&mut c, &mut pg, &["help config get"]);
        assert!(last(&c).1.contains("CONFIG GET"), "{}", last(&c).1);
        run(&mut c, &mut pg, &["help @string"]);
        let text = last(&c).1;
        assert!(text.contains("\n  GET key\n"), "{text}");
        assert!(text.contains("\n  INCR key\n"), "{text}");
        assert!(!text.contains("group:"), "{text}");
        run(&mut c, &mut pg, &["help nosuchcommand"]);
        assert_eq!(last(&c).0, Kind::Note);
    }

    #[test]
    fn console_set_hints_toggles_the_hint() {
        let (mut c, mut pg, _) = setup();
        c.set_input("GET ");
        assert_eq!(c.hint().as_deref(), Some("key"));
        run(&mut c, &mut pg, &[":set nohints"]);
        c.set_input("GET ");
        assert_eq!(c.hint(), None);
        run(&mut c, &mut pg, &[":set hints"]);
        c.set_input("GET ");
        assert_eq!(c.hint().as_deref(), Some("key"));
        run(&mut c, &mut pg, &[":set colors"]);
        assert_eq!(last(&c).1, "unknown redis-cli preference 'colors'\n");
        run(&mut c, &mut pg, &[":foo"]);
        assert_eq!(last(&c).1, "unknown redis-cli internal command ':foo'\n");
    }

    #[test]
    fn console_hints_follow_redis_cli_spacing() {
        assert_eq!(cli::hint("GET").as_deref(), Some(" key"));
        assert_eq!(cli::hint("GET ").as_deref(), Some("key"));
        assert_eq!(cli::hint("get k"), None);
        assert!(cli::hint("SET k").unwrap().starts_with(" value [NX|XX]"));
        assert!(cli::hint("SET k ").unwrap().starts_with("value [NX|XX]"));
        assert_eq!(cli::hint("GE"), None);
        assert_eq!(cli::hint("\"unbalanced"), None);
    }

    #[test]
    fn console_history_walks_with_up_and_down() {
        let (mut c, mut pg, _) = setup();
        run(&mut c, &mut pg, &["SET a 1", "GET a"]);
        c.set_input("draft");
        assert!(c.history_up());
        assert_eq!(c.input(), "GET a");
        assert!(c.history_up());
        assert_eq!(c.input(), "SET a 1");
        assert!(!c.history_up());
        assert!(c.history_down());
        assert!(c.history_down());
        assert_eq!(c.input(), "draft");
    }

    #[test]
    fn console_does_not_keep_passwords_in_history() {
        let (mut c, mut pg, _) = setup();
        run(
            &mut c,
            &mut pg,
            &["AUTH secret", "CONFIG SET requirepass x", "PING"],
        );
        assert_eq!(c.history().entries(), ["PING"]);
    }

    #[test]
    fn console_tab_cycles_completions_and_escape_restores() {
        let (mut c, _, _) = setup();
        c.set_input("ge");
        let all = completions("ge");
        assert!(all.len() >= 2 && all[0] == "get", "{all:?}");
        assert!(c.complete());
        assert_eq!(c.input(), "get");
        assert!(c.complete());
        assert_eq!(c.input(), all[1]);
        for _ in 1..all.len() {
            c.complete();
        }
        assert_eq!(
            c.input(),
            "ge",
            "after the last candidate: the original line"
        );
        c.complete();
        assert_eq!(c.input(), "get");
        assert!(c.cancel_completion());
        assert_eq!(c.input(), "ge");
        assert!(!c.cancel_completion());
        c.set_input("INC");
        c.complete();
        assert_eq!(c.input(), "INCR", "upper case in, upper case out");
        c.set_input("xyzzy");
        assert!(!c.complete());
        assert_eq!(c.input(), "xyzzy");
    }

    #[test]
    fn console_completes_help_topics() {
        assert!(completions("help @st").contains(&"help @string".to_string()));
        assert!(completions("help ge").contains(&"help get".to_string()));
        assert!(completions("GET k").is_empty());
        assert!(completions("").is_empty());
        assert!(completions(" ge").is_empty());
    }

    #[test]
    fn console_multi_line_paste_runs_each_line() {
        let (mut c, mut pg, _) = setup();
        assert!(
            !c.paste(&mut pg, "", "SET a 1", ""),
            "a one-line paste is left to the browser"
        );
        assert!(c.paste(&mut pg, "", "SET a 1\r\nINCR a\nGET", ""));
        assert_eq!(
            c.input(),
            "GET",
            "the unfinished last line stays in the input"
        );
        c.set_input(" a");
        assert!(c.paste(&mut pg, "GET", " a\n", ""));
        assert_eq!(c.input(), "");
        assert_eq!(
            screen(&c),
            "127.0.0.1:6379> SET a 1\nOK\n127.0.0.1:6379> INCR a\n(integer) 2\n127.0.0.1:6379> GET a\n\"2\"\n"
        );
    }

    #[test]
    fn console_renders_resp2_shapes_like_redis_cli() {
        let (mut c, mut pg, _) = setup();
        run(&mut c, &mut pg, &["CONFIG GET maxmemory"]);
        assert_eq!(last(&c).1, "1) \"maxmemory\"\n2) \"67108864\"\n");
        run(&mut c, &mut pg, &["HELLO 3", "CONFIG GET maxmemory"]);
        assert_eq!(last(&c).1, "1# \"maxmemory\" => \"67108864\"\n");
    }

    #[test]
    fn console_keeps_a_bounded_screen() {
        let (mut c, mut pg, _) = setup();
        for _ in 0..(MAX_ENTRIES) {
            run(&mut c, &mut pg, &["PING"]);
        }
        assert_eq!(c.entries().count(), MAX_ENTRIES);
        let ids: Vec<u64> = c.entries().map(|e| e.id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        run(
            &mut c,
            &mut pg,
            &[
                "SET big \"\"",
                &format!("SET big {}", "x".repeat(MAX_ENTRY_TEXT + 10)),
                "GET big",
            ],
        );
        let (_, text) = last(&c);
        assert!(
            text.len() < MAX_ENTRY_TEXT + 100 && text.contains("more bytes not shown"),
            "{}",
            text.len()
        );
    }

    #[test]
    fn console_never_panics_on_odd_lines() {
        let (mut c, mut pg, _) = setup();
        for line in [
            "\"",
            "'",
            "\"\\x",
            "\"\\xZZ\"",
            "é ü",
            "\u{0}",
            "GET \"a\"b",
            "9 9",
            "help @",
            "help \"",
            ":",
            "? get",
            "3 help get",
        ] {
            c.set_input(line);
            let _ = c.hint();
            let _ = c.complete();
            c.set_input(line);
            c.submit(&mut pg);
        }
        assert!(c.entries().count() > 10);
    }

    #[test]
    fn console_version_changes_only_with_the_screen() {
        let (mut c, mut pg, _) = setup();
        let v0 = c.version();
        c.set_input("PING");
        c.complete();
        c.history_up();
        assert_eq!(c.version(), v0, "editing the line leaves the screen alone");
        c.set_input("PING");
        c.submit(&mut pg);
        let v1 = c.version();
        assert!(v1 > v0);
        c.clear();
        assert!(c.version() > v1);
        assert_eq!(c.snapshot().len(), 0);
    }

    #[test]
    fn console_starts_with_a_welcome_note() {
        let c = Console::new(History::new(), 1);
        let first = c.entries().next().unwrap();
        assert_eq!((first.kind, first.text.as_str()), (Kind::Note, WELCOME));
    }

    #[test]
    fn a_blocked_console_waits_and_is_woken_by_another_console() {
        let (mut reader, mut pg, _) = setup();
        let writer_client = pg.engine.connect(ClientInfo::default());
        let mut writer = Console::blank(History::new(), writer_client);
        run(&mut reader, &mut pg, &["XREAD BLOCK 0 STREAMS s $"]);
        assert!(reader.is_waiting());
        assert_eq!(
            reader.waiting_for().map(|(c, _)| c),
            Some("XREAD BLOCK 0 STREAMS s $".to_string())
        );
        // Enter does nothing while waiting: the typed line stays.
        reader.set_input("PING");
        reader.submit(&mut pg);
        assert_eq!(reader.input(), "PING");
        assert!(!reader.deliver(&mut pg), "nothing arrived yet");
        run(&mut writer, &mut pg, &["XADD s 1-1 f v"]);
        assert!(reader.deliver(&mut pg));
        assert!(!reader.is_waiting());
        assert_eq!(
            screen(&reader),
            "127.0.0.1:6379> XREAD BLOCK 0 STREAMS s $\n1) 1) \"s\"\n   2) 1) 1) \"1-1\"\n         2) 1) \"f\"\n            2) \"v\"\n"
        );
    }

    #[test]
    fn a_blocked_console_times_out_with_nil() {
        let (mut c, mut pg, clock) = setup();
        run(&mut c, &mut pg, &["XREAD BLOCK 1500 STREAMS s 0"]);
        assert!(c.is_waiting());
        clock.advance_ms(1000);
        pg.engine.handle_timeouts();
        assert!(!c.deliver(&mut pg));
        clock.advance_ms(600);
        pg.engine.handle_timeouts();
        assert!(c.deliver(&mut pg));
        assert_eq!(last(&c), (Kind::Reply, "(nil)\n".to_string()));
        assert!(!c.is_waiting());
    }

    #[test]
    fn a_repeated_blocking_command_continues_after_each_reply() {
        let (mut c, mut pg, clock) = setup();
        run(&mut c, &mut pg, &["2 XREAD BLOCK 100 STREAMS s 0"]);
        for _ in 0..2 {
            assert!(c.is_waiting());
            // Redis times out strictly after the deadline.
            clock.advance_ms(100);
            pg.engine.handle_timeouts();
            assert!(!c.deliver(&mut pg));
            clock.advance_ms(1);
            pg.engine.handle_timeouts();
            assert!(c.deliver(&mut pg));
        }
        assert!(!c.is_waiting());
        assert_eq!(c.entries().filter(|e| e.text == "(nil)\n").count(), 2);
    }

    #[test]
    fn ctrl_c_interrupts_a_waiting_command_and_reconnects() {
        let (mut c, mut pg, _) = setup();
        let before = c.client();
        run(&mut c, &mut pg, &["XREAD BLOCK 0 STREAMS s $"]);
        assert!(c.interrupt(&mut pg));
        assert!(!c.is_waiting());
        assert_ne!(c.client(), before);
        assert!(pg.engine.client(before).is_none(), "the old client is gone");
        assert_eq!(pg.engine.blocked_count(), 0);
        let out = run(&mut c, &mut pg, &["PING"]);
        assert!(out.ends_with("127.0.0.1:6379> PING\nPONG\n"), "{out}");
        // Without a waiting command, Ctrl+C drops the line being typed.
        c.set_input("GET x");
        assert!(c.interrupt(&mut pg));
        assert_eq!(c.input(), "");
        assert!(!c.interrupt(&mut pg));
    }

    #[test]
    fn a_paste_stops_at_a_blocking_line_and_keeps_the_rest() {
        let (mut c, mut pg, _) = setup();
        assert!(c.paste(
            &mut pg,
            "",
            "PING\nXREAD BLOCK 0 STREAMS s $\nSET a 1\nGET a",
            ""
        ));
        assert!(c.is_waiting());
        assert_eq!((c.input(), c.typeahead_len()), ("GET a", 1));
        let other = pg.engine.connect(ClientInfo::default());
        pg.engine.execute(
            other,
            &[
                b"XADD".to_vec(),
                b"s".to_vec(),
                b"1-0".to_vec(),
                b"f".to_vec(),
                b"v".to_vec(),
            ],
        );
        assert!(c.deliver(&mut pg));
        // The reply, then the line typed ahead ran.
        let out = screen(&c);
        assert!(out.ends_with("127.0.0.1:6379> SET a 1\nOK\n"), "{out}");
        assert_eq!(c.typeahead_len(), 0);
    }

    #[test]
    fn a_subscribed_console_prints_what_another_console_publishes() {
        let (mut sub, mut pg, _) = setup();
        let other = pg.engine.connect(ClientInfo::default());
        let mut publisher = Console::blank(History::new(), other);
        let out = run(&mut sub, &mut pg, &["SUBSCRIBE news other"]);
        // Exactly what redis-cli 7.0.15 prints (recorded with `redis-cli --no-raw`).
        assert_eq!(
            out,
            "127.0.0.1:6379> SUBSCRIBE news other\n\
             Reading messages... (press Ctrl-C to quit)\n\
             1) \"subscribe\"\n2) \"news\"\n3) (integer) 1\n\
             1) \"subscribe\"\n2) \"other\"\n3) (integer) 2\n"
        );
        assert!(sub.is_subscribed() && sub.is_waiting());
        // Enter does nothing: redis-cli reads no line in pubsub mode.
        sub.set_input("PING");
        sub.submit(&mut pg);
        assert_eq!(sub.input(), "PING");
        assert!(!sub.deliver(&mut pg), "nothing published yet");
        run(
            &mut publisher,
            &mut pg,
            &["PUBLISH news \"hi there\"", "PUBLISH nobody x"],
        );
        assert_eq!(screen(&publisher), "127.0.0.1:6379> PUBLISH news \"hi there\"\n(integer) 1\n127.0.0.1:6379> PUBLISH nobody x\n(integer) 0\n");
        assert!(sub.deliver(&mut pg));
        assert_eq!(
            last(&sub),
            (
                Kind::Reply,
                "1) \"message\"\n2) \"news\"\n3) \"hi there\"\n".to_string()
            )
        );
        assert!(sub.is_subscribed(), "still reading messages");
        run(&mut publisher, &mut pg, &["PUBLISH other again"]);
        assert!(sub.deliver(&mut pg));
        assert_eq!(last(&sub).1, "1) \"message\"\n2) \"other\"\n3) \"again\"\n");
        // Ctrl+C leaves subscribed mode: a new connection, the old one's subscriptions gone.
        let before = sub.client();
        assert!(sub.interrupt(&mut pg));
        assert!(!sub.is_subscribed() && !sub.is_waiting());
        assert_ne!(sub.client(), before);
        assert_eq!(last(&sub).0, Kind::Note);
        run(&mut publisher, &mut pg, &["PUBLISH news gone"]);
        assert_eq!(last(&publisher).1, "(integer) 0\n");
        let out = run(&mut sub, &mut pg, &["GET k"]);
        assert!(out.ends_with("127.0.0.1:6379> GET k\n(nil)\n"), "{out}");
    }

    #[test]
    fn a_pattern_subscriber_console_prints_pmessages_in_resp3_too() {
        let (mut sub, mut pg, _) = setup();
        let other = pg.engine.connect(ClientInfo::default());
        let mut publisher = Console::blank(History::new(), other);
        run(&mut sub, &mut pg, &["HELLO 3"]);
        sub.clear();
        let out = run(&mut sub, &mut pg, &["PSUBSCRIBE h*"]);
        assert_eq!(
            out,
            "127.0.0.1:6379> PSUBSCRIBE h*\nReading messages... (press Ctrl-C to quit)\n1) \"psubscribe\"\n2) \"h*\"\n3) (integer) 1\n"
        );
        run(&mut publisher, &mut pg, &["PUBLISH hello x"]);
        assert!(sub.deliver(&mut pg));
        assert_eq!(
            last(&sub).1,
            "1) \"pmessage\"\n2) \"h*\"\n3) \"hello\"\n4) \"x\"\n"
        );
    }

    #[test]
    fn a_subscribe_error_leaves_pubsub_mode_at_once() {
        let (mut c, mut pg, _) = setup();
        let out = run(&mut c, &mut pg, &["SUBSCRIBE", "PING"]);
        assert_eq!(
            out,
            "127.0.0.1:6379> SUBSCRIBE\nReading messages... (press Ctrl-C to quit)\n\
             (error) ERR wrong number of arguments for 'subscribe' command\n\
             127.0.0.1:6379> PING\nPONG\n"
        );
        assert!(!c.is_waiting());
    }

    #[test]
    fn a_paste_stops_at_a_subscribe_and_ctrl_c_drops_the_rest() {
        let (mut c, mut pg, _) = setup();
        assert!(c.paste(&mut pg, "", "SUBSCRIBE ch\nSET a 1\n", ""));
        assert!(c.is_subscribed());
        assert_eq!(c.typeahead_len(), 1);
        assert!(c.interrupt(&mut pg));
        assert_eq!(c.typeahead_len(), 0);
        run(&mut c, &mut pg, &["GET a"]);
        assert_eq!(last(&c).1, "(nil)\n");
    }

    #[test]
    fn a_monitor_console_prints_every_command_of_other_consoles() {
        let (mut m, mut pg, _) = setup();
        let other = pg.engine.connect(ClientInfo::default());
        let mut c = Console::blank(History::new(), other);
        run(&mut m, &mut pg, &["MONITOR"]);
        assert!(m.is_monitoring() && m.is_waiting());
        run(&mut c, &mut pg, &["SET k v"]);
        assert!(m.deliver(&mut pg));
        let (kind, text) = last(&m);
        assert_eq!(kind, Kind::Reply);
        assert!(
            text.ends_with("[0 127.0.0.1:50000] \"SET\" \"k\" \"v\"\n"),
            "{text}"
        );
        assert!(m.interrupt(&mut pg));
        assert!(!m.is_monitoring());
        run(&mut c, &mut pg, &["GET k"]);
        assert!(!m.deliver(&mut pg), "the new connection monitors nothing");
    }

    #[test]
    fn a_killed_console_says_so_and_reconnects() {
        let (mut victim, mut pg, _) = setup();
        let other = pg.engine.connect(ClientInfo::default());
        let mut admin = Console::blank(History::new(), other);
        let before = victim.client();
        run(&mut admin, &mut pg, &[&format!("CLIENT KILL ID {before}")]);
        assert!(victim.deliver(&mut pg));
        assert_ne!(victim.client(), before);
        assert!(last(&victim).1.contains("CLIENT KILL"));
        let out = run(&mut victim, &mut pg, &["PING"]);
        assert!(out.ends_with("PONG\n"));
    }
}
