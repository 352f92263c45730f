#!/usr/bin/env bash
# README command 2: install what the tests need, run the style gate, build a Release tree (build/)
# and an ASan+UBSan tree (build-asan/, which also runs the fuzz smoke), run the whole ctest suite
# in both and print one summary line.
# Re-runs are incremental. Exits non-zero if any build or test fails.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash tools/setup.sh test || exit 1

# Every step is bounded in time so a hung test cannot stall CI forever.
build_timeout=3600
ctest_timeout=1800
jobs=${AUTHD_TEST_JOBS:-2}
results=()
failed=0

# The style gate first: seconds, and a formatting slip should not cost a 15-minute run.
echo "=== test.sh: style gate (tools/style_check.sh)"
if tools/style_check.sh; then
    results+=("style: passed")
else
    results+=("style: FAILED")
    failed=1
fi

configure() {  # configure <dir> <cmake args...>
    local dir=$1
    shift
    if [ -f "$dir/CMakeCache.txt" ]; then
        cmake -S . -B "$dir" "$@" >/dev/null
    else
        cmake -S . -B "$dir" -G Ninja "$@"
    fi
}

build_and_test() {  # build_and_test <name> <dir> <cmake args...>; environment of ctest from caller
    local name=$1 dir=$2
    shift 2
    echo "=== test.sh: $name build ($dir)"
    if ! configure "$dir" "$@" || ! timeout "$build_timeout" cmake --build "$dir"; then
        results+=("$name: BUILD FAILED")
        failed=1
        return
    fi
    echo "=== test.sh: $name tests"
    if (cd "$dir" && timeout "$ctest_timeout" ctest --output-on-failure -j"$jobs" --timeout 300); then
        results+=("$name: passed")
    else
        results+=("$name: TESTS FAILED")
        failed=1
    fi
}

build_and_test release build -DCMAKE_BUILD_TYPE=Release

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The second I/O backend's repeat of the suites runs in the Release tree only (CI time); the
# sanitizer tree still runs the backend-neutral loop tests on both backends (LoopIo, TinyRing).
build_and_test asan build-asan -DAUTHD_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTHD_TEST_EPOLL=OFF

summary=$(IFS=';'; echo "${results[*]}")
summary=${summary//;/, }
if [ "$failed" -eq 0 ]; then
    echo "test.sh: ALL PASSED ($summary)"
else
    echo "test.sh: FAILED ($summary)"
fi
exit "$failed"
