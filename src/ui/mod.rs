//! The Leptos components, one pane per module. They stay thin: they read what `AppCtx`
//! holds and forward keys and clicks to it; the logic lives in plain, natively tested
//! modules (`console`, `keys`, `streams`).

pub mod activity_pane;
pub mod catalogue;
pub mod clients_pane;
pub mod console_pane;
pub mod data_ctx;
pub mod embed_ctx;
pub mod guide_pane;
pub mod http_pane;
pub mod jobs_pane;
pub mod key_pane;
pub mod layout;
pub mod observe_ctx;
pub mod pane_tabs;
pub mod persist_ctx;
pub mod program_pane;
pub mod share_ctx;
pub mod stream_pane;
pub mod time_bar;
pub mod value_pane;
pub mod visual;
