//! The playground in a course page's iframe: the host page talks to it with
//! `postMessage` (documented in docs/embedding.md, example in web/embed-example.html).
//!
//! - host → playground `{type: 'redis-playground:run', id, command}`: the command runs in
//!   the console as if typed; the answer `{type: 'redis-playground:reply', id, command,
//!   reply}` (what redis-cli printed) goes back to the sender's origin.
//! - host → playground `{type: 'redis-playground:subscribe'}`: from then on every console
//!   command is reported to that origin as `{type: 'redis-playground:command', command,
//!   reply}`, and exercise progress as `{type: 'redis-playground:progress', exercise,
//!   progress}`.
//! - playground → host `{type: 'redis-playground:ready'}` once it accepts messages.
//!
//! Only messages from the parent window are read; replies go only to the origin that
//! asked. Everything arriving is data: a command is a line of text run as typed, never
//! code or HTML.

use std::cell::{Cell, RefCell};

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::app::AppCtx;
use crate::console::Kind;

#[wasm_bindgen(inline_js = r#"
let subscriber = null;
export function embed_listen(onRun, onSubscribe) {
  if (window.parent === window) return false;
  window.addEventListener('message', (e) => {
    if (e.source !== window.parent) return;
    const d = e.data;
    if (!d || typeof d !== 'object' || typeof d.type !== 'string') return;
    if (d.type === 'redis-playground:subscribe') {
      subscriber = e.origin;
      onSubscribe();
    } else if (d.type === 'redis-playground:run' && typeof d.command === 'string') {
      onRun(String(d.id ?? ''), d.command, e.origin);
    }
  });
  window.parent.postMessage({ type: 'redis-playground:ready' }, '*');
  return true;
}
export function embed_post(json, origin) {
  const target = origin || subscriber;
  if (!target || window.parent === window) return;
  window.parent.postMessage(JSON.parse(json), target);
}
"#)]
extern "C" {
    fn embed_listen(
        on_run: &Closure<dyn Fn(String, String, String)>,
        on_subscribe: &Closure<dyn Fn()>,
    ) -> bool;
    fn embed_post(json: &str, origin: &str);
}

thread_local! {
    /// The host subscribed to events.
    static SUBSCRIBED: Cell<bool> = const { Cell::new(false) };
    /// The last console entry reported to the host.
    static REPORTED: Cell<u64> = const { Cell::new(0) };
    /// The listeners, kept for the page's life.
    static LISTENERS: RefCell<Vec<Box<dyn std::any::Any>>> = RefCell::new(Vec::new());
}

/// A JSON string literal (the messages carry only strings).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Posts a message of string fields to the host (`origin`, or the subscriber's).
fn post(fields: &[(&str, &str)], origin: &str) {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{}", json_string(k), json_string(v)))
        .collect();
    embed_post(&format!("{{{}}}", body.join(",")), origin);
}

impl AppCtx {
    /// Starts listening to the host page (when the playground is in an iframe).
    pub(crate) fn listen_to_host(&self) {
        let ctx = *self;
        let on_run = Closure::<dyn Fn(String, String, String)>::new(
            move |id: String, command: String, origin: String| {
                let reply = ctx.run_for_host(&command);
                post(
                    &[
                        ("type", "redis-playground:reply"),
                        ("id", &id),
                        ("command", &command),
                        ("reply", &reply),
                    ],
                    &origin,
                );
            },
        );
        let on_subscribe = Closure::<dyn Fn()>::new(move || {
            SUBSCRIBED.with(|s| s.set(true));
            let last = ctx
                .state
                .try_with_value(|s| s.console().entries().last().map_or(0, |e| e.id))
                .unwrap_or(0);
            REPORTED.with(|r| r.set(last));
        });
        if embed_listen(&on_run, &on_subscribe) {
            LISTENERS.with(|l| {
                l.borrow_mut().push(Box::new(on_run));
                l.borrow_mut().push(Box::new(on_subscribe));
            });
        }
    }

    /// Runs a line in the active console as typed; what it printed.
    fn run_for_host(&self, line: &str) -> String {
        // One line: a host can't smuggle several commands through one message.
        let line = line.lines().next().unwrap_or("").to_string();
        let before = self
            .state
            .try_with_value(|s| s.console().entries().last().map_or(0, |e| e.id))
            .unwrap_or(0);
        self.console_op(|c, pg| c.run_line(pg, &line));
        self.after_command();
        self.state
            .try_with_value(|s| {
                s.console()
                    .entries()
                    .filter(|e| e.id > before && e.kind != Kind::Command)
                    .map(|e| e.text.clone())
                    .collect::<String>()
            })
            .unwrap_or_default()
    }

    /// Reports the console's new commands to a subscribed host (after each command).
    pub(crate) fn report_to_host(&self) {
        if !SUBSCRIBED.with(Cell::get) {
            return;
        }
        let since = REPORTED.with(Cell::get);
        let pairs = self.state.try_with_value(|s| {
            let mut out: Vec<(String, String)> = Vec::new();
            let mut last = since;
            for e in s.console().entries().filter(|e| e.id > since) {
                last = e.id;
                match e.kind {
                    Kind::Command => out.push((e.text.clone(), String::new())),
                    _ => {
                        if let Some(p) = out.last_mut() {
                            p.1.push_str(&e.text);
                        }
                    }
                }
            }
            (out, last)
        });
        if let Some((pairs, last)) = pairs {
            REPORTED.with(|r| r.set(last));
            for (command, reply) in pairs {
                post(
                    &[
                        ("type", "redis-playground:command"),
                        ("command", &command),
                        ("reply", &reply),
                    ],
                    "",
                );
            }
        }
    }

    /// Reports exercise progress to a subscribed host.
    pub(crate) fn report_progress_to_host(&self, exercise: &str, progress: &str) {
        if SUBSCRIBED.with(Cell::get) {
            post(
                &[
                    ("type", "redis-playground:progress"),
                    ("exercise", exercise),
                    ("progress", progress),
                ],
                "",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::json_string;

    #[test]
    fn json_strings_escape_what_json_requires() {
        assert_eq!(json_string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }
}
