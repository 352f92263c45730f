#!/usr/bin/env bash
# Throughput of authd on its two stores, same machine, same settings, side by side in one
# run (alternating rounds, medians): POST /auth/validate_token/ (the in-memory hot path),
# POST /auth/signup/ (a durable create + queued mail) and POST /auth/token/ (a lookup, a
# session write, a last_login update). bench/compare_wrk.sh puts nginx beside authd. Redis runs privately with
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
  --rounds N         alternating rounds per store and workload (default 3)
  --threads T        AUTHD_THREADS and wrk -t (default 2)
  --argon2 MODE      minimal (t=1, 8 KiB: the store is what is measured; default) or default
  --only WORKLOAD    validate_token, signup or login (default: all three)
EOF
}

authd_bin=build/authd duration=10s connections=64 rounds=3 threads=2 argon2=minimal only=""
while [ $# -gt 0 ]; do
    case "$1" in
        --authd) authd_bin=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --argon2) argon2=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "redis_vs_embedded.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
die() { echo "redis_vs_embedded.sh: $*" >&2; exit 1; }
source bench/lib.sh
for tool in wrk curl redis-server redis-cli; do
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

# Both servers run at once (an idle one costs nothing) so that every workload alternates
# embedded / redis rounds: drift in the machine's load hits both stores alike.
declare -A port_of token_of
start_authd() {  # start_authd <label> <AUTHD_STORE>
    local label=$1 store=$2 port pid
    port=$(free_port)
    env AUTHD_LISTEN="127.0.0.1:$port" AUTHD_STORE="$store" AUTHD_THREADS="$threads" \
        AUTHD_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789" AUTHD_ACCESS_TTL=86400 \
        AUTHD_HASH_QUEUE=4096 AUTHD_LOG_LEVEL=warn AUTHD_SUPERUSER_USERNAME=benchadmin \
        AUTHD_SUPERUSER_EMAIL=benchadmin@example.com AUTHD_SUPERUSER_PASSWORD="$password" "${argon_env[@]}" \
        "$authd_bin" serve >"$tmp/$label.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_http "http://127.0.0.1:$port/readyz" 15 "$pid" || die "authd ($label) did not start: $(tail -5 "$tmp/$label.log")"
    port_of[$label]=$port
    token_of[$label]=$(login_token "$port" benchadmin "$password") || die "login failed on $label"
}
start_authd embedded "file:$tmp/embedded"
start_authd redis "redis://127.0.0.1:$redis_port"

export AUTHD_BENCH_USER=benchadmin AUTHD_BENCH_PASSWORD=$password
results=()
bench_workload() {  # bench_workload <name> <lua script>: alternating rounds, medians per store
    local name=$1 script=$2 r label
    declare -A rps_list p99_list bad
    echo "== $name"
    for ((r = 1; r <= rounds; r++)); do
        for label in embedded redis; do
            AUTHD_BENCH_TOKEN=${token_of[$label]} run_wrk "${port_of[$label]}" "$script" "$tmp/$label-$name-$r.txt"
            parse_wrk "$tmp/$label-$name-$r.txt"
            printf '%-6s %-9s %10.0f req/s  p99 %8.3f ms  non-2xx %s  errors %s\n' "$r" "$label" "$rps" "$p99" "$non2xx" "$errors"
            rps_list[$label]+="$rps "
            p99_list[$label]+="$p99 "
            bad[$label]=$(( ${bad[$label]:-0} + non2xx + errors ))
        done
    done
    local med_rps=() med_p99=()
    for label in embedded redis; do
        # shellcheck disable=SC2086
        med_rps+=("$(median ${rps_list[$label]})")
        # shellcheck disable=SC2086
        med_p99+=("$(median ${p99_list[$label]})")
        results+=("$(printf '%-15s %-9s %12.0f %10.3f %9s' "$name" "$label" "${med_rps[-1]}" "${med_p99[-1]}" "${bad[$label]}")")
    done
    results+=("$(awk -v e="${med_rps[0]}" -v r="${med_rps[1]}" -v pe="${med_p99[0]}" -v pr="${med_p99[1]}" \
        'BEGIN {printf "%-15s %-9s %12.2f %10.2f", "", "redis/emb", r / e, pr / pe}')")
}

for w in validate_token signup login; do
    [ -z "$only" ] || [ "$only" = "$w" ] || continue
    bench_workload "$w" "bench/$w.lua"
done

echo
echo "wrk -t$threads -c$connections -d$duration, $rounds alternating rounds per store, medians;"
echo "AUTHD_THREADS=$threads, argon2id $argon2; Redis appendonly yes, appendfsync always"
printf '%-15s %-9s %12s %10s %9s\n' workload store "req/s" "p99 ms" "bad"
printf '%s\n' "${results[@]}"
