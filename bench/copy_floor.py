#!/usr/bin/env python3
"""How far a cold --link-mode copy install can come down towards a hard-linking one.

  bench/copy_floor.py [ROUNDS] [N_PACKAGES] [TOTAL_FILES] [TOTAL_MB]

Each run: a cold hard-linking install with the release binary (as bench/release.py finds it)
on a new ext4 file system, then `copy_floor` (build/bench/copy_floor, or
$PIXI_INSTALL_COPY_FLOOR_BIN) repeats only the second step over the cache that install made,
on one thread, in one of three ways:
  link    hard-link every file into a new directory          (what the install just did)
  write   create every file and write it from memory         (what writing each file once
                                                              while extracting would still do)
  copy    create every file and copy it from the cache       (what --link-mode copy does)
Medians over the rounds of the CPU each takes. The install's CPU plus (write - link), over the
install's CPU, is the least a copying install can cost relative to a hard-linking one with this
kernel and file system; (copy - link) the same for copies from the cache. Needs root (mkfs.ext4
and loop devices) for a new file system per run; without it the runs share the work
directory's file system, and it says so.
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import release  # noqa: E402  (find_binaries, fresh_fs, drop_fs, clean)

MODES = ("link", "write", "copy")


def main(argv):
    rounds = int(argv[0]) if len(argv) > 0 else 5
    n, files, mb = (argv[1:4] + ["120", "22000", "400"][len(argv[1:4]):])
    rel, _ = release.find_binaries()
    floor = os.environ.get("PIXI_INSTALL_COPY_FLOOR_BIN") or os.path.join(ROOT, "build", "bench", "copy_floor")
    if not os.access(floor, os.X_OK):
        print("copy_floor: needs %s (ninja -C build bench/copy_floor)" % floor, file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="copy-floor.", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        subprocess.run([sys.executable, os.path.join(HERE, "install_gen.py"), os.path.join(work, "env"), n, files, mb],
                       check=True, stdout=subprocess.DEVNULL)
        lock = os.path.join(work, "env", "pixi.lock")
        install_cpu, cpu, on_new_fs = [], {m: [] for m in MODES}, []
        for k in range(rounds):
            for mode in (MODES if k % 2 == 0 else MODES[::-1]):
                base = release.fresh_fs(work, mb)
                on_new_fs.append(base is not None)
                base = base or os.path.join(work, "dirs")
                os.makedirs(base, exist_ok=True)
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                subprocess.run([rel, "-q", "-l", lock, "-p", os.path.join(base, "prefix"), "--cache-dir",
                                os.path.join(base, "cache"), "--link-mode", "hardlink"],
                               check=True, stdout=subprocess.DEVNULL)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                install_cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                out = subprocess.run([floor, mode, os.path.join(base, "cache", "pkgs"), os.path.join(base, "dest")],
                                     check=True, capture_output=True, text=True).stdout.split()
                fields = dict(f.split("=", 1) for f in out[1:])
                cpu[mode].append(float(fields["cpu"]))
                release.drop_fs(work)
                release.clean(base)
        med = {m: statistics.median(v) for m, v in cpu.items()}
        inst = statistics.median(install_cpu)
        where = "a new ext4 file system each" if all(on_new_fs) else "the work directory's file system"
        print("release: %s" % rel)
        print("environment: %s packages, %s files, %s MB; %d rounds, medians; %s" % (n, files, mb, rounds, where))
        print("hard-linking install: %.3f s CPU; its second step alone: link %.3f s, write %.3f s, copy %.3f s CPU"
              % (inst, med["link"], med["write"], med["copy"]))
        print("copy_floor_write: ratio %.2f   (a copying install that writes each file once, at best, "
              "against hard links; target <= 1.15)" % ((inst + med["write"] - med["link"]) / inst))
        print("copy_floor_copy: ratio %.2f   (a copying install copying from the cache, at best, "
              "against hard links)" % ((inst + med["copy"] - med["link"]) / inst))
    finally:
        if release.drop_fs(work, check=False):
            release.clean(work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
