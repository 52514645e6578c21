#!/usr/bin/env python3
"""Reproducible prefixes: with SOURCE_DATE_EPOCH (or --reproducible) the installed tree of
one lock at one prefix path is byte-identical (sha256 of `tar --sort=name --numeric-owner`)
whatever the cache (cold, warm, a bundle made by `pack`, another cache directory), the
number of downloads at once (-j 1, -j 8) and the wall clock (an install "an hour later"
under faketime, when it is installed).

Two locks: the demo (fixtures/demo), and a generated one with wheels (two writing the same
file), a noarch: python package, text placeholders, symlinks and a clobbered path, installed
with --compile-bytecode too when /usr/bin/python3 runs. Also checked: every entry has the
epoch as its mtime, no file names a cache directory, conda-meta records leave out
extracted_package_dir; and as a control, installs without the variable do differ.
Exit 77 when the binary is not built.
"""
import hashlib
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
EPOCH = 1700000000


def run(args, env, check=True, faketime=None):
    cmd = [BIN, "--no-progress"] + args
    if faketime:
        cmd = ["faketime", "-f", faketime] + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if check:
        assert r.returncode == 0, (cmd, r.stdout.decode(), r.stderr.decode())
    return r


def tree_digest(prefix):
    tar = subprocess.run(["tar", "--sort=name", "--numeric-owner", "-cf", "-", "-C", prefix, "."],
                         stdout=subprocess.PIPE, check=True)
    return hashlib.sha256(tar.stdout).hexdigest()


def listing(prefix):
    """What differs, for a failure message: path -> (mtime, kind, content hash)."""
    out = {}
    for root, dirs, files in os.walk(prefix):
        for n in dirs + files:
            full = os.path.join(root, n)
            st = os.lstat(full)
            content = ""
            if os.path.islink(full):
                content = os.readlink(full)
            elif os.path.isfile(full):
                with open(full, "rb") as f:
                    content = hashlib.sha256(f.read()).hexdigest()
            out[os.path.relpath(full, prefix)] = (st.st_mtime_ns, oct(st.st_mode), content)
    return out


def check_tree(prefix, caches):
    for root, dirs, files in os.walk(prefix):
        for n in dirs + files + ["."]:
            full = os.path.join(root, n)
            st = os.lstat(full)
            assert st.st_mtime_ns == EPOCH * 10**9, (full, st.st_mtime_ns)
            if n != "." and os.path.isfile(full) and not os.path.islink(full):
                with open(full, "rb") as f:
                    data = f.read()
                for c in caches:
                    assert c.encode() not in data, "%s names the cache %s" % (full, c)
    for name, rec in lockgen.conda_meta_records(prefix).items():
        assert "extracted_package_dir" not in rec and "link" not in rec, (name, sorted(rec))


def generated_lock(tmp, compile_ok):
    """Packages and wheels that exercise placeholders, symlinks, clobbers, noarch python, wheels."""
    pkgs = os.path.join(tmp, "gen-pkgs")
    vi = sys.version_info
    # The stand-in links to /usr/bin/python3: its version decides site-packages.
    probe = subprocess.run(["/usr/bin/python3", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                           stdout=subprocess.PIPE) if os.path.exists("/usr/bin/python3") else None
    version = probe.stdout.decode().strip() if probe and probe.returncode == 0 else "%d.%d.0" % (vi[0], vi[1])
    short = ".".join(version.split(".")[:2])
    py = lockgen.make_python_standin(pkgs, version=version)
    tool = lockgen.make_conda_package(
        pkgs, "tool", "1.0", files={"bin/tool": (b"#!/bin/sh\necho /opt/anaconda1anaconda2anaconda3\n", 0o755),
                                    "etc/tool.conf": b"root=/opt/anaconda1anaconda2anaconda3\n",
                                    "share/tool/shared.txt": b"tool's copy\n",
                                    "lib/libtool.so.1.0": b"\x7fELF not really\n"},
        symlinks={"lib/libtool.so": "libtool.so.1.0", "lib/libtool.so.1": "libtool.so.1.0"},
        text_placeholders={"bin/tool", "etc/tool.conf"}, mtime=1600000000)
    other = lockgen.make_conda_package(
        pkgs, "other", "2.0", files={"share/tool/shared.txt": b"other's copy\n", "share/other/a.txt": b"a\n"},
        mtime=1600000000)
    noarch = lockgen.make_conda_package(
        pkgs, "purepkg", "0.3", build="pyh0_0", noarch="python",
        files={"site-packages/purepkg/__init__.py": b"VALUE = {'a', 'b', 'c'}\n",
               "site-packages/purepkg/sub/mod.py": b"def f(x):\n    return x in {'x', 'y', 'z'}\n",
               "site-packages/purepkg/data.txt": b"not code\n"},
        depends=["python"], mtime=1600000000)
    whl = os.path.join(tmp, "gen-whl")
    w1 = lockgen.make_wheel(whl, "alpha", "1.0", {"alpha/__init__.py": "A = 1\n", "shared_mod.py": "WHO = 'alpha'\n"},
                            console_scripts={"alpha-cli": "alpha:main"})
    w2 = lockgen.make_wheel(whl, "beta", "2.0", {"beta/__init__.py": "B = 2\n", "shared_mod.py": "WHO = 'beta'\n"})
    entries = [lockgen.conda(py), lockgen.conda(tool), lockgen.conda(other, depends=["tool"]),
               lockgen.conda(noarch, noarch="python", subdir="noarch", depends=["python"]),
               lockgen.wheel(w1), lockgen.wheel(w2)]
    return lockgen.write_lock(os.path.join(tmp, "gen"), entries), short


def scenario(tmp, label, lock, extra, env):
    """Installs `lock` at one prefix path in every way; returns the digests."""
    prefix = os.path.join(tmp, label + "-env")
    renv = dict(env, SOURCE_DATE_EPOCH=str(EPOCH))
    caches = []
    digests = {}

    def install(name, args, cache, faketime=None, run_env=renv):
        if os.path.exists(prefix):
            shutil.rmtree(prefix)
        caches.append(cache)
        run(["install", "-l", lock, "-p", prefix, "--cache-dir", cache, "--offline"] + extra + args, run_env,
            faketime=faketime)
        digests[name] = tree_digest(prefix)
        return listing(prefix)

    first = install("cold -j 1", ["-j", "1"], os.path.join(tmp, label + "-cache-a"))
    check_tree(prefix, [os.path.join(tmp, label + "-cache-a")])
    install("warm -j 8", ["-j", "8"], os.path.join(tmp, label + "-cache-a"))
    bundle = os.path.join(tmp, label + "-bundle.tar")
    run(["pack", "-l", lock, "-o", bundle, "--cache-dir", os.path.join(tmp, label + "-cache-pack")], env)
    install("bundle", ["--bundle", bundle], os.path.join(tmp, label + "-cache-b", "deeper", "elsewhere"))
    install("--reproducible", ["--reproducible"], os.path.join(tmp, label + "-cache-c"))
    if shutil.which("faketime"):
        install("an hour later", [], os.path.join(tmp, label + "-cache-d"), faketime="+1h")
    else:
        print("faketime is not installed: the later install runs now")
        install("again", [], os.path.join(tmp, label + "-cache-d"))
    check_tree(prefix, caches)
    if len(set(digests.values())) != 1:
        last = listing(prefix)
        diff = {k: (first.get(k), last.get(k)) for k in set(first) | set(last) if first.get(k) != last.get(k)}
        raise AssertionError("%s: trees differ: %s\nfirst difference(s): %s" % (label, digests, sorted(diff.items())[:10]))

    # Control: without SOURCE_DATE_EPOCH (and another cache) the trees are not the same.
    shutil.rmtree(prefix)
    run(["install", "-l", lock, "-p", prefix, "--cache-dir", os.path.join(tmp, label + "-cache-x"), "--offline"]
        + extra, env)
    assert tree_digest(prefix) not in digests.values(), "a plain install matched the reproducible one"
    return prefix


def main():
    if not BIN or not os.access(BIN, os.X_OK):
        print("skip: PIXI_INSTALL_BIN is not built")
        return 77
    if not shutil.which("tar"):
        print("skip: no tar")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "LANG": "C"}
        demo = os.path.join(tmp, "demo")
        shutil.copytree(os.path.join(SOURCE, "fixtures", "demo"), demo)
        scenario(tmp, "demo", os.path.join(demo, "pixi.lock"), [], env)

        compile_ok = subprocess.run(["/usr/bin/python3", "-c", "import py_compile"]).returncode == 0 \
            if os.path.exists("/usr/bin/python3") else False
        lock, short = generated_lock(tmp, compile_ok)
        extra = ["--compile-bytecode"] if compile_ok else []
        prefix = scenario(tmp, "gen", lock, extra, env)
        # The later of the two wheels (lock order) owns the shared module, the clobber winner is
        # decided, placeholders were rewritten, the symlinks are links.
        site = os.path.join(prefix, "lib", "python" + short, "site-packages")
        with open(os.path.join(site, "shared_mod.py")) as f:
            assert f.read() == "WHO = 'beta'\n"
        with open(os.path.join(prefix, "etc", "tool.conf")) as f:
            assert f.read() == "root=%s\n" % prefix
        assert os.readlink(os.path.join(prefix, "lib", "libtool.so")) == "libtool.so.1.0"
        assert os.path.isdir(os.path.join(prefix, "__clobbers__"))
        if compile_ok:
            pyc = [n for n in os.listdir(os.path.join(site, "purepkg", "__pycache__")) if n.endswith(".pyc")]
            assert pyc, "no bytecode for the noarch package"
        else:
            print("bytecode not checked: /usr/bin/python3 does not run")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
