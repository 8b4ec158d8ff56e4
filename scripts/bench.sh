#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-built.sh
for b in bench/*.bench.mjs; do
  [ -e "$b" ] || continue
  echo "== $b"
  node "$b"
done
