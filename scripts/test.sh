#!/usr/bin/env bash
# Sets up the machine (idempotently) and runs every check and test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each phase's wall time, printed when the next starts and summed up at the end.
started=$SECONDS
phase_name=""
phase_start=$SECONDS
timings=""
phase() {
  if [ -n "$phase_name" ]; then
    local took=$((SECONDS - phase_start))
    printf '== %s took %dm%02ds\n' "$phase_name" $((took / 60)) $((took % 60))
    timings+=$(printf '%-28s %3dm%02ds' "$phase_name" $((took / 60)) $((took % 60)))$'\n'
  fi
  phase_name=$1
  phase_start=$SECONDS
  [ "$1" = "end" ] || echo "== $1"
}
summary() {
  local status=$?
  phase end
  local total=$((SECONDS - started))
  printf '== phase times (exit %d)\n%s%-28s %3dm%02ds\n' "$status" "$timings" "total" \
    $((total / 60)) $((total % 60))
}
trap summary EXIT

phase "setup"
bash scripts/setup.sh test
export CARGO_TERM_COLOR=never
# A one-shot build gains nothing from incremental caches, which cost gigabytes of disk.
export CARGO_INCREMENTAL=0
echo "== disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free before building"

phase "format"
cargo fmt --all -- --check
phase "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

if [ -f scripts/cups-queue.sh ]; then
  phase "CUPS PDF queue"
  bash scripts/cups-queue.sh && export NAC_TEST_CUPS=1
fi

phase "PostgreSQL"
NAC_TEST_PG_URL=$(bash scripts/pg-test.sh start --watch $$)
export NAC_TEST_PG_URL

phase "build and tests"
# Every binary the tests start (nac, nac-hub, nac-station) is built here once, with the
# workspace's features; NAC_WORKSPACE_BUILT tells the tests and the E2E phase not to build them
# again per package (which resolves features anew and rebuilds much of the dependency graph).
export NAC_WORKSPACE_BUILT=1
cargo test --workspace --locked

phase "UI types"
bash scripts/check-ui.sh

phase "fuzzing"
bash scripts/fuzz.sh "${NAC_FUZZ_SECONDS:-30}"

echo "== disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free; target/ $(du -sh target 2>/dev/null | cut -f1), fuzz/target $(du -sh fuzz/target 2>/dev/null | cut -f1)"
phase "desktop end-to-end"
bash scripts/e2e.sh
