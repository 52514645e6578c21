#!/usr/bin/env bash
# Set-up, build and every test: `scripts/test.sh` (CI runs exactly this).
#
# Stages:
#   1. release build, every test (unit, corpus, e2e, lint)
#   2. clang AddressSanitizer + UndefinedBehaviorSanitizer build, every test but the
#      slowest corpus sweeps
#   3. each libFuzzer target for FUZZ_SECONDS (default 60), from the stage 2 build
#   4. ThreadSanitizer build, the concurrent pipeline tests (pool, cache, fetch, install)
#   5. the static release binaries (scripts/release.sh) and their acceptance tests
#      (scripts/release_test.sh); PIXI_INSTALL_NO_RELEASE=1 leaves this stage out
# PIXI_INSTALL_QUICK=1 runs stage 1 only. Extra arguments go to `meson test` in stage 1.
# Ends with each stage's duration, each skipped test with its reason, and one line
# "N passed, N failed, N skipped" over all stages. PIXI_INSTALL_NO_SKIPS=1 (.ci/run sets it)
# makes any skipped test a failure: where everything a test needs is installed, a skip is a
# broken set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
T_ALL=$SECONDS
STAGE=""; STAGE_T0=$SECONDS
STAGE_TIMES=()   # "  N s  stage ..." per stage
SKIP_LINES=()    # "stage N: test: reason" per skipped test

# Starts the clock of the next stage and stops the one before.
stage() {
  stage_end
  STAGE=$1; STAGE_T0=$SECONDS
  echo "== $1"
}
stage_end() {
  if [ -n "$STAGE" ]; then STAGE_TIMES+=("$(printf '%6d s  %s' $((SECONDS - STAGE_T0)) "$STAGE")"); fi
  STAGE=""
}

RELEASE=0
if [ "${PIXI_INSTALL_QUICK:-0}" != 1 ] && [ "${PIXI_INSTALL_NO_RELEASE:-0}" != 1 ]; then RELEASE=1; fi

stage "set-up: Debian packages"
source scripts/deps.sh
if [ $RELEASE = 1 ]; then
  # Every package of every stage now, so that nothing below runs apt beside the downloads.
  ensure_debian_packages "${PIXI_INSTALL_BUILD_DEPS[@]}" "${PIXI_INSTALL_TEST_DEPS[@]}" \
    "${PIXI_INSTALL_RELEASE_DEPS[@]}" "${PIXI_INSTALL_RELEASE_TEST_DEPS[@]}"
  command -v npm > /dev/null || ensure_debian_packages npm
  # Stage 5's downloads (the Zig toolchain, Debian's source packages, a Debian 12 root) wait on
  # the network, not the CPU: they run beside stages 1-4, in a session of their own that is
  # ended if this script ends first.
  PREFETCH_LOG=$(mktemp)
  # Then the release binaries' libraries, at the lowest priority: with a cold cache they take
  # minutes of compiler runs one after the other, done on the cores the test stages leave idle.
  setsid bash -c 'bash scripts/release.sh --fetch-only && bash scripts/release_test.sh --root-only &&
    nice -n 19 bash scripts/release.sh --libs-only' > "$PREFETCH_LOG" 2>&1 < /dev/null &
  PREFETCH_PID=$!
  trap 'kill -- -"$PREFETCH_PID" 2> /dev/null || true; rm -f "$PREFETCH_LOG"' EXIT
else
  ensure_debian_packages "${PIXI_INSTALL_BUILD_DEPS[@]}" "${PIXI_INSTALL_TEST_DEPS[@]}"
fi

# The upstream sdists the source-build tests build (from Debian's source packages, cached).
bash scripts/upstream.sh

PASSED=0; FAILED=0; SKIPPED=0
STATUS=0

# Runs `meson test` in build dir $1 (remaining args to meson test), adds its counts.
run_suite() {
  local dir=$1; shift
  local log; log=$(mktemp)
  set +e
  meson test -C "$dir" --print-errorlogs --num-processes "$(nproc)" "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  local ok fail skip timeout
  ok=$(awk '/^Ok:/{print $2}' "$log" | tail -1); fail=$(awk '/^Fail:/{print $2}' "$log" | tail -1)
  skip=$(awk '/^Skipped:/{print $2}' "$log" | tail -1); timeout=$(awk '/^Timeout:/{print $2}' "$log" | tail -1)
  PASSED=$((PASSED + ${ok:-0})); FAILED=$((FAILED + ${fail:-0} + ${timeout:-0})); SKIPPED=$((SKIPPED + ${skip:-0}))
  rm -f "$log"
  local line
  while IFS= read -r line; do SKIP_LINES+=("$line"); done < <(python3 scripts/skipped_tests.py "$dir" "${STAGE%%:*}")
  if [ "$rc" -ne 0 ]; then STATUS=1; fi
}

configure() {  # dir, meson options...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then meson setup "$dir" "$@"; fi
  ninja -C "$dir"
}

stage "stage 1: release build, all tests"
configure "${BUILD_DIR:-build}" --buildtype=release
run_suite "${BUILD_DIR:-build}" "$@"

if [ "${PIXI_INSTALL_QUICK:-0}" != 1 ]; then
  # One clang build serves both the sanitizer run and the fuzzers: every library is
  # built with AddressSanitizer + UndefinedBehaviorSanitizer and fuzzer coverage.
  stage "stage 2: AddressSanitizer + UndefinedBehaviorSanitizer (clang)"
  export CC=clang CXX=clang++
  configure build-san --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false \
    -Dfuzzing=true -Dcpp_args=-fsanitize=fuzzer-no-link -Dcpp_link_args=-fsanitize=fuzzer-no-link
  ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    LSAN_OPTIONS="suppressions=$PWD/test/lsan.supp" run_suite build-san --no-rebuild --no-suite slow

  stage "stage 3: fuzzing, ${FUZZ_SECONDS:-60}s per target"
  if BUILD_DIR=build-san bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"; then
    n=$(ls test/fuzz/*.cpp | wc -l); PASSED=$((PASSED + n))
  else
    FAILED=$((FAILED + 1)); STATUS=1
  fi
  unset CC CXX

  stage "stage 4: ThreadSanitizer, the concurrent pipeline"
  if [ ! -f build-tsan/build.ninja ]; then
    meson setup build-tsan --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false
  fi
  # Only what the pipeline tests run.
  ninja -C build-tsan pixi-install test/base_test test/cache_test test/install_test \
    test/fetch_test test/prefix_test test/archive_test
  # The crash test kills 25 runs here instead of 50: each run is several times slower.
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/test/tsan.supp" \
    PIXI_INSTALL_FAULT_KILLS=25 run_suite build-tsan --no-rebuild --suite pipeline
fi

if [ $RELEASE = 1 ]; then
  # The static binaries users copy onto their machines, and their acceptance tests (which
  # also run the e2e suite against the static x86_64 binary). Libraries are cached outside
  # the tree (scripts/release.sh), so only a cold cache builds them.
  stage "stage 5: release binaries (scripts/release.sh, scripts/release_test.sh)"
  if wait "$PREFETCH_PID"; then
    grep '^==' "$PREFETCH_LOG" || true
  else
    echo "(the downloads and library builds begun at the start failed; release.sh and release_test.sh try again)"
    tail -20 "$PREFETCH_LOG"
  fi
  rm -f "$PREFETCH_LOG"
  log=$(mktemp)
  set +e
  bash scripts/release.sh && bash scripts/release_test.sh 2>&1 | tee "$log"
  rc=$?  # pipefail: a failure of either script
  set -e
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -1)
  while IFS= read -r l; do SKIP_LINES+=("stage 5: release_test: ${l#skip }"); done < <(grep '^skip ' "$log")
  rm -f "$log"
  if [ -n "$line" ]; then
    read -r p _ f _ s _ <<<"${line//,/}"
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
  else
    FAILED=$((FAILED + 1))
  fi
  if [ "$rc" -ne 0 ]; then STATUS=1; fi
fi

stage_end
echo "== durations"
printf '%s\n' "${STAGE_TIMES[@]}"
printf '%6d s  in all\n' $((SECONDS - T_ALL))
if [ "$SKIPPED" -gt 0 ]; then
  echo "== skipped tests"
  if [ ${#SKIP_LINES[@]} -gt 0 ]; then printf '  %s\n' "${SKIP_LINES[@]}"; fi
  if [ "${PIXI_INSTALL_NO_SKIPS:-0}" = 1 ]; then
    echo "test.sh: $SKIPPED test(s) skipped, and PIXI_INSTALL_NO_SKIPS=1 counts a skip as a failure" \
      "(a tool or a permission the test needs is missing: see the reasons above)" >&2
    STATUS=1
  fi
fi
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
exit $STATUS
