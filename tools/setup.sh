#!/usr/bin/env bash
# Installs the Debian 12 packages authd needs to build, test or benchmark; installs only what is
# missing, so a second run changes nothing. Usage: tools/setup.sh [build|test|bench]
set -euo pipefail

mode=${1:-build}
build_pkgs=(build-essential cmake ninja-build pkg-config liburing-dev libseccomp-dev libsimdjson-dev libssl-dev
            libsodium-dev libhiredis-dev node-llhttp libgtest-dev libgmock-dev libbenchmark-dev
            libcurl4-openssl-dev zlib1g-dev libicu-dev libargon2-dev libcrypt-dev)
# python3-jwt, python3-cryptography and nodejs (+ jose from npm, below): independent verifiers
# of the EdDSA tokens and the JWKS (tests/integration/test_signing_keys.cpp).
test_pkgs=(redis-server python3-aiosmtpd curl nginx-light clang-format universal-ctags
           python3-django python3-bcrypt python3-argon2 python3-jwt python3-cryptography nodejs)
bench_pkgs=(wrk clang libclang-rt-14-dev)  # clang + libFuzzer: bench/fuzz.sh

case "$mode" in
    build) wanted=("${build_pkgs[@]}") ;;
    test) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    bench) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
    -h | --help)
        echo "usage: $0 [build|test|bench]"
        exit 0
        ;;
    *)
        echo "setup.sh: unknown mode '$mode' (expected build, test or bench)" >&2
        exit 2
        ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup.sh: this script needs a Debian 12 system (dpkg-query and apt-get)" >&2
    exit 1
fi

# Debian 12 ships npm apart from nodejs; a nodejs from elsewhere (NodeSource) brings its own.
if [ "$mode" != build ] && ! command -v npm >/dev/null 2>&1; then wanted+=(npm); fi

# jose (npm) into the build tree, pinned: the tests verify tokens with it. Idempotent.
root=$(cd "$(dirname "$0")/.." && pwd)
install_jose() {
    [ "$mode" = build ] && return 0
    [ -f "$root/build/npm/node_modules/jose/package.json" ] && return 0
    echo "setup.sh: npm install jose@5.9.6 into $root/build/npm"
    npm install --prefix "$root/build/npm" --no-audit --no-fund --silent jose@5.9.6
}

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup.sh: all ${#wanted[@]} packages for '$mode' are installed"
    install_jose
    exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "setup.sh: missing packages (${missing[*]}) and not root; install them or run as root" >&2
        exit 1
    fi
fi

# Package scripts of redis-server and nginx start their daemons; a policy-rc.d that answers 101
# ("action forbidden") keeps invoke-rc.d and deb-systemd-invoke from starting anything.
policy=/usr/sbin/policy-rc.d
own_policy=0
remove_policy() {
    if [ "$own_policy" -eq 1 ]; then
        "${as_root[@]}" rm -f "$policy"
    fi
}
trap remove_policy EXIT
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# Written by authd tools/setup.sh for the duration of one install.\nexit 101\n' |
        "${as_root[@]}" tee "$policy" >/dev/null
    "${as_root[@]}" chmod 0755 "$policy"
    own_policy=1
fi

echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
echo "setup.sh: installed ${missing[*]}"
install_jose
