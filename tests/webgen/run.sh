#!/usr/bin/env bash
# Checks that webgen refuses unsafe or broken templates and catalogues, each with
# a message that names the problem. Usage: run.sh WEBGEN
set -u
WEBGEN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
check() { # name dir expect
  local out
  out=$("$WEBGEN" --templates "$2/templates" --i18n "$2/i18n" --assets "$2/assets" \
        --out-c "$2/out.c" --out-h "$2/out.h" 2>&1)
  local rc=$?
  if [ $rc -ne 0 ] && grep -qF -- "$3" <<<"$out"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $1: expected failure with \"$3\", got exit $rc: $out"
  fi
}
for f in "$HERE"/cases/*.html; do
  name=$(basename "$f" .html)
  dir=$(mktemp -d)
  mkdir -p "$dir/templates"
  cp -r "$HERE/base/i18n" "$HERE/base/assets" "$dir/"
  cp "$f" "$dir/templates/"
  expect=$(sed -n '1s/^{{! expect: \(.*\) }}.*/\1/p' "$f")
  check "$name" "$dir" "$expect"
  rm -rf "$dir"
done
for d in "$HERE"/i18n_cases/*/; do
  name=$(basename "$d")
  dir=$(mktemp -d)
  mkdir -p "$dir/templates" "$dir/i18n"
  cp -r "$HERE/base/assets" "$dir/"
  cp "$d"/*.txt "$dir/i18n/"
  check "i18n/$name" "$dir" "$(cat "$d/expect")"
  rm -rf "$dir"
done
# and the good case compiles
dir=$(mktemp -d)
mkdir -p "$dir/templates"
cp -r "$HERE/base/i18n" "$HERE/base/assets" "$dir/"
printf '<p class="{{c}}">{{t "greet" name}}</p>\n' > "$dir/templates/ok.html"
if "$WEBGEN" --templates "$dir/templates" --i18n "$dir/i18n" --assets "$dir/assets" --out-c "$dir/o.c" --out-h "$dir/o.h"; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAIL ok: a valid template was refused"
fi
rm -rf "$dir"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
