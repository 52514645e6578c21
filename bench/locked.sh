#!/bin/bash
# `check --locked` against `list` on the largest corpus lock (robotology): the
# satisfiability check must cost at most 1.5x reading the lock. Best of N rounds each.
# usage: bench/locked.sh [build dir] [rounds]
set -euo pipefail
BUILD=${1:-build}
ROUNDS=${2:-7}
BIN="$BUILD/pixi-install"
LOCKS="$(dirname "$0")/../../shared/corpus/locks"
LOCK="$LOCKS/robotology__robotology-superbuild__pixi.lock"
MANIFEST="$LOCKS/robotology__robotology-superbuild__pixi.pixi.toml"
[ -f "$LOCK" ] || { echo "skipped: $LOCK is not present"; exit 77; }
best() {
    local b=999999
    for _ in $(seq "$ROUNDS"); do
        local s e
        s=$(date +%s%N)
        "$@" >/dev/null 2>&1 || true
        e=$(date +%s%N)
        local ms=$(( (e - s) / 1000000 ))
        (( ms < b )) && b=$ms
    done
    echo "$b"
}
list_ms=$(best "$BIN" list -l "$LOCK")
locked_ms=$(best "$BIN" check --locked -l "$LOCK" --manifest "$MANIFEST")
"$BIN" check --locked -l "$LOCK" --manifest "$MANIFEST" >/dev/null 2>&1 && rc=0 || rc=$?
echo "list:           ${list_ms} ms"
echo "check --locked: ${locked_ms} ms (exit ${rc})"
awk -v a="$locked_ms" -v b="$list_ms" 'BEGIN { printf "ratio:          %.2f (limit 1.50)\n", a / b; exit (a > 1.5 * b) }'
