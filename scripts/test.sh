#!/usr/bin/env bash
# Runs the whole suite. Starts a local PostgreSQL for the PostgreSQL tests when one
# is installed and we may start it; otherwise those tests skip (and fail under CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${RAGBOX_TEST_PG_URL:-}" ]; then
  if url=$(scripts/start-postgres.sh); then
    export RAGBOX_TEST_PG_URL="$url"
  else
    echo "PostgreSQL is not available; its tests will be skipped." >&2
  fi
fi

# The MiniLM embedding model lives outside the repository (no downloads at run time).
if [ -z "${RAGBOX_MODELS_DIR:-}" ] && [ -d ../shared/models/all-MiniLM-L6-v2 ]; then
  export RAGBOX_MODELS_DIR="$(cd ../shared/models && pwd)"
fi

# MCP clients written by others (conformance suite, Inspector CLI), from npm.
node_dir=tests/e2e/node
if command -v npm >/dev/null; then
  # Two conformance releases (0.1.x and the next, aliased "conformance-next") share one bin
  # name, so look for each package itself.
  if [ ! -e "$node_dir/node_modules/@modelcontextprotocol/conformance/dist/index.js" ] \
     || [ ! -e "$node_dir/node_modules/conformance-next/dist/index.js" ] \
     || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules" ]; then
    npm ci --prefix "$node_dir" --silent --no-audit --no-fund && touch "$node_dir/node_modules"
  fi
else
  echo "npm is not installed; the MCP client tests will be skipped." >&2
fi

exec .venv/bin/python -m pytest "$@"
