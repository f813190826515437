#!/usr/bin/env bash
# Installs the Debian packages the desktop app needs (idempotently), builds the app and starts
# it. On first start without data it creates a demo roster (skip with NAC_NO_DEMO=1).
# Data file: $NAC_DB, else ~/.local/share/cn.nacstation.station/station.db (see docs/desktop.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
# A release build without the Tauri CLI must enable custom-protocol itself (serves ui/ from
# the binary instead of a dev server).
cargo build --release --locked -p nac-station --features custom-protocol
app="${CARGO_TARGET_DIR:-target}/release/nac-station"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "start: no graphical display; running under Xvfb (install xvfb, or start from a desktop session)" >&2
  exec xvfb-run -a -s "-screen 0 1366x768x24" "$app" "$@"
fi
exec "$app" "$@"
