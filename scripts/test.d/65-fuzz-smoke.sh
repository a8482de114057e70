#!/usr/bin/env bash
# A short fuzz run: every cargo-fuzz target of the codec for 10 s (the long runs are
# scripts/fuzz.sh with its default of 5 minutes per target). A finding fails the stage and
# is kept in codec/tests/fuzz-corpus/ as a regression input.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec bash scripts/fuzz.sh 10
