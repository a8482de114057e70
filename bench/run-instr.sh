#!/usr/bin/env bash
# User-space instructions per echoed message: wsprism-server's /echo against the Rust peer
# servers, each run under valgrind's callgrind with the same load. Instruction counts do
# not depend on what else the machine is doing, so this shows small differences in the
# servers' own work that the noise of bench/run-load.sh hides (on loopback most of the
# time goes to the kernel's TCP stack, which callgrind does not count and which is the
# same for every server).
#
# Usage: bench/run-instr.sh
# Env:   SERVERS="wsprism fastwebsockets" (a subset), SCENARIOS="2 3" (numbers below),
#        DURATION=S (load per run, default 5), BASELINE_BIN=path (adds server "baseline",
#        as in run-load.sh). Needs valgrind (`apt-get install valgrind`).
# Node's ws is left out: callgrind cannot attribute a JIT's work meaningfully.
set -euo pipefail
cd "$(dirname "$0")/.."

# Not tungstenite by default: under callgrind its server burns about 400 million
# instructions in 5 s whatever the load (some spin under valgrind's one-thread-at-a-time
# scheduling) while echoing ~1,500 messages, so its count per message says nothing.
SERVERS=${SERVERS:-"wsprism fastwebsockets tokio-websockets"}
DURATION=${DURATION:-5}
ALL_SCENARIOS=(
    "1|1 conn, 20 B|--conns 1 --size 20"
    "2|100 conns, 20 B|--conns 100 --size 20"
    "3|100 conns, 1 KiB|--conns 100 --size 1024"
    "4|10 conns, 64 KiB|--conns 10 --size 65536"
    "7|100 conns, 20 B, 8 in flight|--conns 100 --size 20 --inflight 8"
)
SCENARIOS=${SCENARIOS:-"1 2 3 4 7"}

command -v valgrind >/dev/null || { echo "run-instr.sh: valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "run-instr.sh: taskset is needed" >&2; exit 1; }
cargo build --release -q -p wsprism-server -p wsprism-bench --bins
T=target/release

# shellcheck source=bench/servers.sh
source bench/servers.sh

WORK=$(mktemp -d)
VG_PID=
cleanup() {
    if [[ -n "$VG_PID" ]]; then kill "$VG_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

RESULTS="$WORK/results.txt"
: >"$RESULTS"
echo "Each server under callgrind on core 0, wsprism-load on core 1, $DURATION s per run." >&2
for entry in "${ALL_SCENARIOS[@]}"; do
    IFS='|' read -r num label largs <<<"$entry"
    [[ " $SCENARIOS " == *" $num "* ]] || continue
    for server in $SERVERS; do
        out="$WORK/$num.$server.out"
        cg="$WORK/$num.$server.callgrind"
        # shellcheck disable=SC2046
        taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$cg" \
            $(server_cmd "$server") >"$out" 2>"$WORK/vg.err" &
        VG_PID=$!
        addr=$(listening_addr "$out" 300) \
            || { echo "run-instr.sh: $server did not start: $(tail -3 "$WORK/vg.err")" >&2; exit 1; }
        # shellcheck disable=SC2086
        line=$(taskset -c 1 "$T/wsprism-load" --addr "$addr" $largs --warmup 0 \
            --duration "$DURATION" 2>"$WORK/load.err" | grep '^RESULT ' | tail -1) || true
        # callgrind writes its counts when the process exits (SIGTERM is handled).
        kill "$VG_PID" 2>/dev/null || true
        wait "$VG_PID" 2>/dev/null || true
        VG_PID=
        msgs=$(sed -n 's/.* messages=\([0-9]*\).*/\1/p' <<<"$line")
        instr=$(callgrind_annotate "$cg" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
        if [[ -z "$msgs" || "$msgs" == 0 || -z "$instr" ]]; then
            echo "$num $server FAILED" >>"$RESULTS"
            echo "  [$label] $server: FAILED $(tail -1 "$WORK/load.err")" >&2
            continue
        fi
        echo "$num $server $msgs $instr" >>"$RESULTS"
        echo "  [$label] $server: $msgs messages, $instr instructions, $((instr / msgs)) per message" >&2
    done
done

python3 - "$RESULTS" "$SERVERS" "${ALL_SCENARIOS[@]}" <<'EOF'
import sys
results, servers = sys.argv[1], sys.argv[2].split()
labels = {s.split('|')[0]: s.split('|')[1] for s in sys.argv[3:]}
per = {}
for line in open(results):
    f = line.split()
    if len(f) == 4:
        per[(f[0], f[1])] = int(f[3]) / int(f[2])
print('User-space instructions per echoed message (callgrind; the whole server process, '
      'start-up included; lower is better). In brackets: peer / wsprism, above 1 means '
      'wsprism does less work.')
print()
print('| Scenario | ' + ' | '.join(servers) + ' |')
print('|---' * (len(servers) + 1) + '|')
for num, label in labels.items():
    if not any((num, s) in per for s in servers):
        continue
    ours = per.get((num, servers[0]))
    cells = []
    for s in servers:
        v = per.get((num, s))
        cell = 'failed' if v is None else f'{v:,.0f}'
        if s != servers[0] and v and ours:
            cell += f' ({v / ours:.2f}×)'
        cells.append(cell)
    print(f'| {label} | ' + ' | '.join(cells) + ' |')
EOF
