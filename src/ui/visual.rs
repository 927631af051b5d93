//! The visualisation pane beside the console: the key browser, or the view of the key
//! selected in it (a stream's view, or the value view of any other type).

use leptos::prelude::*;

use crate::app::AppCtx;
use crate::ui::key_pane::KeyList;
use crate::ui::stream_pane::StreamPane;
use crate::ui::value_pane::ValuePane;

/// The right-hand pane: a stream's view while one is open, a value's view while one is
/// open, the key browser otherwise.
#[component]
pub fn VisualPane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let stream_open = Memo::new(move |_| ctx.stream.with(Option::is_some));
    let value_open = Memo::new(move |_| ctx.value.with(Option::is_some));
    move || {
        if stream_open.get() {
            view! { <StreamPane/> }.into_any()
        } else if value_open.get() {
            view! { <ValuePane/> }.into_any()
        } else {
            view! { <KeyList/> }.into_any()
        }
    }
}
