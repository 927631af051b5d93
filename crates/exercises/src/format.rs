//! The exercise file: Markdown with a front matter, one step per `##` heading, and fenced
//! blocks of special kinds (`redis`, `check`, `hint`, `do`, `program`, `original`).
//! `docs/exercises.md` is the author's documentation of the format; this module reads it.
//!
//! Parsing never fails on the first mistake: every problem is collected with its line
//! number, so an author fixing a file sees them all at once. Markdown itself is parsed by
//! pulldown-cmark (for the fenced blocks' positions, exactly as the renderer will see
//! them); the front matter and the special blocks' contents are read here.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};

use crate::action::{parse_action, Action};
use crate::check::{parse_check, Check};

/// One exercise, as read from its file.
#[derive(Clone, Debug, PartialEq)]
pub struct Exercise {
    pub id: String,
    pub title: String,
    pub summary: String,
    /// What it is based on (a source document's name).
    pub source: String,
    /// Position in the catalogue (files without one come last, by title).
    pub order: Option<i64>,
    /// Markdown shown before the first step.
    pub intro: String,
    pub steps: Vec<Step>,
    /// Every program the exercise defines, in order of appearance.
    pub programs: Vec<ProgramDef>,
}

/// One step: its blocks in order, its goals and hints.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub title: String,
    /// The 1-based line of its heading in the file.
    pub line: usize,
    pub blocks: Vec<Block>,
    pub checks: Vec<Goal>,
    /// Markdown texts, shown one at a time.
    pub hints: Vec<String>,
}

impl Step {
    /// What "Show me" does, in order: the commands and actions of its blocks.
    pub fn show_me(&self) -> Vec<Action> {
        let mut actions = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Commands { tab, lines } => {
                    for line in lines {
                        if let CommandLine::Command(text) = line {
                            actions.push(Action::Type {
                                tab: *tab,
                                line: text.clone(),
                            });
                        }
                    }
                }
                Block::Actions(list) => actions.extend(list.iter().cloned()),
                Block::Markdown(_) | Block::Program { .. } | Block::Original { .. } => {}
            }
        }
        actions
    }

    /// Whether "Show me" would change anything (a step of reading only has no actions).
    pub fn has_actions(&self) -> bool {
        !self.show_me().is_empty()
    }
}

/// A part of a step, in the order the file gives them.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// Text (Markdown, rendered by `markdown::to_html`).
    Markdown(String),
    /// Commands to paste into console tab `tab` (1-based).
    Commands { tab: usize, lines: Vec<CommandLine> },
    /// Actions on programs and time.
    Actions(Vec<Action>),
    /// A program defined here (its source is in `Exercise::programs`).
    Program { name: String },
    /// The source document's original code.
    Original(Original),
}

/// A line of a `redis` block.
#[derive(Clone, Debug, PartialEq)]
pub enum CommandLine {
    Command(String),
    /// A `#` line, shown as a comment (without the `#`).
    Comment(String),
}

/// A program of the exercise.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramDef {
    pub name: String,
    pub source: String,
    /// The document's code it stands for: the `original` blocks its step gives after it.
    pub originals: Vec<Original>,
}

/// Original code from the source document, for reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Original {
    pub language: String,
    pub title: String,
    pub code: String,
}

/// A goal with what the learner reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Goal {
    pub label: String,
    pub check: Check,
    /// Its line in the file (for messages).
    pub line: usize,
}

/// A problem in an exercise file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// 1-based line; 0 when it is about the whole file.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

/// The largest exercise file read (a URL could point at anything).
pub const MAX_FILE_BYTES: usize = 512 * 1024;

/// Reads an exercise file. Returns every problem found, in line order.
pub fn parse(text: &str) -> Result<Exercise, Vec<FormatError>> {
    let mut errors = Vec::new();
    if text.len() > MAX_FILE_BYTES {
        return Err(vec![FormatError {
            line: 0,
            message: format!(
                "the file is {} KB; an exercise file can have at most {} KB",
                text.len() / 1024,
                MAX_FILE_BYTES / 1024
            ),
        }]);
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (front, body, body_line) = split_front_matter(text, &mut errors);
    let front_is_there = errors.is_empty();
    let meta = read_front_matter(&front, front_is_there, &mut errors);
    let mut reader = BodyReader::new(body, body_line);
    reader.read(&mut errors);
    let BodyReader {
        intro,
        steps,
        programs,
        ..
    } = reader;
    if steps.is_empty() && errors.is_empty() {
        errors.push(FormatError {
            line: 0,
            message: "the exercise has no steps: start each step with a `## ` heading".into(),
        });
    }
    check_programs_used(&steps, &programs, &mut errors);
    errors.sort_by_key(|e| e.line);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Exercise {
        id: meta.id,
        title: meta.title,
        summary: meta.summary,
        source: meta.source,
        order: meta.order,
        intro,
        steps,
        programs,
    })
}

/// Splits off the front matter: `(its lines with their numbers, the body, the body's first
/// line number)`.
fn split_front_matter<'a>(
    text: &'a str,
    errors: &mut Vec<FormatError>,
) -> (Vec<(usize, &'a str)>, &'a str, usize) {
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        errors.push(FormatError {
            line: 1,
            message: "an exercise file starts with a front matter: a `---` line, `id: ...` and `title: ...` lines, and a closing `---` line".into(),
        });
        return (Vec::new(), text, 1);
    }
    let mut offset = first.len();
    let mut front = Vec::new();
    for (index, line) in lines.enumerate() {
        let number = index + 2;
        offset += line.len();
        if line.trim_end() == "---" {
            return (front, &text[offset..], number + 1);
        }
        front.push((number, line.trim_end_matches(['\n', '\r'])));
    }
    errors.push(FormatError {
        line: 1,
        message: "the front matter is not closed: add a `---` line after it".into(),
    });
    (front, "", 1)
}

#[derive(Default)]
struct Meta {
    id: String,
    title: String,
    summary: String,
    source: String,
    order: Option<i64>,
}

/// Reads the front matter's lines; `complete` says it was there and closed (else only
/// the lines found are checked, not what is missing).
fn read_front_matter(
    lines: &[(usize, &str)],
    complete: bool,
    errors: &mut Vec<FormatError>,
) -> Meta {
    let mut meta = Meta::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut first_line = 1;
    for &(number, line) in lines {
        first_line = first_line.max(number);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            errors.push(FormatError {
                line: number,
                message: format!("expected `key: value`, found `{}`", line.trim()),
            });
            continue;
        };
        let key = key.trim();
        let value = unquote(value.trim());
        if seen.contains(&key) {
            errors.push(FormatError {
                line: number,
                message: format!("`{key}` is given twice"),
            });
        }
        match key {
            "id" => {
                if value.is_empty()
                    || value.len() > 64
                    || !value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    errors.push(FormatError {
                        line: number,
                        message: format!(
                            "the id `{value}` must be 1 to 64 letters, digits, `-` or `_`"
                        ),
                    });
                }
                meta.id = value;
            }
            "title" => meta.title = value,
            "summary" => meta.summary = value,
            "source" => meta.source = value,
            "order" => match value.parse::<i64>() {
                Ok(n) => meta.order = Some(n),
                Err(_) => errors.push(FormatError {
                    line: number,
                    message: format!("`order` must be a whole number, found `{value}`"),
                }),
            },
            other => errors.push(FormatError {
                line: number,
                message: format!(
                    "unknown key `{other}` (the front matter has id, title, summary, source, order)"
                ),
            }),
        }
        if let Some(known) = ["id", "title", "summary", "source", "order"]
            .iter()
            .find(|k| **k == key)
        {
            seen.push(known);
        }
    }
    if complete {
        for required in ["id", "title"] {
            if !seen.contains(&required) {
                errors.push(FormatError {
                    line: 1,
                    message: format!("the front matter has no `{required}:` line"),
                });
            }
        }
    }
    meta
}

fn unquote(value: &str) -> String {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return value[1..value.len() - 1].to_string();
        }
    }
    value.to_string()
}

/// Walks the Markdown body, cutting it into the introduction and steps.
struct BodyReader<'a> {
    body: &'a str,
    /// Line number of the body's first line in the file.
    first_line: usize,
    /// Byte offset of each line start in `body`.
    line_starts: Vec<usize>,
    intro: String,
    steps: Vec<Step>,
    programs: Vec<ProgramDef>,
}

impl<'a> BodyReader<'a> {
    fn new(body: &'a str, first_line: usize) -> BodyReader<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(body.match_indices('\n').map(|(i, _)| i + 1));
        BodyReader {
            body,
            first_line,
            line_starts,
            intro: String::new(),
            steps: Vec::new(),
            programs: Vec::new(),
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        let index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        self.first_line + index
    }

    fn read(&mut self, errors: &mut Vec<FormatError>) {
        // The top-level structure: `##` headings and fenced code blocks, with their byte
        // ranges; everything between them is Markdown text kept as written.
        let mut items: Vec<Item> = Vec::new();
        let mut heading: Option<(u8, String, Range<usize>)> = None;
        let mut fence: Option<(String, String, Range<usize>)> = None;
        for (event, range) in
            Parser::new_ext(self.body, crate::markdown::options()).into_offset_iter()
        {
            match event {
                Event::Start(Tag::Heading { level, .. }) if level <= HeadingLevel::H2 => {
                    let depth: u8 = if level == HeadingLevel::H1 { 1 } else { 2 };
                    heading = Some((depth, String::new(), range));
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some((depth, title, range)) = heading.take() {
                        items.push(Item::Heading {
                            depth,
                            title,
                            range,
                        });
                    }
                }
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                    fence = Some((info.to_string(), String::new(), range));
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some((info, code, range)) = fence.take() {
                        items.push(Item::Fence { info, code, range });
                    }
                }
                Event::Text(text) | Event::Code(text) => {
                    if let Some((_, title, _)) = heading.as_mut() {
                        title.push_str(&text);
                    } else if let Some((_, code, _)) = fence.as_mut() {
                        code.push_str(&text);
                    }
                }
                _ => {}
            }
        }

        let mut cursor = 0;
        let mut current: Option<Step> = None;
        for item in items {
            let start = item.range().start;
            let text = self.body.get(cursor..start).unwrap_or("");
            push_markdown(&mut current, &mut self.intro, text);
            cursor = item.range().end;
            match item {
                Item::Heading {
                    depth: 1, range, ..
                } => errors.push(FormatError {
                    line: self.line_of(range.start),
                    message: "use `## ` headings for steps (`# ` is not used; the title is in the front matter)".into(),
                }),
                Item::Heading { title, range, .. } => {
                    if let Some(step) = current.take() {
                        self.steps.push(step);
                    }
                    let line = self.line_of(range.start);
                    if title.trim().is_empty() {
                        errors.push(FormatError {
                            line,
                            message: "a step's heading has no title".into(),
                        });
                    }
                    current = Some(Step {
                        title: title.trim().to_string(),
                        line,
                        blocks: Vec::new(),
                        checks: Vec::new(),
                        hints: Vec::new(),
                    });
                }
                Item::Fence { info, code, range } => {
                    let line = self.line_of(range.start);
                    let fence = Fence::parse(&info);
                    self.read_fence(fence, code, line, &mut current, errors);
                }
            }
        }
        let rest = self.body.get(cursor..).unwrap_or("");
        push_markdown(&mut current, &mut self.intro, rest);
        if let Some(step) = current.take() {
            self.steps.push(step);
        }
    }

    fn read_fence(
        &mut self,
        fence: Fence,
        code: String,
        line: usize,
        current: &mut Option<Step>,
        errors: &mut Vec<FormatError>,
    ) {
        let special = matches!(
            fence.kind.as_str(),
            "redis" | "check" | "hint" | "do" | "program" | "original"
        );
        let Some(step) = current.as_mut() else {
            if special {
                errors.push(FormatError {
                    line,
                    message: format!(
                        "a `{}` block must be inside a step (after a `## ` heading)",
                        fence.kind
                    ),
                });
            } else {
                self.intro.push_str(&fence.markdown(&code));
            }
            return;
        };
        // The code's first line is the line after the fence.
        let code_line = line + 1;
        match fence.kind.as_str() {
            "redis" => {
                let tab = match fence.attr("tab") {
                    None => 1,
                    Some(value) => match value.parse::<usize>() {
                        Ok(n) if (1..=9).contains(&n) => n,
                        _ => {
                            errors.push(FormatError {
                                line,
                                message: format!("`tab={value}`: a tab is a number from 1 to 9"),
                            });
                            1
                        }
                    },
                };
                fence.refuse_other_attrs(&["tab"], line, errors);
                let lines: Vec<CommandLine> = code
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| match l.trim_start().strip_prefix('#') {
                        Some(comment) => CommandLine::Comment(comment.trim().to_string()),
                        None => CommandLine::Command(l.trim().to_string()),
                    })
                    .collect();
                for (index, l) in code.lines().enumerate() {
                    if !l.trim_start().starts_with('#')
                        && !l.trim().is_empty()
                        && redis_emulator::cli::split_args(l.trim().as_bytes()).is_none()
                    {
                        errors.push(FormatError {
                            line: code_line + index,
                            message: "unbalanced quotes in this command".into(),
                        });
                    }
                }
                if lines.is_empty() {
                    errors.push(FormatError {
                        line,
                        message: "a `redis` block without commands".into(),
                    });
                }
                step.blocks.push(Block::Commands { tab, lines });
            }
            "check" => {
                fence.refuse_other_attrs(&[], line, errors);
                let mut label: Option<String> = None;
                for (index, l) in code.lines().enumerate() {
                    let text = l.trim();
                    if text.is_empty() {
                        continue;
                    }
                    if let Some(comment) = text.strip_prefix('#') {
                        label = Some(comment.trim().to_string());
                        continue;
                    }
                    match parse_check(text) {
                        Ok(check) => step.checks.push(Goal {
                            label: label.take().unwrap_or_else(|| text.to_string()),
                            check,
                            line: code_line + index,
                        }),
                        Err(message) => errors.push(FormatError {
                            line: code_line + index,
                            message,
                        }),
                    }
                }
            }
            "hint" => {
                fence.refuse_other_attrs(&[], line, errors);
                step.hints.push(code.trim().to_string());
            }
            "do" => {
                fence.refuse_other_attrs(&[], line, errors);
                let mut actions = Vec::new();
                for (index, l) in code.lines().enumerate() {
                    let text = l.trim();
                    if text.is_empty() || text.starts_with('#') {
                        continue;
                    }
                    match parse_action(text) {
                        Ok(action) => actions.push(action),
                        Err(message) => errors.push(FormatError {
                            line: code_line + index,
                            message,
                        }),
                    }
                }
                step.blocks.push(Block::Actions(actions));
            }
            "program" => {
                let Some(name) = fence.words.first().cloned() else {
                    errors.push(FormatError {
                        line,
                        message: "a `program` block needs a name: ```program worker.lua".into(),
                    });
                    return;
                };
                if !valid_program_name(&name) {
                    errors.push(FormatError {
                        line,
                        message: format!("`{name}`: a program name is letters, digits, `.`, `-` or `_` (at most 40)"),
                    });
                }
                if self.programs.iter().any(|p| p.name == name) {
                    errors.push(FormatError {
                        line,
                        message: format!("the program `{name}` is defined twice"),
                    });
                    return;
                }
                self.programs.push(ProgramDef {
                    name: name.clone(),
                    source: code,
                    originals: Vec::new(),
                });
                step.blocks.push(Block::Program { name });
            }
            "original" => {
                let language = fence.words.first().cloned().unwrap_or_default();
                let title = fence.words.get(1..).unwrap_or(&[]).join(" ");
                let original = Original {
                    language,
                    title,
                    code,
                };
                step.blocks.push(Block::Original(original.clone()));
                // Shown where it is written; it also belongs to the program its step
                // defined before it, if any (free-standing otherwise: the document's
                // code for commands typed in the console).
                let owner = step.blocks.iter().rev().skip(1).find_map(|b| match b {
                    Block::Program { name } => Some(name.clone()),
                    _ => None,
                });
                if let Some(program) =
                    owner.and_then(|name| self.programs.iter_mut().find(|p| p.name == name))
                {
                    program.originals.push(original);
                }
            }
            _ => step.blocks.push(Block::Markdown(fence.markdown(&code))),
        }
    }
}

fn push_markdown(current: &mut Option<Step>, intro: &mut String, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    match current {
        Some(step) => match step.blocks.last_mut() {
            Some(Block::Markdown(previous)) => {
                previous.push('\n');
                previous.push_str(text.trim());
            }
            _ => step.blocks.push(Block::Markdown(text.trim().to_string())),
        },
        None => {
            if !intro.is_empty() {
                intro.push('\n');
            }
            intro.push_str(text.trim());
        }
    }
}

fn valid_program_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Actions naming a program the exercise does not define are errors.
fn check_programs_used(steps: &[Step], programs: &[ProgramDef], errors: &mut Vec<FormatError>) {
    for step in steps {
        for block in &step.blocks {
            if let Block::Actions(actions) = block {
                for action in actions {
                    if let Some(name) = action.program() {
                        if !programs.iter().any(|p| p.name == name) {
                            errors.push(FormatError {
                                line: step.line,
                                message: format!(
                                    "step \"{}\" uses the program `{name}`, which no `program` block defines",
                                    step.title
                                ),
                            });
                        }
                    }
                }
            }
        }
        for goal in &step.checks {
            if let Some(name) = goal.check.program() {
                if !programs.iter().any(|p| p.name == name) {
                    errors.push(FormatError {
                        line: goal.line,
                        message: format!("no `program` block defines `{name}`"),
                    });
                }
            }
        }
    }
}

enum Item {
    Heading {
        depth: u8,
        title: String,
        range: Range<usize>,
    },
    Fence {
        info: String,
        code: String,
        range: Range<usize>,
    },
}

impl Item {
    fn range(&self) -> Range<usize> {
        match self {
            Item::Heading { range, .. } | Item::Fence { range, .. } => range.clone(),
        }
    }
}

/// A fence's info string: its kind, plain words and `key=value` attributes.
struct Fence {
    kind: String,
    words: Vec<String>,
    attrs: Vec<(String, String)>,
    info: String,
}

impl Fence {
    fn parse(info: &str) -> Fence {
        let mut parts = info.split_whitespace();
        let kind = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut words = Vec::new();
        let mut attrs = Vec::new();
        for part in parts {
            match part.split_once('=') {
                Some((k, v)) => attrs.push((k.to_string(), v.to_string())),
                None => words.push(part.to_string()),
            }
        }
        Fence {
            kind,
            words,
            attrs,
            info: info.to_string(),
        }
    }

    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn refuse_other_attrs(&self, allowed: &[&str], line: usize, errors: &mut Vec<FormatError>) {
        for (key, _) in &self.attrs {
            if !allowed.contains(&key.as_str()) {
                errors.push(FormatError {
                    line,
                    message: format!("`{key}=` is not an attribute of a `{}` block", self.kind),
                });
            }
        }
        if self.kind != "program" && self.kind != "original" && !self.words.is_empty() {
            errors.push(FormatError {
                line,
                message: format!(
                    "unexpected `{}` after `{}` (attributes are written key=value)",
                    self.words.join(" "),
                    self.kind
                ),
            });
        }
    }

    /// An ordinary code block, put back as Markdown.
    fn markdown(&self, code: &str) -> String {
        let fence = if code.contains("```") { "````" } else { "```" };
        format!("{fence}{}\n{code}{fence}", self.info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "---\nid: demo\ntitle: A demo\nsummary: Short.\norder: 3\n---\n\nHello **there**.\n\n## Add a key\n\nType this:\n\n```redis\nSET k v\n# then read it\nGET k\n```\n\n```check\n# k holds v\nGET k == v\nran GET k\n```\n\n```hint\nClick the lines.\n```\n\n## Run a program\n\n```program counter.lua\nredis.call('INCR', 'n')\n```\n\n```original js counter.js\nclient.incr('n')\n```\n\n```do\nstart counter.lua\nwait 1s\n```\n\n```check\nprogram counter.lua is finished\nGET n == 1\n```\n";

    #[test]
    fn a_small_exercise_reads_completely() {
        let ex = parse(SMALL).unwrap();
        assert_eq!(ex.id, "demo");
        assert_eq!(ex.title, "A demo");
        assert_eq!(ex.summary, "Short.");
        assert_eq!(ex.order, Some(3));
        assert_eq!(ex.intro, "Hello **there**.");
        assert_eq!(ex.steps.len(), 2);
        let first = &ex.steps[0];
        assert_eq!(first.title, "Add a key");
        assert_eq!(first.line, 10);
        assert_eq!(first.blocks[0], Block::Markdown("Type this:".into()));
        assert_eq!(
            first.blocks[1],
            Block::Commands {
                tab: 1,
                lines: vec![
                    CommandLine::Command("SET k v".into()),
                    CommandLine::Comment("then read it".into()),
                    CommandLine::Command("GET k".into())
                ]
            }
        );
        assert_eq!(first.checks.len(), 2);
        assert_eq!(first.checks[0].label, "k holds v");
        assert_eq!(first.checks[0].line, 22);
        assert_eq!(first.checks[1].label, "ran GET k");
        assert_eq!(first.hints, vec!["Click the lines.".to_string()]);
        assert_eq!(first.show_me().len(), 2);
        let second = &ex.steps[1];
        assert_eq!(ex.programs.len(), 1);
        assert_eq!(ex.programs[0].name, "counter.lua");
        assert_eq!(ex.programs[0].source, "redis.call('INCR', 'n')\n");
        assert_eq!(ex.programs[0].originals[0].language, "js");
        assert_eq!(ex.programs[0].originals[0].title, "counter.js");
        assert_eq!(second.show_me().len(), 2);
        assert_eq!(second.checks.len(), 2);
    }

    fn errors(text: &str) -> Vec<String> {
        match parse(text) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "---\nid: bad id!\ntitel: x\n---\n\n```redis\nGET k\n```\n\n## Step\n\n```check\nGET k === 1\nprogram ghost.lua is running\n```\n\n```redis tab=12\nGET \"k\n```\n\n```do\nstart nobody.lua\nfly away\n```\n";
        let found = errors(text);
        assert_eq!(
            found,
            [
                "line 1: the front matter has no `title:` line",
                "line 2: the id `bad id!` must be 1 to 64 letters, digits, `-` or `_`",
                "line 3: unknown key `titel` (the front matter has id, title, summary, source, order)",
                "line 6: a `redis` block must be inside a step (after a `## ` heading)",
                "line 10: step \"Step\" uses the program `nobody.lua`, which no `program` block defines",
                "line 13: `===` is not a comparison: use ==, !=, <, <=, >, >=, ~, contains or !contains",
                "line 14: no `program` block defines `ghost.lua`",
                "line 17: `tab=12`: a tab is a number from 1 to 9",
                "line 18: unbalanced quotes in this command",
                "line 23: unknown action `fly away` (actions: start, stop, kill, pause, resume, wait, tab, curl)",
            ]
        );
    }

    #[test]
    fn a_file_without_front_matter_or_steps_says_so() {
        assert_eq!(
            errors("Just text"),
            ["line 1: an exercise file starts with a front matter: a `---` line, `id: ...` and `title: ...` lines, and a closing `---` line"]
        );
        assert_eq!(
            errors("---\nid: x\ntitle: y\n---\nNo steps."),
            ["the exercise has no steps: start each step with a `## ` heading"]
        );
        assert_eq!(
            errors("---\nid: x\n"),
            ["line 1: the front matter is not closed: add a `---` line after it"]
        );
    }

    #[test]
    fn ordinary_code_blocks_stay_markdown() {
        let ex = parse("---\nid: x\ntitle: y\n---\n## S\n\n```lua\nprint(1)\n```\n").unwrap();
        assert_eq!(
            ex.steps[0].blocks,
            vec![Block::Markdown("```lua\nprint(1)\n```".into())]
        );
    }

    /// Files made of the format's own pieces in random order (a seeded generator):
    /// every one parses or is refused with messages, none panics.
    #[test]
    fn random_files_never_panic() {
        const PIECES: &[&str] = &[
            "---\n",
            "id: x\n",
            "title: T\n",
            "order: 9\n",
            "## Step\n",
            "# H\n",
            "```redis\n",
            "```redis tab=2\n",
            "```check\n",
            "```do\n",
            "```hint\n",
            "```program p.lua\n",
            "```original js\n",
            "```\n",
            "````\n",
            "GET k == v\n",
            "XINFO GROUPS s @1 @x >= 2\n",
            "ran *\n",
            "output 2 contains é\n",
            "program p.lua is running\n",
            "start p.lua\n",
            "wait 5s\n",
            "curl localhost:3000/\n",
            "\"unbalanced\n",
            "@0 == 1\n",
            "é\u{1F600}\n",
            "\r\n",
            "\n",
            "   ",
            "== ",
            "log p.lua contains x\n",
            "<script>x</script>\n",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut text = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let parts = (seed % 40) as usize;
            for _ in 0..parts {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(PIECES[(seed % PIECES.len() as u64) as usize]);
            }
            if let Ok(ex) = parse(&text) {
                for step in &ex.steps {
                    let _ = step.show_me();
                }
            }
        }
    }

    #[test]
    fn hostile_input_never_panics() {
        for text in [
            "",
            "---",
            "---\n---",
            "---\nid: x\ntitle: y\n---\n## \n```program\n```",
            "---\nid: x\ntitle: y\n---\n## a\n```original\n```\n```original\n```",
            "\u{feff}---\r\nid: x\r\ntitle: y\r\n---\r\n## a\r\n```redis\r\nPING\r\n```\r\n",
            "---\nid: x\ntitle: y\n---\n## é\n```check\n@1 == 2\nGET k @ == 1\n== 1\n```",
        ] {
            let _ = parse(text);
        }
        let ex =
            parse("\u{feff}---\r\nid: x\r\ntitle: y\r\n---\r\n## a\r\n```redis\r\nPING\r\n```\r\n")
                .unwrap();
        assert_eq!(ex.steps[0].show_me().len(), 1);
        let big = "x".repeat(MAX_FILE_BYTES + 1);
        assert_eq!(errors(&big).len(), 1);
    }
}
