#!/usr/bin/env bash
# The README's first command: everything Chốt has so far, running on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-built.sh
chot() { node bin/chot.js "$@"; }
chot stack up
if [ "$(id -u)" -eq 0 ]; then
  chot lab up
else
  echo "chot: the network lab needs root (network namespaces); skipped" >&2
fi
cat <<MSG

Chốt is running. Stop everything with: npm run stop
MSG
