#!/usr/bin/env python3
"""One package or wheel with most of an environment's files, against the same files spread
evenly: does one big package leave the other workers idle?

  bench/skew.py [ROUNDS] [TOTAL_FILES] [TOTAL_MB] [SHARE]

Makes four environments with the same number of files and bytes: conda packages where one
holds SHARE (default 0.6) of them, and forty even ones; wheels likewise (one wheel holding
SHARE, the rest spread over twenty; a stand-in python package makes them installable). Each
round installs each environment into a new prefix from a warm cache (the part of an install
that places files), and the conda ones from an empty cache too, in turn, with the binary of $PIXI_INSTALL_BIN (bench/run.sh sets it).
Medians over the rounds:
  skew_conda_copy   one big conda package / even packages, --link-mode copy
  skew_conda_link   the same with hard links
  skew_wheels       one big wheel / even wheels
  skew_conda_cold   one big conda package / even packages, hard links, from an empty cache
                    (each archive extracted in the run: the big one's decompression is one
                    stream, its files are written by every worker)
The ratio compares the binary with itself: 1.0 means a big package costs nothing more than
the same files in many packages; with one package on one worker it tends to SHARE times the
number of workers."""
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
import install_gen  # noqa: E402
import lockgen  # noqa: E402
import release  # noqa: E402


def conda_env(out, shares, total_files, total_mb):
    rng = random.Random(7)
    pkgs = os.path.join(out, "pkgs")
    os.makedirs(pkgs, exist_ok=True)
    entries = []
    for i, share in enumerate(shares):
        fn, _ = install_gen.make_package(rng, "skew-%03d" % i, max(2, int(total_files * share)),
                                         int(total_mb * 2 ** 20 * share), "conda", pkgs)
        entries.append(lockgen.conda(os.path.join(pkgs, fn)))
    return lockgen.write_lock(out, entries)


def wheel_env(out, shares, total_files, total_mb):
    rng = random.Random(11)
    gen = os.path.join(out, "gen")
    entries = [lockgen.conda(lockgen.make_python_standin(gen, "3.11.4"))]
    for i, share in enumerate(shares):
        n = max(2, int(total_files * share))
        per = max(16, int(total_mb * 2 ** 20 * share) // n)
        name = "skew%03d" % i
        modules = {"%s/d%d/m%d.py" % (name, k % 37, k): rng.randbytes(max(8, int(rng.expovariate(1 / per))) // 2).hex()
                   for k in range(n)}
        entries.append(lockgen.wheel(lockgen.make_wheel(gen, name, "1.0", modules)))
    return lockgen.write_lock(out, entries)


def main(argv):
    rounds = int(argv[0]) if len(argv) > 0 else 5
    total_files = int(argv[1]) if len(argv) > 1 else 20000
    total_mb = int(argv[2]) if len(argv) > 2 else 200
    share = float(argv[3]) if len(argv) > 3 else 0.6
    binary = os.environ.get("PIXI_INSTALL_BIN") or os.path.join(ROOT, "build", "pixi-install")
    work = tempfile.mkdtemp(prefix="skew-bench.", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        big = [share] + [(1 - share) / 39] * 39
        even = [1 / 40] * 40
        locks = {
            "conda_big": conda_env(os.path.join(work, "conda_big"), big, total_files, total_mb),
            "conda_even": conda_env(os.path.join(work, "conda_even"), even, total_files, total_mb),
            "wheels_big": wheel_env(os.path.join(work, "wheels_big"), [share] + [(1 - share) / 19] * 19,
                                    total_files, total_mb),
            "wheels_even": wheel_env(os.path.join(work, "wheels_even"), [1 / 20] * 20, total_files, total_mb),
        }
        # Cache and prefixes on a new ext4 (with its journal) when this runs as root: on the
        # machine's own disk, files deleted by the previous round slow down the next one's.
        base = release.fresh_fs(work, 3 * total_mb) or work
        cache = os.path.join(base, "cache")
        runs = [(k, mode) for k in ("conda_big", "conda_even") for mode in ("copy", "hardlink")]
        runs += [("wheels_big", "copy"), ("wheels_even", "copy")]
        runs += [("conda_big", "cold"), ("conda_even", "cold")]
        times = {r: [] for r in runs}
        prefix = os.path.join(base, "prefix")

        def install(lock, mode):
            shutil.rmtree(prefix, ignore_errors=True)
            where = cache
            if mode == "cold":
                where = os.path.join(base, "cold-cache")
                shutil.rmtree(where, ignore_errors=True)
                mode = "hardlink"
            os.sync()
            t = time.perf_counter()
            subprocess.run([binary, "-q", "-l", lock, "-p", prefix, "--cache-dir", where, "--link-mode", mode],
                           check=True, stdout=subprocess.DEVNULL)
            return time.perf_counter() - t

        for lock in locks.values():
            install(lock, "copy")  # fills the cache: every round is warm
        for k in range(rounds):
            for r in (runs if k % 2 == 0 else runs[::-1]):
                times[r].append(install(locks[r[0]], r[1]))
        med = {r: statistics.median(v) for r, v in times.items()}
        print("binary: %s; %d files, %d MB, one holding %.0f%%; %d rounds, medians, warm cache unless cold, on %s" %
              (binary, total_files, total_mb, share * 100, rounds,
               "a new ext4" if base != work else "the work directory's file system"))
        for metric, a, b in (("skew_conda_copy", ("conda_big", "copy"), ("conda_even", "copy")),
                             ("skew_conda_link", ("conda_big", "hardlink"), ("conda_even", "hardlink")),
                             ("skew_wheels", ("wheels_big", "copy"), ("wheels_even", "copy")),
                             ("skew_conda_cold", ("conda_big", "cold"), ("conda_even", "cold"))):
            print("%s: ours %.3fs, peer %.3fs, ratio %.2f   (ours: one big package, peer: the same files "
                  "spread evenly)" % (metric, med[a], med[b], med[a] / med[b]))
    finally:
        if release.drop_fs(work, check=False):
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
