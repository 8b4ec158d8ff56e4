#!/usr/bin/env bash
# Brings node_modules and dist/ up to date: `npm ci` when the lock file changed since the
# last install, then the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# TypeScript, and the sensor's addons (C, Node-API: native/): packet socket statistics, capture decoding.
npm run --silent build
# The console's web client (Vite): type-checked and bundled into dist/console-web/.
node console/web/build.mjs
