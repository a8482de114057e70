# Sourced by run-load.sh, run-instr.sh and scripts/test.d/62-bench-smoke.sh: the command
# line of each server they compare, and how to read the address a started server announces.
# server_cmd needs T (the release directory); IDLE_CONNS (default 10000) sizes wsprism's
# connection limit, BASELINE_BIN names the "baseline" build.

# Prints the address a server announced as the first line of FILE, `listening on
# http://ADDR`, polling every 0.1 s up to TRIES times (default 100); fails if it never
# came. FILE must be new for each start: a previous server's line would be read as this one's.
listening_addr() {
    local file=$1 tries=${2:-100} addr
    for _ in $(seq "$tries"); do
        addr=$(sed -n '1s#^listening on http://##p' "$file")
        if [[ -n "$addr" ]]; then
            echo "$addr"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

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
