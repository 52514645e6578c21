#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz/ with clang + AddressSanitizer in a
# separate build directory and runs each for N seconds (default 60) from its seeds
# in test/fuzz/corpus/<target>/. Fails when any target crashes.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Environment: BUILD_DIR (default build-fuzz), CXX (default clang++), FUZZ_JOBS (default 1),
# FUZZ_SEED (default 1, so a run is repeatable; 0 lets libFuzzer pick one).
# New inputs found go to $BUILD_DIR/fuzz-corpus/<target>/ (the committed seeds stay as
# they are); crashing inputs to $BUILD_DIR/fuzz-artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-60}
shift || true
BUILD=${BUILD_DIR:-build-fuzz}
export CXX=${CXX:-clang++}
export CC=${CC:-clang}

if [ ! -f "$BUILD/build.ninja" ]; then
  # Instrument every library for coverage; the targets themselves link libFuzzer.
  meson setup "$BUILD" --buildtype=debugoptimized -Dfuzzing=true -Dtests=false \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dcpp_args=-fsanitize=fuzzer-no-link -Dcpp_link_args=-fsanitize=fuzzer-no-link
fi

# The fuzz targets: every executable defined in test/fuzz/meson.build.
mapfile -t ALL < <(meson introspect "$BUILD" --targets | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and "/test/fuzz/" in t["defined_in"].replace("\\", "/"):
        print(t["name"])')
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
[ ${#TARGETS[@]} -gt 0 ] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }

ninja -C "$BUILD" -j "${FUZZ_JOBS:-2}" $(printf 'test/fuzz/%s ' "${TARGETS[@]}")

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${TARGETS[@]}"; do
  seeds="test/fuzz/corpus/$t"
  work="$BUILD/fuzz-corpus/$t"
  artifacts="$BUILD/fuzz-artifacts/$t/"
  mkdir -p "$work" "$artifacts"
  [ -d "$seeds" ] || { echo "fuzz.sh: warning: no seeds in $seeds" >&2; seeds=""; }
  echo "== $t for ${SECONDS_PER_TARGET}s"
  if ! "$BUILD/test/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=25 -rss_limit_mb=2048 -seed="${FUZZ_SEED:-1}" \
       -artifact_prefix="$artifacts" -print_final_stats=1 "$work" $seeds; then
    failed+=("$t")
    echo "fuzz.sh: $t failed; reproducer(s) in $artifacts" >&2
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no crashes in ${TARGETS[*]}"
