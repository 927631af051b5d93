//! The time bar: the page's virtual time (UTC), pause/resume, speeds, steps and "next
//! event". The engine and the programs read this clock, so stream IDs, TTLs and BLOCK
//! timeouts follow it; when it is not real time the bar says so. The logic (what moves
//! time, what the note says) is `crate::programs_ui`.

use leptos::prelude::*;

use crate::app::AppCtx;
use crate::programs_ui::{clock_label, speed_label, SPEEDS};
use crate::web;

/// The steps the bar offers: label, accessible name, milliseconds.
const STEPS: &[(&str, &str, i64)] = &[
    ("+1 s", "Advance 1 second", 1_000),
    ("+10 s", "Advance 10 seconds", 10_000),
    ("+1 min", "Advance 1 minute", 60_000),
];

#[component]
pub fn TimeBar() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    // Re-read on every tick, but the parts below change only when what they show does.
    let status = Memo::new(move |_| {
        ctx.vtime.track();
        ctx.state
            .try_with_value(|s| {
                let status = s.progs.time_status(web::real_now_ms());
                let next = s.progs.programs.next_timed_wakeup_ms(&s.pg.engine);
                (status, next)
            })
            .map(|(status, next)| {
                (
                    status.now_ms / 1000,
                    status.paused,
                    status.speed,
                    status.note(),
                    next,
                )
            })
    });
    let now_s = move || status.get().map(|s| s.0).unwrap_or(0);
    let paused = move || status.get().is_some_and(|s| s.1);
    let speed = move || status.get().map(|s| s.2).unwrap_or(1.0);
    let note = move || status.get().and_then(|s| s.3);
    let next = move || status.get().and_then(|s| s.4);

    // Changes of speed or pause count the real time up to now at the old setting first.
    let toggle_pause = move |_| {
        ctx.programs_op(|desk, engine, keep_going| {
            if desk.clock.is_paused() {
                desk.clock.resume();
            } else {
                desk.catch_up(engine, web::real_now_us(), keep_going);
                desk.clock.pause();
            }
        });
    };
    let speed_button = move |x: f64| {
        let label = speed_label(x);
        let pressed = move || speed() == x;
        view! {
            <button
                class="tb-speed"
                aria-pressed=move || if pressed() { "true" } else { "false" }
                title=format!("Virtual time runs at {label} real time")
                on:click=move |_| {
                    ctx.programs_op(|desk, engine, keep_going| {
                        desk.catch_up(engine, web::real_now_us(), keep_going);
                        desk.clock.set_speed(x);
                    });
                }
            >
                {label.clone()}
            </button>
        }
    };
    let step_button = move |(label, name, ms): (&'static str, &'static str, i64)| {
        view! {
            <button
                class="tb-step"
                aria-label=name
                title=format!("{name} of virtual time: programs wake on the way, keys expire")
                on:click=move |_| {
                    ctx.programs_op(|desk, engine, keep_going| desk.step(engine, ms, keep_going));
                }
            >
                {label}
            </button>
        }
    };

    view! {
        <div class="time-bar" role="group" aria-label="Virtual time" class:not-real=move || note().is_some()>
            <span
                class="tb-clock"
                role="timer"
                aria-label=move || format!("Virtual time {} UTC", clock_label(now_s() * 1000))
                title="Virtual time (UTC): the clock of the Redis in this page and of its programs"
            >
                <span class="tb-icon" aria-hidden="true">"◷"</span>
                {move || clock_label(now_s() * 1000)}
            </span>
            <button
                class="tb-pause"
                aria-pressed=move || if paused() { "true" } else { "false" }
                title="Pause or resume virtual time (steps still work while paused)"
                on:click=toggle_pause
            >
                {move || if paused() { "▶ Resume" } else { "❚❚ Pause" }}
            </button>
            <span class="tb-group" role="group" aria-label="Speed">
                {SPEEDS.iter().map(|&x| speed_button(x)).collect_view()}
            </span>
            <span class="tb-group" role="group" aria-label="Step">
                {STEPS.iter().map(|&s| step_button(s)).collect_view()}
                <button
                    class="tb-step tb-next"
                    disabled=move || next().is_none()
                    title=move || match next() {
                        Some(at) => format!("Go to the next wakeup, at {} (a sleeping program, a timeout)", clock_label(at)),
                        None => "Nothing is scheduled: no program sleeps, no command waits with a timeout".to_string(),
                    }
                    on:click=move |_| {
                        ctx.programs_op(|desk, engine, keep_going| desk.next_event(engine, keep_going));
                    }
                >
                    "Next event"
                </button>
            </span>
            {move || note().map(|text| view! { <span class="tb-note">{text}</span> })}
        </div>
    }
}
