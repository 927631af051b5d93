//! INCRBYFLOAT's long double arithmetic against sums recorded from C `long double` on
//! x86-64 (scripts/record-long-double.c): parse, add and `%.17Lf` must agree exactly.

#[test]
fn incrbyfloat_matches_recorded_c_long_double_sums() {
    let data = include_str!("data/long-double-sums.txt");
    let mut failures = Vec::new();
    let mut total = 0;
    for line in data.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        let [a, b, expected] = parts[..] else {
            panic!("bad line {line:?}")
        };
        total += 1;
        let got = redis_emulator::ld::incr_by_float(Some(a.as_bytes()), b.as_bytes());
        if got.as_deref() != Ok(expected) {
            failures.push(format!("{a} + {b}: expected {expected}, got {got:?}"));
        }
    }
    assert!(total >= 1000, "too few recorded cases");
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        total,
        failures[..failures.len().min(20)].join("\n")
    );
}
