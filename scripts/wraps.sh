#!/usr/bin/env bash
# For systems without the Debian packages: installs Meson WrapDB wraps for the
# compiled libraries (needs network once), after which `meson setup` builds them
# as subprojects. The header-only ones (doctest, nlohmann_json, CLI11) have wraps
# committed in subprojects/.
set -euo pipefail
cd "$(dirname "$0")/.."
for w in curl libarchive zstd xxhash openssl yaml-cpp tomlplusplus; do
  [ -f "subprojects/$w.wrap" ] || meson wrap install "$w"
done
