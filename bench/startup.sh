#!/usr/bin/env bash
# Startup cost: `pixi-install --version` against /bin/true (median of 50 runs each,
# interleaved in the same run), and the no-op re-install of the demo lock (median of 50),
# for the static release binary (dist/, scripts/release.sh) and, when built, the developer
# build (build/pixi-install, shared libraries) as the peer.
#
#   bench/startup.sh [RUNS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
runs=${1:-50}
static=$(ls "$root"/dist/pixi-install-*-linux-x86_64 2>/dev/null | head -1 || true)
static=${PIXI_INSTALL_STATIC_BIN:-$static}
if [[ -z "$static" || ! -x "$static" ]]; then
  echo "bench startup: no static binary in dist/ (scripts/release.sh x86_64-linux-musl)" >&2
  exit 2
fi
dev=$root/build/pixi-install
[[ -x "$dev" ]] || dev=""

python3 - "$runs" "$static" "$dev" "$root/fixtures/demo/pixi.lock" <<'EOF'
import os
import shutil
import statistics
import sys
import tempfile
import time

runs, static, dev, lock = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
devnull = os.open(os.devnull, os.O_WRONLY)


def once(argv):
    """Wall time of one run (posix_spawn + wait), output to /dev/null, in ms."""
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                                                (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status = os.waitpid(pid, 0)
    t = (time.perf_counter_ns() - t0) / 1e6
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench startup: %s failed" % " ".join(argv))
    return t


def medians(*argvs):
    """Interleaved runs so that both see the same machine load; the median of each."""
    times = [[] for _ in argvs]
    for argv in argvs:  # warm the page cache
        once(argv)
    for _ in range(runs):
        for i, argv in enumerate(argvs):
            times[i].append(once(argv))
    return [statistics.median(t) for t in times]


def line(metric, ours, peer_name, peer):
    print("%s: ours %.3f ms, peer %s %.3f ms, ratio %.2f" % (metric, ours, peer_name, peer, ours / peer))


true = shutil.which("true") or "/bin/true"
s, t = medians([static, "--version"], [true])
line("startup --version (static)", s, "/bin/true", t)
if dev:
    d, t2 = medians([dev, "--version"], [true])
    line("startup --version (developer build)", d, "/bin/true", t2)

tmp = tempfile.mkdtemp(prefix="bench-startup-")
try:
    env = os.environ.copy()
    os.environ["CONDA_OVERRIDE_GLIBC"] = os.environ.get("CONDA_OVERRIDE_GLIBC", "2.36")
    for name, b in (("static", static), ("developer build", dev)):
        if not b:
            continue
        prefix, cache = os.path.join(tmp, name + "-env"), os.path.join(tmp, name + "-cache")
        install = [b, "install", "-q", "--no-progress", "-l", lock, "-p", prefix, "--cache-dir", cache, "--offline"]
        once(install)  # the real install; every later run is a no-op
        (n,) = medians(install)
        print("no-op re-install of the demo (%s): ours %.3f ms" % (name, n))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
EOF
