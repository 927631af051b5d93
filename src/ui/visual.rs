//! The visualisation pane beside the console: the key list, or the view of the key
//! selected in it.

use leptos::prelude::*;

use crate::app::AppCtx;
use crate::ui::key_pane::KeyList;
use crate::ui::stream_pane::StreamPane;

/// The right-hand pane: a stream's view while one is open, the key list otherwise.
#[component]
pub fn VisualPane() -> impl IntoView {
    let ctx = expect_context::<AppCtx>();
    let stream_open = Memo::new(move |_| ctx.stream.with(Option::is_some));
    move || {
        if stream_open.get() {
            view! { <StreamPane/> }.into_any()
        } else {
            view! { <KeyList/> }.into_any()
        }
    }
}
