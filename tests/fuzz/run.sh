#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60) from the seed corpus.
#   tests/fuzz/run.sh [SECONDS] [BUILD_DIR]
# Needs a build made with: CC=clang cmake -S . -B build-fuzz -DCARTABLE_FUZZ=ON -DCARTABLE_TESTS=OFF
# New inputs go to a scratch corpus, never into the repository's seeds. A crash
# leaves its input in the build directory and fails the run.
set -euo pipefail
SECONDS_EACH=${1:-60}
BUILD=${2:-build-fuzz}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
status=0
targets=$(find "$BUILD" -maxdepth 1 -name 'fuzz_*' -type f -perm -u+x ! -name '*.log' ! -name '*-crash-*' \
          ! -name '*-leak-*' ! -name '*-timeout-*' ! -name '*-oom-*' | sort)
[ -n "$targets" ] || { echo "no fuzz targets in $BUILD" >&2; exit 1; }
for target in $targets; do
  name=$(basename "$target")
  seeds="$HERE/corpus/${name#fuzz_}"
  scratch=$(mktemp -d)
  cp -r "$seeds"/. "$scratch"/ 2>/dev/null || true
  echo "== $name: ${SECONDS_EACH}s"
  if ! "$target" -max_total_time="$SECONDS_EACH" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$BUILD/$name-" -print_final_stats=1 "$scratch" 2>"$BUILD/$name.log"; then
    status=1
    echo "   FAILED: see $BUILD/$name.log"
    tail -30 "$BUILD/$name.log"
  fi
  grep -E "^stat::number_of_executed_units|^stat::new_units_added|cov:" "$BUILD/$name.log" | tail -3 | sed 's/^/   /'
  rm -rf "$scratch"
  count=$((${count:-0} + 1))
done
echo "fuzz targets run: ${count:-0}"
exit $status
