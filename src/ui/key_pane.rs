//! The key browser of the visualisation pane: the keys of one database as a tree grouped
//! by `:` (or a flat list), filtered by a glob pattern and a type, with a database
//! selector. Virtualised: only the rows in view (plus a few) are in the DOM, at a fixed
//! height inside a spacer as tall as every row. The state is `crate::browser`, the model
//! and tree `crate::keyspace`.

use leptos::html;
use leptos::prelude::*;
use leptos::tachys::html::attribute::custom::custom_attribute;

use crate::app::AppCtx;
use crate::browser::RowView;
use crate::keys;
use crate::keyspace::{self, TreeAction, TYPES};

/// Pixels per row (the CSS gives `.key-list .key` this height).
const ROW_HEIGHT: f64 = 28.0;
/// Rows rendered above and below the viewport.
const OVERSCAN: usize = 8;

/// The id of row `index`, for aria-activedescendant.
fn row_id(index: usize) -> String {
    format!("kt-row-{index}")
}

/// The keys of the shown database as a tree or a list, virtualised.
#[component]
pub fn KeyList() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let scroller = NodeRef::<html::Div>::new();
    // (scrollTop, viewport height) of the scroller, as last seen.
    let scroll = RwSignal::new((0.0_f64, 600.0_f64));
    let read_scroll = move || {
        if let Some(el) = scroller.get_untracked() {
            let now = (f64::from(el.scroll_top()), f64::from(el.client_height()));
            if scroll.get_untracked() != now {
                scroll.set(now);
                ctx.state
                    .update_value(|s| s.browser.scroll_top = el.scroll_top());
            }
        }
    };
    // Back from a value view: where the learner was.
    Effect::new(move |_| {
        if let Some(el) = scroller.get() {
            let top = ctx.state.with_value(|s| s.browser.scroll_top);
            if top > 0 {
                el.set_scroll_top(top);
            }
        }
    });
    Effect::new(move |_| {
        // Once mounted, and whenever the rows change: the viewport's real height.
        ctx.keys_rev.track();
        if scroller.get().is_some() {
            read_scroll();
        }
    });

    let browser = move |f: &dyn Fn(&crate::browser::Browser) -> String| {
        ctx.keys_rev.track();
        ctx.state.with_value(|s| f(&s.browser))
    };
    let total_rows = move || {
        ctx.keys_rev.track();
        ctx.state.with_value(|s| s.browser.lines.len())
    };
    let rows = Memo::new(move |_| {
        ctx.keys_rev.track();
        let now = ctx.now.get();
        let (top, height) = scroll.get();
        ctx.state.with_value(|s| {
            let b = &s.browser;
            let (start, end) = keyspace::window(top, height, ROW_HEIGHT, b.lines.len(), OVERSCAN);
            b.rows(start, end, now)
        })
    });
    let summary = move || {
        browser(&|b| {
            let total = b.ks.len();
            let plural = if total == 1 { "" } else { "s" };
            if b.filter.is_active() {
                format!("{} of {total} key{plural}", b.matching)
            } else {
                format!("{total} key{plural}")
            }
        })
    };
    let empty = move || {
        ctx.keys_rev.track();
        ctx.state.with_value(|s| {
            let b = &s.browser;
            if b.ks.is_empty() {
                Some(format!(
                    "No keys in db {} yet. Try SET greeting hello.",
                    b.db()
                ))
            } else if b.lines.is_empty() {
                Some("No key matches this filter.".to_string())
            } else {
                None
            }
        })
    };
    let flat = move || {
        ctx.keys_rev.track();
        ctx.state.with_value(|s| s.browser.flat)
    };
    let shown_db = move || {
        ctx.keys_rev.track();
        ctx.state.with_value(|s| s.browser.db())
    };
    let db_options = move || {
        ctx.keys_rev.track();
        let (sizes, shown) = ctx
            .state
            .with_value(|s| (s.browser.db_sizes.clone(), s.browser.db()));
        sizes
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                view! { <option value=i.to_string() selected=i == shown>{format!("db {i} · {n}")}</option> }
            })
            .collect_view()
    };
    // Other rows (another db, filter or layout): from the top.
    let to_top = move || {
        if let Some(el) = scroller.get_untracked() {
            el.set_scroll_top(0);
        }
        read_scroll();
    };
    let on_db = move |ev: web_sys::Event| {
        if let Ok(db) = event_target_value(&ev).parse::<usize>() {
            ctx.browser_op(|b, e| b.show_db(e, db));
            to_top();
        }
    };
    let on_filter = move |ev: web_sys::Event| {
        let pattern = event_target_value(&ev);
        ctx.browser_op(|b, _| b.set_pattern(&pattern));
        to_top();
    };
    let on_type = move |ev: web_sys::Event| {
        let value = event_target_value(&ev);
        let t = TYPES.iter().copied().find(|t| *t == value);
        ctx.browser_op(|b, _| b.set_type(t));
        to_top();
    };
    let set_flat = move |flat: bool| {
        ctx.browser_op(|b, _| b.set_flat(flat));
        to_top();
    };

    // Keeps row `index` in view, scrolling the least.
    let reveal = move |index: usize| {
        let Some(el) = scroller.get_untracked() else {
            return;
        };
        let top = index as f64 * ROW_HEIGHT;
        let (scroll_top, height) = (f64::from(el.scroll_top()), f64::from(el.client_height()));
        if top < scroll_top {
            el.set_scroll_top(top as i32);
        } else if top + ROW_HEIGHT > scroll_top + height {
            el.set_scroll_top((top + ROW_HEIGHT - height).ceil() as i32);
        }
        read_scroll();
    };
    let open_row = move |path: Vec<u8>| {
        let found = ctx.state.with_value(|s| {
            s.browser
                .ks
                .get(&path)
                .map(|i| (s.browser.db(), i.type_name))
        });
        // Opening only shows the value: the line the learner is typing stays; the view's
        // buttons type commands.
        if let Some((db, type_name)) = found {
            ctx.open_key(db, &path, type_name);
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let key = ev.key();
        let action = ctx.state.with_value(|s| {
            let b = &s.browser;
            keyspace::tree_key(&b.lines, b.active, &key, &b.expanded)
        });
        match action {
            TreeAction::None => return,
            TreeAction::Focus(i) => {
                ctx.browser_op(|b, _| b.active = i);
                reveal(i);
            }
            TreeAction::Toggle(path) => ctx.browser_op(|b, _| b.toggle(&path)),
            TreeAction::Open(path) => open_row(path),
        }
        ev.prevent_default();
    };

    let row_view = move |r: RowView| {
        let index = r.index;
        let path = r.path.clone();
        let is_folder = r.folder.is_some();
        let on_click = move |_| {
            ctx.browser_op(|b, _| b.active = index);
            if is_folder {
                ctx.browser_op(|b, _| b.toggle(&path));
            } else {
                open_row(path.clone());
            }
        };
        let style = format!(
            "top:{}px;padding-left:{}px",
            index as f64 * ROW_HEIGHT,
            8 + (r.level - 1) * 14
        );
        let title = match r.folder {
            Some((n, _)) => format!(
                "{}: {n} key{} (click to {})",
                r.label,
                if n == 1 { "" } else { "s" },
                if r.folder.is_some_and(|(_, open)| open) {
                    "collapse"
                } else {
                    "expand"
                }
            ),
            None => format!(
                "{} ({}, encoding {}, length {}): click to open",
                keys::display_key(&r.path),
                r.type_name,
                r.encoding,
                r.length
            ),
        };
        let body = match r.folder {
            Some((n, open)) => view! {
                <span class="twisty" class:open=open aria-hidden="true"></span>
                <span class="name">{r.label.clone()}</span>
                <span class="folder-count">{n}</span>
            }
            .into_any(),
            None => view! {
                <span class=format!("badge t-{}", r.type_name)>{r.type_name}</span>
                <span class="name">{r.label.clone()}</span>
                <span class="ttl" title="time to live">{r.ttl.clone()}</span>
                <span class="len" title="length">{r.length}</span>
                <span class="size" title="approximate memory">{r.size.clone()}</span>
            }
            .into_any(),
        };
        view! {
            <div
                role="treeitem"
                id=row_id(index)
                class="key"
                class:folder=is_folder
                class:active=r.active
                aria-expanded=r.folder.map(|(_, open)| open.to_string())
                aria-selected=r.active.to_string()
                title=title
                style=style
                on:click=on_click
            >
                {body}
            </div>
        }
        // aria-level has no typed attribute in tachys: set it by name.
        .add_any_attr(custom_attribute("aria-level", r.level.to_string()))
    };

    view! {
        <aside class="keys" aria-label="Keys">
            <div class="keys-head">
                <h2>"Keys"</h2>
                <select
                    class="db-select"
                    aria-label="Database shown"
                    title="The database this pane shows. It does not SELECT it for the console: type SELECT n there."
                    on:change=on_db
                    prop:value=move || shown_db().to_string()
                >
                    {db_options}
                </select>
                <span class="count">{summary}</span>
            </div>
            <div class="keys-tools">
                <input
                    class="filter"
                    type="search"
                    placeholder="Filter: user:*"
                    aria-label="Filter keys with a glob pattern"
                    spellcheck="false"
                    on:input=on_filter
                />
                <select class="type-filter" aria-label="Filter keys by type" on:change=on_type>
                    <option value="">"all types"</option>
                    {TYPES.iter().map(|t| view! { <option value=*t>{*t}</option> }).collect_view()}
                </select>
                <div class="layout" role="group" aria-label="Layout">
                    <button class="layout-tree" aria-pressed=move || (!flat()).to_string() title="Group keys by ':'" on:click=move |_| set_flat(false)>"tree"</button>
                    <button class="layout-flat" aria-pressed=move || flat().to_string() title="One row per key" on:click=move |_| set_flat(true)>"list"</button>
                </div>
            </div>
            // What the rows' right-hand columns hold (each cell also has a title).
            <div class="key-cols" aria-hidden="true">
                <span class="name">"key"</span>
                <span class="ttl">"ttl"</span>
                <span class="len">"length"</span>
                <span class="size">"size"</span>
            </div>
            <div class="key-scroll" node_ref=scroller on:scroll=move |_| read_scroll()>
                <div
                    class="key-list"
                    role="tree"
                    tabindex="0"
                    aria-label=move || format!("Keys of db {}", shown_db())
                    aria-activedescendant=move || {
                        ctx.keys_rev.track();
                        ctx.state.with_value(|s| (!s.browser.lines.is_empty()).then(|| row_id(s.browser.active)))
                    }
                    style=move || format!("height:{}px", total_rows() as f64 * ROW_HEIGHT)
                    on:keydown=on_key
                >
                    <For each=move || rows.get() key=|r| r.clone() children=row_view/>
                </div>
                {move || empty().map(|t| view! { <p class="empty">{t}</p> })}
            </div>
            <p class="keys-foot">"Arrows and Enter move in the tree. Click a key to see its value; TTLs count down live."</p>
        </aside>
    }
}
