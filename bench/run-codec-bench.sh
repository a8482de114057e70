#!/usr/bin/env bash
# Runs the codec benchmarks (bench/benches/mask.rs, bench/benches/decode.rs) and prints a
# markdown table per group: the throughput of every implementation and the ratio
# wsprism / peer at each size (above 1.00x: wsprism is faster), all from the same run.
#
#   bench/run-codec-bench.sh                        # 1 s warm-up, 3 s measurement, 1 run
#   bench/run-codec-bench.sh --measurement-time 10  # any criterion arguments replace those
#   BENCHES=mask bench/run-codec-bench.sh           # only the unmask group (or: decode)
#   FILTER='/65536$' bench/run-codec-bench.sh       # only benchmarks matching a regex
#   RUNS=3 bench/run-codec-bench.sh                 # median of 3 runs, per cell
#   taskset -c 1 bench/run-codec-bench.sh           # pinned to one core (quieter)
#
# A figure is criterion's median time per iteration (target/criterion/**/new/estimates.json)
# turned into bytes per second with the benchmark's throughput. Criterion measures one
# benchmark after the other, so on a busy machine a ratio can drift by a few percent; RUNS
# repeats the whole suite and reports the per-cell median.
set -euo pipefail
cd "$(dirname "$0")/.."

benches=${BENCHES:-"mask decode"}
runs=${RUNS:-1}
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--warm-up-time 1 --measurement-time 3)

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
criterion_dir="$target_dir/criterion"

bench_flags=()
groups=()
for b in $benches; do
  bench_flags+=(--bench "$b")
  case $b in
    mask) groups+=(unmask) ;;
    decode) groups+=(decode-frames decode-messages) ;;
    *) echo "unknown bench '$b' (mask, decode)" >&2; exit 2 ;;
  esac
done

results=$(mktemp)
trap 'rm -f "$results"' EXIT

for run in $(seq "$runs"); do
  # Only this run's results are collected.
  for g in "${groups[@]}"; do rm -rf "${criterion_dir:?}/$g"; done
  echo "run $run of $runs" >&2
  cargo bench -p wsprism-bench "${bench_flags[@]}" -- "${args[@]}" ${FILTER:+"$FILTER"} >&2
  # One line per benchmark: group, function, size, bytes per second.
  python3 - "$criterion_dir" "${groups[@]}" >>"$results" <<'PY'
import json, sys
from pathlib import Path
root = Path(sys.argv[1])
for group in sys.argv[2:]:
    for bench in sorted((root / group).glob("*/*/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        ns = json.loads((bench.parent / "estimates.json").read_text())["median"]["point_estimate"]
        print(group, meta["function_id"], meta["value_str"], meta["throughput"]["Bytes"] / ns * 1e9)
PY
done

python3 - "$results" "$runs" "${groups[@]}" <<'PY'
import statistics, sys

path, runs, groups = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
samples = {}  # (group, size) -> {function: [bytes per second, one per run]}
for line in open(path):
    group, func, size, bps = line.split()
    samples.setdefault((group, int(size)), {}).setdefault(func, []).append(float(bps))

def size_name(n):
    for unit, div in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div and n % div == 0:
            return f"{n // div} {unit}"
    return f"{n} B"

def rate(bps):
    return f"{bps / (1 << 30):.2f} GiB/s" if bps >= 1 << 30 else f"{bps / (1 << 20):.1f} MiB/s"

if not samples:
    sys.exit("no criterion results found")
for group in groups:
    sizes = sorted(s for g, s in samples if g == group)
    if not sizes:
        continue
    funcs = sorted({f for s in sizes for f in samples[(group, s)]}, key=lambda f: (f != "wsprism", f))
    peers = [f for f in funcs if f != "wsprism"]
    note = f", median of {runs} runs" if runs > 1 else ""
    print(f"\n### {group} (throughput{note})\n")
    print("| size | " + " | ".join(funcs) + " | " + " | ".join(f"wsprism / {p}" for p in peers) + " |")
    print("|---" * (1 + len(funcs) + len(peers)) + "|")
    for size in sizes:
        cell = samples[(group, size)]
        med = {f: statistics.median(v) for f, v in cell.items()}
        # A ratio is the median of the per-run ratios: each compares figures of one run.
        def ratio(p):
            if "wsprism" not in cell or p not in cell:
                return "-"
            return f"{statistics.median(w / q for w, q in zip(cell['wsprism'], cell[p])):.2f}x"
        print(f"| {size_name(size)} | " + " | ".join(rate(med[f]) if f in med else "-" for f in funcs)
              + " | " + " | ".join(ratio(p) for p in peers) + " |")
PY
