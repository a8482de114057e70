#!/usr/bin/env bash
# Fuzzes the codec with cargo-fuzz (libFuzzer + AddressSanitizer), each target for SECONDS.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     default: 300 s for every target
#
# Targets (codec/fuzz/fuzz_targets/, properties in codec/fuzz/src/checks.rs): frame_decoder,
# message, close_payload, handshake, utf8_stream. Each starts from the seed corpus in
# codec/tests/fuzz-corpus/<target>/ and grows codec/fuzz/corpus/<target>/ (not tracked).
# An input that breaks a property is copied into codec/tests/fuzz-corpus/<target>/, where
# codec/tests/fuzz_regressions.rs replays it in every `cargo test`; the script then fails.
# Prints executions, executions per second and corpus size per target.
#
# cargo-fuzz needs nightly-only flags (-Zsanitizer); RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them. scripts/setup.sh installs cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-300}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(frame_decoder message close_payload handshake utf8_stream)
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: run scripts/setup.sh" >&2
  exit 1
fi
export RUSTC_BOOTSTRAP=1

cd codec/fuzz
cargo fuzz build --release 2>&1 | tail -n 1
mkdir -p logs
failed=()
summary=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="logs/$t.log"
  printf '\n=== fuzz %s for %ss ===\n' "$t" "$secs"
  status=ok
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: memory growth is a bug.
  if ! cargo fuzz run --release "$t" "corpus/$t" "../tests/fuzz-corpus/$t" -- \
      -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      >"$log" 2>&1; then
    status=FAILED
    failed+=("$t")
    for crash in "artifacts/$t"/*; do
      [ -f "$crash" ] || continue
      cp "$crash" "../tests/fuzz-corpus/$t/"
      echo "kept $crash as codec/tests/fuzz-corpus/$t/$(basename "$crash")"
    done
    grep -E 'panicked|ERROR|SUMMARY|assert' "$log" | head -n 20 || true
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  units=$(find "corpus/$t" -type f | wc -l)
  summary+=("$(printf '%-14s %12s %10s %8s  %s' "$t" "$execs" "$rate" "$units" "$status")")
done
printf '\n%-14s %12s %10s %8s  %s\n' target execs execs/s corpus result
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: $(( ${#targets[@]} - ${#failed[@]} )) passed, ${#failed[@]} failed (${failed[*]})"
  exit 1
fi
echo "fuzz: ${#targets[@]} passed, 0 failed"
