//! The stream view of the visualisation pane: entries, consumer groups, their consumers
//! and pending entries, with claim/ack buttons that type commands into the console.
//! The paging and change logic is `crate::streams`.

use leptos::html;
use leptos::prelude::*;

use redis_emulator::observe::{EntryState, StreamView};
use redis_emulator::types::stream::StreamId;

use crate::app::AppCtx;
use crate::keys;
use crate::streams::{self, Shown, StreamWatch, Window, ROW_PX};

/// The open stream's length, without tracking it.
fn length_untracked(ctx: AppCtx) -> u64 {
    ctx.stream.with_untracked(|s| {
        s.as_ref()
            .and_then(|s| s.view.as_ref())
            .map_or(0, |v| v.length)
    })
}

/// Reads one thing of the open stream's view; `default` while none is open.
fn with_view<T>(ctx: AppCtx, default: T, f: impl FnOnce(&Shown, &StreamView) -> T) -> T {
    ctx.stream
        .with(|s| s.as_ref().and_then(|s| s.view.as_ref().map(|v| f(s, v))))
        .unwrap_or(default)
}

/// One row of the entries table: ID, the time it encodes, fields, and where it is pending.
#[derive(Clone, PartialEq, Eq, Hash)]
struct EntryLine {
    /// Some(true) trimmed, Some(false) deleted: the row is shown once more, struck out.
    gone: Option<bool>,
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
            let mut lines: Vec<EntryLine> = v
                .entries
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
                        gone: None,
                        id: e.id,
                        fields: fields_text(&e.fields),
                        pending_in,
                        fresh: s.changes.new_entries.contains(&e.id),
                    }
                })
                .collect();
            // What a command removed from this window stays one more read, in place.
            for (e, trimmed) in &s.changes.gone {
                let at = lines
                    .iter()
                    .position(|l| l.id < e.id)
                    .unwrap_or(lines.len());
                let line = EntryLine {
                    gone: Some(*trimmed),
                    id: e.id,
                    fields: fields_text(&e.fields),
                    pending_in: Vec::new(),
                    fresh: false,
                };
                lines.insert(at, line);
            }
            lines
        })
    };
    let length = move || with_view(ctx, 0, |_, v| v.length);

    // The entries table draws only the rows in view (`streams::Window`): the scroller's
    // content is as tall as the whole stream, and the drawn rows are moved to where the
    // scroll position says they are.
    let scroller = NodeRef::<html::Div>::new();
    let scroll = RwSignal::new((0.0_f64, 0.0_f64));
    let on_scroll = move || {
        if let Some(el) = scroller.get_untracked() {
            let (top, height) = (f64::from(el.scroll_top()), f64::from(el.client_height()));
            scroll.set((top, height));
            ctx.stream_scrolled(top, height);
        }
    };
    // The first window once the table has its height.
    Effect::new(move |_| {
        if scroller.get().is_some() {
            on_scroll();
        }
    });
    // Entries added or deleted above the window moved it: scroll by as many rows so
    // the learner keeps reading the same entries.
    Effect::new(move |_| {
        let shifted = ctx.stream.with(|s| s.as_ref().map_or(0, |s| s.shifted));
        if let (Some(el), true) = (scroller.get_untracked(), shifted != 0) {
            if length_untracked(ctx) as f64 * ROW_PX <= streams::MAX_SCROLL_PX {
                el.set_scroll_top(el.scroll_top() + (shifted as f64 * ROW_PX) as i32);
            }
        }
    });
    let total_px = move || {
        let (top, height) = scroll.get();
        Window::at(top, height, length()).total_px
    };
    let rows_top = move || {
        let (top, height) = scroll.get();
        let win = Window::at(top, height, length());
        let from = with_view(ctx, win.from, |_, v| v.entries_from);
        win.top_px + (from as f64 - win.from as f64) * ROW_PX
    };

    // Jump to an ID or a time: scroll so that entry is at the top, and ring it.
    let target = RwSignal::new(None::<u64>);
    let jump_text = RwSignal::new(String::new());
    let jump_said = RwSignal::new(String::new());
    let on_jump = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = match streams::parse_jump(&jump_text.get_untracked()) {
            Ok(id) => id,
            Err(e) => {
                jump_said.set(e);
                return;
            }
        };
        let len = length_untracked(ctx);
        let Some(pos) = ctx.stream_position(id) else {
            return;
        };
        if pos >= len {
            jump_said.set(format!("No entry at or before {id}: showing the oldest."));
        } else {
            jump_said.set(String::new());
        }
        let pos = pos.min(len.saturating_sub(1));
        target.set(Some(pos));
        if let Some(el) = scroller.get_untracked() {
            let height = f64::from(el.client_height());
            el.set_scroll_top(Window::scroll_to(pos, height, len) as i32);
            on_scroll();
        }
    };
    let group_names = move || {
        with_view(ctx, Vec::new(), |_, v| {
            v.groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>()
        })
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
        let mut class = String::from("sv-erow");
        if e.fresh {
            class.push_str(" fresh");
        }
        match e.gone {
            Some(true) => class.push_str(" gone trimmed"),
            Some(false) => class.push_str(" gone deleted"),
            None => {}
        }
        // Rows are keyed by what they show, not by their position (which moves for
        // every row when an entry arrives at the top): the position is looked up.
        let id = e.id;
        let gone = e.gone.is_some();
        let pos = move || {
            if gone {
                return None;
            }
            with_view(ctx, None, |_, v| {
                v.entries
                    .iter()
                    .position(|x| x.id == id)
                    .map(|i| v.entries_from + i as u64)
            })
        };
        let is_target = move || target.get().is_some() && target.get() == pos();
        let is_selected = move || {
            !gone
                && ctx.stream.with(|s| {
                    s.as_ref()
                        .and_then(|s| s.selected.as_ref())
                        .is_some_and(|(sel, _)| *sel == id)
                })
        };
        // A click shows the entry in full and its path through the groups; again closes it.
        let select = move || {
            if gone {
                return;
            }
            let again = is_selected();
            ctx.stream_nav(|w| w.select((!again).then_some(id)));
        };
        let gone_label = e.gone.map(
            |t| view! { <span class="sv-gone-tag">{if t { "trimmed" } else { "deleted" }}</span> },
        );
        let pending = e
            .pending_in
            .iter()
            .map(|t| view! { <span class="sv-tag">{t.clone()}</span> })
            .collect_view();
        let title = e
            .fields
            .iter()
            .map(|(f, v)| format!("{f} {v}"))
            .collect::<Vec<_>>()
            .join("\n");
        let fields = e
            .fields
            .iter()
            .map(|(f, v)| view! { <span class="sv-kv"><span class="sv-f">{f.clone()}</span>" "<span class="sv-v">{v.clone()}</span></span> })
            .collect_view();
        view! {
            <div
                class=class
                class:target=is_target
                class:selected=is_selected
                role="row"
                aria-rowindex=move || pos().map(|p| (p + 2).to_string())
                aria-selected=move || is_selected().to_string()
                tabindex=if gone { None } else { Some("0") }
                on:click=move |_| select()
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" || ev.key() == " " {
                        ev.prevent_default();
                        select();
                    }
                }
            >
                <span class="sv-id" role="cell">{e.id.to_string()}</span>
                <span class="sv-time col-time" role="cell">{streams::id_time(e.id)}</span>
                <span class="sv-fields" role="cell" title=title>{gone_label}{pending}{fields}</span>
            </div>
        }
    };

    // The selected entry: every field, and where it stands in each group.
    let detail = move || {
        ctx.stream.with(|s| {
            let s = s.as_ref()?;
            let (id, detail) = s.selected.clone()?;
            let groups = s
                .view
                .as_ref()
                .map(|v| v.groups.clone())
                .unwrap_or_default();
            Some((id, detail, groups))
        })
    };
    let detail_view = move || {
        detail().map(|(id, detail, groups)| {
            let close = move |_| ctx.stream_nav(|w| w.select(None));
            let body = match detail {
                None => view! { <p class="empty">"This entry is no longer in the stream (deleted or trimmed)."</p> }.into_any(),
                Some(d) => {
                    let fields = d
                        .fields
                        .iter()
                        .map(|(f, v)| view! { <tr><td class="sv-f">{keys::display_key(f)}</td><td class="sv-v">{keys::display_key(v)}</td></tr> })
                        .collect_view();
                    let key = key_for_cmds();
                    let path = d
                        .groups
                        .iter()
                        .map(|(g, state)| {
                            let label = keys::display_key(g);
                            let (class, text, actions) = match state {
                                EntryState::NotDelivered => ("sv-state waiting", "not delivered yet".to_string(), None),
                                EntryState::Acknowledged => ("sv-state acked", "delivered and acknowledged".to_string(), None),
                                EntryState::Pending { consumer, deliveries, idle_ms } => {
                                    let row = groups.iter().find(|r| r.name == *g);
                                    let claim_for = row.map(|r| streams::claim_target(r, consumer).to_vec()).unwrap_or_else(|| consumer.clone());
                                    let claim = streams::claim_command(&key, g, &claim_for, d.id);
                                    let ack = streams::ack_command(&key, g, d.id);
                                    let text = format!(
                                        "pending → {} · delivered {}× · idle {}",
                                        keys::display_key(consumer),
                                        deliveries,
                                        streams::format_ms(*idle_ms)
                                    );
                                    let (claim_label, ack_label) = (format!("Type {claim}"), format!("Type {ack}"));
                                    let actions = view! {
                                        <button class="sv-act claim" title=claim_label.clone() aria-label=claim_label on:click=move |_| ctx.prefill(&claim)>"claim"</button>
                                        <button class="sv-act ack" title=ack_label.clone() aria-label=ack_label on:click=move |_| ctx.prefill(&ack)>"ack"</button>
                                    };
                                    ("sv-state pending", text, Some(actions))
                                }
                            };
                            view! {
                                <li>
                                    <span class="sv-path-group">{label}</span>
                                    <span class=class>{text}</span>
                                    {actions}
                                </li>
                            }
                        })
                        .collect_view();
                    let no_groups = d.groups.is_empty().then(|| view! { <li class="empty">"No consumer group reads this stream yet."</li> });
                    view! {
                        <table class="sv-table sv-detail-fields" aria-label="Fields">
                            <tbody>{fields}</tbody>
                        </table>
                        <h5>"In each consumer group"</h5>
                        <ul class="sv-path">{path}{no_groups}</ul>
                    }
                    .into_any()
                }
            };
            view! {
                <section class="sv-detail" aria-label=format!("Entry {id}")>
                    <div class="sv-detail-head">
                        <h4>"Entry "<span class="sv-id">{id.to_string()}</span></h4>
                        <span class="sv-time">{streams::id_time(id)}" UTC"</span>
                        <button class="sv-detail-close" on:click=close aria-label="Close the entry's details">"×"</button>
                    </div>
                    {body}
                </section>
            }
        })
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
                    <form class="sv-jump" on:submit=on_jump role="search" aria-label="Jump to an entry">
                        <input
                            type="text"
                            class="sv-jump-input"
                            placeholder="jump to ID or UTC time"
                            aria-label="Jump to an entry ID or a UTC time, e.g. 1700000000000-0 or 2023-11-14 22:13"
                            spellcheck="false"
                            prop:value=move || jump_text.get()
                            on:input=move |ev| jump_text.set(event_target_value(&ev))
                        />
                        <button type="submit" class="sv-jump-go">"jump"</button>
                    </form>
                </div>
                <p class="sv-jump-said" role="alert">{move || jump_said.get()}</p>
                <div class="sv-entries" role="table" aria-label="Entries, newest first" aria-rowcount=move || (length() + 1).to_string()>
                    <div class="sv-erow sv-ehead" role="row" aria-rowindex="1">
                        <span role="columnheader">"ID"</span><span role="columnheader" class="col-time">"time (UTC)"</span><span role="columnheader">"fields"</span>
                    </div>
                    <div class="sv-escroll" node_ref=scroller on:scroll=move |_| on_scroll() tabindex="0" aria-label="Entries (scroll)">
                        <div class="sv-espace" style:height=move || format!("{}px", total_px())>
                            <div class="sv-ewin" role="rowgroup" style:transform=move || format!("translateY({}px)", rows_top())>
                                <For each=entries key=|e| e.clone() children=entry_view/>
                            </div>
                        </div>
                    </div>
                </div>
                {detail_view}
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
            <p class="keys-foot">"Click an entry for its path through the groups; claim and ack type a command into the console (Enter runs it)."</p>
        </aside>
    }
}
