#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, and serves the demo
# school on http://127.0.0.1:8080 (data in ./data). Extra options go to `cartable serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCARTABLE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
echo "Cartable: http://127.0.0.1:8080 (Ctrl-C stops it)"
exec ./build/cartable serve --demo --data ./data --listen 127.0.0.1:8080 "$@"
