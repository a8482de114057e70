# Sourced by run-load.sh and run-instr.sh: the command line of each server they compare.
# Needs T (the release directory); IDLE_CONNS (default 10000) sizes wsprism's connection
# limit, BASELINE_BIN names the "baseline" build.

# The command line of server $1; $2 non-empty for a --deflate scenario (node-ws only).
server_cmd() {
    local ours="--listen 127.0.0.1:0 --log-level error --max-connections $((${IDLE_CONNS:-10000} + 1000))"
    case "$1" in
        wsprism) echo "$T/wsprism-server $ours" ;;
        baseline) echo "${BASELINE_BIN:?BASELINE_BIN is not set} $ours" ;;
        tungstenite) echo "$T/peer-tungstenite --listen 127.0.0.1:0" ;;
        fastwebsockets) echo "$T/peer-fastwebsockets --listen 127.0.0.1:0" ;;
        tokio-websockets) echo "$T/peer-tokio-websockets --listen 127.0.0.1:0" ;;
        node-ws) echo "node bench/node-ws/server.mjs --listen 127.0.0.1:0${2:+ --deflate}" ;;
        *) echo "unknown server $1" >&2; exit 1 ;;
    esac
}
