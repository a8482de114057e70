#!/usr/bin/env bash
# One idempotent set-up step for a fresh Debian 12 machine with rustup, Node 20 and npm.
# Both README commands call it; on a machine that already has everything it takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the `wasm-bindgen = "=..."` pin in codec/Cargo.toml
log() { printf '[setup] %s\n' "$*" >&2; }

need_apt=()
command -v chromium   >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v wasm-pack >/dev/null 2>&1; then
  log "cargo install wasm-pack"
  cargo install wasm-pack --locked
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # No --locked: its lock file names a version the registry index here lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi
# cargo-fuzz, for scripts/fuzz.sh and test stage 65.
# A few minutes to build once. The fuzz targets need nightly-only flags, which the scripts
# unlock on the stable toolchain with RUSTC_BOOTSTRAP=1.
if ! cargo fuzz --version >/dev/null 2>&1; then
  log "cargo install cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

# Python's `websockets`: an independent client for the interop tests.
if ! python3 -c 'import websockets' >/dev/null 2>&1; then
  log "pip install websockets"
  python3 -m pip install --quiet --disable-pip-version-check 'websockets==17.4'
fi

# Node packages of every folder that declares some (tests, playground), from their lock files.
for dir in $(git ls-files '*package.json' | grep -v node_modules | xargs -r -n1 dirname); do
  if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules" -o "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    log "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
done
log "toolchain ready"
