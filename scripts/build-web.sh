#!/usr/bin/env bash
# Builds the playground into web/dist (served by wsprism-server at `/`): the codec's wasm
# bindings (wasm-pack, web target, release) plus the page's files from web/src, copied as
# they are: plain ES modules, no bundler, nothing fetched at run time.
#
#   scripts/build-web.sh            # -> web/dist/{index.html,style.css,js/,pkg/}
#
# The output is replaced as a whole (built next to it, then swapped), so a server that
# serves web/dist never sees half a build.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
pkg="${CARGO_TARGET_DIR:-$root/target}/wsprism-web-pkg"

printf '[build-web] wasm-pack build codec (web target), then wasm-opt -Oz\n' >&2
bash scripts/wasm/build-pkg.sh web "$pkg"

tmp=$(mktemp -d "$root/web/.dist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -R web/src/. "$tmp/"
mkdir -p "$tmp/pkg"
cp "$pkg/wsprism.js" "$pkg/wsprism.d.ts" "$pkg/wsprism_bg.wasm" "$pkg/wsprism_bg.wasm.d.ts" "$tmp/pkg/"
chmod -R a+rX "$tmp"
rm -rf web/dist
mv "$tmp" web/dist
trap - EXIT
printf '[build-web] web/dist ready (%s, wasm %s bytes)\n' \
  "$(find web/dist -type f | wc -l) files" "$(wc -c < web/dist/pkg/wsprism_bg.wasm)" >&2
