//! The Data dialog: download the dataset (a `redis-cli --pipe` script a real server
//! loads), and import a script file into the playground (`export.rs` does the work).

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::app::AppCtx;
use crate::export;
use crate::streams::Reason;
use crate::web;

/// The largest file the page imports.
const MAX_IMPORT_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

impl AppCtx {
    /// Offers the dataset as `playground.resp`.
    fn export_script(&self) -> Option<usize> {
        let (bytes, keys) = self
            .state
            .try_update_value(|s| export::command_script(&mut s.pg.engine))?;
        web::download("playground.resp", &bytes, "application/octet-stream");
        Some(keys)
    }

    /// Runs an imported script's commands; the result as a sentence.
    fn import_script(&self, name: &str, bytes: &[u8]) -> String {
        let commands = match export::parse_script(bytes) {
            Ok(c) => c,
            Err(e) => return format!("{name} was not imported: {e}."),
        };
        let report = self
            .state
            .try_update_value(|s| export::run_script(&mut s.pg.engine, &commands))
            .unwrap_or_default();
        self.refresh(Reason::Command);
        let mut text = format!("{name}: {} command(s) run", report.commands);
        if report.error_count > 0 {
            text.push_str(&format!(", {} error(s)", report.error_count));
            if let Some((line, e)) = report.errors.first() {
                text.push_str(&format!(" (line {line}: {e})"));
            }
        }
        text.push('.');
        text
    }
}

/// The header's Data button and its dialog.
#[component]
pub fn DataButton() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let open = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        let name = file.name();
        if file.size() > MAX_IMPORT_BYTES {
            message.set(Some(format!("{name} is larger than 64 MB: not imported.")));
            return;
        }
        input.set_value("");
        leptos::task::spawn_local(async move {
            let text = match web::read_file_bytes(file).await {
                Ok(bytes) => ctx.import_script(&name, &bytes),
                Err(e) => format!("{name} was not imported: {e}."),
            };
            message.set(Some(text));
        });
    };
    view! {
        <button class="share-button" aria-haspopup="dialog" on:click=move |_| { open.set(true); message.set(None); }>"Data"</button>
        <Show when=move || open.get()>
            <div class="share-dialog" role="dialog" aria-modal="false" aria-label="Export or import data">
                <h2>"Export or import data"</h2>
                <p>"Download every key as a script that a real Redis loads with "<code>"redis-cli --pipe < playground.resp"</code>" (each key restored exactly, with its TTL)."</p>
                <div class="share-actions">
                    <button type="button" on:click=move |_| {
                        let keys = ctx.export_script().unwrap_or(0);
                        message.set(Some(format!("playground.resp: {keys} key(s).")));
                    }>"Download playground.resp"</button>
                </div>
                <p>"Import a script: RESP (such a file) or commands one per line as typed at redis-cli. They run in order on this server."</p>
                <input type="file" aria-label="Script file to import" on:change=on_file/>
                {move || message.get().map(|m| view! { <p class="share-size" role="status">{m}</p> })}
                <div class="share-actions">
                    <button type="button" on:click=move |_| { open.set(false); ctx.focus_input(); }>"Close"</button>
                </div>
            </div>
        </Show>
    }
}
