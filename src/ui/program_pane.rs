//! A program tab of the console pane: the program's source in an editor, its state, its
//! controls (Run/Restart, Pause/Resume, Ctrl+C, Kill) and its log, like a terminal that
//! runs `lua worker.lua`. Editing a running program changes nothing until Restart; a
//! compile error is shown under the editor and the old program goes on. The model is
//! `crate::programs_ui::Desk`.

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::AppCtx;
use crate::programs_ui::{actions, clock_label, state_class, state_label, Template, TEMPLATES};
use crate::web;
use redis_programs::LogKind;

/// Opens a program tab with `template` and shows it.
pub(crate) fn open_program(ctx: AppCtx, template: &'static Template) {
    ctx.programs_op(|desk, _, _| desk.open(template));
}

/// Runs (or restarts with the edited source) program tab `index`.
fn run(ctx: AppCtx, index: usize) {
    ctx.programs_op(|desk, engine, _| desk.run(engine, index));
}

/// Ctrl+C: stops program tab `index`.
fn stop(ctx: AppCtx, index: usize) {
    ctx.programs_op(|desk, engine, _| desk.stop(engine, index));
}

/// The "+ program" menu: a blank program and the examples.
#[component]
pub fn ProgramMenu() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let open = RwSignal::new(false);
    let full = move || {
        ctx.programs.track();
        ctx.state
            .try_with_value(|s| s.progs.tabs.len() >= crate::programs_ui::MAX_PROGRAMS)
            .unwrap_or(true)
    };
    let button = NodeRef::<html::Button>::new();
    let list = NodeRef::<html::Ul>::new();
    // Opened, the menu takes the focus (its first item) so the keyboard can use it.
    Effect::new(move |_| {
        if open.get() {
            request_animation_frame(move || {
                let first = list
                    .try_get_untracked()
                    .flatten()
                    .and_then(|l| l.query_selector("button").ok().flatten())
                    .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok());
                if let Some(first) = first {
                    let _ = first.focus();
                }
            });
        }
    });
    let close_and_refocus = move || {
        open.set(false);
        if let Some(b) = button.try_get_untracked().flatten() {
            let _ = b.focus();
        }
    };
    // The focus leaving the menu (a click elsewhere, Tab away) closes it.
    let on_focusout = move |ev: web_sys::FocusEvent| {
        let inside = ev
            .related_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
            .zip(list.try_get_untracked().flatten())
            .is_some_and(|(target, list)| list.contains(Some(&target)));
        if !inside {
            open.set(false);
        }
    };
    let item = move |template: &'static Template| {
        view! {
            <li role="none">
                <button
                    role="menuitem"
                    class="pm-item"
                    on:click=move |_| {
                        open.set(false);
                        open_program(ctx, template);
                    }
                >
                    <span class="pm-file">{template.name}</span>
                    <span class="pm-title">{template.title}</span>
                </button>
            </li>
        }
    };
    view! {
        <span class="program-menu">
            <button
                class="tab-new program-new"
                node_ref=button
                aria-haspopup="menu"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                title="Open a program: a Lua script that runs as its own client, like a process in another terminal"
                disabled=full
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "+ program"
            </button>
            {move || open.get().then(|| view! {
                <ul
                    class="pm-list"
                    role="menu"
                    aria-label="New program"
                    node_ref=list
                    on:focusout=on_focusout
                    on:keydown=move |ev: web_sys::KeyboardEvent| {
                        match ev.key().as_str() {
                            "Escape" => {
                                ev.prevent_default();
                                close_and_refocus();
                            }
                            "ArrowDown" | "ArrowUp" => {
                                ev.prevent_default();
                                move_focus(list, ev.key() == "ArrowDown");
                            }
                            _ => {}
                        }
                    }
                >
                    {TEMPLATES.iter().map(item).collect_view()}
                </ul>
            })}
        </span>
    }
}

/// Keeps the editor's text as tab `index`'s draft, saved for the next visit.
fn set_draft(ctx: AppCtx, index: usize, draft: String) {
    let saved = ctx.state.try_update_value(|s| {
        let tab = s.progs.tabs.get_mut(index)?;
        tab.draft = draft;
        Some(s.progs.saved())
    });
    if let Some(Some(saved)) = saved {
        web::save_setting(crate::app::PROGRAMS_SETTING, &saved);
    }
}

/// Arrow keys in the menu: the focus moves to the next (or previous) item, round.
fn move_focus(list: NodeRef<html::Ul>, down: bool) {
    let Some(list) = list.try_get_untracked().flatten() else {
        return;
    };
    let Ok(items) = list.query_selector_all("button") else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..items.length())
        .filter_map(|i| items.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect();
    if items.is_empty() {
        return;
    }
    let active = web::document().and_then(|d| d.active_element());
    let current = items.iter().position(|i| {
        active
            .as_ref()
            .is_some_and(|a| a == i.unchecked_ref::<web_sys::Element>())
    });
    let next = match (current, down) {
        (None, _) => 0,
        (Some(i), true) => (i + 1) % items.len(),
        (Some(i), false) => (i + items.len() - 1) % items.len(),
    };
    let _ = items[next].focus();
}

/// Inserts two spaces at the editor's cursor (Tab), replacing a selection.
fn insert_indent(area: &web_sys::HtmlTextAreaElement) -> String {
    let value = area.value();
    let start = area.selection_start().ok().flatten().unwrap_or(0) as usize;
    let end = area.selection_end().ok().flatten().unwrap_or(0) as usize;
    let (start, end) = (
        web::utf16_to_byte(&value, start),
        web::utf16_to_byte(&value, end.max(start)),
    );
    let edited = format!("{}  {}", &value[..start], &value[end..]);
    area.set_value(&edited);
    let cursor = value[..start].encode_utf16().count() as u32 + 2;
    let _ = area.set_selection_range(cursor, cursor);
    edited
}

/// The content of program tab `index` (named `name`): re-created when another tab is
/// shown, so the editor keeps its cursor while the program runs.
#[component]
pub fn ProgramPane(index: usize, name: String) -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let editor = NodeRef::<html::Textarea>::new();
    let log_ref = NodeRef::<html::Div>::new();
    let draft = ctx
        .state
        .try_with_value(|s| s.progs.tabs.get(index).map(|t| t.draft.clone()))
        .flatten()
        .unwrap_or_default();

    // The state changes only when the programs run: read it on every tick, redraw only
    // when it differs.
    let state = Memo::new(move |_| {
        ctx.vtime.track();
        ctx.programs.track();
        ctx.state.try_with_value(|s| s.progs.state(index)).flatten()
    });
    let error = move || {
        ctx.programs.track();
        ctx.state
            .try_with_value(|s| s.progs.tabs.get(index).and_then(|t| t.error.clone()))
            .flatten()
    };
    let lines = move || {
        ctx.programs.track();
        ctx.state
            .try_with_value(|s| s.progs.log(index))
            .unwrap_or_default()
    };
    let can = move || actions(state.get().as_ref());

    // Keep the newest line in view. The frame may come after the tab was closed or
    // switched (the pane disposed): `try_` then finds nothing.
    Effect::new(move |_| {
        ctx.programs.track();
        request_animation_frame(move || {
            if let Some(el) = log_ref.try_get_untracked().flatten() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    });

    let on_input = move |ev: web_sys::Event| {
        set_draft(ctx, index, event_target_value(&ev));
    };
    let on_editor_key = move |ev: web_sys::KeyboardEvent| {
        let Some(area) = editor.get_untracked() else {
            return;
        };
        if ev.key() == "Tab" && !ev.shift_key() && !ev.ctrl_key() && !ev.alt_key() {
            ev.prevent_default();
            set_draft(ctx, index, insert_indent(&area));
        } else if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
            ev.prevent_default();
            run(ctx, index);
        }
    };
    // Ctrl+C anywhere in the tab stops the program, as in a terminal, unless text is
    // selected (then it copies).
    let on_key = move |ev: web_sys::KeyboardEvent| {
        if !(ev.ctrl_key() && (ev.key() == "c" || ev.key() == "C")) {
            return;
        }
        let editor_selection = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            .is_some_and(|area| {
                area.selection_start().ok().flatten() != area.selection_end().ok().flatten()
            });
        if !editor_selection && !web::has_selection() {
            ev.prevent_default();
            stop(ctx, index);
        }
    };

    let line_view = |line: redis_programs::LogLine| {
        let class = match line.kind {
            LogKind::Output => "pl-line out",
            LogKind::Error => "pl-line err",
            LogKind::Note => "pl-line note",
        };
        view! {
            <div class=class>
                <span class="pl-time">{clock_label(line.at_ms)}</span>
                {line.text}
            </div>
        }
    };
    let editor_label = format!("Source of {name}");
    let log_label = format!("Output of {name}");
    let hint = "Ctrl+Enter runs · Ctrl+C stops · edits apply when you run again";

    view! {
        <div class="program" role="tabpanel" aria-label=name.clone() on:keydown=on_key>
            <div class="program-bar">
                <span
                    class=move || format!("program-state {}", state_class(state.get().as_ref()))
                    title=move || state_label(state.get().as_ref())
                >
                    {move || state_label(state.get().as_ref())}
                </span>
                <span class="program-buttons">
                    <button class="pb-run" title="Run the source in the editor (Ctrl+Enter)" on:click=move |_| run(ctx, index)>
                        {move || if can().restart { "↻ Restart" } else { "▶ Run" }}
                    </button>
                    <button
                        class="pb-pause"
                        disabled=move || { let c = can(); !(c.pause || c.resume) }
                        on:click=move |_| {
                            ctx.programs_op(|desk, _, _| {
                                if !desk.pause(index) {
                                    desk.resume(index);
                                }
                            });
                        }
                    >
                        {move || if can().resume { "Resume" } else { "Pause" }}
                    </button>
                    <button
                        class="pb-stop"
                        title="Interrupt it, like Ctrl+C in a terminal: its client disconnects"
                        disabled=move || !can().stop
                        on:click=move |_| stop(ctx, index)
                    >
                        "Ctrl+C"
                    </button>
                    <button
                        class="pb-kill"
                        title="Kill it as if it crashed (kill -9): what it held stays pending"
                        disabled=move || !can().kill
                        on:click=move |_| {
                            ctx.programs_op(|desk, engine, _| desk.kill(engine, index));
                        }
                    >
                        "Kill"
                    </button>
                </span>
            </div>
            <textarea
                class="program-editor"
                node_ref=editor
                aria-label=editor_label
                spellcheck="false"
                autocomplete="off"
                autocapitalize="off"
                wrap="off"
                prop:value=draft
                on:input=on_input
                on:keydown=on_editor_key
            ></textarea>
            <div class="program-hint">{hint}</div>
            {move || error().map(|e| view! { <pre class="program-error" role="alert">{e}</pre> })}
            <div class="program-log" node_ref=log_ref role="log" aria-label=log_label>
                {move || lines().into_iter().map(line_view).collect_view()}
            </div>
        </div>
    }
}
