#!/usr/bin/env bash
# Takes the README's screenshots (docs/screenshots/*.png) from the built page, in
# headless Chromium, by running end2end/tests/screenshots.spec.ts with SCREENSHOTS=1.
# Each shot types its state into the console like a learner would.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
bash scripts/install-tools.sh
bash scripts/build-web.sh
SCREENSHOTS=1 playwright test -c end2end/playwright.config.ts end2end/tests/screenshots.spec.ts
ls -l docs/screenshots
