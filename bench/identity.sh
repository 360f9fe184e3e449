#!/usr/bin/env bash
# Sign-ins and sessions under load, in rounds, with the machine's own yardsticks.
#
#   bench/identity.sh [--rounds N] [--seconds S] [--out FILE]
#
# Each round measures, one after the other on the same machine:
#  1. raw      argon2id verifications/s of this machine (bench_pwhash, one thread
#              per core, nothing else running): the ceiling for sign-ins; measured
#              just before and just after the storm, and averaged;
#  2. storm    sign-ins/s through the server (POST /api/v1/login, wrk -c64, rotating
#              over 1,000 generated accounts), as a share of raw;
#  3. sessions session-checked requests/s (GET /api/v1/me with 200 different
#              signed-in people's cookies, wrk -c64), against nginx serving a static
#              file of the same size in the same round;
#  4. rush     the storm again while 50 signed-in people work (each connection
#              pauses 20 ms between requests): their p50/p99 latency, and the
#              sign-ins/s the storm still gets.
# Rounds alternate nothing; medians are reported. The server runs with its
# defaults (one event loop and one hashing thread per core) and the per-address
# sign-in limit raised, since every request here comes from 127.0.0.1.
# Writes a Markdown report to bench/results/ (or --out).
set -euo pipefail

ROUNDS=5
SECS=10
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --seconds) SECS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BIN=$BUILD/cartable
PWHASH=$BUILD/bench_pwhash
for f in "$BIN" "$PWHASH"; do
  [ -x "$f" ] || { echo "missing $f: cmake --build build" >&2; exit 1; }
done
for tool in wrk nginx curl; do
  command -v $tool >/dev/null || { echo "missing $tool: scripts/deps.sh bench" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/cartable-bench-identity.XXXXXX)
chmod 755 "$WORK"
PORT=18191
NGINX_PORT=18192
URL=http://127.0.0.1:$PORT
cleanup() {
  [ -n "${STORM_PID:-}" ] && kill "$STORM_PID" 2>/dev/null || true
  [ -n "${CART_PID:-}" ] && kill "$CART_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.3
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "generating accounts..." >&2
"$BIN" generate --schools 2 --pupils-per-school 1000 --data "$WORK/data" >/dev/null 2>&1
"$BIN" user list --data "$WORK/data" --role pupil 2>/dev/null | awk 'NR > 1 && n < 1000 {print $1; n++}' > "$WORK/logins.txt"
[ "$(wc -l < "$WORK/logins.txt")" -eq 1000 ] || { echo "expected 1000 generated logins" >&2; exit 1; }

"$BIN" serve --listen 127.0.0.1:$PORT --data "$WORK/data" --login-ip-per-minute 1000000 \
  --log-file "$WORK/cartable.log" --access-log false &
CART_PID=$!
for _ in $(seq 50); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done

echo "signing 200 people in..." >&2
: > "$WORK/cookies.txt"
for login in $(head -200 "$WORK/logins.txt"); do
  cookie=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
    --data "{\"login\":\"$login\",\"password\":\"cartable-bench\",\"remember\":true}" "$URL/api/v1/login" |
    tr -d '\r' | awk -F'[ ;]' 'tolower($1) == "set-cookie:" && $2 ~ /^sid=/ {print $2}')
  [ -n "$cookie" ] || { echo "sign-in failed for $login" >&2; exit 1; }
  echo "$cookie" >> "$WORK/cookies.txt"
done
ME_BYTES=$(curl -s -H "Cookie: $(head -1 "$WORK/cookies.txt")" "$URL/api/v1/me" | wc -c)

# nginx serves a file the size of a /api/v1/me answer, for the sessions ratio.
mkdir -p "$WORK/www"
head -c "$ME_BYTES" /dev/zero | tr '\0' 'x' > "$WORK/www/me.json"
cat > "$WORK/nginx.conf" <<EOF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  open_file_cache max=1000 inactive=60s; open_file_cache_valid 60s;
  keepalive_requests 1000000; keepalive_timeout 60s;
  server { listen 127.0.0.1:$NGINX_PORT; root $WORK/www; }
}
EOF
nginx -c "$WORK/nginx.conf" -p "$WORK" 2>/dev/null
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NGINX_PORT/me.json" >/dev/null && break; sleep 0.1; done

statuses() { awk '/^status / {printf "%s%s:%s", sep, $2, $3; sep=","}' <<<"$1"; }
ok_per_s() { awk -v s="$2" '/^status 200 / {n = $3} END {printf "%.1f", n / s}' <<<"$1"; }
# wrk --latency prints "     99%   12.34ms"; normalise to ms.
pct() {
  awk -v p="$2%" '$1 == p {v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.1f", v}' <<<"$1"
}
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$1"; }
# When wrk stops, sign-ins it sent may still wait for a hashing thread: let the
# server finish them so they do not eat into the next measurement.
wait_idle() {
  for _ in $(seq 100); do
    n=$(curl -s "$URL/metrics" | awk '/^cartable_http_requests_in_flight / {print $2}')
    [ "${n:-1}" -le 1 ] && break # this request itself
    sleep 0.1
  done
  sleep 0.5
}

declare -a RAW STORM SHARE SESS NGINX SRATIO P50 P99 RUSH RUSHSTAT
for i in $(seq "$ROUNDS"); do
  # The machine's hashing rate drifts (shared cores): take it just before and just after.
  raw1=$("$PWHASH" --seconds "$SECS" | sed 's/.*per_second=//')
  out=$(wrk -t1 -c64 -d"${SECS}s" -s "$ROOT/bench/lua/login.lua" "$URL/api/v1/login" -- "$WORK/logins.txt")
  wait_idle
  raw2=$("$PWHASH" --seconds "$SECS" | sed 's/.*per_second=//')
  raw=$(awk -v a="$raw1" -v b="$raw2" 'BEGIN {printf "%.1f", (a + b) / 2}')
  storm=$(ok_per_s "$out" "$SECS")
  grep -q '^status [^2]' <<<"$out" && echo "round $i: storm answers $(statuses "$out")" >&2
  sess_out=$(wrk -t2 -c64 -d"${SECS}s" -s "$ROOT/bench/lua/users.lua" "$URL/" -- "$WORK/cookies.txt" 0)
  sess=$(rps "$sess_out")
  nginx_out=$(wrk -t2 -c64 -d"${SECS}s" "http://127.0.0.1:$NGINX_PORT/me.json")
  ng=$(rps "$nginx_out")

  wrk -t1 -c64 -d"$((SECS + 2))s" -s "$ROOT/bench/lua/login.lua" "$URL/api/v1/login" -- "$WORK/logins.txt" \
    > "$WORK/storm.out" &
  STORM_PID=$!
  sleep 1
  users=$(wrk -t1 -c50 -d"${SECS}s" --latency -s "$ROOT/bench/lua/users.lua" "$URL/" -- "$WORK/cookies.txt" 20)
  wait "$STORM_PID"
  STORM_PID=""
  wait_idle
  rush=$(ok_per_s "$(cat "$WORK/storm.out")" "$((SECS + 2))")

  RAW+=("$raw"); STORM+=("$storm"); SESS+=("$sess"); NGINX+=("$ng")
  SHARE+=("$(awk -v a="$storm" -v b="$raw" 'BEGIN {printf "%.1f", 100 * a / b}')")
  SRATIO+=("$(awk -v a="$sess" -v b="$ng" 'BEGIN {printf "%.2f", a / b}')")
  P50+=("$(pct "$users" 50)"); P99+=("$(pct "$users" 99)"); RUSH+=("$rush")
  RUSHSTAT+=("$(statuses "$users")")
  echo "round $i: raw $raw/s, storm $storm/s (${SHARE[-1]}%), sessions $sess/s (nginx $ng/s, ${SRATIO[-1]}), rush p50 ${P50[-1]} ms p99 ${P99[-1]} ms, storm during rush $rush/s, users ${RUSHSTAT[-1]}" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

MODEL=$(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')
DATE=$(date -u +%Y-%m-%d)
[ -n "$OUT" ] || OUT="$ROOT/bench/results/identity-$DATE.md"
{
  echo "# Sign-ins and sessions ($DATE)"
  echo
  echo "- Machine: $MODEL, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); server, load generators and nginx share the cores"
  echo "- cartable $("$BIN" version | awk '{print $2}'), defaults: $(nproc) event loops, $(nproc) hashing threads (SCHED_BATCH, nice 10), argon2id m=19 MiB t=2 p=1"
  echo "- raw: \`bench_pwhash\`, $(nproc) threads, ${SECS} s just before and just after the storm, averaged; storm: wrk -t1 -c64 POST /api/v1/login over 1,000 accounts, ${SECS} s"
  echo "- sessions: wrk -t2 -c64 GET /api/v1/me over 200 people's cookies ($ME_BYTES bytes), nginx: $(nginx -v 2>&1 | sed 's/.*: //'), 2 workers, a static file of the same size"
  echo "- rush: the storm (wrk -t1 -c64) while 50 connections of signed-in people send GET /api/v1/me with a 20 ms pause between requests"
  echo
  echo "| round | raw verifies/s | sign-ins/s | share of raw | session req/s | nginx static req/s | ratio | rush p50 ms | rush p99 ms | sign-ins/s during rush | users' answers |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for i in $(seq 0 $((ROUNDS - 1))); do
    echo "| $((i + 1)) | ${RAW[$i]} | ${STORM[$i]} | ${SHARE[$i]} % | ${SESS[$i]} | ${NGINX[$i]} | ${SRATIO[$i]} | ${P50[$i]} | ${P99[$i]} | ${RUSH[$i]} | ${RUSHSTAT[$i]} |"
  done
  echo "| **median** | $(median "${RAW[@]}") | $(median "${STORM[@]}") | **$(median "${SHARE[@]}") %** | $(median "${SESS[@]}") | $(median "${NGINX[@]}") | **$(median "${SRATIO[@]}")** | $(median "${P50[@]}") | **$(median "${P99[@]}")** | $(median "${RUSH[@]}") | |"
  echo
  echo "Targets (issue: directory and identity): sign-ins/s at least 90 % of raw; signed-in people's p99 under 50 ms during the storm."
} > "$OUT"
cat "$OUT"
