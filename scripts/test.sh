#!/usr/bin/env bash
# Installs what is missing, then runs every test: native unit, golden and robustness tests
# of the emulator, the native server's integration tests, the app's native unit tests,
# wasm-bindgen-test in headless Chromium, and Playwright end-to-end tests of the built page.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/install-tools.sh

echo "== native tests (emulator, server, app logic)"
cargo test --workspace --locked

echo "== browser tests (wasm-bindgen-test in headless Chromium, Playwright end to end)"
bash scripts/test-browser.sh
