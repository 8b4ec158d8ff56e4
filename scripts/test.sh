#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, checks types and the
# module import rules, then runs every test against real services (the tests start them).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-built.sh
npm run --silent lint
npx vitest run "$@"
