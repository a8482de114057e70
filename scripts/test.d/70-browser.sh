#!/usr/bin/env bash
# The playground (web/) end to end: build it (scripts/build-web.sh), type-check its
# JavaScript (JSDoc, `tsc --checkJs`), then drive it in headless Chromium through
# playwright-core against the real wsprism-server: tests/browser/*.test.mjs. Every test fails
# on a console error; screenshots of each view go to tests/artifacts/browser/.
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { printf -- '--- browser: %s ---\n' "$*"; }

step "build the playground (web/dist)"
bash scripts/build-web.sh

step "build wsprism-server"
cargo build -p wsprism-server --locked
export WSPRISM_SERVER_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/wsprism-server"

cd tests/browser
# setup.sh installs these once package-lock.json is tracked; until then, do it here.
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/typescript ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

step "type-check web/src (tsc --checkJs)"
./node_modules/.bin/tsc -p ../../web/jsconfig.json

step "playwright-core + /usr/bin/chromium"
# Each test bounds its own waits; the runner bounds each file as a whole.
node --test --test-concurrency=1 --test-timeout=180000 ./*.test.mjs
