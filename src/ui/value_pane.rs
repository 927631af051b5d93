//! The value view of the visualisation pane: one key's value by type (a string quoted as
//! redis-cli prints it; hash fields, list elements, set members, sorted set members with
//! their scores), one page at a time, with a header (type, TTL live, length, encoding)
//! whose buttons type commands into the console. The logic is `crate::values`.

use leptos::prelude::*;

use redis_emulator::observe::{ValueRows, ValueView};

use crate::app::AppCtx;
use crate::keys;
use crate::values::{self, ValueWatch, PAGE_ROWS, STRING_PREVIEW};

/// A button that types `command` into the console (it never runs it).
fn prefill_button(
    ctx: AppCtx,
    class: &'static str,
    label: String,
    command: String,
) -> impl IntoView {
    let title = format!("Type {command} into the console");
    view! {
        <button class=class title=title.clone() aria-label=title on:click=move |_| ctx.prefill(&command)>
            {label}
        </button>
    }
}

/// The rows of the page shown, as a table for the value's type.
fn body(ctx: AppCtx, key: &[u8], v: &ValueView, show_all: bool) -> AnyView {
    let t = v.type_name;
    let act = |index: usize, element: &[u8]| {
        let command = values::row_command(t, key, index, element);
        let label = command.split(' ').next().unwrap_or_default().to_string();
        prefill_button(ctx, "vv-act", label, command)
    };
    match &v.rows {
        ValueRows::String(bytes) => {
            let truncated = v.length > bytes.len();
            let toggle = (v.length > STRING_PREVIEW).then(|| {
                let label = if show_all { "show less" } else { "show all" };
                view! {
                    <button class="vv-show-all" aria-expanded=show_all.to_string() on:click=move |_| ctx.value_nav(ValueWatch::toggle_show_all)>{label}</button>
                }
            });
            view! {
                <pre class="vv-string" aria-label="Value, quoted as redis-cli prints it">{values::quoted(bytes)}{truncated.then_some("…")}</pre>
                {truncated.then(|| view! { <p class="vv-note">{format!("First {} of {} bytes.", bytes.len(), v.length)}</p> })}
                {toggle}
            }
            .into_any()
        }
        ValueRows::List(items) => {
            let last = v.length.saturating_sub(1);
            let rows = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let index = v.offset + i;
                    let end = match (index == 0, index == last) {
                        (true, true) => "head · tail",
                        (true, false) => "head",
                        (false, true) => "tail",
                        _ => "",
                    };
                    view! {
                        <tr>
                            <td class="num vv-index">{index}</td>
                            <td class="vv-val">{keys::display_key(item)}</td>
                            <td class="vv-end">{(!end.is_empty()).then(|| view! { <span class="vv-tag">{end}</span> })}</td>
                            <td class="vv-actions">{act(index, item)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="vv-table vv-list" aria-label="Elements by index">
                    <thead><tr><th scope="col" class="num">"index"</th><th scope="col">"element"</th><th scope="col"><span class="sr-only">"end"</span></th><th scope="col"><span class="sr-only">"actions"</span></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        }
        ValueRows::Hash(pairs) => {
            let rows = pairs
                .iter()
                .enumerate()
                .map(|(i, (f, val))| {
                    view! {
                        <tr>
                            <td class="vv-field">{keys::display_key(f)}</td>
                            <td class="vv-val">{keys::display_key(val)}</td>
                            <td class="vv-actions">{act(v.offset + i, f)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="vv-table vv-hash" aria-label="Fields and values">
                    <thead><tr><th scope="col">"field"</th><th scope="col">"value"</th><th scope="col"><span class="sr-only">"actions"</span></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        }
        ValueRows::Set(members) => {
            let rows = members
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    view! {
                        <tr>
                            <td class="vv-val">{keys::display_key(m)}</td>
                            <td class="vv-actions">{act(v.offset + i, m)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="vv-table vv-set" aria-label="Members">
                    <thead><tr><th scope="col">"member"</th><th scope="col"><span class="sr-only">"actions"</span></th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        }
        ValueRows::ZSet { rows, min, max } => {
            let (min, max) = (*min, *max);
            let rows = rows
                .iter()
                .enumerate()
                .map(|(i, (m, score))| {
                    let pct = values::score_fraction(*score, min, max) * 100.0;
                    view! {
                        <tr>
                            <td class="num vv-index">{v.offset + i}</td>
                            <td class="vv-val">{keys::display_key(m)}</td>
                            <td class="num vv-score">{values::format_score(*score)}</td>
                            <td class="vv-bar-cell" aria-hidden="true"><span class="vv-bar" style=format!("width:{pct:.1}%")></span></td>
                            <td class="vv-actions">{act(v.offset + i, m)}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="vv-table vv-zset" aria-label="Members by rank, lowest score first">
                    <thead><tr>
                        <th scope="col" class="num">"rank"</th><th scope="col">"member"</th><th scope="col" class="num">"score"</th>
                        <th scope="col"><span class="sr-only">"score between min and max"</span></th><th scope="col"><span class="sr-only">"actions"</span></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        }
        ValueRows::Stream => {
            view! { <p class="empty">"A stream opens in the stream view."</p> }.into_any()
        }
    }
}

/// The value view of the key open in the pane.
#[component]
pub fn ValuePane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let key_text = move || {
        ctx.value.with(|s| {
            s.as_ref()
                .map(|s| keys::display_key(&s.key))
                .unwrap_or_default()
        })
    };
    let type_name = move || {
        ctx.value.with(|s| {
            s.as_ref()
                .and_then(|s| s.view.as_ref())
                .map_or("", |v| v.type_name)
        })
    };
    let ttl = move || {
        let now = ctx.now.get();
        ctx.value.with(|s| {
            s.as_ref()
                .and_then(|s| s.view.as_ref())
                .and_then(|v| v.expire_at)
                .map(|t| keys::format_ttl(t - now))
        })
    };
    let meta = move || {
        ctx.value.with(|s| {
            s.as_ref().and_then(|s| s.view.as_ref()).map(|v| {
                let unit = if v.type_name == "string" {
                    "bytes"
                } else {
                    "elements"
                };
                (
                    format!("{} {unit}", v.length),
                    v.encoding,
                    keys::format_size(v.memory),
                )
            })
        })
    };
    let commands = move || {
        ctx.value.with(|s| {
            s.as_ref()
                .and_then(|s| {
                    s.view
                        .as_ref()
                        .map(|v| values::header_commands(v.type_name, &s.key))
                })
                .unwrap_or_default()
        })
    };
    let pager = move || {
        ctx.value.with(|s| {
            s.as_ref().and_then(|s| s.view.as_ref()).and_then(|v| {
                (v.type_name != "string" && v.length > PAGE_ROWS).then(|| {
                    let first = v.offset + 1;
                    let last = v.offset + v.row_count();
                    (
                        format!("{first}–{last} of {}", v.length),
                        v.offset > 0,
                        last < v.length,
                    )
                })
            })
        })
    };

    // Opened with Enter in the key tree, the tree is gone and the focus fell to the
    // page: it goes to the view's first control instead.
    let back_ref = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(back) = back_ref.get() {
            let lost = crate::web::document()
                .and_then(|d| d.active_element())
                .is_none_or(|e| e.tag_name().eq_ignore_ascii_case("body"));
            if lost {
                let _ = back.focus();
            }
        }
    });

    view! {
        <aside class="keys value-view" aria-label=move || format!("Value of {}", key_text())>
            <div class="keys-head">
                <button class="vv-back" node_ref=back_ref on:click=move |_| ctx.close_value() aria-label="Back to keys">"← keys"</button>
                {move || {
                    let t = type_name();
                    (!t.is_empty()).then(|| view! { <span class=format!("badge t-{t}")>{t}</span> })
                }}
                <h2 class="vv-key">{key_text}</h2>
            </div>
            {move || meta().map(|(length, encoding, size)| view! {
                <dl class="vv-meta">
                    <div><dt>"TTL"</dt><dd class="vv-ttl" class:none=move || ttl().is_none()>{move || ttl().unwrap_or_else(|| "none".to_string())}</dd></div>
                    <div><dt>"length"</dt><dd class="vv-length">{length}</dd></div>
                    <div><dt>"encoding"</dt><dd class="vv-encoding">{encoding}</dd></div>
                    <div><dt>"size"</dt><dd>{size}</dd></div>
                </dl>
            })}
            <div class="vv-cmds" role="group" aria-label="Type a command for this key">
                {move || commands().into_iter().map(|(label, command)| prefill_button(ctx, "vv-cmd", label.to_string(), command)).collect_view()}
            </div>
            <div class="key-scroll vv-scroll">
                {move || ctx.value.with(|s| match s {
                    Some(s) => match &s.view {
                        Some(v) => view! {
                            {body(ctx, &s.key, v, s.show_all)}
                            {values::order_note(v.type_name, v.encoding).map(|n| view! { <p class="vv-note">{n}</p> })}
                        }
                        .into_any(),
                        None => view! { <p class="empty vv-gone" role="status">"This key no longer exists."</p> }.into_any(),
                    },
                    None => ().into_any(),
                })}
            </div>
            {move || pager().map(|(label, has_prev, has_next)| view! {
                <div class="vv-pager">
                    <button class="vv-first" disabled=!has_prev on:click=move |_| ctx.value_nav(ValueWatch::first_page)>"first"</button>
                    <button class="vv-prev" disabled=!has_prev on:click=move |_| ctx.value_nav(ValueWatch::prev_page)>"previous"</button>
                    <span class="vv-range" aria-live="polite">{label}</span>
                    <button class="vv-next" disabled=!has_next on:click=move |_| ctx.value_nav(ValueWatch::next_page)>"next"</button>
                    <button class="vv-last" disabled=!has_next on:click=move |_| ctx.value_nav(ValueWatch::last_page)>"last"</button>
                </div>
            })}
            <p class="keys-foot">"Buttons type a command into the console; press Enter to run it. This view follows every change."</p>
        </aside>
    }
}
