//! The few places that talk to the browser directly: storage, the panic hook, focus and
//! selection, the ready marker. Every call tolerates a missing or refusing API (private
//! mode, storage disabled, quota full): the page degrades, it never stops.

use wasm_bindgen::JsCast;

/// The localStorage key of the saved command history.
pub const HISTORY_KEY: &str = "redis-playground:history";

pub fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The saved history, if storage works and holds one.
pub fn load_history() -> Option<String> {
    storage()?.get_item(HISTORY_KEY).ok().flatten()
}

thread_local! {
    /// A shared link is being viewed: the learner's own saved things are left as they
    /// are (see `ui::share_ctx`).
    static PREVIEW: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Turns the preview of a shared link on or off: while on, nothing the learner saved
/// (history, settings, program drafts, progress) is written over.
pub fn set_preview(on: bool) {
    PREVIEW.with(|p| p.set(on));
}

pub fn is_preview() -> bool {
    PREVIEW.with(std::cell::Cell::get)
}

/// Saves the history; failures (quota, disabled storage) are ignored.
pub fn save_history(saved: &str) {
    if is_preview() {
        return;
    }
    if let Some(s) = storage() {
        let _ = s.set_item(HISTORY_KEY, saved);
    }
}

/// A small setting (theme, pane width) from localStorage, under `redis-playground:NAME`.
pub fn load_setting(name: &str) -> Option<String> {
    storage()?
        .get_item(&format!("redis-playground:{name}"))
        .ok()
        .flatten()
}

/// Saves a small setting; failures are ignored (the page keeps working without it).
pub fn save_setting(name: &str, value: &str) {
    if is_preview() {
        return;
    }
    if let Some(s) = storage() {
        let _ = s.set_item(&format!("redis-playground:{name}"), value);
    }
}

/// Whether the system asks for a light colour scheme.
pub fn prefers_light() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-color-scheme: light)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches())
}

/// Shows the page in `theme` ("light" or "dark"): main.css keys its colours on the
/// root element's data-theme.
pub fn apply_theme(theme: &str) {
    if let Some(root) = document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", theme);
    }
}

/// Runs `f` in the next task: after the browser has handled input and drawn if it
/// needed to, but without the 4 ms minimum that nested `setTimeout(0)` calls get
/// (a long script runs in back-to-back slices; the clamp would waste an eighth of the
/// time). Falls back to a timeout if message channels are unavailable.
pub fn next_task(f: impl FnOnce() + 'static) {
    use wasm_bindgen::closure::Closure;
    let Ok(channel) = web_sys::MessageChannel::new() else {
        leptos::prelude::set_timeout(f, std::time::Duration::ZERO);
        return;
    };
    let port = channel.port1();
    let callback = Closure::once_into_js(move |_: web_sys::MessageEvent| f());
    port.set_onmessage(Some(callback.unchecked_ref()));
    // The channel lives as long as its ports: the message holds it until delivered.
    let _ = channel.port2().post_message(&wasm_bindgen::JsValue::NULL);
}

/// A seed for the engine's random choices (RANDOMKEY...): different per page load.
pub fn random_seed() -> u64 {
    (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64
}

/// The input's selection as byte offsets into `value` (the DOM counts UTF-16 units).
pub fn selection_range(input: &web_sys::HtmlInputElement, value: &str) -> (usize, usize) {
    let units = |n: Option<u32>| n.unwrap_or(u32::MAX) as usize;
    let start = utf16_to_byte(value, units(input.selection_start().ok().flatten()));
    let end = utf16_to_byte(value, units(input.selection_end().ok().flatten()));
    (start.min(end), end.max(start))
}

/// The byte offset of the `units`-th UTF-16 unit of `s`, clamped to its length and to
/// a character boundary.
pub fn utf16_to_byte(s: &str, units: usize) -> usize {
    let mut seen = 0;
    for (i, c) in s.char_indices() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16();
    }
    s.len()
}

/// Whether the user has selected text in the page (to copy it): clicks then must not
/// move the focus, which would drop the selection.
pub fn has_selection() -> bool {
    web_sys::window()
        .and_then(|w| w.get_selection().ok().flatten())
        .map(|s| !s.is_collapsed())
        .unwrap_or(false)
}

/// Whether the focused element takes typing itself (another input, a text area...), or,
/// for the space bar, is a button that it would press.
pub fn focus_in_editable(space: bool) -> bool {
    let Some(el) = document().and_then(|d| d.active_element()) else {
        return false;
    };
    match el.tag_name().to_ascii_uppercase().as_str() {
        "INPUT" | "TEXTAREA" | "SELECT" => true,
        "BUTTON" => space,
        _ => el
            .get_attribute("contenteditable")
            .is_some_and(|v| v != "false"),
    }
}

/// The page shows "Starting..." until the app mounts.
pub fn remove_boot_message() {
    if let Some(el) = document().and_then(|d| d.get_element_by_id("boot")) {
        el.remove();
    }
}

/// Milliseconds since navigation start (`performance.now()`), 0 where unavailable.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Real time (`Date.now()`), in milliseconds since the epoch: what the page's virtual
/// clock starts at and follows at speed x1.
pub fn real_now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// `real_now_ms` in microseconds, for `VirtualClock::sync` and the programs' catch-up.
pub fn real_now_us() -> i64 {
    (js_sys::Date::now() * 1000.0) as i64
}

/// Marks the page interactive: `data-ready-ms` on <html> holds the time since
/// navigation start, read by the end-to-end timing probe.
/// Sets `data-NAME` on the document element: figures for tests and benchmarks to read.
pub fn mark(name: &str, value: &str) {
    if let Some(root) = document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute(&format!("data-{name}"), value);
    }
}

pub fn mark_ready() {
    let now = web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0);
    if let Some(root) = document().and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-ready-ms", &format!("{now:.0}"));
    }
}

/// A panic in WebAssembly stops the whole app. Instead of a page that silently stops
/// answering, log the panic (console_error_panic_hook) and show what happened.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_crash(&info.to_string());
    }));
}

/// Shows the crash banner and disables the console input (the app no longer runs).
pub fn show_crash(message: &str) {
    let Some(doc) = document() else { return };
    let Ok(el) = doc.create_element("div") else {
        return;
    };
    el.set_class_name("crash");
    let _ = el.set_attribute("role", "alert");
    el.set_text_content(Some(&format!(
        "The playground stopped after an internal error and no longer answers.\n\
         Reload the page to start again (your command history is kept).\n\n{message}"
    )));
    if let Some(body) = doc.body() {
        let _ = body.append_child(&el);
    }
    if let Some(input) = doc.query_selector("input.console-input").ok().flatten() {
        if let Ok(input) = input.dyn_into::<web_sys::HtmlInputElement>() {
            input.set_disabled(true);
        }
    }
}

/// Forgets a setting.
pub fn remove_setting(name: &str) {
    if is_preview() {
        return;
    }
    if let Some(s) = storage() {
        let _ = s.remove_item(&format!("redis-playground:{name}"));
    }
}

/// Copies text to the clipboard (the browser may refuse outside a secure context: the
/// text stays selectable on screen).
pub fn copy_text(text: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

/// The page's URL fragment without `#` (empty when none).
pub fn fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_string())
        .unwrap_or_default()
}

/// The page's URL without its fragment.
pub fn url_without_fragment() -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    let href = location.href().unwrap_or_default();
    match href.split_once('#') {
        Some((before, _)) => before.to_string(),
        None => href,
    }
}

/// A parameter of the page's URL (`?exercise=pto-requests`), decoded.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// Fetches a text file (an exercise from a course's site). The error is a sentence.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    fetched_text(start_fetch(url), url).await
}

/// Starts a request now (it is in flight before anything awaits it), so several can run
/// at once; `fetched_text` reads its answer.
pub fn start_fetch(url: &str) -> Option<js_sys::Promise> {
    web_sys::window().map(|w| w.fetch_with_str(url))
}

/// The text a request started by `start_fetch` answered, or why there is none.
pub async fn fetched_text(request: Option<js_sys::Promise>, url: &str) -> Result<String, String> {
    use wasm_bindgen_futures::JsFuture;
    let request = request.ok_or("no window")?;
    let response = JsFuture::from(request)
        .await
        .map_err(|_| format!("could not fetch {url} (offline, or the site does not allow it)"))?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| "the fetch gave no response".to_string())?;
    if !response.ok() {
        return Err(format!(
            "{url} answered {} {}",
            response.status(),
            response.status_text()
        ));
    }
    let text = response
        .text()
        .map_err(|_| "the response has no text".to_string())?;
    let text = JsFuture::from(text)
        .await
        .map_err(|_| "the response could not be read as text".to_string())?;
    text.as_string()
        .ok_or_else(|| "the response is not text".to_string())
}

/// Reads a file the learner picked (an exercise being written).
pub async fn read_file_text(file: web_sys::File) -> Result<String, String> {
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| "the file could not be read".to_string())?;
    text.as_string()
        .ok_or_else(|| "the file is not text".to_string())
}

/// A file the learner picked, as bytes.
pub async fn read_file_bytes(file: web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| "the file could not be read".to_string())?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function download_bytes(name, bytes, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
"#)]
extern "C" {
    fn download_bytes(name: &str, bytes: &[u8], mime: &str);
}

/// Offers bytes as a file download named `name`.
pub fn download(name: &str, bytes: &[u8], mime: &str) {
    download_bytes(name, bytes, mime);
}

/// The browser's confirmation dialog; true when there is no window to ask (tests).
pub fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_offsets_map_to_char_boundaries() {
        assert_eq!(utf16_to_byte("abc", 0), 0);
        assert_eq!(utf16_to_byte("abc", 2), 2);
        assert_eq!(utf16_to_byte("abc", 99), 3);
        assert_eq!(utf16_to_byte("é😀x", 1), 2, "é is one unit, two bytes");
        assert_eq!(utf16_to_byte("é😀x", 3), 6, "😀 is two units, four bytes");
        assert_eq!(
            utf16_to_byte("é😀x", 2),
            6,
            "inside a surrogate pair: the next boundary"
        );
        assert_eq!(utf16_to_byte("", 5), 0);
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function register_offline_worker() {
  if (!('serviceWorker' in navigator) || !location.protocol.startsWith('http')) return;
  // The first visit loaded its files before the worker existed: hand it their list so
  // it keeps them now, and the page opens offline even if it is never reloaded online.
  navigator.serviceWorker.register('./sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const urls = [location.href.split('#')[0]]
        .concat(performance.getEntriesByType('resource').map((e) => e.name));
      if (registration.active) registration.active.postMessage({ type: 'keep', urls });
    })
    .catch(() => {});
}
"#)]
extern "C" {
    fn register_offline_worker();
}

/// Registers the service worker (`web/sw.js`) that keeps the page's files, so it opens
/// offline after the first visit. A browser without service workers, or a page opened
/// from a file, just goes without.
pub fn register_offline() {
    register_offline_worker();
}
