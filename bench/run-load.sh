#!/usr/bin/env bash
# WebSocket load benchmark: wsprism-server's /echo against peer echo servers, in the same run.
#
# Servers: wsprism (target/release/wsprism-server), tokio-tungstenite, fastwebsockets,
# tokio-websockets (bench/src/bin/peer-*.rs) and Node's ws (bench/node-ws/server.mjs).
# Load: target/release/wsprism-load (the wsprism codec as a client on raw TCP, every echoed
# byte checked). Each server is pinned to core 0 and the load generator to core 1
# (taskset), so they never compete for a core. Runs alternate between servers (ours, peers,
# ours, peers, ...), every run with a fresh server process, and the tables show medians.
#
# Usage: bench/run-load.sh              # 2 runs of 1 s warm-up + 5 s each (~16 minutes)
#        QUICK=1 bench/run-load.sh      # 1 run of 0.5 s + 2 s each (~5 minutes)
# Env:   RUNS=N, DURATION=S, WARMUP=S, SERVERS="wsprism tungstenite ..." (a subset),
#        SCENARIOS="1 2 9" (a subset of the numbers below), IDLE_CONNS=10000,
#        BASELINE_BIN=path: adds server "baseline", another wsprism-server build (e.g. of the
#        previous commit), to show whether a change pays: SERVERS="wsprism baseline".
# Scenarios 10-17 compare /echo with and without permessage-deflate (RFC 7692, --deflate:
# the client compresses every message and inflates every echo) on compressible and random
# payloads; servers without permessage-deflate show n/a there (only wsprism and node-ws,
# started with --deflate, support it).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${QUICK:-0}" == 1 ]]; then
    RUNS=${RUNS:-1} DURATION=${DURATION:-2} WARMUP=${WARMUP:-0.5}
else
    RUNS=${RUNS:-2} DURATION=${DURATION:-5} WARMUP=${WARMUP:-1}
fi
SERVERS=${SERVERS:-"wsprism tungstenite fastwebsockets tokio-websockets node-ws"}
IDLE_CONNS=${IDLE_CONNS:-10000}

# number|label|wsprism-load arguments (--addr, --warmup, --duration are added).
ALL_SCENARIOS=(
    "1|1 conn, 20 B|--conns 1 --size 20"
    "2|100 conns, 20 B|--conns 100 --size 20"
    "3|100 conns, 1 KiB|--conns 100 --size 1024"
    "4|10 conns, 64 KiB|--conns 10 --size 65536"
    "5|1,000 conns, 20 B|--conns 1000 --size 20"
    "6|10 conns, 1 MiB|--conns 10 --size 1048576"
    "7|100 conns, 20 B, 8 in flight|--conns 100 --size 20 --inflight 8"
    "8|handshakes/s (8 at a time)|--mode handshake --conns 8"
    "9|idle conns: RSS per conn|--mode idle --conns $IDLE_CONNS"
    "10|100 conns, 1 KiB compressible|--conns 100 --size 1024 --payload compressible"
    "11|100 conns, 1 KiB compressible, deflate|--conns 100 --size 1024 --payload compressible --deflate"
    "12|100 conns, 1 KiB random|--conns 100 --size 1024 --payload random"
    "13|100 conns, 1 KiB random, deflate|--conns 100 --size 1024 --payload random --deflate"
    "14|10 conns, 64 KiB compressible|--conns 10 --size 65536 --payload compressible"
    "15|10 conns, 64 KiB compressible, deflate|--conns 10 --size 65536 --payload compressible --deflate"
    "16|10 conns, 64 KiB random|--conns 10 --size 65536 --payload random"
    "17|10 conns, 64 KiB random, deflate|--conns 10 --size 65536 --payload random --deflate"
)
SCENARIOS=${SCENARIOS:-"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"}
# Servers that speak permessage-deflate (the others are skipped in --deflate scenarios).
DEFLATE_SERVERS="wsprism baseline node-ws"

cargo build --release -q -p wsprism-server -p wsprism-bench --bins
if [[ " $SERVERS " == *" node-ws "* && ! -d bench/node-ws/node_modules/ws ]]; then
    (cd bench/node-ws && npm ci --no-audit --no-fund >/dev/null)
fi
T=target/release
command -v taskset >/dev/null || { echo "run-load.sh: taskset is needed" >&2; exit 1; }

# shellcheck source=bench/servers.sh
source bench/servers.sh

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Starts server $1 on core 0 (with permessage-deflate if $2 is 1); sets SERVER_PID and
# SERVER_ADDR.
STARTS=0
start_server() {
    # A new file per start: the previous server's line must never be read for this one.
    STARTS=$((STARTS + 1))
    local out="$WORK/server.$STARTS.out" err="$WORK/server.$STARTS.err"
    : >"$out"
    # shellcheck disable=SC2046
    taskset -c 0 $(server_cmd "$1" "${2:-}") >"$out" 2>"$err" &
    SERVER_PID=$!
    if ! SERVER_ADDR=$(listening_addr "$out"); then
        echo "run-load.sh: $1 did not start: $(cat "$err")" >&2
        exit 1
    fi
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

RESULTS="$WORK/results.txt"
: >"$RESULTS"
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), Linux $(uname -r)" >&2
echo "Pinned: each server on core 0 (taskset -c 0), the load generator on core 1 (taskset -c 1)." >&2
for entry in "${ALL_SCENARIOS[@]}"; do
    IFS='|' read -r num label largs <<<"$entry"
    [[ " $SCENARIOS " == *" $num "* ]] || continue
    for run in $(seq "$RUNS"); do
        for server in $SERVERS; do
            deflate=
            if [[ "$largs" == *"--deflate"* ]]; then
                [[ " $DEFLATE_SERVERS " == *" $server "* ]] || continue
                deflate=1
            fi
            start_server "$server" "$deflate"
            # idle: the server's RSS; echo and handshakes: its CPU time over the measured window.
            extra=(--server-pid "$SERVER_PID")
            # shellcheck disable=SC2086
            if out=$(taskset -c 1 "$T/wsprism-load" --addr "$SERVER_ADDR" $largs "${extra[@]}" \
                --warmup "$WARMUP" --duration "$DURATION" 2>"$WORK/load.err"); then
                line=$(grep '^RESULT ' <<<"$out" | tail -1)
                echo "$num $server $run ${line#RESULT }" >>"$RESULTS"
                echo "  [$label] run $run $server: ${line#RESULT }" >&2
            else
                echo "$num $server $run FAILED" >>"$RESULTS"
                echo "  [$label] run $run $server: FAILED: $(tail -1 "$WORK/load.err")" >&2
            fi
            stop_server
        done
    done
done

# The tables: medians of the runs; ratios are wsprism / peer.
python3 - "$RESULTS" "$SERVERS" "$RUNS" "$DURATION" "$WARMUP" "${ALL_SCENARIOS[@]}" <<'EOF'
import statistics, sys
results, servers, runs, duration, warmup = sys.argv[1:6]
servers = servers.split()
labels = {}
for s in sys.argv[6:]:
    num, label, _ = s.split('|', 2)
    labels[num] = label
data = {}  # (scenario, server) -> list of dicts
for line in open(results):
    num, server, _run, rest = line.split(' ', 3)
    fields = dict(kv.split('=', 1) for kv in rest.split() if '=' in kv)
    data.setdefault((num, server), []).append(fields)
scenarios = [n for n in labels if any((n, s) in data for s in servers)]

def median(num, server, key):
    vals = [float(f[key]) for f in data.get((num, server), []) if key in f]
    return statistics.median(vals) if vals else None

def fmt(v, unit=''):
    if v is None:
        return 'failed'
    return f'{v:,.0f}{unit}' if v >= 100 else f'{v:,.1f}{unit}'

print(f'Medians of {runs} run(s) of {warmup} s warm-up + {duration} s each. Each server is pinned '
      'to core 0 and the load generator (wsprism-load) to core 1, so they never share a core.')
print()
print('Throughput (higher is better; idle: bytes of server RSS per open connection, lower is '
      'better). In brackets: wsprism / peer.')
print()
print('| Scenario | ' + ' | '.join(servers) + ' |')
print('|---' * (len(servers) + 1) + '|')
for num in scenarios:
    modes = [f['mode'] for s in servers for f in data.get((num, s), []) if 'mode' in f]
    key, unit = {'echo': ('msgs_per_s', ' msg/s'), 'handshake': ('handshakes_per_s', ' /s'),
                 'idle': ('bytes_per_conn', ' B')}[modes[0] if modes else 'echo']
    ours = median(num, servers[0], key)
    cells = []
    for s in servers:
        v = median(num, s, key)
        cell = fmt(v, unit) if (num, s) in data else 'n/a'
        if s != servers[0] and v and ours:
            cell += f' ({ours / v:.2f}×)'
        cells.append(cell)
    print(f'| {labels[num]} | ' + ' | '.join(cells) + ' |')
print()
print('Latency of the echo scenarios in µs, p50 / p99 / p99.9 (lower is better):')
print()
print('| Scenario | ' + ' | '.join(servers) + ' |')
print('|---' * (len(servers) + 1) + '|')
for num in scenarios:
    if not any(f.get('mode') == 'echo' for s in servers for f in data.get((num, s), [])):
        continue
    cells = []
    for s in servers:
        ps = [median(num, s, k) for k in ('p50_us', 'p99_us', 'p999_us')]
        if (num, s) not in data:
            cells.append('n/a')
            continue
        cells.append('failed' if None in ps else ' / '.join(fmt(p) for p in ps))
    print(f'| {labels[num]} | ' + ' | '.join(cells) + ' |')
print()
print('Server CPU time per message (per handshake in the handshakes row) in µs, user + '
      'system, over the measured window (lower is '
      'better; /proc/PID/stat, 10 ms ticks), and in brackets peer / wsprism: above 1 means '
      'wsprism spends less. Where the load generator is the bottleneck the servers\' '
      'messages/s come out level, but this still shows what each message costs each server.')
print()
print('| Scenario | ' + ' | '.join(servers) + ' |')
print('|---' * (len(servers) + 1) + '|')
for num in scenarios:
    if not any('server_cpu_us_per_msg' in f for s in servers for f in data.get((num, s), [])):
        continue
    ours = median(num, servers[0], 'server_cpu_us_per_msg')
    cells = []
    for s in servers:
        if (num, s) not in data:
            cells.append('n/a')
            continue
        v = median(num, s, 'server_cpu_us_per_msg')
        pct = median(num, s, 'server_cpu_pct')
        cell = 'failed' if v is None else f'{v:,.2f} ({pct:.0f} % busy)'
        if s != servers[0] and v and ours:
            cell += f' ({v / ours:.2f}×)'
        cells.append(cell)
    print(f'| {labels[num]} | ' + ' | '.join(cells) + ' |')
EOF
