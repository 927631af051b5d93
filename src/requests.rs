//! The request pane's model: curl lines sent to the programs that serve HTTP, and the
//! exchanges they made (the request, then "waiting..." until the response comes).
//!
//! The documents run an Express server and call it with curl from another terminal. In
//! the page the server is a program (`app.listen(3000)`) and the terminal is the HTTP
//! tab: a line input taking curl lines, with a history walked by Up and Down like the
//! console's, over the list of exchanges. The curl line is read by
//! `redis_programs::curl`; the request goes to `Programs::request`; this module keeps
//! what the pane shows and picks up responses as the programs produce them (`poll`,
//! called by the desk after every run of the programs). An exercise's `curl ...` action
//! sends through the same `send`.

use std::collections::VecDeque;

use redis_programs::curl::{self, Curl};
use redis_programs::{HttpOutcome, HttpResponse, Programs, RequestId};

use crate::history::History;

/// Exchanges kept (the oldest go first).
pub const MAX_EXCHANGES: usize = 100;

/// One curl line and what came of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Exchange {
    /// Unique within the pane, increasing (a key for the view).
    pub number: u64,
    /// The line as typed.
    pub line: String,
    pub state: ExchangeState,
    /// The answer's order among all answers (None until answered): what "received in
    /// this step" compares with.
    pub answered: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExchangeState {
    /// The line is not a curl line the page can send: curl's (or the page's) message.
    Invalid(String),
    /// Sent; the program has not answered yet.
    Waiting { curl: Curl, id: RequestId },
    /// Answered, or failed (refused, empty reply).
    Done { curl: Curl, outcome: HttpOutcome },
}

impl Exchange {
    /// The response, once answered.
    pub fn response(&self) -> Option<&HttpResponse> {
        match &self.state {
            ExchangeState::Done {
                outcome: HttpOutcome::Answered(r),
                ..
            } => Some(r),
            _ => None,
        }
    }

    pub fn is_waiting(&self) -> bool {
        matches!(self.state, ExchangeState::Waiting { .. })
    }

    /// What the pane shows under the request: curl's error, or None while waiting or
    /// when a response came (the pane draws it in parts).
    pub fn error(&self) -> Option<String> {
        match &self.state {
            ExchangeState::Invalid(message) => Some(message.clone()),
            ExchangeState::Done {
                curl,
                outcome: HttpOutcome::Failed(e),
            } => Some(curl::error_message(curl, e)),
            _ => None,
        }
    }

    /// Whether the line asked for the response's headers (`-i`, `-v`).
    pub fn shows_headers(&self) -> bool {
        match &self.state {
            ExchangeState::Waiting { curl, .. } | ExchangeState::Done { curl, .. } => {
                curl.include || curl.verbose
            }
            ExchangeState::Invalid(_) => false,
        }
    }

    /// `GET /orders/history?count=5 → localhost:3000`, for the exchange's heading.
    pub fn request_line(&self) -> Option<String> {
        match &self.state {
            ExchangeState::Waiting { curl, .. } | ExchangeState::Done { curl, .. } => Some(
                format!("{} (port {})", curl.request_line(), curl.request.port),
            ),
            ExchangeState::Invalid(_) => None,
        }
    }
}

/// The status line and the body of a response, as an exercise's `response contains`
/// goal reads it: `HTTP/1.1 201 Created\n{"success":true}`.
pub fn response_text(response: &HttpResponse) -> String {
    format!("{}\n{}", curl::status_line(response), response.body)
}

/// The pane's exchanges, its input line and history.
#[derive(Default)]
pub struct Requests {
    exchanges: VecDeque<Exchange>,
    next_number: u64,
    answers: u64,
    /// Changes whenever the list does (the view redraws only then).
    revision: u64,
    pub history: History,
    /// What the input holds.
    pub input: String,
    /// The rest of a shell loop's requests (`for n in {1..50}; do curl ...; done`): the
    /// next one is sent once no exchange is waiting, as the shell runs them.
    queued: VecDeque<String>,
}

impl Requests {
    pub fn new() -> Requests {
        Requests::default()
    }

    pub fn exchanges(&self) -> &VecDeque<Exchange> {
        &self.exchanges
    }

    pub fn exchange(&self, number: u64) -> Option<&Exchange> {
        self.exchanges.iter().find(|e| e.number == number)
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// How many answers came so far (an exercise step remembers it when it begins).
    pub fn answers(&self) -> u64 {
        self.answers
    }

    /// The responses answered after the `since`-th answer, oldest first.
    pub fn responses_since(&self, since: u64) -> Vec<&HttpResponse> {
        self.exchanges
            .iter()
            .filter(|e| e.answered.is_some_and(|n| n > since))
            .filter_map(Exchange::response)
            .collect()
    }

    /// Sends a curl line (added to the history): a request to the program on its port,
    /// or an exchange that only shows why it could not be sent. Returns its number.
    /// The programs run the handler later (`poll` picks up the response).
    /// A shell loop line sends its first request now and the others one by one as
    /// each answer comes (`poll`); the number returned is the first one's. A new line
    /// replaces what remained of a loop (as Ctrl+C would end it).
    pub fn send(&mut self, programs: &mut Programs, line: &str) -> u64 {
        let line = line.trim();
        self.history.add(line);
        self.input.clear();
        self.queued.clear();
        match curl::expand(line) {
            Ok(lines) if lines.len() != 1 || lines[0] != line => {
                self.queued = lines.into();
                match self.queued.pop_front() {
                    Some(first) => self.send_one(programs, &first),
                    None => self.add_invalid(programs, line, "the loop has no items".into()),
                }
            }
            Ok(_) => self.send_one(programs, line),
            Err(message) => self.add_invalid(programs, line, message),
        }
    }

    /// Whether a request is waiting for its answer or a loop has more to send.
    pub fn busy(&self) -> bool {
        !self.queued.is_empty() || self.exchanges.iter().any(Exchange::is_waiting)
    }

    fn add_invalid(&mut self, programs: &mut Programs, line: &str, message: String) -> u64 {
        self.push(programs, line, ExchangeState::Invalid(message))
    }

    fn send_one(&mut self, programs: &mut Programs, line: &str) -> u64 {
        let state = match curl::parse(line) {
            Err(message) => ExchangeState::Invalid(message),
            Ok(curl) => {
                let id = programs.request(curl.request.clone());
                ExchangeState::Waiting { curl, id }
            }
        };
        self.push(programs, line, state)
    }

    fn push(&mut self, programs: &mut Programs, line: &str, state: ExchangeState) -> u64 {
        self.next_number += 1;
        self.revision += 1;
        if matches!(state, ExchangeState::Invalid(_)) {
            // A loop stops at a line curl refuses.
            self.queued.clear();
        }
        self.exchanges.push_back(Exchange {
            number: self.next_number,
            line: line.to_string(),
            state,
            answered: None,
        });
        while self.exchanges.len() > MAX_EXCHANGES {
            if let Some(ExchangeState::Waiting { id, .. }) =
                self.exchanges.pop_front().map(|e| e.state)
            {
                // Nobody will look at it: its outcome must not pile up in the host.
                programs.take_response(id);
            }
        }
        self.poll(programs);
        self.next_number
    }

    /// Sends a loop's next request if none is waiting. Returns whether it sent one (the
    /// programs must run again for it to be answered).
    pub fn send_next_queued(&mut self, programs: &mut Programs) -> bool {
        if self.exchanges.iter().any(Exchange::is_waiting) {
            return false;
        }
        match self.queued.pop_front() {
            Some(line) => {
                self.send_one(programs, &line);
                true
            }
            None => false,
        }
    }

    /// Takes the responses that came since the last call. Returns whether any did.
    pub fn poll(&mut self, programs: &mut Programs) -> bool {
        let mut changed = false;
        for exchange in self.exchanges.iter_mut() {
            let ExchangeState::Waiting { curl, id } = &exchange.state else {
                continue;
            };
            if let Some(outcome) = programs.take_response(*id) {
                self.answers += 1;
                exchange.answered = Some(self.answers);
                exchange.state = ExchangeState::Done {
                    curl: curl.clone(),
                    outcome,
                };
                changed = true;
            }
        }
        if changed {
            self.revision += 1;
        }
        changed
    }

    /// Empties the list (Ctrl+L); requests still waiting are forgotten.
    pub fn clear(&mut self, programs: &mut Programs) {
        self.revision += 1;
        self.queued.clear();
        for e in self.exchanges.drain(..) {
            if let ExchangeState::Waiting { id, .. } = e.state {
                programs.take_response(id);
            }
        }
    }

    /// Up: the previous line of the history into the input.
    pub fn history_up(&mut self) -> bool {
        match self.history.up(&self.input) {
            Some(line) => {
                self.input = line;
                true
            }
            None => false,
        }
    }

    /// Down: the next line, or back to what was being typed.
    pub fn history_down(&mut self) -> bool {
        match self.history.down() {
            Some(line) => {
                self.input = line;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis_emulator::Engine;
    use redis_programs::{drive, VirtualClock};

    const API: &str = r#"
app.get('/hello', function(req, res) res.json({hello = req.query.name}) end)
app.get('/wait', function(req, res)
  local r = redis.call('BLPOP', 'jobs', 0)
  res.status(201).send(r[2])
end)
app.listen(3000)
"#;

    fn world() -> (Engine, Programs) {
        let clock = VirtualClock::new(1_700_000_000_000);
        let mut engine = Engine::new(Box::new(clock), 1);
        let mut programs = Programs::new();
        let started = programs.start(&mut engine, "api.lua", API);
        assert!(started.is_ok(), "{started:?}");
        drive::settle(&mut programs, &mut engine, 100_000);
        (engine, programs)
    }

    #[test]
    fn a_line_becomes_an_exchange_answered_when_the_program_has_run() {
        let (mut engine, mut programs) = world();
        let mut pane = Requests::new();
        let n = pane.send(&mut programs, "curl 'localhost:3000/hello?name=ada'");
        assert!(pane.exchange(n).is_some_and(Exchange::is_waiting));
        drive::settle(&mut programs, &mut engine, 100_000);
        assert!(pane.poll(&mut programs));
        let e = pane.exchange(n).cloned();
        let response = e.as_ref().and_then(|e| e.response().cloned());
        assert_eq!(
            response.map(|r| r.body),
            Some(r#"{"hello":"ada"}"#.to_string())
        );
        assert_eq!(
            e.and_then(|e| e.request_line()),
            Some("GET /hello?name=ada (port 3000)".into())
        );
        assert_eq!(pane.answers(), 1);
        assert_eq!(
            pane.history.entries(),
            ["curl 'localhost:3000/hello?name=ada'"]
        );
    }

    #[test]
    fn a_blocked_handler_waits_and_errors_are_shown() {
        let (mut engine, mut programs) = world();
        let mut pane = Requests::new();
        let waiting = pane.send(&mut programs, "curl -i localhost:3000/wait");
        drive::settle(&mut programs, &mut engine, 100_000);
        pane.poll(&mut programs);
        assert!(pane.exchange(waiting).is_some_and(Exchange::is_waiting));
        assert!(pane.exchange(waiting).is_some_and(Exchange::shows_headers));
        let console = engine.connect(redis_emulator::ClientInfo::default());
        engine.execute(
            console,
            &[b"RPUSH".to_vec(), b"jobs".to_vec(), b"j1".to_vec()],
        );
        drive::settle(&mut programs, &mut engine, 100_000);
        pane.poll(&mut programs);
        let texts: Vec<String> = pane
            .responses_since(0)
            .into_iter()
            .map(response_text)
            .collect();
        assert_eq!(texts, ["HTTP/1.1 201 Created\nj1"]);
        assert!(pane.responses_since(1).is_empty());
        let refused = pane.send(&mut programs, "curl localhost:4000/");
        assert_eq!(
            pane.exchange(refused).and_then(Exchange::error).as_deref(),
            Some("curl: (7) Failed to connect to localhost port 4000: Connection refused")
        );
        let invalid = pane.send(&mut programs, "curl http://example.com/");
        assert!(pane
            .exchange(invalid)
            .and_then(Exchange::error)
            .is_some_and(|e| e.contains("no network")));
        assert!(pane.history_up());
        assert_eq!(pane.input, "curl http://example.com/");
        assert!(pane.history_down());
        assert_eq!(pane.input, "");
        pane.clear(&mut programs);
        assert!(pane.exchanges().is_empty());
    }

    /// The documents' `for n in {1..50}; do curl ...; done`: one exchange per request,
    /// each sent once the one before is answered; a refused line stops the loop.
    #[test]
    fn a_shell_loop_sends_its_requests_one_after_the_other() {
        let (mut engine, mut programs) = world();
        let mut pane = Requests::new();
        let first = pane.send(
            &mut programs,
            r#"for n in {1..3}; do curl "localhost:3000/hello?name=$n" ; echo ""; done"#,
        );
        assert_eq!(pane.exchanges().len(), 1);
        assert!(pane.busy());
        // The second is not sent while the first waits.
        assert!(!pane.send_next_queued(&mut programs));
        for _ in 0..3 {
            drive::settle(&mut programs, &mut engine, 100_000);
            pane.poll(&mut programs);
            pane.send_next_queued(&mut programs);
        }
        assert!(!pane.busy());
        let bodies: Vec<String> = pane
            .exchanges()
            .iter()
            .filter_map(|e| e.response().map(|r| r.body.clone()))
            .collect();
        assert_eq!(
            bodies,
            [r#"{"hello":"1"}"#, r#"{"hello":"2"}"#, r#"{"hello":"3"}"#]
        );
        assert_eq!(pane.exchanges()[0].number, first);
        assert_eq!(pane.history.entries().len(), 1);

        let n = pane.send(
            &mut programs,
            "for n in {1..3}; do curl http://example.com/$n; done",
        );
        assert!(pane.exchange(n).and_then(Exchange::error).is_some());
        assert!(!pane.busy());
        let n = pane.send(&mut programs, "for n in 1 2; curl x; done");
        assert!(pane.exchange(n).and_then(Exchange::error).is_some());
    }
}
