//! The exercises menu: the built-in exercises with the learner's progress, and a place
//! for authors to load an exercise file they are writing (every problem listed with its
//! line). Also opens the exercise a URL names (`?exercise=ID`, `?exercise-url=URL`).

use leptos::prelude::*;
use redis_exercises::format::FormatError;
use wasm_bindgen::JsCast;

use crate::app::AppCtx;
use crate::exercise::Progress;
use crate::ui::guide_pane::{progress_setting, OPEN_SETTING};
use crate::web;

use crate::built_in;

/// At start: the exercise the URL names, else the one open at the last visit.
pub fn open_initial(ctx: AppCtx, problems: RwSignal<Option<(String, Vec<FormatError>)>>) {
    if let Some(url) = web::query_param("exercise-url") {
        leptos::task::spawn_local(async move {
            match web::fetch_text(&url).await {
                Ok(text) => match redis_exercises::parse(&text) {
                    Ok(exercise) => ctx.open_exercise(exercise, false),
                    Err(errors) => {
                        problems.set(Some((url, errors)));
                        ctx.catalogue.set(true);
                    }
                },
                Err(message) => {
                    problems.set(Some((url, vec![FormatError { line: 0, message }])));
                    ctx.catalogue.set(true);
                }
            }
        });
        return;
    }
    let wanted = web::query_param("exercise").or_else(|| web::load_setting(OPEN_SETTING));
    if let Some(id) = wanted {
        match built_in::find(&id) {
            Some(exercise) => ctx.open_exercise(exercise, true),
            None => {
                problems.set(Some((
                    format!("?exercise={id}"),
                    vec![FormatError {
                        line: 0,
                        message: format!("there is no built-in exercise `{id}`"),
                    }],
                )));
                ctx.catalogue.set(true);
            }
        }
    }
}

/// At start, for a share link: the built-in exercise it names, at its progress (an
/// unknown id is left out: the link's data is still shown).
pub fn open_shared(ctx: AppCtx, id: &str, progress: &str) {
    if let Some(exercise) = built_in::find(id) {
        ctx.open_exercise_with(exercise, Some(progress), false);
    }
}

/// The header's button.
#[component]
pub fn ExercisesButton() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    view! {
        <button class="exercises-button" aria-haspopup="dialog"
            on:click=move |_| ctx.catalogue.set(true)>
            <span class="exercises-icon" aria-hidden="true"></span>"Exercises"
        </button>
    }
}

/// The dialog, shown while `ctx.catalogue` is true.
#[component]
pub fn Catalogue(problems: RwSignal<Option<(String, Vec<FormatError>)>>) -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let close = move || {
        ctx.catalogue.set(false);
        ctx.focus_input();
    };
    let pasted = RwSignal::new(String::new());
    // Escape closes the menu wherever the focus is; opening it focuses its first button
    // so the keyboard starts inside it.
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && ctx.catalogue.get_untracked() {
            close();
        }
    });
    on_cleanup(move || escape.remove());
    Effect::new(move |_| {
        if ctx.catalogue.get() {
            request_animation_frame(|| {
                if let Some(button) = web::document()
                    .and_then(|d| d.query_selector(".ex-dialog .ex-open").ok().flatten())
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = button.focus();
                }
            });
        }
    });
    let check_and_open = move |text: String, name: String| match redis_exercises::parse(&text) {
        Ok(exercise) => {
            problems.set(None);
            ctx.open_exercise(exercise, false);
            ctx.catalogue.set(false);
        }
        Err(errors) => problems.set(Some((name, errors))),
    };
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        let name = file.name();
        leptos::task::spawn_local(async move {
            match web::read_file_text(file).await {
                Ok(text) => {
                    pasted.set(text.clone());
                    check_and_open(text, name);
                }
                Err(message) => problems.set(Some((name, vec![FormatError { line: 0, message }]))),
            }
        });
    };
    move || {
        if !ctx.catalogue.get() {
            return None;
        }
        ctx.guide.track();
        let cards = built_in::exercises()
            .into_iter()
            .map(|exercise| {
                let steps = exercise.steps.len();
                let done = web::load_setting(&progress_setting(&exercise.id))
                    .and_then(|p| Progress::parse(&p, steps))
                    .map_or(0, |p| p.done.iter().filter(|d| **d).count());
                let percent = (done * 100).checked_div(steps).unwrap_or(0);
                let action = if done == 0 { "Start" } else if done == steps { "Review" } else { "Continue" };
                let title = exercise.title.clone();
                let summary = exercise.summary.clone();
                let source = exercise.source.clone();
                let id = exercise.id.clone();
                view! {
                    <li class="ex-card">
                        <div class="ex-card-text">
                            <h3>{title.clone()}</h3>
                            <p>{summary}</p>
                            <p class="ex-meta">{format!("{steps} steps")}{(!source.is_empty()).then(|| format!(" · based on {source}"))}</p>
                            <div class="ex-progress" role="progressbar" aria-label=format!("{title}: {done} of {steps} steps done")
                                aria-valuemin="0" aria-valuemax=steps.to_string() aria-valuenow=done.to_string()>
                                <span style:width=format!("{percent}%")></span>
                            </div>
                        </div>
                        <button class="ex-open" data-exercise=id aria-label=format!("{action}: {title}") on:click=move |_| {
                            ctx.open_exercise(exercise.clone(), true);
                            ctx.catalogue.set(false);
                        }>{action}</button>
                    </li>
                }
            })
            .collect_view();
        let problem_list = move || {
            problems.get().map(|(name, errors)| {
                let items = errors
                    .into_iter()
                    .map(|e| view! { <li>{e.to_string()}</li> })
                    .collect_view();
                view! {
                    <div class="ex-problems" role="alert">
                        <p>{format!("{name} can't be opened:")}</p>
                        <ul>{items}</ul>
                    </div>
                }
            })
        };
        // Built-in files that could not be fetched (offline on a first visit) or read.
        let unavailable = built_in::problems();
        let unavailable = (!unavailable.is_empty()).then(|| {
            let items = unavailable
                .into_iter()
                .map(|(name, errors)| {
                    let why = errors.first().map(|e| e.message.clone()).unwrap_or_default();
                    view! { <li>{format!("{name}: {why}")}</li> }
                })
                .collect_view();
            view! {
                <div class="ex-problems" role="status">
                    <p>"Some built-in exercises could not be loaded (reload the page when online):"</p>
                    <ul>{items}</ul>
                </div>
            }
        });
        Some(view! {
            <div class="ex-overlay" on:click=move |ev| {
                // A click on the backdrop (not inside the dialog) closes it.
                if ev.target() == ev.current_target() { close(); }
            }>
                <div class="ex-dialog" role="dialog" aria-modal="true" aria-labelledby="ex-dialog-title">
                    <div class="ex-dialog-head">
                        <h2 id="ex-dialog-title">"Exercises"</h2>
                        <button class="ex-close" aria-label="Close" on:click=move |_| close()>"×"</button>
                    </div>
                    <p class="ex-lead">"Guided walkthroughs of real Redis tutorials. Each step checks your work as you type; your progress is kept in this browser."</p>
                    <ul class="ex-list">{cards}</ul>
                    {unavailable}
                    {problem_list}
                    <details class="ex-author">
                        <summary>"Load an exercise file..."</summary>
                        <p>"For course authors: pick or paste an exercise file (the format is in docs/exercises.md). Every problem is listed with its line."</p>
                        <input type="file" accept=".md,text/markdown,text/plain" aria-label="Exercise file" on:change=on_file/>
                        <textarea class="ex-paste" rows="8" aria-label="Exercise file text" placeholder="---\nid: my-exercise\ntitle: ...\n---"
                            prop:value=move || pasted.get()
                            on:input=move |ev| pasted.set(event_target_value(&ev))></textarea>
                        <button class="ex-check" on:click=move |_| check_and_open(pasted.get_untracked(), "The pasted file".into())>"Check and open"</button>
                    </details>
                </div>
            </div>
        })
    }
}
