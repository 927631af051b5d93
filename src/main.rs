//! The page's entry point (built by trunk for wasm32-unknown-unknown).
fn main() {
    redis_playground::start();
}
