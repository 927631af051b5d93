//! The page: a header, the console pane, the key list, a footer. Components stay thin:
//! they forward keys and clicks to the plain types in `console`, `keys` and `playground`
//! and show what those hold. Shared state lives in one `AppState` behind a
//! `StoredValue` (Copy, so every handler can hold it), with revision signals that tell
//! the views what to read again.

use std::cell::Cell;
use std::time::Duration;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::browser::Browser;
use crate::console::Console;
use crate::history::History;
use crate::playground::Playground;
use crate::programs_ui::Desk;
use crate::streams::{Reason, Shown, StreamWatch};
use crate::ui::catalogue::{Catalogue, ExercisesButton};
use crate::ui::console_pane::ConsolePane;
use crate::ui::guide_pane::GuidePane;
use crate::ui::layout::{self, Splitter, ThemeToggle};
pub use crate::ui::observe_ctx::PaneTab;
use crate::ui::observe_ctx::{ObserveSignals, Observed};
use crate::ui::time_bar::TimeBar;
use crate::ui::visual::VisualPane;
use crate::values::{ValueShown, ValueWatch};
use crate::web;
use redis_emulator::notify::Event;

/// One console tab: a redis-cli of its own, connected as its own client.
pub struct Tab {
    /// Shown on the tab: `redis-cli 2`.
    pub number: u32,
    /// A name the learner gave the tab ("producer", "worker 1"), shown instead.
    pub title: Option<String>,
    pub console: Console,
}

impl Tab {
    /// What the page calls the tab: the learner's name for it, or `redis-cli N`.
    pub fn label(&self) -> String {
        self.title
            .clone()
            .unwrap_or_else(|| format!("redis-cli {}", self.number))
    }
}

/// Everything the page knows, owned in one place.
pub struct AppState {
    pub pg: Playground,
    /// The console tabs, in order; at least one.
    pub tabs: Vec<Tab>,
    /// The tab shown and typed into.
    pub active: usize,
    next_number: u32,
    /// The key browser: the shown database's keys, filter, tree.
    pub(crate) browser: Browser,
    /// The key open in the value view, if any.
    pub(crate) values: ValueWatch,
    /// The stream open in the visualisation pane, if any.
    pub(crate) streams: StreamWatch,
    /// What the Clients and Activity tabs follow (see `ui::observe_ctx`).
    pub(crate) observed: Observed,
    /// The virtual clock the engine reads, the programs and their tabs.
    pub progs: Desk,
    /// The exercise open in the guide, if any.
    pub exercise: Option<crate::exercise::Session>,
    /// What changed since the dataset was last saved (`persist.rs`).
    pub(crate) saver: crate::persist::Tracker,
    /// The dataset is saved as it changes (off: no storage, or a saved state that must
    /// not be overwritten; see `ui::persist_ctx`).
    pub(crate) saving: bool,
}

/// Where native tests start the page's clock: 2023-11-14 22:13:20 UTC.
#[cfg(test)]
pub const TEST_CLOCK_START_MS: i64 = 1_700_000_000_000;

/// The most console tabs the page opens (each is a client of the engine).
pub const MAX_TABS: usize = 8;

impl AppState {
    /// The page's state at start: one console tab, no key open.
    pub fn new(pg: Playground, console: Console, progs: Desk) -> AppState {
        AppState {
            pg,
            tabs: vec![Tab {
                number: 1,
                title: None,
                console,
            }],
            active: 0,
            next_number: 2,
            browser: Browser::default(),
            values: ValueWatch::default(),
            streams: StreamWatch::default(),
            observed: Observed::default(),
            progs,
            exercise: None,
            saver: crate::persist::Tracker::new(),
            saving: false,
        }
    }

    /// A page model for native tests: a virtual clock stopped at 2023-11-14 22:13:20
    /// UTC (x1, moved only by the tests' steps), seed 1.
    #[cfg(test)]
    pub fn for_tests() -> AppState {
        let clock = redis_programs::VirtualClock::new(TEST_CLOCK_START_MS);
        let pg = Playground::new(Box::new(clock.clone()), 1);
        let console = Console::new(History::default(), pg.client);
        AppState::new(pg, console, Desk::new(clock))
    }

    pub fn console(&self) -> &Console {
        &self.tabs[self.active].console
    }

    pub fn console_mut(&mut self) -> &mut Console {
        &mut self.tabs[self.active].console
    }

    /// Opens a tab connected as a new client, with the active tab's history, and
    /// shows it. False when `MAX_TABS` are open.
    pub fn open_tab(&mut self) -> bool {
        if self.tabs.len() >= MAX_TABS {
            return false;
        }
        let client = self
            .pg
            .engine
            .connect(redis_emulator::ClientInfo::default());
        let history = self.console().history().clone();
        let number = self.next_number;
        self.next_number += 1;
        self.tabs.push(Tab {
            number,
            title: None,
            console: Console::blank(history, client),
        });
        self.active = self.tabs.len() - 1;
        true
    }

    /// Closes tab `index` (its client disconnects, releasing what it waited for).
    /// The last tab stays open.
    pub fn close_tab(&mut self, index: usize) {
        if self.tabs.len() <= 1 || index >= self.tabs.len() {
            return;
        }
        let tab = self.tabs.remove(index);
        self.pg.engine.disconnect(tab.console.client());
        if self.active > index || self.active >= self.tabs.len() {
            self.active = self.active.saturating_sub(1);
        }
    }

    /// Prints, in every tab, the replies that reached its client from elsewhere (a
    /// blocked read served by another tab's write, a timeout). True if any did.
    pub fn deliver_all(&mut self) -> bool {
        let mut any = false;
        for tab in self.tabs.iter_mut() {
            any |= tab.console.deliver(&mut self.pg);
        }
        // What scripts wrote with redis.log goes to the server's log in Redis; here the
        // active console shows it, at the default loglevel (notice and warning).
        for (level, text) in self.pg.engine.take_script_log() {
            let name = match level {
                3 => "warning",
                2 => "notice",
                _ => continue,
            };
            self.tabs[self.active].console.server_log(name, &text);
            any = true;
        }
        any
    }

    /// Names tab `index` (trimmed, at most 40 characters); an empty name restores the
    /// default `redis-cli N`.
    pub fn rename_tab(&mut self, index: usize, name: &str) {
        if let Some(tab) = self.tabs.get_mut(index) {
            let name: String = name
                .trim()
                .chars()
                .filter(|c| !c.is_control())
                .take(40)
                .collect();
            tab.title = (!name.is_empty()).then_some(name);
        }
    }

    /// Times out blocked clients whose deadline passed, runs a running script on until
    /// `keep_going` says the page needs the thread back, and prints what arrived.
    pub fn tick(&mut self, keep_going: impl Fn() -> bool) -> bool {
        loop {
            let due = self
                .pg
                .engine
                .next_timeout()
                .is_some_and(|t| t <= self.pg.engine.now_ms());
            if due {
                self.pg.engine.handle_timeouts();
            }
            if !self.pg.engine.script_running() || !keep_going() {
                break;
            }
        }
        self.deliver_all()
    }

    /// Whether a script is running (the page then ticks again at once).
    pub fn script_running(&self) -> bool {
        self.pg.engine.script_running()
    }
}

/// The handles every component uses: Copy, so closures capture them freely.
#[derive(Clone, Copy)]
pub struct AppCtx {
    pub(crate) state: StoredValue<AppState, LocalStorage>,
    /// The console's entries version (`Console::version`): the screen redraws on change.
    pub(crate) entries: RwSignal<u64>,
    /// Bumped whenever the line, the prompt, the hint or the completion list changed.
    pub(crate) screen: RwSignal<u64>,
    /// Bumped when tabs open, close or switch, or a tab starts or stops waiting.
    pub(crate) tabs: RwSignal<u64>,
    /// Bumped once a second while a tab waits (its "waiting 3 s" counts up).
    pub(crate) clock: RwSignal<u64>,
    /// The input line as the console holds it (the DOM input mirrors it).
    pub(crate) input: RwSignal<String>,
    /// Bumped whenever the key browser's rows or their facts changed.
    pub(crate) keys_rev: RwSignal<u64>,
    /// The engine's time at the last refresh: TTLs on screen count down from it.
    pub(crate) now: RwSignal<i64>,
    /// The key open in the value view as last read (None: no value view).
    pub(crate) value: RwSignal<Option<ValueShown>>,
    /// The open stream as last read (None: the key list is shown).
    pub(crate) stream: RwSignal<Option<Shown>>,
    pub(crate) input_ref: NodeRef<html::Input>,
    /// The right pane's tabs, the clients view and the activity timeline.
    pub(crate) observe: ObserveSignals,
    /// Bumped whenever virtual time moved (the time bar, program badges).
    pub(crate) vtime: RwSignal<u64>,
    /// Bumped when program tabs open, close or switch, or programs wrote to their logs.
    pub(crate) programs: RwSignal<u64>,
    /// Bumped when the guide's exercise, step or goals changed.
    pub(crate) guide: RwSignal<u64>,
    /// The exercises menu is open.
    pub(crate) catalogue: RwSignal<bool>,
    /// Whether the dataset is saved, and what the learner is told about it.
    pub(crate) save_status: RwSignal<crate::ui::persist_ctx::SaveStatus>,
}

impl AppCtx {
    /// Runs `f` on the active console with the engine, prints what other tabs received
    /// meanwhile, then refreshes what may have changed.
    pub(crate) fn console_op<U>(
        &self,
        f: impl FnOnce(&mut Console, &mut Playground) -> U,
    ) -> Option<U> {
        let out = self.state.try_update_value(|s| {
            // Time first: a command typed now sees the programs' work up to now.
            let start = web::now_ms();
            s.progs.catch_up(&mut s.pg.engine, web::real_now_us(), &|| {
                web::now_ms() - start < CONSOLE_PROGRAM_BUDGET_MS
            });
            let active = s.active;
            let out = f(&mut s.tabs[active].console, &mut s.pg);
            s.deliver_all();
            out
        });
        self.sync();
        self.tabs.update(|n| *n += 1);
        out
    }

    /// Runs `f` on the programs and the clock (a program tab's button, the time bar),
    /// with a budget for time it moves; then expires what is due, prints what consoles
    /// received and refreshes the views.
    pub(crate) fn programs_op<U>(
        &self,
        f: impl FnOnce(&mut Desk, &mut redis_emulator::Engine, &dyn Fn() -> bool) -> U,
    ) -> Option<U> {
        let start = web::now_ms();
        let keep_going = move || web::now_ms() - start < ACTION_BUDGET_MS;
        let out = self.state.try_update_value(|s| {
            let out = f(&mut s.progs, &mut s.pg.engine, &keep_going);
            web::save_setting(PROGRAMS_SETTING, &s.progs.saved());
            s.pg.engine.active_expire(10_000);
            s.deliver_all();
            s.progs.take_news();
            out
        })?;
        self.programs.update(|n| *n += 1);
        self.vtime.update(|n| *n += 1);
        self.tabs.update(|n| *n += 1);
        self.sync();
        self.refresh(Reason::Tick);
        Some(out)
    }

    /// Runs `f` on the whole state (tabs opening, closing, switching), then redraws.
    pub(crate) fn tabs_op(&self, f: impl FnOnce(&mut AppState)) {
        self.state.update_value(f);
        self.entries.update(|n| *n += 1);
        self.tabs.update(|n| *n += 1);
        self.sync();
        self.refresh_keys(&[]);
        self.refresh_clients();
        self.focus_input();
    }

    /// Mirrors the console's line into the input and tells the screen to redraw.
    pub(crate) fn sync(&self) {
        if let Some((line, version)) = self
            .state
            .try_with_value(|s| (s.console().input().to_string(), s.console().version()))
        {
            if self.input.get_untracked() != line {
                self.input.set(line);
            }
            // Versions of different tabs may coincide: a switch bumps `entries` itself.
            if self.entries.get_untracked() != version {
                self.entries.set(version);
            }
        }
        self.screen.update(|n| *n += 1);
    }

    /// After a command: the history is saved and the key list re-read if needed.
    pub(crate) fn after_command(&self) {
        if let Some(saved) = self
            .state
            .try_with_value(|s| s.console().history().serialize())
        {
            web::save_history(&saved);
        }
        self.refresh(Reason::Command);
        self.report_to_host();
    }

    /// After anything that may have changed the data (a command in any console, a
    /// blocked client served, a script slice, expiry, time passing): drains the engine's
    /// change events once and hands them to every view that follows them, so each pays
    /// only for what changed.
    pub(crate) fn refresh(&self, reason: Reason) {
        let events = self
            .state
            .try_update_value(|s| s.pg.engine.take_events())
            .unwrap_or_default();
        self.refresh_keys(&events);
        self.refresh_stream(&events, reason);
        self.refresh_value(&events, reason);
        self.refresh_activity(reason);
        self.refresh_jobs(&events, reason == Reason::Tick);
        self.refresh_guide();
        self.note_for_save(&events);
    }

    /// Reads the open stream again if the engine's `events`, its dirty counter, time or
    /// navigation say so (`StreamWatch::needs_read`).
    fn refresh_stream(&self, events: &[Event], reason: Reason) {
        let shown = self
            .state
            .try_update_value(|s| {
                if !s
                    .streams
                    .needs_read(events, s.pg.engine.dirty_count(), reason)
                {
                    return None;
                }
                s.streams.read(&s.pg.engine, reason)
            })
            .flatten();
        if let Some(shown) = shown {
            if self
                .stream
                .with_untracked(|old| old.as_ref() != Some(&shown))
            {
                self.stream.set(Some(shown));
            }
        }
    }

    /// Opens the stream `key` of database `db` in the pane, at its newest entries.
    pub(crate) fn open_stream(&self, db: usize, key: &[u8]) {
        self.state.update_value(|s| s.streams.open(db, key));
        self.refresh(Reason::Navigate);
    }

    /// Back to the key list.
    pub(crate) fn close_stream(&self) {
        self.state.update_value(|s| s.streams.close());
        self.stream.set(None);
        self.refresh_keys(&[]);
        self.focus_input();
    }

    /// The entries table scrolled or resized: reads the rows in view if they changed.
    pub(crate) fn stream_scrolled(&self, scroll_top: f64, viewport_px: f64) {
        if self
            .state
            .try_update_value(|s| s.streams.set_scroll(scroll_top, viewport_px))
            == Some(true)
        {
            self.refresh(Reason::Navigate);
        }
    }

    /// The position (newest first) of the newest entry at or before `id` in the open
    /// stream.
    pub(crate) fn stream_position(
        &self,
        id: redis_emulator::types::stream::StreamId,
    ) -> Option<u64> {
        let (db, key) = self
            .stream
            .with_untracked(|s| s.as_ref().map(|s| (s.db, s.key.clone())))?;
        self.state
            .try_with_value(|s| s.pg.engine.stream_position(db, &key, id))
            .flatten()
    }

    /// Turns a page of the open stream.
    pub(crate) fn stream_nav(&self, f: impl FnOnce(&mut StreamWatch)) {
        self.state.update_value(|s| f(&mut s.streams));
        self.refresh(Reason::Navigate);
    }

    /// Types `command` into the active console (never runs it) and focuses the line.
    pub(crate) fn prefill(&self, command: &str) {
        self.console_op(|c, _| c.set_input(command));
        self.focus_input();
    }

    /// Brings the key browser up to date from the engine's `events` (see `keyspace`):
    /// the console's database, the keys the events name, the databases' sizes.
    pub(crate) fn refresh_keys(&self, events: &[Event]) {
        let now = self.state.try_update_value(|s| {
            let db = s.pg.db_of(s.console().client());
            let changed = s.browser.refresh(&s.pg.engine, db, events);
            (changed, s.pg.engine.now_ms())
        });
        if let Some((changed, now)) = now {
            if changed {
                self.keys_rev.update(|n| *n += 1);
            }
            // TTLs on screen move once a second, and are exact when a key changed.
            if changed || now / 1000 != self.now.get_untracked() / 1000 {
                self.now.set(now);
            }
        }
    }

    /// Changes the key browser (filter, layout, folder, database) and redraws it.
    pub(crate) fn browser_op(&self, f: impl FnOnce(&mut Browser, &redis_emulator::Engine)) {
        self.state.update_value(|s| f(&mut s.browser, &s.pg.engine));
        self.keys_rev.update(|n| *n += 1);
    }

    /// Reads the open value again if an event names its key or the learner moved.
    fn refresh_value(&self, events: &[Event], reason: Reason) {
        let shown = self
            .state
            .try_update_value(|s| {
                if !s.values.needs_read(&s.pg.engine, events, reason) {
                    return None;
                }
                s.values
                    .read(&s.pg.engine)
                    .map(|v| (v, s.pg.engine.now_ms()))
            })
            .flatten();
        if let Some((shown, now)) = shown {
            // The TTL shown counts from the time of this read.
            self.now.set(now);
            if self
                .value
                .with_untracked(|old| old.as_ref() != Some(&shown))
            {
                self.value.set(Some(shown));
            }
        }
    }

    /// Opens `key` of database `db`: a stream in the stream view, any other type in the
    /// value view.
    pub(crate) fn open_key(&self, db: usize, key: &[u8], type_name: &str) {
        if type_name == "stream" {
            self.open_stream(db, key);
            return;
        }
        self.state.update_value(|s| s.values.open(db, key));
        self.refresh_value(&[], Reason::Navigate);
    }

    /// Back to the key browser from the value view.
    pub(crate) fn close_value(&self) {
        self.state.update_value(|s| s.values.close());
        self.value.set(None);
        self.keys_rev.update(|n| *n += 1);
        self.focus_input();
    }

    /// Turns a page of the open value (or shows a whole string).
    pub(crate) fn value_nav(&self, f: impl FnOnce(&mut ValueWatch)) {
        self.state.update_value(|s| f(&mut s.values));
        self.refresh_value(&[], Reason::Navigate);
    }

    pub(crate) fn focus_input(&self) {
        if let Some(input) = self.input_ref.get_untracked() {
            let _ = input.focus();
        }
    }
}

/// The whole page.
/// How long a running script may hold the page's thread at a time.
const SCRIPT_SLICE_MS: f64 = 30.0;
/// How long the programs may run in one tick of the page's timer.
const PROGRAM_BUDGET_MS: f64 = 15.0;
/// The localStorage setting that keeps the program tabs (names and drafts).
pub(crate) const PROGRAMS_SETTING: &str = "programs";
/// How long a click on the time bar or a program's button may move time and run programs.
const ACTION_BUDGET_MS: f64 = 250.0;
/// How long the programs may run before a console command (they catch up to now).
const CONSOLE_PROGRAM_BUDGET_MS: f64 = 8.0;

thread_local! {
    /// A script's slices are being scheduled (one chain of timeouts at a time).
    static PUMPING: Cell<bool> = const { Cell::new(false) };
}

/// One tick: timeouts, a slice of a running script, what arrived printed. While a script
/// runs, the next slice is scheduled at once (after the browser has drawn and read input).
fn pump(ctx: AppCtx) {
    let start = web::now_ms();
    // Virtual time catches up with real time (at its speed), the programs running at
    // every wakeup on the way, within a budget so the page stays responsive.
    let (news, programs_ready) = ctx
        .state
        .try_update_value(|s| {
            s.progs.catch_up(&mut s.pg.engine, web::real_now_us(), &|| {
                web::now_ms() - start < PROGRAM_BUDGET_MS
            });
            (s.progs.take_news(), s.progs.work_ready(&s.pg.engine))
        })
        .unwrap_or((false, false));
    ctx.vtime.update(|n| *n += 1);
    if news {
        ctx.programs.update(|n| *n += 1);
    }
    let start = web::now_ms();
    let (printed, waiting, running) = ctx
        .state
        .try_update_value(|s| {
            (
                s.tick(|| web::now_ms() - start < SCRIPT_SLICE_MS),
                s.tabs.iter().any(|t| t.console.is_waiting()),
                s.script_running() || programs_ready,
            )
        })
        .unwrap_or((false, false, false));
    if printed {
        ctx.sync();
        ctx.tabs.update(|n| *n += 1);
    }
    // Writes by blocked clients served, timeouts and script slices: each view reads
    // again only what they touched (cheap otherwise).
    ctx.refresh(Reason::Command);
    if waiting {
        ctx.clock.update(|n| *n += 1);
    }
    PUMPING.with(|p| p.set(running));
    if running {
        web::next_task(move || pump(ctx));
    }
}

#[component]
pub fn App() -> impl IntoView {
    // What an embedding course page asks for in the URL (layout, commands, read-only,
    // theme).
    let embed = crate::embed::parse(web::query_param);
    let seed = web::random_seed();
    // The whole page runs on virtual time: real time at x1 until the learner pauses,
    // speeds up or steps it (the time bar).
    let clock = redis_programs::VirtualClock::new(web::real_now_ms());
    let mut pg = Playground::new(Box::new(clock.clone()), seed);
    // The visualisation pane follows the engine's change events.
    pg.engine.set_event_log(true);
    // The activity timeline follows every client's commands.
    pg.engine.set_command_log(true);
    // A share link's state is shown as a preview; else the dataset saved in this
    // browser comes back (before any view reads it).
    let shared = crate::ui::share_ctx::take_opened();
    let mut shared_exercise = None;
    let mut shared_programs = None;
    let save_status = match shared {
        Some(Ok(state)) => {
            crate::ui::persist_ctx::skip_saved();
            web::set_preview(true);
            let applied = crate::share::apply_keys(&mut pg.engine, &state.keys);
            let notice = crate::ui::share_ctx::opened_notice(&state, applied.refused.len());
            shared_exercise = state.exercise;
            shared_programs = Some(state.programs);
            crate::ui::persist_ctx::SaveStatus {
                saving: false,
                notice: Some(notice),
                offer_fresh_start: false,
                offer_keep_shared: true,
            }
        }
        Some(Err(e)) => {
            let mut status = crate::ui::persist_ctx::restore_saved(&mut pg);
            status.notice = Some(format!(
                "This share link can't be opened: {e}. Your own work is shown instead."
            ));
            status
        }
        None => crate::ui::persist_ctx::restore_saved(&mut pg),
    };
    // Restoring is not a change to save again.
    pg.engine.take_events();
    // Read-only mode: a read-only replica, writes refused with Redis's READONLY error.
    pg.engine.set_read_only_replica(embed.read_only);
    let mut save_status = save_status;
    if !embed.problems.is_empty() && save_status.notice.is_none() {
        save_status.notice = Some(format!(
            "This page's address asks for something it can't do: {}.",
            embed.problems.join("; ")
        ));
    }
    let console = Console::new(
        web::load_history()
            .map(|s| History::parse(&s))
            .unwrap_or_default(),
        pg.client,
    );
    // The program tabs of the last visit come back with their drafts, not running.
    let mut progs = Desk::new(clock);
    if let Some(saved) = shared_programs.or_else(|| web::load_setting(PROGRAMS_SETTING)) {
        progs.restore(&saved);
    }
    let mut state = AppState::new(pg, console, progs);
    state.saving = save_status.saving;
    state.saver.restored(&state.pg.engine);
    let ctx = AppCtx {
        state: StoredValue::new_local(state),
        entries: RwSignal::new(0),
        screen: RwSignal::new(0),
        tabs: RwSignal::new(0),
        clock: RwSignal::new(0),
        input: RwSignal::new(String::new()),
        keys_rev: RwSignal::new(0),
        now: RwSignal::new(0),
        value: RwSignal::new(None),
        stream: RwSignal::new(None),
        input_ref: NodeRef::new(),
        observe: ObserveSignals::new(),
        vtime: RwSignal::new(0),
        programs: RwSignal::new(0),
        guide: RwSignal::new(0),
        catalogue: RwSignal::new(false),
        save_status: RwSignal::new(save_status),
    };
    provide_context(ctx);
    ctx.save_when_leaving();
    ctx.listen_to_host();
    // The commands the URL gives run once the page is up, as if typed.
    if !embed.commands.is_empty() {
        let commands = embed.commands.clone();
        web::next_task(move || {
            for line in &commands {
                ctx.console_op(|c, pg| c.run_line(pg, line));
            }
            ctx.after_command();
        });
    }
    crate::ui::share_ctx::reload_on_new_link();
    ctx.refresh_keys(&[]);
    let stream_open = Memo::new(move |_| {
        ctx.stream.with(Option::is_some)
            || ctx.value.with(Option::is_some)
            || ctx.observe.pane.get() != PaneTab::Keys
    });
    ctx.refresh_clients();
    let visual_width = RwSignal::new(layout::saved_visual_width());
    let panes = NodeRef::<html::Main>::new();
    let theme = RwSignal::new(embed.theme.unwrap_or_else(layout::initial_theme));
    let exercise_problems = RwSignal::new(None);
    match shared_exercise {
        Some((id, progress)) => crate::ui::catalogue::open_shared(ctx, &id, &progress),
        None => crate::ui::catalogue::open_initial(ctx, exercise_problems),
    }
    let guide_open = Memo::new(move |_| {
        ctx.guide.track();
        ctx.state
            .try_with_value(|s| s.exercise.is_some())
            .unwrap_or(false)
    });
    web::apply_theme(theme.get_untracked());

    // Redis expires keys in the background; the page does it once a second, which also
    // makes TTLs on screen count down.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            // Each key it removes is reported as an event, which the views follow.
            ctx.state.update_value(|s| {
                s.pg.engine.active_expire(10_000);
            });
            ctx.refresh(Reason::Tick);
        },
        Duration::from_secs(1),
    ) {
        on_cleanup(move || handle.clear());
    }

    // Blocked commands time out on their own (XREAD BLOCK 2000): check ten times a
    // second, like Redis's event loop would within its hz. A running script runs on in
    // slices of at most SCRIPT_SLICE_MS, the page handling input and drawing in between.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if !PUMPING.with(Cell::get) {
                pump(ctx);
            }
        },
        Duration::from_millis(100),
    ) {
        on_cleanup(move || handle.clear());
    }

    view! {
        <div class=format!("app {}", embed.layout.class()) class:read-only=embed.read_only>
            <header class="top">
                <div class="brand">
                    <span class="logo" aria-hidden="true"></span>
                    <h1>"Redis Playground"</h1>
                </div>
                <p class="subtitle">"Try Redis commands right here: a Redis 7 server runs inside this page, no install, no network."</p>
                <ExercisesButton/>
                <crate::ui::share_ctx::ShareButton/>
                <crate::ui::data_ctx::DataButton/>
                <TimeBar/>
                <ThemeToggle theme=theme/>
            </header>
            <div class="work" class:with-guide=move || guide_open.get()>
            <GuidePane/>
            <main
                class="panes"
                class:wide=move || stream_open.get()
                class:sized=move || visual_width.get().is_some()
                node_ref=panes
                style:--visual-width=move || visual_width.get().map(|w| format!("{w}px"))
            >
                <ConsolePane/>
                <Splitter width=visual_width panes=panes/>
                <VisualPane/>
            </main>
            </div>
            <Catalogue problems=exercise_problems/>
            <crate::ui::persist_ctx::SaveNotice/>
            <footer class="bottom">
                "An emulator of Redis 7.0 running entirely in this page (WebAssembly): nothing you type leaves your browser. "
                "Your data is saved in this browser as you work and comes back when you reopen the page."
            </footer>
        </div>
    }
}

/// Starts the page: panic hook, mount, and a marker for tests and the timing probe.
pub fn start() {
    web::install_panic_hook();
    // The saved dataset is read first, so the first render shows it (IndexedDB answers
    // asynchronously, in a few ms).
    wasm_bindgen_futures::spawn_local(async {
        // The exercise files load while the saved data is read (their requests start
        // first; awaiting them after costs nothing when they have already come).
        let exercises = crate::built_in::fetch_all();
        crate::ui::persist_ctx::load_before_mount().await;
        exercises.await;
        crate::ui::share_ctx::read_link_before_mount().await;
        web::remove_boot_message();
        leptos::mount::mount_to_body(App);
        web::mark_ready();
        web::register_offline();
        // Focus the line so the user can type at once.
        if let Some(input) =
            web::document().and_then(|d| d.query_selector("input.console-input").ok().flatten())
        {
            if let Ok(input) = input.dyn_into::<web_sys::HtmlElement>() {
                let _ = input.focus();
            }
        }
    });
}
