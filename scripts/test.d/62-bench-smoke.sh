#!/usr/bin/env bash
# The load benchmark's instrument (bench/run-load.sh is not part of the test command; the
# generator it drives is): wsprism-load, in release, briefly against the release server in
# every mode, and against an echo server that flips one byte of an echo, which it must
# report as a failure. A load generator that stopped checking the echoes would pass the
# first part and fail the second.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --release --locked -p wsprism-server -p wsprism-bench --bin wsprism-server --bin wsprism-load
T="${CARGO_TARGET_DIR:-$PWD/target}/release"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# shellcheck source=bench/servers.sh
source bench/servers.sh

# Starts "$@" in the background; sets ADDR from its first line `listening on http://ADDR`.
STARTS=0
start() {
  STARTS=$((STARTS + 1))
  local out="$WORK/server.$STARTS.out" err="$WORK/server.$STARTS.err"
  "$@" >"$out" 2>"$err" &
  PIDS+=("$!")
  SERVER_PID=$!
  if ! ADDR=$(listening_addr "$out"); then
    echo "no address from: $*" >&2
    cat "$err" >&2
    return 1
  fi
}

# Runs wsprism-load and checks its RESULT line has KEY above 0.
expect_result() {
  local key=$1
  shift
  local line
  line=$("$T/wsprism-load" --addr "$ADDR" --warmup 0.1 --duration 0.4 "$@" | grep '^RESULT ')
  echo "  wsprism-load $*: ${line#RESULT }"
  local value
  value=$(grep -o " $key=[0-9]*" <<<"$line" | cut -d= -f2)
  if [[ -z "$value" || "$value" -le 0 ]]; then
    echo "expected $key > 0" >&2
    return 1
  fi
}

start "$T/wsprism-server" --listen 127.0.0.1:0 --log-level error
expect_result messages --conns 20 --size 20
expect_result messages --conns 4 --size 70000 --inflight 2
expect_result messages --conns 4 --size 1024 --payload compressible --deflate
expect_result messages --conns 4 --size 1024 --server-pid "$SERVER_PID"
expect_result handshakes --mode handshake --conns 4
expect_result bytes_per_conn --mode idle --conns 200 --server-pid "$SERVER_PID"

# The lying server: its 101st echo and every one after differ in one bit.
start python3 bench/smoke/bad_echo.py --after 100
if "$T/wsprism-load" --addr "$ADDR" --conns 2 --size 64 --warmup 0 --duration 2 \
    >"$WORK/bad.out" 2>"$WORK/bad.err"; then
  echo "wsprism-load accepted a corrupted echo" >&2
  cat "$WORK/bad.out" >&2
  exit 1
fi
if ! grep -q 'differs' "$WORK/bad.err"; then
  echo "wsprism-load failed, but not on the corrupted echo:" >&2
  cat "$WORK/bad.err" >&2
  exit 1
fi
echo "  wsprism-load against an echo server that flips a bit: $(cat "$WORK/bad.err")"
echo "wsprism-load: every mode works, and a corrupted echo fails the run"
