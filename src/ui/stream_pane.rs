//! The stream view of the visualisation pane: entries, consumer groups, their consumers
//! and pending entries, with claim/ack buttons that type commands into the console.
//! The paging and change logic is `crate::streams`.

use leptos::prelude::*;

use redis_emulator::observe::StreamView;
use redis_emulator::types::stream::StreamId;

use crate::app::AppCtx;
use crate::keys;
use crate::streams::{self, Shown, StreamWatch};

/// Reads one thing of the open stream's view; `default` while none is open.
fn with_view<T>(ctx: AppCtx, default: T, f: impl FnOnce(&Shown, &StreamView) -> T) -> T {
    ctx.stream
        .with(|s| s.as_ref().and_then(|s| s.view.as_ref().map(|v| f(s, v))))
        .unwrap_or(default)
}

/// One row of the entries table: ID, the time it encodes, fields, and where it is pending.
#[derive(Clone, PartialEq, Eq, Hash)]
struct EntryLine {
    id: StreamId,
    /// Field/value pairs as redis-cli would quote them.
    fields: Vec<(String, String)>,
    /// `group → consumer` for each group (on its page) that holds the entry as pending.
    pending_in: Vec<String>,
    fresh: bool,
}

/// A pending entry's identity and owner (its idle time is read live).
#[derive(Clone, PartialEq, Eq, Hash)]
struct PendingLine {
    group: Vec<u8>,
    id: StreamId,
    consumer: Vec<u8>,
    /// Whom "claim" suggests (another consumer of the group, see `claim_target`).
    claim_for: Vec<u8>,
    deliveries: u64,
    fresh: bool,
}

fn fields_text(fields: &[(Vec<u8>, Vec<u8>)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(f, v)| (keys::display_key(f), keys::display_key(v)))
        .collect()
}

/// The visualisation pane's stream view: entries newest first, consumer groups with
/// their consumers and pending entries, paged; what a command moved is highlighted once.
#[component]
pub fn StreamPane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let key_text = move || {
        ctx.stream.with(|s| {
            s.as_ref()
                .map(|s| keys::display_key(&s.key))
                .unwrap_or_default()
        })
    };
    let exists = move || {
        ctx.stream
            .with(|s| s.as_ref().is_some_and(|s| s.view.is_some()))
    };
    let summary = move || {
        with_view(ctx, String::new(), |_, v| {
            let groups = v.groups.len();
            format!(
                "{} entr{} · {} group{} · last ID {}",
                v.length,
                if v.length == 1 { "y" } else { "ies" },
                groups,
                if groups == 1 { "" } else { "s" },
                v.last_generated_id
            )
        })
    };
    let said = move || {
        ctx.stream.with(|s| {
            s.as_ref()
                .map(|s| s.changes.said.join(" "))
                .unwrap_or_default()
        })
    };
    let entries = move || {
        with_view(ctx, Vec::new(), |s, v| {
            v.entries
                .iter()
                .map(|e| {
                    let pending_in = v
                        .groups
                        .iter()
                        .filter_map(|g| {
                            g.pending.iter().find(|p| p.id == e.id).map(|p| {
                                format!(
                                    "{} → {}",
                                    keys::display_key(&g.name),
                                    keys::display_key(&p.consumer)
                                )
                            })
                        })
                        .collect();
                    EntryLine {
                        id: e.id,
                        fields: fields_text(&e.fields),
                        pending_in,
                        fresh: s.changes.new_entries.contains(&e.id),
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let group_names = move || {
        with_view(ctx, Vec::new(), |_, v| {
            v.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>()
        })
    };
    let has_older = move || with_view(ctx, false, |_, v| v.has_older);
    let has_newer = move || {
        ctx.stream
            .with(|s| s.as_ref().is_some_and(|s| s.entries_paged))
    };
    let more_pending =
        move || with_view(ctx, false, |_, v| v.groups.iter().any(|g| g.more_pending));
    let pending_paged = move || {
        ctx.stream
            .with(|s| s.as_ref().is_some_and(|s| s.pending_paged))
    };
    let key_for_cmds = move || {
        ctx.stream
            .with_untracked(|s| s.as_ref().map(|s| s.key.clone()).unwrap_or_default())
    };

    let entry_view = move |e: EntryLine| {
        let class = if e.fresh { "sv-row fresh" } else { "sv-row" };
        let pending = e
            .pending_in
            .iter()
            .map(|t| view! { <span class="sv-tag">{t.clone()}</span> })
            .collect_view();
        let fields = e
            .fields
            .iter()
            .map(|(f, v)| view! { <span class="sv-kv"><span class="sv-f">{f.clone()}</span>" "<span class="sv-v">{v.clone()}</span></span> })
            .collect_view();
        view! {
            <tr class=class>
                <td class="sv-id">{e.id.to_string()}</td>
                <td class="sv-time">{streams::id_time(e.id)}</td>
                <td class="sv-fields">{fields}{pending}</td>
            </tr>
        }
    };

    let group_view = move |name: Vec<u8>| {
        let label = keys::display_key(&name);
        let stats_name = name.clone();
        let stats = move || {
            with_view(ctx, Vec::new(), |_, v| {
                v.groups
                    .iter()
                    .find(|g| g.name == stats_name)
                    .map(|g| {
                        let opt =
                            |n: Option<i64>| n.map_or_else(|| "nil".to_string(), |n| n.to_string());
                        vec![
                            ("last-delivered-id", g.last_delivered_id.to_string()),
                            ("entries-read", opt(g.entries_read)),
                            ("lag", opt(g.lag)),
                            ("pending", g.pending_count.to_string()),
                            ("consumers", g.consumer_count.to_string()),
                        ]
                    })
                    .unwrap_or_default()
            })
        };
        let consumers_name = name.clone();
        let consumers = move || {
            with_view(ctx, Vec::new(), |_, v| {
                v.groups
                    .iter()
                    .find(|g| g.name == consumers_name)
                    .map(|g| {
                        g.consumers
                            .iter()
                            .map(|c| (c.name.clone(), c.pending))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        };
        let pel_name = name.clone();
        let pending = move || {
            with_view(ctx, Vec::new(), |s, v| {
                v.groups
                    .iter()
                    .find(|g| g.name == pel_name)
                    .map(|g| {
                        g.pending
                            .iter()
                            .map(|p| PendingLine {
                                group: g.name.clone(),
                                id: p.id,
                                consumer: p.consumer.clone(),
                                claim_for: streams::claim_target(g, &p.consumer).to_vec(),
                                deliveries: p.delivery_count,
                                fresh: s.changes.moved_pending.contains(&(g.name.clone(), p.id)),
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
        };
        let consumer_view = {
            let group = name.clone();
            move |(cname, count): (Vec<u8>, usize)| {
                let (group, cname2) = (group.clone(), cname.clone());
                let idle = move || {
                    with_view(ctx, String::new(), |_, v| {
                        v.groups
                            .iter()
                            .find(|g| g.name == group)
                            .and_then(|g| g.consumers.iter().find(|c| c.name == cname2))
                            .map(|c| streams::format_ms(c.idle_ms))
                            .unwrap_or_default()
                    })
                };
                view! {
                    <tr>
                        <td class="sv-consumer">{keys::display_key(&cname)}</td>
                        <td class="num">{count}</td>
                        <td class="num sv-idle">{idle}</td>
                    </tr>
                }
            }
        };
        let pending_view = move |p: PendingLine| {
            let class = if p.fresh { "sv-row fresh" } else { "sv-row" };
            let (group, id) = (p.group.clone(), p.id);
            let idle = move || {
                with_view(ctx, String::new(), |_, v| {
                    v.groups
                        .iter()
                        .find(|g| g.name == group)
                        .and_then(|g| g.pending.iter().find(|x| x.id == id))
                        .map(|x| streams::format_ms(x.idle_ms))
                        .unwrap_or_default()
                })
            };
            let claim = streams::claim_command(&key_for_cmds(), &p.group, &p.claim_for, p.id);
            let ack = streams::ack_command(&key_for_cmds(), &p.group, p.id);
            let claim_label = format!("Type {claim}");
            let ack_label = format!("Type {ack}");
            let on_claim = move |_| ctx.prefill(&claim);
            let on_ack = move |_| ctx.prefill(&ack);
            view! {
                <tr class=class>
                    <td class="sv-id">{p.id.to_string()}</td>
                    <td class="sv-consumer">{keys::display_key(&p.consumer)}</td>
                    <td class="num sv-idle">{idle}</td>
                    <td class="num">{p.deliveries}</td>
                    <td class="sv-actions">
                        <button class="sv-act claim" title=claim_label.clone() aria-label=claim_label on:click=on_claim>"claim"</button>
                        <button class="sv-act ack" title=ack_label.clone() aria-label=ack_label on:click=on_ack>"ack"</button>
                    </td>
                </tr>
            }
        };
        view! {
            <section class="sv-group" aria-label=format!("Consumer group {label}")>
                <h4><span class="sv-group-label">"group "</span><span class="sv-group-name">{label.clone()}</span></h4>
                <dl class="sv-stats">
                    {move || stats().into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
                </dl>
                <table class="sv-table" aria-label=format!("Consumers of {label}")>
                    <thead><tr><th scope="col">"consumer"</th><th scope="col" class="num">"pending"</th><th scope="col" class="num">"idle"</th></tr></thead>
                    <tbody>
                        <For each=consumers key=|c| c.clone() children=consumer_view/>
                    </tbody>
                </table>
                <table class="sv-table sv-pel" aria-label=format!("Pending entries of {label}")>
                    <thead><tr>
                        <th scope="col">"pending ID"</th><th scope="col">"consumer"</th><th scope="col" class="num">"idle"</th>
                        <th scope="col" class="num">"deliveries"</th><th scope="col"><span class="sr-only">"actions"</span></th>
                    </tr></thead>
                    <tbody>
                        <For each=pending key=|p| p.clone() children=pending_view/>
                    </tbody>
                </table>
            </section>
        }
    };

    view! {
        <aside class="keys stream-view" aria-label=move || format!("Stream {}", key_text())>
            <div class="keys-head">
                <button class="sv-back" on:click=move |_| ctx.close_stream() aria-label="Back to keys">"← keys"</button>
                <span class="badge t-stream">"stream"</span>
                <h2 class="sv-key">{key_text}</h2>
                <span class="count">{summary}</span>
            </div>
            <p class="sv-live" role="status" aria-live="polite">{said}</p>
            {move || (!exists()).then(|| view! { <p class="empty">"This key no longer holds a stream."</p> })}
            <div class="key-scroll sv-scroll">
                <div class="sv-section-head">
                    <h3>"Entries"<span class="sv-hint">" newest first"</span></h3>
                    <div class="sv-pager">
                        <button class="sv-newer" disabled=move || !has_newer() on:click=move |_| ctx.stream_nav(StreamWatch::newer)>"newer"</button>
                        <button class="sv-older" disabled=move || !has_older() on:click=move |_| ctx.stream_nav(StreamWatch::older)>"older"</button>
                    </div>
                </div>
                <table class="sv-table sv-entries" aria-label="Entries, newest first">
                    <thead><tr><th scope="col">"ID"</th><th scope="col">"time (UTC)"</th><th scope="col">"fields"</th></tr></thead>
                    <tbody>
                        <For each=entries key=|e| e.clone() children=entry_view/>
                    </tbody>
                </table>
                <div class="sv-section-head">
                    <h3>"Consumer groups"</h3>
                    <div class="sv-pager">
                        <button class="sv-pel-prev" disabled=move || !pending_paged() on:click=move |_| ctx.stream_nav(StreamWatch::fewer_pending)>"earlier pending"</button>
                        <button class="sv-pel-next" disabled=move || !more_pending() on:click=move |_| ctx.stream_nav(StreamWatch::more_pending)>"later pending"</button>
                    </div>
                </div>
                {move || group_names().is_empty().then(|| view! { <p class="empty">"No consumer group yet. Try XGROUP CREATE with this key."</p> })}
                <For each=group_names key=|n| n.clone() children=group_view/>
            </div>
            <p class="keys-foot">"claim and ack type a command into the console; press Enter to run it."</p>
        </aside>
    }
}
