#!/usr/bin/env bash
# Throughput of authd on its two stores, same machine, same settings: POST
# /auth/validate_token/ (the in-memory hot path, through bench/compare_wrk.sh so nginx's
# figure sits beside it), POST /auth/signup/ (a durable create + queued mail) and POST
# /auth/token/ (a lookup, a session write, a last_login update). Redis runs privately with
# appendonly yes + appendfsync always, the setting that makes its acknowledgements as
# durable as the embedded store's fsync'd journal.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
    cat <<'EOF'
usage: bench/redis_vs_embedded.sh [options]
  --authd PATH       authd binary (default build/authd, built if missing)
  --duration D       wrk -d per run (default 10s)
  --connections C    wrk -c (default 64)
  --rounds N         compare_wrk.sh rounds for validate_token (default 3)
  --threads T        AUTHD_THREADS and wrk -t (default 2)
  --argon2 MODE      minimal (t=1, 8 KiB: the store is what is measured; default) or default
EOF
}

authd_bin=build/authd duration=10s connections=64 rounds=3 threads=2 argon2=minimal
while [ $# -gt 0 ]; do
    case "$1" in
        --authd) authd_bin=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --argon2) argon2=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "redis_vs_embedded.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
die() { echo "redis_vs_embedded.sh: $*" >&2; exit 1; }
source bench/lib.sh
for tool in wrk nginx curl redis-server; do
    command -v "$tool" >/dev/null || die "$tool not found (tools/setup.sh bench; apt-get install redis-server)"
done
[ "$authd_bin" != build/authd ] || ensure_authd_built
[ -x "$authd_bin" ] || die "no authd binary at $authd_bin"
secs=$(seconds_of "$duration")
argon_env=()
[ "$argon2" = default ] || argon_env=(AUTHD_ARGON2_OPS=1 AUTHD_ARGON2_MEMORY_KIB=8)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authd-rve-XXXXXX")
pids=()
trap 'stop_pids; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

redis_port=$(free_port)
mkdir -p "$tmp/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$tmp/redis" --save "" --appendonly yes \
    --appendfsync always --daemonize no >"$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done

password="Bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

run_wrk() {  # run_wrk <port> <script> <output>
    timeout $((secs + 60)) wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$2" \
        "http://127.0.0.1:$1" >"$3" 2>&1 || die "wrk failed: $(cat "$3")"
}

results=()
bench_store() {  # bench_store <label> <AUTHD_STORE>
    local label=$1 store=$2 port pid token
    port=$(free_port)
    env AUTHD_LISTEN="127.0.0.1:$port" AUTHD_STORE="$store" AUTHD_THREADS="$threads" \
        AUTHD_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789" AUTHD_ACCESS_TTL=86400 \
        AUTHD_HASH_QUEUE=4096 AUTHD_LOG_LEVEL=warn AUTHD_SUPERUSER_USERNAME=benchadmin \
        AUTHD_SUPERUSER_EMAIL=benchadmin@example.com AUTHD_SUPERUSER_PASSWORD="$password" "${argon_env[@]}" \
        "$authd_bin" serve >"$tmp/$label.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_http "http://127.0.0.1:$port/readyz" 15 "$pid" || die "authd ($label) did not start: $(tail -5 "$tmp/$label.log")"
    token=$(login_token "$port" benchadmin "$password") || die "login failed on $label"

    echo "== $label: validate_token via bench/compare_wrk.sh"
    AUTHD_BENCH_TOKEN=$token bench/compare_wrk.sh --authd-port "$port" --lua bench/validate_token.lua \
        --rounds "$rounds" --duration "$duration" --connections "$connections" --threads "$threads" \
        --workers "$threads" | tee "$tmp/$label-validate.txt"
    local v_rps v_p99
    v_rps=$(awk '$1 == "median" && $2 == "authd" {print $3}' "$tmp/$label-validate.txt")
    v_p99=$(awk '$1 == "median" && $2 == "authd" {print $4}' "$tmp/$label-validate.txt")
    results+=("$(printf '%-9s %-15s %12.0f %10.3f %9s' "$label" validate_token "$v_rps" "$v_p99" 0)")

    run_wrk "$port" bench/signup.lua "$tmp/$label-signup.txt"
    parse_wrk "$tmp/$label-signup.txt"
    results+=("$(printf '%-9s %-15s %12.0f %10.3f %9s' "$label" signup "$rps" "$p99" "$non2xx")")

    AUTHD_BENCH_USER=benchadmin AUTHD_BENCH_PASSWORD=$password run_wrk "$port" bench/login.lua "$tmp/$label-login.txt"
    parse_wrk "$tmp/$label-login.txt"
    results+=("$(printf '%-9s %-15s %12.0f %10.3f %9s' "$label" login "$rps" "$p99" "$non2xx")")

    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
}

bench_store embedded "file:$tmp/embedded"
bench_store redis "redis://127.0.0.1:$redis_port"

echo
echo "wrk -t$threads -c$connections -d$duration, AUTHD_THREADS=$threads, argon2id $argon2; Redis appendfsync always"
printf '%-9s %-15s %12s %10s %9s\n' store workload "req/s" "p99 ms" non-2xx
printf '%s\n' "${results[@]}"
