#!/usr/bin/env bash
# Acceptance tests of the release binaries that scripts/release.sh put in dist/: ELF checks,
# an empty chroot, aarch64 under qemu, HTTPS with a private CA, the README's Dockerfile
# built with buildah on a minimal Debian 12 root, and the e2e suite against the static
# binary (test/release/release_test.py says what each checks). Needs root.
#
#   scripts/release_test.sh [SECTION...]    elf chroot aarch64 tls docker suite (default: all)
#   scripts/release_test.sh --root-only     only make the cached Debian 12 root (below)
#
# The Debian 12 root (debootstrap --variant=minbase, what debian:bookworm-slim is, plus
# python3-minimal for the demo's stand-in interpreter) is made
# once and cached as a tar file in $PIXI_INSTALL_BUILD_CACHE (~/.cache/pixi-install-build).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
ensure_debian_packages "${PIXI_INSTALL_RELEASE_TEST_DEPS[@]}"

CACHE=${PIXI_INSTALL_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pixi-install-build}
mkdir -p "$CACHE/roots"

ROOT_ONLY=0
if [ "${1:-}" = --root-only ]; then ROOT_ONLY=1; shift; fi
sections=("$@")
wants_docker=1
if [ ${#sections[@]} -gt 0 ]; then
  wants_docker=0
  for s in "${sections[@]}"; do [ "$s" = docker ] && wants_docker=1; done
fi

# python3-minimal: the demo's python package is a stand-in whose interpreter is the root's
# /usr/bin/python3 (a real lock brings its own), and the README's recipe byte-compiles.
ROOT_TAR=$CACHE/roots/bookworm-minbase-python3.tar
if [ $wants_docker = 1 ] && [ ! -f "$ROOT_TAR" ]; then
  # The Debian mirror apt is configured with (deb822 or one-line sources).
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/\{0,1\} *$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  echo "== a Debian 12 minbase root (debootstrap, from $mirror), cached as $ROOT_TAR"
  dir=$(mktemp -d "$CACHE/roots/bookworm.XXXXXX")
  t0=$SECONDS
  if ! debootstrap --variant=minbase --include=python3-minimal bookworm "$dir" "$mirror" > "$CACHE/roots/debootstrap.log" 2>&1; then
    tail -20 "$CACHE/roots/debootstrap.log"
    rm -rf "$dir"
    exit 1
  fi
  tar -C "$dir" -cf "$ROOT_TAR.tmp" . && mv "$ROOT_TAR.tmp" "$ROOT_TAR"
  rm -rf "$dir"
  echo "   made in $((SECONDS - t0)) s"
fi

[ $ROOT_ONLY = 0 ] || exit 0
PIXI_INSTALL_BOOKWORM_ROOT=$ROOT_TAR exec python3 test/release/release_test.py "$@"
