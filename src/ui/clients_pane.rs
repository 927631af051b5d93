//! The Clients tab: every client (each console tab is one) with what it is doing, the
//! channels and patterns with their subscribers, and each PUBLISH shown reaching its
//! receivers. The logic is `crate::clients`; this draws what `AppCtx` read.

use leptos::prelude::*;

use redis_emulator::ClientId;

use crate::app::AppCtx;
use crate::clients::{ClientRow, ClientState, Flow};

/// The latest publish while it is fresh: (seq, channel, receivers).
fn fresh_flow(ctx: AppCtx) -> Option<Flow> {
    let now = ctx.observe.clients.with(|c| c.now_ms);
    ctx.observe.flows.with(|f| f.fresh(now).cloned())
}

fn state_view(row: &ClientRow) -> AnyView {
    match &row.state {
        ClientState::Idle => view! { <span class="cl-state cl-idle">"idle"</span> }.into_any(),
        ClientState::Monitor => {
            view! { <span class="cl-state cl-monitor">"MONITOR: sees every command"</span> }
                .into_any()
        }
        ClientState::Multi { queued, doomed } => {
            let doomed = *doomed;
            view! {
                <span class="cl-state cl-multi">
                    <span class="cl-badge">"MULTI"</span>
                    {format!("{queued} command{} queued", if *queued == 1 { "" } else { "s" })}
                    {doomed.then(|| view! { <span class="cl-doomed">" · a watched key changed: EXEC will fail"</span> })}
                </span>
            }
            .into_any()
        }
        ClientState::Subscribed { channels, patterns } => {
            let mut parts = Vec::new();
            if !channels.is_empty() {
                parts.push(format!("channels {}", channels.join(", ")));
            }
            if !patterns.is_empty() {
                parts.push(format!("patterns {}", patterns.join(", ")));
            }
            view! {
                <span class="cl-state cl-sub">
                    <span class="cl-badge">"subscribed"</span>
                    {parts.join(" · ")}
                </span>
            }
            .into_any()
        }
        ClientState::Blocked(b) => {
            let waits = match b.kind {
                "postponed" => "held (CLIENT PAUSE or a running script)".to_string(),
                "script" => "its script is running".to_string(),
                _ => format!("on {}", b.keys.join(", ")),
            };
            let queued = (b.queued > 0).then(|| {
                format!(
                    " · {} typed command{} wait behind it",
                    b.queued,
                    if b.queued == 1 { "" } else { "s" }
                )
            });
            view! {
                <span class="cl-state cl-blocked">
                    <span class="cl-badge">"blocked"</span>
                    <code class="cl-cmd">{b.command.clone()}</code>
                    <span class="cl-wait">
                        {format!("{waits} · {} · waiting {} s", b.timeout, b.waited_s)}
                        {queued}
                    </span>
                    {(!b.after.is_empty()).then(|| view! { <span class="cl-after">{b.after.join(" · ")}</span> })}
                </span>
            }
            .into_any()
        }
    }
}

/// The Clients tab.
#[component]
pub fn ClientsPane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let summary = move || {
        ctx.observe.clients.with(|c| {
            let blocked = c
                .rows
                .iter()
                .filter(|r| matches!(r.state, ClientState::Blocked(_)))
                .count();
            let n = c.rows.len();
            format!(
                "{n} client{} · {blocked} blocked",
                if n == 1 { "" } else { "s" }
            )
        })
    };
    // Rows are keyed by client id and the publish that reached them, so a row is drawn
    // anew (and its highlight plays) only when a message reaches it.
    let row_keys = move || {
        let flow = fresh_flow(ctx);
        ctx.observe.clients.with(|c| {
            c.rows
                .iter()
                .map(|r| {
                    (
                        r.id,
                        flow.as_ref()
                            .filter(|f| f.receivers.contains(&r.id))
                            .map(|f| f.seq),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let client_row = move |(id, flash): (ClientId, Option<u64>)| {
        let row = Memo::new(move |_| {
            ctx.observe
                .clients
                .with(|c| c.rows.iter().find(|r| r.id == id).cloned())
        });
        let cell = move |f: fn(&ClientRow) -> String| {
            move || row.with(|r| r.as_ref().map(f).unwrap_or_default())
        };
        let switch = move |_| {
            if let Some(i) = row.with_untracked(|r| r.as_ref().and_then(|r| r.tab)) {
                ctx.tabs_op(|s| s.active = i);
            }
        };
        view! {
            <tr
                class="cl-row"
                class:cl-flash=flash.is_some()
                class:is-blocked=move || row.with(|r| r.as_ref().is_some_and(|r| matches!(r.state, ClientState::Blocked(_))))
                data-client=id
            >
                <th scope="row" class="cl-who">
                    <span class="cl-id">{format!("id {id}")}</span>
                    {move || {
                        row.with(|r| {
                            r.as_ref().map(|r| {
                                let label = r.label.clone();
                                match r.tab {
                                    Some(_) => view! {
                                        <button type="button" class="cl-tab" title=format!("Switch the console to {label}") on:click=switch>
                                            {label.clone()}
                                        </button>
                                    }
                                    .into_any(),
                                    None => view! { <span class="cl-tab cl-notab">{label}</span> }.into_any(),
                                }
                            })
                        })
                    }}
                    {move || row.with(|r| r.as_ref().and_then(|r| r.name.clone()).map(|n| view! { <span class="cl-name" title="CLIENT SETNAME">{n}</span> }))}
                </th>
                <td class="cl-what">
                    {move || row.with(|r| r.as_ref().map(state_view))}
                    {move || {
                        row.with(|r| {
                            r.as_ref()
                                .filter(|r| !r.watching.is_empty())
                                .map(|r| view! { <span class="cl-watch">{format!("WATCH {}", r.watching.join(", "))}</span> })
                        })
                    }}
                </td>
                <td class="cl-num">{cell(|r| r.db.to_string())}</td>
                <td class="cl-last">{cell(|r| r.last_command.clone())}</td>
                <td class="cl-num">{cell(|r| format!("{} s", r.idle_s))}</td>
                <td class="cl-flags" title="CLIENT LIST flags">{cell(|r| r.flags.clone())}</td>
            </tr>
        }
    };

    let sub_keys = move || {
        let flow = fresh_flow(ctx);
        ctx.observe.clients.with(|c| {
            c.subs
                .iter()
                .map(|s| {
                    let reached = flow.as_ref().filter(|f| match s.kind {
                        "pattern" => redis_emulator::glob::glob_match(
                            s.name.as_bytes(),
                            f.channel.as_bytes(),
                            false,
                        ),
                        _ => s.name == f.channel,
                    });
                    (s.clone(), reached.map(|f| f.seq))
                })
                .collect::<Vec<_>>()
        })
    };
    let sub_row = move |(s, flash): (crate::clients::SubRow, Option<u64>)| {
        let who: Vec<String> = s.subscribers.iter().map(|(_, l)| l.clone()).collect();
        view! {
            <tr class="ps-row" class:cl-flash=flash.is_some()>
                <td class="ps-kind">{s.kind}</td>
                <th scope="row" class="ps-name">{s.name.clone()}</th>
                <td class="ps-subs">{who.join(", ")}</td>
            </tr>
        }
    };
    let latest = move || {
        ctx.observe
            .flows
            .with(|f| f.latest().map(|f| (f.seq, f.text.clone())))
    };
    let older = move || {
        ctx.observe.flows.with(|f| {
            f.recent
                .iter()
                .rev()
                .skip(1)
                .map(|f| f.text.clone())
                .collect::<Vec<_>>()
        })
    };
    let no_subs = move || ctx.observe.clients.with(|c| c.subs.is_empty());

    view! {
        <section class="clients-pane" aria-label="Clients and pub/sub">
            <div class="cl-head">
                <h2>"Clients"</h2>
                <span class="cl-count">{summary}</span>
            </div>
            <div class="cl-scroll">
                <table class="cl-table">
                    <caption class="sr-only">"Connected clients: each console tab is one"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Client"</th>
                            <th scope="col">"Doing"</th>
                            <th scope="col">"db"</th>
                            <th scope="col">"Last command"</th>
                            <th scope="col">"Idle"</th>
                            <th scope="col">"Flags"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=row_keys key=|k| *k children=client_row/>
                    </tbody>
                </table>

                <h3 class="ps-title">"Pub/sub"</h3>
                <p class="flow-latest" role="status" aria-live="polite" aria-atomic="true">
                    // Drawn anew for each publish, so its highlight plays once.
                    {move || match latest() {
                        Some((seq, text)) => view! { <span class="flow-line cl-flash" data-seq=seq>{text}</span> }.into_any(),
                        None => view! { <span class="flow-none">"No message published yet."</span> }.into_any(),
                    }}
                </p>
                {move || {
                    let older = older();
                    (!older.is_empty())
                        .then(|| {
                            view! {
                                <ul class="flow-older" aria-label="Earlier publishes, newest first">
                                    {older.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}
                                </ul>
                            }
                        })
                }}
                <Show
                    when=move || !no_subs()
                    fallback=|| view! {
                        <p class="cl-empty">"Nobody is subscribed. Open a second tab with +, type SUBSCRIBE news there, then PUBLISH news hello here."</p>
                    }
                >
                    <table class="ps-table">
                        <caption class="sr-only">"Channels and patterns with their subscribers"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"Kind"</th>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Subscribers"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=sub_keys key=|k| k.clone() children=sub_row/>
                        </tbody>
                    </table>
                </Show>
            </div>
            <p class="cl-foot">"Each console tab is a client. A blocked client waits for a key; another tab's write releases it."</p>
        </section>
    }
}
