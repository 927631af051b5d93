//! Actions: what "Show me" does besides typing commands (the lines of `do` blocks), and
//! the typed commands themselves, so a step's "Show me" is one list.

/// One thing "Show me" does.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Type a command line into console tab `tab` (1-based) and press Enter.
    Type {
        tab: usize,
        line: String,
    },
    /// Start (or restart) a program.
    Start(String),
    /// Ctrl+C.
    Stop(String),
    Kill(String),
    Pause(String),
    Resume(String),
    /// Let virtual time pass (ms).
    Wait(u64),
    /// Show console tab N (opened if needed).
    Tab(usize),
    /// An HTTP request, as a curl line.
    Curl(String),
}

impl Action {
    /// The program an action is about, if any.
    pub fn program(&self) -> Option<&str> {
        match self {
            Action::Start(n)
            | Action::Stop(n)
            | Action::Kill(n)
            | Action::Pause(n)
            | Action::Resume(n) => Some(n),
            _ => None,
        }
    }

    /// How the page words it on its button.
    pub fn label(&self) -> String {
        match self {
            Action::Type { tab: 1, line } => line.clone(),
            Action::Type { tab, line } => format!("[tab {tab}] {line}"),
            Action::Start(n) => format!("Start {n}"),
            Action::Stop(n) => format!("Stop {n} (Ctrl+C)"),
            Action::Kill(n) => format!("Kill {n}"),
            Action::Pause(n) => format!("Pause {n}"),
            Action::Resume(n) => format!("Resume {n}"),
            Action::Wait(ms) => format!("Let {} pass", duration_label(*ms)),
            Action::Tab(n) => format!("Open console tab {n}"),
            Action::Curl(line) => line.clone(),
        }
    }
}

/// The longest `wait` (a day of virtual time).
pub const MAX_WAIT_MS: u64 = 24 * 3600 * 1000;

/// Reads one line of a `do` block.
pub fn parse_action(line: &str) -> Result<Action, String> {
    let line = line.trim();
    let (verb, rest) = match line.split_once(char::is_whitespace) {
        Some((verb, rest)) => (verb, rest.trim()),
        None => (line, ""),
    };
    let program = |make: fn(String) -> Action| {
        if rest.is_empty() || rest.contains(char::is_whitespace) {
            Err(format!("write `{verb} NAME` (one program name)"))
        } else {
            Ok(make(rest.to_string()))
        }
    };
    match verb.to_ascii_lowercase().as_str() {
        "start" => program(Action::Start),
        "stop" => program(Action::Stop),
        "kill" => program(Action::Kill),
        "pause" => program(Action::Pause),
        "resume" => program(Action::Resume),
        "wait" => parse_duration(rest).map(Action::Wait),
        "tab" => match rest.parse::<usize>() {
            Ok(n) if (1..=9).contains(&n) => Ok(Action::Tab(n)),
            _ => Err(format!("`tab {rest}`: a tab is a number from 1 to 9")),
        },
        // The documents' shell loop of curl requests (`for n in {1..50}; do curl ...; done`).
        "curl" | "for" => Ok(Action::Curl(line.to_string())),
        _ => Err(format!(
            "unknown action `{line}` (actions: start, stop, kill, pause, resume, wait, tab, curl)"
        )),
    }
}

/// `5s`, `500ms`, `2m`, `1h`, `1.5s`.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit_ms) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000.0)
    } else if let Some(n) = text.strip_suffix('h') {
        (n, 3_600_000.0)
    } else {
        return Err(format!(
            "`wait {text}`: write a duration with its unit: 500ms, 5s, 2m, 1h"
        ));
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`wait {text}`: `{number}` is not a number"))?;
    let ms = value * unit_ms;
    if !ms.is_finite() || ms < 0.0 || ms > MAX_WAIT_MS as f64 {
        return Err(format!("`wait {text}`: a wait is between 0 and 24h"));
    }
    Ok(ms.round() as u64)
}

/// `5 s`, `1 min 30 s`, `250 ms`.
pub fn duration_label(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        if ms.is_multiple_of(1000) {
            format!("{} s", ms / 1000)
        } else {
            format!("{:.1} s", ms as f64 / 1000.0)
        }
    } else {
        let minutes = ms / 60_000;
        let seconds = (ms % 60_000) / 1000;
        if seconds == 0 {
            format!("{minutes} min")
        } else {
            format!("{minutes} min {seconds} s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_their_words() {
        assert_eq!(
            parse_action("start worker.lua"),
            Ok(Action::Start("worker.lua".into()))
        );
        assert_eq!(parse_action("wait 5s"), Ok(Action::Wait(5000)));
        assert_eq!(parse_action("wait 1.5s"), Ok(Action::Wait(1500)));
        assert_eq!(parse_action("wait 250ms"), Ok(Action::Wait(250)));
        assert_eq!(parse_action("wait 2m"), Ok(Action::Wait(120_000)));
        assert_eq!(parse_action("tab 2"), Ok(Action::Tab(2)));
        assert_eq!(
            parse_action("curl http://localhost:3000/x"),
            Ok(Action::Curl("curl http://localhost:3000/x".into()))
        );
        for bad in [
            "start",
            "start a b",
            "wait 5",
            "wait xs",
            "wait 48h",
            "tab 0",
            "jump",
        ] {
            assert!(parse_action(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration_label(250), "250 ms");
        assert_eq!(duration_label(5000), "5 s");
        assert_eq!(duration_label(1500), "1.5 s");
        assert_eq!(duration_label(90_000), "1 min 30 s");
        assert_eq!(duration_label(120_000), "2 min");
    }
}
