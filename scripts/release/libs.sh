#!/usr/bin/env bash
# Builds the third-party libraries of the static release binaries for one target, each by
# its own upstream build system (OpenSSL's Configure, CMake, Makefiles), with Zig's clang
# and musl, into a prefix that the Meson cross build of pixi-install reads through
# pkg-config. Sourced by scripts/release.sh, which sets:
#   ZIG          the zig executable
#   SRC_DIR      the unpacked Debian source trees (one directory per source package)
#   HDR_DIR      the extracted header-only -dev packages
#   TARGET       x86_64-linux-musl or aarch64-linux-musl
#   PREFIX       where the libraries go (a temporary name; the caller renames it into place)
#   WORK         a scratch directory for the builds
#   JOBS         parallel jobs
# Every option below is part of the cache key (this file's hash), so a change rebuilds.
set -euo pipefail

libs_toolchain() {
  local bin=$WORK/bin
  mkdir -p "$bin"
  # -O2 first: zig cc turns on UBSan traps when no optimisation level is given
  # (configure checks); the build systems' own -O flags come later and win.
  printf '#!/bin/sh\nexec "%s" cc -target %s -O2 "$@"\n' "$ZIG" "$TARGET" > "$bin/cc"
  printf '#!/bin/sh\nexec "%s" c++ -target %s -O2 "$@"\n' "$ZIG" "$TARGET" > "$bin/c++"
  printf '#!/bin/sh\nexec "%s" ar "$@"\n' "$ZIG" > "$bin/ar"
  printf '#!/bin/sh\nexec "%s" ranlib "$@"\n' "$ZIG" > "$bin/ranlib"
  chmod +x "$bin"/*
  CC=$bin/cc CXX=$bin/c++ AR=$bin/ar RANLIB=$bin/ranlib
  CFLAGS_COMMON="-ffunction-sections -fdata-sections"
  local processor=${TARGET%%-*}
  cat > "$WORK/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR $processor)
set(CMAKE_C_COMPILER $CC)
set(CMAKE_CXX_COMPILER $CXX)
set(CMAKE_AR $AR CACHE FILEPATH "")
set(CMAKE_RANLIB $RANLIB CACHE FILEPATH "")
set(CMAKE_FIND_ROOT_PATH $PREFIX)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_C_FLAGS_INIT "$CFLAGS_COMMON")
set(CMAKE_CXX_FLAGS_INIT "$CFLAGS_COMMON")
EOF
}

# A fresh copy of a source tree to build in (the unpacked sources stay clean).
libs_copy() {
  rm -rf "$WORK/$1"
  cp -a "$SRC_DIR/$1" "$WORK/$1"
  echo "$WORK/$1"
}

libs_cmake() {  # libs_cmake NAME SOURCE_SUBDIR cmake-options...
  local name=$1 sub=$2
  shift 2
  cmake -S "$SRC_DIR/$name/$sub" -B "$WORK/$name-build" -G "Unix Makefiles" \
    -DCMAKE_TOOLCHAIN_FILE="$WORK/toolchain.cmake" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DBUILD_SHARED_LIBS=OFF -DBUILD_TESTING=OFF "$@" > "$WORK/$name-configure.log" 2>&1 ||
    { tail -40 "$WORK/$name-configure.log"; return 1; }
}

libs_pc() {  # libs_pc NAME VERSION LIBS [CFLAGS]: a pkg-config file for a Makefile-built library
  cat > "$PREFIX/lib/pkgconfig/$1.pc" <<EOF
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: $1
Description: $1 (bundled, static)
Version: $2
Libs: -L\${libdir} $3
Cflags: -I\${includedir} ${4:-}
EOF
}

libs_zlib() {
  local d
  d=$(libs_copy zlib)
  (cd "$d" && CC=$CC AR=$AR RANLIB=$RANLIB CFLAGS="-O2 $CFLAGS_COMMON" ./configure --static --prefix="$PREFIX" &&
    make -j"$JOBS" libz.a && make install) > "$WORK/zlib.log" 2>&1 || { tail -40 "$WORK/zlib.log"; return 1; }
}

libs_bzip2() {
  local d
  d=$(libs_copy bzip2)
  (cd "$d" && make -j"$JOBS" libbz2.a CC="$CC" AR="$AR" RANLIB="$RANLIB" \
    CFLAGS="-O2 -D_FILE_OFFSET_BITS=64 $CFLAGS_COMMON") > "$WORK/bzip2.log" 2>&1 ||
    { tail -40 "$WORK/bzip2.log"; return 1; }
  install -m 644 "$d/libbz2.a" "$PREFIX/lib/"
  install -m 644 "$d/bzlib.h" "$PREFIX/include/"
  libs_pc bzip2 1.0.8 -lbz2
}

libs_zstd() {
  local d
  d=$(libs_copy libzstd)
  # The library only, single-threaded (pixi-install decompresses, one stream per thread).
  (cd "$d/lib" && make -j"$JOBS" libzstd.a CC="$CC" AR="$AR" ZSTD_LEGACY_SUPPORT=0 \
    CFLAGS="-O2 $CFLAGS_COMMON" &&
    make install-static install-includes install-pc PREFIX="$PREFIX" LIBDIR="$PREFIX/lib") \
    > "$WORK/zstd.log" 2>&1 || { tail -40 "$WORK/zstd.log"; return 1; }
}

libs_xxhash() {
  local d
  d=$(libs_copy xxhash)
  (cd "$d" && make -j"$JOBS" libxxhash.a CC="$CC" AR="$AR" CFLAGS="-O2 $CFLAGS_COMMON") \
    > "$WORK/xxhash.log" 2>&1 || { tail -40 "$WORK/xxhash.log"; return 1; }
  install -m 644 "$d/libxxhash.a" "$PREFIX/lib/"
  install -m 644 "$d/xxhash.h" "$d/xxh3.h" "$PREFIX/include/"
  libs_pc libxxhash 0.8.1 -lxxhash
}

libs_libdeflate() {
  local d
  d=$(libs_copy libdeflate)
  (cd "$d" && make -j"$JOBS" libdeflate.a CC="$CC" AR="$AR" CFLAGS="-O2 $CFLAGS_COMMON") \
    > "$WORK/libdeflate.log" 2>&1 || { tail -40 "$WORK/libdeflate.log"; return 1; }
  install -m 644 "$d/libdeflate.a" "$PREFIX/lib/"
  install -m 644 "$d/libdeflate.h" "$PREFIX/include/"
  libs_pc libdeflate 1.14 -ldeflate
}

libs_openssl() {
  local d os
  d=$(libs_copy openssl)
  case $TARGET in
    x86_64-*) os=linux-x86_64 ;;
    aarch64-*) os=linux-aarch64 ;;
  esac
  # libcrypto and libssl only, no engines or loadable modules (a static binary cannot load
  # them), no protocols curl does not speak. The certificate locations are set at run time
  # by pixi-install; --openssldir only names where openssl.cnf would be read.
  (cd "$d" && CC=$CC AR=$AR RANLIB=$RANLIB ./Configure "$os" no-shared no-module no-dso no-engine \
    no-tests no-comp no-ssl3 no-dtls no-srp no-legacy no-afalgeng no-ui-console \
    --prefix="$PREFIX" --libdir=lib --openssldir=/etc/ssl $CFLAGS_COMMON &&
    make -j"$JOBS" build_libs && make install_dev) > "$WORK/openssl.log" 2>&1 ||
    { tail -40 "$WORK/openssl.log"; return 1; }
}

libs_nghttp2() {
  libs_cmake nghttp2 . -DENABLE_LIB_ONLY=ON -DENABLE_STATIC_LIB=ON -DENABLE_SHARED_LIB=OFF \
    -DENABLE_DOC=OFF -DWITH_LIBXML2=OFF -DWITH_JEMALLOC=OFF
  (cmake --build "$WORK/nghttp2-build" -j"$JOBS" && cmake --install "$WORK/nghttp2-build") \
    > "$WORK/nghttp2.log" 2>&1 || { tail -40 "$WORK/nghttp2.log"; return 1; }
}

libs_curl() {
  # HTTP and HTTPS only (HTTP_ONLY), HTTP/2 through nghttp2, OpenSSL, gzip/deflate and zstd
  # content decoding; no LDAP, GSSAPI, RTMP, SSH, IDN, PSL, brotli. The threaded resolver
  # keeps connect timeouts working for DNS.
  libs_cmake curl . -DBUILD_CURL_EXE=OFF -DCURL_USE_OPENSSL=ON -DUSE_NGHTTP2=ON -DCURL_ZLIB=ON \
    -DCURL_ZSTD=ON -DCURL_BROTLI=OFF -DHTTP_ONLY=ON -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON \
    -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF -DUSE_LIBIDN2=OFF \
    -DENABLE_THREADED_RESOLVER=ON -DENABLE_ARES=OFF -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none \
    -DCURL_DISABLE_ALTSVC=ON -DENABLE_MANUAL=OFF -DUSE_NGTCP2=OFF -DUSE_QUICHE=OFF
  (cmake --build "$WORK/curl-build" -j"$JOBS" && cmake --install "$WORK/curl-build") \
    > "$WORK/curl.log" 2>&1 || { tail -40 "$WORK/curl.log"; return 1; }
}

libs_libarchive() {
  # zstd, bzip2 and zlib only: what .conda, .tar.bz2 and .whl need.
  libs_cmake libarchive . -DENABLE_ZSTD=ON -DENABLE_BZip2=ON -DENABLE_ZLIB=ON -DENABLE_LZ4=OFF \
    -DENABLE_LZMA=OFF -DENABLE_LZO=OFF -DENABLE_LIBB2=OFF -DENABLE_LIBXML2=OFF -DENABLE_EXPAT=OFF \
    -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF -DENABLE_NETTLE=OFF -DENABLE_CNG=OFF -DENABLE_ACL=OFF \
    -DENABLE_XATTR=OFF -DENABLE_TAR=OFF -DENABLE_CPIO=OFF -DENABLE_CAT=OFF -DENABLE_TEST=OFF \
    -DENABLE_COVERAGE=OFF -DENABLE_WERROR=OFF
  # Only the static library: the shared one is not wanted (and not built).
  cmake --build "$WORK/libarchive-build" -j"$JOBS" --target archive_static \
    > "$WORK/libarchive.log" 2>&1 || { tail -40 "$WORK/libarchive.log"; return 1; }
  install -m 644 "$WORK/libarchive-build/libarchive/libarchive.a" "$PREFIX/lib/"
  install -m 644 "$SRC_DIR/libarchive/libarchive/archive.h" \
    "$SRC_DIR/libarchive/libarchive/archive_entry.h" "$PREFIX/include/"
  sed -e "s|^prefix=.*|prefix=$PREFIX|" "$WORK/libarchive-build/build/pkgconfig/libarchive.pc" \
    > "$PREFIX/lib/pkgconfig/libarchive.pc"
}

libs_yamlcpp() {
  libs_cmake yaml-cpp . -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF \
    -DYAML_CPP_BUILD_CONTRIB=OFF -DYAML_BUILD_SHARED_LIBS=OFF
  (cmake --build "$WORK/yaml-cpp-build" -j"$JOBS" && cmake --install "$WORK/yaml-cpp-build") \
    > "$WORK/yaml-cpp.log" 2>&1 || { tail -40 "$WORK/yaml-cpp.log"; return 1; }
}

libs_headers() {
  # Header-only libraries: the headers of Debian's -dev packages, and pkg-config files of
  # our own (Debian's name /usr).
  cp -a "$HDR_DIR/usr/include/toml++" "$HDR_DIR/usr/include/nlohmann" "$HDR_DIR/usr/include/CLI" \
    "$PREFIX/include/"
  libs_pc tomlplusplus 3.3.0 ""
  libs_pc nlohmann_json 3.11.2 ""
  libs_pc CLI11 2.1.2 ""
}

libs_build_all() {
  mkdir -p "$PREFIX/lib/pkgconfig" "$PREFIX/include" "$WORK"
  libs_toolchain
  local lib t0
  for lib in headers zlib bzip2 zstd xxhash libdeflate openssl nghttp2 curl libarchive yamlcpp; do
    t0=$SECONDS
    echo "  $TARGET: $lib"
    "libs_$lib"
    echo "  $TARGET: $lib done in $((SECONDS - t0)) s"
  done
}
