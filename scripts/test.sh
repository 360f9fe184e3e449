#!/usr/bin/env bash
# The README's test command: installs what is missing, then
#   1. builds with warnings as errors and runs every test (unit, template
#      compiler, HTTP against the real binary);
#   2. builds with AddressSanitizer + UndefinedBehaviorSanitizer and runs them again;
#   3. builds the libFuzzer targets and runs each for FUZZ_SECONDS (default 10).
# Exits non-zero on the first failure. The last line sums up all results.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
JOBS=$(nproc)
scripts/deps.sh test
# playwright-core drives Debian's Chromium in the browser journeys (tests/e2e).
npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error

passed=0
failed=0
run_ctest() { # build-dir label
  local log
  log=$(mktemp)
  local rc=0
  (cd "$1" && ctest --output-on-failure -j"$JOBS" 2>&1) | tee "$log" || rc=$?
  local total
  total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\)/\1 \2/p' "$log" | tail -1)
  rm -f "$log"
  if [ -n "$total" ]; then
    set -- $total
    failed=$((failed + $1))
    passed=$((passed + $2 - $1))
  fi
  if [ $rc -ne 0 ]; then
    echo "$passed passed, $((failed > 0 ? failed : 1)) failed"
    exit 1
  fi
}

echo "== 1/3 build (warnings are errors) and test"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCARTABLE_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"
run_ctest build

echo "== 2/3 AddressSanitizer + UndefinedBehaviorSanitizer build and test"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCARTABLE_WERROR=ON -DCARTABLE_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"
run_ctest build-asan

echo "== 3/3 fuzzing each parser for ${FUZZ_SECONDS}s"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCARTABLE_FUZZ=ON -DCARTABLE_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$JOBS"
fuzz_log=$(mktemp)
if tests/fuzz/run.sh "$FUZZ_SECONDS" build-fuzz | tee "$fuzz_log"; then
  passed=$((passed + $(sed -n 's/^fuzz targets run: //p' "$fuzz_log")))
  rm -f "$fuzz_log"
else
  echo "$passed passed, 1 failed"
  exit 1
fi
echo "$passed passed, $failed failed"
