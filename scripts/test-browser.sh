#!/usr/bin/env bash
# The browser tests: (a) wasm-bindgen-test tests of the app's components in headless
# Chromium, (b) Playwright end-to-end tests that drive the built page like a user,
# served under a sub-path (/course/playground/). Writes bench/page-metrics.txt
# (time to an interactive console, wasm size raw and gzipped). Works with CI=true, no TTY.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

bash scripts/install-tools.sh

echo "== wasm-bindgen-test (headless Chromium)"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
cargo test --locked --target wasm32-unknown-unknown -p redis-playground

echo "== build the page"
bash scripts/build-web.sh

echo "== Playwright end-to-end tests"
playwright test -c end2end/playwright.config.ts
echo "== page metrics (bench/page-metrics.txt)"
cat bench/page-metrics.txt
