#!/usr/bin/env bash
# Live classes (issue #8): how many idle room WebSockets one server holds and
# what each costs, chat fan-out latency in a class and in an assembly while it
# holds them, and a join storm.
#
#   bench/liveclass.sh [--parts "hold fanout storm"] [--sockets 100000] [--rooms 500]
#                      [--per-room 10] [--class-size 30] [--assembly 1000]
#                      [--messages 300] [--class-gap-ms 100] [--assembly-gap-ms 200]
#                      [--storm-pupils 1000] [--storm-classes 40] [--storm-seconds 10]
#                      [--sources N] [--open-timeout 900] [--data DIR] [--out FILE]
#
# The directory is the académie of bench/rush.sh (`cartable generate --schools 200
# --pupils-per-school 500`, 100,000 pupils in 4,000 classes of 25, password
# "cartable-bench"; DIR, default /tmp/cartable-rush-academie, generated if absent,
# never written: the run works on a copy). Classes are taken in id order: --rooms
# for the idle rooms, then the class, then the assembly, then --storm-classes.
# For each, the teacher of its first teaching signs in (POST /api/v1/login) and
# schedules a live class of that teaching through the API (starts_at = now), and
# its pupils sign in (`rush pool --concurrency 1`, so that the cookies keep the
# order of the logins): --per-room pupils of each idle room, the 25 of the class,
# of the assembly and of each storm class.
#
# hold:   one client process (bench/classload.c) on CPU 1 opens --sockets room
#         sockets in all: --class-size on the class, --assembly on the assembly,
#         the rest spread over the idle rooms; a pupil holds several sockets (tabs)
#         where there are more sockets than pupils. Sockets come from --sources
#         loopback addresses (127.0.0.2...), 256 handshakes at a time; each counts
#         once its "welcome" came. Server RSS (VmRSS) before and after, per socket.
# fanout: while those are held, --messages chat messages to the class (one every
#         --class-gap-ms) then to the assembly (--assembly-gap-ms), sent by the
#         room's sockets in turn; each copy timed from the send to the kernel's
#         receive time on every other socket of the room (SO_TIMESTAMPNS).
# storm:  while they are still held (or alone, without hold), --storm-pupils
#         pupils of --storm-classes classes arrive at random (Poisson) over
#         --storm-seconds, each opening its room socket and waiting for "welcome"
#         (10 s at most): welcomes, failures, time to welcome.
# baseline: on a fresh server, as many sockets on /live/updates (the badge socket,
#         the same WebSocket layer without a room), RSS per socket: what the
#         WebSocket layer costs by itself.
# alloc:  on a fresh server with bench/allocsize.c preloaded, the hold's room
#         sockets again: the allocations held per socket, by size (which one
#         dominates). Its RSS is not reported (the shim adds 16 bytes to each).
# cartable serve --threads 1 on CPU 0 with max_connections and ws_max_connections
# raised above the sockets; ulimit -n raised (hard limit up to fs.nr_open when
# run as root). Every wait is bounded. Needs sqlite3, cc, make (bench/rush).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
PARTS="hold fanout storm baseline alloc"
SOCKETS=100000
ROOMS=auto
PER_ROOM=25
MAX_PUPILS=20000
CLASS_SIZE=30
ASSEMBLY=1000
MESSAGES=300
CLASS_GAP_MS=100
ASSEMBLY_GAP_MS=200
STORM_PUPILS=1000
STORM_CLASSES=40
STORM_SECONDS=10
SOURCES=""
OPEN_TIMEOUT=900
DATA=${RUSH_DATA:-/tmp/cartable-rush-academie}
bench_options "$@"
set -- "${BENCH_ARGS[@]+"${BENCH_ARGS[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --parts) PARTS=$2; shift 2 ;;
    --sockets) SOCKETS=$2; shift 2 ;;
    --rooms) ROOMS=$2; shift 2 ;;
    --per-room) PER_ROOM=$2; shift 2 ;;
    --max-pupils) MAX_PUPILS=$2; shift 2 ;;
    --class-size) CLASS_SIZE=$2; shift 2 ;;
    --assembly) ASSEMBLY=$2; shift 2 ;;
    --messages) MESSAGES=$2; shift 2 ;;
    --class-gap-ms) CLASS_GAP_MS=$2; shift 2 ;;
    --assembly-gap-ms) ASSEMBLY_GAP_MS=$2; shift 2 ;;
    --storm-pupils) STORM_PUPILS=$2; shift 2 ;;
    --storm-classes) STORM_CLASSES=$2; shift 2 ;;
    --storm-seconds) STORM_SECONDS=$2; shift 2 ;;
    --sources) SOURCES=$2; shift 2 ;;
    --open-timeout) OPEN_TIMEOUT=$2; shift 2 ;;
    --data) DATA=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
has() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
bench_init liveclass 18260 sqlite3 cc make
bench_build_classload
make -s -C "$ROOT/bench/rush" >&2
RUSH=$ROOT/build-rush/rush
PUPILS_PER_CLASS=25

# ---- limits ------------------------------------------------------------------------
# The server holds every socket in one process: its open-files limit bounds the run.
# Raising the hard limit needs CAP_SYS_RESOURCE; without it, the sockets held are
# capped below it and the report says so.
NR_OPEN=$(cat /proc/sys/fs/nr_open)
ulimit -Hn "$NR_OPEN" 2>/dev/null || true
ulimit -n "$(ulimit -Hn)"
FD_LIMIT=$(ulimit -n)
has hold || SOCKETS=0
STORM_N=0
has storm && STORM_N=$STORM_PUPILS
CAP_NOTE=""
ASKED=$SOCKETS
if has hold && [ $((SOCKETS + STORM_N + 300)) -gt "$FD_LIMIT" ]; then
  SOCKETS=$(( (FD_LIMIT - STORM_N - 300) / 500 * 500 ))
  CAP_NOTE="**$ASKED sockets were asked for, $SOCKETS held**: the server holds them all in one process, whose open-files limit is $FD_LIMIT (the hard limit, which this run may not raise: no CAP_SYS_RESOURCE; fs.nr_open is $NR_OPEN); $SOCKETS sockets + the storm's $STORM_N + the server's own files fit under it."
  echo "the open-files limit ($FD_LIMIT) caps the sockets held at $SOCKETS" >&2
fi
HOLD_SOCKETS=$SOCKETS
if ! has hold && has fanout; then HOLD_SOCKETS=$((CLASS_SIZE + ASSEMBLY)); fi
TOTAL=$((HOLD_SOCKETS + STORM_N))
[ "$FD_LIMIT" -gt $((TOTAL + 200)) ] || { echo "ulimit -n $FD_LIMIT is too low for $TOTAL sockets" >&2; exit 1; }
[ -n "$SOURCES" ] || SOURCES=$((TOTAL / 20000 + 2))
MAXCONN=$((TOTAL + 2000))

# ---- the directory, the people, the rooms ------------------------------------------
if [ ! -f "$DATA/.rush-ready" ] && [ ! -f "$DATA/cartable.db" ]; then
  echo "generating the académie in $DATA (about 30 s)..." >&2
  "$BIN" generate --schools 200 --pupils-per-school 500 --data "$DATA" >/dev/null 2>&1
fi
cp -a "$DATA" "$WORK/data"
rm -f "$WORK/data/cartable.lock"

FAN_ROOMS=0
{ has hold || has fanout; } && FAN_ROOMS=2
STORM_ROOMS=0
has storm && STORM_ROOMS=$STORM_CLASSES
IDLE_SOCKETS=$((SOCKETS - CLASS_SIZE - ASSEMBLY))
IDLE_ROOMS=0
if has hold; then
  [ "$IDLE_SOCKETS" -gt 0 ] || { echo "--sockets too small for the class and the assembly" >&2; exit 1; }
  if [ "$ROOMS" = auto ]; then # one socket a pupil while the sign-ins stay under --max-pupils
    ROOMS=$(( (IDLE_SOCKETS + PER_ROOM - 1) / PER_ROOM ))
    [ "$ROOMS" -le $((MAX_PUPILS / PER_ROOM)) ] || ROOMS=$((MAX_PUPILS / PER_ROOM))
    [ "$ROOMS" -le $((4000 - FAN_ROOMS - STORM_ROOMS)) ] || ROOMS=$((4000 - FAN_ROOMS - STORM_ROOMS))
  fi
  IDLE_ROOMS=$ROOMS
fi
NCLASSES=$((IDLE_ROOMS + FAN_ROOMS + STORM_ROOMS))
[ $((STORM_PUPILS)) -le $((STORM_CLASSES * PUPILS_PER_CLASS)) ] || { echo "at most $PUPILS_PER_CLASS pupils a storm class" >&2; exit 1; }
[ "$PER_ROOM" -le "$PUPILS_PER_CLASS" ] || { echo "--per-room at most $PUPILS_PER_CLASS" >&2; exit 1; }
# class teaching teacher_login role pupils
bench_sql "SELECT c.id, t.id, tp.login FROM classes c JOIN teaching t ON t.id = (SELECT min(id) FROM teaching WHERE class_id = c.id)
           JOIN people tp ON tp.id = t.teacher_id ORDER BY c.id LIMIT $NCLASSES" | tr '|' ' ' |
  awk -v i="$IDLE_ROOMS" -v f="$FAN_ROOMS" -v per="$PER_ROOM" -v n="$PUPILS_PER_CLASS" -v sp="$STORM_PUPILS" -v sc="$STORM_CLASSES" '
    { if (NR <= i) {role = "idle"; k = per}
      else if (NR <= i + f) {role = (NR == i + 1 ? "class" : "assembly"); k = n}
      else {s = NR - i - f; k = int(sp / sc) + (s <= sp % sc ? 1 : 0); role = "storm"}
      print $1, $2, $3, role, k }' > "$WORK/classes.txt"
[ "$(wc -l < "$WORK/classes.txt")" -eq "$NCLASSES" ] || { echo "the directory has fewer than $NCLASSES classes" >&2; exit 1; }
IDS=$(awk '{print $1}' "$WORK/classes.txt" | paste -sd, -)
bench_sql "SELECT e.class_id, p.login, row_number() OVER (PARTITION BY e.class_id ORDER BY p.id) FROM enrolments e
           JOIN people p ON p.id = e.pupil_id WHERE e.class_id IN ($IDS) AND e.ends_on IS NULL" | tr '|' ' ' > "$WORK/pupils.txt"
# logins in class order, and where each class's pupils start (cookie line)
awk 'NR == FNR {p[$1 " " $3] = $2; next}
     { for (j = 1; j <= $5; j++) { l = p[$1 " " j]; if (l == "") {print "missing pupil " j " of class " $1 > "/dev/stderr"; exit 1}
         print l > "'"$WORK/logins.txt"'" }
       print $0, first + 0 > "'"$WORK/classes2.txt"'"; first += $5 }' "$WORK/pupils.txt" "$WORK/classes.txt"
NPUPILS=$(wc -l < "$WORK/logins.txt")
awk '{print $3}' "$WORK/classes.txt" | sort -u > "$WORK/teachers.txt"
NTEACHERS=$(wc -l < "$WORK/teachers.txt")
cat "$WORK/teachers.txt" >> "$WORK/logins.txt"

echo "signing $NPUPILS pupils and $NTEACHERS teachers in..." >&2
start_server() { # serve options...
  # shellcheck disable=SC2086 # options are words
  taskset -c "$BENCH_SERVER_CPU" "$BIN" serve --listen 127.0.0.1:$PORT --data "$WORK/data" --threads 1 \
    --login-ip-per-minute 1000000 --log-file "$WORK/cartable.log" --access-log false $BENCH_SERVE_OPTS "$@" &
  CART_PID=$!
  local _
  for _ in $(seq 200); do curl -sf "$URL/healthz" >/dev/null && return 0; sleep 0.1; done
  echo "cartable did not start:" >&2
  tail -5 "$WORK/cartable.log" >&2
  exit 1
}
start_server
t=$(date +%s.%N)
timeout 3600 taskset -c "$BENCH_CLIENT_CPU" "$RUSH" pool --port "$PORT" --logins "$WORK/logins.txt" \
  --count "$(wc -l < "$WORK/logins.txt")" --out "$WORK/cookies.all" --concurrency 1 --timeout-ms 60000 >&2 ||
  { echo "signing in failed" >&2; exit 1; }
SIGNIN_S=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')
head -n "$NPUPILS" "$WORK/cookies.all" > "$WORK/cookies.txt"
tail -n "$NTEACHERS" "$WORK/cookies.all" | paste -d' ' "$WORK/teachers.txt" - > "$WORK/teacher-cookies.txt"

echo "scheduling $NCLASSES live classes..." >&2
NOW=$(date +%s)
: > "$WORK/rooms.txt"
declare -A CSRF
while read -r class teaching teacher role k first; do
  cookie=$(awk -v t="$teacher" '$1 == t {print $2}' "$WORK/teacher-cookies.txt")
  [ -n "${CSRF[$teacher]:-}" ] || CSRF[$teacher]=$(bench_csrf "$cookie")
  code=$(curl -s -o "$WORK/schedule.json" -w '%{http_code}' -H "Cookie: $cookie" -H "X-CSRF-Token: ${CSRF[$teacher]}" \
    -H 'content-type: application/json' -H 'Accept: application/json' \
    --data "{\"teaching_id\":$teaching,\"starts_at\":$NOW,\"minutes\":240,\"title\":\"Banc d'essai $role $class\"}" \
    "$URL/api/v1/live-classes")
  [ "$code" = 201 ] || { echo "POST /api/v1/live-classes (teaching $teaching, $teacher) answered $code: $(head -c 300 "$WORK/schedule.json")" >&2; exit 1; }
  id=$(grep -o '"room_url":"/live/[0-9]*' "$WORK/schedule.json" | grep -o '[0-9]*$' || true)
  [ -n "$id" ] || id=$(sed -n 's/^{"id":\([0-9]*\).*/\1/p' "$WORK/schedule.json")
  [ -n "$id" ] || { echo "no id in $(cat "$WORK/schedule.json")" >&2; exit 1; }
  echo "$role $id $k $first $class $teaching" >> "$WORK/rooms.txt"
done < "$WORK/classes2.txt"
stop_cartable

# ---- plans -------------------------------------------------------------------------
# classload plan lines: LABEL ROOM SOCKETS FIRST PEOPLE
awk -v m="$IDLE_SOCKETS" -v r="$IDLE_ROOMS" -v cs="$CLASS_SIZE" -v as="$ASSEMBLY" '
  $1 == "idle" {i++; print "idle", $2, int(m / r) + (i <= m % r ? 1 : 0), $4, $3}
  $1 == "class" {print "class", $2, cs, $4, $3}
  $1 == "assembly" {print "assembly", $2, as, $4, $3}' "$WORK/rooms.txt" > "$WORK/hold.plan"
awk '$1 == "storm" {print "storm", $2, $3, $4, $3}' "$WORK/rooms.txt" > "$WORK/storm.plan"
TABS_IDLE=$(awk -v p="$PER_ROOM" '$1 == "idle" {s += $3; n++} END {if (n) printf "%.1f", s / n / p; else print "-"}' "$WORK/hold.plan")

# ---- the run -----------------------------------------------------------------------
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$CART_PID/status"; }
tcp_mem_pages() { awk '$1 == "TCP:" {for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1)}' /proc/net/sockstat; }
server_alive() { kill -0 "$CART_PID" 2>/dev/null; }
busy_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU used by the rest of the machine between two samples "busy server client" (ticks), % of a core
others_pct() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" -v s="$3" 'BEGIN {split(a, x, " "); split(b, y, " ");
  o = ((y[1] - x[1]) - (y[2] - x[2]) - (y[3] - x[3])) / hz / s * 100; printf "%.0f", (o < 0 ? 0 : o)}'; }
SERVER_NOTE=""
BENCH_QUIET_WAIT=${BENCH_QUIET_WAIT:-60} bench_wait_quiet
start_server --max-connections "$MAXCONN" --ws-max-connections "$MAXCONN"
sleep 2
curl -s "$URL/healthz" > /dev/null
RSS0=$(rss_kib)
TCP0=$(tcp_mem_pages)
HOLD_PID=""
IN=0
FAILED=0
if [ -s "$WORK/hold.plan" ]; then
  CHAT=()
  has fanout && CHAT=(--chat "class:$MESSAGES:$CLASS_GAP_MS,assembly:$MESSAGES:$ASSEMBLY_GAP_MS" --chat-out "$WORK/chat.out")
  echo "opening $(awk '{s += $3} END {print s}' "$WORK/hold.plan") sockets from $SOURCES addresses..." >&2
  t=$(date +%s.%N)
  timeout -s TERM $((OPEN_TIMEOUT + 3600)) taskset -c "$BENCH_CLIENT_CPU" "$CLASSLOAD" --port "$PORT" --cookies "$WORK/cookies.txt" \
    --plan "$WORK/hold.plan" --sources "$SOURCES" --connecting 256 --timeout-ms 60000 --ready "$WORK/hold.ready" \
    --joins "$WORK/hold.joins" --go "$WORK/go" --done "$WORK/done" "${CHAT[@]}" --seconds 3600 \
    > "$WORK/hold.out" 2> "$WORK/hold.err" &
  HOLD_PID=$!
  BENCH_PIDS+=("$HOLD_PID")
  waited=0
  while [ ! -f "$WORK/hold.ready" ] && [ "$waited" -lt $((OPEN_TIMEOUT * 10)) ] && server_alive && kill -0 "$HOLD_PID" 2>/dev/null; do
    sleep 0.1
    waited=$((waited + 1))
  done
  [ -f "$WORK/hold.ready" ] || { SERVER_NOTE="the sockets were not all in or failed after $OPEN_TIMEOUT s; "; }
  server_alive || SERVER_NOTE="${SERVER_NOTE}the server died while the sockets were opening; "
  OPEN_S=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  if [ -f "$WORK/hold.ready" ]; then read -r IN FAILED < "$WORK/hold.ready"; fi
  echo "  $IN in, $FAILED failed, in $OPEN_S s" >&2
fi
if server_alive; then
  sleep 5
  RSS1=$(rss_kib)
  TCP1=$(tcp_mem_pages)
  FDS=$(find "/proc/$CART_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  HOLDER_RSS=$([ -n "$HOLD_PID" ] && awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$(pgrep -P "$HOLD_PID" | head -1)/status" 2>/dev/null || echo "-")
  c0=$(cartable_cpu_s); sleep 10; c1=$(cartable_cpu_s)
  IDLE_CPU=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.1f", (b - a) * 10}')
fi
FAN_CPU=""
if has fanout && [ -n "$HOLD_PID" ] && server_alive; then
  echo "chat fan-out: $MESSAGES messages to the class, then to the assembly..." >&2
  c0=$(cartable_cpu_s)
  HOLDER=$(pgrep -P "$HOLD_PID" | head -1)
  s0="$(busy_ticks) $(proc_ticks "$CART_PID") $(proc_ticks "$HOLDER")"
  t0=$(date +%s.%N)
  touch "$WORK/go"
  limit=$(( (MESSAGES * (CLASS_GAP_MS + ASSEMBLY_GAP_MS)) / 100 + 600 ))
  waited=0
  while [ ! -f "$WORK/done" ] && [ "$waited" -lt "$limit" ] && server_alive; do sleep 0.1; waited=$((waited + 1)); done
  [ -f "$WORK/done" ] || SERVER_NOTE="${SERVER_NOTE}the fan-out did not finish in time; "
  c1=$(cartable_cpu_s 2>/dev/null || echo "$c0")
  FAN_CPU=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.1f", b - a}')
  FAN_OTHERS=$(others_pct "$s0" "$(busy_ticks) $(proc_ticks "$CART_PID") $(proc_ticks "$HOLDER")" \
    "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')")
fi
if has storm && server_alive; then
  RATE=$(awk -v n="$STORM_PUPILS" -v s="$STORM_SECONDS" 'BEGIN {printf "%g", n / s}')
  echo "join storm: $STORM_PUPILS pupils into $STORM_CLASSES classes at $RATE/s..." >&2
  c0=$(cartable_cpu_s)
  timeout -s TERM $((STORM_SECONDS * 4 + 60)) taskset -c "$BENCH_CLIENT_CPU" "$CLASSLOAD" --port "$PORT" --cookies "$WORK/cookies.txt" \
    --plan "$WORK/storm.plan" --sources "$SOURCES" --rate "$RATE" --arrivals poisson --seed 8 --timeout-ms 10000 \
    --joins "$WORK/storm.joins" --seconds 0 > "$WORK/storm.out" 2> "$WORK/storm.err" ||
    SERVER_NOTE="${SERVER_NOTE}the storm client ended with an error; "
  c1=$(cartable_cpu_s 2>/dev/null || echo "$c0")
  STORM_CPU=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.1f", b - a}')
  server_alive && RSS2=$(rss_kib)
fi
if [ -n "$HOLD_PID" ]; then
  kill -TERM "$HOLD_PID" 2>/dev/null || true
  wait "$HOLD_PID" 2>/dev/null || true
fi
if server_alive; then
  stop_cartable
else
  wait "$CART_PID" 2>/dev/null && rc=0 || rc=$?
  SERVER_NOTE="${SERVER_NOTE}**the server was gone before the end (exit status $rc)**; "
  CART_PID=""
fi
LOG_ERRORS=$(grep -c 'level=error' "$WORK/cartable.log" 2>/dev/null || true)

# Holds the sockets of a plan on the running server until they are all in or
# failed, then 5 s more; prints "IN RSS_KIB". hold_plan PLAN NAME [classload options]
hold_plan() {
  local plan=$1 name=$2
  shift 2
  rm -f "$WORK/$name.ready"
  timeout -s TERM "$OPEN_TIMEOUT" taskset -c "$BENCH_CLIENT_CPU" "$CLASSLOAD" --port "$PORT" --cookies "$WORK/cookies.txt" \
    --plan "$plan" --sources "$SOURCES" --connecting 256 --timeout-ms 60000 --ready "$WORK/$name.ready" --seconds "$OPEN_TIMEOUT" \
    "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" &
  local pid=$! waited=0 in=0 rss=""
  BENCH_PIDS+=("$pid")
  while [ ! -f "$WORK/$name.ready" ] && [ "$waited" -lt $((OPEN_TIMEOUT * 10)) ] && server_alive && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
    waited=$((waited + 1))
  done
  [ -f "$WORK/$name.ready" ] && read -r in _ < "$WORK/$name.ready"
  sleep 5
  server_alive && rss=$(rss_kib)
  [ -z "${HOLD_HOOK:-}" ] || $HOLD_HOOK
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "$in ${rss:-}"
}
HELD=$(awk '{s += $3} END {print s + 0}' "$WORK/hold.plan")
if has baseline && [ "$HELD" -gt 0 ]; then
  echo "baseline: $HELD sockets on /live/updates on a fresh server..." >&2
  echo "updates 0 $HELD 0 $NPUPILS" > "$WORK/updates.plan"
  start_server --max-connections "$MAXCONN" --ws-max-connections "$MAXCONN"
  sleep 2
  B_RSS0=$(rss_kib)
  read -r B_IN B_RSS1 <<< "$(hold_plan "$WORK/updates.plan" updates --path-fmt '/live/updates?r=%d' --welcome-type badge)"
  server_alive && stop_cartable
  B_PER_KB=$(awk -v a="$B_RSS0" -v b="${B_RSS1:-}" -v n="${B_IN:-0}" 'BEGIN {if (b == "" || n == 0) print "-"; else printf "%.1f", (b - a) / n}')
fi
if has alloc && [ "$HELD" -gt 0 ]; then
  echo "alloc: the room sockets again, allocations counted by size..." >&2
  cc -O2 -shared -fPIC -o "$WORK/allocsize.so" "$ROOT/bench/allocsize.c" || { echo "cannot build bench/allocsize.c" >&2; exit 1; }
  ALLOCSIZE_MIN=100 ALLOCSIZE_OUT="$WORK/alloc.dump" LD_PRELOAD="$WORK/allocsize.so" \
    start_server --max-connections "$MAXCONN" --ws-max-connections "$MAXCONN"
  sleep 2
  kill -USR2 "$CART_PID"; sleep 0.5; mv "$WORK/alloc.dump" "$WORK/alloc.before"
  alloc_after() { kill -USR2 "$CART_PID"; sleep 0.5; mv "$WORK/alloc.dump" "$WORK/alloc.after"; }
  read -r A_IN _ <<< "$(HOLD_HOOK=alloc_after hold_plan "$WORK/hold.plan" alloc)"
  server_alive && stop_cartable
fi

# ---- figures -----------------------------------------------------------------------
kv() { awk -v t="$2" -v k="$3" '$1 == "CLASSLOAD" && $2 ~ ("^" t) {for (i = 2; i <= NF; i++) {split($i, a, "="); if (a[1] == k) {print a[2]; exit}}}' "$1" 2>/dev/null; }
line_of() { awk -v t="$2" '$1 == "CLASSLOAD" && $2 == t {$1 = ""; $2 = ""; sub(/^ +/, ""); print; exit}' "$1" 2>/dev/null; }
mib() { awk -v k="$1" 'BEGIN {if (k == "") print "-"; else printf "%.0f", k / 1024}'; }
PER_KB=$(awk -v a="${RSS0:-}" -v b="${RSS1:-}" -v n="$IN" 'BEGIN {if (a == "" || b == "" || n == 0) print "-"; else printf "%.1f", (b - a) / n}')
TOTAL_KB=$(awk -v b="${RSS1:-}" -v n="$IN" 'BEGIN {if (b == "" || n == 0) print "-"; else printf "%.1f", b / n}')
TCP_KB=$(awk -v a="${TCP0:-}" -v b="${TCP1:-}" -v n="$IN" -v pg="$(getconf PAGESIZE)" 'BEGIN {if (a == "" || b == "" || n == 0) print "-"; else printf "%.2f", (b - a) * pg / 1024 / n}')

fan_row() { # spec label
  local s=$1
  awk -v s="$s" '$1 == s {printf "%.3f %.3f\n", ($5 - $4) / 1000, ($6 - $4) / 1000}' "$WORK/chat.out" > "$WORK/lat.$s"
  local socks sent got
  socks=$(awk -v s="$s" '$1 == "CLASSLOAD" && $2 == "chat" {split($3, a, "="); if (a[2] == s) {split($6, b, "="); print b[2]}}' "$WORK/hold.out")
  sent=$(awk -v s="$s" '$1 == "CLASSLOAD" && $2 == "chat" {split($3, a, "="); if (a[2] == s) {split($7, b, "="); print b[2]}}' "$WORK/hold.out")
  got=$(wc -l < "$WORK/lat.$s")
  echo "$socks $sent $((sent * (socks - 1))) $got $(awk '{print $1}' "$WORK/lat.$s" | percentile 50) $(awk '{print $1}' "$WORK/lat.$s" | percentile 99) $(awk '{print $1}' "$WORK/lat.$s" | percentile max) $(awk '{print $2}' "$WORK/lat.$s" | percentile 99)"
}

{
  echo "# Live classes: idle room sockets, chat fan-out, join storm — $BENCH_DATE"
  echo
  echo "Command: \`$BENCH_CMDLINE\`"
  echo
  bench_code
  echo "Machine: $(bench_machine) (nproc $(nproc)); ulimit -n $(ulimit -n) (fs.nr_open $NR_OPEN). $(bench_load_line)"
  echo "Server: \`cartable serve --threads 1 --login-ip-per-minute 1000000 --access-log false --max-connections $MAXCONN --ws-max-connections $MAXCONN${BENCH_SERVE_OPTS:+ $BENCH_SERVE_OPTS}\` on CPU 0 (taskset); the clients (bench/classload.c, one epoll thread each) on CPU 1."
  echo "Directory: the académie of bench/rush.sh (200 schools, 100,000 pupils in classes of 25), a copy of \`$DATA\`. $NPUPILS pupils and $NTEACHERS teachers signed in through \`POST /api/v1/login\` (\`rush pool\`, one at a time, $SIGNIN_S s); each class's live class scheduled by the teacher of its first teaching through \`POST /api/v1/live-classes\` (starts_at = now, 240 min)."
  echo
  [ -z "$CAP_NOTE" ] || { echo "$CAP_NOTE"; echo; }
  if [ -n "$SERVER_NOTE" ]; then echo "**Problems:** ${SERVER_NOTE%; }."; echo; fi
  if has hold; then
    echo "## Idle room sockets"
    echo
    echo "$SOCKETS sockets planned: $(awk '$1 == "idle"' "$WORK/hold.plan" | wc -l) idle rooms of $PER_ROOM signed-in pupils holding $TABS_IDLE sockets (tabs) each on average, the class ($CLASS_SIZE sockets over its 25 pupils) and the assembly ($ASSEMBLY sockets over its 25 pupils: $((ASSEMBLY / 25)) tabs each). $( [ "$TABS_IDLE" = "1.0" ] || echo "**Sockets are tabs: $NPUPILS pupils signed in for $SOCKETS sockets** (signing in is one Argon2id hash each, ~90/s on this core: 100,000 would take ~20 min; \`--max-pupils\` bounds them).") From $SOURCES loopback source addresses (127.0.0.2–127.0.0.$((SOURCES + 1))), 256 handshakes at a time; a socket counts once its \`welcome\` came (60 s at most)."
    echo
    echo "| sockets in | failed | failures by kind | time to open all s | server RSS before MiB | server RSS after MiB | **RSS per socket KB** (after − before) / in | RSS / in KB | kernel TCP memory per socket KB | server fds | server CPU idle, % of a core | client RSS MiB |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    echo "| $IN | $FAILED | $(kv "$WORK/hold.out" sockets http) http, $(kv "$WORK/hold.out" sockets connect) connect, $(kv "$WORK/hold.out" sockets closed) closed, $(kv "$WORK/hold.out" sockets error) error, $(kv "$WORK/hold.out" sockets timeout) timeout | ${OPEN_S:--} | $(mib "${RSS0:-}") | $(mib "${RSS1:-}") | **$PER_KB** | $TOTAL_KB | $TCP_KB | ${FDS:--} | ${IDLE_CPU:--} | ${HOLDER_RSS:--} |"
    echo
    [ -z "$CAP_NOTE" ] || [ "$PER_KB" = "-" ] || echo "At that cost, $ASKED sockets would take about $(awk -v a="$RSS0" -v k="$PER_KB" -v n="$ASKED" 'BEGIN {printf "%.0f", (a + k * n) / 1024}') MiB of server RSS (RSS before + $ASKED × $PER_KB KB: a linear extrapolation, not a measurement)."
    echo
    echo "Targets (issue #8): at least 100,000 idle participants, at most 10 KB of server RSS each. Kernel TCP memory (\`/proc/net/sockstat\`, both ends of every loopback connection) is not in the RSS; listed for completeness."
    echo
    echo "The server pings a socket silent for \`ws_ping_interval\` (30 s) and closes it (1001) if still silent as long again; the client answers every ping, so idle sockets stay, and the fan-out below runs through the ping waves of the idle ones."
    echo
    echo "Client: $(line_of "$WORK/hold.out" errors | sed 's/^$/no error messages/'); close codes: $(line_of "$WORK/hold.out" closes | sed 's/^$/none/'); connect errors: $(line_of "$WORK/hold.out" connect_errnos | sed 's/^$/none/'); sockets closed by the server after all were in: $(kv "$WORK/hold.out" sockets closed_after_ready)."
    echo
  fi
  if has fanout && [ -s "$WORK/chat.out" ]; then
    echo "## Chat fan-out while the server holds the sockets above"
    echo
    echo "$MESSAGES messages to the class (one every $CLASS_GAP_MS ms), then $MESSAGES to the assembly (one every $ASSEMBLY_GAP_MS ms), each \`{\"type\":\"chat\",\"to\":\"all\",\"text\":\"bench … SEND_TIME\"}\` sent by the room's sockets in turn. Latency: from just before the sender's write to the kernel's receive time (SO_TIMESTAMPNS) of the copy on every other socket of the room; \"client read\" adds the client's own delay. Server CPU over the fan-out: ${FAN_CPU:--} s; the rest of the machine (neither the server nor the client) used ${FAN_OTHERS:--} % of a core meanwhile (the machine is shared)."
    echo
    echo "| room | sockets | messages sent | copies expected | copies received | p50 ms | **p99 ms** | max ms | p99 ms, client read | target p99 |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    read -r a b c d e f g h <<< "$(fan_row 0)"
    echo "| class | $a | $b | $c | $d | $e | **$f** | $g | $h | < 20 ms |"
    read -r a b c d e f g h <<< "$(fan_row 1)"
    echo "| assembly | $a | $b | $c | $d | $e | **$f** | $g | $h | < 100 ms |"
    echo
    echo "Largest client delay (read − kernel receive): $(kv "$WORK/hold.out" sockets max_client_delay_ms) ms; the client's CPU after the sockets were in: $(kv "$WORK/hold.out" sockets cpu_after_s) s; chat errors answered: $(kv "$WORK/hold.out" sockets rate_limited) rate_limited."
    echo
  fi
  if has storm && [ -s "$WORK/storm.joins" ]; then
    awk '$7 == "welcome" {print $6}' "$WORK/storm.joins" > "$WORK/storm.lat"
    echo "## Join storm"
    echo
    echo "$STORM_PUPILS pupils (each its own person, signed in beforehand) of $STORM_CLASSES classes arrive in a random order, Poisson at $RATE/s (open model: each at its time, whatever the others are doing), $(has hold && echo "while the server holds the $IN sockets above" || echo "on an otherwise idle server"); each opens its class's room socket and waits for \`welcome\` (10 s at most). Time to welcome: from the arrival to the read of the welcome. Server CPU over the storm: ${STORM_CPU:-} s."
    echo
    echo "| pupils | arrivals over s | welcomed | failed (http / connect / closed / error / timeout) | time to welcome p50 ms | **p99 ms** | max ms | client lateness max ms |"
    echo "|---|---|---|---|---|---|---|---|"
    echo "| $STORM_PUPILS | $(awk '{if ($5 > m) m = $5} END {printf "%.1f", m / 1000}' "$WORK/storm.joins") | $(wc -l < "$WORK/storm.lat") | $(kv "$WORK/storm.out" sockets http) / $(kv "$WORK/storm.out" sockets connect) / $(kv "$WORK/storm.out" sockets closed) / $(kv "$WORK/storm.out" sockets error) / $(kv "$WORK/storm.out" sockets timeout) | $(percentile 50 < "$WORK/storm.lat") | **$(percentile 99 < "$WORK/storm.lat")** | $(percentile max < "$WORK/storm.lat") | $(kv "$WORK/storm.out" sockets late_max_ms) |"
    echo
    refused=$(awk '$7 == "http" {print $8}' "$WORK/storm.joins" | sort | uniq -c | awk '{printf "%s%s×%s", (NR > 1 ? ", " : ""), $1, $2}')
    echo "Target (issue #8): all in, none stranded. HTTP statuses of refused upgrades: ${refused:-none}."
    echo
  fi
  if has baseline && [ -n "${B_PER_KB:-}" ]; then
    echo "## The WebSocket layer alone: /live/updates"
    echo
    echo "A fresh server, $HELD sockets of the same pupils on \`/live/updates\` (the badge socket: the same \`src/http/websocket.c\`, h2o and wslay, no room): $B_IN in; RSS $(mib "$B_RSS0") MiB before, $(mib "${B_RSS1:-}") MiB after: **$B_PER_KB KB a socket** (against $PER_KB KB a room socket above)."
    echo
  fi
  if has alloc && [ -s "$WORK/alloc.after" ] && [ "${A_IN:-0}" -gt 0 ]; then
    echo "## What a room socket holds: allocations by size"
    echo
    echo "A fresh server with \`bench/allocsize.c\` preloaded (malloc/calloc/realloc counted by requested size), the $HELD room sockets of the hold again ($A_IN in): the sizes whose live count grew by at least half the sockets, per socket. (The shim's own 16-byte header is not counted; glibc adds about 8–16 bytes a chunk.)"
    echo
    echo "| size (bytes) | allocations held, after − before | per socket | bytes per socket |"
    echo "|---|---|---|---|"
    awk -v n="$A_IN" 'NR == FNR {b[$1] = $2; bb[$1] = $3; next}
      { d = $2 - b[$1]; db = $3 - bb[$1]; if (n > 0 && d >= n / 2) {printf "| %s | %d | %.2f | %.0f |\n", $1, d, d / n, db / n; t += db} else o += db }
      END { printf "| **all of these** | | | **%.0f** |\n| the other sizes (listed ones under half the sockets) | | | %.0f |\n", t / n, o / n }' \
      "$WORK/alloc.before" "$WORK/alloc.after"
    echo
  fi
  echo "Server log: $LOG_ERRORS lines at level=error. Server RSS at the end: $(mib "${RSS2:-${RSS1:-}}") MiB."
} | tee "$OUT"
