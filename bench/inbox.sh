#!/usr/bin/env bash
# The inbox page (GET /messages): personalised, signed in, demo data with several
# conversations in every inbox, against nginx serving a static file of the same size.
#
#   bench/inbox.sh [--rounds N] [--seconds S] [--warmup S] [--connections C]
#                  [--broadcasts B] [--out FILE]
#
# Same method as today.sh (bench/lib.sh): cartable (--threads 1) and nginx (1 worker)
# pinned to CPU 0, wrk -t1 to CPU 1; each round measures cartable, then nginx.
# Readers: 60 people of 6e A, 6e B and 6e C (10 pupils a class, a parent of 8 pupils
# a class, 6 of their teachers, demo.prof first), signed in; wrk rotates their
# cookies on GET /messages. Before the rounds, demo.prof sends B broadcasts to the
# three classes and their parents, and a staff member B/2 to the same plus the six
# teachers, so each reader's inbox lists several conversations.
# Needs sqlite3 (read-only look-ups of the demo school's ids).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
BROADCASTS=20
bench_options "$@"
set -- "${BENCH_ARGS[@]+"${BENCH_ARGS[@]}"}"
while [ $# -gt 0 ]; do
  case "$1" in
    --broadcasts) BROADCASTS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bench_init inbox 18195 sqlite3

echo "creating the demo school, 60 readers and their messages..." >&2
bench_demo
CLASSES=$(bench_class_ids 6A 6B 6C)
bench_class_people "$CLASSES" 10 8 6 > "$WORK/logins.txt"
[ "$(sort -u "$WORK/logins.txt" | wc -l)" -eq 60 ] || { echo "expected 60 distinct readers" >&2; exit 1; }
STAFF=$(bench_staff_login)
tail -6 "$WORK/logins.txt" > "$WORK/teachers.txt"
TEACHERS_TO=$(bench_person_to "$WORK/teachers.txt")
echo "$STAFF" > "$WORK/staff.txt"
bench_set_passwords "$WORK/logins.txt"
bench_set_passwords "$WORK/staff.txt"
start_cartable_setup
bench_sign_in "$WORK/logins.txt" "$WORK/cookies.txt"
TO=$(echo "$CLASSES" | tr ',' '\n' | awk '{printf "%s\"c:%s\",\"cp:%s\"", (NR > 1 ? "," : ""), $1, $1}')
PROF=$(bench_sign_in_one demo.prof)
PROF_CSRF=$(bench_csrf "$PROF")
STAFF_COOKIE=$(bench_sign_in_one "$STAFF")
STAFF_CSRF=$(bench_csrf "$STAFF_COOKIE")
for i in $(seq 1 "$BROADCASTS"); do
  bench_send "$PROF" "$PROF_CSRF" "$TO" "Sortie pédagogique n°$i"
  if [ $((i % 2)) -eq 0 ]; then
    bench_send "$STAFF_COOKIE" "$STAFF_CSRF" "$TO,$TEACHERS_TO" "Vie scolaire : information n°$((i / 2))"
  fi
done
RECIPIENTS=$(sed -n 's/.*"recipients":\([0-9]*\).*/\1/p' "$WORK/send.json")

# Every reader's inbox: it renders, lists conversations; sizes plain and gzip.
: > "$WORK/sizes"
while read -r c; do
  curl -s -H "Cookie: $c" "$URL/messages" > "$WORK/page.html"
  grep -q 'class="cards conversations"' "$WORK/page.html" || { echo "the inbox did not render for $c" >&2; exit 1; }
  n=$(grep -c '<li class="card' "$WORK/page.html" || true)
  echo "$(wc -c < "$WORK/page.html") $(page_gzip_bytes /messages "$c") $n" >> "$WORK/sizes"
done < "$WORK/cookies.txt"
stop_cartable
read -r PAGE_MIN PAGE_MEAN PAGE_MAX GZ_MEAN GZ_MAX CONV_MIN CONV_MAX < <(awk '
  NR == 1 {mn = $1; mx = $1; gmx = $2; cmn = $3; cmx = $3}
  {s += $1; g += $2; if ($1 < mn) mn = $1; if ($1 > mx) mx = $1; if ($2 > gmx) gmx = $2;
   if ($3 < cmn) cmn = $3; if ($3 > cmx) cmx = $3}
  END {printf "%d %d %d %d %d %d %d\n", mn, s / NR + 0.5, mx, g / NR + 0.5, gmx, cmn, cmx}' "$WORK/sizes")
[ "$CONV_MIN" -ge 3 ] || { echo "an inbox lists only $CONV_MIN conversations" >&2; exit 1; }
nginx_static "$PAGE_MEAN" inbox.html

bench_wait_quiet
bench_page_rounds /messages "$WORK/cookies.txt" "inbox|"

C=$(row_median 2); N=$(row_median 4)
{
  echo "# The inbox page — $BENCH_DATE"
  echo
  echo "Command: \`$BENCH_CMDLINE\`"
  echo
  bench_code
  bench_settings_line
  echo "Machine: $(bench_machine). $(bench_load_line)"
  echo "cartable --threads 1 and nginx (1 worker, $(nginx -v 2>&1 | sed 's/.*: //')) on CPU 0; wrk -t1 -c$CONNS on CPU 1; ${WARMUP} s warm-up and ${SECS} s per measurement, $ROUNDS rounds (bench/lib.sh, as today.sh)."
  echo "60 demo people of 6e A, 6e B and 6e C (30 pupils, 24 parents, 6 teachers), signed in; wrk rotates their cookies on GET /messages (their inbox)."
  echo "Before the rounds: $BROADCASTS broadcasts from demo.prof to the three classes and their parents, $((BROADCASTS / 2)) from a staff member to the same and the 6 teachers ($RECIPIENTS recipients each), on top of the demo's messages: the inboxes list $CONV_MIN to $CONV_MAX conversations."
  echo "The inbox page is $PAGE_MIN–$PAGE_MAX bytes (mean $PAGE_MEAN), $GZ_MEAN bytes gzip-compressed on average (largest $GZ_MAX); nginx serves a static file of the mean size."
  echo
  bench_page_summary "cartable, inbox"
  echo
  echo "Target (DESIGN.md: hot pages, same method as the today page): at least 0.50 of nginx; measured $(ratio "$C" "$N")."
  echo
  echo "## Every round"
  echo
  bench_page_every_round inbox
} | tee "$OUT"
