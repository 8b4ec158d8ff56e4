#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-built.sh
# The benchmarks run product code in their own process: with the services' Node flags
# (bin/chot.js's first line).
read -r -a flags <<< "$(head -n 1 bin/chot.js | sed -E 's/^#!.*\bnode\b//')"
for b in bench/*.bench.mjs; do
  [ -e "$b" ] || continue
  echo "== $b"
  node "${flags[@]}" "$b"
done
