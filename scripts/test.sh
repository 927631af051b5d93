#!/usr/bin/env bash
# Installs what is missing, then runs every test: native unit, golden and robustness tests
# of the emulator, the native server's integration tests, real clients (redis-py,
# redis-cli) against the native server, the app's native unit tests,
# wasm-bindgen-test in headless Chromium, and Playwright end-to-end tests of the built page.
# Ends with one summary line: "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash scripts/install-tools.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
summary() {
  # cargo: "test result: ok. N passed; M failed"; Playwright: "N passed (..)" / "M failed".
  local passed failed
  passed=$(grep -Eo '(test result: [a-z]+\. )?[0-9]+ passed' "$log" | grep -Eo '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
  failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
  echo "tests: $passed passed, $failed failed"
}

# The group stops at the first failing step (errexit holds inside it); tee keeps a copy
# for the summary.
set +e
{
  set -e
  echo "== native tests (emulator, server, app logic)"
  cargo test --workspace --locked
  echo "== real clients against the native server (redis-py, redis-cli)"
  bash scripts/test-clients.sh
  echo "== browser tests (wasm-bindgen-test in headless Chromium, Playwright end to end)"
  bash scripts/test-browser.sh
} 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
summary
exit "$status"
