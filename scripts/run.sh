#!/usr/bin/env bash
# The main job. Until the server lands this is the codec's demo: the RFC 6455 §5.7 frames
# encoded and decoded byte by byte.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec cargo run --release --locked -p wsprism --example demo
