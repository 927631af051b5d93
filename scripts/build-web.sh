#!/usr/bin/env bash
# Builds the page into dist/ with trunk (release, offline): the wasm-release cargo profile,
# wasm-opt -Oz from npm's binaryen 132, relative asset URLs (any sub-path works).
# Assumes scripts/install-tools.sh ran. Prints the wasm's raw and gzipped sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

echo "== cargo fetch"
cargo fetch --locked
echo "== trunk build --release --offline"
trunk build --release --offline

wasm=$(ls dist/*_bg.wasm | head -n 1)
raw=$(wc -c < "$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "== built $wasm: $raw bytes raw, $gz bytes gzipped"
