#!/usr/bin/env bash
# The README's first command: the whole product on this machine. The stack
# (Elasticsearch, Redis), the network lab (root only), then a demo PKI, a collector with
# the default rules, the SOC console and a sensor on the lab's commune WAN link fed with
# live lab traffic; it ends by printing the console's URL and the demo login.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-built.sh
chot() { node bin/chot.js "$@"; }
chot stack up
if [ "$(id -u)" -eq 0 ]; then
  chot lab up
else
  echo "chot: the network lab needs root (network namespaces); no demo sensor" >&2
fi
node scripts/demo.mjs up
cat <<MSG

Chốt is running. Stop everything with: npm run stop
MSG
