//! The Data dialog: download the dataset (a `redis-cli --pipe` script, or an RDB file
//! that redis-server 7.0 loads), and import either kind of file into the playground
//! (`export.rs` and the emulator's `rdb_file` do the work).

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

    /// Offers the dataset as `playground.rdb` (what redis-server's SAVE writes).
    fn export_rdb(&self) -> Option<usize> {
        let (bytes, keys) = self.state.try_update_value(|s| {
            let keys = (0..16)
                .filter_map(|db| s.pg.engine.db(db).map(|d| d.len()))
                .sum::<usize>();
            (s.pg.engine.save_rdb(), keys)
        })?;
        web::download("playground.rdb", &bytes, "application/octet-stream");
        Some(keys)
    }

    /// Imports a file: an RDB file's keys and functions, or a script's commands; the
    /// result as a sentence.
    fn import_file(&self, name: &str, bytes: &[u8]) -> String {
        let parsed = if export::is_rdb(bytes) {
            self.state
                .try_with_value(|s| export::rdb_commands(&s.pg.engine, bytes))
                .unwrap_or_else(|| Err("the page is closing".into()))
                .map(|(commands, expired)| (commands, Some(expired)))
        } else {
            export::parse_script(bytes).map(|c| (c, None))
        };
        let (commands, expired) = match parsed {
            Ok(found) => found,
            Err(e) => return format!("{name} was not imported: {e}."),
        };
        let report = self
            .state
            .try_update_value(|s| export::run_script(&mut s.pg.engine, &commands))
            .unwrap_or_default();
        self.refresh(Reason::Command);
        let mut text = match expired {
            Some(expired) => {
                let keys = commands.iter().filter(|c| c.argv[0] == b"RESTORE").count();
                let mut t = format!("{name} (RDB): {keys} key(s) restored");
                if expired > 0 {
                    t.push_str(&format!(", {expired} expired key(s) left out"));
                }
                t
            }
            None => format!("{name}: {} command(s) run", report.commands),
        };
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
                Ok(bytes) => ctx.import_file(&name, &bytes),
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
                <p>"Download every key as a script that a real Redis loads with "<code>"redis-cli --pipe < playground.resp"</code>" (each key restored exactly, with its TTL), or as an RDB file that redis-server 7.0 loads at start ("<code>"dump.rdb"</code>", with the functions too)."</p>
                <div class="share-actions">
                    <button type="button" on:click=move |_| {
                        let keys = ctx.export_script().unwrap_or(0);
                        message.set(Some(format!("playground.resp: {keys} key(s).")));
                    }>"Download playground.resp"</button>
                    <button type="button" on:click=move |_| {
                        let keys = ctx.export_rdb().unwrap_or(0);
                        message.set(Some(format!("playground.rdb: {keys} key(s).")));
                    }>"Download playground.rdb"</button>
                </div>
                <p>"Import a file: an RDB file (Redis 7.0 or older; its keys replace keys of the same name, the others stay), or a script: RESP (such a file) or commands one per line as typed at redis-cli, run in order on this server."</p>
                <input type="file" aria-label="File to import" on:change=on_file/>
                {move || message.get().map(|m| view! { <p class="share-size" role="status">{m}</p> })}
                <div class="share-actions">
                    <button type="button" on:click=move |_| { open.set(false); ctx.focus_input(); }>"Close"</button>
                </div>
            </div>
        </Show>
    }
}
