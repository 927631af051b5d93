//! The browser's IndexedDB, where the dataset is saved (`persist.rs` says what to save).
//!
//! One database, `redis-playground` (an embedded page has its own: `redis-playground:`
//! and `?store=NAME` or its iframe's URL parameters, so several playgrounds on one course
//! page never save over each other), with three object stores:
//! - `keys`: one record per key, under the key `[db, key bytes]` (binary keys keep any
//!   Redis key exact), the value `persist::encode_record`'s bytes;
//! - `meta`: `format` = `{version, savedAt}`, the version of the whole saved state;
//! - `aside`: saved states or records this page could not use (a newer version's,
//!   damaged ones), kept rather than overwritten, each under the time it was set aside.
//!
//! The glue is a few lines of JavaScript (IndexedDB's API is callbacks and promises);
//! every failure comes back as an error message for the page to show, never a panic.

use wasm_bindgen::prelude::*;

use crate::persist::{Batch, Record};

#[wasm_bindgen(inline_js = r#"
let opened = null;
function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
function finished(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('the save was aborted'));
  });
}
// Which saved playground this page is: the standalone page's, or one of its own for each
// embedding (several iframes on a course page must not save over each other).
function storeName() {
  const chosen = new URLSearchParams(location.search).get('store');
  if (chosen) return 'redis-playground:' + chosen;
  if (window.parent !== window) return 'redis-playground:embed' + location.search;
  return 'redis-playground';
}
function open() {
  if (opened) return opened;
  opened = new Promise((resolve, reject) => {
    if (!self.indexedDB) { reject(new Error('this browser offers no IndexedDB')); return; }
    const r = indexedDB.open(storeName(), 1);
    r.onupgradeneeded = () => {
      const db = r.result;
      for (const name of ['keys', 'meta', 'aside']) {
        if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
      }
    };
    r.onsuccess = () => {
      const db = r.result;
      // Another tab upgrading or deleting the store: let go, reopen on the next save.
      db.onversionchange = () => { db.close(); opened = null; };
      resolve(db);
    };
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error('another tab keeps an older version of the store open'));
  });
  opened.catch(() => { opened = null; });
  return opened;
}
export async function store_load() {
  const db = await open();
  const tx = db.transaction(['keys', 'meta'], 'readonly');
  const keys = tx.objectStore('keys');
  const [meta, names, values] = await Promise.all([
    request(tx.objectStore('meta').get('format')),
    request(keys.getAllKeys()),
    request(keys.getAll()),
  ]);
  const dbs = new Uint32Array(names.length);
  const parts = [];
  names.forEach((n, i) => {
    dbs[i] = Array.isArray(n) && typeof n[0] === 'number' ? n[0] : 0xffffffff;
    parts.push(Array.isArray(n) && n[1] instanceof ArrayBuffer ? new Uint8Array(n[1]) : new Uint8Array(0));
  });
  const vals = values.map((v) => (v instanceof Uint8Array ? v : new Uint8Array(0)));
  return { version: meta && typeof meta.version === 'number' ? meta.version : -1, dbs, keys: parts, values: vals };
}
export async function store_save(clear, putDbs, putKeys, putValues, delDbs, delKeys, version) {
  const db = await open();
  const tx = db.transaction(['keys', 'meta'], 'readwrite');
  const keys = tx.objectStore('keys');
  if (clear) keys.clear();
  for (let i = 0; i < delDbs.length; i++) keys.delete([delDbs[i], delKeys[i].slice().buffer]);
  for (let i = 0; i < putDbs.length; i++) keys.put(putValues[i], [putDbs[i], putKeys[i].slice().buffer]);
  tx.objectStore('meta').put({ version, savedAt: Date.now() }, 'format');
  await finished(tx);
}
export async function store_set_aside(reason) {
  const db = await open();
  const tx = db.transaction(['keys', 'meta', 'aside'], 'readwrite');
  const keys = tx.objectStore('keys');
  const [meta, names, values] = await Promise.all([
    request(tx.objectStore('meta').get('format')),
    request(keys.getAllKeys()),
    request(keys.getAll()),
  ]);
  tx.objectStore('aside').put({ reason, meta, names, values }, new Date().toISOString());
  keys.clear();
  tx.objectStore('meta').delete('format');
  await finished(tx);
}
export async function store_keep_aside(reason, dbs, names, values) {
  const db = await open();
  const tx = db.transaction(['aside'], 'readwrite');
  const entries = [];
  for (let i = 0; i < dbs.length; i++) entries.push([dbs[i], names[i], values[i]]);
  tx.objectStore('aside').put({ reason, entries }, new Date().toISOString());
  await finished(tx);
}
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn store_load() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    #[allow(clippy::too_many_arguments)]
    async fn store_save(
        clear: bool,
        put_dbs: Vec<u32>,
        put_keys: Vec<js_sys::Uint8Array>,
        put_values: Vec<js_sys::Uint8Array>,
        del_dbs: Vec<u32>,
        del_keys: Vec<js_sys::Uint8Array>,
        version: u32,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn store_set_aside(reason: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn store_keep_aside(
        reason: &str,
        dbs: Vec<u32>,
        names: Vec<js_sys::Uint8Array>,
        values: Vec<js_sys::Uint8Array>,
    ) -> Result<JsValue, JsValue>;
}

/// What the store held when the page opened.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// The format version of the saved state (None: nothing was saved).
    pub version: Option<u32>,
    pub records: Vec<Record>,
}

/// An error from the JavaScript side as a sentence.
fn message(e: JsValue) -> String {
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string()
        .unwrap_or_else(|| "the browser's storage refused (IndexedDB)".to_string())
}

fn field(obj: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn bytes_list(v: JsValue) -> Vec<Vec<u8>> {
    js_sys::Array::from(&v)
        .iter()
        .map(|item| js_sys::Uint8Array::new(&item).to_vec())
        .collect()
}

/// Reads the saved state.
pub async fn load() -> Result<Loaded, String> {
    let obj = store_load().await.map_err(message)?;
    let version = field(&obj, "version").as_f64().unwrap_or(-1.0);
    let dbs = js_sys::Uint32Array::new(&field(&obj, "dbs")).to_vec();
    let keys = bytes_list(field(&obj, "keys"));
    let values = bytes_list(field(&obj, "values"));
    let records = dbs
        .into_iter()
        .zip(keys)
        .zip(values)
        .map(|((db, key), bytes)| Record {
            db: db as usize,
            key,
            bytes,
        })
        .collect();
    Ok(Loaded {
        version: (version >= 0.0).then_some(version as u32),
        records,
    })
}

fn arrays(items: impl Iterator<Item = Vec<u8>>) -> Vec<js_sys::Uint8Array> {
    items
        .map(|b| js_sys::Uint8Array::from(b.as_slice()))
        .collect()
}

/// Writes a batch in one transaction (all of it or nothing).
pub async fn save(batch: Batch) -> Result<(), String> {
    let put_dbs = batch.put.iter().map(|r| r.db as u32).collect();
    let del_dbs = batch.delete.iter().map(|(db, _)| *db as u32).collect();
    let put_keys = arrays(batch.put.iter().map(|r| r.key.clone()));
    let put_values = arrays(batch.put.into_iter().map(|r| r.bytes));
    let del_keys = arrays(batch.delete.into_iter().map(|(_, k)| k));
    store_save(
        batch.clear,
        put_dbs,
        put_keys,
        put_values,
        del_dbs,
        del_keys,
        u32::from(crate::persist::VERSION),
    )
    .await
    .map(|_| ())
    .map_err(message)
}

/// Moves the whole saved state into `aside` (a fresh start that loses nothing).
pub async fn set_aside(reason: &str) -> Result<(), String> {
    store_set_aside(reason).await.map(|_| ()).map_err(message)
}

/// Copies records into `aside` (damaged ones the restore could not use).
pub async fn keep_aside(reason: &str, records: Vec<Record>) -> Result<(), String> {
    let dbs = records.iter().map(|r| r.db as u32).collect();
    let names = arrays(records.iter().map(|r| r.key.clone()));
    let values = arrays(records.into_iter().map(|r| r.bytes));
    store_keep_aside(reason, dbs, names, values)
        .await
        .map(|_| ())
        .map_err(message)
}
