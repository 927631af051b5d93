//! The key list of the visualisation pane: the keys of the selected database with their
//! type, TTL and size, filtered by a glob pattern. The listing logic is `crate::keys`.

use leptos::prelude::*;

use crate::app::AppCtx;
use crate::keys;

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
        ctx.listing.with(|l| {
            (l.matching > l.rows.len())
                .then(|| format!("and {} more: narrow the filter", l.matching - l.rows.len()))
        })
    };
    let empty = move || {
        ctx.listing.with(|l| {
            if l.total == 0 {
                Some(format!(
                    "No keys in db {} yet. Try SET greeting hello.",
                    l.db
                ))
            } else if l.matching == 0 {
                Some("No key matches this pattern.".to_string())
            } else {
                None
            }
        })
    };
    let row_view = move |r: keys::KeyRow| {
        let command = keys::console_command(&r);
        let title = format!(
            "{} ({}, encoding {}): click to type {}",
            r.display, r.type_name, r.encoding, command
        );
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
