#!/usr/bin/env bash
# Sets up the machine (idempotently) and runs every check and test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export CARGO_TERM_COLOR=never
# A one-shot build gains nothing from incremental caches, which cost gigabytes of disk.
export CARGO_INCREMENTAL=0
echo "== disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free before building"

echo "== format"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

if [ -f scripts/cups-queue.sh ]; then
  echo "== CUPS PDF queue"
  bash scripts/cups-queue.sh && export NAC_TEST_CUPS=1
fi

echo "== PostgreSQL for the hub's tests (throwaway cluster, stopped when this script exits)"
NAC_TEST_PG_URL=$(bash scripts/pg-test.sh start --watch $$)
export NAC_TEST_PG_URL

echo "== tests"
cargo test --workspace --locked

echo "== UI types (JSDoc + ts-check against the generated ui/types.d.ts; needs Node)"
bash scripts/check-ui.sh

echo "== fuzzing (every target for a bounded time; fails on any crash, abort, OOM or timeout)"
bash scripts/fuzz.sh "${NAC_FUZZ_SECONDS:-30}"

echo "== disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free; target/ $(du -sh target 2>/dev/null | cut -f1), fuzz/target $(du -sh fuzz/target 2>/dev/null | cut -f1)"
echo "== desktop app end-to-end (Xvfb + WebDriver)"
bash scripts/e2e.sh
