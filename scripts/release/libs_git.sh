#!/usr/bin/env bash
# Builds libgit2 (and the HTTP parser it uses) for the static release binaries, so `git+`
# PyPI entries are checked out with no git executable on the machine. Sourced by
# scripts/release.sh after scripts/release/libs.sh, with the same variables; PREFIX is a
# copy of the other libraries' prefix (libgit2 links their OpenSSL and zlib), so a change
# here rebuilds only these two. The sources are pinned in scripts/release/git.txt; every
# option below is part of this layer's cache key (this file's hash).
set -euo pipefail

libs_http_parser() {
  local d
  d=$(libs_copy http-parser)
  # One C file; the Makefile builds a shared library only.
  (cd "$d" && "$CC" -O2 $CFLAGS_COMMON -DHTTP_PARSER_STRICT=0 -c http_parser.c -o http_parser.o &&
    "$AR" rcs libhttp_parser.a http_parser.o) > "$WORK/http-parser.log" 2>&1 ||
    { tail -40 "$WORK/http-parser.log"; return 1; }
  install -m 644 "$d/libhttp_parser.a" "$PREFIX/lib/"
  install -m 644 "$d/http_parser.h" "$PREFIX/include/"
  libs_pc http_parser 2.9.4 -lhttp_parser
}

libs_libgit2() {
  # HTTPS through the bundled OpenSSL (the certificate locations and proxy are set at run
  # time by pixi-install), git's own SHA-1 collision detection, musl's regcomp (Debian's
  # repacked source has no bundled PCRE), the system HTTP parser built above; no SSH,
  # GSSAPI, NTLM or iconv, no command-line tool, tests or examples.
  libs_cmake libgit2 . -DBUILD_CLI=OFF -DBUILD_TESTS=OFF -DBUILD_EXAMPLES=OFF -DBUILD_FUZZERS=OFF \
    -DUSE_HTTPS=OpenSSL -DUSE_SHA1=CollisionDetection -DUSE_SHA256=HTTPS -DUSE_SSH=OFF -DUSE_GSSAPI=OFF \
    -DUSE_NTLMCLIENT=OFF -DUSE_HTTP_PARSER=system -DREGEX_BACKEND=regcomp -DUSE_BUNDLED_ZLIB=OFF \
    -DUSE_ICONV=OFF -DUSE_THREADS=ON -DUSE_NSEC=ON -DENABLE_REPRODUCIBLE_BUILDS=ON \
    -DHTTP_PARSER_INCLUDE_DIR="$PREFIX/include" -DHTTP_PARSER_LIBRARY="$PREFIX/lib/libhttp_parser.a"
  (cmake --build "$WORK/libgit2-build" -j"$JOBS" && cmake --install "$WORK/libgit2-build") \
    > "$WORK/libgit2.log" 2>&1 || { tail -40 "$WORK/libgit2.log"; return 1; }
}

libs_build_git() {
  mkdir -p "$WORK"
  libs_toolchain
  local lib t0
  for lib in http_parser libgit2; do
    t0=$SECONDS
    echo "  $TARGET: $lib"
    "libs_$lib"
    echo "  $TARGET: $lib done in $((SECONDS - t0)) s"
  done
}
