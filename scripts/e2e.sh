#!/usr/bin/env bash
# End-to-end tests of the real desktop app: builds the app, installs tauri-driver if missing,
# and drives the binary under Xvfb through WebDriver (tauri-driver + Debian's WebKitWebDriver).
# Screenshots of every scenario go to <target>/e2e-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked
fi
cargo build --locked -p nac-station
export NAC_E2E_REQUIRED=1
xvfb-run -a -s "-screen 0 1366x768x24" cargo test --locked -p nac-e2e -- --test-threads=1
