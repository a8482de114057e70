#!/usr/bin/env bash
# Formatting and lints, as the project's standards require.
set -euo pipefail
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
