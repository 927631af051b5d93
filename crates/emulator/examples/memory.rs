//! Real memory per element: a counting global allocator tracks the live heap bytes
//! while 1M hash fields, 1M set members and 1M sorted-set members are loaded into an
//! `Engine` through `execute`, the way clients load them. Prints one line per type:
//! `<type> <live bytes after - before> <elements> <bytes per element>`.
//!
//! Run: `cargo run --release -p redis-emulator --example memory` (scripts/bench-memory.sh
//! compares the numbers with a real redis-server).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use redis_emulator::{ClientInfo, Engine, ManualClock, Reply};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const N: usize = 1_000_000;
const BATCH: usize = 1000;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

fn main() {
    let mut engine = Engine::new(Box::new(ManualClock::new(1_700_000_000_000)), 1);
    let client = engine.connect(ClientInfo::default());
    println!("# type bytes elements bytes_per_element (live heap bytes, counting allocator)");
    for kind in ["hash", "set", "zset"] {
        let key = format!("{kind}:key").into_bytes();
        let before = live();
        let mut start = 0;
        while start < N {
            let end = (start + BATCH).min(N);
            let cmd: &[u8] = match kind {
                "hash" => b"HSET",
                "set" => b"SADD",
                _ => b"ZADD",
            };
            let mut argv = vec![cmd.to_vec(), key.clone()];
            for i in start..end {
                match kind {
                    "hash" => {
                        argv.push(format!("field:{i}").into_bytes());
                        argv.push(format!("value:{i}").into_bytes());
                    }
                    "set" => argv.push(format!("member:{i}").into_bytes()),
                    _ => {
                        argv.push(i.to_string().into_bytes());
                        argv.push(format!("member:{i}").into_bytes());
                    }
                }
            }
            match engine.execute(client, &argv) {
                Reply::Integer(added) => assert_eq!(added as usize, end - start),
                other => panic!("{kind}: {other:?}"),
            }
            // argv is dropped here: only what the engine keeps stays live.
            start = end;
        }
        let after = live();
        let len_cmd: &[u8] = match kind {
            "hash" => b"HLEN",
            "set" => b"SCARD",
            _ => b"ZCARD",
        };
        assert_eq!(
            engine.execute(client, &[len_cmd.to_vec(), key.clone()]),
            Reply::Integer(N as i64)
        );
        let enc = match engine.execute(
            client,
            &[b"OBJECT".to_vec(), b"ENCODING".to_vec(), key.clone()],
        ) {
            Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
            other => format!("{other:?}"),
        };
        let bytes = after.saturating_sub(before);
        println!("{kind} {bytes} {N} {:.1} {enc}", bytes as f64 / N as f64);
    }
}
