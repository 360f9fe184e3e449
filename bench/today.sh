#!/usr/bin/env bash
# The pupil's "today" page: personalised, signed in, demo data, against nginx
# serving a static file of the same size, with and without the class-view cache.
#
#   bench/today.sh [--rounds N] [--seconds S] [--out FILE]
#
# cartable (--threads 1) and nginx (1 worker) run pinned to CPU 0, wrk to CPU 1.
# Each round measures, one after the other: cartable with its per-class cache,
# cartable with the cache off (--class-view-cache 0), nginx. 60 demo pupils of
# different classes get a password and sign in; wrk rotates their cookies on GET /.
# Medians of the rounds, ratios to nginx, and the page's compressed size go to a
# Markdown report in bench/results/.
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
BIN=${BENCH_BIN:-$ROOT/build/cartable}
[ -x "$BIN" ] || { echo "build cartable first (cmake --build build)" >&2; exit 1; }
for tool in wrk nginx curl taskset gzip; do
  command -v $tool >/dev/null || { echo "missing $tool: scripts/deps.sh bench" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores" >&2; exit 1; }
OUT=${OUT:-$ROOT/bench/results/today-$(date +%F).md}

WORK=$(mktemp -d /tmp/cartable-bench-today.XXXXXX)
chmod 755 "$WORK"
PORT=18193
NGINX_PORT=18194
URL=http://127.0.0.1:$PORT
CART_PID=""
cleanup() {
  [ -n "$CART_PID" ] && kill "$CART_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.3
  rm -rf "$WORK"
}
trap cleanup EXIT

start_cartable() { # extra args...
  taskset -c 0 "$BIN" serve --listen 127.0.0.1:$PORT --data "$WORK/data" --threads 1 --demo \
    --login-ip-per-minute 1000000 --log-file "$WORK/cartable.log" --access-log false "$@" &
  CART_PID=$!
  for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "cartable did not start" >&2; exit 1
}
stop_cartable() { kill "$CART_PID"; wait "$CART_PID" 2>/dev/null || true; CART_PID=""; }

echo "creating the demo school and 60 signed-in pupils..." >&2
start_cartable
stop_cartable
"$BIN" user list --data "$WORK/data" --role pupil 2>/dev/null | awk 'NR > 2 && NR % 10 == 0 {print $1}' | head -59 > "$WORK/logins.txt"
echo demo.eleve >> "$WORK/logins.txt"
while read -r login; do
  [ "$login" = demo.eleve ] && continue
  echo "cartable-demo" | "$BIN" user password "$login" --data "$WORK/data" >/dev/null
done < "$WORK/logins.txt"
start_cartable
: > "$WORK/cookies.txt"
while read -r login; do
  c=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
    --data "{\"login\":\"$login\",\"password\":\"cartable-demo\",\"remember\":true}" "$URL/api/v1/login" |
    tr -d '\r' | awk -F'[ ;]' 'tolower($1) == "set-cookie:" && $2 ~ /^sid=/ {print $2}')
  [ -n "$c" ] || { echo "sign-in failed for $login" >&2; exit 1; }
  echo "$c" >> "$WORK/cookies.txt"
done < "$WORK/logins.txt"
COOKIE=$(tail -1 "$WORK/cookies.txt")
curl -s -H "Cookie: $COOKIE" "$URL/" > "$WORK/page.html"
grep -q 'id="day-heading"' "$WORK/page.html" || { echo "the today page did not render" >&2; exit 1; }
PAGE_BYTES=$(wc -c < "$WORK/page.html")
GZIP_BYTES=$(curl -s -H "Cookie: $COOKIE" -H 'Accept-Encoding: gzip' "$URL/" | wc -c)
stop_cartable

mkdir -p "$WORK/www"
head -c "$PAGE_BYTES" /dev/zero | tr '\0' 'x' > "$WORK/www/today.html"
cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
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
NGINX

rps() { awk '/Requests\/sec/ {printf "%.0f", $2}'; }
p99() { awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f", v}'; }
run_wrk() { taskset -c 1 wrk -t1 -c32 -d"${SECS}s" --latency "$@"; }

: > "$WORK/rows"
for r in $(seq 1 "$ROUNDS"); do
  start_cartable
  run_wrk -s "$ROOT/bench/lua/users.lua" "$URL/" -- "$WORK/cookies.txt" 0 / > /dev/null # warm-up
  cached=$(run_wrk -s "$ROOT/bench/lua/users.lua" "$URL/" -- "$WORK/cookies.txt" 0 /)
  stop_cartable
  start_cartable --class-view-cache 0
  uncached=$(run_wrk -s "$ROOT/bench/lua/users.lua" "$URL/" -- "$WORK/cookies.txt" 0 /)
  stop_cartable
  taskset -c 0 nginx -c "$WORK/nginx.conf" -p "$WORK"
  sleep 0.3
  static=$(run_wrk "http://127.0.0.1:$NGINX_PORT/today.html")
  kill "$(cat "$WORK/nginx.pid")"; sleep 0.3
  c=$(echo "$cached" | rps); u=$(echo "$uncached" | rps); n=$(echo "$static" | rps)
  line="$r $c $(echo "$cached" | p99) $u $(echo "$uncached" | p99) $n"
  echo "$line" >> "$WORK/rows"
  echo "round $r: cached $c req/s, uncached $u req/s, nginx $n req/s" >&2
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v c="$1" '{print $c}' "$WORK/rows" | median; }
C=$(col 2); CP=$(col 3); U=$(col 4); UP=$(col 5); N=$(col 6)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
{
  echo "# The pupil's today page — $(date +%F)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)."
  echo "cartable --threads 1 and nginx (1 worker, $(nginx -v 2>&1 | sed 's/.*: //')) on CPU 0; wrk -t1 -c32 on CPU 1; ${SECS} s per measurement, $ROUNDS rounds."
  echo "60 demo pupils of different classes, signed in; wrk rotates their cookies on GET / (their personalised today page)."
  echo "nginx serves a static file of the same size ($PAGE_BYTES bytes). The page is $GZIP_BYTES bytes gzip-compressed (limit: 15 KB)."
  echo
  echo "| | req/s (median) | p99 ms | ratio to nginx |"
  echo "|---|---|---|---|"
  echo "| cartable, class views cached | $C | $CP | **$(ratio "$C" "$N")** |"
  echo "| cartable, cache off | $U | $UP | $(ratio "$U" "$N") |"
  echo "| nginx, static file | $N | | 1.00 |"
  echo
  echo "Target (issue: the school day): at least 0.50 of nginx. The cache gives $(ratio "$C" "$U")× the uncached rate."
  echo
  echo "## Every round"
  echo
  echo "| round | cached req/s | cached p99 ms | uncached req/s | uncached p99 ms | nginx req/s |"
  echo "|---|---|---|---|---|---|"
  awk '{printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6}' "$WORK/rows"
} | tee "$OUT"
