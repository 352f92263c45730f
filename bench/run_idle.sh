#!/usr/bin/env bash
# Starts authd (AUTHD_THREADS=2, temporary store) and measures the memory cost of idle keep-alive
# connections with bench/idle_connections.py. Arguments go to that script (--connections N ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x build/authd ]; then
    [ -f build/CMakeCache.txt ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
    cmake --build build --target authd
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authd-idle-XXXXXX")
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
AUTHD_LISTEN="127.0.0.1:$port" AUTHD_THREADS=2 AUTHD_STORE="file:$tmp/data" \
    AUTHD_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789" \
    build/authd serve >"$tmp/authd.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/authd.log" >&2; exit 1; }
    sleep 0.05
done
curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" ||
    { echo "run_idle.sh: authd did not start" >&2; tail -20 "$tmp/authd.log" >&2; exit 1; }

status=0
timeout 600 /usr/bin/python3 bench/idle_connections.py --port "$port" --pid "$pid" "$@" || status=$?
exit "$status"
