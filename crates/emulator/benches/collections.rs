//! Per-command cost of the collection types, measured through `Engine::execute` (what a
//! client pays: lookup, argument parsing, the data structure, the reply), at 1k, 100k
//! and 1M elements. Each size builds one engine holding a list, a hash, a set
//! (hashtable-encoded) and a sorted set of that many elements, outside the measured
//! loops, and runs every row against it. Commands that grow a collection (LPUSH, SADD,
//! ZADD) undo their additions after each sample, outside the measurement, so every
//! sample starts from the same size.
//!
//! Run: `cargo bench -p redis-emulator --bench collections` (about two minutes).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use redis_emulator::{ClientId, ClientInfo, Engine, ManualClock, Reply};

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];
/// Precomputed argument vectors cycled through by the lookup rows, so formatting the
/// arguments is not measured and lookups hit random elements rather than one cached one.
const POOL: usize = 4096;
const BATCH: usize = 1000;

fn argv(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
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

    fn check(&mut self, argv: &[Vec<u8>]) {
        let reply = self.run(argv);
        if let Reply::Error(e) = &reply {
            panic!("{:?} failed: {e}", String::from_utf8_lossy(&argv[0]));
        }
    }

    fn build(n: usize) -> Self {
        let mut engine = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
        let client = engine.connect(ClientInfo::default());
        let mut f = Fixture { engine, client, n };
        let mut start = 0;
        while start < n {
            let end = (start + BATCH).min(n);
            let mut list = argv(&[b"RPUSH", b"list"]);
            let mut hash = argv(&[b"HSET", b"hash"]);
            let mut set = argv(&[b"SADD", b"set"]);
            let mut zset = argv(&[b"ZADD", b"zset"]);
            for i in start..end {
                list.push(format!("item:{i}").into_bytes());
                hash.push(format!("field:{i}").into_bytes());
                hash.push(format!("value:{i}").into_bytes());
                set.push(format!("member:{i}").into_bytes());
                zset.push(i.to_string().into_bytes());
                zset.push(format!("member:{i}").into_bytes());
            }
            for a in [list, hash, set, zset] {
                f.check(&a);
            }
            start = end;
        }
        for (cmd, key) in [
            ("LLEN", "list"),
            ("HLEN", "hash"),
            ("SCARD", "set"),
            ("ZCARD", "zset"),
        ] {
            match f.run(&argv(&[cmd.as_bytes(), key.as_bytes()])) {
                Reply::Integer(len) => assert_eq!(len as usize, n, "{cmd} {key}"),
                other => panic!("{cmd}: {other:?}"),
            }
        }
        f
    }

    /// `POOL` argument vectors `prefix.. <name:R> suffix..` with R pseudo-random in 0..n.
    fn pool(&self, make: impl Fn(usize) -> Vec<Vec<u8>>) -> Vec<Vec<Vec<u8>>> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..POOL)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                make((x % self.n as u64) as usize)
            })
            .collect()
    }
}

fn bench_size(c: &mut Criterion, n: usize) {
    let t = Instant::now();
    let mut f = Fixture::build(n);
    eprintln!("built 4 collections of {n} elements in {:?}", t.elapsed());
    let mut g = c.benchmark_group(format!("n={n}"));
    let id = |name: &str| BenchmarkId::new(name, n);

    // LPUSH: amortised over the sample (the deque grows by the sample's iterations and
    // is trimmed back to n afterwards, unmeasured).
    {
        let push = argv(&[b"LPUSH", b"list", b"pushed"]);
        // Keeps the last n elements: the original list (pushes went to the head).
        let trim = argv(&[b"LTRIM", b"list", format!("-{n}").as_bytes(), b"-1"]);
        g.bench_function(id("LPUSH"), |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    black_box(f.run(&push));
                }
                let d = t.elapsed();
                f.check(&trim);
                d
            })
        });
        match f.run(&argv(&[b"LLEN", b"list"])) {
            Reply::Integer(len) => assert_eq!(len as usize, n),
            other => panic!("LLEN: {other:?}"),
        }
    }

    let lindex = argv(&[b"LINDEX", b"list", (n / 2).to_string().as_bytes()]);
    g.bench_function(id("LINDEX middle"), |b| {
        b.iter(|| black_box(f.run(&lindex)))
    });

    let lrange = argv(&[b"LRANGE", b"list", b"0", b"99"]);
    g.bench_function(id("LRANGE 0 99"), |b| b.iter(|| black_box(f.run(&lrange))));

    let hset = f.pool(|i| {
        argv(&[
            b"HSET",
            b"hash",
            format!("field:{i}").as_bytes(),
            b"updated",
        ])
    });
    g.bench_function(id("HSET existing"), |b| {
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % POOL;
            black_box(f.run(&hset[k]))
        })
    });

    let hget = f.pool(|i| argv(&[b"HGET", b"hash", format!("field:{i}").as_bytes()]));
    g.bench_function(id("HGET"), |b| {
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % POOL;
            black_box(f.run(&hget[k]))
        })
    });

    // SADD of new members; the sample's additions are removed afterwards, unmeasured.
    {
        let mut next = 0u64;
        g.bench_function(id("SADD new"), |b| {
            b.iter_custom(|iters| {
                let cmds: Vec<_> = (0..iters)
                    .map(|i| argv(&[b"SADD", b"set", format!("new:{}", next + i).as_bytes()]))
                    .collect();
                let t = Instant::now();
                for cmd in &cmds {
                    black_box(f.run(cmd));
                }
                let d = t.elapsed();
                for chunk in cmds.chunks(BATCH) {
                    let mut srem = argv(&[b"SREM", b"set"]);
                    srem.extend(chunk.iter().map(|c| c[2].clone()));
                    f.check(&srem);
                }
                next += iters;
                d
            })
        });
    }

    let sismember = f.pool(|i| argv(&[b"SISMEMBER", b"set", format!("member:{i}").as_bytes()]));
    g.bench_function(id("SISMEMBER"), |b| {
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % POOL;
            black_box(f.run(&sismember[k]))
        })
    });

    // ZADD of new members at random positions (score pos + 0.5 between two existing
    // ones); the sample's additions are removed afterwards by ZREM, unmeasured.
    {
        let mut next = 0u64;
        g.bench_function(id("ZADD new"), |b| {
            b.iter_custom(|iters| {
                let mut x = 0x2545_f491_4f6c_dd1du64 ^ next;
                let cmds: Vec<_> = (0..iters)
                    .map(|i| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let pos = (x % n as u64) as f64 + 0.5;
                        argv(&[
                            b"ZADD",
                            b"zset",
                            pos.to_string().as_bytes(),
                            format!("new:{}", next + i).as_bytes(),
                        ])
                    })
                    .collect();
                let t = Instant::now();
                for cmd in &cmds {
                    black_box(f.run(cmd));
                }
                let d = t.elapsed();
                for chunk in cmds.chunks(BATCH) {
                    let mut zrem = argv(&[b"ZREM", b"zset"]);
                    zrem.extend(chunk.iter().map(|c| c[3].clone()));
                    f.check(&zrem);
                }
                next += iters;
                d
            })
        });
        match f.run(&argv(&[b"ZCARD", b"zset"])) {
            Reply::Integer(len) => assert_eq!(len as usize, n),
            other => panic!("ZCARD: {other:?}"),
        }
    }

    let zrank = f.pool(|i| argv(&[b"ZRANK", b"zset", format!("member:{i}").as_bytes()]));
    g.bench_function(id("ZRANK"), |b| {
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % POOL;
            black_box(f.run(&zrank[k]))
        })
    });

    let zrange = argv(&[b"ZRANGE", b"zset", b"0", b"9"]);
    g.bench_function(id("ZRANGE 0 9"), |b| b.iter(|| black_box(f.run(&zrange))));

    let zrangebyscore = f.pool(|i| {
        argv(&[
            b"ZRANGEBYSCORE",
            b"zset",
            i.to_string().as_bytes(),
            b"+inf",
            b"LIMIT",
            b"0",
            b"10",
        ])
    });
    g.bench_function(id("ZRANGEBYSCORE LIMIT 0 10"), |b| {
        let mut k = 0;
        b.iter(|| {
            k = (k + 1) % POOL;
            black_box(f.run(&zrangebyscore[k]))
        })
    });

    // ZPOPMIN then ZADD of the popped element back: the zset keeps its size.
    let zpopmin = argv(&[b"ZPOPMIN", b"zset"]);
    let readd = argv(&[b"ZADD", b"zset", b"0", b"member:0"]);
    g.bench_function(id("ZPOPMIN+ZADD"), |b| {
        b.iter(|| {
            black_box(f.run(&zpopmin));
            black_box(f.run(&readd))
        })
    });

    g.finish();
}

fn collections(c: &mut Criterion) {
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
    targets = collections
}
criterion_main!(benches);
