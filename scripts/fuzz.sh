#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz/ with clang + AddressSanitizer in a
# separate build directory and runs each for N seconds (default 60) from its seeds
# in test/fuzz/corpus/<target>/. Fails when any target crashes.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Environment: BUILD_DIR (default build-fuzz), CXX (default clang++), FUZZ_JOBS (compile jobs,
# default 2), FUZZ_PARALLEL (targets run at once, default: the number of cores),
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
# Each target is one single-threaded process: they run side by side, as many at a time as
# there are cores (FUZZ_PARALLEL), each for its full time, its output shown when it ends.
PARALLEL=${FUZZ_PARALLEL:-$(nproc)}
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
fuzz_one() {
  local t=$1 seeds="test/fuzz/corpus/$1" work="$BUILD/fuzz-corpus/$1" artifacts="$BUILD/fuzz-artifacts/$1/"
  mkdir -p "$work" "$artifacts"
  [ -d "$seeds" ] || { echo "fuzz.sh: warning: no seeds in $seeds"; seeds=""; }
  "$BUILD/test/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=25 -rss_limit_mb=2048 -seed="${FUZZ_SEED:-1}" \
    -artifact_prefix="$artifacts" -print_final_stats=1 "$work" $seeds
}
failed=()
declare -A PIDS=()
finish() {  # waits for target $1 and reports it
  local t=$1
  if wait "${PIDS[$t]}"; then
    echo "== $t: $(grep -E '^stat::number_of_executed_units' "$LOGS/$t" | awk '{print $2}') runs in ${SECONDS_PER_TARGET}s, no crash"
  else
    cat "$LOGS/$t"
    failed+=("$t")
    echo "fuzz.sh: $t failed; reproducer(s) in $BUILD/fuzz-artifacts/$t/" >&2
  fi
  unset "PIDS[$t]"
}
running=()
for t in "${TARGETS[@]}"; do
  if [ ${#running[@]} -ge "$PARALLEL" ]; then
    finish "${running[0]}"
    running=("${running[@]:1}")
  fi
  echo "== $t for ${SECONDS_PER_TARGET}s"
  fuzz_one "$t" > "$LOGS/$t" 2>&1 &
  PIDS[$t]=$!
  running+=("$t")
done
for t in "${running[@]}"; do finish "$t"; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no crashes in ${TARGETS[*]}"
