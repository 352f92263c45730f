#!/usr/bin/env bash
# Forward auth, measured two ways with alternating wrk rounds (medians and ratios):
#  A. on one authd: GET /auth/forward (Bearer) vs POST /auth/validate_token/ (the same check);
#  B. end to end through one nginx: auth_request -> authd -> upstream vs nginx -> upstream;
#  C. with --go: the same through nginx with a Go peer (bench/go_forward, built with Debian's
#     golang-go) doing the check instead of authd, alternating with authd.
# The upstream is an nginx server block answering `return 200`. Loopback only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=3 duration=5s connections=64 threads=2 workers=2 go=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --workers) workers=$2; shift 2 ;;  # AUTHD_THREADS and nginx worker_processes
        --go) go=1; shift ;;
        *) echo "usage: bench/forward_auth.sh [--rounds N] [--duration D] [--connections C]" \
                "[--threads T] [--workers W]" >&2; exit 2 ;;
    esac
done
die() { echo "forward_auth.sh: $*" >&2; exit 1; }
source bench/lib.sh
for tool in wrk nginx curl; do command -v "$tool" >/dev/null || die "$tool not found"; done
duration_s=$(seconds_of "$duration")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authd-fwbench-XXXXXX")
pids=()
trap 'stop_pids; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

ensure_authd_built
authd_port=$(free_port) up_port=$(free_port) plain_port=$(free_port) auth_port=$(free_port)
password="Bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
env AUTHD_LISTEN="127.0.0.1:$authd_port" AUTHD_STORE="file:$tmp/data" AUTHD_THREADS="$workers" \
    AUTHD_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789" AUTHD_ACCESS_TTL=86400 \
    AUTHD_SUPERUSER_USERNAME=benchadmin AUTHD_SUPERUSER_EMAIL=benchadmin@example.com \
    AUTHD_SUPERUSER_PASSWORD="$password" build/authd serve >"$tmp/authd.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$authd_port/healthz" 15 "$!" || die "authd: $(tail -5 "$tmp/authd.log")"
go_server=""
if [ "$go" = 1 ]; then
    command -v go >/dev/null || die "go not found: apt-get install golang-go"
    go_port=$(free_port) go_auth_port=$(free_port)
    GOCACHE="$tmp/gocache" go build -o "$tmp/go_forward" bench/go_forward/main.go ||
        die "go build failed"
    env AUTHD_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789" GOMAXPROCS="$workers" \
        GO_FORWARD_LISTEN="127.0.0.1:$go_port" "$tmp/go_forward" >"$tmp/go.log" 2>&1 &
    pids+=($!)
    go_server="upstream goauth { server 127.0.0.1:$go_port; keepalive 64; }
    server {
        listen 127.0.0.1:$go_auth_port;
        location = /_auth {
            internal; proxy_pass http://goauth/auth/forward;
            proxy_pass_request_body off; proxy_set_header Content-Length \"\";
            proxy_http_version 1.1; proxy_set_header Connection \"\";
        }
        location / {
            auth_request /_auth;
            auth_request_set \$uid \$upstream_http_x_auth_user_id;
            proxy_set_header X-User-Id \$uid;
            proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_pass http://app;
        }
    }"
fi
AUTHD_BENCH_TOKEN=$(login_token "$authd_port" benchadmin "$password") || die "login failed"
export AUTHD_BENCH_TOKEN

mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes $workers;
worker_rlimit_nofile 65536;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $tmp/nginx/body; proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fcgi; uwsgi_temp_path $tmp/nginx/uwsgi; scgi_temp_path $tmp/nginx/scgi;
    upstream authd { server 127.0.0.1:$authd_port; keepalive 64; }
    upstream app { server 127.0.0.1:$up_port; keepalive 64; }
    server { listen 127.0.0.1:$up_port; location / { return 200 "ok\n"; } }
    $go_server
    server {
        listen 127.0.0.1:$plain_port;
        location / { proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://app; }
    }
    server {
        listen 127.0.0.1:$auth_port;
        location = /_authd {
            internal;
            proxy_pass http://authd/auth/forward;
            proxy_pass_request_body off; proxy_set_header Content-Length "";
            proxy_http_version 1.1; proxy_set_header Connection "";
        }
        location / {
            auth_request /_authd;
            auth_request_set \$uid \$upstream_http_x_auth_user_id;
            proxy_set_header X-User-Id \$uid;
            proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass http://app;
        }
    }
}
CONF
nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' \
    >"$tmp/nginx/stdout.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$plain_port/" 10 "$!" || die "nginx: $(cat "$tmp/nginx/error.log")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AUTHD_BENCH_TOKEN" \
    "http://127.0.0.1:$auth_port/x")
[ "$code" = 200 ] || die "nginx auth_request answered $code"

run() {  # run <label> <lua> <url>: one wrk round, printed and recorded in rps_<label>/p99_<label>
    local out=$tmp/wrk-$1-$RANDOM.txt
    timeout $((duration_s + 60)) wrk -t"$threads" -c"$connections" -d"$duration" --latency \
        -s "$2" "$3" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
    parse_wrk "$out"
    [ "$non2xx" = 0 ] || echo "  warning: $1 answered $non2xx non-2xx" >&2
    printf '%-10s %12.0f %10.3f\n' "$1" "$rps" "$p99"
    eval "rps_$1+=($rps); p99_$1+=($p99)"
}
compare() {  # compare <label a> <label b>: medians and the ratio b/a
    local ra rb pa pb
    eval "ra=\$(median \"\${rps_$1[@]}\"); rb=\$(median \"\${rps_$2[@]}\")"
    eval "pa=\$(median \"\${p99_$1[@]}\"); pb=\$(median \"\${p99_$2[@]}\")"
    printf 'median %-10s %10.0f req/s  p99 %7.3f ms\n' "$1" "$ra" "$pa"
    printf 'median %-10s %10.0f req/s  p99 %7.3f ms\n' "$2" "$rb" "$pb"
    awk -v ra="$ra" -v rb="$rb" -v pa="$pa" -v pb="$pb" \
        'BEGIN { printf "ratio %s/%s: req/s %.3f  p99 %.3f\n", "'"$2"'", "'"$1"'", rb / ra, pb / pa }'
}

rps_validate=() p99_validate=() rps_forward=() p99_forward=()
rps_plain=() p99_plain=() rps_authreq=() p99_authreq=()
echo "wrk -t$threads -c$connections -d$duration, $rounds alternating rounds, $workers workers"
echo "A. authd alone";  printf '%-10s %12s %10s\n' label "req/s" "p99 ms"
for ((r = 1; r <= rounds; r++)); do
    run validate bench/validate_token.lua "http://127.0.0.1:$authd_port"
    run forward bench/bearer.lua "http://127.0.0.1:$authd_port/auth/forward"
done
compare validate forward
echo "B. through nginx"; printf '%-10s %12s %10s\n' label "req/s" "p99 ms"
for ((r = 1; r <= rounds; r++)); do
    run plain bench/bearer.lua "http://127.0.0.1:$plain_port/app"
    run authreq bench/bearer.lua "http://127.0.0.1:$auth_port/app"
done
compare plain authreq
if [ "$go" = 1 ]; then
    rps_goreq=() p99_goreq=() rps_authreq=() p99_authreq=()
    echo "C. through nginx: Go peer vs authd"; printf '%-10s %12s %10s\n' label "req/s" "p99 ms"
    for ((r = 1; r <= rounds; r++)); do
        run goreq bench/bearer.lua "http://127.0.0.1:$go_auth_port/app"
        run authreq bench/bearer.lua "http://127.0.0.1:$auth_port/app"
    done
    compare goreq authreq
fi
