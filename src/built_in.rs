//! The built-in exercises as the page has them.
//!
//! Natively (tests, tools) they are compiled in (`redis_exercises::catalogue::built_in`).
//! In the page they are files beside it (`exercises/*.md`, copied by trunk), fetched all
//! at once before the app mounts (`fetch_all`): they are content, not code, so they don't
//! weigh on the WebAssembly every visitor loads first, and the service worker keeps them
//! for offline use like the page's other files. A file that can't be fetched or read is
//! a problem the Exercises menu lists; the others are there.

use std::cell::RefCell;

use redis_exercises::{catalogue, format::FormatError, Exercise};

/// The exercises that parsed (catalogue order) and the files that did not load or parse.
type Loaded = (Vec<Exercise>, Vec<(String, Vec<FormatError>)>);

thread_local! {
    static LOADED: RefCell<Option<Loaded>> = const { RefCell::new(None) };
}

/// From now on the built-in exercises are these files (`(file name, text)`), plus the
/// problems of files that could not be fetched.
pub fn install(files: &[(String, String)], unreadable: Vec<(String, Vec<FormatError>)>) {
    let (good, mut bad) =
        catalogue::from_files(files.iter().map(|(n, t)| (n.as_str(), t.as_str())));
    bad.extend(unreadable);
    LOADED.with(|l| *l.borrow_mut() = Some((good, bad)));
}

fn with_loaded<R>(f: impl FnOnce(&Loaded) -> R) -> R {
    LOADED.with(|l| {
        let mut l = l.borrow_mut();
        f(l.get_or_insert_with(compiled_in))
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn compiled_in() -> Loaded {
    catalogue::built_in()
}

/// In the page nothing is compiled in: until `fetch_all` (or a test) installs the files,
/// there are none.
#[cfg(target_arch = "wasm32")]
fn compiled_in() -> Loaded {
    (Vec::new(), Vec::new())
}

/// The built-in exercises, in catalogue order.
pub fn exercises() -> Vec<Exercise> {
    with_loaded(|(good, _)| good.clone())
}

/// The built-in exercise called `id`.
pub fn find(id: &str) -> Option<Exercise> {
    with_loaded(|(good, _)| good.iter().find(|e| e.id == id).cloned())
}

/// Files that could not be fetched or parsed, with why.
pub fn problems() -> Vec<(String, Vec<FormatError>)> {
    with_loaded(|(_, bad)| bad.clone())
}

/// Starts fetching every built-in exercise file now (all requests in flight at once);
/// the future installs them. Relative URLs: the page works under any sub-path. Natively
/// (the files are compiled in) it does nothing.
pub fn fetch_all() -> impl std::future::Future<Output = ()> {
    let pending: Vec<(&str, _)> = if cfg!(target_arch = "wasm32") {
        catalogue::FILE_NAMES
            .iter()
            .map(|name| (*name, crate::web::start_fetch(&format!("exercises/{name}"))))
            .collect()
    } else {
        Vec::new()
    };
    async move {
        if pending.is_empty() {
            return;
        }
        let mut files = Vec::new();
        let mut unreadable = Vec::new();
        for (name, request) in pending {
            match crate::web::fetched_text(request, name).await {
                Ok(text) => files.push((name.to_string(), text)),
                Err(message) => {
                    unreadable.push((name.to_string(), vec![FormatError { line: 0, message }]))
                }
            }
        }
        install(&files, unreadable);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_files_replace_the_compiled_in_ones_and_problems_are_kept() {
        assert!(find("first-steps").is_some());
        let text = "---\nid: mine\ntitle: Mine\n---\n## A\n```redis\nPING\n```\n";
        install(
            &[
                ("mine.md".into(), text.into()),
                ("broken.md".into(), "no front matter".into()),
            ],
            vec![(
                "gone.md".into(),
                vec![FormatError {
                    line: 0,
                    message: "offline".into(),
                }],
            )],
        );
        let ids: Vec<String> = exercises().into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["mine"]);
        assert!(find("first-steps").is_none());
        let names: Vec<String> = problems().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["broken.md", "gone.md"]);
        LOADED.with(|l| *l.borrow_mut() = None);
    }
}
