#!/usr/bin/env bash
# Sets up the machine (idempotently) and runs every check and test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export CARGO_TERM_COLOR=never

echo "== format"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

if [ -f scripts/cups-queue.sh ]; then
  echo "== CUPS PDF queue"
  bash scripts/cups-queue.sh && export NAC_TEST_CUPS=1
fi

echo "== tests"
cargo test --workspace --locked
