#!/usr/bin/env bash
# Group commit: acknowledged durable writes/s through the store's single writer, with
# 64 concurrent writers, grouped (the normal mode) against one transaction per write.
#
#   bench/group_commit.sh [--rounds N] [--seconds S] [--writers W] [--out FILE]
#
# Runs build/bench_group_commit N times (both modes each round, same disk, same run)
# and reports every round and the medians. Writes a Markdown report to bench/results/.
set -euo pipefail

ROUNDS=5
SECONDS_PER_RUN=10
WRITERS=64
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --writers) WRITERS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BENCH_BIN:-$ROOT/build/bench_group_commit}
[ -x "$BIN" ] || { echo "build first (cmake --build build)" >&2; exit 1; }
OUT=${OUT:-$ROOT/bench/results/group-commit-$(date +%F).md}
WORK=$(mktemp -d /tmp/cartable-gc.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

ROWS=$WORK/rows
: > "$ROWS"
for r in $(seq 1 "$ROUNDS"); do
  mkdir -p "$WORK/r$r"
  "$BIN" --writers "$WRITERS" --seconds "$SECONDS_PER_RUN" --dir "$WORK/r$r" | grep '^| [go]' | sed "s/^/$r /" >> "$ROWS"
  rm -rf "$WORK/r$r"
  echo "round $r done" >&2
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
col() { # mode column -> values
  awk -F'|' -v m="$1" -v c="$2" '{ gsub(/^ +| +$/, "", $2); if ($2 == m) { v=$c; gsub(/ /, "", v); print v } }' "$ROWS"
}

{
  echo "# Group commit — $(date +%F)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(df -T "$WORK" | awk 'NR==2 {print $2}') filesystem for the database."
  echo "SQLite in WAL mode with synchronous=FULL: a write is acknowledged after the COMMIT that made it durable."
  echo "$WRITERS writer threads, each submitting one small insert and waiting for its acknowledgement; $SECONDS_PER_RUN s per mode, $ROUNDS rounds."
  echo
  echo "## Medians"
  echo
  echo "| mode | acknowledged writes/s | writes per commit | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  for m in "group commit" "one transaction per write"; do
    echo "| $m | $(col "$m" 4 | median) | $(col "$m" 5 | median) | $(col "$m" 6 | median) | $(col "$m" 7 | median) |"
  done
  g=$(col "group commit" 4 | median); s=$(col "one transaction per write" 4 | median)
  echo
  echo "Group commit carries $(awk -v g="$g" -v s="$s" 'BEGIN {printf "%.1f", g/s}')× the writes of one transaction per write."
  echo
  echo "## Every round"
  echo
  echo "| round | mode | writers | acknowledged writes/s | writes per commit | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|---|---|"
  sed 's/^\([0-9]*\) |/| \1 |/' "$ROWS"
} | tee "$OUT"
