#!/usr/bin/env bash
# Login latency of imported Django users (pbkdf2_sha256, Django 3.2's 260,000 iterations)
# before the upgrade (first login: PBKDF2 + the Argon2id rehash) and after (Argon2id only).
# Usage: bench/django_login_latency.sh [users=7]  (embedded store in a temp dir, 127.0.0.1)
set -euo pipefail
n=${1:-7}
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
/usr/bin/python3 "$here/bench/gen_django_dump.py" "$n" "$tmp/d.json" --iterations=260000 >/dev/null
export AUTHD_STORE="file:$tmp/store" AUTHD_LISTEN=127.0.0.1:18931 AUTHD_LOG_LEVEL=error
"$here/build/authd" import-django "$tmp/d.json" >/dev/null
"$here/build/authd" serve --threads 1 & pid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18931/healthz >/dev/null && break; sleep 0.1; done
login() {
    curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
        -d "{\"username\":\"user$1\",\"password\":\"Bench-pw-1\"}" http://127.0.0.1:18931/auth/token/
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)] * 1000 " ms"}'; }
before=$(for i in $(seq "$n"); do login "$i"; done)
after=$(for i in $(seq "$n"); do login "$i"; done)
echo "first login (pbkdf2 260000 + rehash): median $(echo "$before" | median)"
echo "later logins (Argon2id t=2 19 MiB):    median $(echo "$after" | median)"
