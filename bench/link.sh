#!/bin/sh
# Warm-install linking vs `cp -al` of the same payload.
# usage: bench/link.sh BUILD_DIR [N_PACKAGES] [FILES_PER_PACKAGE] [JOBS]
set -eu
build=${1:?build dir}; n=${2:-200}; f=${3:-100}; j=${4:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/link-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 "$(dirname "$0")/link_gen.py" "$work/pkgs" "$n" "$f"
mkdir -p "$work/payload"
for p in "$work"/pkgs/*; do (cd "$p" && tar cf - --exclude=./info .) | tar xf - -C "$work/payload"; done
sync
start=$(date +%s.%N); cp -al "$work/payload" "$work/cpal"; end=$(date +%s.%N)
echo "cp -al: $(python3 -c "print(round($end - $start, 3))") s"
for mode in hardlink auto copy; do
  "$build/bench/link_bench" -j "$j" -m "$mode" "$work/env-$mode" "$work"/pkgs/*
done
