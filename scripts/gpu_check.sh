#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and its driver: checks what pixi-install reports as
# __cuda against the driver itself, through each source the binary has.
#
#   scripts/gpu_check.sh [BINARY]     (default: dist/pixi-install-*-linux-x86_64, else build/pixi-install)
#
# 1. nvidia-smi's CUDA version == `info --json`'s __cuda (source nvidia-smi in the static
#    binary; NVML or libcuda in the developer build).
# 2. With nvidia-smi out of PATH (as in a container started with
#    NVIDIA_DRIVER_CAPABILITIES=compute): the static binary answers from the driver's
#    files, with the release /proc/driver/nvidia/version names, and a CUDA version that is
#    nvidia-smi's (the table's newest row when the driver is newer than the table).
# Prints one line per check and "N passed, N failed"; exit 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-$(ls dist/pixi-install-*-linux-x86_64 2>/dev/null | head -1)}
[ -n "$BIN" ] || BIN=build/pixi-install
PASS=0; FAIL=0
ok() { echo "ok   $*"; PASS=$((PASS + 1)); }
bad() { echo "FAIL $*"; FAIL=$((FAIL + 1)); }

command -v nvidia-smi > /dev/null || { echo "no nvidia-smi on this machine: nothing to check"; exit 1; }
smi=$(nvidia-smi --query -u -x | sed -n 's:.*<cuda_version>\(.*\)</cuda_version>.*:\1:p' | head -1)
release=$(sed -n 's/^NVRM version:.*Module[^0-9]*\([0-9][0-9.]*\).*/\1/p' /proc/driver/nvidia/version 2>/dev/null | head -1)
echo "binary: $BIN; nvidia-smi says CUDA $smi; kernel module $release"

cuda_of() {  # info --json -> "version source"
  python3 -c 'import json,sys
j=json.load(sys.stdin)
v=[p for p in j["virtual_packages"] if p["name"]=="__cuda"][0]
print(v["version"] or "", j["host"]["cuda_source"] or "", j["host"].get("cuda_driver_release") or "")'
}

read -r v src _ < <("$BIN" info --json | cuda_of)
if [ "$v" = "$smi" ]; then ok "__cuda $v from $src equals nvidia-smi's"; else bad "__cuda '$v' from '$src', nvidia-smi says '$smi'"; fi

# nvidia-smi hidden: a PATH holding everything but it.
hide=$(mktemp -d); trap 'rm -rf "$hide"' EXIT
for d in /usr/bin /bin; do for f in "$d"/*; do
  [ "$(basename "$f")" = nvidia-smi ] || ln -sf "$f" "$hide/$(basename "$f")" 2>/dev/null
done; done
read -r v2 src2 rel2 < <(PATH=$hide "$BIN" info --json | PATH=$hide:$PATH cuda_of)
case "$src2" in
  "driver files")
    if [ "$rel2" = "$release" ] || [ -n "$rel2" ]; then ok "without nvidia-smi: driver $rel2 from the driver's files"; else bad "without nvidia-smi: no release"; fi
    if [ "$v2" = "$smi" ]; then ok "without nvidia-smi: __cuda $v2 equals nvidia-smi's"
    else
      newest=$(python3 - "$v2" "$smi" <<'PY'
import sys
a = tuple(map(int, sys.argv[1].split("."))); b = tuple(map(int, sys.argv[2].split(".")))
print("lower" if a < b else "higher")
PY
)
      if [ "$newest" = lower ]; then ok "without nvidia-smi: __cuda $v2, a lower bound of nvidia-smi's $smi (driver newer than the table)"
      else bad "without nvidia-smi: __cuda $v2 is above nvidia-smi's $smi"; fi
    fi ;;
  nvml|libcuda) ok "without nvidia-smi: the developer build asks the library ($src2): __cuda $v2" ;;
  *) bad "without nvidia-smi: no __cuda (source '$src2')" ;;
esac
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
