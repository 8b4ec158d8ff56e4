#!/usr/bin/env bash
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || exit 0
node scripts/demo.mjs down || true
if [ "$(id -u)" -eq 0 ]; then node bin/chot.js lab down || true; fi
node bin/chot.js stack down
