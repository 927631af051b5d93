//! The page: a header, the console pane, the key list, a footer. Components stay thin:
//! they forward keys and clicks to the plain types in `console`, `keys` and `playground`
//! and show what those hold. Shared state lives in one `AppState` behind a
//! `StoredValue` (Copy, so every handler can hold it), with revision signals that tell
//! the views what to read again.

use std::time::Duration;

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use std::sync::Arc;

use crate::console::{Console, Entry, Kind};
use crate::history::History;
use crate::keys::{self, Listing, Watch};
use crate::playground::{PageClock, Playground};
use crate::web;

/// Everything the page knows, owned in one place.
pub struct AppState {
    pub pg: Playground,
    pub console: Console,
    watch: Watch,
}

/// The handles every component uses: Copy, so closures capture them freely.
#[derive(Clone, Copy)]
pub struct AppCtx {
    state: StoredValue<AppState, LocalStorage>,
    /// The console's entries version (`Console::version`): the screen redraws on change.
    entries: RwSignal<u64>,
    /// Bumped whenever the line, the prompt, the hint or the completion list changed.
    screen: RwSignal<u64>,
    /// The input line as the console holds it (the DOM input mirrors it).
    input: RwSignal<String>,
    /// The key list as last read.
    listing: RwSignal<Listing>,
    /// The key list's glob filter.
    filter: RwSignal<String>,
    input_ref: NodeRef<html::Input>,
}

impl AppCtx {
    /// Runs `f` on the console with the engine, then refreshes what may have changed.
    fn console_op<U>(&self, f: impl FnOnce(&mut Console, &mut Playground) -> U) -> Option<U> {
        let out = self.state.try_update_value(|s| f(&mut s.console, &mut s.pg));
        self.sync();
        out
    }

    /// Mirrors the console's line into the input and tells the screen to redraw.
    fn sync(&self) {
        if let Some((line, version)) = self.state.try_with_value(|s| (s.console.input().to_string(), s.console.version())) {
            if self.input.get_untracked() != line {
                self.input.set(line);
            }
            if self.entries.get_untracked() != version {
                self.entries.set(version);
            }
        }
        self.screen.update(|n| *n += 1);
    }

    /// After a command: the history is saved and the key list re-read if needed.
    fn after_command(&self) {
        if let Some(saved) = self.state.try_with_value(|s| s.console.history().serialize()) {
            web::save_history(&saved);
        }
        self.refresh_keys(0);
    }

    /// Re-reads the key list when the data, the db or the filter changed, or a TTL is
    /// on screen. `expired_now` is what active expiry just removed.
    fn refresh_keys(&self, expired_now: usize) {
        let pattern = self.filter.get_untracked();
        let fresh = self.state.try_update_value(|s| {
            let dirty = s.pg.engine.dirty_count();
            let db = s.pg.db();
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
#[component]
pub fn App() -> impl IntoView {
    let seed = web::random_seed();
    let state = AppState {
        pg: Playground::new(Box::new(PageClock), seed),
        console: Console::new(web::load_history().map(|s| History::parse(&s)).unwrap_or_default()),
        watch: Watch::default(),
    };
    let ctx = AppCtx {
        state: StoredValue::new_local(state),
        entries: RwSignal::new(0),
        screen: RwSignal::new(0),
        input: RwSignal::new(String::new()),
        listing: RwSignal::new(Listing::default()),
        filter: RwSignal::new(String::new()),
        input_ref: NodeRef::new(),
    };
    provide_context(ctx);
    ctx.refresh_keys(0);

    // Redis expires keys in the background; the page does it once a second, which also
    // makes TTLs on screen count down.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let expired = ctx.state.try_update_value(|s| s.pg.engine.active_expire(10_000)).unwrap_or(0);
            ctx.refresh_keys(expired);
        },
        Duration::from_secs(1),
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
            <main class="panes">
                <ConsolePane/>
                <KeyList/>
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
        ctx.state.try_with_value(|s| s.console.snapshot()).unwrap_or_default()
    };
    let prompt = move || {
        ctx.screen.track();
        ctx.state.try_with_value(|s| s.pg.prompt()).unwrap_or_default()
    };
    let hint = move || {
        ctx.input.track();
        ctx.screen.track();
        ctx.state.try_with_value(|s| s.console.hint()).flatten().unwrap_or_default()
    };
    let candidates = move || {
        ctx.screen.track();
        ctx.state
            .try_with_value(|s| s.console.completion_candidates().map(|(c, i)| (c.to_vec(), i)))
            .flatten()
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
                <span class="pane-name">"redis-cli"</span>
            </div>
            <div class="screen" node_ref=screen_ref on:click=on_click>
                <div class="entries" role="log" aria-live="polite">
                    <For each=entries key=|e| e.id children=entry_view/>
                </div>
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
        let on_click = move |_| {
            let cmd = command.clone();
            ctx.console_op(|c, _| c.set_input(&cmd));
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
            <p class="keys-foot">"Click a key to type a command for it. TTLs count down live."</p>
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
