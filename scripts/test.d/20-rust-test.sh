#!/usr/bin/env bash
# Unit, property, integration and doc tests of every crate. The tests that drive the real
# server binary get it through WSPRISM_SERVER_BIN, built first, so that no build runs in the
# middle of `cargo test` (see tests/src/lib.rs on why that matters).
set -euo pipefail
cargo build -p wsprism-server --locked
export WSPRISM_SERVER_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/wsprism-server"
cargo test --workspace --locked
