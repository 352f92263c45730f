#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz/fuzz_*.cpp), built by Debian's clang in
# build-fuzz-<mode>/, one target at a time (nice'd), and prints executions per target.
# Usage: bench/fuzz.sh [seconds per target, default 60] [target ...]
# Environment:
#   FUZZ_MODE=asan   (default) ASan everywhere + UBSan on core/http/store (clang 14 cannot put
#                    fuzzer+address+undefined on the auth coroutines, see CMakeLists.txt)
#   FUZZ_MODE=ubsan  UBSan everywhere, no ASan: several times faster, for volume runs
#   FUZZ_MODE=none   coverage only, the fastest
#   RUNS=N           stop each target after N executions (libFuzzer -runs) instead of only by time;
#                    the time limit still applies (pass a large one to make RUNS the limit)
#   MERGE=1          afterwards, minimise the work corpus with -merge=1 into
#                    build-fuzz-<mode>/fuzz-work/<target>/merged/ (copy that to tests/fuzz/corpus/
#                    by hand when it is small and adds coverage)
# Work corpora and crash artifacts go to build-fuzz-<mode>/fuzz-work/<target>/ (the committed
# seeds in tests/fuzz/corpus/ are read, never written). A crash artifact becomes a regression
# input: commit it to tests/fuzz/corpus/<target>/ (replayed by ctest fuzz_smoke.<target>).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
mode=${FUZZ_MODE:-asan}
dir=build-fuzz-$mode
cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTHD_LIBFUZZER=ON -DAUTHD_FUZZ_MODE="$mode" \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
nice -n 10 cmake --build "$dir" -j2 --target "${targets[@]}"
runs=()
[ -n "${RUNS:-}" ] && runs=(-runs="$RUNS")
for t in "${targets[@]}"; do
  work=$dir/fuzz-work/$t
  mkdir -p "$work/corpus" "$work/artifacts"
  log=$work/run.log
  start=$(date +%s)
  set +e
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    nice -n 10 "$dir/$t" -max_total_time="$secs" "${runs[@]}" -max_len=8192 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "$work/corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  took=$(($(date +%s) - start))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  crashes=$(find "$work/artifacts" -type f | wc -l)
  corpus=$(find "$work/corpus" -type f | wc -l)
  if [ "${MERGE:-0}" = 1 ]; then
    rm -rf "$work/merged" && mkdir -p "$work/merged"
    nice -n 10 "$dir/$t" -merge=1 -max_len=8192 "$work/merged" "tests/fuzz/corpus/$t" "$work/corpus" \
      >"$work/merge.log" 2>&1 || true
    corpus="$corpus (merged: $(find "$work/merged" -type f | wc -l))"
  fi
  echo "$t [$mode]: executions=$execs seconds=$took exit=$rc artifacts=$crashes corpus=$corpus (log $log)"
done
