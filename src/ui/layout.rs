//! The page's frame: the splitter between the console and the visualisation pane
//! (drag it, or focus it and press the arrow keys), and the light/dark theme switch.
//! Both remember the learner's choice in localStorage (small settings only).

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::web;

/// The narrowest either pane may become, in CSS pixels.
const MIN_VISUAL_PX: f64 = 260.0;
const MIN_CONSOLE_PX: f64 = 300.0;
/// One arrow key press moves the splitter this far.
const KEY_STEP_PX: f64 = 24.0;

/// A width for the visualisation pane that leaves both panes usable in `total` pixels.
pub fn clamp_visual_width(width: f64, total: f64) -> f64 {
    let max = (total - MIN_CONSOLE_PX).max(MIN_VISUAL_PX);
    width.clamp(MIN_VISUAL_PX, max)
}

/// The learner's width for the visualisation pane (None: the layout's default).
pub fn saved_visual_width() -> Option<f64> {
    web::load_setting("visual-width")?
        .parse()
        .ok()
        .filter(|w: &f64| w.is_finite() && *w > 0.0)
}

/// The theme to start with: the saved choice, else the system's preference.
pub fn initial_theme() -> &'static str {
    match web::load_setting("theme").as_deref() {
        Some("light") => "light",
        Some("dark") => "dark",
        _ if web::prefers_light() => "light",
        _ => "dark",
    }
}

/// The vertical bar between the panes. `width` is the visualisation pane's width;
/// `panes` the grid they share (its right edge is where the pane ends).
#[component]
pub fn Splitter(width: RwSignal<Option<f64>>, panes: NodeRef<html::Main>) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let total = move || {
        panes
            .get_untracked()
            .map_or(1200.0, |p| p.get_bounding_client_rect().width())
    };
    let current = move || {
        width.get_untracked().unwrap_or_else(|| {
            // The default width as laid out now (the grid's last column).
            panes
                .get_untracked()
                .and_then(|p| p.last_element_child())
                .map_or(340.0, |c| c.get_bounding_client_rect().width())
        })
    };
    let set = move |w: f64| {
        let w = clamp_visual_width(w, total()).round();
        width.set(Some(w));
    };
    let save = move || {
        if let Some(w) = width.get_untracked() {
            web::save_setting("visual-width", &w.to_string());
        }
    };
    let on_down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        if let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = target.set_pointer_capture(ev.pointer_id());
        }
        dragging.set(true);
    };
    let on_move = move |ev: web_sys::PointerEvent| {
        if !dragging.get_untracked() {
            return;
        }
        if let Some(p) = panes.get_untracked() {
            let right = p.get_bounding_client_rect().right();
            set(right - f64::from(ev.client_x()) - 4.0);
        }
    };
    let on_up = move |_| {
        if dragging.get_untracked() {
            dragging.set(false);
            save();
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let step = match ev.key().as_str() {
            "ArrowLeft" => KEY_STEP_PX,
            "ArrowRight" => -KEY_STEP_PX,
            "Home" => f64::INFINITY,
            "End" => f64::NEG_INFINITY,
            _ => return,
        };
        ev.prevent_default();
        set(current() + step);
        save();
    };
    // A double click goes back to the layout's own width.
    let on_reset = move |_| {
        width.set(None);
        web::save_setting("visual-width", "");
    };
    view! {
        <div
            class="splitter"
            class:dragging=move || dragging.get()
            role="separator"
            aria-orientation="vertical"
            aria-label="Resize the console and the visualisation (arrow keys; double-click resets)"
            aria-valuenow=move || width.get().map(|w| w.to_string())
            tabindex="0"
            on:pointerdown=on_down
            on:pointermove=on_move
            on:pointerup=on_up
            on:pointercancel=on_up
            on:keydown=on_key
            on:dblclick=on_reset
        ></div>
    }
}

/// The header's switch between the dark and the light theme.
#[component]
pub fn ThemeToggle(theme: RwSignal<&'static str>) -> impl IntoView {
    let toggle = move |_| {
        let next = if theme.get_untracked() == "light" {
            "dark"
        } else {
            "light"
        };
        theme.set(next);
        web::apply_theme(next);
        web::save_setting("theme", next);
    };
    view! {
        <button
            class="theme-toggle"
            on:click=toggle
            aria-pressed=move || (theme.get() == "light").to_string()
            title="Switch between the dark and the light theme"
        >
            <span class="theme-icon" aria-hidden="true"></span>
            {move || if theme.get() == "light" { "Light" } else { "Dark" }}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_keeps_both_panes_usable() {
        assert_eq!(clamp_visual_width(100.0, 1400.0), MIN_VISUAL_PX);
        assert_eq!(clamp_visual_width(500.0, 1400.0), 500.0);
        assert_eq!(clamp_visual_width(1300.0, 1400.0), 1400.0 - MIN_CONSOLE_PX);
        // Too narrow for both minimums: the visualisation keeps its own.
        assert_eq!(clamp_visual_width(400.0, 400.0), MIN_VISUAL_PX);
    }
}
