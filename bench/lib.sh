# Shared helpers for the bench/*.sh scripts (sourced, not run). Loopback only.
# The sourcing script defines `die` and the `pids` array; cleanup stops those PIDs.

seconds_of() {  # wrk duration (10, 10s, 2m, 1h) -> whole seconds
    [[ $1 =~ ^([0-9]+)([smh]?)$ ]] || die "bad duration '$1'"
    case "${BASH_REMATCH[2]}" in
        m) echo $((BASH_REMATCH[1] * 60)) ;;
        h) echo $((BASH_REMATCH[1] * 3600)) ;;
        *) echo "${BASH_REMATCH[1]}" ;;
    esac
}

stop_pids() {  # SIGTERM each started process, SIGKILL after 10 s
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_http() {  # wait_http <url> <seconds> <pid or "">: until the URL answers 2xx
    local url=$1 limit=$2 pid=$3 i
    for ((i = 0; i < limit * 20; i++)); do
        curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
        sleep 0.05
    done
    return 1
}

ensure_authd_built() {
    if [ ! -x build/authd ]; then
        [ -f build/CMakeCache.txt ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
        cmake --build build --target authd
    fi
}

to_ms() {  # wrk latency (812.00us, 1.20ms, 2.01s, 1.00m) -> milliseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.3f", n }'
}

# Sets rps, p99 (ms), non2xx and errors from one wrk output.
parse_wrk() {
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$1")
    p99=$(awk '$1 == "99%" {print $2; exit}' "$1")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$1")
    errors=$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$1")
    [ -n "$rps" ] && [ -n "$p99" ] || die "cannot parse wrk output: $(cat "$1")"
    p99=$(to_ms "$p99")
    non2xx=${non2xx:-0}
    errors=${errors:-0}
}

median() {
    printf '%s\n' "$@" | sort -g |
        awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

login_token() {  # login_token <port> <username> <password> -> prints the access token
    curl -sS --max-time 10 -H 'Content-Type: application/json' \
        -d "{\"username\": \"$2\", \"password\": \"$3\"}" "http://127.0.0.1:$1/auth/token/" |
        /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])'
}
