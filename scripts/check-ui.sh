#!/usr/bin/env bash
# Type-checks the UI's JavaScript against the generated ui/types.d.ts (JSDoc + // @ts-check),
# with the TypeScript compiler from npm. Needs Node.js: skipped (with a message) without it, a failure under CI.
# First: no import circle among the files of core, roster, domain or ui/js (scripts/check-cycles.py).
set -euo pipefail
python3 "$(dirname "$0")/check-cycles.py"
cd "$(dirname "$0")/../ui"
if ! command -v npx >/dev/null 2>&1; then
  if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
    echo "check-ui: Node.js (npx) is missing (scripts/setup.sh test installs it)" >&2
    exit 1
  fi
  echo "check-ui: Node.js (npx) is not installed; skipping the JS type check" >&2
  exit 0
fi
npx --yes --package typescript@5 tsc -p jsconfig.json
echo "check-ui: ui/js type-checks against ui/types.d.ts"
