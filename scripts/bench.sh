#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-built.sh
# The collector benchmark runs the collector in its own process: with the collector's Node flags.
read -r -a collector_flags <<< "$(tail -n 1 scripts/collector-node-flags)"
for b in bench/*.bench.mjs; do
  [ -e "$b" ] || continue
  echo "== $b"
  if [ "$b" = bench/collector.bench.mjs ]; then node "${collector_flags[@]}" "$b"; else node "$b"; fi
done
