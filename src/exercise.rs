//! A guided exercise in the page: where the learner is (the session), what "Show me"
//! does to the page's model (consoles, programs, time), and what goal checks read.
//!
//! The exercise file itself is read by the `redis-exercises` crate; this module runs it
//! on the page's own pieces: typing goes through the same `Console` as the learner's
//! keys, programs through the same `Desk` as the program tabs, time through the same
//! virtual clock. The native tests below replay every built-in exercise this way, so an
//! exercise that passes them works the same in the page.

use redis_emulator::{ClientInfo, Reply};
use redis_exercises::{Action, Exercise, World};
use redis_programs::ProgramState;

use crate::app::AppState;
use crate::console::{self, Kind};
use crate::programs_ui::MAX_PROGRAMS;
use crate::requests::{response_text, ExchangeState};

/// Where a learner is in an exercise, and what the page shows about it.
#[derive(Clone, Debug)]
pub struct Session {
    pub exercise: Exercise,
    /// The step shown; `None` is the introduction.
    pub step: Option<usize>,
    /// Which steps were completed (their goals all held once).
    pub done: Vec<bool>,
    /// Whether each goal of the shown step holds now.
    pub goals: Vec<bool>,
    /// How many of the shown step's hints are open.
    pub hints_shown: usize,
    /// Console entries after this id belong to the shown step (`ran`, `output` goals).
    since: u64,
    /// A word from the page about the step (the server rebuilt after a reload).
    pub notice: Option<String>,
    /// HTTP answers after this many belong to the shown step (`response` goals).
    answers_since: u64,
}

impl Session {
    /// A session at the introduction, or where `progress` left it.
    pub fn new(exercise: Exercise, progress: Option<&str>) -> Session {
        let steps = exercise.steps.len();
        let mut session = Session {
            exercise,
            step: None,
            done: vec![false; steps],
            goals: Vec::new(),
            hints_shown: 0,
            since: console::last_entry_id(),
            notice: None,
            answers_since: 0,
        };
        if let Some(progress) = progress.and_then(|p| Progress::parse(p, steps)) {
            session.done = progress.done;
            session.step = progress.step;
            session.goals = vec![false; session.current().map_or(0, |s| s.checks.len())];
        }
        session
    }

    pub fn current(&self) -> Option<&redis_exercises::Step> {
        self.step.and_then(|i| self.exercise.steps.get(i))
    }

    /// Shows step `index` (or the introduction): its goals count from now. A step
    /// without goals (reading only) is done once shown.
    /// `answers`: how many HTTP answers the page has had (`Requests::answers`); later
    /// ones count for the step's `response` goals.
    pub fn go_to(&mut self, index: Option<usize>, answers: u64) {
        self.step = index.filter(|&i| i < self.exercise.steps.len());
        self.hints_shown = 0;
        self.notice = None;
        self.since = console::last_entry_id();
        self.answers_since = answers;
        self.goals = vec![false; self.current().map_or(0, |s| s.checks.len())];
        if let Some(i) = self.step {
            if self.exercise.steps[i].checks.is_empty() {
                self.done[i] = true;
            }
        }
    }

    /// The next step, or the first from the introduction; None after the last.
    pub fn next_index(&self) -> Option<usize> {
        let next = self.step.map_or(0, |i| i + 1);
        (next < self.exercise.steps.len()).then_some(next)
    }

    /// Evaluates the shown step's goals; a step whose goals all hold is done. Returns
    /// whether anything the page shows changed.
    pub fn evaluate(&mut self, state: &mut AppState) -> bool {
        let Some(index) = self.step else {
            return false;
        };
        let Some(step) = self.exercise.steps.get(index) else {
            return false;
        };
        let mut world = PageWorld {
            state,
            since: self.since,
            answers_since: self.answers_since,
        };
        let goals: Vec<bool> = step
            .checks
            .iter()
            .map(|goal| redis_exercises::holds(&goal.check, &mut world))
            .collect();
        let newly_done = !goals.is_empty() && goals.iter().all(|g| *g) && !self.done[index];
        let changed = goals != self.goals || newly_done;
        self.goals = goals;
        if newly_done {
            self.done[index] = true;
        }
        changed
    }

    /// Whether the shown step's goals all hold (a step without goals: once shown).
    pub fn step_complete(&self) -> bool {
        match self.step {
            Some(i) => self.done.get(i).copied().unwrap_or(false),
            None => false,
        }
    }

    /// Every step is done.
    pub fn finished(&self) -> bool {
        !self.done.is_empty() && self.done.iter().all(|d| *d)
    }

    /// The progress as saved in the browser.
    pub fn progress(&self) -> String {
        Progress {
            step: self.step,
            done: self.done.clone(),
        }
        .to_text()
    }

    /// How many steps are done, of how many.
    pub fn counts(&self) -> (usize, usize) {
        (self.done.iter().filter(|d| **d).count(), self.done.len())
    }
}

/// An exercise's saved progress: `v1 step=N done=0110` (`step=-` is the introduction).
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub step: Option<usize>,
    pub done: Vec<bool>,
}

impl Progress {
    pub fn to_text(&self) -> String {
        let step = self.step.map_or("-".to_string(), |s| s.to_string());
        let done: String = self
            .done
            .iter()
            .map(|d| if *d { '1' } else { '0' })
            .collect();
        format!("v1 step={step} done={done}")
    }

    /// Reads saved progress for an exercise of `steps` steps; None when it is not
    /// readable or not of this exercise's shape (the file changed): the learner starts
    /// over rather than see a wrong step marked done.
    pub fn parse(text: &str, steps: usize) -> Option<Progress> {
        let mut words = text.split_whitespace();
        if words.next()? != "v1" {
            return None;
        }
        let step = words.next()?.strip_prefix("step=")?;
        let step = match step {
            "-" => None,
            n => Some(n.parse::<usize>().ok().filter(|&n| n < steps)?),
        };
        let done = words.next()?.strip_prefix("done=")?;
        if done.len() != steps || !done.chars().all(|c| c == '0' || c == '1') {
            return None;
        }
        Some(Progress {
            step,
            done: done.chars().map(|c| c == '1').collect(),
        })
    }
}

/// Does one action of "Show me" on the page's model. An error is a sentence for the
/// learner (an action that cannot be done now, such as typing into a waiting console).
pub fn perform(state: &mut AppState, exercise: &Exercise, action: &Action) -> Result<(), String> {
    let result = match action {
        Action::Type { tab, line } => type_line(state, *tab, line),
        Action::Tab(tab) => show_tab(state, *tab),
        Action::Start(name) => start_program(state, exercise, name),
        Action::Stop(name) => with_program(state, name, |state, index| {
            state.progs.stop(&mut state.pg.engine, index)
        }),
        Action::Kill(name) => with_program(state, name, |state, index| {
            state.progs.kill(&mut state.pg.engine, index)
        }),
        Action::Pause(name) => with_program(state, name, |state, index| state.progs.pause(index)),
        Action::Resume(name) => with_program(state, name, |state, index| state.progs.resume(index)),
        Action::Wait(ms) => {
            let ms = i64::try_from(*ms).unwrap_or(i64::MAX);
            state.progs.step(&mut state.pg.engine, ms, &|| true);
            // The page removes expired keys every second, as Redis's serverCron does.
            if ms >= 1000 {
                state.pg.engine.active_expire(usize::MAX);
            }
            Ok(())
        }
        Action::Curl(line) => send_curl(state, line),
    };
    // What the action set off runs now: programs woken by a typed XADD, replies to
    // consoles that waited.
    state.progs.step(&mut state.pg.engine, 0, &|| true);
    state.deliver_all();
    result
}

/// How long (virtual time) a `curl` action waits for its response.
const CURL_WAIT_MS: i64 = 60_000;

/// Sends a curl line from the HTTP tab (shown) and waits for the response in virtual
/// time, the programs running at every wakeup, up to `CURL_WAIT_MS`. A response that
/// does not come (a handler blocked until the learner acts) leaves the exchange
/// waiting; a line that is not a curl line the page can send is an error.
fn send_curl(state: &mut AppState, line: &str) -> Result<(), String> {
    state.progs.show_http();
    let number = state.progs.send_curl(&mut state.pg.engine, line, &|| true);
    let deadline = state.progs.clock.now_ms().saturating_add(CURL_WAIT_MS);
    loop {
        if let Some(ExchangeState::Invalid(message)) =
            state.progs.http.exchange(number).map(|e| &e.state)
        {
            return Err(message.clone());
        }
        // A shell loop's requests go one after the other: wait for the last.
        if !state.progs.http.busy() {
            return Ok(());
        }
        let now = state.progs.clock.now_ms();
        let next = state
            .progs
            .programs
            .next_timed_wakeup_ms(&state.pg.engine)
            .filter(|&t| t > now && t <= deadline);
        let Some(next) = next else {
            return Ok(());
        };
        state.progs.step(&mut state.pg.engine, next - now, &|| true);
    }
}

fn show_tab(state: &mut AppState, tab: usize) -> Result<(), String> {
    if tab == 0 {
        return Err("console tabs are numbered from 1".into());
    }
    while state.tabs.len() < tab {
        if !state.open_tab() {
            return Err(format!(
                "console tab {tab} can't be opened: {} tabs are open",
                state.tabs.len()
            ));
        }
    }
    state.active = tab - 1;
    state.progs.shown = None;
    state.progs.http_shown = false;
    Ok(())
}

fn type_line(state: &mut AppState, tab: usize, line: &str) -> Result<(), String> {
    show_tab(state, tab)?;
    let console = &mut state.tabs[tab - 1].console;
    if console.is_waiting() {
        return Err(format!(
            "console tab {tab} is waiting for a reply (press Ctrl+C there first)"
        ));
    }
    console.set_input(line);
    console.submit(&mut state.pg);
    Ok(())
}

fn start_program(state: &mut AppState, exercise: &Exercise, name: &str) -> Result<(), String> {
    let Some(def) = exercise.programs.iter().find(|p| p.name == name) else {
        return Err(format!("this exercise has no program `{name}`"));
    };
    if state.progs.find(name).is_none() && state.progs.tabs.len() >= MAX_PROGRAMS {
        make_room(state, exercise);
    }
    let Some(index) = state.progs.open_named(&def.name, &def.source) else {
        return Err("too many program tabs are open: close one".into());
    };
    let modules: Vec<(&str, &str)> = exercise
        .programs
        .iter()
        .map(|p| (p.name.as_str(), p.source.as_str()))
        .collect();
    if state
        .progs
        .run_with_modules(&mut state.pg.engine, index, &modules)
    {
        Ok(())
    } else {
        let error = state.progs.tabs[index].error.clone().unwrap_or_default();
        Err(format!("{name} does not compile: {error}"))
    }
}

/// All program tabs are open: the oldest one of this exercise that has ended and was
/// never edited is closed (its log goes with it; the exercise can start it again).
fn make_room(state: &mut AppState, exercise: &Exercise) {
    let ended_unedited = (0..state.progs.tabs.len()).find(|&i| {
        let tab = &state.progs.tabs[i];
        let ended = state.progs.state(i).is_some_and(|s| !s.is_live());
        ended
            && exercise
                .programs
                .iter()
                .any(|p| p.name == tab.name && p.source == tab.draft)
    });
    if let Some(index) = ended_unedited {
        state.progs.close(&mut state.pg.engine, index);
    }
}

fn with_program(
    state: &mut AppState,
    name: &str,
    act: impl FnOnce(&mut AppState, usize) -> bool,
) -> Result<(), String> {
    let Some(index) = state.progs.find(name) else {
        return Err(format!("{name} is not open"));
    };
    state.progs.shown = Some(index);
    if act(state, index) {
        Ok(())
    } else {
        Err(format!("{name} is not running"))
    }
}

/// Does step `index`'s "Show me", stopping at the first action that can't be done.
pub fn show_me(state: &mut AppState, exercise: &Exercise, index: usize) -> Result<(), String> {
    let Some(step) = exercise.steps.get(index) else {
        return Ok(());
    };
    for action in step.show_me() {
        perform(state, exercise, &action)?;
    }
    Ok(())
}

/// Puts the server back to empty for an exercise: its programs closed, extra console
/// tabs closed, the first tab no longer waiting, every database, script and function
/// flushed (by an administrative client of its own, as a learner could).
pub fn reset_server(state: &mut AppState, exercise: &Exercise) {
    for def in &exercise.programs {
        if let Some(index) = state.progs.find(&def.name) {
            state.progs.close(&mut state.pg.engine, index);
        }
    }
    while state.tabs.len() > 1 {
        state.close_tab(state.tabs.len() - 1);
    }
    state.active = 0;
    state.progs.shown = None;
    state.progs.http_shown = false;
    let desk = &mut state.progs;
    desk.http.clear(&mut desk.programs);
    if state.tabs[0].console.is_waiting() {
        state.tabs[0].console.interrupt(&mut state.pg);
    }
    let engine = &mut state.pg.engine;
    let admin = engine.connect(ClientInfo {
        addr: "127.0.0.1:0".into(),
        ..ClientInfo::default()
    });
    for command in [
        &["FLUSHALL"][..],
        &["SCRIPT", "FLUSH"][..],
        &["FUNCTION", "FLUSH"][..],
    ] {
        let argv: Vec<Vec<u8>> = command.iter().map(|a| a.as_bytes().to_vec()).collect();
        engine.execute(admin, &argv);
    }
    engine.disconnect(admin);
    state.deliver_all();
}

/// Resets the server and replays steps before `index` (what "Reset step" does).
pub fn replay_to(state: &mut AppState, exercise: &Exercise, index: usize) -> Result<(), String> {
    reset_server(state, exercise);
    for earlier in 0..index.min(exercise.steps.len()) {
        show_me(state, exercise, earlier)?;
    }
    Ok(())
}

/// Opening an exercise: program tabs that another built-in exercise opened and the
/// learner never edited or left running are closed (they would crowd the eight tabs, and
/// a name both exercises use would run the other's code), and a tab of this exercise's
/// program that still holds another exercise's unedited code gets this one's. Tabs the
/// learner wrote or changed stay as they are.
pub fn tidy_program_tabs(state: &mut AppState, exercise: &Exercise) {
    let all = crate::built_in::exercises();
    let others: Vec<(String, String)> = all
        .iter()
        .filter(|e| e.id != exercise.id)
        .flat_map(|e| {
            e.programs
                .iter()
                .map(|p| (p.name.clone(), p.source.clone()))
        })
        .collect();
    let unedited_other = |name: &str, draft: &str| {
        others
            .iter()
            .any(|(n, source)| n == name && source == draft)
    };
    for index in (0..state.progs.tabs.len()).rev() {
        let live = state.progs.state(index).is_some_and(|s| s.is_live());
        let tab = &state.progs.tabs[index];
        if live || !unedited_other(&tab.name, &tab.draft) {
            continue;
        }
        match exercise.programs.iter().find(|p| p.name == tab.name) {
            Some(own) => state.progs.tabs[index].draft = own.source.clone(),
            None => state.progs.close(&mut state.pg.engine, index),
        }
    }
}

/// Opening an exercise where saved progress left it, on a server that has no data (the
/// browser kept none: storage off, cleared, or another browser): the earlier steps are
/// replayed so the shown step starts from the state it expects. Returns whether it did.
pub fn rebuild_after_reload(state: &mut AppState, session: &mut Session) -> bool {
    let Some(step) = session.step.filter(|&s| s > 0) else {
        return false;
    };
    let empty = (0..16).all(|db| state.pg.engine.db(db).is_none_or(|d| d.is_empty()));
    if !empty {
        return false;
    }
    let exercise = session.exercise.clone();
    let result = replay_to(state, &exercise, step);
    session.go_to(Some(step), state.progs.http.answers());
    session.notice = Some(match result {
        Ok(()) => format!(
            "The server was rebuilt as it was when step {} began (this browser had no saved data for it).",
            step + 1
        ),
        Err(e) => format!("The server could not be rebuilt for this step: {e}"),
    });
    true
}

/// What goal checks read in the page.
pub struct PageWorld<'a> {
    pub state: &'a mut AppState,
    /// Console entries after this id count (the step's).
    pub since: u64,
    /// HTTP answers after this many count (the step's).
    pub answers_since: u64,
}

impl World for PageWorld<'_> {
    fn inspect(&mut self, argv: &[Vec<u8>]) -> Reply {
        inspect(self.state, argv)
    }

    fn program_state(&self, name: &str) -> Option<ProgramState> {
        let index = self.state.progs.find(name)?;
        self.state.progs.state(index)
    }

    fn program_log(&self, name: &str) -> Vec<String> {
        let Some(index) = self.state.progs.find(name) else {
            return Vec::new();
        };
        let Some(id) = self.state.progs.id(index) else {
            return Vec::new();
        };
        self.state
            .progs
            .programs
            .log(id)
            .into_iter()
            .map(|l| l.text)
            .collect()
    }

    fn typed(&self) -> Vec<(usize, String)> {
        self.entries(|kind| kind == Kind::Command)
    }

    fn output(&self) -> Vec<(usize, String)> {
        self.entries(|kind| matches!(kind, Kind::Reply | Kind::Error))
    }

    fn responses(&self) -> Vec<(u16, String)> {
        self.state
            .progs
            .http
            .responses_since(self.answers_since)
            .into_iter()
            .map(|r| (r.status, response_text(r)))
            .collect()
    }
}

impl PageWorld<'_> {
    fn entries(&self, wanted: impl Fn(Kind) -> bool) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (position, tab) in self.state.tabs.iter().enumerate() {
            for entry in tab.console.entries() {
                if entry.id > self.since && wanted(entry.kind) {
                    out.push((position + 1, entry.text.clone()));
                }
            }
        }
        out
    }
}

/// Runs a goal's read-only command in database 0 without the learner seeing it.
fn inspect(state: &mut AppState, argv: &[Vec<u8>]) -> Reply {
    state.pg.engine.inspect(0, argv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppState;

    fn exercise(text: &str) -> Exercise {
        match redis_exercises::parse(text) {
            Ok(ex) => ex,
            Err(errors) => panic!("{errors:?}"),
        }
    }

    /// Replays an exercise as a learner pressing "Show me" on every step would: before
    /// a step that acts, not all of its goals hold; after it, all do.
    fn replay(ex: &Exercise) -> Result<(), String> {
        let mut state = AppState::for_tests();
        let mut session = Session::new(ex.clone(), None);
        for (index, step) in ex.steps.iter().enumerate() {
            session.go_to(Some(index), state.progs.http.answers());
            session.evaluate(&mut state);
            if step.has_actions() && !step.checks.is_empty() && session.step_complete() {
                return Err(format!(
                    "{}: step {} \"{}\": its goals all hold before Show me",
                    ex.id,
                    index + 1,
                    step.title
                ));
            }
            show_me(&mut state, ex, index)
                .map_err(|e| format!("{}: step {} \"{}\": {e}", ex.id, index + 1, step.title))?;
            session.evaluate(&mut state);
            let failing: Vec<&str> = step
                .checks
                .iter()
                .zip(&session.goals)
                .filter(|(_, ok)| !**ok)
                .map(|(goal, _)| goal.label.as_str())
                .collect();
            if !failing.is_empty() {
                return Err(format!(
                    "{}: step {} \"{}\": after Show me these goals do not hold: {failing:?}",
                    ex.id,
                    index + 1,
                    step.title
                ));
            }
        }
        Ok(())
    }

    #[test]
    fn every_built_in_exercise_replays() {
        let (exercises, broken) = (crate::built_in::exercises(), crate::built_in::problems());
        assert!(broken.is_empty(), "{broken:?}");
        let failures: Vec<String> = exercises.iter().filter_map(|ex| replay(ex).err()).collect();
        assert!(failures.is_empty(), "{failures:#?}");
    }

    const DEMO: &str = "---\nid: demo\ntitle: Demo\n---\nIntro.\n\n## Set\n\n```redis\nSET k v\n```\n\n```check\nGET k == v\nran SET k *\noutput contains OK\n```\n\n## Block\n\n```redis tab=2\nXREAD BLOCK 0 STREAMS s $\n```\n\n```redis\nXADD s * a 1\n```\n\n```check\noutput 2 contains \"a\"\nXLEN s == 1\n```\n\n## Count\n\n```program counter.lua\nfor i = 1, 3 do redis.call('INCR', 'n') sleep(1) end\n```\n\n```do\nstart counter.lua\nwait 5s\n```\n\n```check\nprogram counter.lua is finished\nGET n == 3\nlog counter.lua contains finished\n```\n";

    #[test]
    fn show_me_types_opens_tabs_runs_programs_and_moves_time() {
        let ex = exercise(DEMO);
        assert_eq!(replay(&ex), Ok(()));
    }

    #[test]
    fn a_step_whose_goals_already_hold_is_reported() {
        let ex = exercise("---\nid: x\ntitle: X\n---\n## A\n```redis\nPING\n```\n```check\nEXISTS nothing == 0\n```\n");
        let error = replay(&ex).unwrap_err();
        assert!(
            error.contains("its goals all hold before Show me"),
            "{error}"
        );
        let ex = exercise(
            "---\nid: x\ntitle: X\n---\n## A\n```redis\nSET a 1\n```\n```check\nGET a == 2\n```\n",
        );
        let error = replay(&ex).unwrap_err();
        assert!(
            error.contains("these goals do not hold: [\"GET a == 2\"]"),
            "{error}"
        );
    }

    #[test]
    fn goals_are_invisible_and_ran_counts_only_the_step() {
        let ex = exercise(DEMO);
        let mut state = AppState::for_tests();
        let mut session = Session::new(ex.clone(), None);
        // Typed before the step was shown: not counted by `ran`/`output`.
        perform(
            &mut state,
            &ex,
            &Action::Type {
                tab: 1,
                line: "SET k v".into(),
            },
        )
        .unwrap();
        session.go_to(Some(0), state.progs.http.answers());
        session.evaluate(&mut state);
        assert_eq!(session.goals, vec![true, false, false]);
        perform(
            &mut state,
            &ex,
            &Action::Type {
                tab: 1,
                line: "set   k   v".into(),
            },
        )
        .unwrap();
        assert!(session.evaluate(&mut state));
        assert_eq!(session.goals, vec![true, true, true]);
        assert!(session.step_complete());
        // Checks ran no command a client could see.
        let info = state.pg.engine.execute(
            state.tabs[0].console.client(),
            &crate::playground::testing::argv("INFO commandstats"),
        );
        let text = redis_exercises::check::reply_text(&info);
        assert!(!text.contains("cmdstat_get"), "{text}");
    }

    #[test]
    fn reset_and_replay_put_the_server_back_at_a_step() {
        let ex = exercise(DEMO);
        let mut state = AppState::for_tests();
        show_me(&mut state, &ex, 0).unwrap();
        show_me(&mut state, &ex, 1).unwrap();
        show_me(&mut state, &ex, 2).unwrap();
        replay_to(&mut state, &ex, 1).unwrap();
        assert_eq!(state.tabs.len(), 1);
        assert!(state.progs.find("counter.lua").is_none());
        let mut world = PageWorld {
            state: &mut state,
            since: 0,
            answers_since: 0,
        };
        assert_eq!(
            world.inspect(&[b"GET".to_vec(), b"k".to_vec()]),
            Reply::bulk_str("v")
        );
        assert_eq!(
            world.inspect(&[b"EXISTS".to_vec(), b"s".to_vec()]),
            Reply::Integer(0)
        );
        assert_eq!(
            world.inspect(&[b"EXISTS".to_vec(), b"n".to_vec()]),
            Reply::Integer(0)
        );
    }

    const HTTP_DEMO: &str = "---\nid: http\ntitle: HTTP\n---\nIntro.\n\n## Serve\n\n```program api.lua\napp.post('/orders', function(req, res)\n  sleep(2)\n  local id = redis.call('XADD', 'orders', '*', 'product', req.json.product)\n  res.status(201).json({success = true, messageId = id})\nend)\napp.get('/wait', function(req, res) res.send(redis.call('BLPOP', 'jobs', 0)[2]) end)\napp.listen(3000)\n```\n\n```do\nstart api.lua\ncurl -X POST localhost:3000/orders -H 'Content-Type: application/json' -d '{\"product\": \"Laptop\"}'\n```\n\n```check\nprogram api.lua is serving\nresponse status == 201\nresponse contains \"\\\"success\\\":true\"\nresponse contains \"HTTP/1.1 201 Created\"\nXLEN orders == 1\n```\n";

    #[test]
    fn a_curl_action_waits_for_its_response_and_response_goals_read_it() {
        let ex = exercise(HTTP_DEMO);
        assert_eq!(replay(&ex), Ok(()));
        let mut state = AppState::for_tests();
        let mut session = Session::new(ex.clone(), None);
        show_me(&mut state, &ex, 0).unwrap();
        // The handler slept 2 s of virtual time; the action waited for it.
        let exchange = state.progs.http.exchanges().back().cloned();
        let response = exchange.as_ref().and_then(|e| e.response().cloned());
        assert_eq!(response.map(|r| r.status), Some(201));
        assert!(state.progs.http_visible());
        // Answers from before the step was shown do not count.
        session.go_to(Some(0), state.progs.http.answers());
        session.evaluate(&mut state);
        assert_eq!(session.goals, vec![true, false, false, false, true]);
        let post = Action::Curl("curl -X POST localhost:3000/orders -H 'Content-Type: application/json' -d '{\"product\": \"Pen\"}'".into());
        perform(&mut state, &ex, &post).unwrap();
        session.evaluate(&mut state);
        assert_eq!(session.goals, vec![true, true, true, true, false]);
        // A handler blocked until someone acts leaves the exchange waiting.
        perform(
            &mut state,
            &ex,
            &Action::Curl("curl localhost:3000/wait".into()),
        )
        .unwrap();
        assert!(state
            .progs
            .http
            .exchanges()
            .back()
            .is_some_and(|e| e.is_waiting()));
        perform(
            &mut state,
            &ex,
            &Action::Type {
                tab: 1,
                line: "RPUSH jobs j1".into(),
            },
        )
        .unwrap();
        let body = state
            .progs
            .http
            .exchanges()
            .back()
            .and_then(|e| e.response().map(|r| r.body.clone()));
        assert_eq!(body.as_deref(), Some("j1"));
        // A line the page cannot send is an error for the learner.
        let error = perform(
            &mut state,
            &ex,
            &Action::Curl("curl http://example.com/".into()),
        )
        .unwrap_err();
        assert!(error.contains("no network"), "{error}");
        // Reset empties the HTTP tab; the stopped server refuses.
        reset_server(&mut state, &ex);
        assert!(state.progs.http.exchanges().is_empty());
        perform(
            &mut state,
            &ex,
            &Action::Curl("curl localhost:3000/wait".into()),
        )
        .unwrap();
        let error = state.progs.http.exchanges().back().and_then(|e| e.error());
        assert_eq!(
            error.as_deref(),
            Some("curl: (7) Failed to connect to localhost port 3000: Connection refused")
        );
    }

    #[test]
    fn a_reload_rebuilds_the_server_for_the_saved_step() {
        let ex = exercise(DEMO);
        let mut state = AppState::for_tests();
        let mut session = Session::new(ex.clone(), Some("v1 step=2 done=110"));
        assert!(rebuild_after_reload(&mut state, &mut session));
        assert!(session
            .notice
            .as_deref()
            .unwrap_or("")
            .contains("step 3 began"));
        let mut world = PageWorld {
            state: &mut state,
            since: 0,
            answers_since: 0,
        };
        assert_eq!(
            world.inspect(&[b"XLEN".to_vec(), b"s".to_vec()]),
            Reply::Integer(1)
        );
        // A server with data, or the first step: nothing is replayed.
        let mut again = Session::new(ex.clone(), Some("v1 step=2 done=110"));
        assert!(!rebuild_after_reload(&mut state, &mut again));
        let mut first = Session::new(ex, Some("v1 step=0 done=000"));
        assert!(!rebuild_after_reload(
            &mut AppState::for_tests(),
            &mut first
        ));
    }

    #[test]
    fn opening_an_exercise_tidies_other_exercises_untouched_program_tabs() {
        let all = crate::built_in::exercises();
        let other = all
            .iter()
            .find(|e| e.programs.len() >= 3)
            .expect("an exercise with three programs");
        let (shared, untouched, edited) =
            (&other.programs[0], &other.programs[1], &other.programs[2]);
        let mut state = AppState::for_tests();
        for p in [shared, untouched, edited] {
            state.progs.open_named(&p.name, &p.source);
        }
        let index = state.progs.find(&edited.name).unwrap();
        state.progs.tabs[index].draft.push_str("\n-- mine");
        state.progs.open_named("mine.lua", "print(1)");
        // An exercise with a program named like the other's first one.
        let ex = exercise(&format!(
            "---\nid: own\ntitle: Own\n---\n## A\n```program {0}\nprint('own')\n```\n```do\nstart {0}\n```\n```check\nprogram {0} is finished\n```\n",
            shared.name
        ));
        tidy_program_tabs(&mut state, &ex);
        let draft = |name: &str| {
            state
                .progs
                .find(name)
                .map(|i| state.progs.tabs[i].draft.clone())
        };
        assert_eq!(
            draft(&shared.name).as_deref(),
            Some("print('own')\n"),
            "ours now"
        );
        assert_eq!(draft(&untouched.name), None, "untouched: closed");
        assert!(
            draft(&edited.name).is_some_and(|d| d.ends_with("-- mine")),
            "edited: kept"
        );
        assert_eq!(
            draft("mine.lua").as_deref(),
            Some("print(1)"),
            "the learner's own: kept"
        );
    }

    #[test]
    fn a_ninth_program_closes_an_ended_untouched_one_of_the_exercise() {
        let mut text = String::from("---\nid: many\ntitle: Many\n---\n## A\n");
        for i in 0..9 {
            text.push_str(&format!("```program p{i}.lua\nprint({i})\n```\n"));
        }
        text.push_str("```do\n");
        for i in 0..9 {
            text.push_str(&format!("start p{i}.lua\n"));
        }
        text.push_str("```\n```check\nprogram p8.lua is finished\n```\n");
        let ex = exercise(&text);
        let mut state = AppState::for_tests();
        show_me(&mut state, &ex, 0).unwrap();
        assert_eq!(state.progs.tabs.len(), MAX_PROGRAMS);
        assert!(
            state.progs.find("p0.lua").is_none(),
            "the oldest ended one made room"
        );
        assert!(state.progs.find("p8.lua").is_some());
        // A learner's own tab in the way: not closed, the exercise says why it can't go on.
        let mut state = AppState::for_tests();
        for i in 0..MAX_PROGRAMS {
            state.progs.open_named(&format!("mine{i}.lua"), "print(1)");
        }
        let error = show_me(&mut state, &ex, 0).unwrap_err();
        assert!(error.contains("too many program tabs"), "{error}");
    }

    #[test]
    fn progress_round_trips_and_refuses_another_shape() {
        let p = Progress {
            step: Some(2),
            done: vec![true, true, false],
        };
        assert_eq!(p.to_text(), "v1 step=2 done=110");
        assert_eq!(Progress::parse(&p.to_text(), 3), Some(p));
        assert_eq!(
            Progress::parse("v1 step=- done=000", 3),
            Some(Progress {
                step: None,
                done: vec![false; 3]
            })
        );
        for bad in [
            "",
            "v2 step=1 done=000",
            "v1 step=3 done=000",
            "v1 step=1 done=00",
            "v1 step=x done=000",
            "v1 step=1 done=0a0",
        ] {
            assert_eq!(Progress::parse(bad, 3), None, "{bad}");
        }
        let ex = exercise(DEMO);
        let session = Session::new(ex, Some("v1 step=1 done=100"));
        assert_eq!(session.step, Some(1));
        assert_eq!(session.counts(), (1, 3));
    }

    #[test]
    fn actions_that_cannot_be_done_say_why() {
        let ex = exercise(DEMO);
        let mut state = AppState::for_tests();
        let block = Action::Type {
            tab: 2,
            line: "BLPOP l 0".into(),
        };
        perform(&mut state, &ex, &block).unwrap();
        let error = perform(&mut state, &ex, &block).unwrap_err();
        assert!(error.contains("waiting for a reply"), "{error}");
        let error = perform(&mut state, &ex, &Action::Kill("counter.lua".into())).unwrap_err();
        assert_eq!(error, "counter.lua is not open");
        let error = perform(&mut state, &ex, &Action::Start("nope.lua".into())).unwrap_err();
        assert!(error.contains("no program `nope.lua`"), "{error}");
        // A tab 0 the file format never gives: refused, not a panic.
        for action in [
            Action::Tab(0),
            Action::Type {
                tab: 0,
                line: "PING".into(),
            },
        ] {
            let error = perform(&mut state, &ex, &action).unwrap_err();
            assert_eq!(error, "console tabs are numbered from 1");
        }
    }
}
