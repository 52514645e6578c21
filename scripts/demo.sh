#!/usr/bin/env bash
# Set-up, build, and the main job on the embedded demo lock (fixtures/demo/):
# install it into ./demo-env with no network, then run commands from it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_debian_packages "${PIXI_INSTALL_BUILD_DEPS[@]}" python3

BUILD=${BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --buildtype=release
fi
ninja -C "$BUILD" pixi-install
BIN=$BUILD/pixi-install
ENV_DIR=$PWD/demo-env
CACHE=$PWD/$BUILD/demo-cache

echo "== what the lock holds"
"$BIN" list -l fixtures/demo/pixi.lock
echo
echo "== can this machine run it?"
"$BIN" check -l fixtures/demo/pixi.lock
echo
echo "== install into $ENV_DIR (offline: the artifacts are local paths)"
"$BIN" install -l fixtures/demo/pixi.lock -p "$ENV_DIR" --cache-dir "$CACHE" --offline
echo
echo "== a second run is a no-op"
"$BIN" install -l fixtures/demo/pixi.lock -p "$ENV_DIR" --cache-dir "$CACHE" --offline
echo
echo "== every recorded file is intact"
"$BIN" verify -p "$ENV_DIR"
echo
echo "== placeholders relocated: hello-prefix prints where it was installed"
"$BIN" run -p "$ENV_DIR" -- hello-prefix
echo
echo "== entry points: a noarch python package's and a PyPI wheel's console script"
if "$ENV_DIR/bin/python3.11" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
  "$BIN" run -p "$ENV_DIR" -- hello-noarch
  "$BIN" run -p "$ENV_DIR" -- demo-greet
else
  echo "(skipped: the demo's python stand-in points at /usr/bin/python3, which is not 3.11 here)"
fi
echo
echo "== activation without pixi: activate.d ran"
"$BIN" run -p "$ENV_DIR" -- sh -c 'echo "DEMO_ACTIVATED=$DEMO_ACTIVATED CONDA_PREFIX=$CONDA_PREFIX"'
