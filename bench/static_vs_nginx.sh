#!/usr/bin/env bash
# Static asset throughput: cartable against nginx (1 worker), same bytes, same run.
#
#   bench/static_vs_nginx.sh [--rounds N] [--seconds S] [--connections C] [--out FILE]
#
# Each server runs pinned to CPU 0, wrk pinned to CPU 1; rounds alternate between
# the two servers and the medians are compared. Besides requests/s we report
# requests per server CPU-second (from /proc), the fair figure when wrk itself
# saturates its core. Both servers keep an access log, buffered the same way
# (cartable batches per worker; nginx gets buffer=32k flush=100ms), and nginx
# gets open_file_cache, its best configuration for small static files.
# Writes a Markdown report to bench/results/ (or --out).
set -euo pipefail

ROUNDS=5
SECONDS_PER_RUN=10
CONNECTIONS=64
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CARTABLE_BIN:-$ROOT/build/cartable}
ASSET=${ASSET:-style.css}
[ -x "$BIN" ] || { echo "build cartable first (cmake --build build), or set CARTABLE_BIN" >&2; exit 1; }
for tool in wrk nginx taskset curl; do
  command -v $tool >/dev/null || { echo "missing $tool: apt-get install wrk nginx-light util-linux curl" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs 2 cores (server and load generator on separate cores)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/cartable-bench.XXXXXX)
chmod 755 "$WORK" # nginx workers run unprivileged and must read the files
CART_PORT=18181
NGINX_PORT=18182
cleanup() {
  [ -n "${CART_PID:-}" ] && kill "$CART_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.3
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- cartable --------------------------------------------------------------------
taskset -c 0 "$BIN" serve --listen 127.0.0.1:$CART_PORT --data "$WORK/data" --threads 1 \
  --log-file "$WORK/cartable.log" >/dev/null 2>&1 &
CART_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$CART_PORT/healthz" >/dev/null && break; sleep 0.1; done
URL_PATH=$(curl -sf "http://127.0.0.1:$CART_PORT/" | grep -o "/assets/${ASSET%.*}\.[0-9a-f]*\.${ASSET##*.}" | head -1)
[ -n "$URL_PATH" ] || { echo "cannot find $ASSET on the home page" >&2; exit 1; }
mkdir -p "$WORK/www$(dirname "$URL_PATH")"
curl -sf "http://127.0.0.1:$CART_PORT$URL_PATH" -o "$WORK/www$URL_PATH"
SIZE=$(stat -c %s "$WORK/www$URL_PATH")

# --- nginx, serving the very same bytes ----------------------------------------------
cat > "$WORK/nginx.conf" <<EOF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  types { text/css css; image/svg+xml svg; text/javascript js; }
  access_log $WORK/nginx-access.log combined buffer=32k flush=100ms;
  # nginx's fastest static setup measured here: without open_file_cache it drops from
  # ~58k to ~38k req/s on this file, which would flatter cartable.
  sendfile on; tcp_nopush on; tcp_nodelay on;
  open_file_cache max=1000 inactive=60s; open_file_cache_valid 60s;
  keepalive_requests 1000000; keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    location /assets/ { add_header Cache-Control "public, max-age=31536000, immutable"; }
  }
}
EOF
taskset -c 0 nginx -c "$WORK/nginx.conf" -p "$WORK" 2>/dev/null
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$NGINX_PORT$URL_PATH" >/dev/null && break; sleep 0.1; done
NGINX_PID=$(cat "$WORK/nginx.pid")
NGINX_WORKER=$(pgrep -P "$NGINX_PID" | head -1)
cmp <(curl -sf "http://127.0.0.1:$NGINX_PORT$URL_PATH") "$WORK/www$URL_PATH"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICKS=$(getconf CLK_TCK)

# run NAME PORT PID -> "reqs_per_s reqs_per_cpu_s"
run() {
  local port=$2 pid=$3
  local before after out rps
  before=$(cpu_ticks "$pid")
  out=$(taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$port$URL_PATH")
  after=$(cpu_ticks "$pid")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local reqs errors
  reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  errors=$(echo "$out" | grep -c "Non-2xx\|Socket errors" || true)
  local cpu_s
  cpu_s=$(awk -v a="$after" -v b="$before" -v t="$TICKS" 'BEGIN {print (a - b) / t}')
  awk -v r="$rps" -v n="$reqs" -v c="$cpu_s" -v e="$errors" 'BEGIN {printf "%.0f %.0f %d\n", r, (c > 0 ? n / c : 0), e}'
}

# warm up both
taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$CART_PORT$URL_PATH" >/dev/null
taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d2s "http://127.0.0.1:$NGINX_PORT$URL_PATH" >/dev/null

declare -a C_RPS C_CPU N_RPS N_CPU RATIO RATIO_CPU
for i in $(seq "$ROUNDS"); do
  read -r cr cc ce < <(run cartable $CART_PORT $CART_PID)
  read -r nr nc ne < <(run nginx $NGINX_PORT $NGINX_WORKER)
  [ "$ce" = 0 ] && [ "$ne" = 0 ] || echo "round $i: errors reported by wrk (cartable $ce, nginx $ne)" >&2
  C_RPS+=("$cr"); C_CPU+=("$cc"); N_RPS+=("$nr"); N_CPU+=("$nc")
  RATIO+=("$(awk -v a="$cr" -v b="$nr" 'BEGIN {printf "%.3f", a / b}')")
  RATIO_CPU+=("$(awk -v a="$cc" -v b="$nc" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}')")
  echo "round $i: cartable ${cr} req/s (${cc} per CPU-s), nginx ${nr} req/s (${nc} per CPU-s), ratio ${RATIO[-1]}" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }

MODEL=$(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}')
DATE=$(date -u +%Y-%m-%d)
[ -n "$OUT" ] || OUT="$ROOT/bench/results/static-vs-nginx-$DATE.md"
{
  echo "# Static asset: cartable vs nginx ($DATE)"
  echo
  echo "- Machine: $MODEL, $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
  echo "- cartable $("$BIN" version | awk '{print $2}') (1 worker thread), $(nginx -v 2>&1 | sed 's/.*: //') (1 worker)"
  echo "- Asset: \`$URL_PATH\` ($SIZE bytes, identity encoding), keep-alive, wrk -t1 -c$CONNECTIONS, ${SECONDS_PER_RUN}s per run"
  echo "- Server pinned to CPU 0, wrk to CPU 1; $ROUNDS alternating rounds; access logs on for both (buffered)"
  echo
  echo "| round | cartable req/s | nginx req/s | ratio | cartable req/CPU-s | nginx req/CPU-s | ratio per CPU-s |"
  echo "|---|---|---|---|---|---|---|"
  for i in $(seq 0 $((ROUNDS - 1))); do
    echo "| $((i + 1)) | ${C_RPS[$i]} | ${N_RPS[$i]} | ${RATIO[$i]} | ${C_CPU[$i]} | ${N_CPU[$i]} | ${RATIO_CPU[$i]} |"
  done
  echo "| **median** | $(median "${C_RPS[@]}") | $(median "${N_RPS[@]}") | **$(median "${RATIO[@]}")** | $(median "${C_CPU[@]}") | $(median "${N_CPU[@]}") | **$(median "${RATIO_CPU[@]}")** |"
} > "$OUT"
cat "$OUT"
