#!/usr/bin/env bash
# Builds the npm package `wsprism` from the codec crate (feature `wasm`) and shrinks its .wasm.
#
#   scripts/wasm/build-pkg.sh nodejs pkg-node   # -> codec/pkg-node (Node, CommonJS)
#   scripts/wasm/build-pkg.sh web pkg-web       # -> codec/pkg-web (ES module)
#   scripts/wasm/build-pkg.sh web /abs/dir      # -> /abs/dir (the playground's build)
#
# wasm-pack runs without its own wasm-opt step (codec/Cargo.toml says why: Debian 12's
# binaryen 108 breaks wasm-bindgen 0.2.130's externref table); the binaryen pinned next to
# this script (npm, `npm ci` in this folder) optimises for size instead and drops the name
# section. Prints the .wasm size, raw and gzipped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${1:?usage: build-pkg.sh nodejs|web OUT_DIR}
out=${2:?usage: build-pkg.sh nodejs|web OUT_DIR}

wasm-pack --log-level warn build "$root/codec" --release --target "$target" --out-dir "$out" \
  --features wasm

# wasm-pack takes OUT_DIR relative to the crate; an absolute one is used as it is.
case "$out" in /*) dir=$out ;; *) dir=$root/codec/$out ;; esac
wasm="$dir/wsprism_bg.wasm"
opt="$here/node_modules/binaryen/bin/wasm-opt"
if [ ! -x "$opt" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
# The features rustc 1.95 enables for wasm32 by default, which wasm-bindgen's output uses.
"$opt" -Oz --converge --zero-filled-memory --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-multivalue --enable-mutable-globals \
  --strip-producers --strip-target-features "$wasm" -o "$wasm.opt"
mv "$wasm.opt" "$wasm"
printf '[build-pkg] %s: wsprism_bg.wasm %s bytes, %s gzipped (gzip -9)\n' "$dir" \
  "$(wc -c < "$wasm")" "$(gzip -9c "$wasm" | wc -c)" >&2
