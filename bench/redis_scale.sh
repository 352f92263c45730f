#!/usr/bin/env bash
# authd on Redis at scale: builds a user base with `authd import-django` (a synthetic dump),
# then reports the import rate, Redis's memory per user, an instance's RSS per user after its
# first search, what its search cache holds per user, restart-to-ready time, `?search=` latency, and the
# signup rate (Argon2id at its minimum, so the store is what is measured). Redis runs privately
# with appendonly yes + appendfsync always. The last lines are key=value, for bench/scale.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
    cat <<'EOF'
usage: bench/redis_scale.sh [options]
  --users N          users in the dump (default 1000000)
  --dump FILE        use this dump (bench/gen_django_dump.py N FILE) instead of making one
  --authd PATH       authd binary (default build/authd)
  --searches K       timed ?search= requests (default 41)
  --signup D         wrk -d of the signup run (default 10s; 0 skips it)
  --threads T        AUTHD_THREADS (default 2)
EOF
}

users=1000000 dump="" authd_bin=build/authd searches=41 signup=10s threads=2
while [ $# -gt 0 ]; do
    case "$1" in
        --users) users=$2; shift 2 ;;
        --dump) dump=$2; shift 2 ;;
        --authd) authd_bin=$2; shift 2 ;;
        --searches) searches=$2; shift 2 ;;
        --signup) signup=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "redis_scale.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
die() { echo "redis_scale.sh: $*" >&2; exit 1; }
source bench/lib.sh
for tool in curl redis-server redis-cli; do command -v "$tool" >/dev/null || die "$tool not found"; done
[ "$authd_bin" != build/authd ] || ensure_authd_built
[ -x "$authd_bin" ] || die "no authd binary at $authd_bin"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authd-rscale-XXXXXX")
pids=()
trap 'stop_pids; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

if [ -z "$dump" ]; then
    dump=$tmp/dump.json
    /usr/bin/python3 bench/gen_django_dump.py "$users" "$dump"
fi

redis_port=$(free_port)
mkdir -p "$tmp/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$tmp/redis" --save "" --appendonly yes \
    --appendfsync always --daemonize no >"$tmp/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
rcli() { redis-cli -p "$redis_port" "$@"; }
redis_mem() { rcli info memory | awk -F: '/^used_memory:/ {print $2 + 0}'; }
store="redis://127.0.0.1:$redis_port"
mem0=$(redis_mem)

t0=$(date +%s.%N)
env AUTHD_STORE="$store" "$authd_bin" import-django "$dump" >"$tmp/import.out" 2>"$tmp/import.err" ||
    die "import failed: $(tail -5 "$tmp/import.err")"
t1=$(date +%s.%N)
imported=$(rcli hlen '{authd}:username')
import_rate=$(awk -v n="$imported" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')
redis_per_user=$(awk -v a="$mem0" -v b="$(redis_mem)" -v n="$imported" 'BEGIN {printf "%.0f", (b - a) / n}')
echo "import: $(tail -1 "$tmp/import.out")"

password="Bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
port=$(free_port)
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
start_authd() {  # sets pid; prints seconds from launch to ready
    local s
    s=$(date +%s.%N)
    env AUTHD_LISTEN="127.0.0.1:$port" AUTHD_STORE="$store" AUTHD_THREADS="$threads" \
        AUTHD_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789" AUTHD_ACCESS_TTL=86400 \
        AUTHD_HASH_QUEUE=4096 AUTHD_LOG_LEVEL=warn AUTHD_SUPERUSER_USERNAME=benchadmin \
        AUTHD_SUPERUSER_EMAIL=benchadmin@example.com AUTHD_SUPERUSER_PASSWORD="$password" \
        AUTHD_ARGON2_OPS=1 AUTHD_ARGON2_MEMORY_KIB=8 \
        "$authd_bin" serve >>"$tmp/authd.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_http "http://127.0.0.1:$port/readyz" 120 "$pid" || die "authd did not start: $(tail -5 "$tmp/authd.log")"
    awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}' >"$tmp/ready"
}
start_authd
start_authd_pid=$pid
kill -TERM "$start_authd_pid"; wait "$start_authd_pid" 2>/dev/null || true
start_authd  # the second start is the restart: the store is populated, Redis is warm
restart_s=$(cat "$tmp/ready")
token=$(login_token "$port" benchadmin "$password") || die "login failed"
rss_ready=$(rss_kb "$pid")

search_ms() {  # search_ms <needle>: one ?search= request, its time in ms
    curl -sS -o /dev/null --max-time 30 -w '%{time_total}\n' -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$port/api/auth/users/?search=$1&limit=20" | awk '{printf "%.3f", $1 * 1000}'
}
first_search=$(search_ms user1)  # fills the search cache
sleep 1
rss_search=$(rss_kb "$pid")
times=()
for ((i = 0; i < searches; i++)); do times+=("$(search_ms "user$((RANDOM * 7 % users))9")"); done
search_p50=$(median "${times[@]}")
# What the search cache holds (its own gauge; the RSS difference is blurred by malloc_trim,
# which also returns what the start-up left free).
cache_bytes=$(curl -sS --max-time 10 "http://127.0.0.1:$port/metrics" |
    awk '$1 == "authd_store_redis_search_cache_bytes" {print $2}')
cache_per_user=$(awk -v c="${cache_bytes:-0}" -v n="$imported" 'BEGIN {printf "%.0f", c / n}')
rss_delta_per_user=$(awk -v a="$rss_ready" -v b="$rss_search" -v n="$imported" 'BEGIN {printf "%.0f", (b - a) * 1024 / n}')
rss_per_user=$(awk -v b="$rss_search" -v n="$imported" 'BEGIN {printf "%.0f", b * 1024 / n}')

signup_rps=skipped
if [ "$signup" != 0 ] && command -v wrk >/dev/null; then
    secs=$(seconds_of "$signup")
    timeout $((secs + 60)) wrk -t2 -c64 -d"$signup" --latency -s bench/signup.lua \
        "http://127.0.0.1:$port" >"$tmp/signup.txt" 2>&1 || die "wrk failed: $(cat "$tmp/signup.txt")"
    parse_wrk "$tmp/signup.txt"
    signup_rps=$rps
fi

echo
echo "authd on Redis, $imported imported users, AUTHD_THREADS=$threads"
echo "redis_import_users_per_s=$import_rate"
echo "redis_used_memory_bytes_per_user=$redis_per_user"
echo "redis_restart_to_ready_s=$restart_s"
echo "redis_instance_rss_bytes_per_user=$rss_per_user"
echo "redis_search_cache_bytes_per_user=$cache_per_user"
echo "redis_rss_change_at_first_search_bytes_per_user=$rss_delta_per_user"
echo "redis_first_search_ms=$first_search"
echo "redis_search_p50_ms=$search_p50"
echo "redis_signup_per_s=$signup_rps"
