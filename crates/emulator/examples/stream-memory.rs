//! Real memory per stream entry: a counting global allocator tracks the live heap bytes
//! while 1M small entries (`XADD s <ms>-0 field value:N`, one field as most producers
//! send) are appended to one stream through `Engine::execute`. Prints
//! `stream <live bytes after - before> <entries> <bytes per entry> <encoding>`, then the
//! engine's estimate of Redis's `used_memory` for the same data.
//!
//! Run: `cargo run --release -p redis-emulator --example stream-memory`; the same
//! workload against redis-server 7.0 (`used_memory` before and after) gives Redis's
//! figure to compare with.

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

const N: u64 = 1_000_000;
const FIRST_MS: u64 = 1_700_000_000_000;

fn main() {
    let mut engine = Engine::new(Box::new(ManualClock::new(FIRST_MS as i64)), 1);
    let client = engine.connect(ClientInfo::default());
    let key = b"stream:key".to_vec();
    println!("# type bytes entries bytes_per_entry encoding (live heap bytes, counting allocator)");
    let before = LIVE.load(Ordering::Relaxed);
    let estimate_before = engine.used_memory();
    for i in 0..N {
        let argv = vec![
            b"XADD".to_vec(),
            key.clone(),
            format!("{}-0", FIRST_MS + i).into_bytes(),
            b"field".to_vec(),
            format!("value:{i}").into_bytes(),
        ];
        match engine.execute(client, &argv) {
            Reply::Bulk(_) => {}
            other => panic!("XADD: {other:?}"),
        }
    }
    let after = LIVE.load(Ordering::Relaxed);
    let estimate = engine.used_memory() - estimate_before;
    assert_eq!(
        engine.execute(client, &[b"XLEN".to_vec(), key.clone()]),
        Reply::Integer(N as i64)
    );
    let enc = match engine.execute(client, &[b"OBJECT".to_vec(), b"ENCODING".to_vec(), key]) {
        Reply::Bulk(b) => String::from_utf8_lossy(&b).into_owned(),
        other => format!("{other:?}"),
    };
    let bytes = after.saturating_sub(before);
    println!("stream {bytes} {N} {:.1} {enc}", bytes as f64 / N as f64);
    // What INFO's used_memory (the estimate of Redis's figure) says for the same data.
    println!(
        "# estimate of Redis's used_memory: {estimate} ({:.1} per entry)",
        estimate as f64 / N as f64
    );
}
