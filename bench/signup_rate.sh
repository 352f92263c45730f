#!/usr/bin/env bash
# Signups per second through the whole path (validation, Argon2id, durable create with the
# verification mail, fsync'd group commit), with the default Argon2id cost and with a
# minimal one (which leaves the store's durability as the main cost).
# usage: bench/signup_rate.sh [--duration 10s] [--connections 32]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
die() { echo "signup_rate.sh: $*" >&2; exit 1; }
source bench/lib.sh

duration=10s connections=32
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        *) die "unknown option $1" ;;
    esac
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/authd-signup-XXXXXX")
pids=()
trap 'stop_pids; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
ensure_authd_built
secs=$(seconds_of "$duration")

run() {  # run <label> <extra env...>
    local label=$1 port dir
    shift
    port=$(free_port)
    dir=$tmp/$label
    env AUTHD_LISTEN="127.0.0.1:$port" AUTHD_STORE="file:$dir" AUTHD_THREADS=2 AUTHD_HASH_QUEUE=1024 \
        AUTHD_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789" "$@" \
        build/authd serve >"$tmp/$label.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    wait_http "http://127.0.0.1:$port/healthz" 15 "$pid" || die "authd did not start"
    timeout $((secs + 60)) wrk -t2 -c"$connections" -d"$duration" --latency -s bench/signup.lua \
        "http://127.0.0.1:$port" >"$tmp/$label.txt" 2>&1 || die "wrk failed"
    parse_wrk "$tmp/$label.txt"
    local journal
    journal=$(du -sh "$dir" | cut -f1)
    printf '%-28s %10s signups/s  p99 %9s ms  non-2xx %s  store %s\n' "$label" "$rps" "$p99" "$non2xx" "$journal"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
}

echo "POST /auth/signup/ with unique users, wrk -t2 -c$connections -d$duration"
run "argon2id-default(t=2,19MiB)"
run "argon2id-minimal(t=1,8KiB)" AUTHD_ARGON2_OPS=1 AUTHD_ARGON2_MEMORY_KIB=8
