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

use std::sync::Arc;

use crate::console::{Console, Entry, Kind};
use crate::history::History;
use crate::keys::{self, Listing, Watch};
use crate::playground::{PageClock, Playground};
use crate::streams::{self, Reason, Shown, StreamWatch};
use redis_emulator::observe::StreamView;
use redis_emulator::types::stream::StreamId;
use crate::web;

/// One console tab: a redis-cli of its own, connected as its own client.
pub struct Tab {
    /// Shown on the tab: `redis-cli 2`.
    pub number: u32,
    /// A name the learner gave the tab ("producer", "worker 1"), shown instead.
    pub title: Option<String>,
    pub console: Console,
}

/// Everything the page knows, owned in one place.
pub struct AppState {
    pub pg: Playground,
    /// The console tabs, in order; at least one.
    pub tabs: Vec<Tab>,
    /// The tab shown and typed into.
    pub active: usize,
    next_number: u32,
    watch: Watch,
    /// The stream open in the visualisation pane, if any.
    streams: StreamWatch,
}

/// The most console tabs the page opens (each is a client of the engine).
pub const MAX_TABS: usize = 8;

impl AppState {
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
        let client = self.pg.engine.connect(redis_emulator::ClientInfo::default());
        let history = self.console().history().clone();
        let number = self.next_number;
        self.next_number += 1;
        self.tabs.push(Tab { number, title: None, console: Console::blank(history, client) });
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
            let name: String = name.trim().chars().filter(|c| !c.is_control()).take(40).collect();
            tab.title = (!name.is_empty()).then_some(name);
        }
    }

    /// Times out blocked clients whose deadline passed, runs a running script on until
    /// `keep_going` says the page needs the thread back, and prints what arrived.
    pub fn tick(&mut self, keep_going: impl Fn() -> bool) -> bool {
        loop {
            let due = self.pg.engine.next_timeout().is_some_and(|t| t <= self.pg.engine.now_ms());
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
    state: StoredValue<AppState, LocalStorage>,
    /// The console's entries version (`Console::version`): the screen redraws on change.
    entries: RwSignal<u64>,
    /// Bumped whenever the line, the prompt, the hint or the completion list changed.
    screen: RwSignal<u64>,
    /// Bumped when tabs open, close or switch, or a tab starts or stops waiting.
    tabs: RwSignal<u64>,
    /// Bumped once a second while a tab waits (its "waiting 3 s" counts up).
    clock: RwSignal<u64>,
    /// The input line as the console holds it (the DOM input mirrors it).
    input: RwSignal<String>,
    /// The key list as last read.
    listing: RwSignal<Listing>,
    /// The key list's glob filter.
    filter: RwSignal<String>,
    /// The open stream as last read (None: the key list is shown).
    stream: RwSignal<Option<Shown>>,
    input_ref: NodeRef<html::Input>,
}

impl AppCtx {
    /// Runs `f` on the active console with the engine, prints what other tabs received
    /// meanwhile, then refreshes what may have changed.
    fn console_op<U>(&self, f: impl FnOnce(&mut Console, &mut Playground) -> U) -> Option<U> {
        let out = self.state.try_update_value(|s| {
            let active = s.active;
            let out = f(&mut s.tabs[active].console, &mut s.pg);
            s.deliver_all();
            out
        });
        self.sync();
        self.tabs.update(|n| *n += 1);
        out
    }

    /// Runs `f` on the whole state (tabs opening, closing, switching), then redraws.
    fn tabs_op(&self, f: impl FnOnce(&mut AppState)) {
        self.state.update_value(f);
        self.entries.update(|n| *n += 1);
        self.tabs.update(|n| *n += 1);
        self.sync();
        self.refresh_keys(0);
        self.focus_input();
    }

    /// Mirrors the console's line into the input and tells the screen to redraw.
    fn sync(&self) {
        if let Some((line, version)) = self.state.try_with_value(|s| (s.console().input().to_string(), s.console().version())) {
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
    fn after_command(&self) {
        if let Some(saved) = self.state.try_with_value(|s| s.console().history().serialize()) {
            web::save_history(&saved);
        }
        self.refresh_keys(0);
        self.refresh_stream(Reason::Command);
    }

    /// Reads the open stream again if the engine's events, its dirty counter, time or
    /// navigation say so (`StreamWatch::needs_read`). The engine's events are drained
    /// either way, so the log never grows.
    fn refresh_stream(&self, reason: Reason) {
        let shown = self
            .state
            .try_update_value(|s| {
                let events = s.pg.engine.take_events();
                if !s.streams.needs_read(&events, s.pg.engine.dirty_count(), reason) {
                    return None;
                }
                s.streams.read(&s.pg.engine, reason)
            })
            .flatten();
        if let Some(shown) = shown {
            if self.stream.with_untracked(|old| old.as_ref() != Some(&shown)) {
                self.stream.set(Some(shown));
            }
        }
    }

    /// Opens the stream `key` of database `db` in the pane, at its newest entries.
    fn open_stream(&self, db: usize, key: &[u8]) {
        self.state.update_value(|s| s.streams.open(db, key));
        self.refresh_stream(Reason::Navigate);
    }

    /// Back to the key list.
    fn close_stream(&self) {
        self.state.update_value(|s| s.streams.close());
        self.stream.set(None);
        self.refresh_keys(0);
        self.focus_input();
    }

    /// Turns a page of the open stream.
    fn stream_nav(&self, f: impl FnOnce(&mut StreamWatch)) {
        self.state.update_value(|s| f(&mut s.streams));
        self.refresh_stream(Reason::Navigate);
    }

    /// Types `command` into the active console (never runs it) and focuses the line.
    fn prefill(&self, command: &str) {
        self.console_op(|c, _| c.set_input(command));
        self.focus_input();
    }

    /// Re-reads the key list when the data, the db or the filter changed, or a TTL is
    /// on screen. `expired_now` is what active expiry just removed.
    fn refresh_keys(&self, expired_now: usize) {
        let pattern = self.filter.get_untracked();
        let fresh = self.state.try_update_value(|s| {
            let dirty = s.pg.engine.dirty_count();
            let db = s.pg.db_of(s.console().client());
            if !s.watch.needs_refresh(dirty, db, &pattern, expired_now) {
                return None;
            }
            let listing = keys::list(&s.pg.engine, db, &pattern, s.pg.engine.now_ms());
            s.watch.record(dirty, db, &pattern, &listing);
            Some(listing)
        });
        if let Some(Some(listing)) = fresh {
            if self.listing.get_untracked() != listing {
                self.listing.set(listing);
            }
        }
    }

    fn focus_input(&self) {
        if let Some(input) = self.input_ref.get_untracked() {
            let _ = input.focus();
        }
    }
}

/// The whole page.
/// How long a running script may hold the page's thread at a time.
const SCRIPT_SLICE_MS: f64 = 30.0;

thread_local! {
    /// A script's slices are being scheduled (one chain of timeouts at a time).
    static PUMPING: Cell<bool> = const { Cell::new(false) };
}

/// One tick: timeouts, a slice of a running script, what arrived printed. While a script
/// runs, the next slice is scheduled at once (after the browser has drawn and read input).
fn pump(ctx: AppCtx) {
    let start = web::now_ms();
    let (printed, waiting, running) = ctx
        .state
        .try_update_value(|s| (s.tick(|| web::now_ms() - start < SCRIPT_SLICE_MS), s.tabs.iter().any(|t| t.console.is_waiting()), s.script_running()))
        .unwrap_or((false, false, false));
    if printed {
        ctx.sync();
        ctx.tabs.update(|n| *n += 1);
        ctx.refresh_keys(0);
    }
    // Writes by blocked clients served, timeouts and script slices: the open stream
    // is read again only if they touched it (cheap otherwise).
    ctx.refresh_stream(Reason::Command);
    if waiting {
        ctx.clock.update(|n| *n += 1);
    }
    PUMPING.with(|p| p.set(running));
    if running {
        set_timeout(move || pump(ctx), Duration::ZERO);
    }
}

#[component]
pub fn App() -> impl IntoView {
    let seed = web::random_seed();
    let mut pg = Playground::new(Box::new(PageClock), seed);
    // The visualisation pane follows the engine's change events.
    pg.engine.set_event_log(true);
    let console = Console::new(web::load_history().map(|s| History::parse(&s)).unwrap_or_default(), pg.client);
    let state = AppState { pg, tabs: vec![Tab { number: 1, title: None, console }], active: 0, next_number: 2, watch: Watch::default(), streams: StreamWatch::default() };
    let ctx = AppCtx {
        state: StoredValue::new_local(state),
        entries: RwSignal::new(0),
        screen: RwSignal::new(0),
        tabs: RwSignal::new(0),
        clock: RwSignal::new(0),
        input: RwSignal::new(String::new()),
        listing: RwSignal::new(Listing::default()),
        filter: RwSignal::new(String::new()),
        stream: RwSignal::new(None),
        input_ref: NodeRef::new(),
    };
    provide_context(ctx);
    ctx.refresh_keys(0);
    let stream_open = Memo::new(move |_| ctx.stream.with(Option::is_some));

    // Redis expires keys in the background; the page does it once a second, which also
    // makes TTLs on screen count down.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let expired = ctx.state.try_update_value(|s| s.pg.engine.active_expire(10_000)).unwrap_or(0);
            ctx.refresh_keys(expired);
            ctx.refresh_stream(Reason::Tick);
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
        <div class="app">
            <header class="top">
                <div class="brand">
                    <span class="logo" aria-hidden="true"></span>
                    <h1>"Redis Playground"</h1>
                </div>
                <p class="subtitle">"Try Redis commands right here: a Redis 7 server runs inside this page, no install, no network."</p>
            </header>
            <main class="panes" class:wide=move || stream_open.get()>
                <ConsolePane/>
                {move || if stream_open.get() { view! { <StreamPane/> }.into_any() } else { view! { <KeyList/> }.into_any() }}
            </main>
            <footer class="bottom">
                "An emulator of Redis 7.0 running entirely in this page (WebAssembly): nothing you type leaves your browser. "
                "Data lives in memory and resets on reload; the command history is kept."
            </footer>
        </div>
    }
}

/// One line of the screen.
fn entry_view(e: Arc<Entry>) -> impl IntoView {
    let class = match e.kind {
        Kind::Command => "entry cmd",
        Kind::Reply => "entry reply",
        Kind::Error => "entry error",
        Kind::Note => "entry note",
    };
    let prompt = (!e.prompt.is_empty()).then(|| view! { <span class="prompt">{e.prompt.clone()}</span> });
    if e.kind == Kind::Note {
        // Notes are the playground's own words; `backticks` mark commands to try.
        let parts = e
            .text
            .split('`')
            .enumerate()
            .map(|(i, part)| {
                let part = part.to_string();
                if i % 2 == 1 { view! { <code>{part}</code> }.into_any() } else { part.into_any() }
            })
            .collect_view();
        return view! { <div class=class>{parts}</div> }.into_any();
    }
    view! { <pre class=class>{prompt}<span class="text">{e.text.clone()}</span></pre> }.into_any()
}

/// The redis-cli console: the screen, then the prompt and the line being typed.
#[component]
pub fn ConsolePane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let screen_ref = NodeRef::<html::Div>::new();

    let entries = move || {
        ctx.entries.track();
        ctx.state.try_with_value(|s| s.console().snapshot()).unwrap_or_default()
    };
    let prompt = move || {
        ctx.screen.track();
        ctx.tabs.track();
        // While a command waits (blocked, subscribed, monitoring) redis-cli shows no prompt.
        ctx.state
            .try_with_value(|s| if s.console().is_waiting() { String::new() } else { s.console().prompt(&s.pg) })
            .unwrap_or_default()
    };
    let hint = move || {
        ctx.input.track();
        ctx.screen.track();
        ctx.state.try_with_value(|s| s.console().hint()).flatten().unwrap_or_default()
    };
    let candidates = move || {
        ctx.screen.track();
        ctx.state
            .try_with_value(|s| s.console().completion_candidates().map(|(c, i)| (c.to_vec(), i)))
            .flatten()
    };

    // The tab strip: (index, name, waiting, active) per tab.
    let tab_list = move || {
        ctx.tabs.track();
        ctx.state
            .try_with_value(|s| {
                s.tabs
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let name = t.title.clone().unwrap_or_else(|| format!("redis-cli {}", t.number));
                        (i, name, t.console.is_waiting(), i == s.active)
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let tab_view = move |(index, name, waiting, active): (usize, String, bool, bool)| {
        let rename = {
            let current = name.clone();
            move |_| {
                let asked = web_sys::window()
                    .and_then(|w| w.prompt_with_message_and_default("Name this console (empty for the default):", &current).ok())
                    .flatten();
                if let Some(new_name) = asked {
                    ctx.tabs_op(|s| s.rename_tab(index, &new_name));
                }
            }
        };
        let title = if waiting { format!("{name}: waiting (double-click to rename)") } else { format!("{name} (double-click to rename)") };
        let close_label = format!("Close {name}");
        let several = tab_list().len() > 1;
        view! {
            <span class="tab" class:active=active class:waiting=waiting>
                <button
                    role="tab"
                    class="tab-name"
                    aria-selected=if active { "true" } else { "false" }
                    title=title
                    on:click=move |_| ctx.tabs_op(|s| s.active = index.min(s.tabs.len() - 1))
                    on:dblclick=rename
                >
                    {name}
                    {waiting.then(|| view! { <span class="tab-wait" aria-hidden="true"></span> })}
                </button>
                {several.then(|| view! {
                    <button class="tab-close" aria-label=close_label on:click=move |_| ctx.tabs_op(|s| s.close_tab(index))>"×"</button>
                })}
            </span>
        }
    };

    // Keep the prompt in view: scroll to the bottom after every change of the screen.
    Effect::new(move |_| {
        ctx.screen.track();
        request_animation_frame(move || {
            if let Some(el) = screen_ref.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    });

    // Typing anywhere on the page (outside another field) types into the console.
    let redirect = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| {
        let printable = ev.key().chars().count() == 1 && !ev.ctrl_key() && !ev.meta_key() && !ev.alt_key();
        if printable && !web::focus_in_editable(ev.key() == " ") && !web::has_selection() {
            ctx.focus_input();
        }
    });
    on_cleanup(move || redirect.remove());

    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.is_composing() {
            return; // an input method is composing a character: Enter confirms it
        }
        let key = ev.key();
        let handled = match key.as_str() {
            "Enter" => {
                ctx.console_op(|c, pg| c.submit(pg));
                ctx.after_command();
                true
            }
            "ArrowUp" => ctx.console_op(|c, _| c.history_up()).is_some(),
            "ArrowDown" => ctx.console_op(|c, _| c.history_down()).is_some(),
            "Tab" if !ev.shift_key() => {
                ctx.console_op(|c, _| c.complete());
                true
            }
            "Escape" => ctx.console_op(|c, _| c.cancel_completion()).unwrap_or(false),
            "l" | "L" if ev.ctrl_key() => {
                ctx.console_op(|c, _| c.clear());
                true
            }
            // Ctrl+C interrupts a waiting command; with a selection it copies as usual.
            "c" | "C" if ev.ctrl_key() && !web::has_selection() => ctx.console_op(|c, pg| c.interrupt(pg)).unwrap_or(false),
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    };
    let on_input = move |ev: web_sys::Event| {
        let value = event_target_value(&ev);
        ctx.console_op(|c, _| c.set_input(&value));
    };
    let on_paste = move |ev: web_sys::ClipboardEvent| {
        let Some(text) = ev.clipboard_data().and_then(|d| d.get_data("text").ok()) else { return };
        let Some(input) = ctx.input_ref.get_untracked() else { return };
        let value = input.value();
        let (start, end) = web::selection_range(&input, &value);
        let (before, after) = (&value[..start], &value[end..]);
        let ran = ctx.console_op(|c, pg| c.paste(pg, before, &text, after)).unwrap_or(false);
        if ran {
            ev.prevent_default();
            ctx.after_command();
        }
    };
    // A click on the console focuses the line, unless the user is selecting text to copy.
    let on_click = move |_| {
        if !web::has_selection() {
            ctx.focus_input();
        }
    };

    view! {
        <section class="console" aria-label="Redis console">
            <div class="pane-title">
                <span class="dot red"></span><span class="dot amber"></span><span class="dot green"></span>
                <div class="tabs" role="tablist" aria-label="Consoles (one client each)">
                    {move || tab_list().into_iter().map(tab_view).collect_view()}
                    <button
                        class="tab-new"
                        title="Open another redis-cli: a new client, like a second terminal"
                        aria-label="Open another console"
                        disabled=move || { tab_list().len() >= MAX_TABS }
                        on:click=move |_| ctx.tabs_op(|s| {
                            s.open_tab();
                        })
                    >
                        "+"
                    </button>
                </div>
            </div>
            <div class="screen" node_ref=screen_ref on:click=on_click>
                <div class="entries" role="log" aria-live="polite">
                    <For each=entries key=|e| e.id children=entry_view/>
                </div>
                {move || {
                    ctx.clock.track();
                    ctx.tabs.track();
                    ctx.state
                        .try_with_value(|s| {
                            let c = s.console();
                            let scripting = s.pg.engine.running_script().is_some_and(|(client, _)| client == c.client());
                            c.waiting_for().map(|(cmd, since)| (cmd, s.pg.engine.now_ms() - since, c.is_subscribed(), c.is_monitoring(), scripting))
                        })
                        .flatten()
                        .map(|(cmd, waited, subscribed, monitoring, scripting)| {
                            let (status, help) = if scripting {
                                (
                                    format!("Running a script: {} ({} s). ", cmd, waited / 1000),
                                    "Other consoles wait, then get BUSY after 5 s; SCRIPT KILL (FUNCTION KILL) in another console stops it.",
                                )
                            } else if monitoring {
                                (
                                    format!("Monitoring ({} s). ", waited / 1000),
                                    "Every command any console runs appears here; Ctrl+C leaves.",
                                )
                            } else if subscribed {
                                (
                                    format!("Subscribed: {} ({} s). ", cmd, waited / 1000),
                                    "Messages published from another console appear here; Ctrl+C leaves.",
                                )
                            } else {
                                (
                                    format!("Waiting for a reply to {} ({} s). ", cmd, waited / 1000),
                                    "A write from another console can wake it; Ctrl+C interrupts.",
                                )
                            };
                            view! {
                                <div class="wait-status" role="status">
                                    <span class="spinner" aria-hidden="true"></span>
                                    <span>{status}</span>
                                    <span class="waiting-help">{help}</span>
                                </div>
                            }
                        })
                }}
                <div class="input-row">
                    <span class="prompt">{prompt}</span>
                    <div class="field">
                        <div class="ghost" aria-hidden="true">
                            <span class="ghost-typed">{move || ctx.input.get()}</span>
                            <span class="hint">{hint}</span>
                        </div>
                        <input
                            class="console-input"
                            type="text"
                            node_ref=ctx.input_ref
                            aria-label="Redis command"
                            autocomplete="off"
                            autocapitalize="off"
                            spellcheck="false"
                            autofocus=true
                            prop:readOnly=move || {
                                ctx.tabs.track();
                                ctx.state.try_with_value(|s| s.console().is_waiting()).unwrap_or(false)
                            }
                            prop:value=move || ctx.input.get()
                            on:keydown=on_keydown
                            on:input=on_input
                            on:paste=on_paste
                        />
                    </div>
                </div>
                {move || {
                    candidates()
                        .map(|(list, shown)| {
                            let items = list
                                .into_iter()
                                .enumerate()
                                .map(|(i, c)| {
                                    let class = if i == shown { "cand current" } else { "cand" };
                                    view! { <span class=class>{c}</span> }
                                })
                                .collect_view();
                            view! { <div class="completions">{items}</div> }
                        })
                }}
            </div>
        </section>
    }
}

/// The keys of the selected database, with a glob filter.
#[component]
pub fn KeyList() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let rows = move || ctx.listing.with(|l| l.rows.clone());
    let on_filter = move |ev: web_sys::Event| {
        ctx.filter.set(event_target_value(&ev));
        ctx.refresh_keys(0);
    };
    let summary = move || {
        ctx.listing.with(|l| {
            if l.matching == l.total {
                format!("{} key{}", l.total, if l.total == 1 { "" } else { "s" })
            } else {
                format!("{} of {}", l.matching, l.total)
            }
        })
    };
    let more = move || {
        ctx.listing.with(|l| (l.matching > l.rows.len()).then(|| format!("and {} more: narrow the filter", l.matching - l.rows.len())))
    };
    let empty = move || {
        ctx.listing.with(|l| {
            if l.total == 0 {
                Some(format!("No keys in db {} yet. Try SET greeting hello.", l.db))
            } else if l.matching == 0 {
                Some("No key matches this pattern.".to_string())
            } else {
                None
            }
        })
    };
    let row_view = move |r: keys::KeyRow| {
        let command = keys::console_command(&r);
        let title = format!("{} ({}, encoding {}): click to type {}", r.display, r.type_name, r.encoding, command);
        let is_stream = r.type_name == "stream";
        let key = r.key.clone();
        let on_click = move |_| {
            let cmd = command.clone();
            ctx.console_op(|c, _| c.set_input(&cmd));
            if is_stream {
                let db = ctx.listing.with_untracked(|l| l.db);
                ctx.open_stream(db, &key);
            }
            ctx.focus_input();
        };
        view! {
            <li>
                <button class="key" title=title on:click=on_click>
                    <span class=format!("badge t-{}", r.type_name)>{r.type_name}</span>
                    <span class="name">{r.display.clone()}</span>
                    <span class="ttl" title="time to live">{r.ttl_ms.map(keys::format_ttl)}</span>
                    <span class="size">{keys::format_size(r.size)}</span>
                </button>
            </li>
        }
    };

    view! {
        <aside class="keys" aria-label="Keys">
            <div class="keys-head">
                <h2>"Keys"</h2>
                <span class="db-badge">{move || format!("db {}", ctx.listing.with(|l| l.db))}</span>
                <span class="count">{summary}</span>
            </div>
            <input
                class="filter"
                type="search"
                placeholder="Filter with a pattern, e.g. user:*"
                aria-label="Filter keys with a glob pattern"
                spellcheck="false"
                prop:value=move || ctx.filter.get()
                on:input=on_filter
            />
            <div class="key-scroll">
                <ul class="key-list">
                    <For
                        each=rows
                        key=|r| (r.key.clone(), r.ttl_ms.map(keys::format_ttl), r.size, r.type_name)
                        children=row_view
                    />
                </ul>
                {move || empty().map(|t| view! { <p class="empty">{t}</p> })}
                {move || more().map(|t| view! { <p class="more">{t}</p> })}
            </div>
            <p class="keys-foot">"Click a key to type a command for it; a stream opens in this pane. TTLs count down live."</p>
        </aside>
    }
}

/// Reads one thing of the open stream's view; `default` while none is open.
fn with_view<T>(ctx: AppCtx, default: T, f: impl FnOnce(&Shown, &StreamView) -> T) -> T {
    ctx.stream.with(|s| s.as_ref().and_then(|s| s.view.as_ref().map(|v| f(s, v)))).unwrap_or(default)
}

/// One row of the entries table: ID, the time it encodes, fields, and where it is pending.
#[derive(Clone, PartialEq, Eq, Hash)]
struct EntryLine {
    id: StreamId,
    /// Field/value pairs as redis-cli would quote them.
    fields: Vec<(String, String)>,
    /// `group → consumer` for each group (on its page) that holds the entry as pending.
    pending_in: Vec<String>,
    fresh: bool,
}

/// A pending entry's identity and owner (its idle time is read live).
#[derive(Clone, PartialEq, Eq, Hash)]
struct PendingLine {
    group: Vec<u8>,
    id: StreamId,
    consumer: Vec<u8>,
    /// Whom "claim" suggests (another consumer of the group, see `claim_target`).
    claim_for: Vec<u8>,
    deliveries: u64,
    fresh: bool,
}

fn fields_text(fields: &[(Vec<u8>, Vec<u8>)]) -> Vec<(String, String)> {
    fields.iter().map(|(f, v)| (keys::display_key(f), keys::display_key(v))).collect()
}

/// The visualisation pane's stream view: entries newest first, consumer groups with
/// their consumers and pending entries, paged; what a command moved is highlighted once.
#[component]
pub fn StreamPane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let key_text = move || ctx.stream.with(|s| s.as_ref().map(|s| keys::display_key(&s.key)).unwrap_or_default());
    let exists = move || ctx.stream.with(|s| s.as_ref().is_some_and(|s| s.view.is_some()));
    let summary = move || {
        with_view(ctx, String::new(), |_, v| {
            let groups = v.groups.len();
            format!(
                "{} entr{} · {} group{} · last ID {}",
                v.length,
                if v.length == 1 { "y" } else { "ies" },
                groups,
                if groups == 1 { "" } else { "s" },
                v.last_generated_id
            )
        })
    };
    let said = move || ctx.stream.with(|s| s.as_ref().map(|s| s.changes.said.join(" ")).unwrap_or_default());
    let entries = move || {
        with_view(ctx, Vec::new(), |s, v| {
            v.entries
                .iter()
                .map(|e| {
                    let pending_in = v
                        .groups
                        .iter()
                        .filter_map(|g| {
                            g.pending
                                .iter()
                                .find(|p| p.id == e.id)
                                .map(|p| format!("{} → {}", keys::display_key(&g.name), keys::display_key(&p.consumer)))
                        })
                        .collect();
                    EntryLine { id: e.id, fields: fields_text(&e.fields), pending_in, fresh: s.changes.new_entries.contains(&e.id) }
                })
                .collect::<Vec<_>>()
        })
    };
    let group_names = move || with_view(ctx, Vec::new(), |_, v| v.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>());
    let has_older = move || with_view(ctx, false, |_, v| v.has_older);
    let has_newer = move || ctx.stream.with(|s| s.as_ref().is_some_and(|s| s.entries_paged));
    let more_pending = move || with_view(ctx, false, |_, v| v.groups.iter().any(|g| g.more_pending));
    let pending_paged = move || ctx.stream.with(|s| s.as_ref().is_some_and(|s| s.pending_paged));
    let key_for_cmds = move || ctx.stream.with_untracked(|s| s.as_ref().map(|s| s.key.clone()).unwrap_or_default());

    let entry_view = move |e: EntryLine| {
        let class = if e.fresh { "sv-row fresh" } else { "sv-row" };
        let pending = e.pending_in.iter().map(|t| view! { <span class="sv-tag">{t.clone()}</span> }).collect_view();
        let fields = e
            .fields
            .iter()
            .map(|(f, v)| view! { <span class="sv-kv"><span class="sv-f">{f.clone()}</span>" "<span class="sv-v">{v.clone()}</span></span> })
            .collect_view();
        view! {
            <tr class=class>
                <td class="sv-id">{e.id.to_string()}</td>
                <td class="sv-time">{streams::id_time(e.id)}</td>
                <td class="sv-fields">{fields}{pending}</td>
            </tr>
        }
    };

    let group_view = move |name: Vec<u8>| {
        let label = keys::display_key(&name);
        let stats_name = name.clone();
        let stats = move || {
            with_view(ctx, Vec::new(), |_, v| {
                v.groups
                    .iter()
                    .find(|g| g.name == stats_name)
                    .map(|g| {
                        let opt = |n: Option<i64>| n.map_or_else(|| "nil".to_string(), |n| n.to_string());
                        vec![
                            ("last-delivered-id", g.last_delivered_id.to_string()),
                            ("entries-read", opt(g.entries_read)),
                            ("lag", opt(g.lag)),
                            ("pending", g.pending_count.to_string()),
                            ("consumers", g.consumer_count.to_string()),
                        ]
                    })
                    .unwrap_or_default()
            })
        };
        let consumers_name = name.clone();
        let consumers = move || {
            with_view(ctx, Vec::new(), |_, v| {
                v.groups
                    .iter()
                    .find(|g| g.name == consumers_name)
                    .map(|g| g.consumers.iter().map(|c| (c.name.clone(), c.pending)).collect::<Vec<_>>())
                    .unwrap_or_default()
            })
        };
        let pel_name = name.clone();
        let pending = move || {
            with_view(ctx, Vec::new(), |s, v| {
                v.groups
                    .iter()
                    .find(|g| g.name == pel_name)
                    .map(|g| {
                        g.pending
                            .iter()
                            .map(|p| PendingLine {
                                group: g.name.clone(),
                                id: p.id,
                                consumer: p.consumer.clone(),
                                claim_for: streams::claim_target(g, &p.consumer).to_vec(),
                                deliveries: p.delivery_count,
                                fresh: s.changes.moved_pending.contains(&(g.name.clone(), p.id)),
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        };
        let consumer_view = {
            let group = name.clone();
            move |(cname, count): (Vec<u8>, usize)| {
                let (group, cname2) = (group.clone(), cname.clone());
                let idle = move || {
                    with_view(ctx, String::new(), |_, v| {
                        v.groups
                            .iter()
                            .find(|g| g.name == group)
                            .and_then(|g| g.consumers.iter().find(|c| c.name == cname2))
                            .map(|c| streams::format_ms(c.idle_ms))
                            .unwrap_or_default()
                    })
                };
                view! {
                    <tr>
                        <td class="sv-consumer">{keys::display_key(&cname)}</td>
                        <td class="num">{count}</td>
                        <td class="num sv-idle">{idle}</td>
                    </tr>
                }
            }
        };
        let pending_view = move |p: PendingLine| {
            let class = if p.fresh { "sv-row fresh" } else { "sv-row" };
            let (group, id) = (p.group.clone(), p.id);
            let idle = move || {
                with_view(ctx, String::new(), |_, v| {
                    v.groups
                        .iter()
                        .find(|g| g.name == group)
                        .and_then(|g| g.pending.iter().find(|x| x.id == id))
                        .map(|x| streams::format_ms(x.idle_ms))
                        .unwrap_or_default()
                })
            };
            let claim = streams::claim_command(&key_for_cmds(), &p.group, &p.claim_for, p.id);
            let ack = streams::ack_command(&key_for_cmds(), &p.group, p.id);
            let claim_label = format!("Type {claim}");
            let ack_label = format!("Type {ack}");
            let on_claim = move |_| ctx.prefill(&claim);
            let on_ack = move |_| ctx.prefill(&ack);
            view! {
                <tr class=class>
                    <td class="sv-id">{p.id.to_string()}</td>
                    <td class="sv-consumer">{keys::display_key(&p.consumer)}</td>
                    <td class="num sv-idle">{idle}</td>
                    <td class="num">{p.deliveries}</td>
                    <td class="sv-actions">
                        <button class="sv-act claim" title=claim_label.clone() aria-label=claim_label on:click=on_claim>"claim"</button>
                        <button class="sv-act ack" title=ack_label.clone() aria-label=ack_label on:click=on_ack>"ack"</button>
                    </td>
                </tr>
            }
        };
        view! {
            <section class="sv-group" aria-label=format!("Consumer group {label}")>
                <h4><span class="sv-group-label">"group "</span><span class="sv-group-name">{label.clone()}</span></h4>
                <dl class="sv-stats">
                    {move || stats().into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
                </dl>
                <table class="sv-table" aria-label=format!("Consumers of {label}")>
                    <thead><tr><th scope="col">"consumer"</th><th scope="col" class="num">"pending"</th><th scope="col" class="num">"idle"</th></tr></thead>
                    <tbody>
                        <For each=consumers key=|c| c.clone() children=consumer_view/>
                    </tbody>
                </table>
                <table class="sv-table sv-pel" aria-label=format!("Pending entries of {label}")>
                    <thead><tr>
                        <th scope="col">"pending ID"</th><th scope="col">"consumer"</th><th scope="col" class="num">"idle"</th>
                        <th scope="col" class="num">"deliveries"</th><th scope="col"><span class="sr-only">"actions"</span></th>
                    </tr></thead>
                    <tbody>
                        <For each=pending key=|p| p.clone() children=pending_view/>
                    </tbody>
                </table>
            </section>
        }
    };

    view! {
        <aside class="keys stream-view" aria-label=move || format!("Stream {}", key_text())>
            <div class="keys-head">
                <button class="sv-back" on:click=move |_| ctx.close_stream() aria-label="Back to keys">"← keys"</button>
                <span class="badge t-stream">"stream"</span>
                <h2 class="sv-key">{key_text}</h2>
                <span class="count">{summary}</span>
            </div>
            <p class="sv-live" role="status" aria-live="polite">{said}</p>
            {move || (!exists()).then(|| view! { <p class="empty">"This key no longer holds a stream."</p> })}
            <div class="key-scroll sv-scroll">
                <div class="sv-section-head">
                    <h3>"Entries"<span class="sv-hint">" newest first"</span></h3>
                    <div class="sv-pager">
                        <button class="sv-newer" disabled=move || !has_newer() on:click=move |_| ctx.stream_nav(StreamWatch::newer)>"newer"</button>
                        <button class="sv-older" disabled=move || !has_older() on:click=move |_| ctx.stream_nav(StreamWatch::older)>"older"</button>
                    </div>
                </div>
                <table class="sv-table sv-entries" aria-label="Entries, newest first">
                    <thead><tr><th scope="col">"ID"</th><th scope="col">"time (UTC)"</th><th scope="col">"fields"</th></tr></thead>
                    <tbody>
                        <For each=entries key=|e| e.clone() children=entry_view/>
                    </tbody>
                </table>
                <div class="sv-section-head">
                    <h3>"Consumer groups"</h3>
                    <div class="sv-pager">
                        <button class="sv-pel-prev" disabled=move || !pending_paged() on:click=move |_| ctx.stream_nav(StreamWatch::fewer_pending)>"earlier pending"</button>
                        <button class="sv-pel-next" disabled=move || !more_pending() on:click=move |_| ctx.stream_nav(StreamWatch::more_pending)>"later pending"</button>
                    </div>
                </div>
                {move || group_names().is_empty().then(|| view! { <p class="empty">"No consumer group yet. Try XGROUP CREATE with this key."</p> })}
                <For each=group_names key=|n| n.clone() children=group_view/>
            </div>
            <p class="keys-foot">"claim and ack type a command into the console; press Enter to run it."</p>
        </aside>
    }
}

/// Starts the page: panic hook, mount, and a marker for tests and the timing probe.
pub fn start() {
    web::install_panic_hook();
    web::remove_boot_message();
    leptos::mount::mount_to_body(App);
    web::mark_ready();
    // Focus the line so the user can type at once.
    if let Some(input) = web::document().and_then(|d| d.query_selector("input.console-input").ok().flatten()) {
        if let Ok(input) = input.dyn_into::<web_sys::HtmlElement>() {
            let _ = input.focus();
        }
    }
}
