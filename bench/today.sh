#!/usr/bin/env bash
# The pupil's "today" page: personalised, signed in, demo data, against nginx
# serving a static file of the same size, with and without the class-view cache.
#
#   bench/today.sh [--rounds N] [--seconds S] [--warmup S] [--connections C] [--out FILE]
#
# cartable (--threads 1) and nginx (1 worker) run pinned to CPU 0, wrk to CPU 1
# (bench/lib.sh). Each round measures, one after the other: cartable with its
# per-class cache, cartable with the cache off (--class-view-cache 0), nginx.
# 60 demo pupils of different classes get a password and sign in; wrk rotates
# their cookies on GET /. Medians of the rounds, ratios to nginx, and the page's
# compressed size go to a Markdown report in bench/results/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_options "$@"
[ ${#BENCH_ARGS[@]} -eq 0 ] || { echo "unknown option ${BENCH_ARGS[0]}" >&2; exit 2; }
bench_init today 18193

echo "creating the demo school and 60 signed-in pupils..." >&2
bench_demo
bench_logins pupil | awk 'NR > 1 && NR % 10 == 1' | head -59 > "$WORK/logins.txt"
echo demo.eleve >> "$WORK/logins.txt"
bench_set_passwords "$WORK/logins.txt"
start_cartable_setup
bench_sign_in "$WORK/logins.txt" "$WORK/cookies.txt"
COOKIE=$(tail -1 "$WORK/cookies.txt")
curl -s -H "Cookie: $COOKIE" "$URL/" > "$WORK/page.html"
grep -q 'id="day-heading"' "$WORK/page.html" || { echo "the today page did not render" >&2; exit 1; }
PAGE_BYTES=$(wc -c < "$WORK/page.html")
GZIP_BYTES=$(page_gzip_bytes / "$COOKIE")
stop_cartable
nginx_static "$PAGE_BYTES" today.html

bench_wait_quiet
bench_page_rounds / "$WORK/cookies.txt" "cached|" "uncached|--class-view-cache 0"

C=$(row_median 2); U=$(row_median 4); N=$(row_median 6)
{
  echo "# The pupil's today page — $BENCH_DATE"
  echo
  echo "Command: \`$BENCH_CMDLINE\`"
  echo
  bench_code
  bench_settings_line
  echo "Machine: $(bench_machine). $(bench_load_line)"
  echo "cartable --threads 1 and nginx (1 worker, $(nginx -v 2>&1 | sed 's/.*: //')) on CPU 0; wrk -t1 -c$CONNS on CPU 1; ${WARMUP} s warm-up and ${SECS} s per measurement, $ROUNDS rounds."
  echo "60 demo pupils of different classes, signed in; wrk rotates their cookies on GET / (their personalised today page)."
  echo "nginx serves a static file of the same size ($PAGE_BYTES bytes). The page is $GZIP_BYTES bytes gzip-compressed (limit: 15 KB)."
  echo
  bench_page_summary "cartable, class views cached" "cartable, cache off"
  echo
  echo "Target (issue: the school day): at least 0.50 of nginx. The cache gives $(ratio "$C" "$U")× the uncached rate; cached: $(ratio "$C" "$N") of nginx."
  echo
  echo "## Every round"
  echo
  bench_page_every_round cached uncached
} | tee "$OUT"
