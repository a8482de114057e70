#!/usr/bin/env bash
# Interop: wsprism-server's /echo driven by three independent client libraries, never by our
# own codec (a bug shared by our encoder and decoder would cancel out in a self-test):
# tokio-tungstenite (Rust, tests/tests/), Python `websockets` (tests/interop/python/) and
# Node's `ws` (tests/interop/node/). Each test runs its own server on 127.0.0.1:0.
set -euo pipefail
cd "$(dirname "$0")/../.."

step() { printf '\n--- interop: %s ---\n' "$*"; }
timed() {
  local start=$SECONDS
  "$@"
  printf -- '--- interop: done in %ss ---\n' "$((SECONDS - start))"
}

step "build wsprism-server"
timed cargo build -p wsprism-server --locked
export WSPRISM_SERVER_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/wsprism-server"

step "tokio-tungstenite client (cargo test -p wsprism-e2e)"
timed cargo test -p wsprism-e2e --locked

step "Python websockets client"
timed python3 -m unittest discover -s tests/interop/python -v

step "Node ws client"
cd tests/interop/node
# setup.sh installs these once package-lock.json is tracked; until then, do it here.
if [ ! -d node_modules/ws ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
timed npm test --silent
