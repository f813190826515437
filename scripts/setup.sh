#!/usr/bin/env bash
# Installs what NAC Station needs on Debian, idempotently: only missing packages are installed.
#   scripts/setup.sh app    build and run the desktop app
#   scripts/setup.sh test   everything the test suite uses (app + Xvfb, WebDriver, fonts,
#                           poppler, zbar, CUPS with a PDF queue, Chromium and its driver
#                           with axe-core for the hub's console)
set -euo pipefail
mode="${1:-app}"

app_packages=(libwebkit2gtk-4.1-dev build-essential pkg-config libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev fonts-noto-cjk fonts-hanazono xdg-utils
  cups-client xvfb xauth)
test_packages=(webkit2gtk-driver fonts-wqy-zenhei fonts-arphic-uming poppler-utils
  zbar-tools cups printer-driver-cups-pdf procps python3-openpyxl
  libreoffice-calc-nogui postgresql chromium chromium-driver)

packages=("${app_packages[@]}")
if [ "$mode" = test ]; then packages+=("${test_packages[@]}"); fi
# The UI's type check (scripts/check-ui.sh) runs tsc through npx: Debian's nodejs + npm unless
# a Node.js with npx is already there (e.g. NodeSource's, which bundles npm and conflicts with
# Debian's npm package).
if [ "$mode" = test ] && ! command -v npx >/dev/null 2>&1; then packages+=(nodejs npm); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust (cargo) is required: https://rustup.rs" >&2
  exit 1
fi

# The district console's accessibility check (tests/tests/it/console.rs) injects axe-core from
# npm: pinned, installed once into target/console-tools (never committed).
if [ "$mode" = test ]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  tools="${CARGO_TARGET_DIR:-$root/target}/console-tools"
  if [ ! -f "$tools/node_modules/axe-core/axe.min.js" ]; then
    echo "setup: installing axe-core 4.14.1 into $tools"
    mkdir -p "$tools"
    npm install --no-save --no-audit --no-fund --prefix "$tools" axe-core@4.14.1 >/dev/null
  fi
fi
