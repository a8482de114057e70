#!/usr/bin/env bash
# The server speaks WebSocket through our own codec after taking over hyper's connection:
# tungstenite (warp's `websocket` feature) must not be anywhere in its dependency tree.
# (Its behaviour is tested by `cargo test --workspace`: server/tests/.)
set -euo pipefail
if cargo tree -p wsprism-server --locked -e normal,build,dev --prefix none \
    | grep -Ei '^(tokio-)?tungstenite '; then
  echo "wsprism-server must not depend on tungstenite" >&2
  exit 1
fi
echo "wsprism-server: no tungstenite in its dependency tree"
