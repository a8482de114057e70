#!/usr/bin/env bash
# The codec builds for wasm32 without its `std` feature: proof that it is really no_std.
# (`--crate-type rlib`: the cdylib that wasm-pack needs links std; the library itself must not.)
set -euo pipefail
cargo rustc -p wsprism --lib --locked --no-default-features \
  --target wasm32-unknown-unknown --crate-type rlib
