//! Per-command cost of streams, measured through `Engine::execute` (what a client pays:
//! lookup, argument parsing, the data structure, the reply), on a stream of 10k, 100k
//! and 1M entries (`XADD s <ms>-0 field value:N`, one field, consecutive milliseconds).
//! Each size builds one engine outside the measured loops and runs every row against it.
//!
//! - XRANGE of the last 100 entries (`XRANGE s <id> + COUNT 100`): O(log n + 100), so
//!   it must not grow with n.
//! - XRANGE COUNT 10 from a random ID: O(log n + 10), random positions.
//! - XREADGROUP GROUP g c<i%3> COUNT 10 STREAMS s > then XACK of the 10 IDs it
//!   delivered: one read + ack cycle, three consumers taking turns; the group is rewound
//!   (XGROUP SETID g 0, unmeasured) when it reaches the end of the stream.
//! - XADD `*` (amortised): appends to the n-entry stream; the sample's additions are
//!   trimmed off afterwards (XTRIM MAXLEN = n, unmeasured), so every sample starts at n.
//!
//! Run: `cargo bench -p redis-emulator --bench streams` (about a minute).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use redis_emulator::{ClientId, ClientInfo, Engine, ManualClock, Reply};

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
const POOL: usize = 4096;
const FIRST_MS: u64 = 1_700_000_000_000;

fn argv(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// The ID of the i-th entry of the fixture's stream.
fn id(i: usize) -> Vec<u8> {
    format!("{}-0", FIRST_MS + i as u64).into_bytes()
}

struct Fixture {
    engine: Engine,
    client: ClientId,
    n: usize,
}

impl Fixture {
    fn run(&mut self, argv: &[Vec<u8>]) -> Reply {
        self.engine.execute(self.client, argv)
    }

    fn check(&mut self, argv: &[Vec<u8>]) -> Reply {
        let reply = self.run(argv);
        if let Reply::Error(e) = &reply {
            panic!("{:?} failed: {e}", String::from_utf8_lossy(&argv[0]));
        }
        reply
    }

    fn build(n: usize) -> Self {
        // The clock is past the last entry, so `XADD *` makes new-millisecond IDs.
        let clock = ManualClock::new((FIRST_MS + n as u64 + 1000) as i64);
        let mut engine = Engine::new(Box::new(clock), 1);
        let client = engine.connect(ClientInfo::default());
        let mut f = Fixture { engine, client, n };
        for i in 0..n {
            f.check(&[
                b"XADD".to_vec(),
                b"s".to_vec(),
                id(i),
                b"field".to_vec(),
                format!("value:{i}").into_bytes(),
            ]);
        }
        match f.run(&argv(&[b"XLEN", b"s"])) {
            Reply::Integer(len) => assert_eq!(len as usize, n),
            other => panic!("XLEN: {other:?}"),
        }
        f.check(&argv(&[b"XGROUP", b"CREATE", b"s", b"g", b"0"]));
        f
    }
}

fn entries(reply: &Reply) -> usize {
    match reply {
        Reply::Array(items) => items.len(),
        other => panic!("array expected, got {other:?}"),
    }
}

fn bench_size(c: &mut Criterion, n: usize) {
    let t = Instant::now();
    let mut f = Fixture::build(n);
    eprintln!("built a stream of {n} entries in {:?}", t.elapsed());
    let mut g = c.benchmark_group(format!("n={n}"));
    let bid = |name: &str| BenchmarkId::new(name, n);

    // The last 100 entries.
    {
        let last = match f.check(&argv(&[b"XREVRANGE", b"s", b"+", b"-", b"COUNT", b"100"])) {
            Reply::Array(items) => match items.last() {
                Some(Reply::Array(e)) => match &e[0] {
                    Reply::Bulk(id) => id.clone(),
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        };
        let xrange = vec![
            b"XRANGE".to_vec(),
            b"s".to_vec(),
            last,
            b"+".to_vec(),
            b"COUNT".to_vec(),
            b"100".to_vec(),
        ];
        assert_eq!(entries(&f.check(&xrange)), 100);
        g.bench_function(bid("XRANGE last 100"), |b| {
            b.iter(|| black_box(f.run(&xrange)))
        });
    }

    // XRANGE COUNT 10 from random positions (among the first n - 1000 entries).
    {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let base = match f.check(&argv(&[b"XRANGE", b"s", b"-", b"+", b"COUNT", b"1"])) {
            Reply::Array(items) => match &items[0] {
                Reply::Array(e) => match &e[0] {
                    Reply::Bulk(id) => String::from_utf8_lossy(id)
                        .split('-')
                        .next()
                        .unwrap()
                        .parse::<u64>()
                        .unwrap(),
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        };
        let pool: Vec<Vec<Vec<u8>>> = (0..POOL)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let start = format!("{}-0", base + x % (n as u64 - 1000));
                argv(&[b"XRANGE", b"s", start.as_bytes(), b"+", b"COUNT", b"10"])
            })
            .collect();
        assert_eq!(entries(&f.check(&pool[0])), 10);
        g.bench_function(bid("XRANGE random COUNT 10"), |b| {
            let mut k = 0;
            b.iter(|| {
                k = (k + 1) % POOL;
                black_box(f.run(&pool[k]))
            })
        });
    }

    // XREADGROUP COUNT 10 + XACK, three consumers in turn. IDs read are known in
    // advance (the stream's entries in order), so the XACKs are prepared outside the
    // measured loop; the group is rewound at the end of the stream (unmeasured).
    {
        let ids: Vec<Vec<u8>> = match f.check(&argv(&[b"XRANGE", b"s", b"-", b"+"])) {
            Reply::Array(items) => items
                .iter()
                .map(|e| match e {
                    Reply::Array(e) => match &e[0] {
                        Reply::Bulk(id) => id.clone(),
                        other => panic!("{other:?}"),
                    },
                    other => panic!("{other:?}"),
                })
                .collect(),
            other => panic!("{other:?}"),
        };
        let chunks = ids.len() / 10;
        let acks: Vec<Vec<Vec<u8>>> = (0..chunks)
            .map(|k| {
                let mut a = argv(&[b"XACK", b"s", b"g"]);
                a.extend(ids[k * 10..k * 10 + 10].iter().cloned());
                a
            })
            .collect();
        drop(ids);
        let reads: Vec<Vec<Vec<u8>>> = (0..3)
            .map(|c| {
                let consumer = format!("c{c}");
                argv(&[
                    b"XREADGROUP",
                    b"GROUP",
                    b"g",
                    consumer.as_bytes(),
                    b"COUNT",
                    b"10",
                    b"STREAMS",
                    b"s",
                    b">",
                ])
            })
            .collect();
        let rewind = argv(&[b"XGROUP", b"SETID", b"s", b"g", b"0"]);
        f.check(&rewind);
        let mut at = 0usize;
        g.bench_function(bid("XREADGROUP COUNT 10 + XACK"), |b| {
            b.iter_custom(|iters| {
                let mut d = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let run = left.min((chunks - at) as u64);
                    let t = Instant::now();
                    for _ in 0..run {
                        black_box(f.run(&reads[at % 3]));
                        black_box(f.run(&acks[at]));
                        at += 1;
                    }
                    d += t.elapsed();
                    left -= run;
                    if at == chunks {
                        f.check(&rewind);
                        at = 0;
                    }
                }
                d
            })
        });
        // Every delivered entry was acknowledged.
        match f.check(&argv(&[b"XPENDING", b"s", b"g"])) {
            Reply::Array(items) => assert_eq!(items[0], Reply::Integer(0)),
            other => panic!("{other:?}"),
        }
    }

    // XADD *: amortised over the sample, trimmed back to n afterwards (unmeasured). Last,
    // as the trims replace the fixture's entries with the added ones.
    {
        let add = argv(&[b"XADD", b"s", b"*", b"field", b"value"]);
        let trim = argv(&[b"XTRIM", b"s", b"MAXLEN", b"=", n.to_string().as_bytes()]);
        g.bench_function(bid("XADD *"), |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    black_box(f.run(&add));
                }
                let d = t.elapsed();
                f.check(&trim);
                d
            })
        });
        match f.run(&argv(&[b"XLEN", b"s"])) {
            Reply::Integer(len) => assert_eq!(len as usize, n),
            other => panic!("XLEN: {other:?}"),
        }
    }

    g.finish();
}

fn streams(c: &mut Criterion) {
    for n in SIZES {
        bench_size(c, n);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200))
        .without_plots();
    targets = streams
}
criterion_main!(benches);
