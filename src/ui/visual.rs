//! The visualisation pane beside the console: a tab bar (Keys, Clients, Activity, Jobs) over
//! the key browser or the view of the key selected in it (a stream's view, or the value
//! view of any other type), the clients view, the activity timeline and the job queue. Every panel
//! stays mounted (hidden when not selected) so the timeline keeps its scroll position
//! and filter.

use leptos::prelude::*;

use crate::app::{AppCtx, PaneTab};
use crate::ui::activity_pane::ActivityPane;
use crate::ui::clients_pane::ClientsPane;
use crate::ui::jobs_pane::JobsPane;
use crate::ui::key_pane::KeyList;
use crate::ui::pane_tabs::{tab_id, PaneTabs};
use crate::ui::stream_pane::StreamPane;
use crate::ui::value_pane::ValuePane;

/// The right-hand pane.
#[component]
pub fn VisualPane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let stream_open = Memo::new(move |_| ctx.stream.with(Option::is_some));
    let value_open = Memo::new(move |_| ctx.value.with(Option::is_some));
    let keys = move || {
        if stream_open.get() {
            view! { <StreamPane/> }.into_any()
        } else if value_open.get() {
            view! { <ValuePane/> }.into_any()
        } else {
            view! { <KeyList/> }.into_any()
        }
    };
    let panel = move |tab: PaneTab, class: &'static str, body: AnyView| {
        let (tab_dom, panel_dom) = tab_id(tab);
        view! {
            <div
                class=format!("pane-panel {class}")
                role="tabpanel"
                id=panel_dom
                aria-labelledby=tab_dom
                hidden=move || ctx.observe.pane.get() != tab
            >
                {body}
            </div>
        }
    };
    view! {
        <div class="visual">
            <PaneTabs/>
            {panel(PaneTab::Keys, "panel-keys", keys.into_any())}
            {panel(PaneTab::Clients, "panel-clients", view! { <ClientsPane/> }.into_any())}
            {panel(PaneTab::Activity, "panel-activity", view! { <ActivityPane/> }.into_any())}
            {panel(PaneTab::Jobs, "panel-jobs", view! { <JobsPane/> }.into_any())}
        </div>
    }
}
