#!/usr/bin/env bash
# validate_token latency while a flood of logins saturates the Argon2id pool: alternating
# rounds of (validate alone) and (validate + login flood), same wrk settings; prints the
# validate p99 of both, their ratio, and how the flood's logins were answered (200 / 503).
# usage: bench/login_flood.sh [--rounds N] [--duration 10s] [--flood-connections 64]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
die() { echo "login_flood.sh: $*" >&2; exit 1; }
source bench/lib.sh

rounds=3 duration=10s flood_connections=64
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --flood-connections) flood_connections=$2; shift 2 ;;
        *) die "unknown option $1" ;;
    esac
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authd-flood-XXXXXX")
pids=()
trap 'stop_pids; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
ensure_authd_built

port=$(free_port)
password="Flood-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
env AUTHD_LISTEN="127.0.0.1:$port" AUTHD_STORE="file:$tmp/data" AUTHD_THREADS=2 \
    AUTHD_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789" AUTHD_ACCESS_TTL=86400 \
    AUTHD_LOGIN_MAX_FAILURES=1000000 AUTHD_SUPERUSER_USERNAME=flood \
    AUTHD_SUPERUSER_EMAIL=flood@example.com AUTHD_SUPERUSER_PASSWORD="$password" \
    build/authd serve >"$tmp/authd.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$port/healthz" 15 "$!" || die "authd did not start: $(tail -5 "$tmp/authd.log")"
AUTHD_BENCH_TOKEN=$(login_token "$port" flood "$password") || die "login failed"
export AUTHD_BENCH_TOKEN AUTHD_BENCH_USER=flood AUTHD_BENCH_PASSWORD="$password"
secs=$(seconds_of "$duration")

validate() {  # validate <output>
    timeout $((secs + 60)) wrk -t1 -c16 -d"$duration" --latency -s bench/validate_token.lua \
        "http://127.0.0.1:$port" >"$1" 2>&1 || die "wrk failed: $(cat "$1")"
}

echo "validate_token (wrk -t1 -c16 -d$duration) alone and beside a login flood (wrk -t1 -c$flood_connections)"
printf '%-6s %-8s %10s %10s %28s\n' round mode "req/s" "p99 ms" "flood logins"
idle=() busy=()
for ((r = 1; r <= rounds; r++)); do
    validate "$tmp/idle.txt"
    parse_wrk "$tmp/idle.txt"
    idle+=("$p99")
    printf '%-6s %-8s %10s %10s\n' "$r" alone "$rps" "$p99"
    timeout $((secs + 70)) wrk -t1 -c"$flood_connections" -d"$((secs + 2))s" -s bench/login.lua \
        "http://127.0.0.1:$port" >"$tmp/flood.txt" 2>&1 &
    flood=$!
    sleep 1
    validate "$tmp/busy.txt"
    wait "$flood" || true
    parse_wrk "$tmp/busy.txt"
    busy+=("$p99")
    # Logins beyond what the pool can take are answered 503 (+ Retry-After): wrk counts them as non-2xx.
    flood_total=$(awk '/requests in/ {print $1}' "$tmp/flood.txt")
    flood_non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$tmp/flood.txt")
    answers="${flood_total:-0} logins, ${flood_non2xx:-0} answered 503" 
    printf '%-6s %-8s %10s %10s %28s\n' "$r" flood "$rps" "$p99" "$answers"
done
mi=$(median "${idle[@]}") mb=$(median "${busy[@]}")
echo "median validate p99: alone ${mi} ms, during flood ${mb} ms, ratio $(awk -v a="$mb" -v b="$mi" 'BEGIN{printf "%.2f", a/b}')"
grep -c '"hash' /dev/null >/dev/null || true
