//! Micro benchmarks of the VM, printed as figures (compare them with `redis-cli EVAL` of the
//! same scripts on redis-server, see `scripts/bench-lua.sh`):
//! `cargo run -p lua51 --release --example bench`.
use lua51::{Outcome, Vm};
use std::time::Instant;

const CASES: [(&str, &str); 4] = [
    ("numeric loop 1e7", "local x = 0 for i = 1, 10000000 do x = x + i end return x"),
    (
        "table loop 1e6",
        "local t = {} for i = 1, 1000000 do t[i] = i end local s = 0 for i = 1, #t do s = s + t[i] end \
         local h = {} for i = 1, 200000 do h['k' .. (i % 1000)] = i end return s",
    ),
    ("function calls 1e6", "local function f(a, b) return a + b end local x = 0 for i = 1, 1000000 do x = f(x, i) end return x"),
    (
        "closures and fields 1e6",
        "local o = {n = 0} function o:inc(k) self.n = self.n + k end for i = 1, 1000000 do o:inc(1) end return o.n",
    ),
];

fn main() {
    for (name, src) in CASES {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let mut vm = Vm::new();
            let f = vm
                .load(src.as_bytes(), "user_script")
                .expect("benchmark scripts compile");
            let start = Instant::now();
            vm.start(f, Vec::new()).expect("start");
            loop {
                match vm.run(1_000_000) {
                    Ok(Outcome::Finished(_)) => break,
                    Ok(Outcome::Paused) => continue,
                    other => {
                        eprintln!(
                            "{name}: unexpected end {:?}",
                            other.err().map(|e| vm.tostring_raw(&e))
                        );
                        return;
                    }
                }
            }
            best = best.min(start.elapsed().as_secs_f64());
        }
        println!("{name:28} {:8.1} ms", best * 1000.0);
    }
}
