//! The glue between `AppCtx` and the Clients and Activity tabs of the right pane: the
//! tab shown, the signals those tabs draw from, and the one consumer of the engine's
//! command log in `AppCtx::refresh` (`refresh_activity`). Kept out of `app.rs` so the
//! page's core stays small; the logic itself is `crate::clients` and `crate::activity`.

use leptos::prelude::*;

use crate::activity::Timeline;
use crate::app::{AppCtx, AppState};
use crate::clients::{Flows, Snapshot};
use crate::jobs::{JobsQuery, JobsView};
use crate::streams::Reason;

/// What `AppState` keeps for the Clients and Activity tabs.
#[derive(Default)]
pub struct Observed {
    /// Every client's commands (the Activity tab), fed from the engine's command log.
    pub(crate) activity: Timeline,
    /// The last messages published and who got them (the Clients tab).
    pub(crate) flows: Flows,
    /// (clients, blocked clients) when the Clients tab was last read.
    clients_seen: (usize, usize),
    /// Entries the timeline gained while the Activity tab was hidden (drawn when shown).
    hidden_added: Option<usize>,
}

/// The right pane's tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaneTab {
    Keys,
    Clients,
    Activity,
    Jobs,
}

/// What the Clients and Activity tabs show.
#[derive(Clone, Copy)]
pub struct ObserveSignals {
    /// The tab shown in the right pane.
    pub(crate) pane: RwSignal<PaneTab>,
    /// The clients and subscriptions as last read.
    pub(crate) clients: RwSignal<Snapshot>,
    /// The timeline's version (`Timeline::version`) and how many entries the last
    /// refresh added.
    pub(crate) timeline: RwSignal<(u64, usize)>,
    /// The recent publishes.
    pub(crate) flows: RwSignal<Flows>,
    /// The Jobs tab: what it asks for (state, type) and what it read.
    pub(crate) jobs_query: RwSignal<JobsQuery>,
    pub(crate) jobs: RwSignal<JobsView>,
    /// Failed jobs of the queue (all types), for the tab's badge, kept current while
    /// the tab is hidden too.
    pub(crate) jobs_failed: RwSignal<usize>,
}

impl ObserveSignals {
    pub(crate) fn new() -> Self {
        ObserveSignals {
            pane: RwSignal::new(PaneTab::Keys),
            clients: RwSignal::new(Snapshot::default()),
            timeline: RwSignal::new((0, 0)),
            flows: RwSignal::new(Flows::default()),
            jobs_query: RwSignal::new(JobsQuery::default()),
            jobs: RwSignal::new(JobsView::default()),
            jobs_failed: RwSignal::new(0),
        }
    }
}

impl AppState {
    /// The tab label of `client` and the tab's index; `client N` when it is no tab.
    pub fn client_label(&self, client: redis_emulator::ClientId) -> (String, Option<usize>) {
        match self.tabs.iter().position(|t| t.console.client() == client) {
            Some(i) => (self.tabs[i].label(), Some(i)),
            None => (format!("client {client}"), None),
        }
    }
}

impl AppCtx {
    /// Drains the engine's command log into the timeline (the only place that takes it)
    /// and re-reads the clients view when a command ran, a client came, went, blocked or
    /// was released, and once a second for the idle and timeout counters.
    pub(crate) fn refresh_activity(&self, reason: Reason) {
        let changed = self.state.try_update_value(|s| {
            let records = s.pg.engine.take_commands();
            let ran = !records.is_empty();
            let version = s.observed.activity.version();
            let tabs: Vec<(redis_emulator::ClientId, String)> = s
                .tabs
                .iter()
                .map(|t| (t.console.client(), t.label()))
                .collect();
            let label = |c: redis_emulator::ClientId| {
                tabs.iter()
                    .find(|(id, _)| *id == c)
                    .map(|(_, l)| l.clone())
                    .unwrap_or_else(|| format!("client {c}"))
            };
            let added = s.observed.activity.add(records, label);
            // The new entries are the last `added` (older ones may have been dropped).
            let from = s.observed.activity.len().saturating_sub(added);
            let flowed = s.observed.flows.note(
                (from..s.observed.activity.len()).filter_map(|i| s.observed.activity.get(i)),
                &label,
            );
            let seen = (s.pg.engine.clients().count(), s.pg.engine.blocked_count());
            let moved = std::mem::replace(&mut s.observed.clients_seen, seen) != seen;
            let timeline = (s.observed.activity.version() != version)
                .then(|| (s.observed.activity.version(), added));
            (
                timeline,
                flowed.then(|| s.observed.flows.clone()),
                ran || moved || reason == Reason::Tick,
            )
        });
        let Some((timeline, flows, clients)) = changed else {
            return;
        };
        // A hidden tab is not redrawn on every command (it would cost every command a
        // few milliseconds): the Activity tab catches up when shown (`show_pane`), the
        // Clients tab keeps only its tab's counts current.
        if let Some((version, added)) = timeline {
            if self.observe.pane.get_untracked() == PaneTab::Activity {
                self.observe.timeline.set((version, added));
            } else {
                self.state.update_value(|s| {
                    *s.observed.hidden_added.get_or_insert(0) += added;
                });
            }
        }
        if let Some(f) = flows {
            self.observe.flows.set(f);
        }
        if clients {
            self.refresh_clients();
        }
    }

    /// Reads the clients view again (a handful of rows) and redraws it if it changed;
    /// while the Clients tab is hidden, only when the tab's counts (clients, blocked)
    /// changed.
    pub(crate) fn refresh_clients(&self) {
        let snap = self.state.try_with_value(|s| {
            crate::clients::snapshot(&s.pg.engine, &|c| s.client_label(c), s.pg.engine.now_ms())
        });
        if let Some(snap) = snap {
            let shown = self.observe.pane.get_untracked() == PaneTab::Clients;
            let counts = |c: &Snapshot| {
                let blocked = c
                    .rows
                    .iter()
                    .filter(|r| matches!(r.state, crate::clients::ClientState::Blocked(_)))
                    .count();
                (c.rows.len(), blocked)
            };
            let changed = self.observe.clients.with_untracked(|old| {
                if shown {
                    *old != snap
                } else {
                    counts(old) != counts(&snap)
                }
            });
            if changed {
                self.observe.clients.set(snap);
            }
        }
    }

    /// Shows tab `tab` of the right pane, bringing a tab that was hidden up to date.
    pub(crate) fn show_pane(&self, tab: PaneTab) {
        self.observe.pane.set(tab);
        match tab {
            PaneTab::Clients => self.refresh_clients(),
            PaneTab::Activity => {
                let pending = self.state.try_update_value(|s| {
                    s.observed
                        .hidden_added
                        .take()
                        .map(|added| (s.observed.activity.version(), added))
                });
                if let Some(Some(t)) = pending {
                    self.observe.timeline.set(t);
                }
            }
            PaneTab::Jobs => self.refresh_jobs(&[], true),
            PaneTab::Keys => {}
        }
    }

    /// Reads the Kue queue again while the Jobs tab is shown: when a key of its prefix
    /// changed, once a second (a FLUSHALL or a silent write leaves no event; relative
    /// times move), or when `forced` (shown, another state or type chosen). Hidden, only
    /// the failed count of the tab's badge is read (one ZCARD), and only then.
    pub(crate) fn refresh_jobs(&self, events: &[redis_emulator::notify::Event], forced: bool) {
        let query = self.observe.jobs_query.get_untracked();
        let touched = events.iter().any(|e| e.db == 0 && query.concerns(&e.key));
        if touched || forced {
            let failed = self
                .state
                .try_update_value(|s| crate::jobs::failed_count(&mut s.pg.engine, &query));
            if let Some(failed) = failed {
                if self.observe.jobs_failed.get_untracked() != failed {
                    self.observe.jobs_failed.set(failed);
                }
            }
        }
        if self.observe.pane.get_untracked() != PaneTab::Jobs || !(touched || forced) {
            return;
        }
        let view = self
            .state
            .try_update_value(|s| crate::jobs::read(&mut s.pg.engine, &query));
        if let Some(view) = view {
            if self.observe.jobs.with_untracked(|old| *old != view) {
                self.observe.jobs.set(view);
            }
        }
    }

    /// Shows key `key` of database `db` in the Keys tab (from the activity timeline):
    /// a stream in its view, any other type in the value view. A key that no longer
    /// exists leaves the tab as it is.
    pub(crate) fn show_key(&self, db: usize, key: &[u8]) {
        self.show_pane(PaneTab::Keys);
        let type_name = self
            .state
            .try_with_value(|s| {
                s.pg.engine
                    .db(db)
                    .and_then(|d| d.entry(key))
                    .map(|e| e.value.type_name())
            })
            .flatten();
        let Some(type_name) = type_name else {
            return;
        };
        self.close_stream_quietly();
        if self.value.with_untracked(Option::is_some) {
            self.state.update_value(|s| s.values.close());
            self.value.set(None);
        }
        self.open_key(db, key, type_name);
    }

    /// Leaves the stream view without moving the focus.
    pub(crate) fn close_stream_quietly(&self) {
        if self.stream.with_untracked(Option::is_some) {
            self.state.update_value(|s| s.streams.close());
            self.stream.set(None);
        }
    }
}
