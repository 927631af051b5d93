//! The right pane's tab bar: Keys, Clients, Activity. A WAI-ARIA tablist: the selected
//! tab is the only one in the Tab order, Left/Right/Home/End move between tabs.

use leptos::prelude::*;

use crate::app::{AppCtx, PaneTab};

const TABS: [(PaneTab, &str, &str); 4] = [
    (PaneTab::Keys, "keys", "Keys"),
    (PaneTab::Clients, "clients", "Clients"),
    (PaneTab::Activity, "activity", "Activity"),
    (PaneTab::Jobs, "jobs", "Jobs"),
];

/// The DOM id of a tab and of its panel.
pub fn tab_id(tab: PaneTab) -> (&'static str, &'static str) {
    match tab {
        PaneTab::Keys => ("pane-tab-keys", "pane-panel-keys"),
        PaneTab::Clients => ("pane-tab-clients", "pane-panel-clients"),
        PaneTab::Activity => ("pane-tab-activity", "pane-panel-activity"),
        PaneTab::Jobs => ("pane-tab-jobs", "pane-panel-jobs"),
    }
}

/// The tab `step` places from `current` (wrapping), for the arrow keys.
fn neighbour(current: PaneTab, step: isize) -> PaneTab {
    let i = TABS.iter().position(|(t, _, _)| *t == current).unwrap_or(0) as isize;
    let n = TABS.len() as isize;
    TABS[((i + step).rem_euclid(n)) as usize].0
}

fn focus_tab(tab: PaneTab) {
    if let Some(el) = crate::web::document().and_then(|d| d.get_element_by_id(tab_id(tab).0)) {
        use wasm_bindgen::JsCast;
        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}

#[component]
pub fn PaneTabs() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let pane = ctx.observe.pane;
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let current = pane.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowRight" => neighbour(current, 1),
            "ArrowLeft" => neighbour(current, -1),
            "Home" => TABS[0].0,
            "End" => TABS[TABS.len() - 1].0,
            _ => return,
        };
        ev.prevent_default();
        ctx.show_pane(next);
        focus_tab(next);
    };
    let blocked = move || {
        ctx.observe.clients.with(|c| {
            c.rows
                .iter()
                .filter(|r| matches!(r.state, crate::clients::ClientState::Blocked(_)))
                .count()
        })
    };
    view! {
        <div class="pane-tabs" role="tablist" aria-label="What the right pane shows" on:keydown=on_key>
            {TABS
                .into_iter()
                .map(|(tab, class, name)| {
                    let (id, panel) = tab_id(tab);
                    let selected = move || pane.get() == tab;
                    view! {
                        <button
                            type="button"
                            role="tab"
                            id=id
                            class=format!("pane-tab pane-tab-{class}")
                            aria-controls=panel
                            aria-selected=move || selected().to_string()
                            tabindex=move || if selected() { "0" } else { "-1" }
                            on:click=move |_| ctx.show_pane(tab)
                        >
                            {name}
                            {(tab == PaneTab::Jobs)
                                .then_some(move || {
                                    let n = ctx.observe.jobs_failed.get();
                                    (n > 0).then(|| view! {
                                        <span class="pane-tab-blocked" title=format!("{n} failed jobs")>
                                            {format!("{n} failed")}
                                        </span>
                                    })
                                })}
                            {(tab == PaneTab::Clients)
                                .then(|| {
                                    view! {
                                        <span class="pane-tab-count" aria-hidden="true">
                                            {move || ctx.observe.clients.with(|c| c.rows.len())}
                                        </span>
                                        {move || {
                                            let n = blocked();
                                            (n > 0)
                                                .then(|| {
                                                    view! {
                                                        <span class="pane-tab-blocked" title=format!("{n} blocked")>
                                                            {format!("{n} blocked")}
                                                        </span>
                                                    }
                                                })
                                        }}
                                    }
                                })}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrows_wrap_around_the_tabs() {
        assert_eq!(neighbour(PaneTab::Keys, 1), PaneTab::Clients);
        assert_eq!(neighbour(PaneTab::Jobs, 1), PaneTab::Keys);
        assert_eq!(neighbour(PaneTab::Keys, -1), PaneTab::Jobs);
    }
}
