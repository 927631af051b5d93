//! Golden tests: the emulator against recordings of a real redis-server 7.0.
//!
//! Every case file in `tests/golden/cases/` has a recording in `tests/golden/recorded/`
//! made by `scripts/record-goldens.py` (see `tests/golden/README.md`). For each case this
//! test replays the same lines three times on fresh engines, as the recorder did on fresh
//! servers: a RESP2 connection (exact reply bytes), a RESP3 connection (`HELLO 3` first,
//! exact reply bytes), and the redis-cli rendering (`cli::render_for`). It reports every
//! mismatch of a case, then fails. redis-server is not needed to run it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use redis_emulator::{cli, ClientId, ClientInfo, Engine, ManualClock, Reply};
use serde_json::Value;

/// One test per case file (a test checks that none is missing from this list).
macro_rules! golden_cases {
    ($($test:ident => $case:literal,)*) => {
        $(
            #[test]
            fn $test() {
                run_case($case);
            }
        )*
        const CASES: &[&str] = &[$($case),*];
    };
}

golden_cases! {
    golden_strings => "strings",
    golden_dump_types => "dump-types",
    golden_dump_streams => "dump-streams",
    golden_dump_restore => "dump-restore",
    golden_replica_read_only => "replica-read-only",
    golden_set_options => "set-options",
    golden_incrbyfloat => "incrbyfloat",
    golden_keys => "keys",
    golden_expire => "expire",
    golden_object => "object",
    golden_lcs => "lcs",
    golden_connection => "connection",
    golden_server => "server",
    golden_errors => "errors",
    golden_cli_quoting => "cli-quoting",
    golden_counts => "counts",
    golden_introspection => "introspection",
    golden_globs => "globs",
    golden_edge => "edge",
    golden_cli_help => "cli-help",
    golden_mix => "mix",
    golden_mix_args => "mix-args",
    golden_cli_resp3 => "cli-resp3",
    golden_info => "info",
    golden_config => "config",
    golden_eviction => "eviction",
    golden_getkeys => "getkeys",
    golden_hashes => "hashes",
    golden_hashes_encoding => "hashes-encoding",
    golden_hashes_incr => "hashes-incr",
    golden_hashes_scan => "hashes-scan",
    golden_hashes_types => "hashes-types",
    golden_hashes_help => "hashes-help",
    golden_hashes_mix => "hashes-mix",
    golden_lists => "lists",
    golden_sort => "sort",
    golden_sort_sets => "sort-sets",
    golden_sort_types => "sort-types",
    golden_lists_mix => "lists-mix",
    golden_lists_help => "lists-help",
    golden_sets => "sets",
    golden_sets_scan => "sets-scan",
    golden_sets_random => "sets-random",
    golden_sets_algebra => "sets-algebra",
    golden_sets_encoding => "sets-encoding",
    golden_sets_types => "sets-types",
    golden_zsets => "zsets",
    golden_zsets_range => "zsets-range",
    golden_zsets_ops => "zsets-ops",
    golden_sets_mix => "sets-mix",
    golden_zsets_encoding => "zsets-encoding",
    golden_zsets_more => "zsets-more",
    golden_zsets_resp3 => "zsets-resp3",
    golden_zsets_help => "zsets-help",
    golden_zsets_mix => "zsets-mix",
    golden_scripting => "scripting",
    golden_scripting_libs => "scripting-libs",
    golden_scripting_compile => "scripting-compile",
    golden_scripting_stdlib => "scripting-stdlib",
    golden_scripting_string => "scripting-string",
    golden_functions => "functions",
    golden_zsets_parse => "zsets-parse",
    golden_streams_basic => "streams-basic",
    golden_streams_trim => "streams-trim",
    golden_streams_groups => "streams-groups",
    golden_streams_time => "streams-time",
    golden_streams_blocking => "streams-blocking",
    golden_streams_transactions => "streams-transactions",
    golden_transactions => "transactions",
    golden_blocking_lists => "blocking-lists",
    golden_clients_admin => "clients-admin",
    golden_streams_recovery => "streams-recovery",
    golden_streams_seeds => "streams-seeds",
    golden_exercise_first_steps => "exercise-first-steps",
    golden_exercise_pto_requests => "exercise-pto-requests",
    golden_exercise_streams_guide => "exercise-streams-guide",
    golden_exercise_delay_queue => "exercise-delay-queue",
    golden_exercise_queuing_basics => "exercise-queuing-basics",
    golden_exercise_job_queue => "exercise-job-queue",
    golden_exercise_express_redis => "exercise-express-redis",
    golden_streams_close => "streams-close",
    golden_exercise_orders_api => "exercise-orders-api",
    golden_streams_help => "streams-help",
    golden_pubsub => "pubsub",
    golden_pubsub_notify => "pubsub-notify",
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// What redis-cli prints for a line its tokenizer rejects.
const INVALID_ARGUMENTS: &[u8] = b"Invalid argument(s)\n";

/// A line of a case file: a command with its directives (and the client that sends it,
/// `[B] ...`; `None` is client A), or a pause.
#[derive(Debug, PartialEq)]
enum Step {
    Sleep {
        line: usize,
        ms: i64,
    },
    /// `@close B`: client B's connection closes (a killed program).
    Close {
        line: usize,
        client: String,
    },
    Command {
        line: usize,
        client: Option<String>,
        cmd: String,
        sort: bool,
        skip_cli: bool,
        known_diff: Option<String>,
    },
}

/// A case file: its steps, its `@clock` (ms since the epoch) if it stops the clock, and
/// its clients in order of first use (`["A"]` unless a line names one).
#[derive(Debug, PartialEq)]
struct Case {
    steps: Vec<Step>,
    clock: Option<i64>,
    clients: Vec<String>,
    /// A line names its client: several connections, replies compared per client, no
    /// redis-cli pass.
    multi: bool,
    /// `@replica`: the server is a read-only replica (recorded with `--replicaof`).
    replica: bool,
}

/// `[B] ` at the start of a line: the client's name and the command after it.
fn client_prefix(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix('[')?;
    let end = rest.find("] ")?;
    let name = &rest[..end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    Some((name, &rest[end + 2..]))
}

/// Reads a case file with the same rules as the recorder.
fn parse_case_file(text: &str) -> Result<Case, String> {
    let mut case = Case {
        steps: Vec::new(),
        clock: None,
        clients: vec!["A".to_string()],
        multi: false,
        replica: false,
    };
    let (mut sort, mut skip_cli, mut known_diff) = (false, false, None);
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let text = raw.strip_suffix('\r').unwrap_or(raw);
        if text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        if let Some(directive) = text.strip_prefix('@') {
            let (word, rest) = directive.split_once(' ').unwrap_or((directive, ""));
            match word {
                "sleep" => {
                    let ms = rest
                        .trim()
                        .parse()
                        .map_err(|_| format!("line {line}: bad @sleep"))?;
                    case.steps.push(Step::Sleep { line, ms });
                }
                "clock" => {
                    if !case.steps.is_empty()
                        || case.clock.is_some()
                        || sort
                        || skip_cli
                        || known_diff.is_some()
                    {
                        return Err(format!(
                            "line {line}: @clock comes once, before any command or @sleep"
                        ));
                    }
                    let ms = rest.trim();
                    if ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(format!(
                            "line {line}: @clock needs a time in milliseconds since the epoch"
                        ));
                    }
                    case.clock = Some(ms.parse().map_err(|_| format!("line {line}: bad @clock"))?);
                }
                "close" => {
                    let name = rest.trim();
                    if !case.clients.iter().any(|c| c == name) {
                        return Err(format!(
                            "line {line}: @close {name}: a client closes after it sent something"
                        ));
                    }
                    case.steps.push(Step::Close {
                        line,
                        client: name.to_string(),
                    });
                }
                "replica" => {
                    if !case.steps.is_empty() || sort || skip_cli || known_diff.is_some() {
                        return Err(format!("line {line}: @replica comes before any command"));
                    }
                    case.replica = true;
                }
                "sort" => sort = true,
                "skip-cli" => skip_cli = true,
                "known-diff" => known_diff = Some(rest.trim().to_string()),
                other => return Err(format!("line {line}: unknown directive @{other}")),
            }
            continue;
        }
        let (client, cmd) = match client_prefix(text) {
            Some((name, cmd)) => {
                case.multi = true;
                if !case.clients.iter().any(|c| c == name) {
                    case.clients.push(name.to_string());
                }
                (Some(name.to_string()), cmd)
            }
            None => (None, text),
        };
        case.steps.push(Step::Command {
            line,
            client,
            cmd: cmd.to_string(),
            sort,
            skip_cli,
            known_diff: known_diff.take(),
        });
        sort = false;
        skip_cli = false;
    }
    Ok(case)
}

/// A recorded JSON string back to bytes: each character is one byte (U+0000..U+00FF).
fn bytes_of(v: &Value) -> Option<Vec<u8>> {
    let s = v.as_str()?;
    Some(
        s.chars()
            .map(|c| u8::try_from(c as u32).expect("recorded bytes are U+0000..U+00FF"))
            .collect(),
    )
}

/// One recorded step (a sleep has only `others`).
#[derive(Default)]
struct Recorded {
    argv: Option<Vec<Vec<u8>>>,
    resp2: Option<Vec<u8>>,
    resp3: Option<Vec<u8>>,
    cli: Option<Vec<u8>>,
    /// Multi-client cases: what each other client received during the step, per RESP
    /// pass (`others.resp2.B`); a client that is not listed received nothing.
    others2: BTreeMap<String, Vec<u8>>,
    others3: BTreeMap<String, Vec<u8>>,
}

fn others_of(v: &Value) -> BTreeMap<String, Vec<u8>> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), bytes_of(v).expect("recorded bytes")))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether redis-cli's tokenizer accepts the line (a rejected line is never sent).
fn argv_is_sent(cmd: &str) -> bool {
    cli::split_args(cmd.as_bytes()).is_some()
}

/// The three ways a case is replayed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Pass {
    Resp2,
    Resp3,
    Cli,
}

impl Pass {
    fn id_key(self) -> &'static str {
        match self {
            Pass::Resp2 => "resp2",
            Pass::Resp3 => "resp3",
            Pass::Cli => "cli",
        }
    }
}

struct Report {
    case: String,
    failures: Vec<String>,
    known: Vec<String>,
    commands: usize,
    checks: usize,
}

/// Runs a script that outlasted its first chunk of work to its end (Redis answers only
/// when it ends; the emulator's hosts run the rest on their ticks). True if there was one.
fn finish_script(engine: &mut Engine) -> bool {
    let running = engine.script_running();
    while engine.script_running() {
        engine.handle_timeouts();
    }
    running
}

fn run_case(case: &str) {
    let dir = golden_dir();
    let case_path = dir.join("cases").join(format!("{case}.txt"));
    let rec_path = dir.join("recorded").join(format!("{case}.json"));
    let text = std::fs::read_to_string(&case_path)
        .unwrap_or_else(|e| panic!("{}: {e}", case_path.display()));
    let parsed = parse_case_file(&text).unwrap_or_else(|e| panic!("{}: {e}", case_path.display()));
    let steps = &parsed.steps;
    let json = std::fs::read_to_string(&rec_path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (record it: python3 scripts/record-goldens.py {case})",
            rec_path.display()
        )
    });
    let doc: Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", rec_path.display()));

    // The recording must be of the case file as it is now.
    let recorded_steps = doc["steps"].as_array().expect("steps");
    let mut recorded = Vec::new();
    let mut stale = Vec::new();
    if recorded_steps.len() != steps.len() {
        stale.push(format!(
            "{} steps in the case file, {} recorded",
            steps.len(),
            recorded_steps.len()
        ));
    }
    if doc.get("clock_ms").and_then(Value::as_i64) != parsed.clock {
        stale.push(format!(
            "case file has @clock {:?}, recording has {:?}",
            parsed.clock,
            doc.get("clock_ms")
        ));
    }
    let recorded_clients: Vec<String> = match doc.get("clients").and_then(Value::as_array) {
        Some(a) => a
            .iter()
            .map(|c| c.as_str().unwrap_or("").to_string())
            .collect(),
        None => vec!["A".to_string()],
    };
    if recorded_clients != parsed.clients || doc.get("client_ids").is_some() != parsed.multi {
        stale.push(format!(
            "case file has clients {:?}, recording has {:?}",
            parsed.clients, recorded_clients
        ));
    }
    for (step, r) in steps.iter().zip(recorded_steps) {
        let as_recorded = if let Some(ms) = r.get("sleep") {
            Step::Sleep {
                line: r["line"].as_u64().unwrap_or(0) as usize,
                ms: ms.as_i64().unwrap_or(-1),
            }
        } else if let Some(name) = r.get("close") {
            Step::Close {
                line: r["line"].as_u64().unwrap_or(0) as usize,
                client: name.as_str().unwrap_or("").to_string(),
            }
        } else {
            Step::Command {
                line: r["line"].as_u64().unwrap_or(0) as usize,
                client: r.get("client").and_then(|v| v.as_str()).map(str::to_string),
                cmd: r["cmd"].as_str().unwrap_or("").to_string(),
                sort: r.get("sort").is_some_and(|v| v.as_bool() == Some(true)),
                skip_cli: r.get("skip-cli").is_some_and(|v| v.as_bool() == Some(true)),
                known_diff: r
                    .get("known-diff")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            }
        };
        if &as_recorded != step {
            stale.push(format!(
                "case file has {step:?}, recording has {as_recorded:?}"
            ));
        }
        recorded.push(Recorded {
            argv: r
                .get("argv")
                .and_then(|a| a.as_array())
                .map(|a| a.iter().map(|x| bytes_of(x).unwrap()).collect()),
            resp2: r.get("resp2").and_then(bytes_of),
            resp3: r.get("resp3").and_then(bytes_of),
            cli: r.get("cli").and_then(bytes_of),
            others2: others_of(&r["others"]["resp2"]),
            others3: others_of(&r["others"]["resp3"]),
        });
    }
    if !stale.is_empty() {
        panic!(
            "{}: the recording is stale, re-record it with `python3 scripts/record-goldens.py {case}`:\n  {}",
            rec_path.display(),
            stale.join("\n  ")
        );
    }

    let mut report = Report {
        case: case.to_string(),
        failures: Vec::new(),
        known: Vec::new(),
        commands: 0,
        checks: 0,
    };
    // A multi-client case has no redis-cli pass (redis-cli is one connection).
    let passes: &[Pass] = if parsed.multi {
        &[Pass::Resp2, Pass::Resp3]
    } else {
        &[Pass::Resp2, Pass::Resp3, Pass::Cli]
    };
    for &pass in passes {
        replay(&doc, &parsed, &recorded, pass, &mut report);
    }
    report.commands = steps
        .iter()
        .filter(|s| matches!(s, Step::Command { .. }))
        .count();

    eprintln!(
        "golden {}: {} commands, {} comparisons, {} mismatches, {} known differences",
        report.case,
        report.commands,
        report.checks,
        report.failures.len(),
        report.known.len()
    );
    for k in &report.known {
        eprintln!("{k}");
    }
    if !report.failures.is_empty() {
        for f in &report.failures {
            eprintln!("{f}");
        }
        panic!(
            "{}: {} mismatches against the recording (see above)",
            report.case,
            report.failures.len()
        );
    }
}

/// The engine's clients for a pass, with the ids the recorder's connections had (its
/// server chose them; connections it made before count), so HELLO and CLIENT ID replies
/// match: ids below the wanted one are taken and given back.
fn connect_clients(engine: &mut Engine, doc: &Value, case: &Case, pass: Pass) -> Vec<ClientId> {
    let key = pass.id_key();
    let wanted: Vec<u64> = if case.multi {
        case.clients
            .iter()
            .map(|name| doc["client_ids"][key][name].as_u64().expect("client_ids"))
            .collect()
    } else {
        vec![doc["client_id"][key].as_u64().expect("client_id")]
    };
    let mut spare = Vec::new();
    let mut clients = Vec::new();
    for w in wanted {
        let client = loop {
            let id = engine.connect(ClientInfo::default());
            if id >= w {
                break id;
            }
            spare.push(id);
        };
        clients.push(client);
    }
    for id in spare {
        engine.disconnect(id);
    }
    clients
}

/// What a client received outside its own `execute` calls (a blocked command served or
/// timed out), as its connection's bytes.
fn drain(engine: &mut Engine, client: ClientId) -> Vec<u8> {
    let mut out = Vec::new();
    for reply in engine.drain_outbox(client) {
        out.extend_from_slice(&reply.to_resp(engine.protocol(client)));
    }
    out
}

/// Replays a case on a fresh engine, as the recorder did on a fresh server.
fn replay(doc: &Value, case: &Case, recorded: &[Recorded], pass: Pass, report: &mut Report) {
    // Each pass ran on its own server, a moment after the previous one (or, with @clock, at
    // the stopped time): start the clock where that pass started.
    let start_ms = doc["started_at_ms"][pass.id_key()]
        .as_i64()
        .expect("started_at_ms");
    let clock = ManualClock::new(start_ms);
    let mut engine = Engine::new(Box::new(clock.clone()), 1);
    engine.set_read_only_replica(case.replica);
    let clients = connect_clients(&mut engine, doc, case, pass);
    if pass == Pass::Resp3 {
        for &client in &clients {
            let hello = engine.execute(client, &[b"HELLO".to_vec(), b"3".to_vec()]);
            assert!(!hello.is_error(), "HELLO 3 failed: {hello:?}");
        }
    }
    let client_named = |name: &str| {
        clients[case
            .clients
            .iter()
            .position(|c| c == name)
            .expect("a known client")]
    };
    let what = pass_name(pass);

    for (step, r) in case.steps.iter().zip(recorded) {
        let (line, client_name, cmd, sort, skip_cli, known_diff) = match step {
            Step::Close { client, .. } => {
                engine.disconnect(client_named(client));
                continue;
            }
            Step::Sleep { line, ms } => {
                clock.advance_ms(*ms);
                engine.handle_timeouts();
                // Redis's serverCron removes expired keys while the case sleeps (ten
                // active expiry cycles a second); a sleep of at least a second lets it
                // finish, so DBSIZE no longer counts them.
                if *ms >= 1000 {
                    engine.active_expire(usize::MAX);
                }
                if case.multi {
                    // A timed-out blocked client gets its reply now.
                    let others = if pass == Pass::Resp2 {
                        &r.others2
                    } else {
                        &r.others3
                    };
                    for (name, &client) in case.clients.iter().zip(&clients) {
                        report.checks += 1;
                        let expected = others.get(name).cloned().unwrap_or_default();
                        let actual = drain(&mut engine, client);
                        if expected != actual {
                            report.failures.push(format!(
                                "  {}.txt:{} [{}, received by {}] @sleep {}\n      expected: {}\n      actual:   {}",
                                report.case,
                                line,
                                what,
                                name,
                                ms,
                                escape(&expected),
                                escape(&actual)
                            ));
                        }
                    }
                }
                continue;
            }
            Step::Command {
                line,
                client,
                cmd,
                sort,
                skip_cli,
                known_diff,
            } => (
                *line,
                client.as_deref().unwrap_or("A"),
                cmd,
                *sort,
                *skip_cli,
                known_diff,
            ),
        };
        if pass == Pass::Cli && skip_cli {
            continue;
        }
        let shown = if case.multi {
            format!("[{client_name}] {cmd}")
        } else {
            cmd.clone()
        };
        // Every comparison of this step: (label, expected, actual).
        let mut compared: Vec<(String, Vec<u8>, Vec<u8>)> = Vec::new();
        // Whether the line was sent (a reply compared), not just tokenized.
        let replied = argv_is_sent(cmd);
        let argv = cli::split_args(cmd.as_bytes());
        // The tokenizer must agree with the one the recording used...
        if pass == Pass::Resp2 {
            let show = |a: &Option<Vec<Vec<u8>>>| match a {
                None => b"<rejected>".to_vec(),
                Some(v) => v
                    .iter()
                    .map(|x| format!("[{}]", escape(x)))
                    .collect::<String>()
                    .into_bytes(),
            };
            compared.push(("split_args".to_string(), show(&r.argv), show(&argv)));
        }
        match argv {
            // ...and a line redis-cli rejects is never sent.
            None => {
                if pass == Pass::Cli {
                    compared.push((
                        "cli".to_string(),
                        r.cli.clone().unwrap_or_default(),
                        INVALID_ARGUMENTS.to_vec(),
                    ));
                }
            }
            Some(argv) if pass == Pass::Cli => {
                let client = client_named(client_name);
                // redis-cli's own handling first: a repeat prefix (`3 INCR k`) or its refusal.
                let mut expected = r.cli.clone().unwrap_or_default();
                let actual = match cli::strip_repeat(&argv) {
                    // redis-cli answers `help <command>` itself, in colour: compare the text.
                    Ok((_, command)) if is_help(command) => {
                        expected = strip_ansi(&expected);
                        let topic = command[1..].join(&b' ');
                        cli::help_text(&String::from_utf8_lossy(&topic))
                            .unwrap_or_default()
                            .into_bytes()
                    }
                    Err(message) => format!("{message}\n").into_bytes(),
                    Ok((times, command)) => {
                        let mut out = Vec::new();
                        for _ in 0..times {
                            let mut reply = engine.execute(client, command);
                            if finish_script(&mut engine) && reply == Reply::NoReply {
                                reply = engine.drain_outbox(client).pop().unwrap_or(Reply::NoReply);
                            }
                            let seen = reply.for_protocol(engine.protocol(client));
                            out.extend_from_slice(cli::render_for(command, &seen).as_bytes());
                        }
                        out
                    }
                };
                let (expected, actual) = if sort {
                    (canonical_cli(&expected), canonical_cli(&actual))
                } else {
                    (expected, actual)
                };
                compared.push(("cli".to_string(), expected, actual));
            }
            Some(argv) => {
                // RESP passes: the exact bytes the connection receives, in its current
                // protocol: the reply (none if the command blocks) and, in a multi-client
                // case, what reached every other client during the step.
                let client = client_named(client_name);
                if engine.is_blocked(client) {
                    // The recorder never sends from a blocked connection: Redis blocked it
                    // no longer, the emulator still does.
                    report.checks += 1;
                    report.failures.push(format!(
                        "  {}.txt:{} [{}] {}\n      client {} is still blocked in the emulator (not in Redis): command not sent",
                        report.case, line, what, shown, client_name
                    ));
                    continue;
                }
                let reply = engine.execute(client, &argv);
                finish_script(&mut engine);
                let mut actual = reply.to_resp(engine.protocol(client));
                actual.extend(drain(&mut engine, client));
                let expected = if pass == Pass::Resp2 {
                    &r.resp2
                } else {
                    &r.resp3
                };
                let expected = expected.clone().unwrap_or_default();
                let (expected, actual) = if sort {
                    (canonical_resp(&expected), canonical_resp(&actual))
                } else {
                    (expected, actual)
                };
                compared.push((what.to_string(), expected, actual));
                if case.multi {
                    let others = if pass == Pass::Resp2 {
                        &r.others2
                    } else {
                        &r.others3
                    };
                    for (name, &other) in case.clients.iter().zip(&clients) {
                        if other == client {
                            continue;
                        }
                        let expected = others.get(name).cloned().unwrap_or_default();
                        let actual = drain(&mut engine, other);
                        let (expected, actual) = if sort {
                            (canonical_resp(&expected), canonical_resp(&actual))
                        } else {
                            (expected, actual)
                        };
                        compared.push((format!("{what}, received by {name}"), expected, actual));
                    }
                }
            }
        }
        let mut all_match = true;
        for (label, expected, actual) in compared {
            report.checks += 1;
            if expected == actual {
                continue;
            }
            all_match = false;
            let m = format!(
                "  {}.txt:{} [{}] {}\n      expected: {}\n      actual:   {}",
                report.case,
                line,
                label,
                shown,
                escape(&expected),
                escape(&actual)
            );
            match known_diff {
                Some(reason) => report
                    .known
                    .push(format!("{m}\n      (known difference: {reason})")),
                None => report.failures.push(m),
            }
        }
        // A known difference that no longer differs must lose its directive.
        if let (true, true, Some(reason)) = (all_match, replied, known_diff) {
            report.failures.push(format!(
                "  {}.txt:{} [{}] {}\n      matches now: remove its `@known-diff {}`",
                report.case, line, what, shown, reason
            ));
        }
    }
}

/// redis-cli's `help` and `?` lines.
fn is_help(argv: &[Vec<u8>]) -> bool {
    argv.first()
        .is_some_and(|a| a.eq_ignore_ascii_case(b"help") || a.as_slice() == b"?")
}

/// Terminal text without its colour sequences (`ESC [ ... m`) and carriage returns.
fn strip_ansi(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1b && b.get(i + 1) == Some(&b'[') {
            i += 2;
            while i < b.len() && b[i] != b'm' {
                i += 1;
            }
            i += 1;
        } else {
            if b[i] != b'\r' {
                out.push(b[i]);
            }
            i += 1;
        }
    }
    out
}

fn pass_name(pass: Pass) -> &'static str {
    match pass {
        Pass::Resp2 => "resp2",
        Pass::Resp3 => "resp3",
        Pass::Cli => "cli",
    }
}

/// Bytes as a readable one-line string (`\r\n` and non-ASCII escaped).
fn escape(b: &[u8]) -> String {
    format!("\"{}\"", b.escape_ascii())
}

// ---------------------------------------------------------------------------------------
// @sort: order-insensitive comparison
// ---------------------------------------------------------------------------------------

/// A parsed RESP reply, kept as raw pieces so it re-encodes to the same bytes.
enum Resp {
    /// A reply without children: its complete bytes.
    Leaf(Vec<u8>),
    /// An aggregate: its header line (`*3\r\n`, `%2\r\n`...), and its children.
    Aggregate {
        header: Vec<u8>,
        map: bool,
        items: Vec<Resp>,
    },
}

fn parse_resp(b: &[u8], pos: &mut usize) -> Option<Resp> {
    let start = *pos;
    let end = start + b.get(start..)?.windows(2).position(|w| w == b"\r\n")?;
    let kind = b[start];
    let head = std::str::from_utf8(&b[start + 1..end]).ok()?;
    *pos = end + 2;
    match kind {
        b'$' | b'=' | b'!' => {
            let n: i64 = head.parse().ok()?;
            if n >= 0 {
                *pos += n as usize + 2;
            }
            Some(Resp::Leaf(b.get(start..*pos)?.to_vec()))
        }
        b'*' | b'~' | b'>' | b'%' => {
            let n: i64 = head.parse().ok()?;
            let map = kind == b'%';
            let count = if map { n.max(0) * 2 } else { n.max(0) };
            let items = (0..count)
                .map(|_| parse_resp(b, pos))
                .collect::<Option<Vec<_>>>()?;
            Some(Resp::Aggregate {
                header: b[start..end + 2].to_vec(),
                map,
                items,
            })
        }
        _ => Some(Resp::Leaf(b[start..*pos].to_vec())),
    }
}

/// Sorts the items of every aggregate whose items are all leaves (the key names of KEYS,
/// the keys page of SCAN) and the pairs of every map, then re-encodes.
fn sort_resp(r: Resp, out: &mut Vec<u8>) {
    match r {
        Resp::Leaf(b) => out.extend_from_slice(&b),
        Resp::Aggregate { header, map, items } => {
            out.extend_from_slice(&header);
            let mut encoded: Vec<Vec<u8>> = items
                .into_iter()
                .map(|i| {
                    let mut v = Vec::new();
                    sort_resp(i, &mut v);
                    v
                })
                .collect();
            if map {
                let mut pairs: Vec<Vec<u8>> = encoded.chunks(2).map(|p| p.concat()).collect();
                pairs.sort();
                encoded = pairs;
            } else if encoded
                .iter()
                .all(|e| !matches!(e.first(), Some(b'*' | b'~' | b'>' | b'%')))
            {
                encoded.sort();
            }
            for e in encoded {
                out.extend_from_slice(&e);
            }
        }
    }
}

fn canonical_resp(b: &[u8]) -> Vec<u8> {
    let mut pos = 0;
    match parse_resp(b, &mut pos) {
        Some(r) if pos == b.len() => {
            let mut out = Vec::new();
            sort_resp(r, &mut out);
            out
        }
        _ => b.to_vec(),
    }
}

/// redis-cli output compared without order: each line without its `N) `, `N# ` and `N~ `
/// markers, sorted.
fn canonical_cli(b: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(b);
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| {
            let mut rest = l.trim_start();
            loop {
                let digits = rest.bytes().take_while(|c| c.is_ascii_digit()).count();
                let marker = rest[digits..].starts_with(") ")
                    || rest[digits..].starts_with("# ")
                    || rest[digits..].starts_with("~ ");
                if digits > 0 && marker {
                    rest = rest[digits + 2..].trim_start();
                } else {
                    break;
                }
            }
            rest.to_string()
        })
        .collect();
    lines.sort();
    lines.join("\n").into_bytes()
}

// ---------------------------------------------------------------------------------------
// Housekeeping
// ---------------------------------------------------------------------------------------

#[test]
fn every_case_file_has_a_test_and_a_recording() {
    let dir = golden_dir();
    let mut files: Vec<String> = std::fs::read_dir(dir.join("cases"))
        .expect("cases directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".txt").map(str::to_string))
        .collect();
    files.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        files, listed,
        "add each case file to golden_cases! in tests/golden.rs"
    );
    let mut total = 0;
    for case in CASES {
        let path = dir.join("recorded").join(format!("{case}.json"));
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("recording exists"))
                .unwrap();
        assert!(
            doc["redis_version"]
                .as_str()
                .unwrap_or("")
                .starts_with("7.0."),
            "{case}: not recorded from Redis 7.0"
        );
        total += doc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s.get("cmd").is_some())
            .count();
    }
    assert!(total >= 300, "only {total} recorded commands");
}

#[test]
fn sort_helpers_ignore_order_only() {
    let a = canonical_resp(b"*2\r\n$1\r\nb\r\n$1\r\na\r\n");
    let b = canonical_resp(b"*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(a, b);
    assert_ne!(canonical_resp(b"*2\r\n$1\r\na\r\n$1\r\nc\r\n"), b);
    let scan1 = canonical_resp(b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$1\r\na\r\n");
    let scan2 = canonical_resp(b"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert_eq!(scan1, scan2);
    assert_eq!(
        canonical_cli(b"1) \"b\"\n2) \"a\"\n"),
        canonical_cli(b"1) \"a\"\n2) \"b\"\n")
    );
    assert_ne!(canonical_cli(b"1) \"b\"\n"), canonical_cli(b"1) \"a\"\n"));
    assert_eq!(
        canonical_cli(b"1# \"b\" => \"1\"\n2# \"a\" => \"2\"\n"),
        canonical_cli(b"1# \"a\" => \"2\"\n2# \"b\" => \"1\"\n")
    );
}
