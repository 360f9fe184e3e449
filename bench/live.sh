#!/usr/bin/env bash
# Live delivery: 10,000 WebSockets on /live/updates, then broadcasts to the classes
# of the people behind them; for each socket, the time from the broadcast's 201 to
# its new badge.
#
#   bench/live.sh [--people N] [--per-person K] [--broadcasts B] [--gap-ms MS]
#                 [--jitter-ms J] [--poll LIST] [--out FILE]
#
# N pupils (default 500: the 25 pupils of each of the first 20 classes) get a
# password and sign in; K sockets each (default 20: 10,000 sockets) are opened by
# two client processes (bench/msgload.c, epoll, C) on CPU 1; cartable --threads 1
# on CPU 0. Then a staff member sends B broadcasts (default 10), one every MS ms
# (default 3000) plus a random 0..J ms (default 1000: the broadcasts must not keep
# one phase against the server's poll timer), each to all N pupils' classes ("c:ID" each); the sender
# (msgload send) is on CPU 1 as well. A badge's arrival is the kernel's receive
# time of its bytes on the client socket (SO_TIMESTAMPNS; the clients' own read
# time is reported beside it); latency = arrival - the moment the sender had read
# the whole 201. The whole run is repeated for each live_poll_interval in LIST
# (default "250ms 25ms": the default, and a tenth of it), each on a fresh server.
# Needs sqlite3, cc, and ulimit -n above N*K/2 + 100 (raised to the hard limit).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PEOPLE=500
PER=20
BROADCASTS=10
GAP_MS=3000
JITTER_MS=1000
POLLS="250ms 25ms"
bench_options "$@"
set -- "${BENCH_ARGS[@]+"${BENCH_ARGS[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --people) PEOPLE=$2; shift 2 ;;
    --per-person) PER=$2; shift 2 ;;
    --broadcasts) BROADCASTS=$2; shift 2 ;;
    --gap-ms) GAP_MS=$2; shift 2 ;;
    --jitter-ms) JITTER_MS=$2; shift 2 ;;
    --poll) POLLS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bench_init live 18199 sqlite3 cc
bench_build_msgload
ulimit -n "$(ulimit -Hn)"
SOCKETS=$((PEOPLE * PER))
HALF=$((PEOPLE / 2))
[ "$(ulimit -n)" -gt $((SOCKETS - HALF * PER + 100)) ] || { echo "ulimit -n $(ulimit -n) is too low for $SOCKETS sockets" >&2; exit 1; }
[ "$(ulimit -n)" -gt $((SOCKETS + 100)) ] || { echo "the server needs ulimit -n above $SOCKETS" >&2; exit 1; }

echo "creating the demo school and signing $PEOPLE pupils in..." >&2
bench_demo
NCLASSES=$(((PEOPLE + 24) / 25))
CLASSES=$(bench_sql "SELECT group_concat(id) FROM (SELECT id FROM classes ORDER BY id LIMIT $NCLASSES)")
bench_sql "SELECT p.login FROM enrolments e JOIN people p ON p.id = e.pupil_id
           WHERE e.class_id IN ($CLASSES) AND e.ends_on IS NULL ORDER BY e.class_id, p.id LIMIT $PEOPLE" > "$WORK/logins.txt"
[ "$(wc -l < "$WORK/logins.txt")" -eq "$PEOPLE" ] || { echo "the demo school has fewer than $PEOPLE pupils in $NCLASSES classes" >&2; exit 1; }
STAFF=$(bench_staff_login)
echo "$STAFF" >> "$WORK/logins.txt"
bench_set_passwords "$WORK/logins.txt"
start_cartable_setup
bench_sign_in "$WORK/logins.txt" "$WORK/all-cookies.txt"
head -n "$PEOPLE" "$WORK/all-cookies.txt" > "$WORK/cookies.txt"
SENDER_COOKIE=$(tail -1 "$WORK/all-cookies.txt")
stop_cartable
TO=$(echo "$CLASSES" | tr ',' '\n' | sed 's/^/c:/' | paste -sd, -)
cp -a "$WORK/data" "$WORK/data.start"

# Arrivals (socket person kernel_us user_us ...) against the sends (seq start ack ...):
# per broadcast, the first badge of each socket after its send; prints
#   seq sockets p50 p99 max (ms, kernel arrival) p99 max (ms, client read) spread_ms first_ms
analyse() { # sends arrivals
  awk 'NR == FNR {start[$1] = $2; ack[$1] = $3; n = $1; next}
       { i = 0; for (k = n; k >= 1; k--) if ($3 >= start[k]) {i = k; break}
         if (!i) next
         key = i " " $1; if (key in seen) next; seen[key] = 1
         printf "%d %.1f %.1f %.3f\n", i, ($3 - ack[i]) / 1000, ($4 - ack[i]) / 1000, $3 / 1000 }' "$1" "$2" \
    > "$WORK/lat"
  local i
  for i in $(awk '{print $1}' "$1"); do
    awk -v i="$i" '$1 == i' "$WORK/lat" > "$WORK/lat.$i"
    echo "$i $(wc -l < "$WORK/lat.$i") $(awk '{print $2}' "$WORK/lat.$i" | percentile 50)" \
      "$(awk '{print $2}' "$WORK/lat.$i" | percentile 99) $(awk '{print $2}' "$WORK/lat.$i" | percentile max)" \
      "$(awk '{print $3}' "$WORK/lat.$i" | percentile 99) $(awk '{print $3}' "$WORK/lat.$i" | percentile max)" \
      "$(awk 'NR == 1 {mn = $4; mx = $4} {if ($4 < mn) mn = $4; if ($4 > mx) mx = $4} END {printf "%.1f", mx - mn}' "$WORK/lat.$i")" \
      "$(awk '{print $2}' "$WORK/lat.$i" | percentile 0)"
  done
}

: > "$WORK/summary"
bench_wait_quiet
for poll in $POLLS; do
  echo "live_poll_interval $poll: opening $SOCKETS sockets..." >&2
  rm -rf "$WORK/data"
  cp -a "$WORK/data.start" "$WORK/data"
  start_cartable --live-poll-interval "$poll"
  CSRF=$(bench_csrf "$SENDER_COOKIE")
  rm -f "$WORK"/ready.* "$WORK"/arrivals.*
  CLIENT_PIDS=()
  for part in 0 1; do
    first=$((part * HALF))
    people=$([ "$part" -eq 0 ] && echo "$HALF" || echo $((PEOPLE - HALF)))
    taskset -c "$BENCH_CLIENT_CPU" "$MSGLOAD" live --port "$PORT" --cookies "$WORK/cookies.txt" --first "$first" \
      --people "$people" --per-person "$PER" --ready "$WORK/ready.$part" --seconds 3600 \
      --out "$WORK/arrivals.$part" > "$WORK/client.$part" 2> "$WORK/client-err.$part" &
    CLIENT_PIDS+=($!)
    BENCH_PIDS+=($!)
  done
  for _ in $(seq 1200); do [ -f "$WORK/ready.0" ] && [ -f "$WORK/ready.1" ] && break; sleep 0.1; done
  [ -f "$WORK/ready.0" ] && [ -f "$WORK/ready.1" ] || { echo "the clients did not get ready" >&2; cat "$WORK"/client-err.* >&2; exit 1; }
  read -r ok0 failed0 _ < "$WORK/ready.0"
  read -r ok1 failed1 _ < "$WORK/ready.1"
  OPEN=$((ok0 + ok1))
  FAILED=$((failed0 + failed1))
  echo "  $OPEN sockets open, $FAILED failed; server cpu idle 10 s..." >&2
  c0=$(cartable_cpu_s); sleep 10; c1=$(cartable_cpu_s)
  IDLE_CPU=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.1f", (b - a) * 10}') # % of a core over 10 s
  RSS=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$CART_PID/status")
  c0=$(cartable_cpu_s)
  taskset -c "$BENCH_CLIENT_CPU" "$MSGLOAD" send --port "$PORT" --cookie "$SENDER_COOKIE" --csrf "$CSRF" --to "$TO" \
    --interval-ms "$GAP_MS" --jitter-ms "$JITTER_MS" --count "$BROADCASTS" --tag "live-$poll" > "$WORK/sends.$poll"
  sleep 2
  c1=$(cartable_cpu_s)
  kill -TERM "${CLIENT_PIDS[@]}"
  wait "${CLIENT_PIDS[@]}" || true
  stop_cartable
  awk '$5 != 201 {bad++} END {if (bad) {print bad " broadcasts not answered 201"; exit 1}}' "$WORK/sends.$poll" >&2
  RCPT=$(awk 'NR == 1 {print $6}' "$WORK/sends.$poll")
  awk '{print $1, $2, $3, $4, $5, $6}' "$WORK/arrivals.0" > "$WORK/arr.$poll"
  awk -v o=$((HALF * PER)) '{print $1 + o, $2, $3, $4, $5, $6}' "$WORK/arrivals.1" >> "$WORK/arr.$poll"
  analyse "$WORK/sends.$poll" "$WORK/arr.$poll" > "$WORK/per.$poll"
  cat "$WORK/lat" > "$WORK/lat.all.$poll"
  CLIENT_CPU=$(awk '{s += $2} END {printf "%.2f", s}' "$WORK"/client.*)
  CLIENT_WALL=$(awk '{if ($4 > w) w = $4} END {printf "%.1f", w}' "$WORK"/client.*)
  CLIENT_DELAY=$(awk '{if ($6 > d) d = $6} END {printf "%.1f", d / 1000}' "$WORK"/client.*)
  CLOSED=$(awk '{s += $8} END {print s}' "$WORK"/client.*)
  BUSY=$(awk -v a="$c0" -v b="$c1" -v s="$(awk 'END {print NR}' "$WORK/sends.$poll")" \
    'BEGIN {printf "%.0f", (b - a) * 1000 / s}') # server cpu ms per broadcast period
  echo "$poll $OPEN $FAILED $RCPT $(awk '{print $4}' "$WORK/sends.$poll" | percentile 50 | us_to_ms)" \
    "$(col "$WORK/per.$poll" 2) $(col "$WORK/per.$poll" 3) $(col "$WORK/per.$poll" 4) $(col "$WORK/per.$poll" 5)" \
    "$(awk '{print $2}' "$WORK/lat.all.$poll" | percentile 99) $(awk '{print $2}' "$WORK/lat.all.$poll" | percentile max)" \
    "$(col "$WORK/per.$poll" 6) $(col "$WORK/per.$poll" 8) $(col "$WORK/per.$poll" 9) $IDLE_CPU $RSS $BUSY $CLIENT_CPU $CLIENT_WALL $CLIENT_DELAY $CLOSED" \
    >> "$WORK/summary"
  echo "  $(tail -1 "$WORK/summary")" >&2
  sed 's/^/    /' "$WORK"/client-err.* >&2
done

{
  echo "# Live delivery to $SOCKETS WebSockets — $BENCH_DATE"
  echo
  echo "Command: \`$BENCH_CMDLINE\`"
  echo
  bench_code
  bench_settings_line
  echo "Machine: $(bench_machine); ulimit -n $(ulimit -n). $(bench_load_line)"
  echo "cartable --threads 1 (default connection caps: max_connections 100000, ws_max_connections 50000) on CPU 0; two client processes (bench/msgload.c, epoll) of $((SOCKETS / 2)) sockets each and the sender on CPU 1."
  echo "$PEOPLE pupils (the first $NCLASSES classes of the demo school), signed in, $PER sockets each on /live/updates. A staff member sends $BROADCASTS broadcasts, one every $GAP_MS ms plus a random 0–$JITTER_MS ms, to \`c:\` of those $NCLASSES classes."
  echo "Latency: from the moment the sender has read the whole 201 to the kernel's receive time of the new badge's bytes on each socket (SO_TIMESTAMPNS); \"client read\" is when the client process read them (its own delay included). Per broadcast, the first badge of every socket after the send counts."
  echo
  echo "| live_poll_interval | sockets open (failed) | recipients | 201 p50 ms | sockets with the badge (median per broadcast) | first badge ms | p50 ms | **p99 ms** | max ms | p99 / max ms, all broadcasts pooled | p99 ms, client read | first-to-last badge spread ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk '{printf "| %s | %s (%s) | %s | %s | %s of %s | %s | %s | **%s** | %s | %s / %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $2, $14, $7, $8, $9, $10, $11, $12, $13}' "$WORK/summary"
  echo
  echo "Target (issue: messaging): p99 under 100 ms, every socket of a recipient served."
  echo
  echo "| live_poll_interval | server CPU with the sockets idle (% of a core) | server RSS MiB | server CPU ms per broadcast period | client CPU s while recording (2 processes) | recording s | largest client delay ms | sockets closed while recording |"
  echo "|---|---|---|---|---|---|---|---|"
  awk '{printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $15, $16, $17, $18, $19, $20, $21}' "$WORK/summary"
  for poll in $POLLS; do
    echo
    echo "## Every broadcast, live_poll_interval $poll"
    echo
    echo "| broadcast | 201 ms | sockets with the badge | first badge ms | p50 ms | p99 ms | max ms | p99 ms, client read | max ms, client read | spread ms |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    awk 'NR == FNR {lat[$1] = $4; next} {printf "| %s | %.1f | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, lat[$1] / 1000, $2, $9, $3, $4, $5, $6, $7, $8}' \
      "$WORK/sends.$poll" "$WORK/per.$poll"
  done
} | tee "$OUT"
