//! The app in a real browser (headless Chromium through wasm-bindgen-test): each test
//! mounts the whole page into its own container, types into the console input with
//! real DOM events, and reads what the DOM shows. Run by scripts/test-browser.sh:
//! `cargo test --target wasm32-unknown-unknown -p redis-playground`.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use gloo_timers::future::sleep;
use redis_playground::App;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Leptos updates the DOM asynchronously: let it settle before reading.
async fn settle() {
    sleep(Duration::from_millis(30)).await;
}

/// Mounts a fresh page into its own container and returns the container. The page
/// fetches its built-in exercises before mounting; here the one the tests open is
/// installed directly.
async fn mount() -> Element {
    redis_playground::built_in::install(
        &[(
            "first-steps.md".into(),
            include_str!("../exercises/first-steps.md").into(),
        )],
        Vec::new(),
    );
    let container = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&container).unwrap();
    let handle = leptos::mount::mount_to(container.clone().unchecked_into::<HtmlElement>(), App);
    handle.forget();
    settle().await;
    container
}

fn input(root: &Element) -> HtmlInputElement {
    root.query_selector("input.console-input")
        .unwrap()
        .expect("the console input")
        .unchecked_into()
}

fn key(root: &Element, key: &str, ctrl: bool) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_ctrl_key(ctrl);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    input(root).dispatch_event(&ev).unwrap();
}

/// Types `text` into the input as an input event would deliver it.
async fn type_text(root: &Element, text: &str) {
    let field = input(root);
    field.set_value(text);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    field.dispatch_event(&ev).unwrap();
    settle().await;
}

async fn press(root: &Element, name: &str) {
    key(root, name, false);
    settle().await;
}

/// Types a line and presses Enter.
async fn run(root: &Element, line: &str) {
    type_text(root, line).await;
    press(root, "Enter").await;
}

/// The text of every entry on the console's screen, in order.
fn entries(root: &Element) -> Vec<String> {
    let list = root.query_selector_all(".entries .entry").unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

fn last_entries(root: &Element, n: usize) -> Vec<String> {
    let all = entries(root);
    all[all.len().saturating_sub(n)..].to_vec()
}

fn text_of(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .map(|e| e.text_content().unwrap_or_default())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn console_prints_replies_exactly_like_redis_cli() {
    let root = mount().await;
    for line in [
        "SET greeting hello",
        "GET greeting",
        "INCR n",
        "EXPIRE greeting 100",
        "TTL greeting",
        "FOO",
    ] {
        run(&root, line).await;
    }
    assert_eq!(
        last_entries(&root, 12),
        [
            "127.0.0.1:6379> SET greeting hello",
            "OK\n",
            "127.0.0.1:6379> GET greeting",
            "\"hello\"\n",
            "127.0.0.1:6379> INCR n",
            "(integer) 1\n",
            "127.0.0.1:6379> EXPIRE greeting 100",
            "(integer) 1\n",
            "127.0.0.1:6379> TTL greeting",
            "(integer) 100\n",
            "127.0.0.1:6379> FOO",
            "(error) ERR unknown command 'FOO', with args beginning with: \n",
        ]
    );
    assert_eq!(input(&root).value(), "", "Enter empties the line");
    let last = root
        .query_selector(".entries .entry:last-child")
        .unwrap()
        .unwrap();
    assert!(
        last.class_list().contains("error"),
        "errors are styled as errors"
    );
}

#[wasm_bindgen_test]
async fn console_prompt_follows_select() {
    let root = mount().await;
    assert_eq!(text_of(&root, ".input-row .prompt"), "127.0.0.1:6379> ");
    run(&root, "SELECT 1").await;
    assert_eq!(text_of(&root, ".input-row .prompt"), "127.0.0.1:6379[1]> ");
    let db: HtmlInputElement = root
        .query_selector("select.db-select")
        .unwrap()
        .unwrap()
        .unchecked_into();
    assert_eq!(db.value(), "1", "the key browser follows the console's db");
    run(&root, "SELECT 0").await;
    assert_eq!(text_of(&root, ".input-row .prompt"), "127.0.0.1:6379> ");
}

#[wasm_bindgen_test]
async fn console_up_arrow_recalls_history_and_tab_completes() {
    let root = mount().await;
    run(&root, "ECHO first").await;
    run(&root, "ECHO second").await;
    press(&root, "ArrowUp").await;
    assert_eq!(input(&root).value(), "ECHO second");
    press(&root, "ArrowUp").await;
    assert_eq!(input(&root).value(), "ECHO first");
    press(&root, "ArrowDown").await;
    press(&root, "ArrowDown").await;
    assert_eq!(input(&root).value(), "");

    type_text(&root, "incrb").await;
    press(&root, "Tab").await;
    assert_eq!(input(&root).value(), "incrby");
    assert!(
        text_of(&root, ".completions").contains("incrbyfloat"),
        "the cycle's candidates are listed"
    );
    press(&root, "Escape").await;
    assert_eq!(input(&root).value(), "incrb");
}

#[wasm_bindgen_test]
async fn console_shows_the_argument_hint() {
    let root = mount().await;
    type_text(&root, "GET").await;
    assert_eq!(text_of(&root, ".ghost .hint"), " key");
    type_text(&root, "SET k ").await;
    assert!(text_of(&root, ".ghost .hint").starts_with("value [NX|XX]"));
    type_text(&root, "GET k").await;
    assert_eq!(text_of(&root, ".ghost .hint"), "");
}

#[wasm_bindgen_test]
async fn key_list_shows_keys_with_ttl_and_clicking_types_a_command() {
    let root = mount().await;
    run(&root, "SET greeting hello EX 100").await;
    run(&root, "SET plain v").await;
    let names: Vec<String> = {
        let l = root.query_selector_all(".key-list .key .name").unwrap();
        (0..l.length())
            .map(|i| l.item(i).unwrap().text_content().unwrap())
            .collect()
    };
    assert!(
        names.contains(&"greeting".to_string()) && names.contains(&"plain".to_string()),
        "{names:?}"
    );
    let ttl = text_of(&root, ".key-list .key:first-child .ttl");
    assert!(ttl == "1m 40s" || ttl == "1m 39s", "{ttl:?}");

    let button: HtmlElement = root
        .query_selector(".key-list .key:first-child")
        .unwrap()
        .unwrap()
        .unchecked_into();
    button.click();
    settle().await;
    assert_eq!(
        text_of(&root, ".value-view .vv-key"),
        "greeting",
        "the string's view opens"
    );
    assert_eq!(
        input(&root).value(),
        "",
        "opening a key leaves the console's line alone"
    );
    click(&root, ".vv-cmd");
    settle().await;
    assert_eq!(input(&root).value(), "GET greeting");
    click(&root, ".vv-back");
    settle().await;

    let filter: HtmlInputElement = root
        .query_selector("input.filter")
        .unwrap()
        .unwrap()
        .unchecked_into();
    filter.set_value("pl*");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    filter
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
    settle().await;
    assert_eq!(
        root.query_selector_all(".key-list .key").unwrap().length(),
        1
    );
    assert_eq!(text_of(&root, ".key-list .name"), "plain");
}

#[wasm_bindgen_test]
async fn clear_and_ctrl_l_empty_the_screen() {
    let root = mount().await;
    run(&root, "PING").await;
    assert!(!entries(&root).is_empty());
    run(&root, "clear").await;
    assert!(entries(&root).is_empty(), "{:?}", entries(&root));
    run(&root, "PING").await;
    key(&root, "l", true);
    settle().await;
    assert!(entries(&root).is_empty());
}

#[wasm_bindgen_test]
async fn corrupt_saved_history_is_ignored_and_history_is_saved() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage
        .set_item(redis_playground::web::HISTORY_KEY, "\u{0}{not: history")
        .unwrap();
    let root = mount().await;
    press(&root, "ArrowUp").await;
    assert_eq!(input(&root).value(), "", "nothing to recall");
    run(&root, "PING").await;
    assert_eq!(last_entries(&root, 1), ["PONG\n"]);
    let saved = storage
        .get_item(redis_playground::web::HISTORY_KEY)
        .unwrap()
        .unwrap();
    assert!(saved.ends_with("\nPING"), "{saved:?}");
    // A new page load reads it back.
    let again = mount().await;
    press(&again, "ArrowUp").await;
    assert_eq!(input(&again).value(), "PING");
}

#[wasm_bindgen_test]
async fn repeat_prefix_and_unbalanced_quotes() {
    let root = mount().await;
    run(&root, "3 INCR counter").await;
    assert_eq!(
        last_entries(&root, 1),
        ["(integer) 1\n(integer) 2\n(integer) 3\n"]
    );
    run(&root, "SET k \"unbalanced").await;
    assert_eq!(last_entries(&root, 1), ["Invalid argument(s)\n"]);
}

#[wasm_bindgen_test]
async fn a_crash_is_shown_in_the_page_and_the_input_is_disabled() {
    let root = mount().await;
    redis_playground::web::show_crash("panicked at 'test'");
    let banner = document()
        .query_selector(".crash")
        .unwrap()
        .expect("a crash banner");
    assert!(banner.text_content().unwrap().contains("Reload the page"));
    assert_eq!(banner.get_attribute("role").as_deref(), Some("alert"));
    // The first console on the page is the one disabled (every mounted test page has one).
    assert!(document()
        .query_selector("input.console-input")
        .unwrap()
        .unwrap()
        .unchecked_into::<HtmlInputElement>()
        .disabled());
    banner.remove();
    drop(root);
}

#[wasm_bindgen_test]
async fn typing_outside_a_field_moves_the_focus_to_the_console() {
    let root = mount().await;
    let title: HtmlElement = root
        .query_selector(".pane-title")
        .unwrap()
        .unwrap()
        .unchecked_into();
    title.set_attribute("tabindex", "-1").unwrap();
    title.focus().unwrap();
    assert!(document()
        .active_element()
        .unwrap()
        .class_list()
        .contains("pane-title"));
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("g");
    init.set_bubbles(true);
    title
        .dispatch_event(
            &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
    settle().await;
    let active = document().active_element().unwrap();
    assert!(
        active.class_list().contains("console-input"),
        "{:?}",
        active.class_name()
    );
    // The filter box keeps its own typing.
    let filter: HtmlElement = root
        .query_selector("input.filter")
        .unwrap()
        .unwrap()
        .unchecked_into();
    filter.focus().unwrap();
    filter
        .dispatch_event(
            &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
    settle().await;
    assert!(document()
        .active_element()
        .unwrap()
        .class_list()
        .contains("filter"));
}

fn click(root: &Element, selector: &str) {
    let el: HtmlElement = root
        .query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("{selector}"))
        .unchecked_into();
    el.click();
}

#[wasm_bindgen_test]
async fn a_second_tab_wakes_a_blpop_waiting_in_the_first() {
    let root = mount().await;
    run(&root, "BLPOP jobs 0").await;
    assert_eq!(
        root.query_selector_all(".tab.waiting").unwrap().length(),
        1,
        "the first tab waits"
    );
    assert!(text_of(&root, ".wait-status").contains("Waiting for a reply to BLPOP jobs 0"));
    assert!(input(&root).read_only(), "a waiting console reads no line");

    click(&root, ".tab-new");
    settle().await;
    assert_eq!(
        root.query_selector_all(".tab:not(.program-tab):not(.http-tab)")
            .unwrap()
            .length(),
        2
    );
    assert!(
        !input(&root).read_only(),
        "the new tab is another client, free to type"
    );
    run(&root, "RPUSH jobs email").await;
    assert_eq!(last_entries(&root, 1), vec!["(integer) 1\n".to_string()]);
    assert_eq!(
        root.query_selector_all(".tab.waiting").unwrap().length(),
        0,
        "served at once"
    );

    click(&root, ".tab:first-child .tab-name");
    settle().await;
    assert_eq!(
        last_entries(&root, 1),
        vec!["1) \"jobs\"\n2) \"email\"\n".to_string()]
    );
    // The list was consumed by the first tab's BLPOP.
    run(&root, "EXISTS jobs").await;
    assert_eq!(last_entries(&root, 1), vec!["(integer) 0\n".to_string()]);
}

fn texts(root: &Element, selector: &str) -> Vec<String> {
    let l = root.query_selector_all(selector).unwrap();
    (0..l.length())
        .map(|i| l.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn the_stream_view_shows_entries_groups_and_pending_and_follows_commands() {
    let root = mount().await;
    run(&root, "XGROUP CREATE orders shipping $ MKSTREAM").await;
    run(&root, "XADD orders 1700000000000-0 item book").await;
    run(&root, "XADD orders 1700000000000-1 item pen qty 2").await;
    run(
        &root,
        "XREADGROUP GROUP shipping alice COUNT 1 STREAMS orders >",
    )
    .await;
    click(&root, ".key-list .key");
    settle().await;
    assert!(
        root.query_selector(".key-list").unwrap().is_none(),
        "the stream replaces the key list"
    );
    assert_eq!(text_of(&root, ".stream-view .sv-key"), "orders");
    // Entries newest first, with the time their ID encodes and where they are pending.
    assert_eq!(
        texts(&root, ".sv-ewin .sv-id"),
        ["1700000000000-1", "1700000000000-0"]
    );
    assert_eq!(
        texts(&root, ".sv-ewin .sv-time"),
        ["2023-11-14 22:13:20.000", "2023-11-14 22:13:20.000"]
    );
    assert_eq!(
        texts(&root, ".sv-ewin .sv-erow:first-child .sv-kv"),
        ["item pen", "qty 2"]
    );
    assert_eq!(
        texts(&root, ".sv-ewin .sv-erow:nth-child(2) .sv-kv"),
        ["item book"]
    );
    assert_eq!(
        texts(&root, ".sv-ewin .sv-tag"),
        ["shipping → alice"],
        "where each entry is pending"
    );
    // A click on an entry shows it in full with its path through the groups.
    click(&root, ".sv-ewin .sv-erow:nth-child(2)");
    settle().await;
    assert_eq!(
        text_of(&root, ".sv-detail .sv-detail-head .sv-id"),
        "1700000000000-0"
    );
    assert_eq!(
        texts(&root, ".sv-detail .sv-detail-fields td"),
        ["item", "book"]
    );
    let path = texts(&root, ".sv-detail .sv-path li");
    assert_eq!(path.len(), 1);
    assert!(
        path[0].starts_with("shippingpending → alice · delivered 1×"),
        "{path:?}"
    );
    click(&root, ".sv-ewin .sv-erow:first-child");
    settle().await;
    assert_eq!(
        texts(&root, ".sv-detail .sv-path li .sv-state"),
        ["not delivered yet"]
    );
    click(&root, ".sv-detail-close");
    settle().await;
    assert!(root.query_selector(".sv-detail").unwrap().is_none());
    // The group, its consumer and its pending entry, as XINFO/XPENDING report them.
    assert_eq!(texts(&root, ".sv-group .sv-group-name"), ["shipping"]);
    let stats = text_of(&root, ".sv-group .sv-stats");
    for part in [
        "last-delivered-id1700000000000-0",
        "entries-read1",
        "lag1",
        "pending1",
        "consumers1",
    ] {
        assert!(stats.contains(part), "{part} in {stats:?}");
    }
    assert_eq!(
        texts(&root, ".sv-group .sv-table:not(.sv-pel) tbody .sv-consumer"),
        ["alice"]
    );
    assert_eq!(texts(&root, ".sv-pel tbody .sv-id"), ["1700000000000-0"]);
    assert_eq!(texts(&root, ".sv-pel tbody .sv-consumer"), ["alice"]);

    // A delivery in the console shows up, highlighted, with a sentence for screen readers.
    run(
        &root,
        "XREADGROUP GROUP shipping bob COUNT 1 STREAMS orders >",
    )
    .await;
    assert_eq!(texts(&root, ".sv-pel tbody .sv-consumer"), ["alice", "bob"]);
    assert_eq!(
        texts(&root, ".sv-pel tbody .sv-row.fresh .sv-id"),
        ["1700000000000-1"]
    );
    assert_eq!(
        text_of(&root, ".sv-live"),
        "1700000000000-1 delivered to bob in shipping."
    );
    // Claim types the command (another consumer of the group), it does not run it.
    click(&root, ".sv-pel tbody tr:first-child .sv-act.claim");
    settle().await;
    assert_eq!(
        input(&root).value(),
        "XCLAIM orders shipping bob 0 1700000000000-0"
    );
    assert_eq!(
        texts(&root, ".sv-pel tbody .sv-consumer"),
        ["alice", "bob"],
        "nothing ran"
    );
    press(&root, "Enter").await;
    assert_eq!(texts(&root, ".sv-pel tbody .sv-consumer"), ["bob", "bob"]);
    assert_eq!(
        text_of(&root, ".sv-live"),
        "1700000000000-0 claimed by bob in shipping."
    );
    click(&root, ".sv-pel tbody tr:first-child .sv-act.ack");
    settle().await;
    assert_eq!(input(&root).value(), "XACK orders shipping 1700000000000-0");
    press(&root, "Enter").await;
    assert_eq!(texts(&root, ".sv-pel tbody .sv-id"), ["1700000000000-1"]);
    assert_eq!(
        text_of(&root, ".sv-live"),
        "1700000000000-0 acknowledged in shipping."
    );
    run(&root, "XADD orders 1700000000001-0 item cup").await;
    assert_eq!(
        texts(&root, ".sv-ewin .sv-erow.fresh .sv-id"),
        ["1700000000001-0"]
    );

    // Only the rows in view are drawn, whatever the stream's size; scrolling draws
    // others.
    // (The test page has no stylesheet: give the scroller the height main.css gives it.)
    let scroller: HtmlElement = root
        .query_selector(".sv-escroll")
        .unwrap()
        .expect("the entries scroller")
        .unchecked_into();
    scroller.style().set_property("height", "280px").unwrap();
    scroller.style().set_property("overflow-y", "auto").unwrap();
    scroller
        .dispatch_event(&web_sys::Event::new("scroll").unwrap())
        .unwrap();
    run(
        &root,
        "EVAL \"for i = 1, 2000 do redis.call('XADD', KEYS[1], '*', 'n', i) end\" 1 orders",
    )
    .await;
    let drawn = root
        .query_selector_all(".sv-ewin .sv-erow")
        .unwrap()
        .length();
    assert!((10..80).contains(&drawn), "{drawn} rows drawn of 2003");
    scroller.set_scroll_top(10_000_000);
    scroller
        .dispatch_event(&web_sys::Event::new("scroll").unwrap())
        .unwrap();
    settle().await;
    let ids = texts(&root, ".sv-ewin .sv-id");
    assert_eq!(
        ids.last().map(String::as_str),
        Some("1700000000000-0"),
        "the oldest at the bottom"
    );
    assert!(ids.len() < 80);
    // Jump to an ID: it is drawn and ringed.
    let jump: HtmlInputElement = root
        .query_selector(".sv-jump-input")
        .unwrap()
        .expect("the jump box")
        .unchecked_into();
    jump.set_value("1700000000000-1");
    jump.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    click(&root, ".sv-jump-go");
    settle().await;
    assert_eq!(
        texts(&root, ".sv-ewin .sv-erow.target .sv-id"),
        ["1700000000000-1"]
    );
    // A deleted entry in view is shown once more, struck out.
    run(&root, "XDEL orders 1700000000000-1").await;
    assert_eq!(
        texts(&root, ".sv-ewin .sv-erow.gone.deleted .sv-id"),
        ["1700000000000-1"]
    );
    run(&root, "XADD orders * item lamp").await;
    assert!(
        texts(&root, ".sv-ewin .sv-erow.gone").is_empty(),
        "until the next change"
    );
    jump.set_value("not a time");
    jump.dispatch_event(&web_sys::Event::new("input").unwrap())
        .unwrap();
    click(&root, ".sv-jump-go");
    settle().await;
    assert!(text_of(&root, ".sv-jump-said").starts_with("\"not a time\" is neither"));

    click(&root, ".sv-back");
    settle().await;
    assert!(root.query_selector(".stream-view").unwrap().is_none());
    assert_eq!(texts(&root, ".key-list .key .name"), ["orders"]);
}

#[wasm_bindgen_test]
async fn the_theme_switch_and_the_splitter_remember_the_learners_choice() {
    let root = mount().await;
    let html = document().document_element().unwrap();
    let before = html.get_attribute("data-theme").unwrap_or_default();
    assert!(before == "dark" || before == "light", "{before:?}");
    click(&root, ".theme-toggle");
    settle().await;
    let after = html.get_attribute("data-theme").unwrap_or_default();
    assert_ne!(after, before);
    let saved = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("redis-playground:theme")
        .unwrap();
    assert_eq!(saved.as_deref(), Some(after.as_str()));
    assert_eq!(
        root.query_selector(".theme-toggle")
            .unwrap()
            .unwrap()
            .get_attribute("aria-pressed")
            .as_deref(),
        Some(if after == "light" { "true" } else { "false" })
    );

    // The splitter: arrow keys widen the visualisation pane and the width is kept.
    let splitter: HtmlElement = root
        .query_selector(".splitter")
        .unwrap()
        .expect("the splitter")
        .unchecked_into();
    assert_eq!(splitter.get_attribute("role").as_deref(), Some("separator"));
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("ArrowLeft");
    init.set_bubbles(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    splitter.dispatch_event(&ev).unwrap();
    settle().await;
    let width: f64 = splitter
        .get_attribute("aria-valuenow")
        .expect("a width once moved")
        .parse()
        .unwrap();
    assert!(width >= 260.0, "{width}");
    let saved = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("redis-playground:visual-width")
        .unwrap();
    assert_eq!(saved, Some(width.to_string()));
    let panes = root.query_selector(".panes").unwrap().unwrap();
    assert!(panes.class_list().contains("sized"));
    // A double click goes back to the layout's own width.
    splitter
        .dispatch_event(&web_sys::Event::new("dblclick").unwrap())
        .unwrap();
    settle().await;
    assert!(!panes.class_list().contains("sized"));
}

/// Clicks the browser row whose name is `name`.
async fn click_row(root: &Element, name: &str) {
    let rows = root.query_selector_all(".key-list .key").unwrap();
    for i in 0..rows.length() {
        let row: HtmlElement = rows.item(i).unwrap().unchecked_into();
        let label = row
            .query_selector(".name")
            .unwrap()
            .and_then(|n| n.text_content())
            .unwrap_or_default();
        if label == name {
            row.click();
            settle().await;
            return;
        }
    }
    panic!(
        "no row {name:?} in {:?}",
        texts(root, ".key-list .key .name")
    );
}

#[wasm_bindgen_test]
async fn the_key_tree_groups_keys_by_colon_and_expands_with_the_keyboard() {
    let root = mount().await;
    for line in ["SET a:b:c 1", "SET a:b:d 2", "SET a:x 3", "SET top v"] {
        run(&root, line).await;
    }
    assert_eq!(texts(&root, ".key-list .key .name"), ["a", "top"]);
    assert_eq!(texts(&root, ".key-list .key.folder .folder-count"), ["3"]);
    let tree = root.query_selector(".key-list").unwrap().unwrap();
    assert_eq!(tree.get_attribute("role").as_deref(), Some("tree"));
    let folder = root
        .query_selector(".key-list .key.folder")
        .unwrap()
        .unwrap();
    assert_eq!(
        folder.get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    click_row(&root, "a").await;
    assert_eq!(texts(&root, ".key-list .key .name"), ["a", "b", "x", "top"]);
    let levels: Vec<String> = {
        let l = root.query_selector_all(".key-list .key").unwrap();
        (0..l.length())
            .map(|i| {
                l.item(i)
                    .unwrap()
                    .unchecked_into::<Element>()
                    .get_attribute("aria-level")
                    .unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(levels, ["1", "2", "2", "1"]);
    // The keyboard: down to "b", right opens it.
    let tree: HtmlElement = tree.unchecked_into();
    let keydown = |k: &str| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key(k);
        init.set_bubbles(true);
        tree.dispatch_event(
            &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
    };
    keydown("ArrowDown");
    settle().await;
    keydown("ArrowRight");
    settle().await;
    assert_eq!(
        texts(&root, ".key-list .key .name"),
        ["a", "b", "c", "d", "x", "top"]
    );
    assert_eq!(text_of(&root, ".key-list .key.active .name"), "b");
    // A new key under an open folder appears there; a deleted one goes.
    run(&root, "SET a:b:e 5").await;
    run(&root, "DEL a:x").await;
    assert_eq!(
        texts(&root, ".key-list .key .name"),
        ["a", "b", "c", "d", "e", "top"]
    );
    // The flat list shows whole names; the type filter narrows it.
    run(&root, "RPUSH a:l x").await;
    click(&root, ".layout-flat");
    settle().await;
    assert_eq!(
        texts(&root, ".key-list .key .name"),
        ["a:b:c", "a:b:d", "a:b:e", "a:l", "top"]
    );
    let types: HtmlInputElement = root
        .query_selector("select.type-filter")
        .unwrap()
        .unwrap()
        .unchecked_into();
    types.set_value("list");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    types
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    settle().await;
    assert_eq!(texts(&root, ".key-list .key .name"), ["a:l"]);
    assert_eq!(texts(&root, ".key-list .key .badge"), ["list"]);
}

#[wasm_bindgen_test]
async fn each_type_opens_its_view_with_its_rows() {
    let root = mount().await;
    for line in [
        "HSET h name ann age 3",
        "RPUSH l first second third",
        "SADD s 7",
        "ZADD z 3 c 1 a 2 b",
        "SET str \"hi there\"",
    ] {
        run(&root, line).await;
    }
    click(&root, ".layout-flat");
    settle().await;

    click_row(&root, "h").await;
    assert_eq!(text_of(&root, ".value-view .badge"), "hash");
    assert_eq!(texts(&root, ".vv-hash tbody .vv-field"), ["name", "age"]);
    assert_eq!(texts(&root, ".vv-hash tbody .vv-val"), ["ann", "3"]);
    click(&root, ".vv-hash tbody tr:first-child .vv-act");
    settle().await;
    assert_eq!(
        input(&root).value(),
        "HGET h name",
        "a row's button types its command"
    );
    click(&root, ".vv-cmd");
    settle().await;
    assert_eq!(input(&root).value(), "HGETALL h");
    // The view follows the key: a new field, then the key deleted.
    run(&root, "HSET h city paris").await;
    assert_eq!(
        texts(&root, ".vv-hash tbody .vv-field"),
        ["name", "age", "city"]
    );
    run(&root, "DEL h").await;
    assert_eq!(text_of(&root, ".vv-gone"), "This key no longer exists.");
    click(&root, ".vv-back");
    settle().await;

    click_row(&root, "l").await;
    assert_eq!(
        texts(&root, ".vv-list tbody .vv-val"),
        ["first", "second", "third"]
    );
    assert_eq!(texts(&root, ".vv-list tbody .vv-index"), ["0", "1", "2"]);
    assert_eq!(texts(&root, ".vv-list tbody .vv-tag"), ["head", "tail"]);
    click(&root, ".vv-back");
    settle().await;

    click_row(&root, "s").await;
    assert_eq!(texts(&root, ".vv-set tbody .vv-val"), ["7"]);
    assert_eq!(text_of(&root, ".vv-encoding"), "intset");
    click(&root, ".vv-back");
    settle().await;

    click_row(&root, "z").await;
    assert_eq!(
        texts(&root, ".vv-zset tbody .vv-val"),
        ["a", "b", "c"],
        "by rank"
    );
    assert_eq!(texts(&root, ".vv-zset tbody .vv-score"), ["1", "2", "3"]);
    let widths: Vec<String> = {
        let l = root.query_selector_all(".vv-zset .vv-bar").unwrap();
        (0..l.length())
            .map(|i| {
                l.item(i)
                    .unwrap()
                    .unchecked_into::<Element>()
                    .get_attribute("style")
                    .unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(widths, ["width:0.0%", "width:50.0%", "width:100.0%"]);
    click(&root, ".vv-back");
    settle().await;

    click_row(&root, "str").await;
    assert_eq!(text_of(&root, ".vv-string"), "\"hi there\"");
    assert_eq!(text_of(&root, ".vv-length"), "8 bytes");
    run(&root, "EXPIRE str 100").await;
    assert!(
        text_of(&root, ".vv-ttl").starts_with("1m 4"),
        "{}",
        text_of(&root, ".vv-ttl")
    );

    // A big list pages 100 rows at a time.
    click(&root, ".vv-back");
    settle().await;
    run(
        &root,
        "EVAL \"for i=1,250 do redis.call('RPUSH','big',i) end\" 0",
    )
    .await;
    sleep(Duration::from_millis(300)).await;
    click_row(&root, "big").await;
    assert_eq!(
        root.query_selector_all(".vv-list tbody tr")
            .unwrap()
            .length(),
        100
    );
    click(&root, ".vv-next");
    settle().await;
    click(&root, ".vv-next");
    settle().await;
    assert_eq!(
        texts(&root, ".vv-list tbody .vv-index")
            .first()
            .map(String::as_str),
        Some("200")
    );
    assert_eq!(text_of(&root, ".vv-range"), "201–250 of 250");
    click(&root, ".vv-first");
    settle().await;
    assert_eq!(
        texts(&root, ".vv-list tbody .vv-index")
            .first()
            .map(String::as_str),
        Some("0")
    );
    click(&root, ".vv-last");
    settle().await;
    assert_eq!(text_of(&root, ".vv-range"), "201–250 of 250");
}

/// Forgets the program tabs a previous test saved (they come back on mount).
fn forget_saved_programs() {
    if let Some(storage) = web_sys::window().unwrap().local_storage().unwrap() {
        storage.remove_item("redis-playground:programs").unwrap();
    }
}

/// Opens the "+ program" menu's item for `file` and shows its tab.
async fn open_program(root: &Element, file: &str) {
    click(root, ".program-new");
    settle().await;
    let items = root.query_selector_all(".pm-item").unwrap();
    let item = (0..items.length())
        .filter_map(|i| items.item(i))
        .find(|e| e.text_content().unwrap_or_default().starts_with(file))
        .unwrap_or_else(|| panic!("no menu item {file}"));
    item.unchecked_into::<HtmlElement>().click();
    settle().await;
}

/// The integer a console command printed, as `(integer) N`.
async fn integer(root: &Element, line: &str) -> i64 {
    run(root, line).await;
    let reply = last_entries(root, 1).concat();
    reply
        .trim()
        .strip_prefix("(integer) ")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}: {reply}"))
}

#[wasm_bindgen_test]
async fn the_producer_template_fills_the_stream_as_the_time_bar_steps_a_minute() {
    forget_saved_programs();
    let root = mount().await;
    // Paused, time moves only by the bar's steps: the count is exact.
    click(&root, ".tb-pause");
    settle().await;
    assert!(text_of(&root, ".tb-note").starts_with("Paused"));
    open_program(&root, "producer.lua").await;
    assert_eq!(text_of(&root, ".program-state"), "ready");
    click(&root, ".pb-run");
    settle().await;
    assert!(
        text_of(&root, ".program-state").starts_with("sleeping until"),
        "{}",
        text_of(&root, ".program-state")
    );
    assert!(text_of(&root, ".program-log").contains("added order\t1\t"));

    click(&root, ".tab:first-child .tab-name");
    settle().await;
    let before = integer(&root, "XLEN orders").await;
    assert_eq!(before, 1, "the first order is added when it starts");
    // A second console waits for the next order: the producer wakes it.
    click(&root, ".tab-new");
    settle().await;
    run(&root, "XREAD BLOCK 0 STREAMS orders $").await;
    assert_eq!(root.query_selector_all(".tab.waiting").unwrap().length(), 1);
    click(&root, ".tb-step[aria-label='Advance 1 minute']");
    settle().await;
    assert_eq!(root.query_selector_all(".tab.waiting").unwrap().length(), 0);
    let woken = last_entries(&root, 1).concat();
    assert!(
        woken.contains("\"order\"\n") && woken.contains("2) \"2\""),
        "{woken}"
    );
    // One order every 5 seconds.
    assert_eq!(integer(&root, "XLEN orders").await, before + 12);
    assert!(text_of(&root, ".tb-note").starts_with("Paused"));
    // The console's commands see the virtual clock: the newest ID is a minute later.
    run(&root, "XREVRANGE orders + - COUNT 1").await;
    let newest = last_entries(&root, 1).concat();
    let first_ms: i64 = newest
        .split('"')
        .nth(1)
        .and_then(|id| id.split('-').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0);
    run(&root, "XRANGE orders - + COUNT 1").await;
    let oldest = last_entries(&root, 1).concat();
    let last_ms: i64 = oldest
        .split('"')
        .nth(1)
        .and_then(|id| id.split('-').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0);
    assert_eq!(first_ms - last_ms, 60_000, "{newest} {oldest}");
    forget_saved_programs();
}

#[wasm_bindgen_test]
async fn a_program_with_a_syntax_error_shows_luas_message() {
    forget_saved_programs();
    let root = mount().await;
    open_program(&root, "program.lua").await;
    let source = "local x = = 1";
    let editor: web_sys::HtmlTextAreaElement = root
        .query_selector("textarea.program-editor")
        .unwrap()
        .expect("the editor")
        .unchecked_into();
    editor.set_value(source);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    editor.dispatch_event(&ev).unwrap();
    settle().await;
    click(&root, ".pb-run");
    settle().await;
    // What Lua itself says of this source.
    let clock = redis_emulator::ManualClock::new(0);
    let mut engine = redis_emulator::Engine::new(Box::new(clock), 1);
    let expected = redis_programs::Programs::new()
        .start(&mut engine, "program.lua", source)
        .expect_err("a compile error");
    assert_eq!(text_of(&root, ".program-error"), expected);
    assert_eq!(text_of(&root, ".program-state"), "ready", "nothing runs");
    // The draft is kept for the next visit, with its tab.
    let saved = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .and_then(|s| s.get_item("redis-playground:programs").unwrap())
        .unwrap_or_default();
    assert!(saved.ends_with(source), "{saved}");
    let again = mount().await;
    assert_eq!(texts(&again, ".program-tab .tab-name"), ["λprogram.lua"]);
    forget_saved_programs();
}
#[wasm_bindgen_test]
async fn the_clients_and_activity_tabs_follow_a_subscribe_and_a_publish_from_two_tabs() {
    let root = mount().await;
    click(&root, ".tab-new");
    settle().await;
    run(&root, "SUBSCRIBE news").await;
    click(&root, ".tab:first-child .tab-name");
    settle().await;
    run(&root, "PUBLISH news hello").await;
    assert_eq!(last_entries(&root, 1), vec!["(integer) 1\n".to_string()]);

    click(&root, "#pane-tab-clients");
    settle().await;
    assert_eq!(
        root.query_selector("#pane-tab-clients")
            .unwrap()
            .unwrap()
            .get_attribute("aria-selected")
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        texts(&root, ".cl-table tbody .cl-tab"),
        ["redis-cli 1", "redis-cli 2"],
        "each tab is a client"
    );
    assert_eq!(
        texts(&root, ".cl-table tbody tr:nth-child(2) .cl-sub"),
        ["subscribedchannels news"]
    );
    assert_eq!(texts(&root, ".ps-table tbody .ps-name"), ["news"]);
    assert_eq!(texts(&root, ".ps-table tbody .ps-subs"), ["redis-cli 2"]);
    assert_eq!(
        text_of(&root, ".flow-latest"),
        "PUBLISH news hello → 1 receiver: redis-cli 2"
    );

    click(&root, "#pane-tab-activity");
    sleep(Duration::from_millis(100)).await;
    // Rows are placed by their `top`: read them in that order.
    let list = root.query_selector_all(".ac-row").unwrap();
    let mut rows: Vec<(f64, String, String)> = (0..list.length())
        .map(|i| {
            let row: Element = list.item(i).unwrap().unchecked_into();
            let style = row.get_attribute("style").unwrap_or_default();
            let top = style
                .trim_start_matches("top:")
                .trim()
                .trim_end_matches("px")
                .parse()
                .unwrap_or(0.0);
            let who = row
                .query_selector(".ac-who")
                .unwrap()
                .unwrap()
                .text_content()
                .unwrap_or_default();
            let line = row
                .query_selector(".ac-line")
                .unwrap()
                .unwrap()
                .text_content()
                .unwrap_or_default();
            (top, who, line)
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let shown: Vec<(String, String)> = rows.into_iter().map(|(_, w, l)| (w, l)).collect();
    assert_eq!(
        shown,
        [
            ("redis-cli 2", "SUBSCRIBE news"),
            ("redis-cli 1", "PUBLISH news hello")
        ]
        .map(|(w, l)| (w.to_string(), l.to_string()))
    );
}

#[wasm_bindgen_test]
async fn the_screen_draws_the_newest_entries_and_shows_earlier_ones_on_request() {
    let root = mount().await;
    run(&root, "clear").await;
    // 150 commands, 300 entries: the screen draws the newest 200.
    for i in 0..150 {
        run(&root, &format!("ECHO line{i}")).await;
    }
    assert_eq!(entries(&root).len(), 200);
    assert_eq!(
        last_entries(&root, 1),
        ["\"line149\"\n"],
        "the newest is on screen"
    );
    let button = text_of(&root, ".show-earlier");
    assert_eq!(button, "Show earlier output (100 more lines)");
    click(&root, ".show-earlier");
    settle().await;
    assert_eq!(entries(&root).len(), 300);
    assert!(root.query_selector(".show-earlier").unwrap().is_none());
}

/// The buttons matching `selector` whose text starts with `text`.
fn button_with_text(root: &Element, selector: &str, text: &str) -> HtmlElement {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .find(|e| e.text_content().unwrap_or_default().contains(text))
        .unwrap_or_else(|| panic!("no {selector} with {text}"))
        .unchecked_into()
}

#[wasm_bindgen_test]
async fn an_exercise_step_turns_its_goals_green_as_the_console_runs_its_commands() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage
        .set_item("redis-playground:exercise-open", "first-steps")
        .unwrap();
    storage
        .remove_item("redis-playground:exercise-progress:first-steps")
        .unwrap();
    let root = mount().await;
    // Later mounts must not open it again.
    storage
        .remove_item("redis-playground:exercise-open")
        .unwrap();
    assert_eq!(
        text_of(&root, ".guide-title"),
        "First steps with the playground"
    );
    assert_eq!(text_of(&root, ".guide-progress"), "Introduction · 0/4 done");
    button_with_text(&root, ".guide-next", "Start").click();
    settle().await;
    assert_eq!(text_of(&root, ".guide-step-title"), "Store a string");
    assert_eq!(root.query_selector_all(".goal.ok").unwrap().length(), 0);

    // A click pastes the command into the console; Enter runs it.
    button_with_text(&root, ".cmd-line", "SET greeting").click();
    settle().await;
    assert_eq!(input(&root).value(), "SET greeting \"Hello, Redis\"");
    press(&root, "Enter").await;
    assert_eq!(last_entries(&root, 1).concat().trim(), "OK");
    assert_eq!(root.query_selector_all(".goal.ok").unwrap().length(), 1);
    run(&root, "GET greeting").await;
    assert_eq!(root.query_selector_all(".goal.ok").unwrap().length(), 2);
    assert_eq!(text_of(&root, ".guide-complete"), "Step complete ✓");
    assert_eq!(
        storage
            .get_item("redis-playground:exercise-progress:first-steps")
            .unwrap()
            .as_deref(),
        Some("v1 step=0 done=1000"),
        "progress is saved as steps get done"
    );
    // The goals ran no command that shows: INFO counts the learner's one GET only.
    run(&root, "INFO commandstats").await;
    let stats = last_entries(&root, 1).concat();
    assert!(stats.contains("cmdstat_get:calls=1,"), "{stats}");
    storage
        .remove_item("redis-playground:exercise-progress:first-steps")
        .unwrap();
}

#[wasm_bindgen_test]
async fn the_jobs_tab_shows_a_kue_queue_and_follows_its_keys() {
    let root = mount().await;
    // An empty keyspace, whatever ran before in this page.
    run(&root, "FLUSHALL").await;
    click(&root, "#pane-tab-jobs");
    settle().await;
    assert!(text_of(&root, ".jobs-empty").contains("No job queue yet"));
    for line in [
        "SADD q:job:types email",
        "INCR q:ids",
        "HSET q:job:1 type email data '{\"to\":\"ada\"}' state active progress 30 attempts 0 max_attempts 2 priority -10",
        "ZADD q:jobs:active -10 01|1",
    ] {
        run(&root, line).await;
    }
    settle().await;
    assert_eq!(
        texts(&root, ".jobs-state-count"),
        ["0", "1", "0", "0", "0"],
        "queued, active, failed, complete, delayed"
    );
    click(&root, ".jobs-state[data-state=\"active\"]");
    settle().await;
    assert_eq!(texts(&root, ".job-id"), ["#1 email"]);
    assert_eq!(texts(&root, ".job-priority"), ["high"]);
    let bar = root.query_selector(".job-bar").unwrap().unwrap();
    assert_eq!(bar.get_attribute("aria-valuenow").as_deref(), Some("30"));
    run(&root, "HSET q:job:1 progress 80").await;
    settle().await;
    let bar = root.query_selector(".job-bar").unwrap().unwrap();
    assert_eq!(bar.get_attribute("aria-valuenow").as_deref(), Some("80"));
    run(&root, "FLUSHALL").await;
    click(&root, "#pane-tab-keys");
    settle().await;
}
