#!/usr/bin/env bash
# The conformance suite (tests/conformance: Autobahn's sections 1-7, 9, 10, 12, 13, about 600 cases)
# and the hostile-client tests, against a *release* build of wsprism-server: the build users
# run, where timing differs from the debug build that `cargo test --workspace` (stage 20)
# already checks. Prints the per-section table and the hostile tests' figures (memory per
# idle connection among them).
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --release --locked -p wsprism-server
export WSPRISM_SERVER_BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/wsprism-server"

cargo run --locked -p wsprism-conformance --bin conformance
cargo test --locked -p wsprism-conformance --test hostile -- --nocapture
