//! The console pane: tabs (one client each), the screen of entries, the prompt and the
//! line being typed with its hint and completions. The REPL logic is `crate::console`.

use std::sync::Arc;

use leptos::html;
use leptos::prelude::*;

use crate::app::{AppCtx, MAX_TABS};
use crate::console::{Entry, Kind};
use crate::programs_ui::state_class;
use crate::ui::http_pane::{HttpPane, HttpTab};
use crate::ui::program_pane::{ProgramMenu, ProgramPane};
use crate::web;

/// One line of the screen.
fn entry_view(e: Arc<Entry>) -> impl IntoView {
    let class = match e.kind {
        Kind::Command => "entry cmd",
        Kind::Reply => "entry reply",
        Kind::Error => "entry error",
        Kind::Note => "entry note",
    };
    let prompt =
        (!e.prompt.is_empty()).then(|| view! { <span class="prompt">{e.prompt.clone()}</span> });
    if e.kind == Kind::Note {
        // Notes are the playground's own words; `backticks` mark commands to try.
        let parts = e
            .text
            .split('`')
            .enumerate()
            .map(|(i, part)| {
                let part = part.to_string();
                if i % 2 == 1 {
                    view! { <code>{part}</code> }.into_any()
                } else {
                    part.into_any()
                }
            })
            .collect_view();
        return view! { <div class=class>{parts}</div> }.into_any();
    }
    view! { <pre class=class>{prompt}<span class="text">{e.text.clone()}</span></pre> }.into_any()
}

/// Entries drawn at first (and added by each "show earlier output").
const SHOWN_ENTRIES: usize = 200;

/// The redis-cli console: the screen, then the prompt and the line being typed.
#[component]
pub fn ConsolePane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let screen_ref = NodeRef::<html::Div>::new();

    // The screen draws the newest SHOWN_ENTRIES entries (the console keeps up to
    // console::MAX_ENTRIES): a long session keeps a small, fast page; earlier output is
    // one click away.
    let limit = RwSignal::new(SHOWN_ENTRIES);
    let all_entries = move || {
        ctx.entries.track();
        ctx.state
            .try_with_value(|s| s.console().snapshot())
            .unwrap_or_default()
    };
    let hidden = Memo::new(move |_| all_entries().len().saturating_sub(limit.get()));
    let entries = move || {
        let mut all = all_entries();
        let skip = all.len().saturating_sub(limit.get());
        all.drain(..skip);
        all
    };
    let prompt = move || {
        ctx.screen.track();
        ctx.tabs.track();
        // While a command waits (blocked, subscribed, monitoring) redis-cli shows no prompt.
        ctx.state
            .try_with_value(|s| {
                if s.console().is_waiting() {
                    String::new()
                } else {
                    s.console().prompt(&s.pg)
                }
            })
            .unwrap_or_default()
    };
    let hint = move || {
        ctx.input.track();
        ctx.screen.track();
        ctx.state
            .try_with_value(|s| s.console().hint())
            .flatten()
            .unwrap_or_default()
    };
    let candidates = move || {
        ctx.screen.track();
        ctx.state
            .try_with_value(|s| {
                s.console()
                    .completion_candidates()
                    .map(|(c, i)| (c.to_vec(), i))
            })
            .flatten()
    };

    // The program tab shown instead of the console, if any: (index, file name).
    let shown_program = Memo::new(move |_| {
        ctx.tabs.track();
        ctx.programs.track();
        ctx.state
            .try_with_value(|s| {
                s.progs
                    .shown
                    .and_then(|i| s.progs.tabs.get(i).map(|t| (i, t.name.clone())))
            })
            .flatten()
    });
    let http_shown = Memo::new(move |_| {
        ctx.tabs.track();
        ctx.programs.track();
        ctx.state
            .try_with_value(|s| s.progs.http_visible())
            .unwrap_or(false)
    });
    let program_shown = move || shown_program.with(Option::is_some) || http_shown.get();
    // The program tabs: (index, name, state class, shown). Read on every tick, redrawn
    // only when a program changes state.
    let program_tabs = Memo::new(move |_| {
        ctx.vtime.track();
        ctx.programs.track();
        ctx.tabs.track();
        ctx.state
            .try_with_value(|s| {
                s.progs
                    .tabs
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let state = s.progs.state(i);
                        (
                            i,
                            t.name.clone(),
                            state_class(state.as_ref()),
                            s.progs.shown == Some(i),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let program_tab_view =
        move |(index, name, class, active): (usize, String, &'static str, bool)| {
            let close_label = format!("Close {name} (stops it)");
            let title = format!("{name}: a program, its own client");
            view! {
                <span class="tab program-tab" class:active=active>
                    <button
                        role="tab"
                        class="tab-name"
                        aria-selected=if active { "true" } else { "false" }
                        title=title
                        on:click=move |_| {
                            ctx.programs_op(|desk, _, _| desk.shown = Some(index));
                        }
                    >
                        <span class="tab-kind" aria-hidden="true">"λ"</span>
                        {name}
                        <span class=format!("tab-state {class}") aria-hidden="true"></span>
                    </button>
                    <button
                        class="tab-close"
                        aria-label=close_label
                        on:click=move |_| {
                            ctx.programs_op(|desk, engine, _| desk.close(engine, index));
                        }
                    >
                        "×"
                    </button>
                </span>
            }
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
                        let name = t
                            .title
                            .clone()
                            .unwrap_or_else(|| format!("redis-cli {}", t.number));
                        let active =
                            i == s.active && s.progs.shown.is_none() && !s.progs.http_visible();
                        (i, name, t.console.is_waiting(), active)
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
                    .and_then(|w| {
                        w.prompt_with_message_and_default(
                            "Name this console (empty for the default):",
                            &current,
                        )
                        .ok()
                    })
                    .flatten();
                if let Some(new_name) = asked {
                    ctx.tabs_op(|s| s.rename_tab(index, &new_name));
                }
            }
        };
        let title = if waiting {
            format!("{name}: waiting (double-click to rename)")
        } else {
            format!("{name} (double-click to rename)")
        };
        let close_label = format!("Close {name}");
        let several = tab_list().len() > 1;
        view! {
            <span class="tab" class:active=active class:waiting=waiting>
                <button
                    role="tab"
                    class="tab-name"
                    aria-selected=if active { "true" } else { "false" }
                    title=title
                    on:click=move |_| ctx.tabs_op(|s| {
                        s.active = index.min(s.tabs.len() - 1);
                        s.progs.shown = None;
                        s.progs.http_shown = false;
                    })
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
            // The frame may come after the pane was disposed.
            if let Some(el) = screen_ref.try_get_untracked().flatten() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    });

    // Typing anywhere on the page (outside another field) types into the console.
    let redirect = window_event_listener(leptos::ev::keydown, move |ev: web_sys::KeyboardEvent| {
        let printable =
            ev.key().chars().count() == 1 && !ev.ctrl_key() && !ev.meta_key() && !ev.alt_key();
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
            "Escape" => ctx
                .console_op(|c, _| c.cancel_completion())
                .unwrap_or(false),
            "l" | "L" if ev.ctrl_key() => {
                ctx.console_op(|c, _| c.clear());
                true
            }
            // Ctrl+C interrupts a waiting command; with a selection it copies as usual.
            "c" | "C" if ev.ctrl_key() && !web::has_selection() => {
                ctx.console_op(|c, pg| c.interrupt(pg)).unwrap_or(false)
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
        let Some(text) = ev.clipboard_data().and_then(|d| d.get_data("text").ok()) else {
            return;
        };
        let Some(input) = ctx.input_ref.get_untracked() else {
            return;
        };
        let value = input.value();
        let (start, end) = web::selection_range(&input, &value);
        let (before, after) = (&value[..start], &value[end..]);
        let ran = ctx
            .console_op(|c, pg| c.paste(pg, before, &text, after))
            .unwrap_or(false);
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
                            s.progs.shown = None;
                            s.progs.http_shown = false;
                        })
                    >
                        "+"
                    </button>
                    {move || program_tabs.get().into_iter().map(program_tab_view).collect_view()}
                    <HttpTab/>
                    <ProgramMenu/>
                </div>
            </div>
            {move || shown_program.get().map(|(index, name)| view! { <ProgramPane index=index name=name/> })}
            {move || http_shown.get().then(|| view! { <HttpPane/> })}
            <div
                class="screen"
                node_ref=screen_ref
                on:click=on_click
                style:display=move || program_shown().then_some("none")
            >
                {move || (hidden.get() > 0).then(|| view! {
                    <button class="show-earlier" on:click=move |_| limit.update(|l| *l += SHOWN_ENTRIES)>
                        {format!("Show earlier output ({} more lines)", hidden.get())}
                    </button>
                })}
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
