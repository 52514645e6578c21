#!/usr/bin/env bash
# No-op benchmark: re-installing an up-to-date prefix, for generated locks of 100, 1,000
# and 10,000 packages, against `sha256sum pixi.lock` (reading and hashing the lock once,
# the least any "has it changed?" check can do). Medians of 21 runs of each.
#   noop_<N>    : the fast path (the lock is hashed, not parsed)       target: ratio <= 3
#   parse_<N>   : the same no-op with the memo removed before each run (the lock is parsed
#                 and the record fingerprint compared: what every no-op cost before)
# Usage: bench/noop.sh [N...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN=${PIXI_INSTALL_BIN:?set PIXI_INSTALL_BIN (bench/run.sh does)}
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100 1000 10000)
work=$(mktemp -d "${TMPDIR:-/tmp}/noop-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

for n in "${sizes[@]}"; do
  d="$work/lock-$n"
  python3 "$here/noop_gen.py" "$d" "$n"
  "$BIN" -q -l "$d/pixi.lock" -p "$d/env" --cache-dir "$work/cache" --offline
  python3 - "$BIN" "$d" "$work/cache" "$n" <<'PY'
import glob, os, subprocess, sys, time
b, d, cache, n = sys.argv[1:5]
lock = os.path.join(d, "pixi.lock")
install = [b, "-q", "-l", lock, "-p", os.path.join(d, "env"), "--cache-dir", cache, "--offline"]

def median(cmd, before=None):
    ts = []
    for _ in range(21):
        if before:
            before()
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    return sorted(ts)[10] * 1000

def drop_memo():
    for f in glob.glob(os.path.join(cache, "noop", "*")):
        os.unlink(f)

subprocess.run(install, check=True)  # leaves the memo
ours = median(install)
peer = median(["sha256sum", lock])
parse = median(install, drop_memo)
subprocess.run(install, check=True)
size = os.path.getsize(lock)
print(f"lock of {n} packages: {size / 1024:.0f} KiB")
print(f"noop_{n}: ours {ours:.1f}ms, peer {peer:.1f}ms, ratio {ours / peer:.2f}   (peer: sha256sum pixi.lock; target <= 3)")
print(f"parse_{n}: ours {parse:.1f}ms, peer {peer:.1f}ms, ratio {parse / peer:.2f}   (the no-op without the memo: the lock parsed)")
PY
done
