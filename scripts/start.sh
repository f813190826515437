#!/usr/bin/env bash
# Installs the Debian packages the desktop app needs (idempotently), builds the app and starts
# it. A real station starts empty; while none exists yet, this opens the demo instead
# (`--demo`: demo-station.db beside the station file, fictional residents, marked "演示 DEMO"
# everywhere, never synced). NAC_DEMO=0 starts the real, empty station even then.
# Data file: $NAC_DB, else ~/.local/share/cn.nacstation.station/station.db (see docs/desktop.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
# A release build without the Tauri CLI must enable custom-protocol itself (serves ui/ from
# the binary instead of a dev server).
cargo build --release --locked -p nac-station --features custom-protocol
app="${CARGO_TARGET_DIR:-target}/release/nac-station"

station="${NAC_DB:-${XDG_DATA_HOME:-$HOME/.local/share}/cn.nacstation.station/station.db}"
args=("$@")
if [ ! -e "$station" ] && [ "${NAC_DEMO:-}" != 0 ] && [[ " ${args[*]-} " != *" --demo "* ]]; then
  echo "start: no station yet at $station; opening the DEMO (演示) station beside it:" \
    "fictional residents, never synced. For the real, empty station: NAC_DEMO=0 bash scripts/start.sh" >&2
  args+=(--demo)
fi
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "start: no graphical display; running under Xvfb (install xvfb, or start from a desktop session)" >&2
  exec xvfb-run -a -s "-screen 0 1366x768x24" "$app" "${args[@]}"
fi
exec "$app" "${args[@]}"
