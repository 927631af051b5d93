//! The Jobs tab: a Kue queue as Kue's own UI shows it. Tabs per state with their counts
//! (Queued, Active, Failed, Complete, Delayed), a type filter, and the state's newest
//! jobs: id, type, priority, a progress bar, attempts, times in the virtual clock, the
//! data, and for a failed job its error (the full stack and the job's log on expand).
//! The model is `crate::jobs`; `AppCtx::refresh_jobs` keeps it current.

use leptos::prelude::*;

use crate::app::AppCtx;
use crate::jobs::{priority_label, Job, JobState};
use crate::programs_ui::duration_label;

/// `3 s ago` in the virtual clock (`just now` under a second; a time in the future, as
/// a delayed job's, `in 5 s`).
fn ago(now_ms: i64, at_ms: i64) -> String {
    if at_ms > now_ms + 999 {
        return format!("in {}", duration_label((at_ms - now_ms) as u64));
    }
    let ms = now_ms.saturating_sub(at_ms).max(0) as u64;
    if ms < 1000 {
        "just now".into()
    } else {
        format!("{} ago", duration_label(ms))
    }
}

fn job_row(job: Job, now_ms: i64) -> impl IntoView {
    let failed = job.state == Some(JobState::Failed) || job.error.is_some();
    let progress = job.progress;
    let title = format!("#{} {}", job.id, job.job_type);
    let times = [
        ("created", job.created_at),
        ("updated", job.updated_at),
        ("failed", job.failed_at),
    ]
    .into_iter()
    .filter_map(|(what, at)| at.map(|at| format!("{what} {}", ago(now_ms, at))))
    .collect::<Vec<_>>()
    .join(" · ");
    let error_line = job.error_line().map(str::to_string);
    let full_error = job.error.clone();
    let log = job.log.clone();
    let data_pretty = crate::jobs::pretty_json(&job.data);
    let has_details = full_error.is_some() || !log.is_empty() || data_pretty.contains('\n');
    view! {
        <li class="job" class:job-failed=failed data-job=job.id.clone()>
            <div class="job-head">
                <span class="job-id">{title}</span>
                <span class="job-priority" title="priority">{priority_label(job.priority)}</span>
                <span class="job-attempts" title="attempts made / allowed">
                    {format!("attempts {}/{}", job.attempts, job.max_attempts)}
                </span>
            </div>
            <div class="job-progress">
                <div class="job-bar" role="progressbar" aria-label=format!("job {} progress", job.id)
                    aria-valuemin="0" aria-valuemax="100" aria-valuenow=progress.to_string()>
                    <div class="job-bar-fill" style=format!("width: {progress}%")></div>
                </div>
                <span class="job-percent">{format!("{progress}%")}</span>
            </div>
            <code class="job-data" title="data">{job.data.clone()}</code>
            {error_line.map(|line| view! { <div class="job-error">{line}</div> })}
            <div class="job-times">{times}</div>
            {has_details.then(|| view! {
                <details class="job-details">
                    <summary>"Details"</summary>
                    <pre class="job-data-pretty">{data_pretty.clone()}</pre>
                    {full_error.clone().map(|e| view! { <pre class="job-stack">{e}</pre> })}
                    {(!log.is_empty()).then(|| {
                        let lines = log
                            .iter()
                            .map(|l| view! { <li>{l.clone()}</li> })
                            .collect_view();
                        view! { <ol class="job-log" aria-label="log">{lines}</ol> }
                    })}
                </details>
            })}
        </li>
    }
}

#[component]
pub fn JobsPane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let view_signal = ctx.observe.jobs;
    let query = ctx.observe.jobs_query;
    let choose_state = move |state: JobState| {
        query.update(|q| q.state = state);
        ctx.refresh_jobs(&[], true);
    };
    let choose_type = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        query.update(|q| q.job_type = (!value.is_empty()).then_some(value));
        ctx.refresh_jobs(&[], true);
    };
    let state_tabs = move || {
        let counts = view_signal.with(|v| v.counts);
        let shown = query.with(|q| q.state);
        JobState::ALL
            .into_iter()
            .zip(counts)
            .map(|(state, count)| {
                let selected = state == shown;
                let alarming = state == JobState::Failed && count > 0;
                view! {
                    <button type="button" class="jobs-state" class:selected=selected
                        class:jobs-state-failed=alarming
                        aria-pressed=selected.to_string()
                        data-state=state.key_name()
                        on:click=move |_| choose_state(state)>
                        <span class="jobs-state-name">{state.label()}</span>
                        <span class="jobs-state-count">{count}</span>
                    </button>
                }
            })
            .collect_view()
    };
    let type_filter = move || {
        let types = view_signal.with(|v| v.types.clone());
        (types.len() > 1).then(|| {
            let current = query.with(|q| q.job_type.clone()).unwrap_or_default();
            let options = types
                .into_iter()
                .map(|t| {
                    let selected = t == current;
                    view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                })
                .collect_view();
            view! {
                <select class="jobs-type" aria-label="Job type" on:change=choose_type>
                    <option value="" selected=current.is_empty()>"all types"</option>
                    {options}
                </select>
            }
        })
    };
    let list = move || {
        let (present, jobs) = view_signal.with(|v| (v.present, v.jobs.clone()));
        let state = query.with(|q| q.state);
        if !present {
            return view! {
                <p class="jobs-empty">
                    "No job queue yet. Jobs that a program creates with "<code>"kue"</code>
                    " (" <code>"queue.create(type, data).save()"</code>") appear here as Kue's own UI shows them: "
                    "queued, active, failed, complete and delayed, with their progress and errors. "
                    "The job-queue exercise starts one."
                </p>
            }
            .into_any();
        }
        if jobs.is_empty() {
            return view! {
                <p class="jobs-empty">{format!("No {} jobs.", state.label().to_lowercase())}</p>
            }
            .into_any();
        }
        let now = ctx
            .state
            .try_with_value(|s| s.pg.engine.now_ms())
            .unwrap_or_default();
        let rows = jobs.into_iter().map(|j| job_row(j, now)).collect_view();
        view! { <ul class="jobs-list" aria-label=format!("{} jobs", state.label())>{rows}</ul> }
            .into_any()
    };
    view! {
        <section class="jobs-pane" aria-label="Job queue">
            <div class="jobs-head">
                <h2>"Jobs"</h2>
                <span class="jobs-prefix" title="Kue's key prefix">
                    {move || format!("kue · {}:", query.with(|q| q.prefix.clone()))}
                </span>
                {type_filter}
            </div>
            <div class="jobs-states" role="group" aria-label="Job states">{state_tabs}</div>
            <div class="jobs-scroll">{list}</div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_relative_to_the_virtual_clock() {
        assert_eq!(ago(10_000, 10_000), "just now");
        assert_eq!(ago(10_000, 7_000), "3 s ago");
        assert_eq!(ago(10_000, 15_000), "in 5 s");
        assert_eq!(ago(200_000, 0), "3 min 20 s ago");
    }
}
