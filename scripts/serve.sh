#!/usr/bin/env bash
# Installs what is missing, builds the page and serves dist/ on 127.0.0.1:${PORT:-8080}.
# dist/ uses relative URLs, so it can also be copied under any sub-path of a site.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-8080}

bash scripts/install-tools.sh
bash scripts/build-web.sh

echo "== serving the playground at http://127.0.0.1:$PORT/  (Ctrl+C stops)"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory dist
