#!/usr/bin/env bash
# Set-up, build, and the main job on the embedded demo lock.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_debian_packages "${PIXI_INSTALL_BUILD_DEPS[@]}"

BUILD=${BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --buildtype=release
fi
ninja -C "$BUILD" pixi-install
BIN=$BUILD/pixi-install

echo "== pixi-install list (fixtures/demo/pixi.lock)"
"$BIN" list -l fixtures/demo/pixi.lock
