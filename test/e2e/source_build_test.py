#!/usr/bin/env python3
"""Source entries of a lock built through their own PEP 517 / PEP 660 backends, offline.

The backends are real: setuptools' wheel as Debian ships it (python3-setuptools-whl) and a
wheel the test packs from Debian's installed `wheel` package; the environment's python is a
stand-in for /usr/bin/python3 (3.11). Checked:

- a setup.py-only sdist (setuptools' legacy backend), a pyproject (setuptools.build_meta)
  directory, an editable directory (PEP 660) and a `no-build-isolation` directory, in one
  lock, with build dependencies from a wheel directory (--find-links); each module imports,
  the editable one sees an edit of its source without a reinstall; INSTALLER, REQUESTED,
  direct_url.json (archive_info / dir_info with editable) and RECORD are as pip writes them;
  `verify` is clean;
- a second run changes nothing and builds nothing; a new prefix takes the wheels built in
  isolation from the cache (only the no-isolation one, which saw the other prefix, is built);
- a change of a non-editable directory's sources rebuilds and reinstalls it;
- a failing backend: exit 8, the backend's last lines and the log's path in the message,
  the prefix as it was;
- an sdist with another hash than the lock's: exit 4, nothing changed;
- a build requirement no wheel meets: exit 5, naming it and the wheel directory;
- an sdist with a symlink out of its tree: refused (exit 4), nothing built;
- --no-install-local installs the dependencies alone, with the local sources absent.
"""
import glob
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
SITE = "lib/python3.11/site-packages"


def run(args, env, expect=0, cwd=None):
    r = subprocess.run([BIN, "--no-progress"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       cwd=cwd)
    assert r.returncode == expect, (args, r.returncode, r.stdout.decode(), r.stderr.decode())
    return r


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def wheel_of_installed_wheel_package(out_dir):
    """Debian's python3-wheel (an egg-info install) packed as a wheel."""
    r = subprocess.run(["/usr/bin/python3", "-c", "import wheel; print(wheel.__file__); print(wheel.__version__)"],
                       stdout=subprocess.PIPE, check=True)
    init, version = r.stdout.decode().split()
    src = os.path.dirname(init)
    files = {}
    for root, dirs, names in os.walk(src):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for n in names:
            if n.endswith(".pyc"):
                continue
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                files[os.path.relpath(p, os.path.dirname(src))] = f.read()
    # Its commands (bdist_wheel) reach setuptools through the entry points.
    egg = glob.glob(os.path.join(os.path.dirname(src), "wheel-%s*-info" % version))
    with open(os.path.join(egg[0], "entry_points.txt"), "rb") as f:
        files["wheel-%s.dist-info/entry_points.txt" % version] = f.read()
    return lockgen.make_wheel(out_dir, "wheel", version, files)


def write_project(d, name, module_text, pyproject=True, setup_py=None):
    os.makedirs(os.path.join(d, name.replace("-", "_")), exist_ok=True)
    with open(os.path.join(d, name.replace("-", "_"), "__init__.py"), "w") as f:
        f.write(module_text)
    if pyproject:
        with open(os.path.join(d, "pyproject.toml"), "w") as f:
            f.write('[build-system]\nrequires = ["setuptools>=60"]\nbuild-backend = "setuptools.build_meta"\n\n'
                    '[project]\nname = "%s"\nversion = "1.0"\n\n[tool.setuptools]\npackages = ["%s"]\n'
                    % (name, name.replace("-", "_")))
    if setup_py is not None:
        with open(os.path.join(d, "setup.py"), "w") as f:
            f.write(setup_py)


def make_sdist(out_dir, name, version, tree_dir, extra_members=()):
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "%s-%s.tar.gz" % (name, version))
    top = "%s-%s" % (name, version)
    with tarfile.open(path, "w:gz") as t:
        t.add(tree_dir, arcname=top)
        for info, data in extra_members:
            info.name = top + "/" + info.name
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def pypi(location, name, version, path=None, editable=False):
    e = {"kind": "pypi", "location": location, "name": name, "version": version,
         "sha256": sha256(path) if path else None, "requires_dist": []}
    if editable:
        e["editable"] = True
    return e


def import_in(prefix, code):
    """Runs `code` with the prefix's site-packages as a site dir (the stand-in python is /usr's)."""
    site = os.path.join(prefix, SITE)
    r = subprocess.run(["/usr/bin/python3", "-I", "-S", "-c",
                        "import site; site.addsitedir(%r)\n%s" % (site, code)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, (code, r.stdout.decode(), r.stderr.decode())
    return r.stdout.decode().strip()


def dist_info(prefix, name):
    found = glob.glob(os.path.join(prefix, SITE, "%s-*.dist-info" % name))
    assert len(found) == 1, (name, found)
    return found[0]


def main():
    if not BIN or not os.path.exists(BIN):
        print("skipped: PIXI_INSTALL_BIN is not built")
        return 77
    v = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version_info[:2] == (3, 11))"],
                       stdout=subprocess.PIPE).stdout.decode().strip() if os.path.exists("/usr/bin/python3") else ""
    if v != "True":
        print("FAIL: the source-build test needs /usr/bin/python3 3.11 (Debian bookworm's)")
        return 1
    setuptools_whl = sorted(glob.glob("/usr/share/python-wheels/setuptools-*.whl"))
    assert setuptools_whl, "python3-setuptools-whl is not installed (scripts/deps.sh installs it)"
    with tempfile.TemporaryDirectory(prefix="pi-e2e-build-") as tmp:
        env = dict(os.environ)
        env["PIXI_INSTALL_CACHE_DIR"] = os.path.join(tmp, "cache")
        env.pop("SOURCE_DATE_EPOCH", None)
        wheels = os.path.join(tmp, "wheelhouse")
        os.makedirs(wheels)
        shutil.copy(setuptools_whl[-1], wheels)
        wheel_whl = wheel_of_installed_wheel_package(wheels)
        pkgs = os.path.join(tmp, "pkgs")
        py = lockgen.make_python_standin(pkgs)

        work = os.path.join(tmp, "work")
        os.makedirs(work)
        # A setup.py-only sdist: no pyproject.toml, so setuptools' legacy backend.
        legacy = os.path.join(tmp, "trees", "legacy-pkg")
        write_project(legacy, "legacy-pkg", "VALUE = 'legacy'\n", pyproject=False,
                      setup_py="from setuptools import setup\nsetup(name='legacy-pkg', version='1.0', "
                               "packages=['legacy_pkg'])\n")
        # A symlink inside the tree is fine (only links out of it are refused).
        inner = tarfile.TarInfo("README.link")
        inner.type = tarfile.SYMTYPE
        inner.linkname = "legacy_pkg/__init__.py"
        legacy_sdist = make_sdist(os.path.join(work, "dist"), "legacy-pkg", "1.0", legacy, [(inner, None)])
        # Directories next to the lock: built, editable, and without isolation.
        write_project(os.path.join(work, "proj-a"), "proj-a", "VALUE = 'a1'\n")
        write_project(os.path.join(work, "proj-e"), "proj-e", "VALUE = 'e1'\n")
        write_project(os.path.join(work, "proj-n"), "proj-n", "VALUE = 'n1'\n")
        with open(os.path.join(work, "pixi.toml"), "w") as f:
            f.write('[workspace]\nname = "w"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n\n'
                    '[pypi-options]\nno-build-isolation = ["proj-n"]\n')
        st = os.path.basename(setuptools_whl[-1])
        entries = [
            lockgen.conda(py),
            pypi("./dist/legacy-pkg-1.0.tar.gz", "legacy-pkg", "1.0", legacy_sdist),
            pypi("./proj-a", "proj-a", "1.0"),
            pypi("./proj-e", "proj-e", "1.0", editable=True),
            # The no-isolation build runs in the environment, which holds setuptools and wheel.
            lockgen.wheel(os.path.join(wheels, st), location=os.path.join(wheels, st)),
            lockgen.wheel(wheel_whl, location=wheel_whl),
            pypi("./proj-n", "proj-n", "1.0"),
        ]
        lock = lockgen.write_lock(work, entries)
        prefix = os.path.join(tmp, "env")
        r = run(["install", "-l", lock, "-p", prefix, "--find-links", wheels], env)
        err = r.stderr.decode()
        for n in ("legacy-pkg", "proj-a", "proj-e", "proj-n"):
            assert "building %s" % n in err, err
        assert "setuptools.build_meta:__legacy__" in err and "without build isolation" in err, err
        assert import_in(prefix, "import legacy_pkg, proj_a, proj_e, proj_n; "
                                 "print(legacy_pkg.VALUE, proj_a.VALUE, proj_e.VALUE, proj_n.VALUE)") == \
            "legacy a1 e1 n1"
        # What pip writes: INSTALLER, REQUESTED, direct_url.json, all in RECORD.
        for n, kind in (("legacy_pkg", "archive"), ("proj_a", "dir"), ("proj_e", "editable"), ("proj_n", "dir")):
            di = dist_info(prefix, n)
            with open(os.path.join(di, "INSTALLER")) as f:
                assert f.read().strip() == "pixi-install"
            assert os.path.exists(os.path.join(di, "REQUESTED"))
            with open(os.path.join(di, "direct_url.json")) as f:
                du = json.load(f)
            if kind == "archive":
                assert du["url"].startswith("file://") and du["url"].endswith("legacy-pkg-1.0.tar.gz"), du
                assert du["archive_info"]["hashes"]["sha256"] == sha256(legacy_sdist), du
            else:
                assert du["url"] == "file://" + os.path.join(work, n.replace("_", "-")), du
                assert du["dir_info"].get("editable", False) == (kind == "editable"), du
            with open(os.path.join(di, "RECORD")) as f:
                rec = f.read()
            for meta in ("INSTALLER", "REQUESTED", "direct_url.json"):
                assert os.path.basename(di) + "/" + meta in rec, (meta, rec)
        # The build environment never touched the target: only the lock's wheels are in it.
        names = sorted(os.path.basename(p).split("-")[0] for p in glob.glob(os.path.join(prefix, SITE, "*.dist-info")))
        assert names == ["legacy_pkg", "proj_a", "proj_e", "proj_n", "setuptools", "wheel"], names
        run(["verify", "-p", prefix], env)

        # Editable: an edit of the source shows without reinstalling.
        with open(os.path.join(work, "proj-e", "proj_e", "__init__.py"), "w") as f:
            f.write("VALUE = 'e2'\n")
        assert import_in(prefix, "import proj_e; print(proj_e.VALUE)") == "e2"

        # Second run: nothing to do, nothing built.
        before = lockgen.snapshot(prefix)
        r = run(["install", "-l", lock, "-p", prefix, "--find-links", wheels, "--json"], env)
        assert json.loads(r.stdout)["environments"][0]["source_packages_built"] == 0, r.stdout
        assert "building" not in r.stderr.decode(), r.stderr.decode()
        assert lockgen.snapshot(prefix) == before

        # A new prefix: the wheels built in isolation come from the cache; the one built
        # without isolation saw the other environment, so it is built again in this one.
        prefix2 = os.path.join(tmp, "env2")
        r = run(["install", "-l", lock, "-p", prefix2, "--find-links", wheels], env)
        err = r.stderr.decode()
        assert err.count("building") == 1 and "building proj-n" in err, err
        assert import_in(prefix2, "import legacy_pkg, proj_a; print(proj_a.VALUE)") == "a1"

        # A non-editable directory that changed is built and installed again.
        with open(os.path.join(work, "proj-a", "proj_a", "__init__.py"), "w") as f:
            f.write("VALUE = 'a2'\n")
        r = run(["install", "-l", lock, "-p", prefix, "--find-links", wheels], env)
        err = r.stderr.decode()
        assert "building proj-a" in err and "building legacy-pkg" not in err, err
        assert import_in(prefix, "import proj_a; print(proj_a.VALUE)") == "a2"

        # A failing backend: exit 8, its last lines and the log, the prefix as it was.
        before = lockgen.snapshot(prefix)
        bad_tree = os.path.join(tmp, "trees", "bad-pkg")
        write_project(bad_tree, "bad-pkg", "", pyproject=False,
                      setup_py="raise SystemExit('bad-pkg cannot be built: BOOM-4711')\n")
        bad_sdist = make_sdist(os.path.join(work, "dist"), "bad-pkg", "1.0", bad_tree)
        bad_lock = lockgen.write_lock(work, entries + [pypi(bad_sdist, "bad-pkg", "1.0", bad_sdist)],
                                      name="bad.lock")
        r = run(["install", "-l", bad_lock, "-p", prefix, "--find-links", wheels], env, expect=8)
        err = r.stderr.decode()
        assert "building bad-pkg failed" in err and "BOOM-4711" in err and "the full log: " in err, err
        log = err.split("the full log: ")[1].split()[0]
        with open(log) as f:
            assert "BOOM-4711" in f.read()
        assert lockgen.snapshot(prefix) == before, "a failed build changed the prefix"

        # An sdist whose bytes are not the lock's: exit 4.
        wrong = dict(pypi(legacy_sdist, "legacy-pkg", "1.0", legacy_sdist), sha256="ab" * 32)
        wrong_lock = lockgen.write_lock(os.path.join(tmp, "wronglock"), [lockgen.conda(py), wrong])
        prefix3 = os.path.join(tmp, "env3")
        run(["install", "-l", wrong_lock, "-p", prefix3, "--find-links", wheels], env, expect=4)
        assert not os.path.exists(prefix3)

        # A build requirement no wheel meets: exit 5, naming it and where it was looked for.
        nodeps = os.path.join(tmp, "nodeps", "proj-x")
        write_project(nodeps, "proj-x", "")
        with open(os.path.join(nodeps, "pyproject.toml"), "w") as f:
            f.write('[build-system]\nrequires = ["setuptools>=60", "hatchling>=99"]\n'
                    'build-backend = "setuptools.build_meta"\n')
        x_lock = lockgen.write_lock(os.path.join(tmp, "nodeps"), [lockgen.conda(py), pypi("./proj-x", "proj-x", "1.0")])
        r = run(["install", "-l", x_lock, "-p", prefix3, "--find-links", wheels], env, expect=5)
        err = r.stderr.decode()
        assert "hatchling>=99" in err and wheels in err, err
        assert not os.path.exists(prefix3)

        # An sdist with a symlink out of its tree is refused before any backend runs.
        link = tarfile.TarInfo("evil")
        link.type = tarfile.SYMTYPE
        link.linkname = "../../../etc/passwd"
        evil_sdist = make_sdist(os.path.join(tmp, "evil"), "evil-pkg", "1.0", legacy, [(link, None)])
        evil_lock = lockgen.write_lock(os.path.join(tmp, "evil"), [lockgen.conda(py),
                                                                   pypi(evil_sdist, "evil-pkg", "1.0", evil_sdist)])
        r = run(["install", "-l", evil_lock, "-p", prefix3, "--find-links", wheels], env, expect=4)
        assert "outside the source tree" in r.stderr.decode(), r.stderr.decode()
        assert not os.path.exists(prefix3)
        # Dependencies only (the Docker layer before `COPY . .`): the local sources are left
        # out, and may be absent.
        deps_work = os.path.join(tmp, "deps-only")
        os.makedirs(deps_work)
        deps_lock = lockgen.write_lock(deps_work, entries)
        prefix4 = os.path.join(tmp, "env4")
        r = run(["install", "-l", deps_lock, "-p", prefix4, "--find-links", wheels, "--no-install-local"], env)
        assert "building" not in r.stderr.decode(), r.stderr.decode()
        names = sorted(os.path.basename(p).split("-")[0] for p in glob.glob(os.path.join(prefix4, SITE, "*.dist-info")))
        assert names == ["setuptools", "wheel"], names
        # Without the option the missing sources are an error naming the remedy; nothing changes.
        before = lockgen.snapshot(prefix4)
        r = run(["install", "-l", deps_lock, "-p", prefix4, "--find-links", wheels], env, expect=5)
        assert "--no-install-local" in r.stderr.decode(), r.stderr.decode()
        assert lockgen.snapshot(prefix4) == before
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
