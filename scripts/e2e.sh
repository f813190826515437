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
export NAC_E2E_REQUIRED=1
if [ "${NAC_WORKSPACE_BUILT:-}" = 1 ]; then
  # scripts/test.sh's `cargo test --workspace` built the app and these tests already, with the
  # workspace's features. `cargo build -p nac-station` / `cargo test -p nac-e2e` would resolve
  # features per package and build much of the graph again: ask cargo for the same build's
  # test executables instead (a no-op) and run nac-e2e's, one at a time.
  mapfile -t tests < <(cargo test --workspace --locked --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if (m.get("reason") == "compiler-artifact" and m.get("executable")
            and m["target"]["kind"] == ["test"] and "#nac-e2e@" in m["package_id"]):
        print(m["executable"])')
  [ "${#tests[@]}" -gt 0 ] || { echo "e2e: no nac-e2e test executables found" >&2; exit 1; }
  [ -x target/debug/nac-station ] || { echo "e2e: target/debug/nac-station missing" >&2; exit 1; }
  for t in "${tests[@]}"; do
    echo "== e2e: $(basename "$t")"
    # The console's browser scenarios (headless Chromium, no display) ran in the workspace's
    # tests already.
    (cd tests && xvfb-run -a -s "-screen 0 1366x768x24" "$t" --test-threads=1 --skip console::)
  done
else
  cargo build --locked -p nac-station
  xvfb-run -a -s "-screen 0 1366x768x24" cargo test --locked -p nac-e2e -- --test-threads=1
fi
