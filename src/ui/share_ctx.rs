//! Share links in the page: the Share button and its dialog, and opening a link.
//!
//! Opening a link shows its state as a **preview**: the learner's own saved work
//! (dataset, program drafts, history, progress) is neither shown nor written over while
//! the link is open; it comes back when the page is opened without the link. "Keep
//! this" makes the shared state the learner's own (their previous dataset is set aside
//! in the store, not deleted). A link that can't be read is explained and the page
//! opens with the learner's own work.
//!
//! The bytes are `share.rs`'s; compression is the browser's `CompressionStream`
//! (deflate), so the page carries no compressor of its own. Unpacking stops at
//! `share::MAX_UNPACKED` bytes: a hostile link can't make the page inflate gigabytes.

use std::cell::RefCell;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::app::AppCtx;
use crate::share::{self, SharedState};
use crate::web;

#[wasm_bindgen(inline_js = r#"
async function pipe(bytes, stream, cap) {
  const reader = new Blob([bytes]).stream().pipeThrough(stream).getReader();
  const parts = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > cap) {
      await reader.cancel();
      throw new Error('it unpacks to more than ' + Math.floor(cap / 1048576) + ' MB');
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
export async function share_pack(bytes) {
  if (typeof CompressionStream === 'undefined') throw new Error('this browser cannot compress (no CompressionStream)');
  return pipe(bytes, new CompressionStream('deflate-raw'), 0x7fffffff);
}
export async function share_unpack(bytes, cap) {
  if (typeof DecompressionStream === 'undefined') throw new Error('this browser cannot decompress (no DecompressionStream)');
  try {
    return await pipe(bytes, new DecompressionStream('deflate-raw'), cap);
  } catch (e) {
    if (e && /unpacks to more/.test(e.message)) throw e;
    throw new Error('it is damaged (the compressed data does not unpack)');
  }
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn share_pack(bytes: &[u8]) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn share_unpack(bytes: &[u8], cap: u32) -> Result<JsValue, JsValue>;
}

/// The fragment's prefix of a share link.
const PREFIX: &str = "share=";

thread_local! {
    /// The state the page's link carries, read before mount (None: no link).
    static OPENED: RefCell<Option<Result<SharedState, String>>> = const { RefCell::new(None) };
}

fn js_message(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the browser refused".to_string())
}

/// Reads the link's state, if the URL carries one (before the page mounts).
pub async fn read_link_before_mount() {
    let fragment = web::fragment();
    let Some(text) = fragment.strip_prefix(PREFIX) else {
        return;
    };
    let result = async {
        if text.len() > share::MAX_LINK_CHARS {
            return Err(format!(
                "it is longer than {} characters",
                share::MAX_LINK_CHARS
            ));
        }
        let packed = share::from_base64url(text)?;
        let unpacked = share_unpack(&packed, share::MAX_UNPACKED as u32)
            .await
            .map_err(js_message)?;
        let bytes = js_sys::Uint8Array::new(&unpacked).to_vec();
        share::decode(&bytes)
    }
    .await;
    OPENED.with(|o| *o.borrow_mut() = Some(result));
}

/// The state the link carries (taken once, by the App).
pub fn take_opened() -> Option<Result<SharedState, String>> {
    OPENED.with(|o| o.borrow_mut().take())
}

/// What the page shows about a link it opened.
pub fn opened_notice(state: &SharedState, refused: usize) -> String {
    let mut parts = vec![format!("{} key(s)", state.keys.len())];
    if let Some((id, _)) = &state.exercise {
        parts.push(format!("the exercise {id}"));
    }
    let tabs = state.programs.matches(".lua").count();
    if tabs > 0 {
        parts.push(format!("{tabs} program tab(s)"));
    }
    let refused = if refused > 0 {
        format!(" {refused} key(s) in it could not be restored.")
    } else {
        String::new()
    };
    format!(
        "You are looking at a shared playground ({}).{refused} Your own work is kept as it was and comes back when you open the page without this link. Keep this to make it yours.",
        parts.join(", ")
    )
}

/// A share link pasted into the address bar of an open page changes only the fragment
/// (no new load): load the page again so the link is read.
pub fn reload_on_new_link() {
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        if web::fragment().starts_with(PREFIX) {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        }
    });
}

impl AppCtx {
    /// The state to share: every key, the program tabs, the exercise and its progress.
    fn shared_state(&self) -> Option<SharedState> {
        self.state.try_update_value(|s| {
            let exercise = s
                .exercise
                .as_ref()
                .map(|session| (session.exercise.id.clone(), session.progress()));
            SharedState {
                exercise,
                programs: s.progs.saved(),
                keys: share::keys_of(&mut s.pg.engine),
            }
        })
    }

    /// "Keep this": the shared state becomes the learner's own.
    pub(crate) fn keep_shared(&self) {
        let ctx = *self;
        wasm_bindgen_futures::spawn_local(async move {
            let kept = crate::store::set_aside("replaced by a shared link").await;
            web::set_preview(false);
            ctx.state.update_value(|s| {
                s.saving = kept.is_ok();
                s.saver = crate::persist::Tracker::new();
                web::save_setting(crate::app::PROGRAMS_SETTING, &s.progs.saved());
            });
            ctx.save_status.set(crate::ui::persist_ctx::SaveStatus {
                saving: kept.is_ok(),
                notice: Some(match kept {
                    Ok(()) => "This playground is yours now; your previous data is kept aside in this browser's storage.".into(),
                    Err(e) => format!("Your previous data could not be set aside ({e}), so nothing is saved over it."),
                }),
                offer_fresh_start: false,
                offer_keep_shared: false,
            });
            ctx.note_for_save(&[]);
        });
    }
}

/// The header's Share button and its dialog.
#[component]
pub fn ShareButton() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let open = RwSignal::new(false);
    let link = RwSignal::new(None::<Result<String, String>>);
    let copied = RwSignal::new(false);
    let make = move |_| {
        open.set(true);
        link.set(None);
        copied.set(false);
        let Some(state) = ctx.shared_state() else {
            return;
        };
        let bytes = share::encode(&state);
        wasm_bindgen_futures::spawn_local(async move {
            let result = match share_pack(&bytes).await {
                Ok(packed) => {
                    let packed = js_sys::Uint8Array::new(&packed).to_vec();
                    let text = share::base64url(&packed);
                    if text.len() > share::MAX_LINK_CHARS {
                        Err(format!(
                            "This state is too large for a link ({} characters, at most {}).",
                            text.len(),
                            share::MAX_LINK_CHARS
                        ))
                    } else {
                        Ok(format!("{}#{PREFIX}{text}", web::url_without_fragment()))
                    }
                }
                Err(e) => Err(format!("The link could not be made: {}", js_message(e))),
            };
            link.set(Some(result));
        });
    };
    let copy = move |_| {
        if let Some(Ok(url)) = link.get_untracked() {
            web::copy_text(&url);
            copied.set(true);
        }
    };
    view! {
        <button class="share-button" aria-haspopup="dialog" on:click=make>"Share"</button>
        <Show when=move || open.get()>
            <div class="share-dialog" role="dialog" aria-modal="false" aria-label="Share this playground">
                <h2>"Share this playground"</h2>
                {move || match link.get() {
                    None => view! { <p>"Making the link..."</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="share-error">{e}</p> }.into_any(),
                    Some(Ok(url)) => {
                        let len = url.len();
                        view! {
                            <p>"This link opens the same keys, program tabs and exercise step in any browser. It carries the data itself: nothing is uploaded."</p>
                            <input class="share-link" readonly aria-label="Share link" prop:value=url.clone()
                                on:focus=move |ev| {
                                    if let Some(t) = ev.target() {
                                        if let Ok(i) = t.dyn_into::<web_sys::HtmlInputElement>() { i.select(); }
                                    }
                                }/>
                            <p class="share-size">{format!("{len} characters")}
                                {(len > 2000).then_some(" (long links can be cut by some chat tools)")}</p>
                        }.into_any()
                    }
                }}
                <div class="share-actions">
                    <button type="button" on:click=copy disabled=move || !matches!(link.get(), Some(Ok(_)))>
                        {move || if copied.get() { "Copied" } else { "Copy link" }}
                    </button>
                    <button type="button" on:click=move |_| { open.set(false); ctx.focus_input(); }>"Close"</button>
                </div>
            </div>
        </Show>
    }
}
