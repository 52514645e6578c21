#!/usr/bin/env python3
"""Compares extraction time of archive_bench (this project) with bsdtar / unzip+zstd.

Usage: compare_bsdtar.py ARCHIVE_BENCH SCRATCH REPEAT ARCHIVE...
For each archive: best of REPEAT interleaved runs of each tool (wall time and
CPU time, user + system, of the processes), warm page cache, same scratch
filesystem; on a loaded machine the CPU columns are the ones to compare. .conda files are extracted by the reference as
`unzip -p X 'info-*' | zstd -dc | bsdtar -xf -` plus the same for 'pkg-*';
.tar.bz2 with `bsdtar -xf`; .whl with `unzip -q`. Timings of the reference
include starting its processes.
"""
import os
import resource
import shutil
import subprocess
import sys
import time


def reference_cmd(archive, dest):
    q = lambda s: "'" + s.replace("'", "'\\''") + "'"
    if archive.endswith(".conda"):
        return " && ".join(
            f"unzip -p {q(archive)} '*{m}-*.tar.zst' | zstd -dcq | bsdtar -xf - -C {q(dest)}" for m in ("info", "pkg"))
    if archive.endswith(".tar.bz2"):
        return f"bsdtar -xf {q(archive)} -C {q(dest)}"
    return f"unzip -q {q(archive)} -d {q(dest)}"


def timed(cmd, shell=False):
    """(wall seconds, CPU seconds of the child processes: user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=shell, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    bench, scratch, repeat, archives = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    os.makedirs(scratch, exist_ok=True)
    dest = os.path.join(scratch, "ref")
    rows = []
    for a in archives:
        ours = [float("inf")] * 2
        ref = [float("inf")] * 2
        for _ in range(repeat):  # interleaved, so both see the same machine load
            w, c = timed([bench, scratch, "1", a])
            ours = [min(ours[0], w), min(ours[1], c)]
            shutil.rmtree(os.path.join(scratch, "bench-3"), ignore_errors=True)
            shutil.rmtree(dest, ignore_errors=True)
            os.makedirs(dest)
            w, c = timed(reference_cmd(a, dest), shell=True)
            ref = [min(ref[0], w), min(ref[1], c)]
            shutil.rmtree(dest, ignore_errors=True)
        rows.append((os.path.basename(a), ours, ref))
    print(f"{'archive':52} {'ours wall':>10} {'ref wall':>10} {'ours cpu':>10} {'ref cpu':>10} {'cpu ratio':>9}")
    tot = [0.0] * 4
    for name, ours, ref in rows:
        tot = [tot[0] + ours[0], tot[1] + ref[0], tot[2] + ours[1], tot[3] + ref[1]]
        print(f"{name[:52]:52} {ours[0]*1e3:10.1f} {ref[0]*1e3:10.1f} {ours[1]*1e3:10.1f} {ref[1]*1e3:10.1f} "
              f"{ours[1] / max(ref[1], 1e-9):9.2f}")
    print(f"{'TOTAL (ms)':52} {tot[0]*1e3:10.1f} {tot[1]*1e3:10.1f} {tot[2]*1e3:10.1f} {tot[3]*1e3:10.1f} "
          f"{tot[2] / max(tot[3], 1e-9):9.2f}")


if __name__ == "__main__":
    main()
