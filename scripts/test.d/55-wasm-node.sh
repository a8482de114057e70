#!/usr/bin/env bash
# The npm package as a user gets it: built (wasm-pack, Node target), packed (`npm pack`),
# installed from the tarball into a fresh temporary folder, then tested there with
# `node --test` (shared vectors, API, agreement with `ws`) and type-checked from a
# TypeScript consumer (`tsc --noEmit`). Only the npm registry is used (typescript and ws,
# pinned by tests/wasm-node/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

bash scripts/wasm/build-pkg.sh nodejs pkg-node

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd codec/pkg-node && npm pack --silent --pack-destination "$tmp" >/dev/null)
tarball=$(ls "$tmp"/wsprism-*.tgz)
printf '[wasm-node] %s (%s bytes)\n' "$(basename "$tarball")" "$(wc -c < "$tarball")" >&2

cp tests/wasm-node/package.json tests/wasm-node/package-lock.json tests/wasm-node/tsconfig.json \
  tests/wasm-node/consumer.ts tests/wasm-node/*.test.mjs "$tmp/"
cp codec/tests/vectors/frames.json "$tmp/vectors.json"
cd "$tmp"
npm ci --no-audit --no-fund --loglevel=error
npm install --no-save --no-audit --no-fund --loglevel=error "$tarball"
# What the tarball carries: the README, the types, the .wasm and its glue.
tar -tzf "$tarball" | sort | tr '\n' ' ' >&2; echo >&2
for f in README.md wsprism.d.ts wsprism.js wsprism_bg.wasm package.json; do
  test -f "node_modules/wsprism/$f" || { echo "package lacks $f" >&2; exit 1; }
done

node --test --test-reporter=spec ./*.test.mjs
npx --no-install tsc -p tsconfig.json --noEmit
printf '[wasm-node] tsc --noEmit: consumer.ts type-checks against the installed package\n' >&2
cd "$root"
