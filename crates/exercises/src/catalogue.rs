//! The exercises built into the page: the files of the repository's `exercises/`
//! directory. Natively (tests, tools) their texts are compiled in; the page fetches them
//! as files beside it (trunk copies the directory; the service worker keeps them for
//! offline use), so they don't weigh on the WebAssembly the page must load first.

use crate::format::{parse, Exercise, FormatError};

/// The file names of the built-in exercises (in `exercises/`), in no particular order
/// (the catalogue sorts by each file's `order`). Tests check it against the directory.
pub const FILE_NAMES: &[&str] = &[
    "first-steps.md",
    "pto-requests.md",
    "streams-guide.md",
    "delay-queue.md",
    "queuing-basics.md",
    "job-queue.md",
    "express-redis.md",
    "orders-api.md",
];

/// `(file name, text)` of every built-in exercise, compiled in (not in the page's wasm).
#[cfg(not(target_arch = "wasm32"))]
pub const FILES: &[(&str, &str)] = &[
    (
        "first-steps.md",
        include_str!("../../../exercises/first-steps.md"),
    ),
    (
        "pto-requests.md",
        include_str!("../../../exercises/pto-requests.md"),
    ),
    (
        "streams-guide.md",
        include_str!("../../../exercises/streams-guide.md"),
    ),
    (
        "delay-queue.md",
        include_str!("../../../exercises/delay-queue.md"),
    ),
    (
        "queuing-basics.md",
        include_str!("../../../exercises/queuing-basics.md"),
    ),
    (
        "job-queue.md",
        include_str!("../../../exercises/job-queue.md"),
    ),
    (
        "express-redis.md",
        include_str!("../../../exercises/express-redis.md"),
    ),
    (
        "orders-api.md",
        include_str!("../../../exercises/orders-api.md"),
    ),
];

/// The built-in exercises that parse, sorted for the catalogue, and the problems of
/// those that do not (a broken built-in file is a bug the tests catch; the page still
/// shows the others).
#[cfg(not(target_arch = "wasm32"))]
pub fn built_in() -> (Vec<Exercise>, Vec<(String, Vec<FormatError>)>) {
    from_files(FILES.iter().copied())
}

/// The exercises of `(file name, text)` pairs that parse, sorted for the catalogue, and
/// the problems of those that do not.
pub fn from_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Vec<Exercise>, Vec<(String, Vec<FormatError>)>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (name, text) in files {
        match parse(text) {
            Ok(exercise) => good.push(exercise),
            Err(errors) => bad.push((name.to_string(), errors)),
        }
    }
    sort(&mut good);
    (good, bad)
}

/// Catalogue order: by `order`, then title; files without an order last.
pub fn sort(exercises: &mut [Exercise]) {
    exercises.sort_by(|a, b| {
        (a.order.is_none(), a.order, &a.title).cmp(&(b.order.is_none(), b.order, &b.title))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_the_directory_is_built_in_and_parses() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../exercises");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".md"))
                    .collect()
            })
            .unwrap_or_default();
        on_disk.sort();
        let mut listed: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(listed, on_disk, "catalogue::FILES lists exercises/*.md");
        let mut names: Vec<String> = FILE_NAMES.iter().map(|n| n.to_string()).collect();
        names.sort();
        assert_eq!(names, on_disk, "catalogue::FILE_NAMES lists exercises/*.md");
        let (good, bad) = built_in();
        assert!(bad.is_empty(), "{bad:?}");
        let mut ids: Vec<&str> = good.iter().map(|e| e.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), good.len(), "ids are unique");
    }
}
