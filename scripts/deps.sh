#!/usr/bin/env bash
# Installs the Debian packages pixi-install builds and tests with, when missing.
# Sourced by scripts/test.sh and scripts/demo.sh; safe to run again.
set -euo pipefail

# ccache: Meson uses it when present; its cache (~/.cache/ccache) outlives a checkout, so a
# second build of the same sources (another clone, the CI run after a session) compiles
# only what changed (the checkout's directory is left out of the key for that).
export CCACHE_NOHASHDIR=1
PIXI_INSTALL_BUILD_DEPS=(
  g++ meson ninja-build pkg-config cmake ccache
  libyaml-cpp-dev libtomlplusplus-dev libcurl4-openssl-dev libarchive-dev libzstd-dev
  libxxhash-dev libssl-dev nlohmann-json3-dev libcli11-dev doctest-dev zlib1g-dev libdeflate-dev libgit2-dev
)
# What the tests use besides the build: a reference interpreter and HTTP servers,
# archive tools to make fixtures, openssl (private CAs for the TLS tests), squid
# (forward and caching proxy for the proxy and many-nodes tests), curl (the
# many-nodes benchmark's reference client), python3-botocore (AWS's SigV4 signer,
# which checks every request of the S3 tests), docker-registry (the CNCF
# distribution registry, for the OCI mirror tests), faketime (the reproducible-prefix
# test installs "an hour later") and tar (archives of prefixes compared byte for byte);
# the source-build tests make wheels of real build backends from python3-setuptools-whl
# (setuptools' own wheel) and the installed python3-wheel, flit (flit_core),
# python3-poetry-core and python3-hatchling (with its requirements), and compile a C
# extension against python3-dev's headers; git makes the repositories the git-entry test
# installs from (pixi-install itself checks them out with libgit2).
PIXI_INSTALL_TEST_DEPS=(
  python3 python3-yaml python3-packaging zstd libarchive-tools zip unzip nginx-light bzip2 util-linux
  clang libclang-rt-14-dev openssl squid curl python3-botocore docker-registry faketime tar
  python3-setuptools-whl python3-wheel flit python3-poetry-core python3-hatchling python3-dev gcc git
)
# What scripts/release.sh needs besides the build (the Zig toolchain comes from npm; npm
# itself is installed when missing) and what its acceptance test uses: readelf, an emulator
# for the aarch64 binary, a minimal Debian root and an image builder.
PIXI_INSTALL_RELEASE_DEPS=(
  dpkg-dev cmake make perl pkg-config meson ninja-build git binutils
)
PIXI_INSTALL_RELEASE_TEST_DEPS=(
  qemu-user-static debootstrap buildah openssl python3 util-linux
)

ensure_debian_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
