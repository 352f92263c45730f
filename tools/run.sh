#!/usr/bin/env bash
# README command 1: install the build dependencies, build authd (Release) into build/ and run the
# server in the foreground. Arguments are passed to `authd serve` (e.g. --listen 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh build
if [ -f build/CMakeCache.txt ]; then
    # Keep the generator the tree was configured with; only make sure it is a Release build.
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
else
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build build --target authd
exec build/authd serve "$@"
