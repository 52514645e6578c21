#!/usr/bin/env python3
"""`pixi-install install` end to end on locks of real corpus packages: fresh install,
no-op re-install, upgrade/downgrade/removal, --dry-run, --skip/--only, link modes,
clobbers, verify after each step, and failures that must leave prefixes untouched."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402

BIN, CORPUS = lockgen.require_env()
PKGS = os.path.join(CORPUS, "conda-pkgs")


def pkg(name):
    return os.path.join(PKGS, name)


class Env:
    def __init__(self, tmp):
        self.tmp = tmp
        self.cache = os.path.join(tmp, "cache")
        self.n = 0

    def lock(self, entries, **kw):
        self.n += 1
        return lockgen.write_lock(os.path.join(self.tmp, "lock%d" % self.n), entries, **kw)

    def install(self, lock, prefix, *extra, expect=0, one_cpu=False, fault=None):
        """One install; `one_cpu`: the process may run on one CPU only (one worker)."""
        cmd = [BIN, "install", "-l", lock, "-p", prefix, "--cache-dir", self.cache, "--json", *extra]
        run_env = dict(os.environ)
        run_env.pop("PIXI_INSTALL_FAULT", None)
        if fault:
            run_env["PIXI_INSTALL_FAULT"] = fault
        first = min(os.sched_getaffinity(0))
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=run_env,
                           preexec_fn=(lambda: os.sched_setaffinity(0, {first})) if one_cpu else None)
        assert r.returncode == expect, (cmd, r.returncode, r.stdout, r.stderr)
        if expect == 0:
            doc = json.loads(r.stdout)
            assert doc["ok"] is True and len(doc["environments"]) == 1, doc
            return doc["environments"][0], r
        return None, r


def verify(prefix):
    r = subprocess.run([BIN, "verify", "-p", prefix], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, ("verify", prefix, r.returncode, r.stdout, r.stderr)


def files_of(prefix, name):
    rec = lockgen.conda_meta_records(prefix)[name]
    return set(rec["files"])


def test_fresh_noop_dryrun(env):
    lock = env.lock([lockgen.conda(pkg("zlib-1.2.11-h7b6447c_3.conda")),
                     lockgen.conda(pkg("small-executable-1.0-0.conda"))])
    prefix = os.path.join(env.tmp, "fresh")

    # --dry-run on a fresh prefix: lists the plan, creates nothing.
    r = subprocess.run([BIN, "install", "-l", lock, "-p", prefix, "--cache-dir", env.cache, "--dry-run"],
                       capture_output=True, text=True)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "+ zlib-1.2.11-h7b6447c_3" in r.stdout and "+ small-executable-1.0-0" in r.stdout, r.stdout
    assert not os.path.exists(prefix), "dry run created the prefix"

    rep, _ = env.install(lock, prefix)
    assert sorted(rep["installed"]) == ["small-executable-1.0-0", "zlib-1.2.11-h7b6447c_3"], rep
    assert rep["up_to_date"] is False
    recs = lockgen.conda_meta_records(prefix)
    assert set(recs) == {"zlib", "small-executable"}, recs
    z = recs["zlib"]
    assert z["version"] == "1.2.11" and z["build"] == "h7b6447c_3", z
    assert z["sha256"] == lockgen.file_digests(pkg("zlib-1.2.11-h7b6447c_3.conda"))[0]
    for f in z["files"]:
        assert os.path.lexists(os.path.join(prefix, f)), f
    assert "lib/libz.so.1.2.11" in z["files"], z["files"]
    assert os.path.isfile(os.path.join(prefix, "conda-meta", "history"))
    with open(os.path.join(prefix, "CACHEDIR.TAG")) as f:
        assert f.read().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    with open(os.path.join(prefix, "activate.sh")) as f:
        assert prefix in f.read(), "activate.sh does not name the prefix"
    verify(prefix)

    # Re-install: up to date, nothing rewritten.
    before = lockgen.mtimes(prefix)
    rep, _ = env.install(lock, prefix)
    assert rep["up_to_date"] is True and rep["installed"] == [] and rep["removed"] == [], rep
    assert lockgen.mtimes(prefix) == before, "a no-op re-install rewrote files"

    # --dry-run on an up-to-date prefix says so.
    r = subprocess.run([BIN, "install", "-l", lock, "-p", prefix, "--cache-dir", env.cache, "--dry-run"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "up to date" in r.stdout, (r.stdout, r.stderr)
    verify(prefix)


def test_upgrade_downgrade_remove(env):
    v1 = lockgen.conda(pkg("clobber-directory-upgrade-0.1.0-h4616a5c_0.conda"))
    v2 = lockgen.conda(pkg("clobber-directory-upgrade-0.2.0-h4616a5c_0.conda"))
    z = lockgen.conda(pkg("zlib-1.2.11-h7b6447c_3.conda"))
    se = lockgen.conda(pkg("small-executable-1.0-0.conda"))
    l1, l2, l3 = env.lock([v1, z, se]), env.lock([v2, z, se]), env.lock([v1, z])
    prefix = os.path.join(env.tmp, "updown")
    env.install(l1, prefix)
    verify(prefix)
    old_files = files_of(prefix, "clobber-directory-upgrade")
    se_files = files_of(prefix, "small-executable")
    z_before = {f: os.lstat(os.path.join(prefix, f)).st_mtime_ns for f in files_of(prefix, "zlib")}
    snap1 = lockgen.snapshot(prefix, ignore=("conda-meta",))

    # --dry-run of the upgrade lists it and changes nothing.
    r = subprocess.run([BIN, "install", "-l", l2, "-p", prefix, "--cache-dir", env.cache, "--dry-run", "--json"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    dj = json.loads(r.stdout)["environments"][0]
    assert dj["dry_run"] and [c["to"] for c in dj["changed"]] == ["clobber-directory-upgrade-0.2.0-h4616a5c_0"], dj
    assert lockgen.snapshot(prefix, ignore=("conda-meta",)) == snap1, "--dry-run changed the prefix"

    rep, _ = env.install(l2, prefix)
    assert [c["to"] for c in rep["changed"]] == ["clobber-directory-upgrade-0.2.0-h4616a5c_0"], rep
    assert rep["unchanged"] == 2, rep
    assert lockgen.conda_meta_records(prefix)["clobber-directory-upgrade"]["version"] == "0.2.0"
    new_files = files_of(prefix, "clobber-directory-upgrade")
    for f in new_files:
        assert os.path.lexists(os.path.join(prefix, f)), f
    for f in old_files - new_files:
        p = os.path.join(prefix, f)
        assert not os.path.lexists(p) or os.path.isdir(p), "stale file of 0.1.0: " + f
    # The unchanged package was not touched.
    assert {f: os.lstat(os.path.join(prefix, f)).st_mtime_ns for f in files_of(prefix, "zlib")} == z_before
    verify(prefix)

    # Downgrade and removal at once: back to 0.1.0, small-executable goes.
    rep, _ = env.install(l3, prefix)
    assert rep["removed"] == ["small-executable-1.0-0"], rep
    assert [c["to"] for c in rep["changed"]] == ["clobber-directory-upgrade-0.1.0-h4616a5c_0"], rep
    recs = lockgen.conda_meta_records(prefix)
    assert set(recs) == {"clobber-directory-upgrade", "zlib"}, recs
    for f in se_files:
        assert not os.path.lexists(os.path.join(prefix, f)), "file of a removed package left: " + f
    snap3 = lockgen.snapshot(prefix, ignore=("conda-meta",))
    # Exactly the removed package's files (and the directories only it used) are gone.
    gone = set(snap1) - set(snap3)
    assert all(g in se_files or snap1[g][0] == "dir" for g in gone), sorted(gone - se_files)
    assert se_files <= gone, se_files - gone
    # Activation scripts are regenerated from what is installed; compare everything else.
    kept = {k: v for k, v in snap1.items() if k not in gone and not k.startswith("activate")}
    snap3 = {k: v for k, v in snap3.items() if not k.startswith("activate")}
    assert kept == snap3, ("downgrade differs from the first install",
                           {k: (kept.get(k), snap3.get(k)) for k in set(kept) | set(snap3) if kept.get(k) != snap3.get(k)})
    verify(prefix)


def test_skip_only(env):
    z = lockgen.conda(pkg("zlib-1.2.11-h7b6447c_3.conda"))
    se = lockgen.conda(pkg("small-executable-1.0-0.conda"))
    lock = env.lock([z, se])
    p1, p2 = os.path.join(env.tmp, "skip"), os.path.join(env.tmp, "only")
    rep, _ = env.install(lock, p1, "--skip", "zlib")
    assert set(lockgen.conda_meta_records(p1)) == {"small-executable"}, rep
    verify(p1)
    rep, _ = env.install(lock, p2, "--only", "zlib")
    assert set(lockgen.conda_meta_records(p2)) == {"zlib"}, rep
    verify(p2)
    # A relative --cache-dir is taken from the working directory; records name it absolutely.
    p3 = os.path.join(env.tmp, "relcache")
    r = subprocess.run([BIN, "install", "-l", lock, "-p", p3, "--cache-dir", "rel-cache", "--only", "zlib"],
                       capture_output=True, text=True, cwd=env.tmp)
    assert r.returncode == 0, r.stderr
    rec = lockgen.conda_meta_records(p3)["zlib"]
    # The cache entry is named by the package and the first 16 hex digits of its sha256.
    assert rec["link"]["source"] == os.path.join(env.tmp, "rel-cache", "pkgs", "zlib-1.2.11-h7b6447c_3-" +
                                                 rec["sha256"][:16]), rec["link"]
    verify(p3)
    # Dropping --skip installs the rest.
    rep, _ = env.install(lock, p1)
    assert rep["installed"] == ["zlib-1.2.11-h7b6447c_3"] and rep["removed"] == [], rep
    verify(p1)


def test_link_modes(env):
    lock = env.lock([lockgen.conda(pkg("zlib-1.2.11-h7b6447c_3.conda"))])
    pc, ph = os.path.join(env.tmp, "copy"), os.path.join(env.tmp, "hard")
    env.install(lock, pc, "--link-mode", "copy")
    env.install(lock, ph, "--link-mode", "hardlink")
    rec = lockgen.conda_meta_records(ph)["zlib"]
    src = rec.get("extracted_package_dir") or rec["link"]["source"]
    def inode(prefix, f):
        st = os.lstat(os.path.join(prefix, f))
        return st.st_dev, st.st_ino

    cache_inodes = set()
    for root, _, files in os.walk(src):
        for n in files:
            st = os.lstat(os.path.join(root, n))
            cache_inodes.add((st.st_dev, st.st_ino))
    # Files with a prefix placeholder are rewritten (a new file) in every mode.
    regular = [e["_path"] for e in rec["paths_data"]["paths"]
               if "prefix_placeholder" not in e and os.path.isfile(os.path.join(ph, e["_path"]))
               and not os.path.islink(os.path.join(ph, e["_path"]))]
    patched = [e["_path"] for e in rec["paths_data"]["paths"] if "prefix_placeholder" in e]
    assert patched and not any(inode(ph, f) in cache_inodes for f in patched), patched
    assert regular, rec["files"]

    assert all(inode(ph, f) in cache_inodes for f in regular), "hardlink mode did not share inodes with the cache"
    assert not any(inode(pc, f) in cache_inodes for f in regular), "copy mode shares inodes with the cache"
    assert lockgen.conda_meta_records(pc)["zlib"]["link"]["type"] == 3
    assert rec["link"]["type"] == 1
    verify(pc)
    verify(ph)


def test_clobbers(env):
    lock = env.lock([lockgen.conda(pkg("clobber-%d-0.1.0-h4616a5c_0.tar.bz2" % i)) for i in (1, 2, 3)])
    prefix = os.path.join(env.tmp, "clobber")
    rep, r = env.install(lock, prefix)
    assert rep["clobbers"], rep
    c = rep["clobbers"][0]
    assert c["winner"] == "clobber-1" and sorted(c["losers"]) == ["clobber-2", "clobber-3"], c
    # The winner's file is at the real path; each loser's copy is under __clobbers__.
    for loser in c["losers"]:
        assert os.path.lexists(os.path.join(prefix, "__clobbers__", loser, c["path"])), loser
    assert os.path.lexists(os.path.join(prefix, c["path"]))
    # The clobber is also reported as a warning on stderr (stdout holds only the JSON).
    assert c["path"] in r.stderr and "clobber-1" in r.stderr, r.stderr
    verify(prefix)


def test_clobber_neighbours(env):
    """A clobbered file among files that are not, in one directory: each goes where it belongs,
    whether the entry before it went to the same directory or to the clobbered copies'."""
    gen = os.path.join(env.tmp, "gen-neighbours")
    content = {}
    pkgs = []
    for name in ("nb-a", "nb-b"):
        files = {"share/common/%s-%d.txt" % (name, k): ("%s %d\n" % (name, k)).encode() for k in range(3)}
        files["share/common/nb-b-1.txt" if name == "nb-a" else "share/common/nb-a-1.txt"] = \
            ("%s's copy\n" % name).encode()  # each clashes with the other's second file
        content[name] = files
        pkgs.append(lockgen.conda(lockgen.make_conda_package(gen, name, "1.0", files=files)))
    for mode in ("hardlink", "copy"):
        prefix = os.path.join(env.tmp, "neighbours-" + mode)
        rep, _ = env.install(env.lock(pkgs), prefix, "--link-mode", mode)
        clashes = {c["path"]: c for c in rep["clobbers"]}
        assert set(clashes) == {"share/common/nb-a-1.txt", "share/common/nb-b-1.txt"}, rep["clobbers"]
        for name, files in content.items():
            for rel, data in files.items():
                c = clashes.get(rel)
                where = rel if c is None or c["winner"] == name else os.path.join("__clobbers__", name, rel)
                with open(os.path.join(prefix, where), "rb") as f:
                    assert f.read() == data, (mode, name, where)
        # Nothing else in the directory or in the clobbered copies': every file accounted for
        # (nb-b's, in order: nb-a-1 clobbered, nb-b-0 not, nb-b-1 clobbered, nb-b-2 not).
        placed = sorted(os.path.relpath(os.path.join(d, n), prefix) for d, _, ns in os.walk(prefix) for n in ns
                        if os.path.relpath(d, prefix).startswith(("share", "__clobbers__")))
        assert len(placed) == 8, (mode, placed)
        verify(prefix)


def test_parts(env):
    """A package with most of the environment's files is placed by several workers at once:
    the prefix and its records are those of a one-worker install (the process allowed one
    CPU), in both link modes."""
    gen = os.path.join(env.tmp, "gen-parts")
    files, placeholders = {}, []
    for d in range(8):
        for k in range(80):
            rel = "lib/big/d%d/f%d" % (d, k)
            if k % 17 == 3:
                files[rel] = ("root=/opt/anaconda1anaconda2anaconda3 %d\n" % k).encode()
                placeholders.append(rel)
            else:
                files[rel] = (("%d-%d " % (d, k)) * (1 + k * 11)).encode(), 0o755 if k % 9 == 0 else 0o644
    files["share/big/clash.txt"] = b"big's copy\n"
    big = lockgen.make_conda_package(gen, "big", "1.0", files=files, text_placeholders=placeholders,
                                     symlinks={"lib/big/current": "d0"}, mtime=1700000000)
    # A second package wins one of big's paths (alphabetical order decides), among small ones.
    other = lockgen.make_conda_package(gen, "another", "1.0", files={"share/big/clash.txt": b"another's\n",
                                                                     "share/another/a.txt": b"a\n"}, mtime=1700000000)
    small = [lockgen.make_conda_package(gen, "small%d" % i, "1.0", files={"share/small%d/x" % i: b"x"},
                                        mtime=1700000000) for i in range(5)]
    lock = env.lock([lockgen.conda(p) for p in [big, other] + small])
    prefix = os.path.join(env.tmp, "parts")
    assert len(os.sched_getaffinity(0)) >= 2, "placing a package in parts needs two CPUs or more"
    # Each install from an empty cache: with all CPUs the big archive's files are also written
    # by the workers the small packages leave idle, with one CPU by the thread reading it.
    shared_cache = env.cache
    entries = {}
    for mode in ("copy", "hardlink"):
        got = {}
        for jobs in ("1", "all"):
            shutil.rmtree(prefix, ignore_errors=True)
            env.cache = os.path.join(env.tmp, "parts-cache")
            shutil.rmtree(env.cache, ignore_errors=True)
            try:
                rep, _ = env.install(lock, prefix, "--link-mode", mode, one_cpu=jobs == "1")
            finally:
                env.cache = shared_cache
            [entry] = glob.glob(os.path.join(env.tmp, "parts-cache", "pkgs", "big-1.0-*"))
            times = {k: v[0] for k, v in lockgen.mtimes(entry).items()}
            entries.setdefault(jobs, (lockgen.snapshot(entry), times))
            assert entries[jobs] == (lockgen.snapshot(entry), times), (mode, jobs)
            assert [c["path"] for c in rep["clobbers"]] == ["share/big/clash.txt"], rep["clobbers"]
            verify(prefix)
            snap = lockgen.snapshot(prefix, ignore=("conda-meta",))
            assert len([p for p in snap if p.startswith("lib/big/d")]) == 8 * 80 + 8, (mode, jobs)
            for rel in placeholders:
                with open(os.path.join(prefix, rel), "rb") as f:
                    assert f.read().startswith(("root=%s " % prefix).encode()), (mode, jobs, rel)
            records = lockgen.conda_meta_records(prefix)
            got[jobs] = (snap, lockgen.mtimes(prefix) if mode == "copy" else None,
                         {n: (r["files"], r["paths_data"], r["link"]["type"]) for n, r in records.items()})
        if mode == "copy":  # the same times too (inodes differ: compare the times only)
            for jobs in got:
                listed = {f for files, _, _ in got[jobs][2].values() for f in files}
                got[jobs] = (got[jobs][0], {k: v[0] for k, v in got[jobs][1].items() if k in listed}, got[jobs][2])
        for k in range(3):
            a, b = got["1"][k], got["all"][k]
            if a != b:
                keys = sorted(set(a) | set(b))
                diff = [(x, a.get(x), b.get(x)) for x in keys if a.get(x) != b.get(x)][:5]
                raise AssertionError((mode, k, diff))
    # The cache entry of the big package is the same whoever wrote its files.
    assert entries["1"] == entries["all"], [k for k in entries["1"][0] if entries["1"][0].get(k) != entries["all"][0].get(k)][:5]


def test_parts_fail(env):
    """A failure while a package is half placed (some of its parts written, no record yet)
    puts the previous environment back; with one worker nothing is cut, so it never happens."""
    gen = os.path.join(env.tmp, "gen-parts-fail")
    files = {"lib/half/d%d/f%d" % (d, k): ("%d %d\n" % (d, k)).encode() for d in range(4) for k in range(100)}
    half = lockgen.make_conda_package(gen, "half", "1.0", files=files, mtime=1700000000)
    before_pkg = lockgen.make_conda_package(gen, "before", "1.0", files={"share/before/x": b"x"}, mtime=1700000000)
    prefix = os.path.join(env.tmp, "parts-fail")
    env.install(env.lock([lockgen.conda(before_pkg)]), prefix)
    previous = lockgen.snapshot(prefix)
    lock = env.lock([lockgen.conda(before_pkg), lockgen.conda(half)])
    assert len(os.sched_getaffinity(0)) >= 2, "placing a package in parts needs two CPUs or more"
    for mode in ("copy", "hardlink"):
        _, r = env.install(lock, prefix, "--link-mode", mode, fault="placed-part:fail", expect=1)
        assert "placed-part" in r.stderr and "previous environment was restored" in r.stderr, (mode, r.stderr)
        assert lockgen.snapshot(prefix) == previous, mode
    env.install(lock, prefix, one_cpu=True, fault="placed-part:fail")
    assert "half" in lockgen.conda_meta_records(prefix)
    verify(prefix)


def test_failures(env):
    z = lockgen.conda(pkg("zlib-1.2.11-h7b6447c_3.conda"))
    se = lockgen.conda(pkg("small-executable-1.0-0.conda"))
    good = env.lock([z])
    prefix = os.path.join(env.tmp, "failing")
    env.install(good, prefix)
    before = lockgen.snapshot(prefix)
    before_m = lockgen.mtimes(prefix)

    # Wrong sha256 for one package: exit 4, existing prefix exactly as it was.
    bad_se = dict(se, sha256="0" * 64)
    bad = env.lock([z, bad_se])
    _, r = env.install(bad, prefix, expect=4)
    assert "small-executable" in r.stderr, r.stderr
    assert lockgen.snapshot(prefix) == before and lockgen.mtimes(prefix) == before_m, "failed install changed the prefix"
    verify(prefix)
    fresh = os.path.join(env.tmp, "fresh-failing")
    _, r = env.install(bad, fresh, expect=4)
    assert not os.path.exists(fresh), "failed install left a fresh prefix behind"

    # --offline with an http artifact that is not in the cache: exit 5, listed, nothing installed.
    # (A package already extracted in the cache needs no archive, so use one this cache never saw.)
    remote = dict(lockgen.conda(pkg("testfile-0.0.57-0.tar.bz2")),
                  location="https://conda.anaconda.org/conda-forge/linux-64/testfile-0.0.57-0.tar.bz2")
    offline = env.lock([z, remote])
    _, r = env.install(offline, prefix, "--offline", expect=5)
    assert "testfile-0.0.57-0.tar.bz2" in r.stderr, r.stderr
    assert lockgen.snapshot(prefix) == before, "offline failure changed the prefix"
    fresh2 = os.path.join(env.tmp, "fresh-offline")
    _, r = env.install(offline, fresh2, "--offline", expect=5)
    assert not os.path.exists(fresh2)

    # A source package and an sdist can't be installed from the lock: listed, unless skipped.
    src = env.lock([z, lockgen.conda_source("mysrc")])
    _, r = env.install(src, prefix, expect=1)
    assert "mysrc" in r.stderr and "--skip mysrc" in r.stderr, r.stderr
    assert lockgen.snapshot(prefix) == before
    rep, _ = env.install(src, prefix, "--skip", "mysrc")
    assert rep["up_to_date"] or rep["installed"] == [], rep
    verify(prefix)


def main():
    with tempfile.TemporaryDirectory(prefix="pi-e2e-install-") as tmp:
        env = Env(tmp)
        for t in (test_fresh_noop_dryrun, test_upgrade_downgrade_remove, test_skip_only, test_link_modes,
                  test_clobbers, test_clobber_neighbours, test_parts, test_parts_fail, test_failures):
            t(env)
            print("ok", t.__name__, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
