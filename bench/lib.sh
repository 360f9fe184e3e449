# shellcheck shell=bash disable=SC2034 # sourced: the scripts use what it sets
# bench/lib.sh: the common part of the page benchmarks, sourced (not run) by
# today.sh, inbox.sh, broadcast.sh, live.sh and liveclass.sh.
#
#   source "$(dirname "$0")/lib.sh"
#   bench_init NAME PORT             # checks, work directory, cleanup on exit
#   bench_demo                       # the demo school in $WORK/data
#   bench_set_passwords LOGINS       # password "cartable-demo" for each login
#   start_cartable [serve options]   # --threads 1 on CPU 0 (BENCH_SERVER_CPU)
#   start_cartable_setup             # the same, for signing in ($BENCH_SETUP_OPTS)
#   bench_sign_in LOGINS COOKIES     # one "sid=..." line per login
#   bench_page_rounds PATH COOKIES "label|serve options" ...   # page against nginx
#   bench_page_summary "label" ...   # medians and ratios of the rounds above
#   bench_page_every_round "label" ...
#
# Conventions (the same as before this file existed): the server under test and
# nginx (1 worker) run on CPU 0, wrk (-t1) on CPU 1; each round restarts the
# server for every variant, warms it up, measures, then measures nginx serving a
# static file of the same size; medians of the rounds; ratios to nginx.
# Everything lives in $WORK (mktemp under /tmp, removed on exit).

BENCH_SERVER_CPU=${BENCH_SERVER_CPU:-0}
BENCH_CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
BENCH_PASSWORD=cartable-demo
ROUNDS=${ROUNDS:-5}
SECS=${SECS:-10}
WARMUP=${WARMUP:-5}
CONNS=${CONNS:-32}

# Options every page benchmark takes; anything else is left in BENCH_ARGS for the
# script. Call as: bench_options "$@"; set -- "${BENCH_ARGS[@]}"
bench_options() {
  BENCH_CMDLINE_ARGS="$*"
  BENCH_ARGS=()
  OUT=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --rounds) ROUNDS=$2; shift 2 ;;
      --seconds) SECS=$2; shift 2 ;;
      --warmup) WARMUP=$2; shift 2 ;;
      --connections) CONNS=$2; shift 2 ;;
      --out) OUT=$2; shift 2 ;;
      *) BENCH_ARGS+=("$1"); shift ;;
    esac
  done
}

bench_init() { # name port [extra tools...]
  local name=$1
  PORT=$2
  shift 2
  ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  BIN=${BENCH_BIN:-$ROOT/build/cartable}
  [ -x "$BIN" ] || { echo "build cartable first (cmake --build build)" >&2; exit 1; }
  BENCH_CODE="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$([ -z "$(git -C "$ROOT" status --porcelain 2>/dev/null)" ] || echo ' with uncommitted changes'), binary built $(date -r "$BIN" '+%F %H:%M')"
  local tool
  for tool in wrk nginx curl taskset gzip "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool: scripts/deps.sh bench" >&2; exit 1; }
  done
  [ "$(nproc)" -ge 2 ] || { echo "needs 2 cores" >&2; exit 1; }
  BENCH_DATE=${BENCH_DATE:-$(date +%F)}
  OUT=${OUT:-$ROOT/bench/results/$name-$BENCH_DATE.md}
  WORK=$(mktemp -d "/tmp/cartable-bench-$name.XXXXXX")
  chmod 755 "$WORK" # nginx's worker runs unprivileged and reads $WORK/www
  # A private copy: a rebuild during the run does not change the code under test.
  cp "$BIN" "$WORK/cartable-under-test"
  BIN=$WORK/cartable-under-test
  NGINX_PORT=$((PORT + 1))
  URL=http://127.0.0.1:$PORT
  CART_PID=""
  BENCH_PIDS=()
  BENCH_CMDLINE="bench/$name.sh${BENCH_CMDLINE_ARGS:+ $BENCH_CMDLINE_ARGS}"
  # These benchmarks measure pages for people already inside, so the waiting room
  # is off for setting up and for measuring alike: a session without an admission
  # cookie is an arrival (wrk's rotated cookies carry only the session), and an
  # admitted person passes the gate after one MAC check. bench/rush.sh measures
  # the waiting room itself.
  # And every run lifts the per-person request limit where there is one: a few
  # dozen signed-in people stand for thousands, each making hundreds of requests a
  # second, which the limit would answer 429.
  local settings
  settings=$("$BIN" help config 2>/dev/null || true)
  BENCH_SETUP_OPTS=""
  BENCH_SERVE_OPTS=""
  case "$settings" in *"  admission "*) BENCH_SETUP_OPTS="--admission false" ;; esac
  case "$settings" in *"  requests_per_account_per_second "*) BENCH_SERVE_OPTS="--requests-per-account-per-second 1000000" ;; esac
  BENCH_SERVE_OPTS="$BENCH_SERVE_OPTS $BENCH_SETUP_OPTS"
  trap bench_cleanup EXIT
}

bench_cleanup() {
  local p
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$CART_PID" ] && kill "$CART_PID" 2>/dev/null || true
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
  sleep 0.3
  [ -n "${BENCH_KEEP:-}" ] && { echo "kept $WORK" >&2; return; }
  rm -rf "$WORK"
}

# ---- the server ------------------------------------------------------------------

start_cartable() { # extra serve options...
  # shellcheck disable=SC2086 # options are words
  taskset -c "$BENCH_SERVER_CPU" "$BIN" serve --listen 127.0.0.1:$PORT --data "$WORK/data" --threads 1 --demo \
    --login-ip-per-minute 1000000 --log-file "$WORK/cartable.log" --access-log false $BENCH_SERVE_OPTS "$@" &
  CART_PID=$!
  local _
  for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "cartable did not start" >&2
  exit 1
}

# For setting up: sign-ins in a row, not paced by a waiting room.
start_cartable_setup() {
  # shellcheck disable=SC2086 # options are words
  start_cartable $BENCH_SETUP_OPTS
}

stop_cartable() {
  kill "$CART_PID"
  wait "$CART_PID" 2>/dev/null || true
  CART_PID=""
}

# CPU seconds (user + system) the server has used so far.
cartable_cpu_s() {
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$CART_PID/stat"
}

# The demo school, created by a first start.
bench_demo() {
  start_cartable
  stop_cartable
}

# Logins of one role, one a line (cartable user list, without its header/footer).
bench_logins() { # role
  "$BIN" user list --data "$WORK/data" --role "$1" 2>/dev/null | awk 'NR > 1 && NF >= 5 && $2 == "'"$1"'" {print $1}'
}

bench_set_passwords() { # file of logins (demo.* accounts already have the password)
  local login
  while read -r login; do
    case "$login" in demo.*) continue ;; esac
    local try
    for try in 1 2 3 4 5; do
      echo "$BENCH_PASSWORD" | "$BIN" user password "$login" --data "$WORK/data" > "$WORK/password.out" 2>&1 && break
      [ "$try" -lt 5 ] || { echo "cannot set the password of $login:" >&2; cat "$WORK/password.out" >&2; exit 1; }
      sleep 0.5
    done
  done < "$1"
}

bench_sign_in_one() { # login: prints the "sid=..." cookie
  curl -s -D - -o /dev/null -H 'content-type: application/json' \
    --data "{\"login\":\"$1\",\"password\":\"$BENCH_PASSWORD\",\"remember\":true}" "$URL/api/v1/login" |
    tr -d '\r' | awk -F'[ ;]' 'tolower($1) == "set-cookie:" && $2 ~ /^sid=/ {print $2}'
}

bench_sign_in() { # logins-file cookies-file (the server must be running)
  local login c
  : > "$2"
  while read -r login; do
    c=$(bench_sign_in_one "$login")
    [ -n "$c" ] || { echo "sign-in failed for $login" >&2; exit 1; }
    echo "$c" >> "$2"
  done < "$1"
}

bench_csrf() { # cookie: the CSRF token for API writes
  curl -s -H "Cookie: $1" -H 'Accept: application/json' "$URL/api/v1/me" |
    sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p'
}

# ---- nginx -----------------------------------------------------------------------

nginx_static() { # bytes name: a file of that size, served as /name
  mkdir -p "$WORK/www"
  head -c "$1" /dev/zero | tr '\0' 'x' > "$WORK/www/$2"
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
  NGINX_FILE=$2
}
start_nginx() { taskset -c "$BENCH_SERVER_CPU" nginx -c "$WORK/nginx.conf" -p "$WORK"; sleep 0.3; }
stop_nginx() { kill "$(cat "$WORK/nginx.pid")"; sleep 0.3; }

# ---- wrk and figures -------------------------------------------------------------

run_wrk() { taskset -c "$BENCH_CLIENT_CPU" wrk -t1 -c"$CONNS" --latency "$@"; }
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}'; }
p99() { pct 99; }
pct() { # wrk --latency prints "     99%   12.34ms"; in ms
  awk -v p="$1%" '$1 == p {v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.2f", v}'
}
# Answers other than 200 that users.lua counted ("status 302 12" lines): a page that
# redirects to sign-in would otherwise look fast.
not_ok() { awk '/^status / && $2 != 200 {n += $3} END {print n + 0}'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print ""; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
col() { awk -v c="$2" '{print $c}' "$1" | median; } # file column
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

bench_machine() {
  echo "$(nproc) cores, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), Linux $(uname -r)"
}

# The machine is shared: wait (up to BENCH_QUIET_WAIT s, default 180) for the 1-minute
# load average to fall under 0.5 before measuring, and note it for the report.
bench_wait_quiet() {
  local waited=0
  while awk '{exit !($1 >= 0.5)}' /proc/loadavg && [ "$waited" -lt "${BENCH_QUIET_WAIT:-180}" ]; do
    [ "$waited" -eq 0 ] && echo "waiting for a quieter machine (load $(cut -d' ' -f1 /proc/loadavg))..." >&2
    sleep 5
    waited=$((waited + 5))
  done
  BENCH_LOAD_START=$(cut -d' ' -f1 /proc/loadavg)
}
# The settings every run adds, for a report.
bench_settings_line() {
  echo "Server settings besides the defaults: --threads 1 --demo --login-ip-per-minute 1000000 --access-log false${BENCH_SERVE_OPTS:+ $BENCH_SERVE_OPTS}${BENCH_SETUP_OPTS:+ (and $BENCH_SETUP_OPTS while signing people in, not while measuring)}."
}
bench_load_line() {
  echo "Load average (1 min, all processes of the machine) before measuring: ${BENCH_LOAD_START:-?}; at the end: $(cut -d' ' -f1 /proc/loadavg) (this benchmark alone keeps about 2 cores busy)."
}

# "Code: ..." for a report: the commit, and whether the work tree had changes.
bench_code() { echo "Code: $BENCH_CODE."; }

# Size of a signed-in page, plain and gzip-compressed, for one cookie.
page_bytes() { curl -s -H "Cookie: $2" "$URL$1" | wc -c; }
page_gzip_bytes() { curl -s -H "Cookie: $2" -H 'Accept-Encoding: gzip' "$URL$1" | wc -c; }

# The page against nginx. For each round and each variant ("label|serve options"):
# start cartable with those options, warm up $WARMUP s, measure $SECS s with wrk
# rotating the cookies on PATH, stop; then nginx serving $NGINX_FILE (nginx_static).
# Rows in $WORK/rows: round, then rps p99 per variant, then nginx rps p99.
bench_page_rounds() { # path cookies variant...
  local path=$1 cookies=$2
  shift 2
  : > "$WORK/rows"
  local r v label opts out line msg bad
  for r in $(seq 1 "$ROUNDS"); do
    line="$r"
    msg="round $r:"
    for v in "$@"; do
      label=${v%%|*}
      opts=${v#*|}
      # shellcheck disable=SC2086 # options are words
      start_cartable $opts
      [ "$WARMUP" -gt 0 ] && run_wrk -d"${WARMUP}s" -s "$ROOT/bench/lua/users.lua" "$URL$path" -- "$cookies" 0 "$path" > /dev/null
      out=$(run_wrk -d"${SECS}s" -s "$ROOT/bench/lua/users.lua" "$URL$path" -- "$cookies" 0 "$path")
      stop_cartable
      bad=$(echo "$out" | not_ok)
      [ "$bad" -eq 0 ] || { echo "$label: $bad answers were not 200:" >&2; echo "$out" | grep '^status' >&2; exit 1; }
      line="$line $(echo "$out" | rps) $(echo "$out" | p99)"
      msg="$msg $label $(echo "$out" | rps) req/s,"
    done
    start_nginx
    out=$(run_wrk -d"${SECS}s" "http://127.0.0.1:$NGINX_PORT/$NGINX_FILE")
    stop_nginx
    echo "$line $(echo "$out" | rps) $(echo "$out" | p99)" >> "$WORK/rows"
    echo "$msg nginx $(echo "$out" | rps) req/s" >&2
  done
}

# Markdown: the medians (with ratios to nginx) of the variants measured by
# bench_page_rounds, given by their labels in the same order.
bench_page_summary() { # label...
  local i=0 label ncol=$((2 * $# + 2)) c R R2 N NP
  N=$(col "$WORK/rows" "$ncol")
  NP=$(col "$WORK/rows" $((ncol + 1)))
  echo "| | req/s (median) | p99 ms (median) | ratio to nginx |"
  echo "|---|---|---|---|"
  for label in "$@"; do
    c=$((2 + 2 * i))
    R=$(col "$WORK/rows" "$c")
    if [ "$i" -eq 0 ]; then R2="**$(ratio "$R" "$N")**"; else R2=$(ratio "$R" "$N"); fi
    echo "| $label | $R | $(col "$WORK/rows" $((c + 1))) | $R2 |"
    i=$((i + 1))
  done
  echo "| nginx, static file | $N | $NP | 1.00 |"
}

# Markdown: every round of bench_page_rounds (short labels, same order).
bench_page_every_round() { # label...
  local label head="| round" sep="|---"
  for label in "$@"; do head="$head | $label req/s | $label p99 ms"; sep="$sep|---|---"; done
  echo "$head | nginx req/s | nginx p99 ms |"
  echo "$sep|---|---|"
  awk '{s = "|"; for (i = 1; i <= NF; i++) s = s " " $i " |"; print s}' "$WORK/rows"
}

# ---- messaging -------------------------------------------------------------------

# A read-only query on the benchmark's database (the demo school's ids and links).
bench_sql() { sqlite3 -readonly -batch -noheader "$WORK/data/cartable.db" "$1"; }

# Comma-separated ids of the classes with these codes ("6A 6B 6C").
bench_class_ids() { # codes...
  local codes
  codes=$(printf "'%s'," "$@")
  bench_sql "SELECT group_concat(id) FROM (SELECT id FROM classes WHERE code IN (${codes%,}) ORDER BY id)"
}

# Logins reading their messages in those classes: P pupils a class, the parents of
# Q pupils a class, and up to T teachers of those classes (demo.prof first).
bench_class_people() { # class-ids P Q T
  bench_sql "SELECT login FROM (SELECT p.login, e.class_id, row_number() OVER (PARTITION BY e.class_id ORDER BY p.id) AS n
             FROM enrolments e JOIN people p ON p.id = e.pupil_id WHERE e.class_id IN ($1) AND e.ends_on IS NULL)
             WHERE n <= $2 ORDER BY class_id, n"
  bench_sql "SELECT DISTINCT pp.login FROM (SELECT e.pupil_id, row_number() OVER (PARTITION BY e.class_id ORDER BY e.pupil_id) AS n
             FROM enrolments e WHERE e.class_id IN ($1) AND e.ends_on IS NULL) x
             JOIN parent_links pl ON pl.child_id = x.pupil_id JOIN people pp ON pp.id = pl.parent_id
             WHERE x.n <= $3 AND pl.parent_id = (SELECT min(parent_id) FROM parent_links WHERE child_id = x.pupil_id)"
  bench_sql "SELECT p.login FROM people p WHERE p.id IN (SELECT teacher_id FROM teaching WHERE class_id IN ($1))
             ORDER BY p.login <> 'demo.prof', p.id LIMIT $4"
}

# "p:ID" entries (JSON strings, comma-separated) for these logins.
bench_person_to() { # logins-file
  local list
  list=$(sed "s/.*/'&'/" "$1" | paste -sd, -)
  bench_sql "SELECT group_concat('\"p:' || id || '\"') FROM people WHERE login IN ($list)"
}

# One message through the API; fails the script unless it is answered 201.
bench_send() { # cookie csrf to-json-list subject
  local code
  code=$(curl -s -o "$WORK/send.json" -w '%{http_code}' -H "Cookie: $1" -H "X-CSRF-Token: $2" \
    -H 'content-type: application/json' \
    --data "{\"to\":[$3],\"subject\":\"$4\",\"body\":\"Bonjour,\\n\\n$4 : merci de lire ce message.\",\"idempotency_key\":\"bench-$RANDOM-$RANDOM-$(date +%s%N)\"}" \
    "$URL/api/v1/conversations")
  [ "$code" = 201 ] || { echo "sending \"$4\" answered $code: $(cat "$WORK/send.json")" >&2; exit 1; }
}

# The first staff member's login (staff may write to any class).
bench_staff_login() {
  bench_sql "SELECT p.login FROM people p JOIN memberships m ON m.person_id = p.id WHERE m.role = 'staff' ORDER BY p.id LIMIT 1"
}

# The WebSocket clients (bench/msgload.c, bench/classload.c, with their shared
# bench/wsclient.c), built into $WORK.
BENCH_CFLAGS="-O2 -std=c17 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes"
bench_build_msgload() {
  MSGLOAD=$WORK/msgload
  # shellcheck disable=SC2086 # flags are words
  cc $BENCH_CFLAGS -o "$MSGLOAD" "$ROOT/bench/msgload.c" "$ROOT/bench/wsclient.c" || { echo "cannot build bench/msgload.c" >&2; exit 1; }
}
bench_build_classload() {
  CLASSLOAD=$WORK/classload
  # shellcheck disable=SC2086 # flags are words
  cc $BENCH_CFLAGS -o "$CLASSLOAD" "$ROOT/bench/classload.c" "$ROOT/bench/wsclient.c" -lm || { echo "cannot build bench/classload.c" >&2; exit 1; }
}

# Nearest-rank percentile (P in 0-100, or "max") of the numbers on standard input.
percentile() { # P
  sort -g | awk -v p="$1" '{a[NR] = $1} END {
    if (NR == 0) {print "-"; exit}
    if (p == "max") {print a[NR]; exit}
    r = int(p / 100 * NR); if (r < p / 100 * NR) r++; if (r < 1) r = 1; print a[r]}'
}
us_to_ms() { awk '{printf "%.1f\n", $1 / 1000}'; }

# Median of column c of the rows, for a script's own sentences.
row_median() { col "$WORK/rows" "$1"; }
