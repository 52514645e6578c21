#!/usr/bin/env python3
"""--compile-bytecode on the demo (fixtures/demo; its python stand-in runs /usr/bin/python3,
which must be 3.11, else exit 77):

- every .py below site-packages has its __pycache__/<stem>.cpython-311.pyc, recorded in the
  noarch package's conda-meta record (path_type pyc_file, with its sha256) or in the wheel's
  RECORD (with its hash); the console scripts still run; `verify` is clean;
- with SOURCE_DATE_EPOCH the pycs are checked-hash (PEP 552 flags 0b11), else timestamp-based;
- PIXI_INSTALL_COMPILE_BYTECODE=1 does the same as the flag, and turning it on for a prefix
  installed without it compiles what is there, without running the code of a `.pth` file
  in site-packages;
- removing the wheel (--no-pypi) removes its pycs and keeps the conda package's;
- a target platform other than this machine's is refused (exit 2) before anything changes.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
SOURCE = os.environ.get("PIXI_INSTALL_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))
SITE = "lib/python3.11/site-packages"


def run(args, env, expect=0):
    r = subprocess.run([BIN, "--no-progress"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert r.returncode == expect, (args, r.returncode, r.stdout.decode(), r.stderr.decode())
    return r


def sources_and_pycs(prefix):
    py, pyc = set(), set()
    for root, _, files in os.walk(os.path.join(prefix, SITE)):
        for n in files:
            rel = os.path.relpath(os.path.join(root, n), prefix)
            if n.endswith(".py"):
                py.add(rel)
            elif n.endswith(".pyc"):
                pyc.add(rel)
    return py, pyc


def expected_pyc(src):
    d, f = os.path.split(src)
    return os.path.join(d, "__pycache__", f[:-3] + ".cpython-311.pyc")


def recorded(prefix):
    """prefix-relative paths the conda records and RECORDs list, with how."""
    out = {}
    for n in os.listdir(os.path.join(prefix, "conda-meta")):
        if n.endswith(".json"):
            with open(os.path.join(prefix, "conda-meta", n)) as f:
                rec = json.load(f)
            assert sorted(rec["files"]) == rec["files"]
            assert rec["files"] == [p["_path"] for p in rec["paths_data"]["paths"]]
            for p in rec["paths_data"]["paths"]:
                out[p["_path"]] = (rec["name"], p["path_type"], p.get("sha256", ""))
    site = os.path.join(prefix, SITE)
    for n in os.listdir(site):
        if n.endswith(".dist-info") and os.path.exists(os.path.join(site, n, "RECORD")):
            with open(os.path.join(site, n, "RECORD")) as f:
                for row in csv.reader(f):
                    out[os.path.normpath(os.path.join(SITE, row[0]))] = (n, "RECORD", row[1])
    return out


def pyc_flags(path):
    with open(path, "rb") as f:
        head = f.read(8)
    return int.from_bytes(head[4:8], "little")


def check_compiled(prefix, env, checked_hash):
    py, pyc = sources_and_pycs(prefix)
    assert py, "no python sources in the demo?"
    rec = recorded(prefix)
    for src in py:
        want = expected_pyc(src)
        assert want in pyc, "%s has no %s (pycs: %s)" % (src, want, sorted(pyc))
        assert want in rec, "%s is not recorded" % want
        owner, kind, digest = rec[want]
        assert digest, want
        assert kind in ("pyc_file", "RECORD"), rec[want]
        flags = pyc_flags(os.path.join(prefix, want))
        assert flags == (3 if checked_hash else 0), (want, flags)
    run(["verify", "-p", prefix], env)
    # The entry points still run.
    out = run(["run", "-p", prefix, "hello-noarch"], env).stdout.decode()
    assert out.startswith("hello-noarch: an entry point"), out
    return py


def main():
    if not BIN or not os.access(BIN, os.X_OK):
        print("skip: PIXI_INSTALL_BIN is not built")
        return 77
    probe = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version_info[:2] == (3, 11))"],
                           stdout=subprocess.PIPE) if os.path.exists("/usr/bin/python3") else None
    if probe is None or probe.stdout.strip() != b"True":
        print("skip: the demo's python stand-in needs /usr/bin/python3 to be 3.11")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "LANG": "C"}
        demo = os.path.join(tmp, "demo")
        shutil.copytree(os.path.join(SOURCE, "fixtures", "demo"), demo)
        lock = os.path.join(demo, "pixi.lock")
        cache = os.path.join(tmp, "cache")
        base = ["install", "-l", lock, "--cache-dir", cache, "--offline"]

        # Another platform: refused before anything is made.
        other = "linux-aarch64" if os.uname().machine == "x86_64" else "linux-64"
        pkg = lockgen.make_conda_package(os.path.join(tmp, "x"), "thing", "1.0", files={"share/t": b"t\n"},
                                         subdir=other)
        xlock = lockgen.write_lock(os.path.join(tmp, "x"), [lockgen.conda(pkg, subdir=other)], platform=other)
        cross = subprocess.run([BIN, "--no-progress", "install", "-l", xlock, "--cache-dir", cache, "--offline",
                                "-p", os.path.join(tmp, "cross"), "--compile-bytecode", "--platform", other],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert cross.returncode == 2 and b"--compile-bytecode" in cross.stderr, cross.stderr.decode()
        assert not os.path.exists(os.path.join(tmp, "cross"))

        # The flag, reproducible: checked-hash pycs.
        p1 = os.path.join(tmp, "env1")
        run(base + ["-p", p1, "--compile-bytecode"], dict(env, SOURCE_DATE_EPOCH="0"))
        check_compiled(p1, env, checked_hash=True)
        greet = run(["run", "-p", p1, "demo-greet"], env).stdout.decode()
        assert greet.startswith("demo-greet: a console script"), greet

        # The variable, on a prefix installed without: compiled on the next run, timestamp pycs.
        p2 = os.path.join(tmp, "env2")
        run(base + ["-p", p2], env)
        assert not sources_and_pycs(p2)[1], "pycs without --compile-bytecode"
        # A .pth file of the environment runs code whenever its python starts with `site`: the
        # compiler's interpreter runs without it (-I -S), so nothing of it runs at install time.
        pth = os.path.join(p2, SITE, "zz-hostile.pth")
        canary = os.path.join(tmp, "pth-ran")
        with open(pth, "w") as f:
            f.write("import os; open(%r, 'w').close()\n" % canary)
        run(base + ["-p", p2], dict(env, PIXI_INSTALL_COMPILE_BYTECODE="1"))
        assert not os.path.exists(canary), "a .pth file ran code during --compile-bytecode"
        os.remove(pth)
        py = check_compiled(p2, env, checked_hash=False)
        bad = subprocess.run([BIN] + base + ["-p", p2], env=dict(env, PIXI_INSTALL_COMPILE_BYTECODE="maybe"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert bad.returncode == 2 and b"PIXI_INSTALL_COMPILE_BYTECODE" in bad.stderr, bad.stderr

        # Removing the wheel removes its bytecode, the conda package keeps its own.
        wheel_py = [p for p in py if "demo_greet" in p]
        conda_py = [p for p in py if "hello_noarch" in p]
        assert wheel_py and conda_py, py
        run(base + ["-p", p2, "--no-pypi"], dict(env, PIXI_INSTALL_COMPILE_BYTECODE="1"))
        for src in wheel_py:
            assert not os.path.exists(os.path.join(p2, expected_pyc(src))), src
            assert not os.path.exists(os.path.join(p2, src)), src
        for src in conda_py:
            assert os.path.exists(os.path.join(p2, expected_pyc(src))), src
        run(["verify", "-p", p2], env)
        # Unlinking the conda package (--skip) removes its recorded pycs too.
        run(base + ["-p", p2, "--no-pypi", "--skip", "hello-noarch"], dict(env, PIXI_INSTALL_COMPILE_BYTECODE="1"))
        for src in conda_py:
            assert not os.path.exists(os.path.join(p2, expected_pyc(src))), src
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
