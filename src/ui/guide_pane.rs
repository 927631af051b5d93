//! The guide: an open exercise's steps beside the console (text, commands to paste,
//! programs, goals, hints, "Show me"), and the operations its buttons do.
//!
//! The session lives in `AppState::exercise`; `AppCtx::refresh` re-evaluates its goals
//! after anything that may change them (commands, program events, time), so a goal
//! turns green as soon as it holds.

use leptos::prelude::*;
use redis_exercises::{markdown, Action, Block, CommandLine, Exercise};

use crate::app::AppCtx;
use crate::exercise::{self, Session};
use crate::programs_ui;
use crate::streams::Reason;
use crate::web;

/// The localStorage setting naming the open built-in exercise (reopened on reload).
pub const OPEN_SETTING: &str = "exercise-open";

/// Where an exercise's progress is saved.
pub fn progress_setting(id: &str) -> String {
    format!("exercise-progress:{id}")
}

impl AppCtx {
    /// Opens `exercise` in the guide, where its saved progress left it.
    pub(crate) fn open_exercise(&self, exercise: Exercise, built_in: bool) {
        let saved = web::load_setting(&progress_setting(&exercise.id));
        self.open_exercise_with(exercise, saved.as_deref(), built_in);
    }

    /// Opens `exercise` in the guide at `progress` (its saved form), or the start.
    pub(crate) fn open_exercise_with(
        &self,
        exercise: Exercise,
        progress: Option<&str>,
        built_in: bool,
    ) {
        let id = exercise.id.clone();
        let mut session = Session::new(exercise, progress);
        let rebuilt = self
            .state
            .try_update_value(|s| {
                exercise::tidy_program_tabs(s, &session.exercise);
                web::save_setting(crate::app::PROGRAMS_SETTING, &s.progs.saved());
                let rebuilt = exercise::rebuild_after_reload(s, &mut session);
                s.exercise = Some(session);
                rebuilt
            })
            .unwrap_or(false);
        if rebuilt {
            self.after_guide_work();
        }
        if built_in {
            web::save_setting(OPEN_SETTING, &id);
        }
        self.guide_changed();
    }

    /// Closes the guide (the server keeps its data; the progress stays saved).
    pub(crate) fn close_exercise(&self) {
        self.state.update_value(|s| s.exercise = None);
        web::remove_setting(OPEN_SETTING);
        self.guide.update(|n| *n += 1);
        self.focus_input();
    }

    /// Re-evaluates the goals of the shown step; saves progress when a step got done.
    pub(crate) fn refresh_guide(&self) {
        let changed = self
            .state
            .try_update_value(|s| {
                let mut session = s.exercise.take()?;
                let changed = session.evaluate(s);
                let progress = changed.then(|| (session.exercise.id.clone(), session.progress()));
                s.exercise = Some(session);
                Some(progress)
            })
            .flatten();
        if let Some(progress) = changed {
            if let Some((id, text)) = progress {
                web::save_setting(&progress_setting(&id), &text);
                self.report_progress_to_host(&id, &text);
            }
            self.guide.update(|n| *n += 1);
        }
    }

    fn guide_changed(&self) {
        if let Some((id, text)) = self
            .state
            .try_with_value(|s| {
                s.exercise
                    .as_ref()
                    .map(|e| (e.exercise.id.clone(), e.progress()))
            })
            .flatten()
        {
            web::save_setting(&progress_setting(&id), &text);
        }
        self.guide.update(|n| *n += 1);
        self.refresh_guide();
    }

    /// Shows step `index` (None: the introduction).
    pub(crate) fn guide_go(&self, index: Option<usize>) {
        self.state.update_value(|s| {
            let answers = s.progs.http.answers();
            if let Some(session) = s.exercise.as_mut() {
                session.go_to(index, answers);
            }
        });
        self.guide_changed();
        scroll_guide_to_top();
    }

    /// Runs one action of a step (a button of a `do` block, Start of a program, Show me)
    /// and redraws everything it may have changed. Returns the error to show, if any.
    pub(crate) fn guide_actions(&self, actions: Vec<Action>) -> Option<String> {
        let result = self
            .state
            .try_update_value(|s| {
                let exercise = s.exercise.as_ref()?.exercise.clone();
                let mut error = None;
                for action in &actions {
                    if let Err(e) = exercise::perform(s, &exercise, action) {
                        error = Some(e);
                        break;
                    }
                }
                web::save_setting(crate::app::PROGRAMS_SETTING, &s.progs.saved());
                Some(error)
            })
            .flatten()
            .flatten();
        self.after_guide_work();
        result
    }

    /// "Reset step": the server as it was when the shown step began.
    pub(crate) fn guide_reset_step(&self) -> Option<String> {
        let result = self
            .state
            .try_update_value(|s| {
                let session = s.exercise.as_ref()?;
                let exercise = session.exercise.clone();
                let step = session.step.unwrap_or(0);
                let result = exercise::replay_to(s, &exercise, step);
                let answers = s.progs.http.answers();
                if let Some(session) = s.exercise.as_mut() {
                    session.done[step] = false;
                    session.go_to(Some(step), answers);
                }
                result.err()
            })
            .flatten();
        self.after_guide_work();
        result
    }

    /// "Restart exercise": an empty server, nothing done, the introduction.
    pub(crate) fn guide_restart(&self) {
        self.state.update_value(|s| {
            let Some(session) = s.exercise.as_ref() else {
                return;
            };
            let exercise = session.exercise.clone();
            exercise::reset_server(s, &exercise);
            s.exercise = Some(Session::new(exercise, None));
        });
        self.after_guide_work();
        scroll_guide_to_top();
    }

    /// Pastes `line` into console tab `tab` (opened if needed) and shows it.
    pub(crate) fn guide_paste(&self, tab: usize, line: &str) {
        self.state.update_value(|s| {
            while s.tabs.len() < tab && s.open_tab() {}
            s.active = tab.clamp(1, s.tabs.len().max(1)) - 1;
            s.progs.shown = None;
            s.progs.http_shown = false;
        });
        self.tabs_op(|_| {});
        self.prefill(line);
    }

    /// Opens an exercise program's tab without running it.
    pub(crate) fn guide_open_program(&self, name: &str) {
        self.state.update_value(|s| {
            let source = s.exercise.as_ref().and_then(|e| {
                e.exercise
                    .programs
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.source.clone())
            });
            if let Some(source) = source {
                s.progs.open_named(name, &source);
                web::save_setting(crate::app::PROGRAMS_SETTING, &s.progs.saved());
            }
        });
        self.programs.update(|n| *n += 1);
        self.tabs.update(|n| *n += 1);
    }

    fn after_guide_work(&self) {
        self.programs.update(|n| *n += 1);
        self.vtime.update(|n| *n += 1);
        self.entries.update(|n| *n += 1);
        self.tabs.update(|n| *n += 1);
        self.sync();
        self.refresh(Reason::Command);
        self.refresh_clients();
        self.guide_changed();
    }
}

fn scroll_guide_to_top() {
    if let Some(el) = web::document().and_then(|d| d.query_selector(".guide-body").ok().flatten()) {
        el.set_scroll_top(0);
    }
}

/// What the guide draws, read from the session at each redraw.
#[derive(Clone, PartialEq)]
struct View {
    title: String,
    source: String,
    step: Option<usize>,
    steps: usize,
    done: Vec<bool>,
    step_title: String,
    intro: String,
    blocks: Vec<Block>,
    goals: Vec<(String, bool)>,
    hints: Vec<String>,
    hints_shown: usize,
    complete: bool,
    finished: bool,
    has_actions: bool,
    notice: Option<String>,
}

fn read_view(ctx: AppCtx) -> Option<View> {
    ctx.state
        .try_with_value(|s| {
            let session = s.exercise.as_ref()?;
            let ex = &session.exercise;
            let step = session.current();
            Some(View {
                title: ex.title.clone(),
                source: ex.source.clone(),
                step: session.step,
                steps: ex.steps.len(),
                done: session.done.clone(),
                step_title: step.map(|s| s.title.clone()).unwrap_or_default(),
                intro: ex.intro.clone(),
                blocks: step.map(|s| s.blocks.clone()).unwrap_or_default(),
                goals: step
                    .map(|s| {
                        s.checks
                            .iter()
                            .zip(
                                session
                                    .goals
                                    .iter()
                                    .copied()
                                    .chain(std::iter::repeat(false)),
                            )
                            .map(|(g, ok)| (g.label.clone(), ok))
                            .collect()
                    })
                    .unwrap_or_default(),
                hints: step.map(|s| s.hints.clone()).unwrap_or_default(),
                hints_shown: session.hints_shown,
                complete: session.step_complete(),
                finished: session.finished(),
                has_actions: step.is_some_and(|s| s.has_actions()),
                notice: session.notice.clone(),
            })
        })
        .flatten()
}

/// The guide pane; nothing when no exercise is open.
#[component]
pub fn GuidePane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let view_memo = Memo::new(move |_| {
        ctx.guide.track();
        read_view(ctx)
    });
    let error = RwSignal::new(None::<String>);
    move || {
        let v = view_memo.get()?;
        Some(guide_view(ctx, v, error))
    }
}

fn guide_view(ctx: AppCtx, v: View, error: RwSignal<Option<String>>) -> impl IntoView {
    let steps = v.steps;
    let step = v.step;
    let progress_label = match step {
        None => "Introduction".to_string(),
        Some(i) => format!("Step {} of {steps}", i + 1),
    };
    let done_count = v.done.iter().filter(|d| **d).count();
    let dots = (0..steps)
        .map(|i| {
            let done = v.done[i];
            let current = step == Some(i);
            let label = format!("Step {}{}", i + 1, if done { ", done" } else { "" });
            view! {
                <button
                    class="guide-dot"
                    class:done=done
                    class:current=current
                    aria-label=label.clone()
                    aria-current=current.then_some("step")
                    title=label
                    on:click=move |_| ctx.guide_go(Some(i))
                ></button>
            }
        })
        .collect_view();
    let body = match step {
        None => intro_view(&v).into_any(),
        Some(_) => step_view(ctx, &v, error).into_any(),
    };
    let next = match step {
        None => Some(0),
        Some(i) if i + 1 < steps => Some(i + 1),
        _ => None,
    };
    let previous = match step {
        None => None,
        Some(0) => Some(None),
        Some(i) => Some(Some(i - 1)),
    };
    let complete = v.complete;
    let finished = v.finished;
    view! {
        <aside class="guide" aria-label="Exercise guide">
            <div class="guide-head">
                <div class="guide-titles">
                    <h2 class="guide-title">{v.title.clone()}</h2>
                    <span class="guide-progress">{progress_label}" · "{done_count}"/"{steps}" done"</span>
                </div>
                <button class="guide-restart-icon" aria-label="Restart the exercise" title="Restart the exercise: empty the server, forget what is done, back to the introduction"
                    on:click=move |_| {
                        let sure = web::confirm("Restart this exercise? The server is emptied and its steps are marked not done.");
                        if sure { ctx.guide_restart(); }
                    }>"↺"</button>
                <button class="guide-close" aria-label="Close the exercise" title="Close the exercise (your progress is kept)"
                    on:click=move |_| ctx.close_exercise()>"×"</button>
            </div>
            <nav class="guide-dots" aria-label="Steps">{dots}</nav>
            <div class="guide-body">{body}</div>
            <div class="guide-foot">
                {previous.map(|p| view! {
                    <button class="guide-prev" on:click=move |_| ctx.guide_go(p)>"← Back"</button>
                })}
                {if finished && next.is_none() {
                    view! { <span class="guide-finished" role="status">"Exercise complete. Well done!"</span> }.into_any()
                } else {
                    ().into_any()
                }}
                {next.map(|n| view! {
                    <button class="guide-next" class:ready=complete || step.is_none()
                        on:click=move |_| ctx.guide_go(Some(n))>
                        {if step.is_none() { "Start →" } else { "Next step →" }}
                    </button>
                })}
            </div>
        </aside>
    }
}

fn intro_view(v: &View) -> impl IntoView {
    let html = markdown::to_html(&v.intro);
    let source = v.source.clone();
    view! {
        <div class="guide-text" inner_html=html></div>
        {(!source.is_empty()).then(|| view! { <p class="guide-source">"Based on: "{source}</p> })}

    }
}

fn step_view(ctx: AppCtx, v: &View, error: RwSignal<Option<String>>) -> impl IntoView {
    let blocks = v
        .blocks
        .iter()
        .map(|block| block_view(ctx, block, error))
        .collect_view();
    let goals = v
        .goals
        .iter()
        .map(|(label, ok)| {
            let ok = *ok;
            view! {
                <li class="goal" class:ok=ok>
                    <span class="goal-mark" aria-hidden="true">{if ok { "✓" } else { "○" }}</span>
                    <span class="goal-label">{label.clone()}</span>
                    <span class="visually-hidden">{if ok { " (done)" } else { " (not yet)" }}</span>
                </li>
            }
        })
        .collect_view();
    let has_goals = !v.goals.is_empty();
    let hints_total = v.hints.len();
    let shown_hints = v
        .hints
        .iter()
        .take(v.hints_shown)
        .map(|h| view! { <div class="guide-hint" inner_html=markdown::to_html(h)></div> })
        .collect_view();
    let more_hints = v.hints_shown < hints_total;
    let complete = v.complete;
    let has_actions = v.has_actions;
    let step_index = v.step.unwrap_or(0);
    let show_me = move |_| {
        let actions = ctx
            .state
            .try_with_value(|s| {
                s.exercise
                    .as_ref()
                    .and_then(|e| e.exercise.steps.get(step_index))
                    .map(|st| st.show_me())
            })
            .flatten()
            .unwrap_or_default();
        error.set(ctx.guide_actions(actions));
    };
    let notice = v.notice.clone();
    view! {
        {notice.map(|n| view! { <p class="guide-notice" role="status">{n}</p> })}
        <h3 class="guide-step-title">{v.step_title.clone()}</h3>
        {blocks}
        {has_goals.then(|| view! {
            <section class="guide-goals" aria-label="Goals">
                <h4>"Goals"</h4>
                <ul aria-live="polite">{goals}</ul>
                {complete.then(|| view! { <p class="guide-complete" role="status">"Step complete ✓"</p> })}
            </section>
        })}
        {shown_hints}
        {move || error.get().map(|e| view! { <p class="guide-error" role="alert">{e}</p> })}
        <div class="guide-step-actions">
            {more_hints.then(|| view! {
                <button class="guide-hint-button" on:click=move |_| {
                    ctx.state.update_value(|s| if let Some(e) = s.exercise.as_mut() { e.hints_shown += 1; });
                    ctx.guide.update(|n| *n += 1);
                }>{if hints_total > 1 { "Hint" } else { "Show a hint" }}</button>
            })}
            {has_actions.then(|| view! {
                <button class="guide-show-me" on:click=show_me
                    title="Do this step for me: type its commands and run its actions">"Show me"</button>
            })}
            <button class="guide-reset" on:click=move |_| error.set(ctx.guide_reset_step())
                title="Put the server back as it was when this step began">"Reset step"</button>
        </div>
    }
}

fn block_view(ctx: AppCtx, block: &Block, error: RwSignal<Option<String>>) -> AnyView {
    match block {
        Block::Markdown(text) => {
            view! { <div class="guide-text" inner_html=markdown::to_html(text)></div> }.into_any()
        }
        Block::Commands { tab, lines } => {
            let tab = *tab;
            let items = lines
                .iter()
                .map(|line| match line {
                    CommandLine::Comment(text) => {
                        view! { <li class="cmd-comment">{format!("# {text}")}</li> }.into_any()
                    }
                    CommandLine::Command(text) => {
                        let paste = text.clone();
                        let label = format!("Paste into console {tab}: {text}");
                        view! {
                            <li>
                                <button class="cmd-line" title=format!("Click to paste into the console:\n{text}") aria-label=label data-command=text.clone()
                                    on:click=move |_| ctx.guide_paste(tab, &paste)>
                                    <span class="cmd-prompt" aria-hidden="true">{if tab > 1 { format!("{tab}>") } else { ">".to_string() }}</span>
                                    <code>{abbreviate(text)}</code>
                                </button>
                            </li>
                        }
                        .into_any()
                    }
                })
                .collect_view();
            view! {
                <div class="guide-commands">
                    {(tab > 1).then(|| view! { <div class="cmd-tab">{format!("in console tab {tab} (another terminal)")}</div> })}
                    <ul>{items}</ul>
                </div>
            }
            .into_any()
        }
        Block::Actions(actions) => {
            let items = actions
                .iter()
                .map(|action| {
                    let label = action.label();
                    let one = action.clone();
                    view! {
                        <li>
                            <button class="do-action" on:click=move |_| error.set(ctx.guide_actions(vec![one.clone()]))>
                                <span class="do-icon" aria-hidden="true">"▶"</span>{label}
                            </button>
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="guide-actions">{items}</ul> }.into_any()
        }
        Block::Program { name } => {
            let name_open = name.clone();
            let name_start = name.clone();
            let name_state = name.clone();
            // The program's state as its tab shows it, kept current.
            let state = Memo::new(move |_| {
                ctx.programs.track();
                ctx.vtime.track();
                ctx.state
                    .try_with_value(|s| s.progs.find(&name_state).map(|i| s.progs.state(i)))
                    .flatten()
            });
            view! {
                <div class="guide-program">
                    <span class="program-icon" aria-hidden="true">"⚙"</span>
                    <code class="program-name">{name.clone()}</code>
                    {move || state.get().map(|st| {
                        let class = format!("program-state {}", programs_ui::state_class(st.as_ref()));
                        view! { <span class=class>{programs_ui::state_label(st.as_ref())}</span> }
                    })}
                    <span class="program-card-buttons">
                        <button on:click=move |_| ctx.guide_open_program(&name_open)
                            title="Open its tab: read and edit it">"Open"</button>
                        <button class="program-start" on:click=move |_| error.set(ctx.guide_actions(vec![Action::Start(name_start.clone())]))
                            title="Run it (restarts it if it runs)">
                            {move || match state.get() {
                                Some(Some(st)) if st.is_live() => "Restart",
                                _ => "Start",
                            }}
                        </button>
                    </span>
                </div>
            }
            .into_any()
        }
        Block::Original(original) => original_view(original.clone()).into_any(),
    }
}

fn original_view(original: redis_exercises::format::Original) -> impl IntoView {
    let summary = if original.title.is_empty() {
        format!("The document's code ({})", original.language)
    } else {
        format!(
            "The document's code: {} ({})",
            original.title, original.language
        )
    };
    view! {
        <details class="guide-original">
            <summary>{summary}</summary>
            <pre><code>{original.code}</code></pre>
        </details>
    }
}

/// A long command as the guide shows it: its beginning and its end (where scripts'
/// arguments differ: `... 1 {ot11} manager2`); the paste and the tooltip have it all.
pub fn abbreviate(text: &str) -> String {
    const HEAD: usize = 110;
    const TAIL: usize = 40;
    let count = text.chars().count();
    if count <= HEAD + TAIL + 10 {
        return text.to_string();
    }
    let head: String = text.chars().take(HEAD).collect();
    let tail: String = text.chars().skip(count - TAIL).collect();
    format!("{head} … {tail}")
}

#[cfg(test)]
mod tests {
    use super::abbreviate;

    #[test]
    fn long_commands_keep_their_beginning_and_end() {
        assert_eq!(abbreviate("GET k"), "GET k");
        let script = format!("EVAL \"{}\" 1 {{ot11}} manager2", "x".repeat(300));
        let shown = abbreviate(&script);
        assert!(shown.starts_with("EVAL \"xxx"), "{shown}");
        assert!(shown.ends_with("\" 1 {ot11} manager2"), "{shown}");
        assert!(shown.contains(" … "));
        assert!(shown.chars().count() < 160);
        // Multi-byte characters are never cut in half.
        let _ = abbreviate(&"é".repeat(500));
    }
}
