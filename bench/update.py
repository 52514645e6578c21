#!/usr/bin/env python3
"""An update that changes one package of a large environment, against installing the whole
environment afresh from the same warm cache.

  bench/update.py [ROUNDS] [N_PACKAGES] [TOTAL_FILES] [TOTAL_MB]

The environment is bench/install_gen.py's (default 120 packages, 22,000 files, 400 MB). Each
round, on a new ext4 file system when run as root (as bench/release.py makes them), with the
binary of $PIXI_INSTALL_BIN (else the one bench/release.py finds):
  peer   a fresh install of the whole environment into a new prefix, from the warm cache
  ours   the same prefix updated with one package relinked (--reinstall-package: the same
         transaction as a lock that changes one package: the previous environment is kept for
         a rollback, the package's files are removed and linked again, the kept environment
         is removed when the new one is complete)
Medians over the rounds:
  update_one   ours / peer: below 1 when an update costs less than installing everything again
"""
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import release  # noqa: E402  (find_binaries, fresh_fs, drop_fs, clean, timed)


def main(argv):
    rounds = int(argv[0]) if len(argv) > 0 else 5
    n, files, mb = (argv[1:4] + ["120", "22000", "400"][len(argv[1:4]):])
    binary = os.environ.get("PIXI_INSTALL_BIN") or release.find_binaries()[0]
    work = tempfile.mkdtemp(prefix="update-bench.", dir=os.environ.get("TMPDIR", "/tmp"))
    fresh_used = []
    times = {"fresh": [], "update": []}
    try:
        subprocess.run([sys.executable, os.path.join(HERE, "install_gen.py"), os.path.join(work, "env"), n, files, mb],
                       check=True, stdout=subprocess.DEVNULL)
        lock = os.path.join(work, "env", "pixi.lock")
        for _ in range(rounds):
            base = release.fresh_fs(work, mb)
            fresh_used.append(base is not None)
            base = base or os.path.join(work, "dirs")
            os.makedirs(base, exist_ok=True)
            cache = os.path.join(base, "cache")
            first = os.path.join(base, "first")
            subprocess.run([binary, "-q", "-l", lock, "-p", first, "--cache-dir", cache], check=True,
                           stdout=subprocess.DEVNULL)  # the cache, warm
            os.sync()
            prefix = os.path.join(base, "prefix")
            times["fresh"].append(release.timed([binary, "-q", "-l", lock, "-p", prefix, "--cache-dir", cache]))
            os.sync()
            times["update"].append(release.timed([binary, "-q", "-l", lock, "-p", prefix, "--cache-dir", cache,
                                          "--reinstall-package", "bench-pkg-%03d" % (int(n) // 2)]))
            release.drop_fs(work)
            release.clean(base)
        med = {k: statistics.median(v) for k, v in times.items()}
        where = "a new ext4 file system each round" if all(fresh_used) else "the work directory's file system"
        print("binary: %s" % binary)
        print("environment: %s packages, %s files, %s MB; %d rounds, medians; on %s" % (n, files, mb, rounds, where))
        print("update_one: ours %.3fs, peer %.3fs, ratio %.2f   (ours: one package of the environment relinked in "
              "its prefix; peer: the whole environment installed afresh from the same warm cache)" %
              (med["update"], med["fresh"], med["update"] / med["fresh"]))
    finally:
        if release.drop_fs(work, check=False):
            release.clean(work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
