#!/usr/bin/env bash
# End-to-end throughput of authd beside nginx answering a constant `return 200` on the same
# machine: identical wrk settings, alternating rounds, per-round figures, medians and ratios.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
    cat <<'EOF'
usage: bench/compare_wrk.sh [options]
  --path P          GET this path on authd (default /healthz); nginx answers any path
  --lua FILE        wrk script instead of a GET (e.g. bench/validate_token.lua); the token comes
                    from AUTHD_BENCH_TOKEN, or is obtained from the authd this script starts
  --rounds N        rounds per server, alternating nginx, authd, nginx, ... (default 3)
  --duration D      wrk -d per round (default 10s)
  --connections C   wrk -c (default 64)
  --threads T       wrk -t (default 2)
  --workers W       nginx worker_processes and AUTHD_THREADS of a started authd (default 2)
  --warmup D        unrecorded warm-up run per server before the rounds (default 2s, 0 = none)
  --authd-port P    benchmark an authd already listening on 127.0.0.1:P instead of starting
                    build/authd with a temporary store
  --io LIST         start one authd per I/O backend in LIST (comma-separated, e.g.
                    io_uring,epoll) and alternate all of them with nginx; ratios are given
                    against nginx and against the first backend
EOF
}

path=/healthz
lua=""
rounds=3
duration=10s
connections=64
threads=2
workers=2
warmup=2s
authd_port=""
io_list=""
while [ $# -gt 0 ]; do
    case "$1" in
        --path) path=$2; shift 2 ;;
        --lua) lua=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --workers) workers=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --authd-port) authd_port=$2; shift 2 ;;
        --io) io_list=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "compare_wrk.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done

die() { echo "compare_wrk.sh: $*" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for n in "$rounds" "$connections" "$threads" "$workers"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "expected a positive integer, got '$n'"
done
duration_s=$(seconds_of "$duration")
warmup_s=$(seconds_of "$warmup")
[ -z "$lua" ] || [ -f "$lua" ] || die "no such wrk script: $lua"
[ -z "$io_list" ] || [ -z "$authd_port" ] || die "--io starts its own servers: no --authd-port"
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || die "$tool not found; run: tools/setup.sh bench"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/authd-bench-XXXXXX")
pids=()
cleanup() {
    stop_pids
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_nginx() {
    local dir=$tmp/nginx temp
    mkdir -p "$dir"
    nginx_port=$(free_port)
    {
        echo "worker_processes $workers;"
        echo "worker_rlimit_nofile 65536;"
        echo "pid $dir/nginx.pid;"
        echo "error_log $dir/error.log warn;"
        echo "events { worker_connections 16384; }"
        echo "http {"
        echo "    access_log off;"
        echo "    keepalive_requests 100000000;"  # like authd: never close a busy keep-alive
        for temp in client_body proxy fastcgi uwsgi scgi; do
            # A module compiled out of this nginx would make its directive an error.
            nginx -V 2>&1 | grep -q -- "--without-http_${temp}_module" && continue
            echo "    ${temp}_temp_path $dir/$temp;"
        done
        echo "    server {"
        echo "        listen 127.0.0.1:$nginx_port;"
        echo "        location / { default_type application/json; return 200 '{\"status\":\"ok\"}'; }"
        echo "    }"
        echo "}"
    } >"$dir/nginx.conf"
    nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;' \
        >"$dir/stdout.log" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$nginx_port/" 10 "$!" ||
        die "nginx did not start: $(cat "$dir/error.log" "$dir/stdout.log" 2>/dev/null)"
}

start_authd() {  # start_authd [io backend]: sets authd_port
    if [ -n "$authd_port" ]; then
        wait_http "http://127.0.0.1:$authd_port/healthz" 2 "" ||
            die "no authd answering on 127.0.0.1:$authd_port"
        return
    fi
    ensure_authd_built
    authd_port=$(free_port)
    started_authd=1
    local io=${1:-}
    env ${io:+AUTHD_IO=$io} AUTHD_LISTEN="127.0.0.1:$authd_port" AUTHD_STORE="file:$tmp/authd-data$io" \
        AUTHD_THREADS="$workers" AUTHD_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789" \
        AUTHD_ACCESS_TTL=86400 AUTHD_SUPERUSER_USERNAME=benchadmin \
        AUTHD_SUPERUSER_EMAIL=benchadmin@example.com AUTHD_SUPERUSER_PASSWORD="$bench_password" \
        build/authd serve >"$tmp/authd$io.log" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$authd_port/healthz" 15 "$!" ||
        die "authd did not start: $(tail -20 "$tmp/authd$io.log")"
}

# For --lua without AUTHD_BENCH_TOKEN: log in as the superuser the started authd created.
fetch_token() {
    [ -n "$lua" ] && [ -z "${AUTHD_BENCH_TOKEN:-}" ] || return 0
    [ "$started_authd" -eq 1 ] || die "--lua with --authd-port needs AUTHD_BENCH_TOKEN"
    local answer
    answer=$(curl -sS --max-time 10 -H 'Content-Type: application/json' \
        -d "{\"username\": \"benchadmin\", \"password\": \"$bench_password\"}" \
        "http://127.0.0.1:$authd_port/auth/token/") || die "login request failed"
    AUTHD_BENCH_TOKEN=$(printf '%s' "$answer" |
        /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["access"])' 2>/dev/null) ||
        die "login did not return a token: $answer"
    export AUTHD_BENCH_TOKEN
}

run_wrk() {  # run_wrk <port> <duration> <output file>
    local args=(-t"$threads" -c"$connections" -d"$2" --latency)
    [ -z "$lua" ] || args+=(-s "$lua")
    timeout $(($(seconds_of "$2") + 60)) wrk "${args[@]}" "http://127.0.0.1:$1$path" >"$3" 2>&1 ||
        die "wrk failed: $(cat "$3")"
}

bench_password="Bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
started_authd=0
nginx_port=""
start_nginx
names=(nginx) ports=("$nginx_port")
if [ -z "$io_list" ]; then
    start_authd
    fetch_token
    names+=(authd) ports+=("$authd_port")
else
    IFS=, read -r -a ios <<<"$io_list"
    for io in "${ios[@]}"; do
        authd_port=""
        start_authd "$io"
        fetch_token  # from the first one; the same key and superuser make it valid on all
        names+=("$io") ports+=("$authd_port")
    done
fi
if [ -n "$lua" ]; then
    what="wrk script $lua"
else
    what="GET $path"
fi
echo "${names[*]:1} vs nginx ($workers workers), ports ${ports[*]}"
echo "wrk -t$threads -c$connections -d$duration --latency, $what, $rounds rounds each"

if [ "$warmup_s" -gt 0 ]; then
    for i in "${!names[@]}"; do run_wrk "${ports[$i]}" "$warmup" "$tmp/warmup-$i.txt"; done
fi

declare -A all_rps all_p99
printf '\n%-6s %-9s %12s %10s %9s %8s\n' round server "req/s" "p99 ms" non-2xx errors
for ((r = 1; r <= rounds; r++)); do
    for i in "${!names[@]}"; do
        server=${names[$i]}
        out=$tmp/wrk-$i-$r.txt
        run_wrk "${ports[$i]}" "$duration" "$out"
        parse_wrk "$out"
        printf '%-6s %-9s %12.0f %10.3f %9s %8s\n' "$r" "$server" "$rps" "$p99" "$non2xx" "$errors"
        all_rps[$i]+="$rps " all_p99[$i]+="$p99 "
        if [ "$i" -gt 0 ] && [ "$non2xx" != 0 ]; then
            echo "  warning: $server answered $non2xx non-2xx responses" >&2
        fi
    done
done

declare -a m_rps m_p99
for i in "${!names[@]}"; do
    # shellcheck disable=SC2086 # the lists are space-separated numbers
    m_rps[$i]=$(median ${all_rps[$i]})
    # shellcheck disable=SC2086
    m_p99[$i]=$(median ${all_p99[$i]})
    printf '%-16s %12.0f %10.3f\n' "median ${names[$i]}" "${m_rps[$i]}" "${m_p99[$i]}"
done
for i in "${!names[@]}"; do
    [ "$i" -gt 0 ] || continue
    awk -v n="${names[$i]}" -v ar="${m_rps[$i]}" -v nr="${m_rps[0]}" -v fr="${m_rps[1]}" \
        -v ap="${m_p99[$i]}" -v np="${m_p99[0]}" -v first="${names[1]}" 'BEGIN {
        printf "%-16s %12.2f %10.2f   (vs nginx: req/s higher is better, p99 lower is better)\n",
               "ratio " n, (nr > 0 ? ar / nr : 0), (np > 0 ? ap / np : 0)
        if (n != first) printf "%-16s %12.2f   (req/s vs %s)\n", "ratio " n, (fr > 0 ? ar / fr : 0), first }'
done
