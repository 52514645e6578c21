#!/usr/bin/env bash
# Set-up, build and every test: `scripts/test.sh` (CI runs exactly this).
# Extra arguments go to `meson test` (e.g. a suite name).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_debian_packages "${PIXI_INSTALL_BUILD_DEPS[@]}" "${PIXI_INSTALL_TEST_DEPS[@]}"

BUILD=${BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --buildtype=release
fi
ninja -C "$BUILD"
meson test -C "$BUILD" --print-errorlogs --num-processes "$(nproc)" "$@"
