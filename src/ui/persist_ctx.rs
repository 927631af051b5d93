//! Saving the dataset as it changes, restoring it when the page opens, and what the
//! learner is told about it (`persist.rs` decides what to write, `store.rs` writes it).
//!
//! A refresh notes the changed keys at once (cheap), and a save runs in the next task
//! with everything changed meanwhile (a pasted block of commands writes once), so the
//! data is on disk a few ms after a command; leaving the page (`pagehide`, a hidden
//! tab) saves at once too. A save that fails (quota, a storage the browser refuses) is
//! said plainly; the data stays in the page and the next change tries again.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use leptos::prelude::*;

use crate::app::AppCtx;
use crate::persist::{self, Record};
use crate::playground::Playground;
use crate::store::{self, Loaded};
use crate::web;

/// How long after a change the dataset is saved (0: the next task, after the burst of
/// work that made the change).
const SAVE_DELAY_MS: u64 = 0;

thread_local! {
    /// What the store held when the page opened (taken once by `restore_saved`).
    static LOADED: RefCell<Option<Result<Loaded, String>>> = const { RefCell::new(None) };
    /// A save is scheduled.
    static SCHEDULED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the page saves its data, and what the learner is told.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SaveStatus {
    /// Saving is on (off: no storage, or a saved state this page must not overwrite).
    pub saving: bool,
    /// A message for the learner, if any.
    pub notice: Option<String>,
    /// The notice offers "Start fresh" (a saved state this page can't read is kept).
    pub offer_fresh_start: bool,
    /// The notice offers "Keep this" (a shared link's preview).
    pub offer_keep_shared: bool,
}

/// Reads the saved state before the page mounts (the first render shows it).
pub async fn load_before_mount() {
    let start = web::now_ms();
    let loaded = store::load().await;
    web::mark("store-load-ms", &format!("{:.1}", web::now_ms() - start));
    LOADED.with(|l| *l.borrow_mut() = Some(loaded));
}

/// Restores what `load_before_mount` read into a new playground (before any view reads
/// it). Damaged records are copied aside, never dropped.
pub fn restore_saved(pg: &mut Playground) -> SaveStatus {
    let loaded = LOADED.with(|l| l.borrow_mut().take());
    match loaded {
        None => SaveStatus {
            ..SaveStatus::default()
        },
        Some(Err(e)) => SaveStatus {
            notice: Some(format!(
                "Your data can't be saved in this browser ({e}): it lives in this page until you close it."
            )),
            ..SaveStatus::default()
        },
        Some(Ok(Loaded { version: None, .. })) => SaveStatus {
            saving: true,
            ..SaveStatus::default()
        },
        Some(Ok(Loaded {
            version: Some(v),
            records,
        })) if v == u32::from(persist::VERSION) => {
            let start = web::now_ms();
            let report = persist::restore(&mut pg.engine, &records);
            web::mark("restore-ms", &format!("{:.1}", web::now_ms() - start));
            web::mark("restored-keys", &report.keys.to_string());
            let mut status = SaveStatus {
                saving: true,
                ..SaveStatus::default()
            };
            if !report.damaged.is_empty() {
                let names: Vec<String> = report
                    .damaged
                    .iter()
                    .take(5)
                    .map(|(_, k, _)| String::from_utf8_lossy(k).into_owned())
                    .collect();
                let why = report.damaged[0].2.clone();
                status.notice = Some(format!(
                    "{} saved key(s) could not be restored ({}{}: {why}). They are kept aside in this browser's storage.",
                    report.damaged.len(),
                    names.join(", "),
                    if report.damaged.len() > 5 { ", ..." } else { "" },
                ));
                let damaged: Vec<Record> = records
                    .iter()
                    .filter(|r| report.damaged.iter().any(|(db, k, _)| *db == r.db && *k == r.key))
                    .cloned()
                    .collect();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = store::keep_aside("damaged records", damaged).await;
                });
            }
            status
        }
        Some(Ok(Loaded {
            version: Some(v), ..
        })) => SaveStatus {
            saving: false,
            notice: Some(format!(
                "Your saved data is in format version {v}, which this page can't read (a newer playground wrote it?). It is kept untouched and nothing is saved over it. Start fresh to keep it aside and save again."
            )),
            offer_fresh_start: true,
            ..SaveStatus::default()
        },
    }
}

/// Drops what `load_before_mount` read without restoring it (a shared link is shown
/// instead; the saved state stays in the store, untouched).
pub fn skip_saved() {
    LOADED.with(|l| l.borrow_mut().take());
}

impl AppCtx {
    /// After a refresh: note what changed, and save soon.
    pub(crate) fn note_for_save(&self, events: &[redis_emulator::notify::Event]) {
        let due = self
            .state
            .try_update_value(|s| {
                s.saver.note(&s.pg.engine, events);
                s.saving && s.saver.has_changes(&s.pg.engine)
            })
            .unwrap_or(false);
        if due && !SCHEDULED.with(Cell::get) {
            SCHEDULED.with(|c| c.set(true));
            let ctx = *self;
            set_timeout(move || ctx.save_now(), Duration::from_millis(SAVE_DELAY_MS));
        }
    }

    /// Saves at once when the learner leaves the page or hides it (a reload, a closed
    /// tab, another app): nothing typed just before is lost.
    pub(crate) fn save_when_leaving(&self) {
        let ctx = *self;
        let save = move || {
            if SCHEDULED.with(Cell::get) {
                ctx.save_now();
            }
        };
        let _ = window_event_listener(leptos::ev::pagehide, move |_| save());
        let _ = window_event_listener(leptos::ev::visibilitychange, move |_| save());
    }

    /// Writes what changed since the last save.
    fn save_now(&self) {
        SCHEDULED.with(|c| c.set(false));
        let Some(batch) = self.state.try_update_value(|s| {
            if !s.saving {
                return None;
            }
            // A key whose TTL passed meanwhile reads as gone: it is deleted, not written.
            Some(s.saver.take_batch(&mut s.pg.engine))
        }) else {
            return;
        };
        let Some(batch) = batch.filter(|b| !b.is_empty()) else {
            return;
        };
        let status = self.save_status;
        wasm_bindgen_futures::spawn_local(async move {
            let result = store::save(batch).await;
            status.update(|st| match result {
                Ok(()) if st.notice.as_deref().is_some_and(|n| n.starts_with(FAILED)) => {
                    st.notice = None
                }
                Ok(()) => {}
                Err(e) => {
                    st.notice = Some(format!(
                        "{FAILED} ({e}). Your data is still here in the page; the next change tries again."
                    ))
                }
            });
        });
    }

    /// "Start fresh": the saved state this page can't read goes aside (kept), and the
    /// page saves its own from now on.
    pub(crate) fn start_fresh(&self) {
        let ctx = *self;
        wasm_bindgen_futures::spawn_local(async move {
            match store::set_aside("a saved state this page could not read").await {
                Ok(()) => {
                    ctx.state.update_value(|s| {
                        s.saving = true;
                        s.saver = persist::Tracker::new();
                    });
                    ctx.save_status.set(SaveStatus {
                        saving: true,
                        notice: Some(
                            "The old saved data is kept aside; your work is saved again.".into(),
                        ),
                        ..SaveStatus::default()
                    });
                    ctx.note_for_save(&[]);
                }
                Err(e) => ctx.save_status.update(|st| {
                    st.notice = Some(format!("The old saved data could not be set aside ({e})."));
                }),
            }
        });
    }
}

/// The start of a failed save's notice.
const FAILED: &str = "Your latest changes could not be saved";

/// The notice about saving, when there is one.
#[component]
pub fn SaveNotice() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let status = ctx.save_status;
    move || {
        status.with(|st| st.notice.clone()).map(|text| {
            let fresh = status.with(|st| st.offer_fresh_start);
            let keep = status.with(|st| st.offer_keep_shared);
            view! {
                <div class="save-notice" role="status">
                    <span>{text}</span>
                    {fresh.then(|| view! {
                        <button type="button" on:click=move |_| ctx.start_fresh()>"Start fresh"</button>
                    })}
                    {keep.then(|| view! {
                        <button type="button" on:click=move |_| ctx.keep_shared()>"Keep this"</button>
                    })}
                    <button
                        type="button"
                        class="dismiss"
                        aria-label="Dismiss"
                        on:click=move |_| status.update(|st| st.notice = None)
                    >"×"</button>
                </div>
            }
        })
    }
}
