#!/usr/bin/env bash
# Encode/decode throughput of the wsprism npm package (wasm) against ws's own frame handling
# (Sender/Receiver, pure JS), in one Node process; prints a markdown table with ratios.
#
#   bench/wasm-node/run.sh             # ROUNDS=7 ROUND_MS=200 by default
#   ROUNDS=11 ROUND_MS=300 bench/wasm-node/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bash "$root/scripts/wasm/build-pkg.sh" nodejs pkg-node
cd "$here"
[ -d node_modules/ws ] || npm ci --no-audit --no-fund --loglevel=error
WS_NO_BUFFER_UTIL=1 node bench.mjs "$root/codec/pkg-node"
