#!/usr/bin/env bash
# Runs every test of the project: the set-up step, then each stage in scripts/test.d/ in
# order. Stops at the first failing stage and says which one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
passed=0
for stage in scripts/test.d/*.sh; do
  name=$(basename "$stage" .sh)
  printf '\n=== stage %s ===\n' "$name"
  start=$(date +%s)
  if bash "$stage"; then
    passed=$((passed + 1))
    printf '=== stage %s passed (%ss) ===\n' "$name" "$(( $(date +%s) - start ))"
  else
    printf '=== stage %s FAILED ===\n' "$name"
    printf 'stages: %d passed, 1 failed\n' "$passed"
    exit 1
  fi
done
printf '\nstages: %d passed, 0 failed\n' "$passed"
