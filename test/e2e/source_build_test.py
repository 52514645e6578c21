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
- Ctrl-C while a backend runs: the backend is killed with the run, exit 130, nothing changed;
- an sdist with another hash than the lock's: exit 4, nothing changed;
- a build requirement no wheel meets: exit 5, naming it and the wheel directory;
- an sdist with a symlink out of its tree, a chain of symlinks that leads out, or a hard
  link to a symlink: refused (exit 4), nothing built;
- pre-releases only when no final release fits; a prefix inside the project is not part of
  its identity, a deeper `build/` package is; a changed environment builds again; a built
  version other than the lock's is exit 8;
- --no-install-local installs the dependencies alone, with the local sources absent;
- a real upstream sdist with a C extension (MarkupSafe 2.1.2, Debian's orig tarball), built
  with the environment's CC;
- other real backends, from wheels packed from what Debian installed: flit_core and
  poetry-core in isolation, hatchling without isolation (it and its requirements installed in
  the environment as wheels), and a C-extension sdist compiled by the compiler the
  environment's activate.d script names (CC, a wrapper that logs its calls);
- an sdist named by a `direct+` URL, fetched, hash-checked and built (archive_info);
- build dependencies from the lock's index on loopback, PEP 503 HTML and PEP 691 JSON (asked
  for by Accept), a yanked and an unhashed newer file passed over, the chosen wheel's URL and
  sha256 recorded with the built wheel;
- `pack --find-links` bundles sdists and build dependencies, and `install --offline --bundle`
  builds from the bundle alone (empty cache, the sdist removed, no wheel directory); packed
  from a cache that built the sdist, the bundle carries that wheel and an install takes it;
- git+ entries checked out at the locked commit with no git executable (the top of a
  repository and a subdirectory; vcs_info; offline from the cache; a vanished commit);
- --inject: a .conda for a conda_source record and a wheel for a source entry, installed
  without building; another version, or a name the lock lacks, is exit 2.
"""
import glob
import hashlib
import io
import json
import re
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lockgen  # noqa: E402

BIN = os.environ.get("PIXI_INSTALL_BIN", "")
SITE = "lib/python3.11/site-packages"
DIST_PACKAGES = "/usr/lib/python3/dist-packages"


def run(args, env, expect=0, cwd=None):
    r = subprocess.run([BIN, "--no-progress"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       cwd=cwd)
    assert r.returncode == expect, (args, r.returncode, r.stdout.decode(), r.stderr.decode())
    return r


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def pack_installed(dist_info, out_dir):
    """A wheel of a distribution Debian installed (its .dist-info RECORD lists the files)."""
    base = os.path.basename(dist_info)[:-len(".dist-info")]
    name, version = base.split("-", 1)
    files = {}
    with open(os.path.join(dist_info, "RECORD")) as f:
        for row in f:
            rel = row.rsplit(",", 2)[0]
            if not rel or rel.endswith(".pyc") or rel.startswith("..") or rel.endswith("/RECORD") or \
                    rel.split("/")[0].endswith(".dist-info"):
                continue
            if not os.path.isfile(os.path.join(DIST_PACKAGES, rel)):
                continue  # Debian left it out (licence files of vendored packages)
            with open(os.path.join(DIST_PACKAGES, rel), "rb") as g:
                files[rel] = g.read()
    with open(os.path.join(dist_info, "METADATA"), "rb") as g:
        meta = g.read()
    di = "%s-%s.dist-info" % (name, version)
    for extra in ("entry_points.txt",):
        if os.path.exists(os.path.join(dist_info, extra)):
            with open(os.path.join(dist_info, extra), "rb") as g:
                files[di + "/" + extra] = g.read()
    return with_metadata(lockgen.make_wheel(out_dir, name, version, files), di, meta)


def with_metadata(path, di, meta):
    """The wheel at `path` with `meta` as its METADATA (make_wheel writes a minimal one) and
    its RECORD made again."""
    tmp = path + ".tmp"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        record = []
        for item in zin.infolist():
            if item.filename.endswith("/RECORD"):
                continue
            data = meta if item.filename == di + "/METADATA" else zin.read(item.filename)
            zout.writestr(item.filename, data)
            record.append(lockgen._record_line(item.filename, data))
        zout.writestr(di + "/RECORD", "\n".join(record + [di + "/RECORD,,"]) + "\n")
    os.replace(tmp, path)
    return path


def pack_egg_info(egg_info, out_dir):
    """A wheel of a distribution Debian installed as an egg-info: its top-level packages,
    PKG-INFO as METADATA (the unconditional requirements of requires.txt as Requires-Dist),
    and its entry points."""
    with open(os.path.join(egg_info, "PKG-INFO")) as f:
        info = f.read()
    fields = dict(line.split(": ", 1) for line in info.split("\n\n")[0].splitlines() if ": " in line)
    name, version = fields["Name"], fields["Version"]
    files = {}
    with open(os.path.join(egg_info, "top_level.txt")) as f:
        tops = [t.strip() for t in f if t.strip()]
    for top in tops:
        for root, dirs, names in os.walk(os.path.join(DIST_PACKAGES, top)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for n in names:
                if not n.endswith(".pyc"):
                    with open(os.path.join(root, n), "rb") as g:
                        files[os.path.relpath(os.path.join(root, n), DIST_PACKAGES)] = g.read()
    reqs = []
    req_file = os.path.join(egg_info, "requires.txt")
    if os.path.exists(req_file):
        with open(req_file) as f:
            for line in f:
                if line.startswith("["):
                    break  # extras and markers sections: not needed here
                if line.strip():
                    reqs.append(line.strip())
    di = "%s-%s.dist-info" % (re.sub(r"[-_.]+", "_", name), version)
    if os.path.exists(os.path.join(egg_info, "entry_points.txt")):
        with open(os.path.join(egg_info, "entry_points.txt"), "rb") as g:
            files[di + "/entry_points.txt"] = g.read()
    meta = ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version) +
            "".join("Requires-Dist: %s\n" % r for r in reqs)).encode()
    return with_metadata(lockgen.make_wheel(out_dir, name, version, files), di, meta)


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
    r = subprocess.run(["/usr/bin/python3", "-I", "-S", "-B", "-c",
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
        wheel_whl = pack_egg_info(glob.glob(os.path.join(DIST_PACKAGES, "wheel-*.egg-info"))[0], wheels)
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
        # Nothing unrecorded in the environment: the no-isolation build imported setuptools
        # from it without writing bytecode.
        stray = [d for d, _, _ in os.walk(os.path.join(prefix, SITE)) if d.endswith("__pycache__")]
        assert not stray, stray
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

        # Ctrl-C during a build: the backend (in its own process group) is killed with the run,
        # exit 130, the environment as it was.
        slow_tree = os.path.join(tmp, "trees", "slow-pkg")
        pid_file = os.path.join(tmp, "slow.pid")
        write_project(slow_tree, "slow-pkg", "", pyproject=False,
                      setup_py="import os, time\nopen(%r, 'w').write(str(os.getpid()))\ntime.sleep(120)\n" % pid_file)
        slow_sdist = make_sdist(os.path.join(work, "dist"), "slow-pkg", "1.0", slow_tree)
        slow_lock = lockgen.write_lock(work, entries + [pypi(slow_sdist, "slow-pkg", "1.0", slow_sdist)],
                                       name="slow.lock")
        proc = subprocess.Popen([BIN, "--no-progress", "install", "-l", slow_lock, "-p", prefix, "--find-links", wheels],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(600):
            if os.path.exists(pid_file) and open(pid_file).read().strip():
                break
            time.sleep(0.05)
        else:
            proc.kill()
            raise AssertionError("the slow backend never started: " + proc.communicate()[1].decode())
        backend_pid = int(open(pid_file).read())
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, (proc.returncode, err.decode())
        for _ in range(100):
            try:
                os.kill(backend_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the backend %d outlived the interrupted run" % backend_pid)
        assert lockgen.snapshot(prefix) == before, "an interrupted build changed the prefix"

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
        r = run(["install", "-l", x_lock, "-p", prefix3, "--find-links", wheels, "--offline"], env, expect=5)
        err = r.stderr.decode()
        assert "hatchling>=99" in err and wheels in err, err
        assert not os.path.exists(prefix3)

        # A chain of symlinks, each inside on its own, that leads out; a hard link to a symlink.
        def sdist_with(name, members):
            t = os.path.join(tmp, "trees", name)
            write_project(t, name, "", pyproject=False, setup_py="from setuptools import setup\nsetup()\n")
            return make_sdist(os.path.join(tmp, "evil"), name, "1.0", t, members)
        d = tarfile.TarInfo("a/b")
        d.type = tarfile.DIRTYPE
        up = tarfile.TarInfo("a/b/up")
        up.type, up.linkname = tarfile.SYMTYPE, "../../.."  # the extraction root: inside
        esc = tarfile.TarInfo("esc")
        esc.type, esc.linkname = tarfile.SYMTYPE, "a/b/up/../../etc"  # inside as text, outside resolved
        hl = tarfile.TarInfo("again")
        hl.type, hl.linkname = tarfile.LNKTYPE, "hard-pkg-1.0/a/b/up"
        for name, members, why in (("chain-pkg", [(d, None), (up, None), (esc, None)], "leads outside"),
                                   ("hard-pkg", [(d, None), (up, None), (hl, None)], "is a hardlink to")):
            path = sdist_with(name, members)
            if name == "hard-pkg":  # the hard link names its target with the archive's own top directory
                with tarfile.open(path) as t:
                    assert any(m.islnk() for m in t.getmembers())
            chain_lock = lockgen.write_lock(os.path.join(tmp, "evil-" + name), [lockgen.conda(py), pypi(path, name, "1.0", path)])
            r = run(["install", "-l", chain_lock, "-p", prefix3, "--find-links", wheels], env, expect=4)
            assert why in r.stderr.decode(), r.stderr.decode()
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
        backends(tmp, env, py, wheels)
        from_index(tmp, env, py)
        offline_bundle(tmp, env, py, legacy, wheels)
        rules(tmp, env, py, wheels)
        injected(tmp, env, py)
        git_entries(tmp, env, py, wheels)
    print("ok")
    return 0


def backends(tmp, env, py, setuptools_wheels):
    """flit_core and poetry-core in isolation, hatchling without isolation (its wheels in the
    environment), and a C extension compiled by the compiler the environment's activation
    names (an activate.d script sets CC to a wrapper that logs its calls)."""
    wheels = os.path.join(tmp, "wheelhouse2")
    os.makedirs(wheels)
    for d in ("flit_core-*.dist-info", "poetry_core-*.dist-info", "hatchling-*.dist-info",
              "packaging-*.dist-info", "pathspec-*.dist-info"):
        found = glob.glob(os.path.join(DIST_PACKAGES, d))
        assert found, "%s is not installed (scripts/deps.sh installs flit, python3-poetry-core and " \
                      "python3-hatchling)" % d
        pack_installed(found[0], wheels)
    pack_egg_info(glob.glob(os.path.join(DIST_PACKAGES, "pluggy-*.egg-info"))[0], wheels)
    # The environment's compiler: CC set by an activate.d script, a wrapper that logs its calls.
    cc_log = os.path.join(tmp, "cc.log")
    cc = lockgen.make_conda_package(os.path.join(tmp, "pkgs"), "cc-standin", "1.0", files={
        "etc/conda/activate.d/cc-standin.sh": b'export CC="$CONDA_PREFIX/bin/cc-standin"\n',
        "bin/cc-standin": (b'#!/bin/sh\necho "$@" >> "$PI_TEST_CC_LOG"\nexec gcc "$@"\n', 0o755)})
    env = dict(env, PI_TEST_CC_LOG=cc_log)
    work = os.path.join(tmp, "work2")
    # flit_core: static metadata, isolated.
    flit = os.path.join(work, "flitpkg")
    os.makedirs(os.path.join(flit, "flitpkg"))
    with open(os.path.join(flit, "flitpkg", "__init__.py"), "w") as f:
        f.write('"""A flit package."""\nVALUE = "flit"\n')
    with open(os.path.join(flit, "pyproject.toml"), "w") as f:
        f.write('[build-system]\nrequires = ["flit_core >=3.2,<4"]\nbuild-backend = "flit_core.buildapi"\n\n'
                '[project]\nname = "flitpkg"\nversion = "0.3"\ndescription = "x"\n')
    # poetry-core, isolated.
    poet = os.path.join(work, "poetpkg")
    os.makedirs(os.path.join(poet, "poetpkg"))
    with open(os.path.join(poet, "poetpkg", "__init__.py"), "w") as f:
        f.write('VALUE = "poetry"\n')
    with open(os.path.join(poet, "pyproject.toml"), "w") as f:
        f.write('[build-system]\nrequires = ["poetry-core>=1.0.0"]\nbuild-backend = "poetry.core.masonry.api"\n\n'
                '[tool.poetry]\nname = "poetpkg"\nversion = "0.4"\ndescription = "x"\nauthors = ["A <a@b.c>"]\n')
    # hatchling, without isolation: the environment holds it (and its requirements) as wheels.
    hatch = os.path.join(work, "hatchpkg")
    os.makedirs(os.path.join(hatch, "hatchpkg"))
    with open(os.path.join(hatch, "hatchpkg", "__init__.py"), "w") as f:
        f.write('VALUE = "hatch"\n')
    with open(os.path.join(hatch, "pyproject.toml"), "w") as f:
        f.write('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
                '[project]\nname = "hatchpkg"\nversion = "0.5"\n')
    # A C extension, isolated (setuptools and wheel from the first wheel directory).
    cext = os.path.join(tmp, "trees", "cext")
    os.makedirs(os.path.join(cext, "cext"))
    with open(os.path.join(cext, "cext", "__init__.py"), "w") as f:
        f.write("from ._speed import answer\n")
    with open(os.path.join(cext, "cext", "_speed.c"), "w") as f:
        f.write('#define PY_SSIZE_T_CLEAN\n#include <Python.h>\n'
                'static PyObject *answer(PyObject *s, PyObject *a) { return PyLong_FromLong(42); }\n'
                'static PyMethodDef m[] = {{"answer", answer, METH_NOARGS, ""}, {0}};\n'
                'static struct PyModuleDef d = {PyModuleDef_HEAD_INIT, "_speed", 0, -1, m};\n'
                'PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&d); }\n')
    with open(os.path.join(cext, "setup.py"), "w") as f:
        f.write("from setuptools import setup, Extension\nsetup(name='cext', version='2.0', packages=['cext'], "
                "ext_modules=[Extension('cext._speed', ['cext/_speed.c'])])\n")
    cext_sdist = make_sdist(os.path.join(work, "dist"), "cext", "2.0", cext)
    with open(os.path.join(work, "pixi.toml"), "w") as f:
        f.write('[workspace]\nname = "w2"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n\n'
                '[pypi-options]\nno-build-isolation = ["hatchpkg"]\n')
    env_wheels = [pack for pack in sorted(glob.glob(os.path.join(wheels, "*.whl")))
                  if os.path.basename(pack).split("-")[0] in ("hatchling", "packaging", "pathspec", "pluggy")]
    entries = [lockgen.conda(py), lockgen.conda(cc)] + [lockgen.wheel(w, location=w) for w in env_wheels] + [
        pypi("./flitpkg", "flitpkg", "0.3"), pypi("./poetpkg", "poetpkg", "0.4"),
        pypi("./dist/cext-2.0.tar.gz", "cext", "2.0", cext_sdist), pypi("./hatchpkg", "hatchpkg", "0.5")]
    lock = lockgen.write_lock(work, entries)
    prefix = os.path.join(tmp, "env-backends")
    r = run(["install", "-l", lock, "-p", prefix, "--find-links", wheels, "--find-links", setuptools_wheels], env)
    err = r.stderr.decode()
    for n, backend in (("flitpkg", "flit_core.buildapi"), ("poetpkg", "poetry.core.masonry.api"),
                       ("cext", "setuptools.build_meta:__legacy__"), ("hatchpkg", "hatchling.build")):
        assert "building %s" % n in err and backend in err, (n, err)
    assert import_in(prefix, "import flitpkg, poetpkg, hatchpkg, cext; "
                             "print(flitpkg.VALUE, poetpkg.VALUE, hatchpkg.VALUE, cext.answer())") == \
        "flit poetry hatch 42"
    with open(cc_log) as f:
        assert "_speed.c" in f.read(), "the extension was not compiled by the environment's CC"
    so = glob.glob(os.path.join(prefix, SITE, "cext", "_speed*.so"))
    assert len(so) == 1, so
    run(["verify", "-p", prefix], env)

    # A real upstream sdist with a C extension: MarkupSafe 2.1.2 as released (Debian's orig
    # tarball of its source package; scripts/upstream.sh fetches it), built by setup.py with
    # the environment's CC.
    cache_root = os.environ.get("PIXI_INSTALL_BUILD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "pixi-install-build")
    orig = os.path.join(cache_root, "upstream", "markupsafe_2.1.2.orig.tar.gz")
    assert os.path.exists(orig), "%s is missing: run scripts/upstream.sh (scripts/test.sh does)" % orig
    up = os.path.join(tmp, "upstream")
    os.makedirs(up)
    ms = os.path.join(up, "MarkupSafe-2.1.2.tar.gz")
    shutil.copy(orig, ms)
    open(cc_log, "w").close()
    ms_lock = lockgen.write_lock(up, [lockgen.conda(py), lockgen.conda(cc), pypi(ms, "markupsafe", "2.1.2", ms)])
    ms_prefix = os.path.join(tmp, "env-markupsafe")
    r = run(["install", "-l", ms_lock, "-p", ms_prefix, "--find-links", setuptools_wheels], env)
    assert "building markupsafe" in r.stderr.decode(), r.stderr.decode()
    assert import_in(ms_prefix, "import markupsafe, markupsafe._speedups; print(markupsafe.escape('<a>'))") == \
        "&lt;a&gt;"
    with open(cc_log) as f:
        assert "_speedups.c" in f.read(), "MarkupSafe's extension was not compiled by the environment's CC"
    run(["verify", "-p", ms_prefix], env)


def rules(tmp, env, py, wheels):
    """Which wheel is chosen and when a build is reused: pre-releases only when no final
    release fits; a prefix inside the project is not part of its identity, a deeper
    `build/` package is; a changed environment builds again; a built version other than
    the lock's is exit 8."""
    helpers = os.path.join(tmp, "helpers")
    os.makedirs(helpers)
    for f in os.listdir(wheels):
        shutil.copy(os.path.join(wheels, f), helpers)
    lockgen.make_wheel(helpers, "helper", "1.0", {"helper/__init__.py": "V = '1.0'\n"})
    lockgen.make_wheel(helpers, "helper", "2.0b1", {"helper/__init__.py": "V = '2.0b1'\n"})
    proj = os.path.join(tmp, "rules")
    write_project(proj, "rules-pkg", "V = 1\n")
    os.makedirs(os.path.join(proj, "rules_pkg", "build"))
    with open(os.path.join(proj, "rules_pkg", "build", "__init__.py"), "w") as f:
        f.write("B = 1\n")
    with open(os.path.join(proj, "pyproject.toml"), "w") as f:
        f.write('[build-system]\nrequires = ["setuptools>=60", "helper>=1"]\nbuild-backend = "setuptools.build_meta"\n\n'
                '[project]\nname = "rules-pkg"\nversion = "1.0"\n\n[tool.setuptools]\n'
                'packages = ["rules_pkg", "rules_pkg.build"]\n')
    cache = os.path.join(tmp, "cache-rules")
    e = dict(env, PIXI_INSTALL_CACHE_DIR=cache)
    lock = lockgen.write_lock(proj, [lockgen.conda(py), pypi(".", "rules-pkg", "1.0")])
    prefix = os.path.join(proj, "env")  # inside the project
    args = ["install", "-l", lock, "-p", prefix, "--find-links", helpers]
    r = run(args, e)
    assert "building rules-pkg" in r.stderr.decode()
    records = glob.glob(os.path.join(cache, "built-wheels", "v1", "*", "build.json"))
    with open(records[0]) as f:
        assert ("helper", "1.0") in [(d["name"], d["version"]) for d in json.load(f)["build_set"]]
    for _ in range(2):
        r = run(args, e)
        assert "building" not in r.stderr.decode(), r.stderr.decode()
    with open(os.path.join(proj, "rules_pkg", "build", "__init__.py"), "w") as f:
        f.write("B = 2\n")
    r = run(args, e)
    assert "building rules-pkg" in r.stderr.decode(), r.stderr.decode()
    assert import_in(prefix, "import rules_pkg.build as b; print(b.B)") == "2"
    # Another environment (one more conda package): built again.
    extra = lockgen.make_conda_package(os.path.join(tmp, "pkgs"), "extra", "1.0")
    lock = lockgen.write_lock(proj, [lockgen.conda(py), lockgen.conda(extra), pypi(".", "rules-pkg", "1.0")])
    r = run(args, e)
    assert "building rules-pkg" in r.stderr.decode(), r.stderr.decode()
    # The lock says 2.0; the project builds 1.0.
    before = lockgen.snapshot(prefix)
    lock = lockgen.write_lock(proj, [lockgen.conda(py), lockgen.conda(extra), pypi(".", "rules-pkg", "2.0")])
    r = run(args, e, expect=8)  # the built-wheel cache has 1.0 for this source: not taken either
    assert "gave version 1.0" in r.stderr.decode() and "lock has 2.0" in r.stderr.decode(), r.stderr.decode()
    assert lockgen.snapshot(prefix) == before


def offline_bundle(tmp, env, py, legacy_tree, wheels):
    """`pack --find-links` bundles the sdist and the build dependencies (the project's own
    directory travels with the lock); `install --offline --bundle` with an empty cache, the
    sdist gone and no wheel directory builds from the bundle alone."""
    work = os.path.join(tmp, "bundle-work")
    os.makedirs(work)
    sdist = make_sdist(os.path.join(work, "dist"), "legacy-pkg", "1.0", legacy_tree)
    write_project(os.path.join(work, "proj-b"), "proj-b", "VALUE = 'b'\n")
    lock = lockgen.write_lock(work, [lockgen.conda(py), pypi("./dist/legacy-pkg-1.0.tar.gz", "legacy-pkg", "1.0", sdist),
                                     pypi("./proj-b", "proj-b", "1.0")])
    bundle = os.path.join(tmp, "bundle.tar")
    r = subprocess.run([BIN, "--no-progress", "pack", "-l", lock, "-o", bundle, "--find-links", wheels],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert r.returncode == 0, r.stderr.decode()
    assert "not bundled: proj-b (./proj-b): a local source directory" in r.stderr.decode(), r.stderr.decode()
    with tarfile.open(bundle) as t:
        names = t.getnames()
        assert "build-wheels.tsv" in names, names
        listed = t.extractfile("build-wheels.tsv").read().decode()
    assert sorted(l.split("\t")[1] for l in listed.splitlines()) == sorted(os.listdir(wheels)), listed
    os.remove(sdist)
    cache = os.path.join(tmp, "cache-bundle")
    prefix = os.path.join(tmp, "env-bundle")
    r = run(["install", "-l", lock, "-p", prefix, "--offline", "--bundle", bundle], dict(env, PIXI_INSTALL_CACHE_DIR=cache))
    err = r.stderr.decode()
    assert "building legacy-pkg" in err and "building proj-b" in err, err
    assert import_in(prefix, "import legacy_pkg, proj_b; print(legacy_pkg.VALUE, proj_b.VALUE)") == "legacy b"
    for rec in glob.glob(os.path.join(cache, "built-wheels", "v1", "*", "build.json")):
        with open(rec) as f:
            built = json.load(f)
        assert built["build_set"] and all(os.path.join(cache, "bundle-wheels") in d["location"]
                                          for d in built["build_set"]), built

    # Packed again from that cache, the bundle carries the wheel built from the sdist too; an
    # install it fits takes it instead of building (the directory is still built).
    bundle2 = os.path.join(tmp, "bundle2")
    # (No --find-links this time: the build set recorded with the built wheel goes along.)
    r = subprocess.run([BIN, "--no-progress", "pack", "-l", lock, "-o", bundle2, "--offline"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(env, PIXI_INSTALL_CACHE_DIR=cache))
    assert r.returncode == 0, r.stderr.decode()
    with open(os.path.join(bundle2, "built-wheels.tsv")) as f:
        assert "legacy_pkg-1.0-py3-none-any.whl" in f.read()
    with open(os.path.join(bundle2, "build-wheels.tsv")) as f:
        assert sorted(l.split("\t")[1] for l in f.read().splitlines()) == sorted(os.listdir(wheels))
    prefix2 = os.path.join(tmp, "env-bundle2")
    r = run(["install", "-l", lock, "-p", prefix2, "--offline", "--bundle", bundle2],
            dict(env, PIXI_INSTALL_CACHE_DIR=os.path.join(tmp, "cache-bundle2")))
    err = r.stderr.decode()
    assert "taking legacy_pkg-1.0-py3-none-any.whl from the bundle" in err and "building legacy-pkg" not in err, err
    assert "building proj-b" in err, err
    assert import_in(prefix2, "import legacy_pkg; print(legacy_pkg.VALUE)") == "legacy"


def git_entries(tmp, env, py, wheels):
    """git+ entries at their locked commit, checked out by pixi-install without a git
    executable (the repositories are made with git here): the repository's top and a
    subdirectory; direct_url.json's vcs_info; a later commit on the branch changes nothing;
    a new prefix offline; a commit no branch has is exit 5."""
    repo = os.path.join(tmp, "gitrepo")
    write_project(repo, "git-top", "V = 'top 1'\n")
    write_project(os.path.join(repo, "sub"), "git-sub", "V = 'sub 1'\n")
    g = ["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    subprocess.run(g + ["add", "-A"], check=True)
    subprocess.run(g + ["commit", "-q", "-m", "one"], check=True)
    sha = subprocess.run(g + ["rev-parse", "HEAD"], stdout=subprocess.PIPE, check=True).stdout.decode().strip()
    # A later commit: the lock still pins the first one.
    with open(os.path.join(repo, "git_top", "__init__.py"), "w") as f:
        f.write("V = 'top 2'\n")
    subprocess.run(g + ["commit", "-q", "-am", "two"], check=True)
    url = "file://" + repo
    work = os.path.join(tmp, "git-work")
    top = {"kind": "pypi", "location": "git+%s?branch=main#%s" % (url, sha), "name": "git-top", "version": "1.0",
           "sha256": None, "requires_dist": []}
    sub = dict(top, location="git+%s?branch=main&subdirectory=sub#%s" % (url, sha), name="git-sub")
    lock = lockgen.write_lock(work, [lockgen.conda(py), top, sub])
    prefix = os.path.join(tmp, "env-git")
    cache = os.path.join(tmp, "cache-git")
    # No git executable on PATH for pixi-install.
    nogit = os.path.join(tmp, "nogit-bin")
    os.makedirs(nogit)
    for tool in ("sh", "bash", "gcc", "cc"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, os.path.join(nogit, tool))
    e = dict(env, PIXI_INSTALL_CACHE_DIR=cache, PATH=nogit)
    version = subprocess.run([BIN, "--version"], stdout=subprocess.PIPE, check=True).stdout.decode()
    if "git: libgit2" not in version:
        # A build without libgit2 (-Dgit=disabled): refused with the
        # remedy, nothing changed.
        assert "git: not built in" in version, version
        r = run(["install", "-l", lock, "-p", prefix, "--find-links", wheels], e, expect=1)
        assert "built without git support" in r.stderr.decode() and "--skip git-top" in r.stderr.decode()
        assert not os.path.exists(prefix)
        return
    r = run(["install", "-l", lock, "-p", prefix, "--find-links", wheels], e)
    err = r.stderr.decode()
    assert "building git-top (git repository)" in err and "building git-sub" in err, err
    assert import_in(prefix, "import git_top, git_sub; print(git_top.V, '/', git_sub.V)") == "top 1 / sub 1"
    with open(os.path.join(dist_info(prefix, "git_top"), "direct_url.json")) as f:
        du = json.load(f)
    assert du == {"url": url, "vcs_info": {"vcs": "git", "commit_id": sha, "requested_revision": "main"}}, du
    with open(os.path.join(dist_info(prefix, "git_sub"), "direct_url.json")) as f:
        assert json.load(f).get("subdirectory") == "sub"
    r = run(["install", "-l", lock, "-p", prefix, "--find-links", wheels], e)  # a no-op
    assert "building" not in r.stderr.decode(), r.stderr.decode()
    # Offline, a new prefix: the built wheels come from the cache.
    r = run(["install", "-l", lock, "-p", os.path.join(tmp, "env-git2"), "--offline", "--find-links", wheels], e)
    assert "building" not in r.stderr.decode(), r.stderr.decode()
    # A commit no branch or tag has.
    gone = dict(top, location="git+%s?branch=main#%s" % (url, "0" * 40))
    lock2 = lockgen.write_lock(os.path.join(tmp, "git-work2"), [lockgen.conda(py), gone])
    r = run(["install", "-l", lock2, "-p", os.path.join(tmp, "env-git3"), "--find-links", wheels], e, expect=5)
    assert "0" * 40 in r.stderr.decode(), r.stderr.decode()
    assert not os.path.exists(os.path.join(tmp, "env-git3"))

    # Over HTTPS: git's smart HTTP protocol, answered by `git http-backend` on loopback, with a
    # certificate from a private CA. Without that CA the certificate is refused (exit 5, nothing
    # installed); --tls-ca-cert trusts it, as for every other download.
    import netlab
    certs = os.path.join(tmp, "git-certs")
    os.makedirs(certs)
    ca = netlab.make_ca(certs)
    cert = netlab.make_cert(certs, ca)
    server = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "git_http.py"),
                               tmp, cert[0], cert[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        # (localhost, not 127.0.0.1: the mbedTLS of Debian's libgit2 matches no IP address names)
        https = "https://localhost:%s/gitrepo" % server.stdout.readline().split()[1]
        lock3 = lockgen.write_lock(os.path.join(tmp, "git-work3"), [
            lockgen.conda(py), dict(top, location="git+%s?branch=main#%s" % (https, sha))])
        e3 = dict(e, PIXI_INSTALL_CACHE_DIR=os.path.join(tmp, "cache-git-https"), NO_PROXY="*")
        for k in ("SSL_CERT_FILE", "SSL_CERT_DIR", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            e3.pop(k, None)
        prefix4 = os.path.join(tmp, "env-git4")
        r = run(["install", "-l", lock3, "-p", prefix4, "--find-links", wheels], e3, expect=5)
        err = r.stderr.decode()
        assert "cannot fetch " + https in err and "certificate" in err.lower(), err
        assert not os.path.exists(prefix4)
        r = run(["install", "-l", lock3, "-p", prefix4, "--find-links", wheels, "--tls-ca-cert", ca[0]], e3)
        assert "building git-top (git repository)" in r.stderr.decode(), r.stderr.decode()
        assert import_in(prefix4, "import git_top; print(git_top.V)") == "top 1"
        with open(os.path.join(dist_info(prefix4, "git_top"), "direct_url.json")) as f:
            assert json.load(f)["url"] == https
    finally:
        server.stdin.close()
        server.wait(timeout=20)


def injected(tmp, env, py):
    """--inject: a .conda built elsewhere in place of a conda_source record, a wheel in place
    of a PyPI source entry (nothing is built); another version or an unknown name is exit 2."""
    work = os.path.join(tmp, "inject")
    pkgs = os.path.join(work, "built")
    mysrc = lockgen.make_conda_package(pkgs, "mysrc", "0.1.0", "hbf21a9e_0",
                                       files={"share/mysrc/data.txt": b"built elsewhere\n"})
    write_project(os.path.join(work, "proj-i"), "proj-i", "VALUE = 'from source'\n")
    whl = lockgen.make_wheel(pkgs, "proj-i", "1.0", {"proj_i/__init__.py": "VALUE = 'injected'\n"})
    lock = lockgen.write_lock(work, [lockgen.conda(py), lockgen.conda_source("mysrc"), pypi("./proj-i", "proj-i", "1.0")])
    prefix = os.path.join(tmp, "env-inject")
    run(["install", "-l", lock, "-p", prefix], env, expect=1)  # the source record is refused
    assert not os.path.exists(prefix)
    # proj-i built from its directory first; then the injected wheel of the same version replaces it.
    run(["install", "-l", lock, "-p", prefix, "--inject", mysrc, "--find-links", os.path.join(tmp, "wheelhouse")], env)
    assert import_in(prefix, "import proj_i; print(proj_i.VALUE)") == "from source"
    r = run(["install", "-l", lock, "-p", prefix, "--inject", mysrc, "--inject", whl], env)
    assert "building" not in r.stderr.decode(), r.stderr.decode()
    with open(os.path.join(prefix, "share", "mysrc", "data.txt")) as f:
        assert f.read() == "built elsewhere\n"
    assert import_in(prefix, "import proj_i; print(proj_i.VALUE)") == "injected"
    run(["verify", "-p", prefix], env)
    other = lockgen.make_conda_package(os.path.join(work, "other"), "mysrc", "0.2.0", "h0_0")
    r = run(["install", "-l", lock, "-p", prefix, "--inject", other], env, expect=2)
    assert "0.1.0" in r.stderr.decode() and "0.2.0" in r.stderr.decode(), r.stderr.decode()
    osx = lockgen.make_conda_package(os.path.join(work, "osx"), "mysrc", "0.1.0", "hbf21a9e_0", subdir="osx-arm64")
    r = run(["install", "-l", lock, "-p", prefix, "--inject", osx], env, expect=2)
    assert "osx-arm64" in r.stderr.decode(), r.stderr.decode()
    stray = lockgen.make_conda_package(os.path.join(work, "other"), "nothere", "1.0", "h0_0")
    r = run(["install", "-l", lock, "-p", prefix, "--inject", mysrc, "--inject", stray], env, expect=2)
    assert "nothere" in r.stderr.decode(), r.stderr.decode()

    # pack --inject carries them; an offline install from the bundle uses them, no flag needed.
    bundle = os.path.join(work, "bundle")
    p = subprocess.run([BIN, "--no-progress", "pack", "-l", lock, "-o", bundle, "--inject", mysrc, "--inject", whl],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert p.returncode == 0, p.stderr.decode()
    assert os.path.exists(os.path.join(bundle, "injected.tsv"))
    prefix2 = os.path.join(tmp, "env-inject-bundle")
    r = run(["install", "-l", lock, "-p", prefix2, "--offline", "--bundle", bundle],
            dict(env, PIXI_INSTALL_CACHE_DIR=os.path.join(tmp, "cache-inject")))
    err = r.stderr.decode()
    assert "\nbuilding " not in "\n" + err, err
    assert "taking proj_i-1.0-py3-none-any.whl from the bundle in place of building proj-i" in err, err
    assert import_in(prefix2, "import proj_i; print(proj_i.VALUE)") == "injected"
    assert os.path.exists(os.path.join(prefix2, "share", "mysrc", "data.txt"))


class Index:
    """A loopback package index: /simple/<project>/ as PEP 691 JSON (when asked for it and
    `mode` is "json") or PEP 503 HTML, and /files/<name>. Each project lists its wheels,
    a newer yanked one and a newer one without a hash (neither may be chosen)."""

    def __init__(self, wheels, mode):
        import http.server
        import threading
        self.mode, self.accepts, self.files = mode, [], {}
        for w in wheels:
            self.files[os.path.basename(w)] = w
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                index.accepts.append((self.path, self.headers.get("Accept", "")))
                if self.path.startswith("/files/"):
                    name = self.path[len("/files/"):]
                    if name not in index.files:
                        return self.send_error(404)
                    with open(index.files[name], "rb") as f:
                        return self.reply(200, "application/octet-stream", f.read())
                parts = self.path.strip("/").split("/")
                if len(parts) != 2 or parts[0] != "simple":
                    return self.send_error(404)
                project = parts[1]
                listed = [(n, sha256(p), {}) for n, p in sorted(index.files.items())
                          if re.sub(r"[-_.]+", "-", n.split("-")[0]).lower() == project]
                if not listed:
                    return self.send_error(404)
                stem = listed[0][0].split("-")[0]
                listed.append(("%s-99.0-py3-none-any.whl" % stem, "ab" * 32, {"yanked": True}))
                listed.append(("%s-98.0-py3-none-any.whl" % stem, "", {}))
                if index.mode == "json" and "application/vnd.pypi.simple.v1+json" in self.headers.get("Accept", ""):
                    body = json.dumps({"meta": {"api-version": "1.0"}, "name": project, "files": [
                        dict({"filename": n, "url": "../../files/" + n, "hashes": {"sha256": h} if h else {},
                              "requires-python": ">=3.7"}, **extra) for n, h, extra in listed]})
                    return self.reply(200, "application/vnd.pypi.simple.v1+json", body.encode())
                links = "".join('<a href="/files/%s%s" data-requires-python="&gt;=3.7"%s>%s</a><br/>\n'
                                % (n, "#sha256=" + h if h else "", " data-yanked=\"\"" if extra else "", n)
                                for n, h, extra in listed)
                body = "<!DOCTYPE html><html><body>%s</body></html>" % links
                return self.reply(200, "text/html", body.encode())

            def reply(self, code, ctype, data):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/simple" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def from_index(tmp, env, py):
    """Build dependencies from the lock's index, PEP 503 HTML and PEP 691 JSON, pinned by
    the index's sha256 and recorded with the built wheel."""
    wheels = os.path.join(tmp, "wheelhouse3")
    os.makedirs(wheels)
    flit_whl = pack_installed(glob.glob(os.path.join(DIST_PACKAGES, "flit_core-*.dist-info"))[0], wheels)
    # An sdist named by a direct URL (pixi's `direct+`), served by the same loopback server.
    sd_tree = os.path.join(tmp, "trees", "flitsd")
    os.makedirs(os.path.join(sd_tree, "flitsd"))
    with open(os.path.join(sd_tree, "flitsd", "__init__.py"), "w") as f:
        f.write('"""x"""\nVALUE = "direct"\n')
    with open(os.path.join(sd_tree, "pyproject.toml"), "w") as f:
        f.write('[build-system]\nrequires = ["flit_core >=3.2,<4"]\nbuild-backend = "flit_core.buildapi"\n\n'
                '[project]\nname = "flitsd"\nversion = "0.7"\ndescription = "x"\n')
    sd = make_sdist(os.path.join(tmp, "sdists"), "flitsd", "0.7", sd_tree)
    for mode in ("html", "json"):
        index = Index([flit_whl, sd], mode)
        try:
            work = os.path.join(tmp, "index-" + mode)
            proj = os.path.join(work, "flitpkg")
            os.makedirs(os.path.join(proj, "flitpkg"))
            with open(os.path.join(proj, "flitpkg", "__init__.py"), "w") as f:
                f.write('"""x"""\nVALUE = "%s"\n' % mode)
            with open(os.path.join(proj, "pyproject.toml"), "w") as f:
                f.write('[build-system]\nrequires = ["flit_core >=3.2,<4"]\nbuild-backend = "flit_core.buildapi"\n\n'
                        '[project]\nname = "flitpkg"\nversion = "0.3"\ndescription = "x"\n')
            direct = "direct+" + index.url.rsplit("/", 1)[0] + "/files/" + os.path.basename(sd)
            text = lockgen.lock_text([lockgen.conda(py), pypi("./flitpkg", "flitpkg", "0.3"),
                                      dict(pypi(direct, "flitsd", "0.7"), sha256=sha256(sd))])
            with open(os.path.join(work, "pixi.lock"), "w") as f:
                f.write(text.replace("https://pypi.org/simple", index.url))
            cache = os.path.join(tmp, "cache-" + mode)
            prefix = os.path.join(tmp, "env-index-" + mode)
            run(["install", "-l", os.path.join(work, "pixi.lock"), "-p", prefix], dict(env, PIXI_INSTALL_CACHE_DIR=cache))
            assert import_in(prefix, "import flitpkg, flitsd; print(flitpkg.VALUE, flitsd.VALUE)") == mode + " direct"
            with open(os.path.join(dist_info(prefix, "flitsd"), "direct_url.json")) as f:
                du = json.load(f)
            assert du["url"] == direct[len("direct+"):] and du["archive_info"]["hashes"]["sha256"] == sha256(sd), du
            asked = [a for p, a in index.accepts if p.startswith("/simple/flit-core/")]
            assert asked and "application/vnd.pypi.simple.v1+json" in asked[0], index.accepts
            got = sorted(p for p, _ in index.accepts if p.startswith("/files/"))
            assert got == sorted(["/files/" + os.path.basename(flit_whl), "/files/" + os.path.basename(sd)]), got
            records = glob.glob(os.path.join(cache, "built-wheels", "v1", "*", "build.json"))
            assert len(records) == 2, records
            for rec in records:
                with open(rec) as f:
                    built = json.load(f)
                assert [(d["name"], d["sha256"]) for d in built["build_set"]] == [("flit_core", sha256(flit_whl))], built
                assert built["build_set"][0]["location"].startswith(index.url.rsplit("/", 1)[0]), built
        finally:
            index.close()


if __name__ == "__main__":
    sys.exit(main())
