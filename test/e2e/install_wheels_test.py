#!/usr/bin/env python3
"""`pixi-install install` of a lock with conda packages and PyPI wheels: the wheels are
importable with the environment's interpreter, console scripts run, a wheel left out of
the next lock is removed exactly (its RECORD), and `verify` passes (it checks RECORDs)."""
import csv
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402

BIN, CORPUS = lockgen.require_env()
WHEELS = os.path.join(CORPUS, "wheels")
SITE = "lib/python3.11/site-packages"


def install(lock, prefix, cache, *extra, one_cpu=False):
    """One install; `one_cpu`: the process may run on one CPU only (one worker)."""
    first = min(os.sched_getaffinity(0))
    r = subprocess.run([BIN, "install", "-l", lock, "-p", prefix, "--cache-dir", cache, "--json", *extra],
                       capture_output=True, text=True, timeout=120,
                       preexec_fn=(lambda: os.sched_setaffinity(0, {first})) if one_cpu else None)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    return json.loads(r.stdout)["environments"][0]


def verify(prefix):
    r = subprocess.run([BIN, "verify", "-p", prefix], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)


def record_files(prefix, dist_info):
    with open(os.path.join(prefix, SITE, dist_info, "RECORD"), newline="") as f:
        return [os.path.normpath(os.path.join(SITE, row[0])) for row in csv.reader(f) if row]


def main():
    if not os.path.exists("/usr/bin/python3") or sys.version_info[:2] != (3, 11):
        # The stand-in python package names its interpreter python3.11.
        print("skipped: needs /usr/bin/python3 3.11")
        return 77
    with tempfile.TemporaryDirectory(prefix="pi-e2e-wheels-") as tmp:
        cache = os.path.join(tmp, "cache")
        gen = os.path.join(tmp, "gen")
        python = lockgen.make_python_standin(gen, "3.11.4")
        greet = lockgen.make_wheel(gen, "greet-tool", "1.0", {
            "greet_tool/__init__.py": "def main():\n    print('hello from greet')\n    return 0\n",
            "greet_tool/data.txt": "data\n"}, console_scripts={"greet": "greet_tool:main"})
        sample = os.path.join(WHEELS, "sample-1.2.0-py2.py3-none-any.whl")
        ns = os.path.join(WHEELS, "simple_namespace-1.0-py2.py3-none-any.whl")
        zlib = os.path.join(CORPUS, "conda-pkgs", "zlib-1.2.11-h7b6447c_3.conda")
        conda = [lockgen.conda(python), lockgen.conda(zlib)]
        l1 = lockgen.write_lock(os.path.join(tmp, "l1"), conda + [lockgen.wheel(greet), lockgen.wheel(sample),
                                                                  lockgen.wheel(ns)])
        l2 = lockgen.write_lock(os.path.join(tmp, "l2"), conda + [lockgen.wheel(greet), lockgen.wheel(ns)])
        prefix = os.path.join(tmp, "env")

        rep = install(l1, prefix, cache)
        assert sorted(rep["wheels_installed"]) == ["greet-tool-1.0", "sample-1.2.0", "simple-namespace-1.0"], rep
        verify(prefix)
        py = os.path.join(prefix, "bin", "python3.11")
        assert os.path.realpath(py) == os.path.realpath("/usr/bin/python3")
        # The stand-in is a symlink to the system interpreter, whose sys.prefix stays /usr:
        # the environment's site-packages is put on the path explicitly.
        env = dict(os.environ, PYTHONPATH=os.path.join(prefix, SITE), PYTHONDONTWRITEBYTECODE="1")
        r = subprocess.run([py, "-c", "import greet_tool, sample, simple_namespace.module; "
                                      "print(greet_tool.__file__); print(sample.__file__)"],
                           capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        assert all(line.startswith(os.path.join(prefix, SITE)) for line in r.stdout.split()), r.stdout
        for script, expected in (("greet", "hello from greet"), ("sample", "Call your main application code here")):
            path = os.path.join(prefix, "bin", script)
            with open(path) as f:
                assert f.readline().strip() == "#!" + py, path
            r = subprocess.run([path], capture_output=True, text=True, env=env)
            assert r.returncode == 0 and expected in r.stdout, (script, r.returncode, r.stdout, r.stderr)

        sample_files = record_files(prefix, "sample-1.2.0.dist-info")
        greet_files = record_files(prefix, "greet_tool-1.0.dist-info")
        assert "bin/sample" in sample_files and "bin/greet" in greet_files, (sample_files, greet_files)
        before = lockgen.mtimes(prefix)

        # Same lock again: nothing to do.
        rep = install(l1, prefix, cache)
        assert rep["up_to_date"] is True, rep
        assert lockgen.mtimes(prefix) == before

        # Lock 2 drops `sample`: exactly its files go, the rest stays untouched.
        rep = install(l2, prefix, cache)
        assert rep["wheels_removed"] == ["sample-1.2.0"] and rep["wheels_installed"] == [], rep
        for f in sample_files:
            assert not os.path.lexists(os.path.join(prefix, f)), "left behind: " + f
        assert not os.path.exists(os.path.join(prefix, SITE, "sample"))
        after = lockgen.mtimes(prefix)
        for f in greet_files:
            assert after.get(f) == before.get(f), "touched: " + f
        for f in lockgen.conda_meta_records(prefix)["zlib"]["files"]:
            assert after.get(f) == before.get(f), "touched: " + f
        r = subprocess.run([os.path.join(prefix, "bin", "greet")], capture_output=True, text=True, env=env)
        assert r.returncode == 0 and "hello from greet" in r.stdout, r.stderr
        verify(prefix)

        # A wheel's file edited after the install is found by verify (RECORD hashes).
        with open(os.path.join(prefix, SITE, "greet_tool", "data.txt"), "w") as f:
            f.write("changed\n")
        r = subprocess.run([BIN, "verify", "-p", prefix], capture_output=True, text=True)
        assert r.returncode == 4 and "greet_tool/data.txt" in r.stdout, (r.returncode, r.stdout, r.stderr)

        # A wheel with most of the files is written by several workers at once: the prefix,
        # RECORDs included, is the one a single worker makes (the process allowed one CPU).
        modules = {"big_pkg/__init__.py": "from big_pkg.sub3 import m7\n"}
        for d in range(6):
            for k in range(100):
                modules["big_pkg/sub%d/m%d.py" % (d, k)] = "VALUE = %r\n" % ("%d-%d " % (d, k) * (1 + k * 9))
            modules["big_pkg/sub%d/__init__.py" % d] = ""
        big = lockgen.make_wheel(gen, "big-pkg", "2.0", modules, console_scripts={"big": "big_pkg:main"})
        l3 = lockgen.write_lock(os.path.join(tmp, "l3"), conda + [lockgen.wheel(big), lockgen.wheel(greet),
                                                                  lockgen.wheel(ns)])
        assert len(os.sched_getaffinity(0)) >= 2, "writing a wheel in parts needs two CPUs or more"
        got = {}
        for jobs in ("1", "all"):
            subprocess.run(["rm", "-rf", prefix], check=True)
            rep = install(l3, prefix, cache, one_cpu=jobs == "1")
            assert sorted(rep["wheels_installed"]) == ["big-pkg-2.0", "greet-tool-1.0", "simple-namespace-1.0"], rep
            verify(prefix)
            r = subprocess.run([py, "-c", "import big_pkg.sub5.m99 as m, big_pkg; print(m.VALUE[:5], big_pkg.m7.VALUE[:4])"],
                               capture_output=True, text=True, env=env)
            assert r.returncode == 0 and r.stdout.split() == ["5-99", "3-7"], (r.returncode, r.stdout, r.stderr)
            got[jobs] = lockgen.snapshot(prefix, ignore=("conda-meta",))
            rf = record_files(prefix, "big_pkg-2.0.dist-info")
            # The modules, __init__.py, bin/big and eight dist-info files (RECORD among them).
            assert len(rf) == 6 * 101 + 9, (jobs, len(rf), [f for f in rf if "big_pkg/sub" not in f])
        assert got["1"] == got["all"], sorted(set(got["1"].items()) ^ set(got["all"].items()))[:5]

        # A failure while the big wheel is half written puts the previous environment back.
        subprocess.run(["rm", "-rf", prefix], check=True)
        install(l2, prefix, cache)
        previous = lockgen.snapshot(prefix)
        r = subprocess.run([BIN, "install", "-l", l3, "-p", prefix, "--cache-dir", cache],
                           capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, PIXI_INSTALL_FAULT="placed-part:fail"))
        assert r.returncode == 1 and "placed-part" in r.stderr, (r.returncode, r.stderr)
        assert "previous environment was restored" in r.stderr, r.stderr
        assert lockgen.snapshot(prefix) == previous
        verify(prefix)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
