//! The declarative command table against what a real redis-server 7.0 reports about the
//! same commands (recorded by scripts/record-command-table.py): arity, flags, key
//! positions, ACL categories, and the documentation fields HELP and hints show.

use redis_emulator::table::{self, CommandSpec};
use serde_json::Value;

fn recorded() -> Value {
    serde_json::from_str(include_str!("data/command-table.json")).expect("valid recording")
}

fn specs() -> Vec<(String, &'static CommandSpec)> {
    let mut out = Vec::new();
    for c in table::all() {
        out.push((c.name.to_string(), *c));
        for s in c.subcommands {
            out.push((format!("{}|{}", c.name, s.name), s));
        }
    }
    out
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_command_is_recorded() {
    let rec = recorded();
    for (name, _) in specs() {
        assert!(
            rec["info"].get(&name).is_some_and(|v| !v.is_null()),
            "{name} is not in the recording: re-record"
        );
    }
}

#[test]
fn arity_flags_keys_and_categories_match_redis() {
    let rec = recorded();
    let mut diffs = Vec::new();
    for (name, spec) in specs() {
        let info = &rec["info"][&name];
        let mut check = |what: &str, ours: String, theirs: String| {
            if ours != theirs {
                diffs.push(format!("{name} {what}: ours {ours}, redis {theirs}"));
            }
        };
        check("arity", spec.arity.to_string(), info[1].to_string());
        check(
            "flags",
            format!("{:?}", spec.flag_names()),
            format!("{:?}", strings(&info[2])),
        );
        check(
            "keys",
            format!("{} {} {}", spec.first_key, spec.last_key, spec.step),
            format!("{} {} {}", info[3], info[4], info[5]),
        );
        let acl: Vec<String> = spec.acl.iter().map(|a| format!("@{a}")).collect();
        check(
            "acl",
            format!("{acl:?}"),
            format!("{:?}", strings(&info[6])),
        );
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn documentation_matches_redis() {
    let rec = recorded();
    let mut diffs = Vec::new();
    for (name, spec) in specs() {
        let doc = match name.split_once('|') {
            None => &rec["docs"][&name],
            Some((parent, _)) => &rec["docs"][parent]["subcommands"][&name],
        };
        for (field, ours) in [
            ("summary", spec.summary),
            ("since", spec.since),
            ("group", spec.group),
            ("complexity", spec.complexity),
        ] {
            let theirs = doc[field].as_str().unwrap_or("");
            if ours != theirs {
                diffs.push(format!("{name} {field}: ours {ours:?}, redis {theirs:?}"));
            }
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
