#!/usr/bin/env bash
# RFC 7692 permessage-deflate (codec feature `deflate`): lints, tests, and the no_std build.
set -euo pipefail
cargo clippy -p wsprism --all-targets --locked --features deflate -- -D warnings
cargo test -p wsprism --locked --features deflate
cargo rustc -p wsprism --lib --locked --no-default-features --features deflate \
  --target wasm32-unknown-unknown --crate-type rlib
