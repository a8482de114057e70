#!/usr/bin/env bash
# Unit, property, integration and doc tests of every crate.
set -euo pipefail
cargo test --workspace --locked
