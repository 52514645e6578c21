#!/usr/bin/env bash
# Install benchmark: a generated environment (default ~150 packages, ~20k files,
# ~1 GB unpacked) installed from local artifacts.
#   cold   : empty cache, new prefix      vs the decompression floor (the same archives
#                                          extracted in parallel with bsdtar / unzip+zstd)
#                                          and conda-package-handling's `cph extract`
#   warm   : populated cache, new prefix  vs `cp -al` of the extracted packages
#   noop   : re-install of an up-to-date prefix (target: under 20 ms)
#   memory : peak RSS of the cold install (target: under 150 MB)
# Usage: bench/install.sh [N_PACKAGES] [TOTAL_FILES] [TOTAL_MB]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN=${PIXI_INSTALL_BIN:?set PIXI_INSTALL_BIN (bench/run.sh does)}
N=${1:-150}; FILES=${2:-20000}; MB=${3:-1000}
JOBS=$(nproc)
work=$(mktemp -d "${TMPDIR:-/tmp}/install-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 "$here/install_gen.py" "$work/env" "$N" "$FILES" "$MB" >&2
now() { date +%s.%N; }
ratio() { python3 -c "import sys; o,p=float(sys.argv[1]),float(sys.argv[2]); print(f'{o/p:.2f}' if p>0 else 'inf')" "$1" "$2"; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.3f}')" "$1" "$2"; }
drop() { sync; }

# The floor: extract every archive in parallel, nothing else.
extract_one() {
  f=$1; d=$2/$(basename "$f"); mkdir -p "$d"
  case "$f" in
    *.tar.bz2) bsdtar -xf "$f" -C "$d" ;;
    *.conda) for m in $(unzip -Z1 "$f" '*.tar.zst'); do unzip -p "$f" "$m" | zstd -dc -q | bsdtar -xf - -C "$d"; done ;;
  esac
}
export -f extract_one
drop; t0=$(now)
ls "$work"/env/pkgs/* | xargs -P "$JOBS" -I{} bash -c 'extract_one "$1" "$2"' _ {} "$work/floor"
t1=$(now); floor=$(secs "$t0" "$t1")

cph_time=""
if command -v cph >/dev/null; then
  mkdir -p "$work/cph"
  drop; t0=$(now)
  ls "$work"/env/pkgs/* | xargs -P "$JOBS" -I{} cph extract --dest "$work/cph" {} >/dev/null 2>&1 || true
  t1=$(now); cph_time=$(secs "$t0" "$t1")
fi

# Cold install: empty cache, new prefix (peak memory measured on the same run).
drop; t0=$(now)
/usr/bin/time -f "%M" -o "$work/rss" "$BIN" -q -l "$work/env/pixi.lock" -p "$work/prefix-cold" --cache-dir "$work/cache"
t1=$(now); cold=$(secs "$t0" "$t1"); rss_kb=$(cat "$work/rss")

# Warm install: the cache is populated (extracted packages), new prefix.
drop; t0=$(now)
"$BIN" -q -l "$work/env/pixi.lock" -p "$work/prefix-warm" --cache-dir "$work/cache"
t1=$(now); warm=$(secs "$t0" "$t1")
drop; t0=$(now)
cp -al "$work/cache/pkgs" "$work/cpal"
t1=$(now); cpal=$(secs "$t0" "$t1")

# No-op: the prefix is up to date (median of 21 runs).
noop=$(python3 - "$BIN" "$work" <<'PY'
import subprocess, sys, time
b, w = sys.argv[1], sys.argv[2]
ts = []
for _ in range(21):
    t = time.perf_counter()
    subprocess.run([b, "-q", "-l", f"{w}/env/pixi.lock", "-p", f"{w}/prefix-warm", "--cache-dir", f"{w}/cache"], check=True)
    ts.append(time.perf_counter() - t)
print(f"{sorted(ts)[10] * 1000:.1f}")
PY
)
true_ms=$(python3 -c "
import subprocess,time
ts=[]
for _ in range(21):
    t=time.perf_counter(); subprocess.run(['true']); ts.append(time.perf_counter()-t)
print(f'{sorted(ts)[10]*1000:.1f}')")

echo "environment: $N packages, $(find "$work/prefix-cold" -type f | wc -l) files, $(du -sm "$work/prefix-cold" | cut -f1) MiB, $JOBS cpus"
echo "cold_vs_floor: ours ${cold}s, peer ${floor}s, ratio $(ratio "$cold" "$floor")   (target <= 1.3)"
[ -n "$cph_time" ] && echo "cold_vs_cph: ours ${cold}s, peer ${cph_time}s, ratio $(ratio "$cold" "$cph_time")"
echo "warm_vs_cp_al: ours ${warm}s, peer ${cpal}s, ratio $(ratio "$warm" "$cpal")   (target <= 1.5)"
echo "noop_ms: ours ${noop}ms, peer ${true_ms}ms, ratio $(ratio "$noop" "$true_ms")   (peer: spawning /bin/true; target: ours < 20 ms)"
echo "peak_rss_mb: ours $((rss_kb / 1024))MB, peer 150MB, ratio $(ratio "$rss_kb" 153600)   (target < 1)"
