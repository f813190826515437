#!/usr/bin/env bash
# Desktop app benchmarks with 50,000 residents, under Xvfb, on a release build:
# cold start to an interactive household list, and search keystroke → updated list.
# The demo database is generated once into <target>/bench/station-50k.db ($NAC_BENCH_DB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked
fi
cargo build --release --locked -p nac-station --features custom-protocol
export NAC_APP="${CARGO_TARGET_DIR:-target}/release/nac-station"
export NAC_E2E_REQUIRED=1
xvfb-run -a -s "-screen 0 1366x768x24" \
  cargo test --release --locked -p nac-e2e --test it -- --ignored --nocapture bench_app::
