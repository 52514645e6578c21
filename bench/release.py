#!/usr/bin/env python3
"""The binary users run against the developer build, side by side in one run.

  bench/release.py [ROUNDS] [N_PACKAGES] [TOTAL_FILES] [TOTAL_MB]

"ours" is the static release binary (dist/pixi-install-*-linux-<arch>, scripts/release.sh, or
$PIXI_INSTALL_RELEASE_BIN), "peer" the developer build (build/pixi-install, or
$PIXI_INSTALL_DEV_BIN). Each round runs both, alternating, on the same inputs; the figures are
medians over the rounds:
  release_cold   empty cache, new prefix                     (target: ratio <= 1.1)
  release_warm   populated cache, new prefix                 (target: ratio <= 1.1)
  release_list   `list --json` of the largest corpus lock     (target: ratio <= 1.1)
  copy_vs_link   release binary, cold, --link-mode copy against --link-mode hardlink
                 (ours: copy, peer: hardlink; target: ratio <= 1.15)
Between runs the previous prefix and cache are removed and the disk synced, outside the timing.
copy_vs_link runs each install on a new ext4 file system (a loop-mounted image, made before
the timing) when this runs as root with mkfs.ext4 and loop devices, as in a Docker build's new
layer: where the previous run's files were just deleted, ext4 creates files more slowly (it
skips recently freed inodes when it has no journal), which penalises the mode that creates
more of them. Without root the runs share the work directory's file system, and it says so.
"""
import glob
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def find_binaries():
    rel = os.environ.get("PIXI_INSTALL_RELEASE_BIN") or next(
        iter(sorted(glob.glob(os.path.join(ROOT, "dist", "pixi-install-*-linux-" + platform.machine())))), None)
    dev = os.environ.get("PIXI_INSTALL_DEV_BIN") or os.path.join(ROOT, "build", "pixi-install")
    missing = [what for what, p in (("release binary (scripts/release.sh)", rel),
                                    ("developer build (meson setup build && ninja -C build)", dev))
               if not p or not os.access(p, os.X_OK)]
    if missing:
        print("release: needs both binaries; missing: " + ", ".join(missing), file=sys.stderr)
        sys.exit(2)
    return rel, dev


def largest_lock():
    for base in (os.path.join(ROOT, "fixtures", "corpus", "locks"),
                 os.path.join(os.environ.get("PIXI_INSTALL_SHARED", os.path.join(ROOT, "..", "shared")),
                              "corpus", "locks")):
        locks = glob.glob(os.path.join(base, "*pixi.lock"))
        if locks:
            return max(locks, key=os.path.getsize)
    print("release: no corpus lock found (fixtures/corpus/locks)", file=sys.stderr)
    sys.exit(2)


def clean(*paths):
    for p in paths:
        shutil.rmtree(p, ignore_errors=True)
    os.sync()


def fresh_fs(work, mb):
    """A new, empty ext4 mounted below `work`, room for a cache and a prefix of `mb` MB each
    (None when that cannot be done here)."""
    if os.geteuid() != 0 or not shutil.which("mkfs.ext4"):
        return None
    img, mnt = os.path.join(work, "fs.img"), os.path.join(work, "fs")
    drop_fs(work)
    with open(img, "wb") as f:
        f.truncate(max(4 << 30, (3 * int(mb) + 1024) << 20))
    os.makedirs(mnt, exist_ok=True)
    # Inode tables and journal written now, not by a kernel thread during the timed install.
    mkfs = ["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", img]
    ok = subprocess.run(mkfs, capture_output=True).returncode == 0 and \
        subprocess.run(["mount", "-o", "loop", img, mnt], capture_output=True).returncode == 0
    os.sync()
    return mnt if ok else None


def drop_fs(work, check=True):
    mnt = os.path.join(work, "fs")
    if os.path.ismount(mnt):
        if subprocess.run(["umount", mnt]).returncode != 0:
            if check:
                raise RuntimeError("cannot unmount " + mnt)
            print("release: %s is still mounted; unmount it and remove %s" % (mnt, work), file=sys.stderr)
            return False
    if os.path.exists(os.path.join(work, "fs.img")):
        os.remove(os.path.join(work, "fs.img"))
    return True


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(argv):
    rounds = int(argv[0]) if len(argv) > 0 else 3
    n, files, mb = (argv[1:4] + ["120", "22000", "400"][len(argv[1:4]):])
    rel, dev = find_binaries()
    lock_big = largest_lock()
    work = tempfile.mkdtemp(prefix="release-bench.", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        subprocess.run([sys.executable, os.path.join(HERE, "install_gen.py"), os.path.join(work, "env"), n, files, mb],
                       check=True, stdout=subprocess.DEVNULL)
        lock = os.path.join(work, "env", "pixi.lock")
        fresh_fs_used = []
        times = {k: [] for k in ("cold_rel", "cold_dev", "warm_rel", "warm_dev", "list_rel", "list_dev",
                                 "copy", "hardlink")}

        def install(binary, tag, cache, mode="auto"):
            prefix = os.path.join(work, "prefix-" + tag)
            clean(prefix)
            return timed([binary, "-q", "-l", lock, "-p", prefix, "--cache-dir", cache, "--link-mode", mode])

        for k in range(rounds):
            # Who goes first alternates between rounds, so neither always meets a warmer machine.
            pair = ((rel, "rel"), (dev, "dev"))
            for binary, tag in (pair if k % 2 == 0 else pair[::-1]):
                cache = os.path.join(work, "cache-" + tag)
                clean(cache)
                times["cold_" + tag].append(install(binary, tag, cache))
                times["warm_" + tag].append(install(binary, tag, cache))
                clean(cache, os.path.join(work, "prefix-" + tag))
                times["list_" + tag].append(timed([binary, "list", "--json", "-l", lock_big]))
            for mode in (("copy", "hardlink") if k % 2 == 0 else ("hardlink", "copy")):
                base = fresh_fs(work, mb)
                fresh_fs_used.append(base is not None)
                base = base or os.path.join(work, "dirs-" + mode)
                os.makedirs(base, exist_ok=True)
                prefix, cache = os.path.join(base, "prefix"), os.path.join(base, "cache")
                times[mode].append(timed([rel, "-q", "-l", lock, "-p", prefix, "--cache-dir", cache,
                                          "--link-mode", mode]))
                drop_fs(work)
                clean(base)

        med = {k: statistics.median(v) for k, v in times.items()}
        print("release: %s" % rel)
        print("developer: %s" % dev)
        print("environment: %s packages, %s files, %s MB; %d rounds, medians; list: %s (%d KiB)" %
              (n, files, mb, rounds, os.path.basename(lock_big), os.path.getsize(lock_big) // 1024))
        for key, what, target in (("cold", "release_cold", "1.1"), ("warm", "release_warm", "1.1"),
                                  ("list", "release_list", "1.1")):
            o, p = med[key + "_rel"], med[key + "_dev"]
            print("%s: ours %.3fs, peer %.3fs, ratio %.2f   (ours: release binary, peer: developer build; "
                  "target <= %s)" % (what, o, p, o / p, target))
        o, p = med["copy"], med["hardlink"]
        where = "a new ext4 file system each" if all(fresh_fs_used) else "the work directory's file system"
        print("copy_vs_link: ours %.3fs, peer %.3fs, ratio %.2f   (release binary, cold: --link-mode copy "
              "against hardlink, cache and prefix on %s; target <= 1.15)" % (o, p, o / p, where))
    finally:
        if drop_fs(work, check=False):
            clean(work)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
