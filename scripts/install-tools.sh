#!/usr/bin/env bash
# Installs, idempotently, every tool the playground needs to build, serve and test.
# Each step checks first and skips what is already there, so a warm machine pays nothing.
# Versions are pinned where the toolchain notes (shared/toolchain.md) found that only
# one works here: trunk 0.21.14 (newer needs a newer rustc), wasm-bindgen-cli equal to
# Cargo.lock's wasm-bindgen, wasm-opt from the npm package binaryen (Debian's is too old).
set -euo pipefail
cd "$(dirname "$0")/.."

WANT_BROWSER=${WANT_BROWSER:-1}   # chromium + chromedriver (tests, screenshots)
WANT_REDIS=${WANT_REDIS:-0}       # redis-server + redis-tools (recording goldens, benchmarks),
                                  # gcc + libc6-dev (the recorder's stopped-clock shim for @clock cases)

log() { printf '\033[1;34m[install]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ $apt_updated -eq 0 ]; then log "apt-get update"; $sudo apt-get update -qq; apt_updated=1; fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# 1. The wasm target.
if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# 2. trunk (pinned: newer releases need a newer rustc).
if ! trunk --version 2>/dev/null | grep -q '0.21.14'; then
  log "cargo install trunk 0.21.14 (about 7 minutes on 2 cores)"
  cargo install trunk --version 0.21.14 --locked
fi

# 3. wasm-bindgen-cli, exactly the version Cargo.lock resolved for wasm-bindgen.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock 2>/dev/null || true)
WB_VERSION=${WB_VERSION:-0.2.130}
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  log "cargo install wasm-bindgen-cli $WB_VERSION (about 2 minutes)"
  # Not --locked: with it the build failed on this toolchain (shared/toolchain.md).
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# 4. npm packages: binaryen (wasm-opt 132) and Playwright's test runner (no browser download).
if [ -f package.json ]; then
  if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -d node_modules/@playwright/test ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  fi
fi

# 5. Debian packages.
if [ "$WANT_BROWSER" = 1 ]; then apt_install chromium chromium-driver; fi
# The golden recorder compiles a small LD_PRELOAD clock shim for `@clock` cases (Debian's
# libfaketime deadlocks redis-server at start-up: crates/emulator/tests/golden/README.md).
if [ "$WANT_REDIS" = 1 ]; then apt_install redis-server redis-tools gcc libc6-dev; fi

# 6. Real clients for the native server's client tests (scripts/test-clients.sh):
# redis-cli from Debian's redis-tools, redis-py from PyPI (pinned).
WANT_CLIENTS=${WANT_CLIENTS:-1}
if [ "$WANT_CLIENTS" = 1 ]; then
  apt_install redis-tools
  if ! python3 -c 'import redis, sys; sys.exit(redis.__version__ != "8.1.0")' 2>/dev/null; then
    log "pip install redis==8.1.0"
    python3 -m pip install --quiet --disable-pip-version-check redis==8.1.0
  fi
fi

log "tools ready"
