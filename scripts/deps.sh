#!/usr/bin/env bash
# Installs the Debian 12 packages Cartable needs, only when some are missing.
#   scripts/deps.sh run     build and run the server
#   scripts/deps.sh test    also the test tools (cmocka, Node.js and npm, clang for fuzzing,
#                           Chromium for the browser journeys)
#   scripts/deps.sh bench   also the benchmark tools (wrk, nginx, sqlite3)
set -euo pipefail
what=${1:-run}

run_pkgs=(build-essential cmake pkg-config libh2o-evloop-dev libwslay-dev libssl-dev libsqlite3-dev
          libjansson-dev zlib1g-dev libsodium-dev libxml2-dev libcurl4-openssl-dev curl)
test_pkgs=(libcmocka-dev nodejs npm clang libclang-rt-14-dev chromium
           janus libjs-janus-gateway libjs-webrtc-adapter iproute2)
bench_pkgs=(wrk nginx-light util-linux sqlite3)

pkgs=("${run_pkgs[@]}")
case "$what" in
  run) ;;
  test) pkgs+=("${test_pkgs[@]}") ;;
  bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere than Debian; any node >= 18 will do.
if command -v node >/dev/null && node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)'; then
  missing=("${missing[@]/nodejs}")
  # that Node.js brings its own npm
  command -v npm >/dev/null && missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
