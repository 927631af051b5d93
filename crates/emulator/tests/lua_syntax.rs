//! Every script of the scripting golden cases goes through the Lua 5.1 front end
//! (crates/lua) and back: parse -> print -> parse gives the same tree, and printing again
//! gives the same text (the printer is what rewritten scripts are run from).

use lua51::syntax::{ast::Block, parse, print::print, Chunk};
use redis_emulator::cli::split_args;

/// The EVAL and SCRIPT LOAD bodies of the scripting case files.
fn case_scripts() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/cases");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    let mut scripts = Vec::new();
    for path in paths {
        if !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("scripting"))
        {
            continue;
        }
        let text = std::fs::read(&path).unwrap_or_default();
        for line in text.split(|&b| b == b'\n') {
            let Some(args) = split_args(line) else {
                continue;
            };
            let Some(cmd) = args.first().map(|a| a.to_ascii_uppercase()) else {
                continue;
            };
            if cmd == b"EVAL" || cmd == b"EVAL_RO" {
                scripts.extend(args.get(1).cloned());
            } else if cmd == b"SCRIPT"
                && args.get(1).is_some_and(|a| a.eq_ignore_ascii_case(b"load"))
            {
                scripts.extend(args.get(2).cloned());
            }
        }
    }
    scripts
}

fn statement_lines(chunk: &Chunk) -> Vec<u32> {
    fn block(b: &Block, out: &mut Vec<u32>) {
        out.extend(b.stats.iter().map(|s| s.line));
    }
    let mut out = Vec::new();
    block(&chunk.block, &mut out);
    out
}

fn round_trip(src: &[u8]) {
    let Ok(first) = parse(src) else { return };
    let printed = print(&first);
    let second = parse(printed.as_bytes())
        .unwrap_or_else(|e| panic!("reprint does not parse: {}\n{printed}", e.text("p")));
    // A token spanning lines is printed on one; a field `goto` is printed `["goto"]`.
    let relaxed = src
        .windows(2)
        .any(|w| w == b"[[" || w == b"[=" || w == b"\\\n" || w == b"\\\r")
        || src.windows(4).any(|w| w == b"goto");
    if relaxed {
        assert_eq!(
            statement_lines(&first).len(),
            statement_lines(&second).len()
        );
    } else {
        assert!(
            first == second,
            "round trip of {:?}\n{printed}",
            String::from_utf8_lossy(src)
        );
    }
    assert_eq!(print(&second), printed);
}

#[test]
fn case_files_parse_and_round_trip() {
    let scripts = case_scripts();
    assert!(scripts.len() > 300, "{} scripts", scripts.len());
    // The golden test's stack (2 MB): deep scripts must fit in it.
    let worker = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            for s in &scripts {
                round_trip(s);
            }
        });
    assert!(
        worker.map(|h| h.join().is_ok()).unwrap_or(false),
        "a round trip failed"
    );
}
