#!/usr/bin/env bash
# The one entry point for the project's benchmarks.
#
#   bench/run.sh [NAME...]        # all benchmarks, or only the named ones
#
# Each benchmark is a script bench/<name>.sh or bench/<name>.py that prints one
# or more lines `metric: ours X, peer Y, ratio Z` (anything else it prints is
# passed through). Helpers that are not benchmarks themselves (input
# generators and the like) are named `*_gen.*` or `_*` and are not run. This script runs them in turn and ends with a table of every
# such line. The binary comes from $PIXI_INSTALL_BIN, else the static release binary users
# get (dist/pixi-install-*-linux-<arch>, scripts/release.sh) when it has been built, else the
# first of build/pixi-install, build-*/pixi-install that exists; the run says which.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
if [[ -z "${PIXI_INSTALL_BIN:-}" ]]; then
    for cand in "$root"/dist/pixi-install-*-linux-"$(uname -m)" "$root/build/pixi-install" \
                "$root"/build-*/pixi-install; do
        [[ -x "$cand" ]] || continue
        # A release binary of another commit is not what this tree would give users.
        if [[ "$cand" == "$root"/dist/* ]] && head=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null) &&
           ! "$cand" --version 2>/dev/null | grep -q "$head"; then
            echo "bench: $cand was built from another commit; measuring the next candidate (rebuild: scripts/release.sh)" >&2
            continue
        fi
        PIXI_INSTALL_BIN="$cand"
        break
    done
fi
if [[ -z "${PIXI_INSTALL_BIN:-}" || ! -x "$PIXI_INSTALL_BIN" ]]; then
    echo "bench: no pixi-install binary (build it, or set PIXI_INSTALL_BIN)" >&2
    exit 2
fi
export PIXI_INSTALL_BIN
echo "binary: $PIXI_INSTALL_BIN ($("$PIXI_INSTALL_BIN" --version | sed -n 's/^target: //p'))"
# The peers the benchmarks compare against (Debian packages).
# shellcheck source=../scripts/deps.sh
source "$root/scripts/deps.sh"
ensure_debian_packages conda-package-handling python3-installer python3-pip aria2 nginx-light curl \
  libarchive-tools unzip zstd python3-yaml time bc cpio
set +e -o pipefail  # deps.sh sets -e; a failing benchmark must not stop the others
export PIXI_INSTALL_SHARED="${PIXI_INSTALL_SHARED:-$root/../shared}"

# Every benchmark script, in name order (run.sh itself excluded).
benches=()
for f in "$here"/*.sh "$here"/*.py; do
    [[ -e "$f" ]] || continue
    name="$(basename "$f")"; name="${name%.*}"
    [[ "$name" == run || "$name" == *_gen || "$name" == _* ]] && continue
    if [[ $# -gt 0 ]]; then
        keep=0; for want in "$@"; do [[ "$want" == "$name" ]] && keep=1; done
        [[ $keep == 1 ]] || continue
    fi
    benches+=("$f")
done

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
status=0
for f in "${benches[@]}"; do
    name="$(basename "$f")"; name="${name%.*}"
    echo "== $name"
    case "$f" in
        *.py) out="$(python3 "$f" 2>&1)"; rc=$? ;;
        *) out="$(bash "$f" 2>&1)"; rc=$? ;;
    esac
    echo "$out"
    if [[ $rc -ne 0 ]]; then echo "   ($name failed with exit $rc)"; status=1; fi
    grep -E '^[A-Za-z0-9_.-]+: ours .*, peer .*, ratio ' <<<"$out" | sed "s/^/$name\t/" >>"$results"
done

echo
echo "== summary ($(uname -m), $(nproc) cpus, $(date -u +%Y-%m-%dT%H:%MZ))"
printf '%-14s %-22s %-14s %-14s %s\n' benchmark metric ours peer ratio
while IFS=$'\t' read -r bench line; do
    metric="${line%%:*}"
    rest="${line#*: ours }"
    ours="${rest%%, peer *}"
    rest="${rest#*, peer }"
    peer="${rest%%, ratio *}"
    ratio="${rest#*, ratio }"
    printf '%-14s %-22s %-14s %-14s %s\n' "$bench" "$metric" "$ours" "$peer" "$ratio"
done <"$results"
exit $status
