#!/usr/bin/env bash
# Broadcast latency under load: a teacher sends a message to 3 classes and their
# parents (~215 recipients) every 200 ms while 64 clients read their inboxes.
#
#   bench/broadcast.sh [--rounds N] [--seconds S] [--warmup S] [--connections C]
#                      [--interval-ms MS] [--out FILE]
#
# cartable (--threads 1, with its store writer and every other thread) on CPU 0;
# wrk -t1 and the sender (bench/msgload.c, one keep-alive connection, C) on CPU 1.
# Readers: 60 people of 6e A, 6e B, 6e C (as inbox.sh), the very inboxes the
# broadcasts land in; wrk -c64 rotates their cookies on GET /messages. The sender
# is demo.prof: POST /api/v1/conversations to c: and cp: of the three classes,
# one every MS ms on a fixed schedule, each with its own idempotency key; the
# latency is the time to the whole 201 answer (acknowledged = committed).
# Each round starts from the same data (copied), then measures for S seconds:
#   1. readers alone, 2. readers and broadcasts together, 3. broadcasts alone.
# Needs sqlite3 and cc.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
INTERVAL_MS=200
SECS=30
ROUNDS=3
CONNS=64
bench_options "$@"
set -- "${BENCH_ARGS[@]+"${BENCH_ARGS[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --interval-ms) INTERVAL_MS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bench_init broadcast 18197 sqlite3 cc
bench_build_msgload

echo "creating the demo school, 60 readers and their inboxes..." >&2
bench_demo
CLASSES=$(bench_class_ids 6A 6B 6C)
bench_class_people "$CLASSES" 10 8 6 > "$WORK/logins.txt"
bench_set_passwords "$WORK/logins.txt"
start_cartable_setup
bench_sign_in "$WORK/logins.txt" "$WORK/cookies.txt"
TO=$(echo "$CLASSES" | tr ',' '\n' | awk '{printf "%sc:%s,cp:%s", (NR > 1 ? "," : ""), $1, $1}')
TO_JSON=$(echo "$TO" | tr ',' '\n' | awk '{printf "%s\"%s\"", (NR > 1 ? "," : ""), $1}')
PROF=$(bench_sign_in_one demo.prof)
PROF_CSRF=$(bench_csrf "$PROF")
for i in $(seq 1 20); do bench_send "$PROF" "$PROF_CSRF" "$TO_JSON" "Information n°$i"; done
RECIPIENTS=$(sed -n 's/.*"recipients":\([0-9]*\).*/\1/p' "$WORK/send.json")
stop_cartable
cp -a "$WORK/data" "$WORK/data.start"

# The sender's lines -> "p50 p99 max non201" in ms.
send_stats() {
  local f=$1
  echo "$(awk '{print $4}' "$f" | percentile 50 | us_to_ms) $(awk '{print $4}' "$f" | percentile 99 | us_to_ms)" \
    "$(awk '{print $4}' "$f" | percentile max | us_to_ms) $(awk '$5 != 201' "$f" | wc -l)"
}
reader_run() { # seconds
  run_wrk -d"$1s" -s "$ROOT/bench/lua/users.lua" "$URL/messages" -- "$WORK/cookies.txt" 0 /messages
}
sender_run() { # seconds output
  taskset -c "$BENCH_CLIENT_CPU" "$MSGLOAD" send --port "$PORT" --cookie "$PROF" --csrf "$PROF_CSRF" --to "$TO" \
    --interval-ms "$INTERVAL_MS" --seconds "$1" --tag "r$r-$(basename "$2")" > "$2"
}
check_readers() { # wrk output
  local bad
  bad=$(echo "$1" | not_ok)
  [ "$bad" -eq 0 ] || { echo "readers: $bad answers were not 200" >&2; echo "$1" | grep '^status' >&2; exit 1; }
}

: > "$WORK/rows"
bench_wait_quiet
for r in $(seq 1 "$ROUNDS"); do
  rm -rf "$WORK/data"
  cp -a "$WORK/data.start" "$WORK/data"
  start_cartable
  PROF_CSRF=$(bench_csrf "$PROF")
  [ "$WARMUP" -gt 0 ] && reader_run "$WARMUP" > /dev/null
  alone=$(reader_run "$SECS")
  check_readers "$alone"
  sender_run "$SECS" "$WORK/loaded.$r" &
  SENDER=$!
  loaded=$(reader_run "$SECS")
  wait "$SENDER"
  check_readers "$loaded"
  sender_run "$SECS" "$WORK/idle.$r"
  stop_cartable
  read -r lp50 lp99 lmax lbad <<<"$(send_stats "$WORK/loaded.$r")"
  read -r ip50 ip99 imax ibad <<<"$(send_stats "$WORK/idle.$r")"
  echo "$r $(echo "$alone" | rps) $(echo "$alone" | p99) $(echo "$loaded" | rps) $(echo "$loaded" | p99)" \
    "$(wc -l < "$WORK/loaded.$r") $lp50 $lp99 $lmax $lbad $(wc -l < "$WORK/idle.$r") $ip50 $ip99 $imax $ibad" >> "$WORK/rows"
  echo "round $r: readers $(echo "$alone" | rps) req/s alone, $(echo "$loaded" | rps) with broadcasts;" \
    "broadcasts p50/p99/max $lp50/$lp99/$lmax ms under load, $ip50/$ip99/$imax ms alone" >&2
done
cat "$WORK"/loaded.* > "$WORK/loaded.all"
read -r AP50 AP99 AMAX ABAD <<<"$(send_stats "$WORK/loaded.all")"
NSENT=$(wc -l < "$WORK/loaded.all")

{
  echo "# Broadcast latency under load — $BENCH_DATE"
  echo
  echo "Command: \`$BENCH_CMDLINE\`"
  echo
  bench_code
  bench_settings_line
  echo "Machine: $(bench_machine). $(bench_load_line)"
  echo "cartable --threads 1 (all its threads: event loop, store writer, hashing) on CPU 0; wrk -t1 -c$CONNS and the sender (bench/msgload.c) on CPU 1."
  echo "Readers: 60 signed-in people of 6e A, 6e B and 6e C (30 pupils, 24 parents, 6 teachers); wrk rotates their cookies on GET /messages, no pause."
  echo "Sender: demo.prof, POST /api/v1/conversations to \`$TO\` ($RECIPIENTS recipients: the three classes' pupils and parents), one every $INTERVAL_MS ms on a fixed schedule over one keep-alive connection; latency = request written to whole 201 answer read (acknowledged = committed)."
  echo "Each round starts from the same data (demo school + 20 earlier broadcasts, so the inboxes are full pages) and measures ${SECS} s each: readers alone, readers with broadcasts, broadcasts alone; ${WARMUP} s reader warm-up first. $ROUNDS rounds."
  echo
  echo "| | median of the rounds | all $NSENT broadcasts under load together |"
  echo "|---|---|---|"
  echo "| broadcast latency under load, p50 ms | $(col "$WORK/rows" 7) | $AP50 |"
  echo "| broadcast latency under load, p99 ms | **$(col "$WORK/rows" 8)** | **$AP99** |"
  echo "| broadcast latency under load, max ms | $(col "$WORK/rows" 9) | $AMAX |"
  echo "| broadcasts not answered 201 | $(col "$WORK/rows" 10) | $ABAD |"
  echo "| broadcast latency alone, p50 / p99 / max ms | $(col "$WORK/rows" 12) / $(col "$WORK/rows" 13) / $(col "$WORK/rows" 14) | |"
  echo "| readers alone, req/s (p99 ms) | $(col "$WORK/rows" 2) ($(col "$WORK/rows" 3)) | |"
  echo "| readers with broadcasts, req/s (p99 ms) | $(col "$WORK/rows" 4) ($(col "$WORK/rows" 5)) | |"
  echo
  echo "Target (issue: messaging): broadcast p99 under 50 ms while the inboxes are read. Readers keep $(ratio "$(col "$WORK/rows" 4)" "$(col "$WORK/rows" 2)") of their rate while the broadcasts go out."
  echo
  echo "## Every round"
  echo
  echo "| round | readers alone req/s | p99 ms | readers + broadcasts req/s | p99 ms | broadcasts | p50 ms | p99 ms | max ms | not 201 | broadcasts alone | p50 ms | p99 ms | max ms | not 201 |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk '{s = "|"; for (i = 1; i <= NF; i++) s = s " " $i " |"; print s}' "$WORK/rows"
} | tee "$OUT"
