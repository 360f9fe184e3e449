#!/usr/bin/env bash
# The 8:30 morning rush: an open model of pupils' journeys against an
# académie-sized directory, with and without the waiting room.
#
#   bench/rush.sh [--data DIR] [--fresh] [--pool N] [--start-rate R] [--max-rate R]
#                 [--bisect N] [--search-seconds S] [--confirm N] [--rate R]
#                 [--seconds S] [--warmup S] [--rounds N] [--newcomer-rounds N] [--factor F]
#                 [--slo-ms MS]
#                 [--think-ms MS] [--resume-share X] [--timeout-ms MS] [--poll-ms MS]
#                 [--quiet-pct 25] [--quiet-wait 900] [--retries 2] [--out FILE]
#
# 1. The directory: `cartable generate --schools 200 --pupils-per-school 500`
#    (100,000 pupils, password "cartable-bench") into DIR (default
#    /tmp/cartable-rush-academie, kept between runs; --fresh regenerates it), and a
#    pool of --pool (3,000) signed-in pupils' `sid` cookies made by `rush pool`
#    (POST /api/v1/login, remember) against it. Every run then starts the server on
#    a fresh copy of DIR, so that no run sees another's messages.
# 2. cartable serve --threads 1 pinned to CPU 0, per-address limits raised (all
#    load comes from 127.0.0.1); the generator (bench/rush, built by its own
#    Makefile into build-rush/) pinned to CPU 1.
# 3. (a) R: the highest arrival rate whose journeys' p99 (the sum of a completed
#    journey's request latencies, think times excluded) is under --slo-ms with no
#    error, timeout or unfinished journey; searched with the waiting room off
#    (the server's own capacity), by doubling from --start-rate, then --bisect
#    halvings, --search-seconds each; then --confirm runs at R (medians).
#    (b) --factor (5) x R with the waiting room on, (c) the same with it off
#    (`--admission off`), --rounds times each, alternating; medians.
#    (d) the same rate with every user a newcomer (--resume-share 0), on then
#    off, --newcomer-rounds times (default 1; 0 skips it): the gate on sign-ins
#    alone (a server may let users who resume a session in without asking, as
#    cartable did before 18e912f).
#    During every run the server is sampled every second (/metrics: admission
#    rate, line, loop lag; /proc: its CPU over the measured window).
# The machine is shared: before each run the script waits (up to --quiet-wait s)
# until others use less than --quiet-pct % of a core, and every run reports the
# CPU that others used while it ran ("others %"); a run disturbed beyond
# --quiet-pct is set aside and made again (--retries times at most).
# Writes a Markdown report to bench/results/rush-DATE.md (or --out).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${RUSH_DATA:-/tmp/cartable-rush-academie}
FRESH=0
POOL=3000
START_RATE=10
MAX_RATE=5000
BISECT=3
SEARCH_SECS=20
CONFIRM=3
RATE=""
SECS=30
WARMUP=5
ROUNDS=3
FACTOR=5
SLO_MS=200
THINK_MS=1000
RESUME=0.7
TIMEOUT_MS=10000
POLL_MS=""
OUT=""
QUIET_PCT=25
QUIET_WAIT=900
RETRIES=2
NEWCOMER_ROUNDS=1
PORT=${RUSH_PORT:-18230}
CMDLINE="bench/rush.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA=$2; shift 2 ;;
    --fresh) FRESH=1; shift ;;
    --pool) POOL=$2; shift 2 ;;
    --start-rate) START_RATE=$2; shift 2 ;;
    --max-rate) MAX_RATE=$2; shift 2 ;;
    --bisect) BISECT=$2; shift 2 ;;
    --search-seconds) SEARCH_SECS=$2; shift 2 ;;
    --confirm) CONFIRM=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --factor) FACTOR=$2; shift 2 ;;
    --slo-ms) SLO_MS=$2; shift 2 ;;
    --think-ms) THINK_MS=$2; shift 2 ;;
    --resume-share) RESUME=$2; shift 2 ;;
    --timeout-ms) TIMEOUT_MS=$2; shift 2 ;;
    --poll-ms) POLL_MS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --quiet-pct) QUIET_PCT=$2; shift 2 ;;
    --quiet-wait) QUIET_WAIT=$2; shift 2 ;;
    --retries) RETRIES=$2; shift 2 ;;
    --newcomer-rounds) NEWCOMER_ROUNDS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

SRC_BIN=${CARTABLE_BIN:-$ROOT/build/cartable}
[ -x "$SRC_BIN" ] || { echo "build cartable first (cmake --build build), or set CARTABLE_BIN" >&2; exit 1; }
for tool in taskset curl make cc; do
  command -v $tool >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (server and load generator on separate cores)" >&2; exit 1; }
make -s -C "$ROOT/bench/rush" >&2
RUSH=$ROOT/build-rush/rush

WORK=$(mktemp -d /tmp/cartable-bench-rush.XXXXXX)
URL=http://127.0.0.1:$PORT
CART_PID=""
SAMPLER_PID=""
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  [ -n "$CART_PID" ] && kill "$CART_PID" 2>/dev/null || true
  sleep 0.3
  [ -n "${RUSH_KEEP:-}" ] && { echo "kept $WORK" >&2; return; }
  rm -rf "$WORK"
}
trap cleanup EXIT
# Others rebuild build/ while this runs: use one copy of the binary throughout.
cp "$SRC_BIN" "$WORK/cartable"
BIN=$WORK/cartable
VERSION="$("$BIN" version 2>/dev/null | awk '{print $2}'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo ' with uncommitted changes in src/'), built $(date -u -r "$SRC_BIN" '+%Y-%m-%d %H:%M UTC')"
HZ=$(getconf CLK_TCK)
ulimit -n "$(ulimit -Hn)"

HAVE_ADMISSION=0
"$BIN" help config 2>&1 | grep -q '^  admission ' && HAVE_ADMISSION=1
SERVE_OPTS=(--threads 1 --login-ip-per-minute 1000000 --access-log false)
if [ $HAVE_ADMISSION = 1 ]; then
  SERVE_OPTS+=(--admission-tickets-per-ip-per-minute 1000000)
  ADM_ON=(--admission on)
  ADM_OFF=(--admission off)
else
  echo "this cartable has no waiting room (no 'admission' setting): runs (b) and (c) are the same server" >&2
  ADM_ON=()
  ADM_OFF=()
fi

# ---- the directory and the pool ------------------------------------------------------

GEN_NOTE="reused from an earlier run"
if [ "$FRESH" = 1 ] || [ ! -f "$DATA/.rush-ready" ]; then
  rm -rf "$DATA"
  echo "generating the académie in $DATA (about 30 s)..." >&2
  t=$(date +%s.%N)
  "$BIN" generate --schools 200 --pupils-per-school 500 --data "$DATA" >/dev/null 2>&1
  GEN_NOTE="generated now in $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
  "$BIN" user list --data "$DATA" --role pupil 2>/dev/null |
    awk 'NR > 1 && NF >= 5 && $2 == "pupil" {print $1}' > "$DATA/rush-logins.txt"
  rm -f "$DATA/rush-sessions.txt"
  echo "schools=200 pupils_per_school=500" > "$DATA/.rush-ready"
fi
NPUPILS=$(wc -l < "$DATA/rush-logins.txt")
[ "$NPUPILS" -ge "$POOL" ] || { echo "only $NPUPILS pupils in $DATA" >&2; exit 1; }

start_server() { # data-dir serve-options...
  local dir=$1
  shift
  taskset -c 0 "$BIN" serve --data "$dir" --listen 127.0.0.1:$PORT "${SERVE_OPTS[@]}" \
    --log-file "$WORK/cartable.log" "$@" &
  CART_PID=$!
  local _
  for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "cartable did not start:" >&2
  tail -5 "$WORK/cartable.log" >&2
  exit 1
}
stop_server() {
  kill "$CART_PID"
  wait "$CART_PID" 2>/dev/null || true
  CART_PID=""
}

POOL_NOTE="reused"
if [ ! -s "$DATA/rush-sessions.txt" ] || [ "$(wc -l < "$DATA/rush-sessions.txt")" -lt "$POOL" ]; then
  echo "signing $POOL pupils in for the session pool..." >&2
  shuf -n "$POOL" --random-source=<(yes) "$DATA/rush-logins.txt" > "$WORK/pool-logins.txt"
  start_server "$DATA" "${ADM_OFF[@]}"
  t=$(date +%s.%N)
  taskset -c 1 "$RUSH" pool --port $PORT --logins "$WORK/pool-logins.txt" --count "$POOL" \
    --out "$DATA/rush-sessions.txt.new" --concurrency 16 --timeout-ms 60000 >&2
  POOL_NOTE="made now in $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
  stop_server
  mv "$DATA/rush-sessions.txt.new" "$DATA/rush-sessions.txt"
fi
SESSIONS=$DATA/rush-sessions.txt

# ---- one run -------------------------------------------------------------------------

# Figures of a run's machine-readable lines: kv FILE TAG KEY [step-name]
kv() {
  awk -v t="$2" -v k="$3" -v n="${4:-}" '$1 == "RUSH" && $2 == t {
    ok = (n == ""); v = ""
    for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == "name" && a[2] == n) ok = 1; if (a[1] == k) v = a[2] }
    if (ok && v != "") { print v; exit } }' "$1"
}
errs_of() { awk '$1 == "RUSH" && $2 == "errors" {$1 = ""; $2 = ""; sub(/^ +/, ""); print; exit}' "$1"; }
fmt() { # a figure for a table: "-" for none, integers as such, else 2 decimals under 10
  awk -v v="$1" 'BEGIN { if (v == "" || v == "-" || v ~ /nan/) print "-"; else if (v == int(v)) printf "%d", v;
    else if (v + 0 < 10) printf "%.2f", v; else printf "%.0f", v }'
}

# Samples the server every second: t admission_rate line loop_lag_ms cpu_ticks machine_busy_ticks
# (/metrics and /proc/PID/stat), for the admission rate while arrivals come and
# the server's CPU over the measured window rather than over the drain too.
sample_server() { # file pid
  local t0 t
  t0=$(date +%s.%N)
  while :; do
    t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
    { curl -s -m 2 "$URL/metrics" || true; } | awk -v t="$t" -v k="$(awk '{print $14 + $15}' "/proc/$2/stat" 2>/dev/null)" \
      -v m="$(awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat)" '
      $1 == "cartable_admission_rate" {r = $2} $1 == "cartable_waiting_room_waiting" {w = $2}
      $1 == "cartable_loop_lag_seconds" {l = $2 * 1000}
      END {printf "%s %s %s %s %s %s\n", t, (r == "" ? "-" : r), (w == "" ? "-" : w), (l == "" ? "-" : l), k, m}' >> "$1"
    sleep 1
  done
}

# CPU used by everything on the machine over S seconds, in % of one core.
machine_busy() { # seconds
  local a b
  a=$(awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat)
  sleep "$1"
  b=$(awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat)
  awk -v a="$a" -v b="$b" -v hz="$HZ" -v s="$1" 'BEGIN {printf "%.0f", 100 * (b - a) / hz / s}'
}
# Between runs nothing of ours runs: wait until the others are quiet too.
wait_quiet() {
  local waited=0 busy
  while :; do
    busy=$(machine_busy 2)
    [ "$busy" -lt "$QUIET_PCT" ] && { busy=$(machine_busy 3); [ "$busy" -lt "$QUIET_PCT" ] && return 0; }
    if [ "$waited" -ge "$QUIET_WAIT" ]; then
      echo "the machine is still busy ($busy % of a core), running anyway" >&2
      return 0
    fi
    [ "$waited" = 0 ] && echo "the machine is busy ($busy % of a core used by others): waiting for it to be quiet..." >&2
    sleep 8
    waited=$((waited + 10))
  done
}

NRUN=0
# run_once LABEL RATE SECONDS DRAIN serve-options...: appends a row to $WORK/rows;
# a run during which others used more than --quiet-pct % of a core is set aside
# (listed in the report) and made again, up to --retries times.
DISTURBED=()
run_once() {
  local attempt
  for attempt in $(seq 0 "$RETRIES"); do
    run_attempt "$@"
    local o
    o=$(tail -1 "$WORK/rows" | awk '{print $37}')
    if [ "$o" != "-" ] && [ "$o" -gt "$QUIET_PCT" ] && [ "$attempt" -lt "$RETRIES" ]; then
      echo "$LAST was disturbed (others used $o % of a core): set aside, made again" >&2
      DISTURBED+=("$LAST ($1 at $2/s: others $o %, journey p99 $(fmt "$(tail -1 "$WORK/rows" | awk '{print $12}')") ms, $LAST_PASS)")
      sed -i '$d' "$WORK/rows"
      continue
    fi
    return 0
  done
}
run_attempt() {
  local label=$1 rate=$2 secs=$3 drain=$4
  shift 4
  NRUN=$((NRUN + 1))
  local name
  name=$(printf 'r%02d' "$NRUN")
  rm -rf "$WORK/run"
  cp -a "$DATA" "$WORK/run"
  sync
  wait_quiet
  start_server "$WORK/run" "$@"
  local poll=()
  [ -n "$POLL_MS" ] && poll=(--poll-ms "$POLL_MS")
  : > "$WORK/$name.metrics"
  taskset -c 1 bash -c "$(declare -f sample_server); URL=$URL; sample_server $WORK/$name.metrics $CART_PID" &
  SAMPLER_PID=$!
  taskset -c 1 "$RUSH" run --port $PORT --rate "$rate" --duration "$secs" --warmup "$WARMUP" --drain "$drain" \
    --sessions "$SESSIONS" --logins "$DATA/rush-logins.txt" --think-ms "$THINK_MS" --resume-share "${RUN_RESUME:-$RESUME}" \
    --timeout-ms "$TIMEOUT_MS" --seed $((1000 + NRUN)) --journeys "$WORK/$name.tsv" --label "$label" "${poll[@]}" \
    > "$WORK/$name.out" 2> "$WORK/$name.err"
  if [ -n "$SAMPLER_PID" ]; then kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""; fi
  curl -s "$URL/metrics" | grep '^cartable_waiting_room\|^cartable_admission' > "$WORK/$name.final" || true
  stop_server
  local f=$WORK/$name.out scpu
  # the server's CPU while the measured arrivals came (samples after the warm-up, up to its end)
  scpu=$(awk -v w="$WARMUP" -v d="$secs" -v hz="$HZ" '$5 != "" && $1 >= w && $1 <= w + d + 0.5 {
      if (t0 == "") {t0 = $1; k0 = $5} t1 = $1; k1 = $5}
    END {if (t1 > t0) printf "%.0f", 100 * (k1 - k0) / hz / (t1 - t0); else print "-"}' "$WORK/$name.metrics")
  # admission rate while arrivals came (after the warm-up): min median max; the longest line
  # CPU used by others while the measured arrivals came: machine - server - generator
  local others
  others=$(awk -v w="$WARMUP" -v d="$secs" -v hz="$HZ" -v s="$scpu" -v g="$(kv "$f" gen cpu_pct)" '$6 != "" && $1 >= w && $1 <= w + d + 0.5 {
      if (t0 == "") {t0 = $1; m0 = $6} t1 = $1; m1 = $6}
    END {if (t1 > t0 && s != "-") {o = 100 * (m1 - m0) / hz / (t1 - t0) - s - g; printf "%.0f", (o < 0 ? 0 : o)} else print "-"}' "$WORK/$name.metrics")
  local adm
  adm=$(awk -v w="$WARMUP" -v d="$secs" '$1 >= w && $1 <= w + d && $2 != "-" {print $2}' "$WORK/$name.metrics" | sort -g |
    awk '{a[NR] = $1} END {if (NR) printf "%s/%s/%s", a[1], a[int((NR + 1) / 2)], a[NR]; else printf "-"}')
  local line
  line=$(awk '$3 != "-" && $3 + 0 > m {m = $3 + 0} END {print m + 0}' "$WORK/$name.metrics")
  local pass=no
  awk -v p="$(kv "$f" summary journey_p99_ms)" -v e="$(kv "$f" summary errors)" -v t="$(kv "$f" summary timeouts)" \
    -v u="$(kv "$f" summary unfinished)" -v slo="$SLO_MS" \
    'BEGIN {exit !(p != "nan" && p + 0 < slo && e == 0 && t == 0 && u == 0)}' && pass=yes
  # columns: 1 name 2 label 3 rate 4 achieved 5 arrivals 6 completed 7 errors 8 timeouts 9 unfinished
  # 10 still_waiting 11 journey_p50 12 journey_p99 13 step_p99_max 14 login_p99 15 today_p99 16 hwlist_p99
  # 17 inbox_p99 18 send_p99 19 gated 20 wr_answers 21 wr_p50 22 wr_p99 23 wait_p50 24 wait_p99 25 wait_max
  # 26 spearman 27 gen_cpu 28 server_cpu 29 pass 30 adm_rate 31 line_max 32 login_form_p99 33 message_form_p99
  # 34 completed_per_s 35 sent_page_p99 36 start_lag_max 37 others_cpu 38 gated_resume 39 slowest step
  printf '%s\n' "$name" "$label" "$rate" "$(kv "$f" summary achieved)" "$(kv "$f" summary arrivals)" \
    "$(kv "$f" summary completed)" "$(kv "$f" summary errors)" "$(kv "$f" summary timeouts)" \
    "$(kv "$f" summary unfinished)" "$(kv "$f" summary still_waiting)" "$(kv "$f" summary journey_p50_ms)" \
    "$(kv "$f" summary journey_p99_ms)" "$(kv "$f" summary step_p99_max_ms)" "$(kv "$f" step p99_ms login)" \
    "$(kv "$f" step p99_ms today)" "$(kv "$f" step p99_ms homework_list)" "$(kv "$f" step p99_ms inbox)" \
    "$(kv "$f" step p99_ms send)" "$(kv "$f" wr gated)" "$(kv "$f" wr answers)" "$(kv "$f" wr answer_p50_ms)" \
    "$(kv "$f" wr answer_p99_ms)" "$(kv "$f" wr wait_p50_ms)" "$(kv "$f" wr wait_p99_ms)" "$(kv "$f" wr wait_max_ms)" \
    "$(kv "$f" wr spearman)" "$(kv "$f" gen cpu_pct)" "$scpu" "$pass" "$adm" "$line" \
    "$(kv "$f" step p99_ms login_form)" "$(kv "$f" step p99_ms message_form)" \
    "$(awk -v c="$(kv "$f" summary completed)" -v s="$secs" 'BEGIN {printf "%.1f", c / s}')" \
    "$(kv "$f" step p99_ms sent_page)" "$(kv "$f" gen start_lag_max_ms)" "$others" "$(kv "$f" wr gated_resume)" \
    "$(awk '$1 == "RUSH" && $2 == "step" {n = ""; p = ""; for (i = 3; i <= NF; i++) {split($i, a, "=");
        if (a[1] == "name") n = a[2]; if (a[1] == "p99_ms") p = a[2]}
        if (p != "nan" && (best == "" || p + 0 > bp)) {best = n; bp = p + 0}}
      END {if (best != "") printf "%s:%.0f", best, bp}' "$f")" |
    sed 's/^$/-/; s/^-nan$/nan/' | paste -sd' ' >> "$WORK/rows"
  echo "$name $label: rate $rate/s, completed $(kv "$f" summary completed), errors $(kv "$f" summary errors) ($(errs_of "$f")), timeouts $(kv "$f" summary timeouts), unfinished $(kv "$f" summary unfinished), journey p99 $(fmt "$(kv "$f" summary journey_p99_ms)") ms, gated $(kv "$f" wr gated), server CPU $scpu %, generator CPU $(kv "$f" gen cpu_pct) %, others $others % -> $pass" >&2
  LAST=$name
  LAST_PASS=$pass
}

: > "$WORK/rows"
SEARCH_NOTE=""
# ---- (a) R --------------------------------------------------------------------------
if [ -z "$RATE" ]; then
  echo "(a) searching R (waiting room off)..." >&2
  rate=$START_RATE
  best=0
  worst=0
  while :; do
    run_once "search" "$rate" "$SEARCH_SECS" 30 "${ADM_OFF[@]}"
    if [ "$LAST_PASS" = yes ]; then
      best=$rate
      [ "$rate" -ge "$MAX_RATE" ] && break
      rate=$((rate * 2))
    else
      worst=$rate
      [ "$best" -gt 0 ] && break
      rate=$((rate / 2))
      [ "$rate" -lt 1 ] && break
    fi
  done
  if [ "$best" -gt 0 ] && [ "$worst" -gt 0 ]; then
    for _ in $(seq "$BISECT"); do
      mid=$(((best + worst) / 2))
      [ "$mid" -le "$best" ] && break
      run_once "search" "$mid" "$SEARCH_SECS" 30 "${ADM_OFF[@]}"
      if [ "$LAST_PASS" = yes ]; then best=$mid; else worst=$mid; fi
    done
  fi
  [ "$best" -gt 0 ] || { echo "no rate passes the criterion, not even $START_RATE/s... see $WORK" >&2; RUSH_KEEP=1; exit 1; }
  RATE=$best
  SEARCH_NOTE="searched"
else
  SEARCH_NOTE="given (--rate $RATE)"
fi
echo "R = $RATE/s; confirming..." >&2
for _ in $(seq "$CONFIRM"); do
  run_once "R" "$RATE" "$SEARCH_SECS" 30 "${ADM_OFF[@]}"
done

# ---- (b) and (c) ----------------------------------------------------------------------
HIGH=$(awk -v r="$RATE" -v f="$FACTOR" 'BEGIN {printf "%g", r * f}')
echo "(b) and (c): $HIGH/s with and without the waiting room, $ROUNDS rounds..." >&2
for i in $(seq "$ROUNDS"); do
  if [ $((i % 2)) = 1 ]; then
    run_once "on" "$HIGH" "$SECS" 180 "${ADM_ON[@]}"
    run_once "off" "$HIGH" "$SECS" 60 "${ADM_OFF[@]}"
  else
    run_once "off" "$HIGH" "$SECS" 60 "${ADM_OFF[@]}"
    run_once "on" "$HIGH" "$SECS" 180 "${ADM_ON[@]}"
  fi
done

if [ "$NEWCOMER_ROUNDS" -gt 0 ]; then
  echo "(d) $HIGH/s, everyone a newcomer, with and without the waiting room, $NEWCOMER_ROUNDS round(s)..." >&2
  for i in $(seq "$NEWCOMER_ROUNDS"); do
    RUN_RESUME=0 run_once "new-on" "$HIGH" "$SECS" 300 "${ADM_ON[@]}"
    RUN_RESUME=0 run_once "new-off" "$HIGH" "$SECS" 60 "${ADM_OFF[@]}"
  done
fi

# ---- the report ------------------------------------------------------------------------

# Median of column C over the rows with label L (numbers only).
med() { awk -v l="$1" -v c="$2" '$2 == l && $c != "-" && $c != "nan" {print $c}' "$WORK/rows" | sort -g |
  awk '{a[NR] = $1} END {if (!NR) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mf() { fmt "$(med "$1" "$2")"; }
cell() { awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$WORK/rows"; }
cf() { fmt "$(cell "$1" "$2")"; }
errs_row() { local e; e=$(errs_of "$WORK/$1.out"); echo "${e:-?}"; }
spear() { med "$1" 26 | awk '{if ($1 == "-") print "-"; else printf "%.4f", $1}'; }
compare() { # label-a label-b title-a title-b: medians side by side
  local a=$1 b=$2
  echo "| | $3 | $4 |"
  echo "|---|---|---|"
  row() { echo "| $1 | $(mf "$a" "$2") | $(mf "$b" "$2") |"; }
  row "arrivals/s achieved" 4
  row "completed journeys/s" 34
  row "errors" 7
  row "timeouts" 8
  row "unfinished at the end of the drain" 9
  row "… of which still in line" 10
  row "journey p50 ms" 11
  row "journey p99 ms" 12
  row "sign-in form (GET /login) p99 ms" 32
  row "sign-in (POST /login) p99 ms" 14
  row "today p99 ms" 15
  row "homework list p99 ms" 16
  row "inbox p99 ms" 17
  row "send (POST /messages/new) p99 ms" 18
  row "gated journeys" 19
  row "… of which resuming a session" 38
  row "waiting-room answers" 20
  row "waiting-room answer p50 ms" 21
  row "waiting-room answer p99 ms" 22
  row "time in line p50 ms" 23
  row "time in line p99 ms" 24
  row "time in line max ms" 25
  echo "| Spearman, arrival vs admission order | $(spear "$a") | $(spear "$b") |"
  row "longest line (sampled)" 31
  row "server CPU %" 28
  row "generator CPU %" 27
  row "others' CPU % (machine − server − generator)" 37
}

DATE=$(date +%F)
[ -n "$OUT" ] || OUT="$ROOT/bench/results/rush-$DATE.md"
MACHINE="$(nproc) cores, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
{
  echo "# The 8:30 morning rush — $DATE"
  echo
  echo "Command: \`$CMDLINE\`"
  echo
  echo "Machine: $MACHINE; shared with other work, timings are noisy."
  echo
  echo "- cartable $VERSION: \`cartable serve ${SERVE_OPTS[*]}\` pinned to CPU 0 (\`taskset -c 0\`), default hashing threads and \`requests_per_account_per_second\`; each run on a fresh copy of the directory."
  echo "- Directory: \`cartable generate --schools 200 --pupils-per-school 500\` ($NPUPILS pupils; $GEN_NOTE); session pool: $POOL pupils signed in through \`POST /api/v1/login\` with \`remember\` ($POOL_NOTE)."
  echo "- Generator: \`build-rush/rush\` (bench/rush/, epoll, one thread) pinned to CPU 1: Poisson arrivals, think times exponential with mean $THINK_MS ms, $RESUME of journeys resume a pooled session (the server decides whether to gate them: the gated ones are counted), the others sign in through the form; every journey: today, homework list, a homework if the list links one, inbox, then a message to a teacher through the web form (multipart). Timeout $TIMEOUT_MS ms per request$([ -n "$POLL_MS" ] && echo ", waiting-room refresh capped at $POLL_MS ms" || echo ", the waiting room's Refresh honoured")."
  echo "- A journey's latency is the sum of its requests' latencies (think times and time in the waiting room excluded), over completed journeys."
  echo "- Server CPU: from /proc over the measured arrivals (after the warm-up), in % of one core. Others %: the CPU the rest of the machine used meanwhile (/proc/stat minus server and generator; the 1-s sampler's curl included); each run first waits until others use less than $QUIET_PCT % of a core (at most $QUIET_WAIT s)."
  [ $HAVE_ADMISSION = 1 ] || echo "- **This cartable has no waiting room yet** (no \`admission\` setting): (b) and (c) ran the same server."
  echo
  echo "## (a) R, the highest arrival rate with journey p99 < $SLO_MS ms and no error"
  echo
  echo "Waiting room off (\`--admission off\`), ${SEARCH_SECS} s of arrivals after ${WARMUP} s of warm-up per run; R $SEARCH_NOTE."
  echo
  echo "| run | arrivals/s offered | achieved | completed | errors | timeouts | unfinished | journey p50 ms | journey p99 ms | slowest step: p99 ms | server CPU % | generator CPU % | others % | passes |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk '$2 == "search" || $2 == "R" {print $1}' "$WORK/rows" | while read -r n; do
    echo "| $n $(cell "$n" 2) | $(cell "$n" 3) | $(cell "$n" 4) | $(cell "$n" 6) | $(cell "$n" 7) | $(cell "$n" 8) | $(cell "$n" 9) | $(cf "$n" 11) | $(cf "$n" 12) | $(cell "$n" 39 | sed 's/:/: /') | $(cell "$n" 28) | $(cell "$n" 27) | $(cell "$n" 37) | $(cell "$n" 29) |"
  done
  echo
  echo "**R = $RATE arrivals/s** (median of the $CONFIRM confirmation runs: journey p99 $(mf R 12) ms, worst step p99 $(mf R 13) ms, $(mf R 34) completed journeys/s, server CPU $(mf R 28) %, generator CPU $(mf R 27) %)."
  echo
  echo "## (b) $HIGH/s (${FACTOR}×R) with the waiting room, (c) the same without"
  echo
  echo "${SECS} s of arrivals after ${WARMUP} s of warm-up; medians of $ROUNDS rounds (alternating)."
  echo
  compare on off "(b) waiting room on" "(c) waiting room off"
  echo
  if [ "$NEWCOMER_ROUNDS" -gt 0 ]; then
    echo "## (d) $HIGH/s again, every user a newcomer (\`--resume-share 0\`): what the gate itself does"
    echo
    echo "In (b) and (c), $RESUME of the users resume a session ($(awk -v r="$HIGH" -v s="$RESUME" 'BEGIN {printf "%g", r * s}')/s of journeys, $(awk -v f="$FACTOR" -v s="$RESUME" 'BEGIN {printf "%g", s * f}')×R by themselves), and a server may let them in without asking. Here everyone signs in through the form: the gate on sign-ins alone. ${SECS} s of arrivals after ${WARMUP} s of warm-up; medians of $NEWCOMER_ROUNDS round(s)."
    echo
    compare new-on new-off "(d) waiting room on" "(d) waiting room off"
    echo
  fi
  echo "Every run:"
  echo
  echo "| run | arrivals/s | completed | errors | timeouts | unfinished (in line) | journey p99 ms | login p99 | today p99 | inbox p99 | send p99 | gated | in line p50/p99/max ms | Spearman | admission rate min/med/max | server CPU % | gen. CPU % | others % |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  awk '$2 == "on" || $2 == "off" || $2 ~ /^new-/ {print $1}' "$WORK/rows" | while read -r n; do
    echo "| $n $(cell "$n" 2) | $(cell "$n" 4) | $(cell "$n" 6) | $(cell "$n" 7) | $(cell "$n" 8) | $(cell "$n" 9) ($(cell "$n" 10)) | $(cf "$n" 12) | $(cf "$n" 14) | $(cf "$n" 15) | $(cf "$n" 17) | $(cf "$n" 18) | $(cell "$n" 19) | $(cf "$n" 23)/$(cf "$n" 24)/$(cf "$n" 25) | $(cell "$n" 26) | $(cell "$n" 30) | $(cell "$n" 28) | $(cell "$n" 27) | $(cell "$n" 37) |"
  done
  echo
  if [ ${#DISTURBED[@]} -gt 0 ]; then
    echo "Runs set aside because others used more than $QUIET_PCT % of a core meanwhile (made again): ${DISTURBED[*]}."
    echo
  fi
  echo "Errors by kind and step (\`status@step\`; \`redirect\` = a page answered by a redirect, \`connect\` = connection refused or reset):"
  echo
  awk '{print $1, $2}' "$WORK/rows" | while read -r n l; do echo "- $n ($l): $(errs_row "$n")"; done
  echo
  echo "## The generator's own reports (${FACTOR}×R runs)"
  echo
  awk '$2 == "on" || $2 == "off" || $2 ~ /^new-/ {print $1}' "$WORK/rows" | while read -r n; do
    echo '```'
    grep -v '^RUSH ' "$WORK/$n.out" | sed '/^$/d'
    [ -s "$WORK/$n.final" ] && { echo "server's counters at the end:"; sed 's/^/  /' "$WORK/$n.final"; }
    echo '```'
  done
} > "$OUT"
cat "$OUT"
