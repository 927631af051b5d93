//! The Activity tab: every command of every client, in order, like MONITOR; a click on
//! one shows the keys it changed (and opens one in the Keys tab). The timeline can hold
//! 10,000 entries, so it is virtualised: rows have a fixed height and only those in view
//! (plus a few) are in the DOM. It follows the newest entry unless the learner scrolled
//! up, then a "N new" button brings it back. The logic is `crate::activity`.

use leptos::html;
use leptos::prelude::*;

use crate::activity::{self, ChangedKey, Entry, Follow};
use crate::app::{AppCtx, PaneTab};
use crate::keys::display_key;

/// Every row's height in px (also in activity.css: `.ac-row`).
const ROW_PX: f64 = 26.0;
/// Rows drawn beyond the viewport on each side.
const OVERSCAN: usize = 8;

/// A time on the learner's clock (the engine's clock is UTC).
fn local_time(ms: i64) -> String {
    // getTimezoneOffset: minutes to add to local time to get UTC.
    let offset_min =
        js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).get_timezone_offset();
    activity::format_time(ms - (offset_min as i64) * 60_000)
}

/// The Activity tab.
#[component]
pub fn ActivityPane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let filter = RwSignal::new(String::new());
    let selected = RwSignal::new(None::<u64>);
    let scroll_px = RwSignal::new(0.0f64);
    let view_px = RwSignal::new(400.0f64);
    let follow = StoredValue::new(Follow::default());
    let unseen = RwSignal::new(0usize);
    let scroller = NodeRef::<html::Div>::new();

    // The matching entries' indexes: read again when the timeline or the filter changes.
    let matching = Memo::new(move |_| {
        ctx.observe.timeline.track();
        let f = filter.get();
        ctx.state.with_value(|s| s.observed.activity.matching(&f))
    });
    let total = move || matching.with(Vec::len);
    let window = Memo::new(move |_| {
        activity::window(total(), ROW_PX, scroll_px.get(), view_px.get(), OVERSCAN)
    });
    // The rows in view: (position in the list, entry).
    let rows = move || {
        let (start, end) = window.get();
        matching.with(|m| {
            ctx.state.with_value(|s| {
                m.get(start..end)
                    .unwrap_or_default()
                    .iter()
                    .enumerate()
                    .filter_map(|(i, &index)| {
                        s.observed
                            .activity
                            .get(index)
                            .map(|e| (start + i, e.clone()))
                    })
                    .collect::<Vec<_>>()
            })
        })
    };

    // These also run in animation frames, which may come after the pane was disposed:
    // `try_` finds nothing then.
    let measure = move || {
        if let Some(el) = scroller.try_get_untracked().flatten() {
            scroll_px.set(el.scroll_top() as f64);
            view_px.set(el.client_height() as f64);
        }
    };
    let to_bottom = move || {
        if let Some(el) = scroller.try_get_untracked().flatten() {
            el.set_scroll_top(el.scroll_height());
        }
        measure();
    };
    // New entries (those of the last refresh that match): follow them, or count them
    // for the "N new" button.
    Effect::new(move |_| {
        let (_, added) = ctx.observe.timeline.get();
        let f = filter.get_untracked();
        let arrived = ctx.state.with_value(|s| {
            let len = s.observed.activity.len();
            (len.saturating_sub(added)..len)
                .filter(|&i| s.observed.activity.matches_at(i, &f))
                .count()
        });
        if arrived == 0 {
            return;
        }
        let mut fo = follow.get_value();
        let go = fo.arrived(arrived);
        follow.set_value(fo);
        unseen.set(fo.unseen);
        if go {
            request_animation_frame(to_bottom);
        }
    });
    // Another filter: the newest matches, if following.
    Effect::new(move |_| {
        filter.track();
        if follow.get_value().following {
            request_animation_frame(to_bottom);
        }
    });
    // Shown again (the panel was hidden): measure, and catch up if following.
    Effect::new(move |_| {
        if ctx.observe.pane.get() == PaneTab::Activity {
            request_animation_frame(move || {
                if follow.try_get_value().is_some_and(|f| f.following) {
                    to_bottom();
                } else {
                    measure();
                }
            });
        }
    });
    let on_scroll = move |_| {
        measure();
        let content = total() as f64 * ROW_PX;
        let mut f = follow.get_value();
        f.scrolled(
            scroll_px.get_untracked(),
            view_px.get_untracked(),
            content,
            ROW_PX,
        );
        follow.set_value(f);
        unseen.set(f.unseen);
    };
    let jump = move |_| {
        let mut f = follow.get_value();
        f.jump();
        follow.set_value(f);
        unseen.set(0);
        to_bottom();
    };

    let paused = RwSignal::new(false);
    let toggle_pause = move |_| {
        let now = !paused.get_untracked();
        ctx.state
            .update_value(|s| s.observed.activity.set_paused(now));
        paused.set(now);
    };
    let clear = move |_| {
        let version = ctx.state.try_update_value(|s| {
            s.observed.activity.clear();
            s.observed.activity.version()
        });
        selected.set(None);
        if let Some(v) = version {
            ctx.observe.timeline.set((v, 0));
        }
        let mut fo = follow.get_value();
        fo.jump();
        follow.set_value(fo);
        unseen.set(0);
        to_bottom();
    };
    let summary = move || {
        ctx.observe.timeline.track();
        let (len, dropped, skipped) = ctx.state.with_value(|s| {
            (
                s.observed.activity.len(),
                s.observed.activity.dropped,
                s.observed.activity.skipped,
            )
        });
        let shown = total();
        let mut text = if shown == len {
            format!("{len} command{}", if len == 1 { "" } else { "s" })
        } else {
            format!("{shown} of {len}")
        };
        if dropped > 0 {
            text.push_str(&format!(" · {dropped} oldest dropped"));
        }
        if paused.get() {
            text.push_str(&format!(" · paused, {skipped} not recorded"));
        }
        text
    };

    // Up/Down move the selection through the matching entries.
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let step: isize = match ev.key().as_str() {
            "ArrowDown" => 1,
            "ArrowUp" => -1,
            _ => return,
        };
        ev.prevent_default();
        let Some(current) = selected.get_untracked() else {
            return;
        };
        let next = matching.with_untracked(|m| {
            ctx.state.with_value(|s| {
                let pos = m
                    .iter()
                    .position(|&i| s.observed.activity.get(i).is_some_and(|e| e.seq == current))?;
                let to = pos.checked_add_signed(step).filter(|&p| p < m.len())?;
                Some((to, s.observed.activity.get(m[to])?.seq))
            })
        });
        if let Some((pos, seq)) = next {
            selected.set(Some(seq));
            if let Some(el) = scroller.get_untracked() {
                let top = pos as f64 * ROW_PX;
                let view = el.client_height() as f64;
                let scroll = el.scroll_top() as f64;
                if top < scroll {
                    el.set_scroll_top(top as i32);
                } else if top + ROW_PX > scroll + view {
                    el.set_scroll_top((top + ROW_PX - view) as i32);
                }
            }
            request_animation_frame(move || {
                if let Some(b) = crate::web::document().and_then(|d| {
                    d.query_selector(&format!(".ac-row[data-seq=\"{seq}\"]"))
                        .ok()
                        .flatten()
                }) {
                    use wasm_bindgen::JsCast;
                    if let Ok(b) = b.dyn_into::<web_sys::HtmlElement>() {
                        let _ = b.focus();
                    }
                }
            });
        }
    };

    let row_view = move |(pos, e): (usize, Entry)| {
        let seq = e.seq;
        let changed = e.changed_keys().len();
        let title = format!(
            "{} · {} · db {}: {}",
            local_time(e.time_ms),
            e.who,
            e.db,
            e.line()
        );
        view! {
            <button
                type="button"
                class="ac-row"
                class:ac-script=e.from_script
                class:ac-child=e.parent.is_some()
                class:ac-selected=move || selected.get() == Some(seq)
                aria-pressed=move || (selected.get() == Some(seq)).to_string()
                data-seq=seq
                style=format!("top: {}px", pos as f64 * ROW_PX)
                title=title
                on:click=move |_| selected.set(if selected.get_untracked() == Some(seq) { None } else { Some(seq) })
            >
                <span class="ac-time">{local_time(e.time_ms)}</span>
                <span class="ac-who">{e.who.clone()}</span>
                <span class="ac-db">{format!("db{}", e.db)}</span>
                <span class="ac-line">
                    <span class="ac-name">{e.name.clone()}</span>
                    " "
                    <span class="ac-args">{e.args.clone()}</span>
                </span>
                <span class="ac-changed" aria-label=format!("changed {changed} key{}", if changed == 1 { "" } else { "s" })>
                    {(changed > 0).then(|| format!("{changed} key{}", if changed == 1 { "" } else { "s" }))}
                </span>
            </button>
        }
    };

    // The selected entry and what it changed.
    // A memo: the live region below is redrawn (and read out) only when it changes.
    let detail = Memo::new(move |_| {
        let seq = selected.get()?;
        ctx.observe.timeline.track();
        ctx.state.with_value(|s| {
            let e = s.observed.activity.by_seq(seq)?.clone();
            let changes = s.observed.activity.changes_of(seq);
            let children = s.observed.activity.children_of(seq);
            Some((e, changes, children))
        })
    });
    let key_button = move |c: ChangedKey| {
        let label = display_key(&c.key);
        let (db, key) = (c.db, c.key.clone());
        view! {
            <li>
                <button type="button" class="ac-key" title=format!("Show {label} in the Keys tab") on:click=move |_| ctx.show_key(db, &key)>
                    <span class="ac-key-name">{label.clone()}</span>
                </button>
                <span class="ac-events">{format!("db {} · {}", c.db, c.events.join(", "))}</span>
            </li>
        }
    };

    view! {
        <section class="activity-pane" aria-label="Activity: every command of every client">
            <div class="ac-head">
                <h2>"Activity"</h2>
                <span class="ac-count">{summary}</span>
                <div class="ac-tools">
                    <input
                        class="ac-filter"
                        type="search"
                        placeholder="Filter: command or key"
                        aria-label="Filter the timeline by command name or key"
                        spellcheck="false"
                        prop:value=move || filter.get()
                        on:input=move |ev| filter.set(event_target_value(&ev))
                    />
                    <button type="button" class="ac-btn" aria-pressed=move || paused.get().to_string() on:click=toggle_pause>
                        {move || if paused.get() { "Resume" } else { "Pause" }}
                    </button>
                    <button type="button" class="ac-btn" on:click=clear>"Clear"</button>
                </div>
            </div>
            <div class="ac-list-wrap">
                <div
                    class="ac-scroll"
                    node_ref=scroller
                    on:scroll=on_scroll
                    on:keydown=on_key
                    role="region"
                    aria-label="Commands, oldest first"
                >
                    <div class="ac-spacer" style=move || format!("height: {}px", total() as f64 * ROW_PX)>
                        <For each=rows key=|(pos, e)| (*pos, e.seq) children=row_view/>
                    </div>
                    <Show when=move || total() == 0>
                        <p class="ac-empty">
                            {move || if filter.with(String::is_empty) { "No commands yet: what any tab runs shows here, like MONITOR." } else { "No command matches the filter." }}
                        </p>
                    </Show>
                </div>
                <Show when=move || { unseen.get() > 0 }>
                    <button type="button" class="ac-new" on:click=jump>
                        {move || format!("{} new ↓", unseen.get())}
                    </button>
                </Show>
            </div>
            <div class="ac-detail" aria-live="polite">
                {move || match detail.get() {
                    None => view! { <p class="ac-hint">"Click a command to see what it changed."</p> }.into_any(),
                    Some((e, changes, children)) => {
                        let head = format!("{} · {} · db {}", local_time(e.time_ms), e.who, e.db);
                        let scope = if children > 0 { format!(" (with the {children} command{} it ran)", if children == 1 { "" } else { "s" }) } else { String::new() };
                        let deliveries: Vec<String> = e
                            .deliveries
                            .iter()
                            .map(|(c, r)| format!("message on {} to {} client{}", display_key(c), r.len(), if r.len() == 1 { "" } else { "s" }))
                            .collect();
                        view! {
                            <p class="ac-detail-head"><code>{e.line()}</code>" "<span class="ac-detail-meta">{head}</span></p>
                            {if changes.is_empty() {
                                view! { <p class="ac-hint">{format!("Changed no key{scope}.")}</p> }.into_any()
                            } else {
                                view! {
                                    <p class="ac-hint">{format!("Changed{scope}:")}</p>
                                    <ul class="ac-keys">{changes.into_iter().map(key_button).collect_view()}</ul>
                                }
                                .into_any()
                            }}
                            {(!deliveries.is_empty()).then(|| view! { <p class="ac-hint">{deliveries.join(" · ")}</p> })}
                            {(e.events_dropped > 0).then(|| view! { <p class="ac-hint">{format!("and {} more events", e.events_dropped)}</p> })}
                            {(e.unlisted > 0).then(|| view! {
                                <p class="ac-hint">{format!("It ran {} more commands than the timeline lists (their changes are not shown).", e.unlisted)}</p>
                            })}
                        }
                        .into_any()
                    }
                }}
            </div>
        </section>
    }
}
