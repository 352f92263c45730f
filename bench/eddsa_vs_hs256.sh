#!/usr/bin/env bash
# validate-token throughput with EdDSA tokens vs HS256 tokens (issue 15): two authd (one per
# AUTHD_JWT_ALG) on temporary embedded stores, alternating wrk rounds per mode:
#   same   — the same token on every request (the verified-signature cache answers)
#   cycle  — every request a different token from a list of N (bench/validate_tokens.lua)
# Prints per-round req/s, medians and the EdDSA/HS256 ratio. Loopback only; stops what it starts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${ROUNDS:-3} duration=${DURATION:-5s} connections=${CONNECTIONS:-32}
tokens=${TOKENS:-2000} threads=${THREADS:-2} workers=${WORKERS:-1}
pids=()
die() { echo "eddsa_vs_hs256.sh: $*" >&2; exit 1; }
source bench/lib.sh
tmp=$(mktemp -d)
trap 'stop_pids; rm -rf "$tmp"' EXIT
ensure_authd_built

declare -A port
for alg in HS256 EdDSA; do
    port[$alg]=$(free_port)
    AUTHD_JWT_ALG=$alg AUTHD_LISTEN=127.0.0.1:${port[$alg]} AUTHD_STORE=file:$tmp/$alg \
        AUTHD_THREADS=$workers AUTHD_ARGON2_OPS=1 AUTHD_ARGON2_MEMORY_KIB=8 \
        AUTHD_SECRET_KEY=bench-secret-key-0123456789abcdef-0123456789 AUTHD_LOG_LEVEL=warn \
        AUTHD_SUPERUSER_USERNAME=bench AUTHD_SUPERUSER_EMAIL=bench@example.com \
        AUTHD_SUPERUSER_PASSWORD=Bench-Copper-Lantern-77 AUTHD_LOGIN_MAX_FAILURES=1000000 \
        build/authd serve >"$tmp/$alg.log" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:${port[$alg]}/healthz" 15 "$!" || die "authd $alg did not start"
    # N different access tokens: one refresh chain from one login (refresh is cheap, no Argon2).
    /usr/bin/python3 - "${port[$alg]}" "$tokens" >"$tmp/$alg.tokens" <<'PY'
import json, sys, urllib.request
port, n = sys.argv[1], int(sys.argv[2])
def post(path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=10))
pair = post("/api/auth/login/", {"username": "bench", "password": "Bench-Copper-Lantern-77"})
refresh = pair["refresh"]
print(pair["token"])
for _ in range(n - 1):
    pair = post("/auth/token/refresh/", {"refresh": refresh})
    refresh = pair["refresh"]
    print(pair["access"])
PY
done

run() {  # run <alg> <same|cycle> -> req/s
    local out=$tmp/wrk.out
    if [ "$2" = same ]; then
        AUTHD_BENCH_TOKEN=$(tail -n 1 "$tmp/$1.tokens") wrk --latency -t"$threads" -c"$connections" \
            -d"$duration" -s bench/validate_token.lua "http://127.0.0.1:${port[$1]}" >"$out"
    else
        AUTHD_BENCH_TOKENS_FILE=$tmp/$1.tokens wrk --latency -t"$threads" -c"$connections" -d"$duration" \
            -s bench/validate_tokens.lua "http://127.0.0.1:${port[$1]}" >"$out"
    fi
    parse_wrk "$out"
    [ "$non2xx" = 0 ] && [ "$errors" = 0 ] || die "$1 $2: $non2xx non-2xx, $errors socket errors"
    echo "$rps"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for mode in same cycle; do
    run HS256 "$mode" >/dev/null; run EdDSA "$mode" >/dev/null  # warm-up, unrecorded
    hs=() ed=()
    for ((r = 1; r <= rounds; r++)); do
        hs+=("$(run HS256 "$mode")"); ed+=("$(run EdDSA "$mode")")
        echo "$mode round $r: HS256 ${hs[-1]} req/s, EdDSA ${ed[-1]} req/s"
    done
    mh=$(printf '%s\n' "${hs[@]}" | median); me=$(printf '%s\n' "${ed[@]}" | median)
    echo "$mode median: HS256 $mh, EdDSA $me, ratio $(awk -v a="$me" -v b="$mh" 'BEGIN{printf "%.3f", a/b}')"
done
