//! The HTTP tab of the console pane: a line taking curl lines (Up and Down walk its
//! history, as in the console) over the exchanges they made: the line, then the
//! response's status, its headers when the line asked for them (`-i`, `-v`) and its
//! body (JSON indented), or "waiting..." while the program's handler has not answered,
//! or curl's error. The model is `crate::requests::Requests`, kept by the desk.

use leptos::html;
use leptos::prelude::*;

use crate::app::AppCtx;
use crate::requests::{Exchange, ExchangeState};
use redis_programs::curl;

/// The HTTP tab's button in the console pane's tab strip.
#[component]
pub fn HttpTab() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let shown = move || {
        ctx.tabs.track();
        ctx.programs.track();
        ctx.state
            .try_with_value(|s| s.progs.http_visible())
            .unwrap_or(false)
    };
    let waiting = move || {
        ctx.vtime.track();
        ctx.programs.track();
        ctx.state
            .try_with_value(|s| s.progs.http.exchanges().iter().any(Exchange::is_waiting))
            .unwrap_or(false)
    };
    view! {
        <span class="tab http-tab" class:active=shown class:waiting=waiting>
            <button
                role="tab"
                class="tab-name"
                aria-selected=move || if shown() { "true" } else { "false" }
                title="Send HTTP requests with curl to the programs that listen on a port"
                on:click=move |_| {
                    ctx.programs_op(|desk, _, _| desk.show_http());
                    focus_http_input();
                }
            >
                <span class="tab-kind" aria-hidden="true">"⇄"</span>
                "HTTP"
                {move || waiting().then(|| view! { <span class="tab-wait" aria-hidden="true"></span> })}
            </button>
        </span>
    }
}

/// Focuses the curl line once it is drawn.
fn focus_http_input() {
    request_animation_frame(|| {
        let input = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(".http-input").ok().flatten());
        if let Some(el) = input {
            use wasm_bindgen::JsCast;
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    });
}

/// What one exchange shows, read from the model.
#[derive(Clone, PartialEq)]
struct ExchangeView {
    number: u64,
    line: String,
    waiting: bool,
    error: Option<String>,
    /// `HTTP/1.1 200 OK` and its class (2xx ok, 4xx client, 5xx server).
    status: Option<(String, &'static str)>,
    headers: Option<String>,
    body: Option<String>,
}

impl ExchangeView {
    fn of(e: &Exchange) -> ExchangeView {
        let response = e.response();
        let status = response.map(|r| {
            let class = match r.status {
                200..=399 => "ok",
                400..=499 => "client-error",
                _ => "server-error",
            };
            (curl::status_line(r), class)
        });
        let headers = response.filter(|_| e.shows_headers()).map(|r| {
            r.headers
                .iter()
                .map(|(n, v)| format!("{n}: {v}"))
                .collect::<Vec<_>>()
                .join("\n")
        });
        let body = response.map(|r| curl::pretty_json(&r.body).unwrap_or_else(|| r.body.clone()));
        ExchangeView {
            number: e.number,
            line: e.line.clone(),
            waiting: matches!(e.state, ExchangeState::Waiting { .. }),
            error: e.error(),
            status,
            headers,
            body,
        }
    }
}

fn exchange_view(x: ExchangeView) -> impl IntoView {
    let label = format!("Request {}: {}", x.number, x.line);
    view! {
        <li class="exchange" aria-label=label>
            <pre class="x-line"><span class="x-prompt" aria-hidden="true">"$ "</span>{x.line}</pre>
            {x.waiting.then(|| view! {
                <div class="x-waiting" role="status">
                    <span class="spinner" aria-hidden="true"></span>
                    "waiting..."
                </div>
            })}
            {x.error.map(|e| view! { <pre class="x-error">{e}</pre> })}
            {x.status.map(|(line, class)| view! { <div class=format!("x-status {class}")>{line}</div> })}
            {x.headers.map(|h| view! { <pre class="x-headers" aria-label="Response headers">{h}</pre> })}
            {x.body.filter(|b| !b.is_empty()).map(|b| view! { <pre class="x-body">{b}</pre> })}
        </li>
    }
}

/// The HTTP tab's content: the exchanges, then the curl line.
#[component]
pub fn HttpPane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let list_ref = NodeRef::<html::Div>::new();
    let input = RwSignal::new(
        ctx.state
            .try_with_value(|s| s.progs.http.input.clone())
            .unwrap_or_default(),
    );
    let revision = Memo::new(move |_| {
        ctx.vtime.track();
        ctx.programs.track();
        ctx.state
            .try_with_value(|s| s.progs.http.revision())
            .unwrap_or_default()
    });
    let exchanges = Memo::new(move |_| {
        // Read (not only tracked): the revision memo is recomputed when its sources move.
        let _ = revision.get();
        ctx.state
            .try_with_value(|s| {
                s.progs
                    .http
                    .exchanges()
                    .iter()
                    .map(ExchangeView::of)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    // Keep the newest exchange and the line in view.
    Effect::new(move |_| {
        let _ = revision.get();
        request_animation_frame(move || {
            // The frame may come after the pane was disposed (another tab shown).
            if let Some(el) = list_ref.try_get_untracked().flatten() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    });

    let send = move || {
        let line = input.get_untracked();
        if line.trim().is_empty() {
            return;
        }
        ctx.programs_op(|desk, engine, keep_going| {
            desk.send_curl(engine, &line, keep_going);
        });
        input.set(String::new());
    };
    let walk = move |up: bool| {
        let walked = ctx
            .state
            .try_update_value(|s| {
                let http = &mut s.progs.http;
                http.input = input.get_untracked();
                let moved = if up {
                    http.history_up()
                } else {
                    http.history_down()
                };
                moved.then(|| http.input.clone())
            })
            .flatten();
        if let Some(line) = walked {
            input.set(line);
        }
        true
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.is_composing() {
            return;
        }
        let handled = match ev.key().as_str() {
            "Enter" => {
                send();
                true
            }
            "ArrowUp" => walk(true),
            "ArrowDown" => walk(false),
            "l" | "L" if ev.ctrl_key() => {
                ctx.programs_op(|desk, _, _| desk.http.clear(&mut desk.programs));
                true
            }
            _ => false,
        };
        if handled {
            ev.prevent_default();
        }
    };
    let on_input = move |ev: web_sys::Event| {
        let value = event_target_value(&ev);
        input.set(value.clone());
        ctx.state.update_value(|s| s.progs.http.input = value);
    };
    // A pasted multi-line curl command (continued with `\`, or JSON over several lines)
    // becomes one line: an input cannot hold line breaks.
    let on_paste = move |ev: web_sys::ClipboardEvent| {
        let Some(text) = ev.clipboard_data().and_then(|d| d.get_data("text").ok()) else {
            return;
        };
        if !text.contains('\n') {
            return;
        }
        ev.prevent_default();
        let joined = text
            .replace("\\\r\n", " ")
            .replace("\\\n", " ")
            .replace(['\r', '\n'], " ");
        let value = format!("{}{}", input.get_untracked(), joined.trim());
        input.set(value.clone());
        ctx.state.update_value(|s| s.progs.http.input = value);
    };

    view! {
        <div class="http-pane">
            <div class="http-list" node_ref=list_ref>
                {move || exchanges.with(Vec::is_empty).then(|| view! {
                    <p class="http-intro">
                        "Programs that call " <code>"app.listen(3000)"</code>
                        " answer here. Type a curl line, such as "
                        <code>"curl localhost:3000/orders/history?count=5"</code>
                        " or " <code>"curl -X POST localhost:3000/orders -H 'Content-Type: application/json' -d '{\"product\": \"Laptop\"}'"</code>
                        ". Add " <code>"-i"</code> " to see the response's headers."
                    </p>
                })}
                <ol class="exchanges" role="log" aria-live="polite" aria-label="HTTP exchanges">
                    <For each=move || exchanges.get() key=|x| (x.number, x.waiting) children=exchange_view/>
                </ol>
            </div>
            <div class="input-row http-row">
                <span class="prompt" aria-hidden="true">"$ "</span>
                <input
                    class="http-input"
                    type="text"
                    aria-label="curl command line"
                    placeholder="curl localhost:3000/"
                    autocomplete="off"
                    autocapitalize="off"
                    spellcheck="false"
                    prop:value=move || input.get()
                    on:keydown=on_keydown
                    on:input=on_input
                    on:paste=on_paste
                />
            </div>
        </div>
    }
}
