#!/usr/bin/env bash
# The main job: builds the playground (wasm codec + page) and starts wsprism-server, which
# serves it at http://127.0.0.1:8080/ next to /echo, /chat, /inspect, /healthz and /metrics.
# Extra arguments go to the server (`./scripts/run.sh --help` lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-web.sh
cargo build --release --locked -p wsprism-server
exec ./target/release/wsprism-server --web-dir web/dist "$@"
