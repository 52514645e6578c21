#!/usr/bin/env python3
"""Source packages once built: the no-op and the re-install from the built-wheel cache.

  bench/sources.py [N_PACKAGES] [ROUNDS]

The environment: a python stand-in (/usr/bin/python3, 3.11), N tiny conda packages and
three source entries built by setuptools (an sdist, a directory and an editable directory;
setuptools and wheel from Debian, packed as wheels into a wheel directory).
  noop_sources      an up-to-date prefix installed again, against `sha256sum pixi.lock`
                    (target: ratio <= 3, as for every no-op)
  reinstall_built   a new prefix from a warm cache, the source entries' wheels taken from the
                    built-wheel cache, against the same environment with those wheels locked
                    directly (target: ratio <= 1.5)
Medians over ROUNDS runs (default 15).
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
import lockgen  # noqa: E402
import source_build_test as sb  # noqa: E402


def median(cmd, rounds, before=None):
    ts = []
    for _ in range(rounds):
        if before:
            before()
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ts.append(time.perf_counter() - t)
    return sorted(ts)[len(ts) // 2] * 1000


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    binary = os.environ.get("PIXI_INSTALL_BIN")
    if not binary:
        print("sources: set PIXI_INSTALL_BIN (bench/run.sh does)")
        return 2
    setuptools = sorted(glob.glob("/usr/share/python-wheels/setuptools-*.whl"))
    if not setuptools or not os.path.exists("/usr/bin/python3"):
        print("sources: needs /usr/bin/python3 and python3-setuptools-whl")
        return 2
    sb.BIN = binary
    work = tempfile.mkdtemp(prefix="sources-bench-")
    try:
        wheels = os.path.join(work, "wheelhouse")
        os.makedirs(wheels)
        shutil.copy(setuptools[-1], wheels)
        sb.pack_egg_info(glob.glob(os.path.join(sb.DIST_PACKAGES, "wheel-*.egg-info"))[0], wheels)
        pkgs = os.path.join(work, "pkgs")
        entries = [lockgen.conda(lockgen.make_python_standin(pkgs))]
        for i in range(n):
            name = "pkg%05d" % i
            p = lockgen.make_conda_package(pkgs, name, "1.0", files={"share/%s/d.txt" % name: b"x\n"},
                                           mtime=1700000000)
            entries.append(lockgen.conda(p, location="./pkgs/" + os.path.basename(p)))
        proj = os.path.join(work, "proj")
        os.makedirs(proj)
        tree = os.path.join(work, "trees", "sdist-pkg")
        sb.write_project(tree, "sdist-pkg", "V = 1\n")
        sdist = sb.make_sdist(os.path.join(proj, "dist"), "sdist-pkg", "1.0", tree)
        sb.write_project(os.path.join(proj, "dir-pkg"), "dir-pkg", "V = 2\n")
        sb.write_project(os.path.join(proj, "edit-pkg"), "edit-pkg", "V = 3\n")
        sources = [sb.pypi("./dist/sdist-pkg-1.0.tar.gz", "sdist-pkg", "1.0", sdist),
                   sb.pypi("./dir-pkg", "dir-pkg", "1.0"), sb.pypi("./edit-pkg", "edit-pkg", "1.0", editable=True)]
        lock = lockgen.write_lock(proj, [dict(e, location=os.path.join(pkgs, os.path.basename(e["location"])))
                                         if e["kind"] == "conda" else e for e in entries] + sources)
        cache = os.path.join(work, "cache")
        env = dict(os.environ, PIXI_INSTALL_CACHE_DIR=cache)
        prefix = os.path.join(work, "env")
        base = [binary, "-q", "install", "-l", lock, "--find-links", wheels, "--offline"]
        subprocess.run(base + ["-p", prefix], check=True, env=env)

        # The no-op.
        os.environ["PIXI_INSTALL_CACHE_DIR"] = cache
        ours = median(base + ["-p", prefix], rounds)
        peer = median(["sha256sum", lock], rounds)
        print(f"noop_sources: ours {ours:.1f}ms, peer {peer:.1f}ms, ratio {ours / peer:.2f}   "
              f"(peer: sha256sum pixi.lock, {n} conda packages + 3 source entries; target <= 3)")

        # The same wheels locked directly.
        built = {}
        for rec in glob.glob(os.path.join(cache, "built-wheels", "v1", "*", "build.json")):
            import json
            with open(rec) as f:
                w = json.load(f)["wheel"]
            built[w.split("-")[0]] = os.path.join(os.path.dirname(rec), w)
        direct = os.path.join(work, "direct")
        os.makedirs(direct)
        wheel_entries = []
        for name in ("sdist_pkg", "dir_pkg", "edit_pkg"):
            dst = os.path.join(direct, os.path.basename(built[name]))
            shutil.copy(built[name], dst)
            wheel_entries.append(lockgen.wheel(dst, location=dst))
        direct_lock = lockgen.write_lock(direct, [dict(e, location=os.path.join(pkgs, os.path.basename(e["location"])))
                                                  if e["kind"] == "conda" else e for e in entries] + wheel_entries)
        target = os.path.join(work, "again")

        def clear():
            shutil.rmtree(target, ignore_errors=True)
            for f in glob.glob(os.path.join(cache, "noop", "*")):
                os.unlink(f)

        ours = median(base + ["-p", target], rounds, clear)
        peer = median([binary, "-q", "install", "-l", direct_lock, "--offline", "-p", target], rounds, clear)
        print(f"reinstall_built: ours {ours:.1f}ms, peer {peer:.1f}ms, ratio {ours / peer:.2f}   "
              f"(new prefix, warm cache: source entries from the built-wheel cache against the same wheels "
              f"locked; target <= 1.5)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
