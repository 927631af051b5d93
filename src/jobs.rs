//! The Jobs tab's model: a Kue queue read from the keyspace, as Kue's own UI shows it.
//!
//! The programs' `kue` library writes Kue 0.11's layout (crates/programs/src/lua/kue.lua):
//! `q:job:ID` hashes, sorted sets of "FIFO ids" (`01|7`: the id's length in two digits,
//! `|`, the id) per state (`q:jobs:inactive`...) and per type and state
//! (`q:jobs:TYPE:inactive`), the set of types `q:job:types` and each job's log list
//! `q:job:ID:log`. This module reads them through `Engine::inspect` (no client sees it: no
//! MONITOR line, no statistics, no LRU touch, no expiry) and turns them into rows.
//!
//! A learner can write anything into those keys by hand, so every field is read
//! tolerantly: a missing or garbled field is shown as missing, never a panic. A state
//! holding many jobs costs one page (`PAGE` jobs), not its size.

use redis_emulator::{Engine, Reply};

/// Jobs shown per state at most (the newest).
pub const PAGE: usize = 50;
/// Up to this many members a state's set is read whole and sorted by id (newest
/// first); above, its highest-ranked members are shown.
const SORT_WHOLE_UP_TO: usize = 1000;
/// Lines of a job's log shown.
const LOG_LINES: usize = 20;

/// Kue's job states, in the order its UI lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobState {
    Inactive,
    Active,
    Failed,
    Complete,
    Delayed,
}

impl JobState {
    pub const ALL: [JobState; 5] = [
        JobState::Inactive,
        JobState::Active,
        JobState::Failed,
        JobState::Complete,
        JobState::Delayed,
    ];

    /// The name in Kue's keys (`q:jobs:inactive`).
    pub fn key_name(self) -> &'static str {
        match self {
            JobState::Inactive => "inactive",
            JobState::Active => "active",
            JobState::Failed => "failed",
            JobState::Complete => "complete",
            JobState::Delayed => "delayed",
        }
    }

    /// The name Kue's UI gives it.
    pub fn label(self) -> &'static str {
        match self {
            JobState::Inactive => "Queued",
            JobState::Active => "Active",
            JobState::Failed => "Failed",
            JobState::Complete => "Complete",
            JobState::Delayed => "Delayed",
        }
    }

    fn from_key_name(name: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.key_name() == name)
    }
}

/// Kue's priority names (its `priorities` map); other numbers are shown as numbers.
pub fn priority_label(priority: i64) -> String {
    match priority {
        -15 => "critical".into(),
        -10 => "high".into(),
        -5 => "medium".into(),
        0 => "normal".into(),
        10 => "low".into(),
        n => n.to_string(),
    }
}

/// One job as its hash and log say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub job_type: String,
    /// The state the hash says (may disagree with the set the job was listed in, when
    /// someone wrote the keys by hand: the hash's word is shown).
    pub state: Option<JobState>,
    pub priority: i64,
    /// The `data` field as stored (JSON text).
    pub data: String,
    /// 0 to 100.
    pub progress: u8,
    pub attempts: u32,
    pub max_attempts: u32,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub failed_at: Option<i64>,
    /// The error Kue stored (a stack: `Error: message` first).
    pub error: Option<String>,
    /// The newest lines of `q:job:ID:log`.
    pub log: Vec<String>,
}

impl Job {
    /// The error's first line (`Error: Phone number ... is blacklisted`).
    pub fn error_line(&self) -> Option<&str> {
        self.error.as_deref().and_then(|e| e.lines().next())
    }
}

/// What the Jobs tab shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobsView {
    /// Whether the keyspace holds a Kue queue at all (`q:job:types` or `q:ids`).
    pub present: bool,
    /// The job types (`q:job:types`), sorted.
    pub types: Vec<String>,
    /// Jobs per state (of the type filter), in `JobState::ALL` order.
    pub counts: [usize; 5],
    /// The shown state's newest jobs (at most `PAGE`).
    pub jobs: Vec<Job>,
}

/// What to show: a state, and one type or all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobsQuery {
    pub prefix: String,
    pub state: JobState,
    pub job_type: Option<String>,
}

impl Default for JobsQuery {
    fn default() -> Self {
        JobsQuery {
            prefix: "q".into(),
            state: JobState::Inactive,
            job_type: None,
        }
    }
}

impl JobsQuery {
    /// Whether a change of `key` (in database 0) may change what the tab shows.
    pub fn concerns(&self, key: &[u8]) -> bool {
        key.len() > self.prefix.len()
            && key.starts_with(self.prefix.as_bytes())
            && key[self.prefix.len()] == b':'
    }

    fn key(&self, rest: &str) -> Vec<u8> {
        format!("{}:{rest}", self.prefix).into_bytes()
    }

    /// The sorted set of a state, for the type filter.
    fn state_key(&self, state: JobState) -> Vec<u8> {
        match &self.job_type {
            Some(t) => self.key(&format!("jobs:{t}:{}", state.key_name())),
            None => self.key(&format!("jobs:{}", state.key_name())),
        }
    }
}

fn ask(engine: &mut Engine, argv: &[&[u8]]) -> Reply {
    let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
    engine.inspect(0, &argv)
}

fn integer(reply: Reply) -> usize {
    match reply {
        Reply::Integer(n) => usize::try_from(n).unwrap_or(0),
        _ => 0,
    }
}

fn strings(reply: Reply) -> Vec<String> {
    let items = match reply {
        Reply::Array(items) | Reply::Set(items) => items,
        Reply::Map(pairs) => pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|r| match r {
            Reply::Bulk(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            Reply::Status(s) => Some(s),
            Reply::Integer(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// The id inside a FIFO id (`02|39` → `39`); anything else as it is.
pub fn id_of_member(member: &str) -> String {
    match member.split_once('|') {
        Some((len, id)) if len.len() == 2 && len.bytes().all(|b| b.is_ascii_digit()) => {
            id.to_string()
        }
        _ => member.to_string(),
    }
}

/// Newest first: numeric ids by value, then any others by text.
fn newest_first(ids: &mut [String]) {
    ids.sort_by(|a, b| match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => y.cmp(&x),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => b.cmp(a),
    });
}

/// Reads the queue for `query`.
pub fn read(engine: &mut Engine, query: &JobsQuery) -> JobsView {
    let types_key = query.key("job:types");
    let ids_key = query.key("ids");
    let mut types = strings(ask(engine, &[b"SMEMBERS", &types_key]));
    types.sort();
    let present = !types.is_empty() || integer(ask(engine, &[b"EXISTS", &ids_key, &types_key])) > 0;
    let mut counts = [0; 5];
    for (i, state) in JobState::ALL.into_iter().enumerate() {
        counts[i] = integer(ask(engine, &[b"ZCARD", &query.state_key(state)]));
    }
    let shown_key = query.state_key(query.state);
    let shown_count = counts[JobState::ALL
        .iter()
        .position(|s| *s == query.state)
        .unwrap_or(0)];
    let mut ids: Vec<String> = if shown_count <= SORT_WHOLE_UP_TO {
        strings(ask(engine, &[b"ZRANGE", &shown_key, b"0", b"-1"]))
    } else {
        let last = (PAGE - 1).to_string();
        strings(ask(
            engine,
            &[b"ZREVRANGE", &shown_key, b"0", last.as_bytes()],
        ))
    }
    .iter()
    .map(|m| id_of_member(m))
    .collect();
    newest_first(&mut ids);
    ids.truncate(PAGE);
    let jobs = ids
        .into_iter()
        .map(|id| read_job(engine, query, id))
        .collect();
    JobsView {
        present,
        types,
        counts,
        jobs,
    }
}

/// The queue's failed jobs, all types (the tab's badge).
pub fn failed_count(engine: &mut Engine, query: &JobsQuery) -> usize {
    let key = query.key("jobs:failed");
    integer(ask(engine, &[b"ZCARD", &key]))
}

fn read_job(engine: &mut Engine, query: &JobsQuery, id: String) -> Job {
    let key = query.key(&format!("job:{id}"));
    let flat = strings(ask(engine, &[b"HGETALL", &key]));
    let field = |name: &str| -> Option<&str> {
        flat.chunks(2)
            .find(|pair| pair.first().map(String::as_str) == Some(name))
            .and_then(|pair| pair.get(1))
            .map(String::as_str)
    };
    let number = |name: &str| field(name).and_then(|v| v.trim().parse::<i64>().ok());
    let log_key = query.key(&format!("job:{id}:log"));
    let from = format!("-{LOG_LINES}");
    let log = strings(ask(engine, &[b"LRANGE", &log_key, from.as_bytes(), b"-1"]));
    Job {
        job_type: field("type").unwrap_or_default().to_string(),
        state: field("state").and_then(JobState::from_key_name),
        priority: number("priority").unwrap_or(0),
        data: field("data").unwrap_or_default().to_string(),
        progress: number("progress").map_or(0, |p| p.clamp(0, 100) as u8),
        attempts: number("attempts").map_or(0, |n| n.clamp(0, u32::MAX as i64) as u32),
        max_attempts: number("max_attempts").map_or(1, |n| n.clamp(0, u32::MAX as i64) as u32),
        created_at: number("created_at"),
        updated_at: number("updated_at"),
        failed_at: number("failed_at"),
        error: field("error").map(str::to_string),
        log,
        id,
    }
}

/// JSON text indented for reading (two spaces), or the text as it is when it is not
/// JSON; strings are kept byte for byte.
pub fn pretty_json(text: &str) -> String {
    redis_programs::curl::pretty_json(text).unwrap_or_else(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use redis_emulator::{ClientInfo, ManualClock};

    fn engine() -> (Engine, redis_emulator::ClientId) {
        let mut engine = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        let client = engine.connect(ClientInfo::default());
        (engine, client)
    }

    fn run(engine: &mut Engine, client: redis_emulator::ClientId, line: &str) {
        let argv = redis_emulator::cli::split_args(line.as_bytes()).unwrap();
        let reply = engine.execute(client, &argv);
        assert!(!matches!(reply, Reply::Error(_)), "{line}: {reply:?}");
    }

    /// The commands Kue sends for a job that completed, one that failed and one queued
    /// (as recorded in crates/programs/tests/kue/recorded.txt, shortened).
    fn kue_queue(engine: &mut Engine, client: redis_emulator::ClientId) {
        for line in [
            "INCR q:ids",
            "HSET q:job:1 max_attempts 1 type email created_at 1700000000000 priority 0 data '{\"to\":\"a\"}' state complete progress 100 attempts 1 updated_at 1700000001000",
            "SADD q:job:types email",
            "ZADD q:jobs 0 01|1",
            "ZADD q:jobs:complete 0 01|1",
            "ZADD q:jobs:email:complete 0 01|1",
            "INCR q:ids",
            "HSET q:job:2 max_attempts 2 type sms created_at 1700000000000 priority -10 data '{\"n\":2}' state failed progress 50 attempts 2 failed_at 1700000002000 error \"Error: blacklisted\\n    at p.lua:4\"",
            "SADD q:job:types sms",
            "ZADD q:jobs:failed -10 01|2",
            "ZADD q:jobs:sms:failed -10 01|2",
            "RPUSH q:job:2:log first second",
            "INCR q:ids",
            "HSET q:job:10 type email data {} state inactive priority 10",
            "ZADD q:jobs:inactive 10 02|10",
            "ZADD q:jobs:email:inactive 10 02|10",
        ] {
            run(engine, client, line);
        }
    }

    #[test]
    fn a_kue_queue_reads_as_counts_and_jobs() {
        let (mut engine, client) = engine();
        assert!(!read(&mut engine, &JobsQuery::default()).present);
        kue_queue(&mut engine, client);
        let mut query = JobsQuery::default();
        let view = read(&mut engine, &query);
        assert!(view.present);
        assert_eq!(view.types, ["email", "sms"]);
        assert_eq!(view.counts, [1, 0, 1, 1, 0]);
        assert_eq!(view.jobs.len(), 1);
        assert_eq!(view.jobs[0].id, "10");
        assert_eq!(priority_label(view.jobs[0].priority), "low");

        query.state = JobState::Failed;
        assert_eq!(failed_count(&mut engine, &query), 1);
        let view = read(&mut engine, &query);
        let job = &view.jobs[0];
        assert_eq!((job.id.as_str(), job.job_type.as_str()), ("2", "sms"));
        assert_eq!(job.state, Some(JobState::Failed));
        assert_eq!((job.progress, job.attempts, job.max_attempts), (50, 2, 2));
        assert_eq!(job.error_line(), Some("Error: blacklisted"));
        assert_eq!(job.log, ["first", "second"]);
        assert_eq!(job.failed_at, Some(1_700_000_002_000));
        assert_eq!(priority_label(job.priority), "high");

        query.state = JobState::Complete;
        query.job_type = Some("sms".into());
        let view = read(&mut engine, &query);
        assert_eq!(view.counts, [0, 0, 1, 0, 0]);
        assert!(view.jobs.is_empty());
    }

    #[test]
    fn garbage_written_by_hand_is_shown_not_fatal() {
        let (mut engine, client) = engine();
        for line in [
            "SET q:job:types notaset",
            "ZADD q:jobs:inactive 0 nonsense 1 01|5 2 7|x",
            "HSET q:job:5 progress 900 attempts -3 max_attempts abc priority x created_at soon",
            "SET q:job:nonsense text",
        ] {
            run(&mut engine, client, line);
        }
        let view = read(&mut engine, &JobsQuery::default());
        assert!(view.present);
        assert!(view.types.is_empty());
        let ids: Vec<&str> = view.jobs.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(ids, ["5", "nonsense", "7|x"]);
        let five = &view.jobs[0];
        assert_eq!(
            (five.progress, five.attempts, five.max_attempts),
            (100, 0, 1)
        );
        assert_eq!(
            (five.priority, five.created_at, five.state),
            (0, None, None)
        );
        assert_eq!(view.jobs[1].data, "");
    }

    #[test]
    fn a_big_state_costs_one_page() {
        let (mut engine, client) = engine();
        run(&mut engine, client, "SADD q:job:types t");
        for id in 1..=1500 {
            run(
                &mut engine,
                client,
                &format!("ZADD q:jobs:complete 0 {:02}|{id}", id.to_string().len()),
            );
        }
        let query = JobsQuery {
            state: JobState::Complete,
            ..JobsQuery::default()
        };
        let view = read(&mut engine, &query);
        assert_eq!(view.counts[3], 1500);
        assert_eq!(view.jobs.len(), PAGE);
        // Above SORT_WHOLE_UP_TO the highest-ranked members come: same score, so the
        // FIFO ids' order, which is the ids' order.
        assert_eq!(view.jobs[0].id, "1500");
        assert_eq!(view.jobs[PAGE - 1].id, "1451");
    }

    #[test]
    fn fifo_ids_and_prefix_matching() {
        assert_eq!(id_of_member("02|39"), "39");
        assert_eq!(id_of_member("39"), "39");
        assert_eq!(id_of_member("x|39"), "x|39");
        let q = JobsQuery::default();
        assert!(q.concerns(b"q:job:1"));
        assert!(!q.concerns(b"q"));
        assert!(!q.concerns(b"queue"));
        assert!(pretty_json("{\"a\":1}").contains("\"a\": 1"));
        assert_eq!(pretty_json("not json"), "not json");
    }
}
