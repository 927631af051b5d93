//! What a course page asks of an embedded playground through its URL: the layout, the
//! commands to run on opening, read-only mode, the theme. Read once at start; an
//! unknown value is named in a notice (never an error page), and the page opens with
//! the default for it.
//!
//! - `layout=console` (the console alone), `layout=full` (console and visualisation, the
//!   default), `layout=exercise` (the guide and the console: for a narrow iframe);
//! - `commands=SET greeting hello%0AGET greeting`: lines run in the console on opening,
//!   one per line (`%0A`), as if typed (at most `MAX_COMMANDS`);
//! - `readonly=1`: the server is a read-only replica: writes get Redis's READONLY error;
//! - `theme=light` or `theme=dark` (not saved as the learner's choice).

/// The most lines `commands=` may carry.
pub const MAX_COMMANDS: usize = 100;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// The console alone.
    Console,
    /// Console and visualisation pane.
    #[default]
    Full,
    /// The guide and the console.
    Exercise,
}

impl Layout {
    /// The class the page's root gets.
    pub fn class(self) -> &'static str {
        match self {
            Layout::Console => "layout-console",
            Layout::Full => "layout-full",
            Layout::Exercise => "layout-exercise",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub layout: Layout,
    pub commands: Vec<String>,
    pub read_only: bool,
    pub theme: Option<&'static str>,
    /// What could not be used, for a notice.
    pub problems: Vec<String>,
}

/// Reads the options from URL parameters (`param(name)` gives one, decoded).
pub fn parse(param: impl Fn(&str) -> Option<String>) -> Options {
    let mut o = Options::default();
    match param("layout").as_deref() {
        None | Some("full") | Some("") => {}
        Some("console") => o.layout = Layout::Console,
        Some("exercise") => o.layout = Layout::Exercise,
        Some(other) => o.problems.push(format!(
            "layout={} is not a layout (console, full, exercise)",
            shown(other)
        )),
    }
    if let Some(text) = param("commands") {
        let lines: Vec<String> = text
            .replace("\r\n", "\n")
            .split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        if lines.len() > MAX_COMMANDS {
            o.problems.push(format!(
                "commands= has {} lines; the first {MAX_COMMANDS} ran",
                lines.len()
            ));
        }
        o.commands = lines.into_iter().take(MAX_COMMANDS).collect();
    }
    match param("readonly").as_deref() {
        None | Some("0") | Some("false") | Some("no") => {}
        Some("1") | Some("true") | Some("yes") | Some("") => o.read_only = true,
        Some(other) => o.problems.push(format!(
            "readonly={} is not 1 or 0 (the page is read-only to be safe)",
            shown(other)
        )),
    }
    if o.problems.iter().any(|p| p.starts_with("readonly=")) {
        o.read_only = true;
    }
    match param("theme").as_deref() {
        None => {}
        Some("light") => o.theme = Some("light"),
        Some("dark") => o.theme = Some("dark"),
        Some(other) => o
            .problems
            .push(format!("theme={} is not light or dark", shown(other))),
    }
    o
}

/// A parameter's value as a notice shows it: at most 40 characters.
fn shown(value: &str) -> String {
    let mut s: String = value.chars().take(40).collect();
    if value.chars().count() > 40 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Options {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_and_each_option() {
        assert_eq!(with(&[]), Options::default());
        let o = with(&[
            ("layout", "console"),
            ("commands", "SET a 1\r\n\n  GET a  \n"),
            ("readonly", "1"),
            ("theme", "light"),
        ]);
        assert_eq!(o.layout, Layout::Console);
        assert_eq!(o.commands, vec!["SET a 1", "GET a"]);
        assert!(o.read_only);
        assert_eq!(o.theme, Some("light"));
        assert!(o.problems.is_empty());
    }

    #[test]
    fn bad_values_are_named_and_read_only_errs_on_the_safe_side() {
        let o = with(&[
            ("layout", "<script>"),
            ("readonly", "maybe"),
            ("theme", "x".repeat(100).as_str()),
        ]);
        assert_eq!(o.layout, Layout::Full);
        assert!(o.read_only);
        assert_eq!(o.problems.len(), 3);
        assert!(o.problems[2].ends_with("x… is not light or dark"));
        let many: String = (0..150).map(|i| format!("SET k{i} v\n")).collect();
        let o = with(&[("commands", many.as_str())]);
        assert_eq!(o.commands.len(), MAX_COMMANDS);
        assert_eq!(
            o.problems,
            vec!["commands= has 150 lines; the first 100 ran"]
        );
    }
}
